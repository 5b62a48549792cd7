/**
 * Benchmark: CP-ALS seconds per iteration on cpu and wasm for 100×100×100 R=10, 200×200×200 R=10
 * and 50×250×100 R=5, against a plain NumPy ALS (bench/baselines/cp_als_numpy.py, run with its
 * default BLAS threads and with one thread; skipped with a message when python3/NumPy is
 * absent); plus MTTKRP timed both ways (forming the Khatri–Rao product vs the two-step
 * contraction) to justify `mttkrp`'s default, and where an iteration's time goes (MTTKRP vs the
 * rest: host Grams, R×R solves, reads/uploads and the fit).
 *
 *   npm run build && node --import tsx bench/cp.bench.ts
 *
 * Writes bench/results/cp.json. All ratios are taken within this one run.
 */
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CPTensor, cpAls, khatriRao, mttkrp, rng, useBackend, solveSpd } from '../dist/index.js';
import { fmtMs, measure, writeResults } from './lib';

const here = dirname(fileURLToPath(import.meta.url));
const SIZES: { shape: [number, number, number]; rank: number }[] = [
  { shape: [100, 100, 100], rank: 10 },
  { shape: [200, 200, 200], rank: 10 },
  { shape: [50, 250, 100], rank: 5 },
];
const BACKENDS = ['cpu', 'wasm'] as const;
const ALS_ITERS = Number(process.env.CP_BENCH_ITERS ?? 10);

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Planted rank-R tensor plus 10 % Gaussian noise, identical on every backend. */
function plantedTensor(shape: number[], rank: number): tf.Tensor {
  const g = rng(42);
  const cp = CPTensor.fromArrays(new Array(rank).fill(1), shape.map((n) => Array.from({ length: n }, () => Array.from({ length: rank }, () => g.normal()))));
  const full = cp.full();
  cp.dispose();
  const x = tf.tidy(() => {
    const std = tf.sqrt(tf.mean(tf.square(full)));
    return tf.add(full, tf.mul(tf.tensor(Float32Array.from(g.normalArray(full.size)), full.shape), tf.mul(std, 0.1)));
  });
  full.dispose();
  return x;
}

interface MttkrpRow { backend: string; shape: number[]; rank: number; mode: number; khatriRaoMs: number; contractionMs: number; autoMs: number; rightOperandMs: number | null }
interface AlsRow { backend: string; shape: number[]; rank: number; secondsPerIteration: number; minSecondsPerIteration: number; mttkrpSeconds: number; hostSeconds: number; mttkrpSumOfMedianOpsSeconds: number; iterations: number }

const mttkrpRows: MttkrpRow[] = [];
const alsRows: AlsRow[] = [];

// NumPy baseline (run per size, right after ours, so that both see the same machine load).
interface NumpyRow { shape: number[]; rank: number; threads: string; secondsPerIteration: number; mttkrpSeconds: number; numpy: string }
const numpy: NumpyRow[] = [];
let numpyNote = '';
const probe = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
if (probe.status !== 0) {
  numpyNote = 'NumPy baseline skipped: `python3 -c "import numpy"` failed (install Python 3 and NumPy to compare).';
  console.log(numpyNote);
}
function runNumpy(shape: number[], rank: number, threads: 'default' | '1'): void {
  if (probe.status !== 0) return;
  const env = { ...process.env };
  if (threads === '1') Object.assign(env, { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' });
  const r = spawnSync('python3', [join(here, 'baselines', 'cp_als_numpy.py'), ...shape.map(String), String(rank)], { encoding: 'utf8', env });
  if (r.status !== 0) {
    numpyNote = `NumPy baseline failed: ${r.stderr.trim().split('\n').pop()}`;
    console.log(numpyNote);
    return;
  }
  const row = JSON.parse(r.stdout.trim().split('\n').pop()!);
  numpy.push({ shape, rank, threads, secondsPerIteration: row.secondsPerIteration, mttkrpSeconds: row.mttkrpSeconds, numpy: row.numpy });
  console.log(`numpy (${threads === '1' ? '1 thread' : 'default threads'}) ${shape.join('×')} R=${rank}: ${fmtMs(row.secondsPerIteration * 1000)} ms/iteration (MTTKRP ${fmtMs(row.mttkrpSeconds * 1000)} ms)`);
}

const loadBefore = os.loadavg();
for (const { shape, rank } of SIZES) {
  runNumpy(shape, rank, 'default');
  runNumpy(shape, rank, '1');
  for (const backend of BACKENDS) {
    await useBackend(backend);
    const x = plantedTensor(shape, rank);
    const g = rng(7);
    const factors = shape.map((n) => tf.tensor2d(Float32Array.from(g.normalArray(n * rank)), [n, rank]));
    const reps = backend === 'cpu' && shape[0] === 200 ? 3 : 5;
    // What cpAls runs: the contraction, with its private copy of x as matMul's right operand in the last mode.
    const priv = tf.mul(x, 1);
    const [L, I] = [shape[0] * shape[1], shape[2]];
    let alsMttkrpMs = 0;
    for (let m = 0; m < 3; m++) {
      const t: Record<string, number> = {};
      for (const method of ['khatri-rao', 'contraction', 'auto'] as const) {
        const timing = await measure(async () => {
          const r = mttkrp(x, factors, m, method);
          await r.data();
          r.dispose();
        }, { warmup: 1, reps });
        t[method] = timing.medianMs;
      }
      let rightOperandMs: number | null = null;
      if (m === 2) {
        rightOperandMs = (await measure(async () => {
          const r = tf.tidy(() => tf.transpose(tf.matMul(tf.transpose(khatriRao([factors[0], factors[1]])), tf.reshape(priv, [L, I]))));
          await r.data();
          r.dispose();
        }, { warmup: 1, reps })).medianMs;
      }
      alsMttkrpMs += rightOperandMs ?? t.contraction;
      mttkrpRows.push({ backend, shape, rank, mode: m, khatriRaoMs: t['khatri-rao'], contractionMs: t.contraction, autoMs: t.auto, rightOperandMs });
    }
    // Where an iteration's time goes: a replica of cpAls's loop (same ops, same order: dimension
    // tree for modes 0–1, right-operand pass for mode 2), each phase timed in sequence — MTTKRP
    // on the backend (+ reading its I_m × R result), host work (R×R Hadamard of Grams, SPD solve,
    // normalization, Gram of the new factor, upload).
    const phases = { mttkrp: [] as number[], host: [] as number[] };
    {
      const hostF = shape.map((n) => Float64Array.from(g.normalArray(n * rank)));
      const dev = hostF.map((f, n) => tf.tensor2d(Float32Array.from(f), [shape[n], rank]));
      const gram = (f: Float64Array, n: number): Float64Array => {
        const out = new Float64Array(rank * rank);
        for (let i = 0; i < n; i++) for (let a = 0; a < rank; a++) for (let b = 0; b < rank; b++) out[a * rank + b] += f[i * rank + a] * f[i * rank + b];
        return out;
      };
      const grams = hostF.map((f, n) => gram(f, shape[n]));
      for (let it = 0; it < 6; it++) {
        let tm = 0;
        let th = 0;
        // Dimension tree, as in cpAls: Y = x ×₂ F₂ once per sweep, modes 0 and 1 from Y.
        const t0 = performance.now();
        let y: tf.Tensor | null = tf.tidy(() => tf.reshape(tf.matMul(tf.reshape(priv, [L, I]), dev[2]), [shape[0], shape[1], rank]));
        tm += performance.now() - t0;
        for (let m = 0; m < 3; m++) {
          let t = performance.now();
          const yy = y;
          const mt =
            m === 0 && yy ? tf.tidy(() => tf.sum(tf.mul(yy, tf.reshape(dev[1], [1, shape[1], rank])), 1) as tf.Tensor2D)
            : m === 1 && yy ? tf.tidy(() => tf.sum(tf.mul(yy, tf.reshape(dev[0], [shape[0], 1, rank])), 0) as tf.Tensor2D)
            : tf.tidy(() => tf.transpose(tf.matMul(tf.transpose(khatriRao([dev[0], dev[1]])), tf.reshape(priv, [L, I]))) as tf.Tensor2D);
          if (m === 1) {
            y?.dispose();
            y = null;
          }
          const md = await mt.data();
          mt.dispose();
          tm += performance.now() - t;
          t = performance.now();
          const im = shape[m];
          const v = new Float64Array(rank * rank).fill(1);
          for (let n = 0; n < 3; n++) if (n !== m) for (let k = 0; k < rank * rank; k++) v[k] *= grams[n][k];
          const rhs = new Float64Array(rank * im);
          for (let i = 0; i < im; i++) for (let k = 0; k < rank; k++) rhs[k * im + i] = md[i * rank + k];
          const sol = solveSpd({ rows: rank, cols: rank, data: v }, { rows: rank, cols: im, data: rhs });
          const f = new Float64Array(im * rank);
          for (let i = 0; i < im; i++) for (let k = 0; k < rank; k++) f[i * rank + k] = sol.data[k * im + i];
          const norms = new Float64Array(rank);
          for (let i = 0; i < im; i++) for (let k = 0; k < rank; k++) norms[k] += f[i * rank + k] ** 2;
          for (let i = 0; i < im; i++) for (let k = 0; k < rank; k++) f[i * rank + k] /= Math.sqrt(norms[k]) || 1;
          grams[m] = gram(f, im);
          dev[m].dispose();
          dev[m] = tf.tensor2d(Float32Array.from(f), [im, rank]);
          th += performance.now() - t;
        }
        if (it > 0) {
          phases.mttkrp.push(tm);
          phases.host.push(th);
        }
      }
      dev.forEach((d) => d.dispose());
    }
    priv.dispose();
    // Full ALS iterations, timed between onProgress calls.
    const stamps: number[] = [];
    const t0 = performance.now();
    const res = await cpAls(x, { rank, maxIter: ALS_ITERS, tol: 0, seed: 1, onProgress: () => stamps.push(performance.now()) });
    res.cp.dispose();
    const iterMs = stamps.map((s, i) => s - (i === 0 ? t0 : stamps[i - 1])).slice(1);
    const perIter = median(iterMs) / 1000;
    const mttkrpSec = median(phases.mttkrp) / 1000;
    const hostSec = median(phases.host) / 1000;
    alsRows.push({ backend, shape, rank, secondsPerIteration: perIter, minSecondsPerIteration: Math.min(...iterMs) / 1000, mttkrpSeconds: mttkrpSec, hostSeconds: hostSec, mttkrpSumOfMedianOpsSeconds: alsMttkrpMs / 1000, iterations: iterMs.length });
    x.dispose();
    factors.forEach((f) => f.dispose());
    console.log(`${backend} ${shape.join('×')} R=${rank}: ${fmtMs(perIter * 1000)} ms/iteration; replica: MTTKRP ${fmtMs(mttkrpSec * 1000)} ms, host ${fmtMs(hostSec * 1000)} ms`);
  }
}
const loadAfter = os.loadavg();

console.log('\nMTTKRP, ms (median): forming the Khatri–Rao product vs two-step contraction; auto = mttkrp default;');
console.log('right-operand = the last-mode form cpAls uses on its private copy of x (cpAls computes modes 0 … N−2 from one partial contraction: see the replica)');
console.log('backend  shape          R   mode  khatri-rao  contraction        auto  right-operand');
for (const r of mttkrpRows) {
  console.log(`${r.backend.padEnd(8)} ${r.shape.join('×').padEnd(14)} ${String(r.rank).padEnd(3)} ${String(r.mode).padEnd(5)} ${fmtMs(r.khatriRaoMs).padStart(10)} ${fmtMs(r.contractionMs).padStart(12)} ${fmtMs(r.autoMs).padStart(11)} ${r.rightOperandMs === null ? '' : fmtMs(r.rightOperandMs).padStart(14)}`);
}

console.log('\nCP-ALS, seconds per iteration (median)');
console.log('(MTTKRP, host: one iteration of a replica of the cpAls loop, phases timed in sequence)');
console.log('backend  shape          R   ours      MTTKRP    host      numpy     ours/numpy  numpy-1T  ours/numpy-1T');
const ratios: { backend: string; shape: number[]; rank: number; oursOverNumpy: number | null; oursOverNumpy1Thread: number | null }[] = [];
const fmtS = (v: number | undefined): string => (v === undefined ? 'n/a' : v.toFixed(4)).padEnd(9);
for (const r of alsRows) {
  const np = numpy.find((n) => n.shape.join() === r.shape.join() && n.rank === r.rank && n.threads === 'default');
  const np1 = numpy.find((n) => n.shape.join() === r.shape.join() && n.rank === r.rank && n.threads === '1');
  const ratio = np ? r.secondsPerIteration / np.secondsPerIteration : null;
  const ratio1 = np1 ? r.secondsPerIteration / np1.secondsPerIteration : null;
  ratios.push({ backend: r.backend, shape: r.shape, rank: r.rank, oursOverNumpy: ratio, oursOverNumpy1Thread: ratio1 });
  console.log(`${r.backend.padEnd(8)} ${r.shape.join('×').padEnd(14)} ${String(r.rank).padEnd(3)} ${fmtS(r.secondsPerIteration)} ${fmtS(r.mttkrpSeconds)} ${fmtS(r.hostSeconds)} ${fmtS(np?.secondsPerIteration)} ${(ratio === null ? 'n/a' : ratio.toFixed(2)).padEnd(11)} ${fmtS(np1?.secondsPerIteration)} ${ratio1 === null ? 'n/a' : ratio1.toFixed(2)}`);
}
console.log(`load average (1 min) before/after: ${loadBefore[0].toFixed(2)} / ${loadAfter[0].toFixed(2)} on ${os.cpus().length} cores`);
const target = ratios.find((r) => r.backend === 'wasm' && r.shape.join() === '200,200,200');
const best = target ? [target.oursOverNumpy, target.oursOverNumpy1Thread].filter((v): v is number => v !== null) : [];
if (best.length > 0) {
  const worst = Math.max(...best); // against the faster NumPy configuration
  console.log(`\ntarget (wasm within 2× of NumPy at 200³ R=10, against the faster NumPy run): ${worst.toFixed(2)}× → ${worst <= 2 ? 'met' : 'NOT met'}`);
}

const file = writeResults('cp', { mttkrp: mttkrpRows, als: alsRows, numpy, numpyNote, ratios, loadAverage: { before: loadBefore, after: loadAfter } });
console.log(`wrote ${file}`);
