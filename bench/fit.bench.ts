/**
 * Benchmark: seconds per training iteration of `fitLtrRNN` (forward over all trials, loss,
 * backward, Adam step, decoder retraction) at the reference implementation's scale — 50 time
 * bins, 250 trials, 100 neurons, latent 200, rank 5 — and at latent 50, on cpu and wasm; and where
 * the time goes.
 *
 *   npm run build && node --import tsx bench/fit.bench.ts [--quick]
 *
 * - Per iteration: (time of a fit with 3 + m iterations − time with 3) / m, median of 3 such
 *   differences (setup, the data-driven initialization and the final evaluation cancel out).
 * - Forward: `fit.predict()` (the unroll over all trials + the decoder), median of 5.
 * - Breakdown: kernel time of 2 steady-state iterations from `tf.profile` (a 3-iteration fit minus a
 *   1-iteration fit), by what the kernel works on: the recurrent unroll (forward and hand-written
 *   backward, per-step K×N / K×R operands), the decoder ((T·K) × N ↔ (T·K) × D products), the loss
 *   (T × K × D elementwise and sums), the trial prior (K × K products), and the rest (Adam, gradient
 *   norms, penalties, factor normalization). JS overhead is the gap between the sum and the wall time.
 * - Latent 200 > 100 neurons, so that model uses the linear decoder (the orthogonal one needs
 *   latentDim ≤ neurons); latent 50 uses the default orthogonal decoder.
 * Writes bench/results/fit.json.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fitLtrRNN, useBackend, type FitLtrRNNOptions } from '../dist/index.js';
import { makeTeacher } from '../test/fit/teacher';
import { fmtMs, measure, writeResults } from './lib';

const quick = process.argv.includes('--quick');
const [T, K, D] = [50, 250, 100];
const teacher = makeTeacher({ rank: 3, latentDim: 30, epochs: [84, 83, 83], bins: T, conditions: 8, neurons: D, noise: 0.2, seed: 11 });
const data = { data: teacher.data, shape: teacher.shape };
const epochs = teacher.epochs;

const configs = [
  { name: 'reference scale: latent 200, rank 5 (linear decoder)', options: { rank: 5, latentDim: 200, decoder: 'linear' as const } },
  { name: 'latent 50, rank 5 (orthogonal decoder)', options: { rank: 5, latentDim: 50 } },
];

function optionsFor(extra: Partial<FitLtrRNNOptions>, iterations: number): FitLtrRNNOptions {
  return { conditions: teacher.conditions, epochs, discontinuousAtEpochs: true, iterations, earlyStopping: false, learningRate: 1e-3, seed: 1, ...extra };
}

async function timeFit(options: FitLtrRNNOptions): Promise<number> {
  const t0 = performance.now();
  const fit = await fitLtrRNN(data, options);
  const ms = performance.now() - t0;
  fit.dispose();
  return ms;
}

type Category = 'unroll' | 'decoder' | 'loss' | 'prior' | 'other';

function categorize(name: string, shapes: number[][], n: number): Category | null {
  if (name === 'unnamed scope') return null; // a custom gradient's forward: its kernels are listed too
  const has = (d: number[]): boolean => shapes.some((s) => s.length === d.length && s.every((v, i) => v === d[i]));
  if (name === 'BatchMatMul' && has([K, K])) return 'prior';
  if (name === 'BatchMatMul' && (has([T * K, n]) || has([n, T * K])) && (has([n, D]) || has([D, n]) || has([T * K, D]))) return 'decoder';
  if (has([T, K, D]) || has([T * K, D])) return 'loss';
  if (has([K, n]) || has([T, K * n]) || has([T - 1, K * n]) || has([(T - 1) * K, n]) || has([T * K, n]) || has([T, K, n]) || has([1, T]) || has([1, T - 1])) return 'unroll';
  return 'other';
}

async function breakdown(extra: Partial<FitLtrRNNOptions>, n: number): Promise<Record<Category, number>> {
  const profileOf = async (iterations: number): Promise<Record<Category, number>> => {
    const out: Record<Category, number> = { unroll: 0, decoder: 0, loss: 0, prior: 0, other: 0 };
    const info = await tf.profile(async () => {
      const fit = await fitLtrRNN(data, optionsFor(extra, iterations));
      fit.dispose();
    });
    for (const k of info.kernels) {
      const c = categorize(k.name, k.inputShapes as number[][], n);
      if (c !== null) out[c] += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    }
    return out;
  };
  const one = await profileOf(1);
  const three = await profileOf(3);
  const per: Record<Category, number> = { unroll: 0, decoder: 0, loss: 0, prior: 0, other: 0 };
  for (const key of Object.keys(per) as Category[]) per[key] = Math.max(0, (three[key] - one[key]) / 2);
  return per;
}

const results: Record<string, unknown>[] = [];
for (const backend of ['wasm', 'cpu'] as const) {
  const info = await useBackend(backend);
  console.log(`\n## ${backend}${info.simd ? ' (SIMD)' : ''}: T = ${T}, K = ${K}, D = ${D}`);
  console.log('| model | s / iteration | forward (predict) | unroll | decoder | loss | prior | rest | JS + sync |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const cfg of configs) {
    const n = cfg.options.latentDim;
    const m = backend === 'cpu' ? (n > 100 ? 2 : 3) : quick ? 3 : 8;
    const reps = backend === 'cpu' || quick ? 1 : 3;
    await timeFit(optionsFor(cfg.options, 1)); // warm-up
    const diffs: number[] = [];
    for (let i = 0; i < reps; i++) {
      const a = await timeFit(optionsFor(cfg.options, 3));
      const b = await timeFit(optionsFor(cfg.options, 3 + m));
      diffs.push((b - a) / m);
    }
    diffs.sort((x, y) => x - y);
    const perIter = diffs[Math.floor(diffs.length / 2)];
    const fit = await fitLtrRNN(data, optionsFor(cfg.options, 1));
    const fwd = await measure(
      async () => {
        const y = fit.predict();
        await y.data();
        y.dispose();
      },
      { warmup: 1, reps: backend === 'cpu' ? 2 : 5 },
    );
    fit.dispose();
    const parts = await breakdown(cfg.options, n);
    const kernelSum = Object.values(parts).reduce((x, y) => x + y, 0);
    const js = Math.max(0, perIter - kernelSum);
    console.log(
      `| ${cfg.name} | ${(perIter / 1000).toFixed(3)} | ${fmtMs(fwd.medianMs)} ms | ${fmtMs(parts.unroll)} ms | ${fmtMs(parts.decoder)} ms | ${fmtMs(parts.loss)} ms | ${fmtMs(parts.prior)} ms | ${fmtMs(parts.other)} ms | ${fmtMs(js)} ms |`,
    );
    results.push({ backend, simd: info.simd, model: cfg.name, T, K, D, latentDim: n, rank: 5, secondsPerIteration: perIter / 1000, iterationsTimed: m * reps, forwardMs: fwd.medianMs, kernelMsPerIteration: parts, jsAndSyncMs: js });
  }
}
const file = writeResults('fit', results);
console.log(`\nwrote ${file}`);
