/**
 * Benchmark: the library's two heavy workloads on WebGPU (Dawn in Node, through the optional
 * `webgpu` package) against wasm (SIMD, one thread) on the same machine.
 *
 * 1. CP-ALS seconds per iteration, rank 10, on 200³ and 300³ tensors (a planted rank-10 tensor
 *    plus noise, relative error ≈ 0.45, so every iteration takes the same path).
 * 2. One ltrRNN fit iteration: an ltrRNN with N latent units (200 with R = 5; 1000 with R = 10),
 *    K = 250 trials, 3 inputs, simulated for T = 50 steps, a linear readout to 100 recorded
 *    neurons, MSE to a T × K × 100 recording, gradients of every parameter by BPTT, one Adam step —
 *    one step of the library's `train`. (`fitLtrRNN` does not exist yet; this is its iteration.)
 *
 * Times are medians over iterations after warm-up (the first iterations compile shaders), taken
 * from the iteration callbacks (`onProgress` of cpAls, `onStep` of train), so they include the
 * host work and the one host read per iteration each algorithm does.
 *
 *   npm run build && node --import tsx bench/gpu.bench.ts [--tiny] [--backends webgpu,wasm]
 *       [--webgpu-flags backend=opengles] [--out DIR] [--budget-s 240] [--only cp300,fit1000]
 *
 * Per backend the order is CP 300³, fit latent 1000, CP 200³, fit latent 200 (targets first).
 * `--tiny` runs small sizes (for checking the script on a machine without a GPU, e.g. on Mesa's
 * OpenGL ES with EGL_PLATFORM=surfaceless and --webgpu-flags backend=opengles). `--budget-s` stops starting new wasm
 * measurements once the run has used that many seconds (the GPU ones come first). Without a
 * WebGPU adapter (and without --tiny) it measures nothing and exits 0. Writes
 * bench/results/gpu.json (gpu-tiny.json with --tiny) and, with --out, DIR/gpu.json too.
 * On the GPU machine it runs bundled by ../shared/gpu/pack.sh (see docs/backends.md).
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { CPTensor, LowTensorRankCell, backendInfo, cpAls, mse, randomNormal, rng, simulate, train, useBackend, type BackendInfo } from '../dist/index.js';
import { fmtMs, writeResults } from './lib';

// ---- arguments ------------------------------------------------------------------------------
const args = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const tiny = args.includes('--tiny');
const backends = (arg('backends') ?? 'webgpu,wasm').split(',') as ('webgpu' | 'wasm' | 'cpu')[];
const webgpuFlags = arg('webgpu-flags')?.split(',').filter(Boolean) ?? [];
const outDir = arg('out');
const budgetS = Number(arg('budget-s') ?? Infinity);
/** `--only cp200,fit1000`: run only these measurements (cp<n>, fit<latent>). */
const only = arg('only')?.split(',');
const wanted = (key: string): boolean => only === undefined || only.includes(key);
const t0 = performance.now();
const elapsedS = (): number => (performance.now() - t0) / 1000;

const CP_SIZES = tiny ? [{ n: 20, rank: 4 }, { n: 30, rank: 4 }] : [{ n: 200, rank: 10 }, { n: 300, rank: 10 }];
const FIT_SIZES = tiny
  ? [{ latent: 16, rank: 2 }, { latent: 32, rank: 3 }]
  : [{ latent: 200, rank: 5 }, { latent: 1000, rank: 10 }];
const FIT = tiny ? { trials: 12, steps: 10, neurons: 8, inputs: 3 } : { trials: 250, steps: 50, neurons: 100, inputs: 3 };
/** Iterations per measurement: warm-up ones are dropped, the median of the rest is reported. */
const ITERS: Record<string, { cp: number; fit: number; warm: number }> = {
  webgpu: { cp: 8, fit: 8, warm: 2 },
  wasm: { cp: 4, fit: 3, warm: 1 },
  cpu: { cp: 3, fit: 3, warm: 1 },
};

interface Row {
  workload: string;
  size: string;
  backend: string;
  medianMs: number | null;
  iterations: number;
  /** CP: relative error after each iteration; fit: training loss before each step (compared across backends). */
  trace?: number[];
  note?: string;
}
const rows: Row[] = [];

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Durations between consecutive callback times, without the first `warm` iterations. */
function perIteration(stamps: number[], start: number, warm: number): number[] {
  const d = stamps.map((s, i) => s - (i === 0 ? start : stamps[i - 1]));
  return d.slice(warm);
}

/** Planted rank-R n³ tensor (unit weights, N(0,1) factors) plus N(0, 0.5²·R) noise: relative error ≈ 0.45. */
function plantedCube(n: number, rank: number): tf.Tensor {
  const g = rng(42);
  const factors = [0, 1, 2].map(() => Array.from({ length: n }, () => Array.from({ length: rank }, () => g.normal())));
  const cp = CPTensor.fromArrays(new Array(rank).fill(1), factors);
  const x = tf.tidy(() => tf.add(cp.full(), randomNormal([n, n, n], 43, { std: 0.5 * Math.sqrt(rank) })));
  cp.dispose();
  return x;
}

async function benchCp(backend: string, n: number, rank: number): Promise<void> {
  const it = ITERS[backend];
  const x = plantedCube(n, rank);
  await x.data(); // materialized on the backend before timing
  const stamps: number[] = [];
  const start = performance.now();
  const res = await cpAls(x, { rank, maxIter: it.cp, tol: 0, seed: 1, onProgress: () => void stamps.push(performance.now()) });
  const per = perIteration(stamps, start, it.warm);
  const ms = median(per);
  console.log(`  CP-ALS ${n}³ R=${rank}: ${fmtMs(ms)} ms/iteration (median of ${per.length}; relError ${res.relError.toFixed(3)}; first iteration ${fmtMs(stamps[0] - start)} ms)`);
  rows.push({ workload: 'CP-ALS iteration', size: `${n}³, R=${rank}`, backend, medianMs: ms, iterations: per.length, trace: res.history.slice(), note: `relError ${res.relError.toFixed(4)}` });
  res.cp.dispose();
  x.dispose();
}

async function benchFit(backend: string, latent: number, rank: number): Promise<void> {
  const it = ITERS[backend];
  const { trials, steps, neurons, inputs: dIn } = FIT;
  const cell = new LowTensorRankCell({ size: latent, trials, rank, inputSize: dIn, outputSize: neurons, readout: 'linear', seed: 1 });
  const inputs = randomNormal([steps, trials, dIn], 2);
  const recording = randomNormal([steps, trials, neurons], 3);
  const stamps: number[] = [];
  const start = performance.now();
  const res = await train({
    variables: cell.variables(),
    loss: () => tf.tidy(() => mse(simulate(cell, { inputs }).outputs as tf.Tensor, recording)),
    steps: it.fit,
    learningRate: 1e-3,
    onStep: () => void stamps.push(performance.now()),
  });
  const per = perIteration(stamps, start, it.warm);
  const ms = median(per);
  console.log(`  ltrRNN fit iteration, latent ${latent}, R=${rank}, K=${trials}, T=${steps}, ${neurons} neurons: ${fmtMs(ms)} ms (median of ${per.length}; loss ${res.history.loss[0].toFixed(4)} → ${res.finalLoss?.toFixed(4)}; first ${fmtMs(stamps[0] - start)} ms)`);
  rows.push({ workload: 'ltrRNN fit iteration', size: `latent ${latent}, R=${rank}, K=${trials}, T=${steps}, ${neurons} neurons`, backend, medianMs: ms, iterations: per.length, trace: res.history.loss.slice() });
  inputs.dispose();
  recording.dispose();
  cell.dispose();
}

// ---- run --------------------------------------------------------------------------------------
const infos: Record<string, BackendInfo | string> = {};
const failures: string[] = [];

/** Runs one measurement; a failure is recorded and the run goes on. Saves what exists so far. */
async function attempt(key: string, backend: string, f: () => Promise<void>): Promise<void> {
  const before = tf.memory().numTensors;
  try {
    await f();
  } catch (e) {
    const msg = `${backend} ${key}: ${(e as { code?: string }).code ?? ''} ${(e as Error).message}`;
    console.log(`  FAILED ${msg}`);
    failures.push(msg);
  }
  const left = tf.memory().numTensors - before;
  if (left !== 0) failures.push(`${backend} ${key}: ${left} tensors left`);
  save(false);
}

function save(final: boolean): void {
  if (!outDir) return;
  mkdirSync(outDir, { recursive: true });
  const payload = { name: 'gpu', date: new Date().toISOString(), final, machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version }, results: { tiny, backends: infos, fit: FIT, rows, ratios: computeRatios(), agreement: computeAgreement(), failures, seconds: elapsedS() } };
  writeFileSync(join(outDir, tiny ? 'gpu-tiny.json' : 'gpu.json'), JSON.stringify(payload, null, 2) + '\n');
}

function rowOf(backend: string, workload: string, sizePrefix: string): Row | undefined {
  return rows.find((r) => r.backend === backend && r.workload === workload && r.size.startsWith(sizePrefix));
}
function groups(): { workload: string; sizePrefix: string; size: string }[] {
  const keys = [...new Set(rows.map((r) => `${r.workload}|${r.size.split(',').slice(0, 2).join(',')}`))];
  return keys.map((k) => {
    const [workload, sizePrefix] = k.split('|');
    return { workload, sizePrefix, size: rows.find((r) => r.workload === workload && r.size.startsWith(sizePrefix))!.size };
  });
}
function computeRatios(): { workload: string; size: string; wasmMs: number; webgpuMs: number; speedup: number }[] {
  const out = [];
  for (const { workload, sizePrefix, size } of groups()) {
    const wg = rowOf('webgpu', workload, sizePrefix)?.medianMs ?? null;
    const wa = rowOf('wasm', workload, sizePrefix)?.medianMs ?? null;
    if (wg !== null && wa !== null) out.push({ workload, size, wasmMs: wa, webgpuMs: wg, speedup: wa / wg });
  }
  return out;
}
/** Same seeds, same algorithm: webgpu's trace (relError or loss per iteration) against wasm's, over the iterations both ran. */
function computeAgreement(): { workload: string; size: string; maxRelDiff: number }[] {
  const out = [];
  for (const { workload, sizePrefix, size } of groups()) {
    const a = rowOf('webgpu', workload, sizePrefix)?.trace;
    const b = rowOf('wasm', workload, sizePrefix)?.trace;
    if (!a || !b) continue;
    let worst = 0;
    for (let i = 0; i < Math.min(a.length, b.length); i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.abs(b[i]));
    out.push({ workload, size, maxRelDiff: worst });
  }
  return out;
}
console.log(`gpu.bench${tiny ? ' (--tiny)' : ''}: backends ${backends.join(', ')}; node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}`);
for (const backend of backends) {
  try {
    const info = await useBackend(backend, backend === 'webgpu' ? { webgpuFlags } : undefined);
    infos[backend] = info;
    const g = info.gpu;
    console.log(`\n## ${backend}${g ? `: ${[g.vendor, g.architecture, g.device, g.description].filter(Boolean).join(' / ')}${g.software ? ' (software adapter)' : ''}, maxStorageBufferBindingSize ${(g.limits.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB` : info.simd ? ' (SIMD, 1 thread)' : ''}`);
  } catch (e) {
    infos[backend] = `unavailable: ${(e as Error).message}`;
    console.log(`\n## ${backend}: SKIPPED — ${(e as Error).message}`);
    if (backend === 'webgpu' && !tiny) {
      console.log('No WebGPU adapter: nothing to compare against wasm, so nothing is measured (run with --tiny to check the script).');
      process.exit(0);
    }
    continue;
  }
  // The largest sizes (the targets) first, so that a time budget only ever drops the small ones.
  const plan = [
    { key: `cp${CP_SIZES[1].n}`, label: `CP-ALS ${CP_SIZES[1].n}³`, workload: 'CP-ALS iteration', size: `${CP_SIZES[1].n}³, R=${CP_SIZES[1].rank}`, run: () => benchCp(backend, CP_SIZES[1].n, CP_SIZES[1].rank) },
    { key: `fit${FIT_SIZES[1].latent}`, label: `fit latent ${FIT_SIZES[1].latent}`, workload: 'ltrRNN fit iteration', size: `latent ${FIT_SIZES[1].latent}, R=${FIT_SIZES[1].rank}`, run: () => benchFit(backend, FIT_SIZES[1].latent, FIT_SIZES[1].rank) },
    { key: `cp${CP_SIZES[0].n}`, label: `CP-ALS ${CP_SIZES[0].n}³`, workload: 'CP-ALS iteration', size: `${CP_SIZES[0].n}³, R=${CP_SIZES[0].rank}`, run: () => benchCp(backend, CP_SIZES[0].n, CP_SIZES[0].rank) },
    { key: `fit${FIT_SIZES[0].latent}`, label: `fit latent ${FIT_SIZES[0].latent}`, workload: 'ltrRNN fit iteration', size: `latent ${FIT_SIZES[0].latent}, R=${FIT_SIZES[0].rank}`, run: () => benchFit(backend, FIT_SIZES[0].latent, FIT_SIZES[0].rank) },
  ];
  for (const m of plan) {
    if (!wanted(m.key)) continue;
    if (backend !== 'webgpu' && elapsedS() > budgetS) {
      console.log(`  ${m.label}: skipped (time budget ${budgetS} s used)`);
      rows.push({ workload: m.workload, size: m.size, backend, medianMs: null, iterations: 0, note: 'skipped: time budget' });
      continue;
    }
    await attempt(m.key, backend, m.run);
  }
  console.log(`  (tensors alive: ${tf.memory().numTensors}; ${elapsedS().toFixed(0)} s so far)`);
}

// ---- table, ratios, agreement ----------------------------------------------------------------------
console.log(`\n| workload | size | ${backends.join(' ms | ')} ms | wasm / webgpu |`);
console.log(`| --- | --- | ${backends.map(() => '---').join(' | ')} | --- |`);
const ratios = computeRatios();
for (const { workload, sizePrefix, size } of groups()) {
  const r = ratios.find((q) => q.workload === workload && q.size === size);
  const cell = (b: string): string => {
    const ms = rowOf(b, workload, sizePrefix)?.medianMs;
    return ms != null ? fmtMs(ms) : '—';
  };
  console.log(`| ${workload} | ${size} | ${backends.map(cell).join(' | ')} | ${r ? `${r.speedup.toFixed(1)}×` : '—'} |`);
}
const agreement = computeAgreement();
for (const a of agreement) console.log(`agreement webgpu vs wasm, ${a.workload} ${a.size}: max relative difference of the per-iteration ${a.workload.startsWith('CP') ? 'relative error' : 'loss'} ${a.maxRelDiff.toExponential(2)}`);
if (failures.length > 0) console.log(`\nFAILURES:\n${failures.join('\n')}`);

const result = { tiny, backends: infos, fit: FIT, rows, ratios, agreement, failures, seconds: elapsedS(), backendAtEnd: backendInfo().name };
console.log(`\nwrote ${writeResults(tiny ? 'gpu-tiny' : 'gpu', result)}`);
save(true);
if (outDir) console.log(`wrote ${join(outDir, tiny ? 'gpu-tiny.json' : 'gpu.json')}`);
console.log(`total ${elapsedS().toFixed(0)} s`);
process.exit(failures.length === 0 ? 0 : 1);
