/**
 * The browser example (examples/browser/index.html): a CP decomposition and a low-tensor-rank
 * RNN simulation on the backend chosen in the page. Built by `node examples/browser/build.mjs`
 * (esbuild, from the installed package), served from examples/browser/dist/.
 *
 * A bundled app imports the GPU backend packages it wants itself (they are optional peers of
 * ltr-rnn); `useBackend` then finds them registered. The wasm binaries are served next to the page
 * and located with the `wasmPaths` option.
 */
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import { CPTensor, LowTensorRankCell, cpAls, factorMatchScore, randomNormal, rng, simulate, useBackend, type BackendName } from 'ltr-rnn';

const $ = <T extends Element = HTMLElement>(id: string): T => document.getElementById(id) as unknown as T;
const log = (line: string): void => {
  $('log').textContent += `${line}\n`;
};

/** What one run found (also returned to scripts that drive the page). */
export interface ExampleResult {
  backend: string;
  gpu: string | null;
  cp: { relError: number; factorMatch: number; iterations: number; ms: number };
  rnn: { turnsFirst: number; turnsLast: number; ms: number };
}

async function runCp(): Promise<ExampleResult['cp']> {
  const r = rng(7);
  const shape = [40, 30, 20];
  const planted = CPTensor.fromArrays([3, 2, 1], shape.map((n) => Array.from({ length: n }, () => Array.from({ length: 3 }, () => r.normal()))));
  // Entries have standard deviation √14 ≈ 3.7; 5 % noise on top.
  const x = tf.tidy(() => tf.add(planted.full(), randomNormal(shape, 8, { std: 0.05 * Math.sqrt(14) })));
  const t0 = performance.now();
  const res = await cpAls(x, { rank: 3, maxIter: 60, tol: 1e-7, restarts: 2, seed: 1 });
  const ms = performance.now() - t0;
  const match = await factorMatchScore(res.cp, planted);
  drawLine($<SVGSVGElement>('cp-plot'), [res.history.map((e, i) => [i + 1, Math.log10(e)] as [number, number])], 'iteration', 'log₁₀ relative error');
  planted.dispose();
  res.cp.dispose();
  x.dispose();
  return { relError: res.relError, factorMatch: match.score, iterations: res.iterations, ms };
}

async function runRnn(): Promise<ExampleResult['rnn']> {
  // Two orthonormal directions; modes a₁a₁ᵀ, a₂a₂ᵀ, a₂a₁ᵀ, a₁a₂ᵀ with gains g·(cos θ_k, cos θ_k, sin θ_k, −sin θ_k):
  // W⁽ᵏ⁾ = g·[a₁ a₂] R(θ_k) [a₁ a₂]ᵀ, a rotation by θ_k that grows from 0 to π/4 over the trials.
  const n = 60;
  const k = 20;
  const g = 2.5;
  const steps = 200;
  const r = rng(1);
  const dot = (u: Float64Array, v: Float64Array): number => u.reduce((s, a, i) => s + a * v[i], 0);
  const a1 = r.normalArray(n);
  const a2 = r.normalArray(n);
  const n1 = Math.sqrt(dot(a1, a1));
  a1.forEach((_, i) => (a1[i] /= n1));
  const p = dot(a1, a2);
  a2.forEach((_, i) => (a2[i] -= p * a1[i]));
  const n2 = Math.sqrt(dot(a2, a2));
  a2.forEach((_, i) => (a2[i] /= n2));
  const theta = Array.from({ length: k }, (_, i) => ((Math.PI / 4) * i) / (k - 1));
  const cell = new LowTensorRankCell({ size: n, trials: k, rank: 4, bias: false, seed: 0 });
  const v = cell.namedVariables();
  const cols = (vs: Float64Array[]): number[][] => Array.from({ length: n }, (_, i) => vs.map((x) => x[i]));
  tf.tidy(() => {
    v.columnFactors.assign(tf.tensor2d(cols([a1, a2, a2, a1])));
    v.rowFactors.assign(tf.tensor2d(cols([a1, a2, a1, a2])));
    v.trialFactors.assign(tf.tensor2d(theta.map((t) => [g * Math.cos(t), g * Math.cos(t), g * Math.sin(t), -g * Math.sin(t)])));
  });
  const x0 = Array.from(a1, (x) => 2 * x);
  const t0 = performance.now();
  const res = simulate(cell, { steps, x0, noise: { sigma: 0.02, seed: 3 } });
  const states = (await res.states.array()) as number[][][]; // time × trial × N
  const ms = performance.now() - t0;
  res.dispose();
  cell.dispose();
  const turns: number[] = [];
  const paths: [number, number][][] = [];
  for (const trial of [0, 9, k - 1]) {
    const path: [number, number][] = [];
    let swept = 0;
    let prev = 0;
    for (let t = 0; t < steps; t++) {
      const x = Float64Array.from(states[t][trial]);
      const z: [number, number] = [dot(a1, x), dot(a2, x)];
      path.push(z);
      const ang = Math.atan2(z[1], z[0]);
      if (t > 0) swept += ((ang - prev + 3 * Math.PI) % (2 * Math.PI)) - Math.PI;
      prev = ang;
    }
    turns.push(swept / (2 * Math.PI));
    paths.push(path);
  }
  drawLine($<SVGSVGElement>('rnn-plot'), paths, 'a₁·x', 'a₂·x');
  return { turnsFirst: turns[0], turnsLast: turns[2], ms };
}

/** Minimal SVG line plot: one polyline per series, axes labelled. */
function drawLine(svg: SVGSVGElement, series: [number, number][][], xLabel: string, yLabel: string): void {
  const w = Number(svg.getAttribute('width'));
  const h = Number(svg.getAttribute('height'));
  const pad = 34;
  const all = series.flat();
  const [x0, x1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  const [y0, y1] = [Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))];
  const sx = (x: number): number => pad + ((x - x0) / (x1 - x0 || 1)) * (w - 2 * pad);
  const sy = (y: number): number => h - pad - ((y - y0) / (y1 - y0 || 1)) * (h - 2 * pad);
  const colors = ['#1f77b4', '#ff7f0e', '#2ca02c'];
  svg.innerHTML =
    `<line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#999"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${h - pad}" stroke="#999"/>` +
    `<text x="${w / 2}" y="${h - 8}" font-size="11" text-anchor="middle">${xLabel}</text>` +
    `<text x="10" y="${h / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 10 ${h / 2})">${yLabel}</text>` +
    `<text x="${pad}" y="${pad - 6}" font-size="10">${y1.toPrecision(3)}</text><text x="${pad}" y="${h - pad + 12}" font-size="10">${y0.toPrecision(3)}</text>` +
    series.map((s, i) => `<polyline fill="none" stroke-width="1.5" stroke="${colors[i % 3]}" points="${s.map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(' ')}"/>`).join('');
}

async function run(backend: BackendName): Promise<ExampleResult> {
  const status = $('status');
  status.dataset.status = 'running';
  status.textContent = `running on ${backend}…`;
  $('log').textContent = '';
  try {
    const info = await useBackend(backend, backend === 'wasm' ? { wasmPaths: new URL('./wasm/', location.href).href } : undefined);
    const gpu = info.gpu ? `${info.gpu.api}: ${[info.gpu.vendor, info.gpu.architecture, info.gpu.device].filter(Boolean).join(' / ') || 'unnamed adapter'}${info.gpu.software ? ' (software)' : ''}` : null;
    log(`backend ${info.name} (${info.packageName} ${info.packageVersion})${info.simd ? ', SIMD' : ''}${gpu ? `, ${gpu}` : ''}`);
    const cp = await runCp();
    log(`CP-ALS rank 3 on 40×30×20: relative error ${cp.relError.toFixed(4)} after ${cp.iterations} iterations (best of 2 starts), factor match with the planted factors ${cp.factorMatch.toFixed(4)}, ${cp.ms.toFixed(0)} ms`);
    const rnn = await runRnn();
    log(`ltrRNN N = 60, K = 20 trials, R = 4, 200 steps for all trials at once: ${rnn.ms.toFixed(0)} ms; trial 1 turns ${rnn.turnsFirst.toFixed(2)} times, trial 20 turns ${rnn.turnsLast.toFixed(2)} times`);
    const ok = cp.relError < 0.06 && cp.factorMatch > 0.95 && Math.abs(rnn.turnsFirst) < 0.25 && Math.abs(rnn.turnsLast) > 1;
    status.dataset.status = ok ? 'ok' : 'error';
    status.textContent = ok ? `done on ${backend}` : `done on ${backend}, but a check failed`;
    return { backend: info.name, gpu, cp, rnn };
  } catch (e) {
    status.dataset.status = 'error';
    status.textContent = `error: ${(e as Error).message}`;
    throw e;
  }
}

$('run').addEventListener('click', () => void run($<HTMLSelectElement>('backend').value as BackendName).catch(() => undefined));
(window as unknown as { ltrExample: unknown }).ltrExample = { run };
