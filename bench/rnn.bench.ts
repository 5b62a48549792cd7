/**
 * Benchmark: forward + backward of a 50-step unroll of a low-tensor-rank RNN, with the factored
 * drive Â·(C ⊙ (φ(X) B̂)) against the same model with W⁽ᵏ⁾ materialized (K × N × N built from the
 * factors, then one batched matMul per step — the paper's reference implementation's form,
 * `simulate(…, { drive: 'dense' })`), on cpu and wasm.
 *
 *   npm run build && node --import tsx bench/rnn.bench.ts
 *
 * 1. K = 250 trials, N = 200 units, R = 5, d_in = 3, 50 steps (the issue's size; target ≥ 10×).
 *    Loss: mean of squared rates; gradients of every trainable variable (tf.variableGrads).
 *    Factored: median of 5 timed runs after one warm-up; dense: median of 2 timed runs (each
 *    takes tens of seconds on cpu). On wasm the 50-step dense run does not fit: tfjs's tape
 *    keeps a copy of each step's operands (the wasm backend's clone copies), i.e. 40 MB of W per
 *    step, and the 4 GB wasm heap runs out during the backward pass. That failure is shown by
 *    running it once in a child process; the wasm ratio is then measured at 10 steps.
 * 2. N = 1000, K = 1000, R = 10: the dense tensor would hold 10⁹ numbers (4 GB); the library
 *    refuses it (LtrError 'limit-exceeded' above `maxDenseElements`, default 2²⁷) before
 *    building anything. The factored forward + backward is timed once (no warm-up).
 * Writes bench/results/rnn.json.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { LowTensorRankCell, randomNormal, simulate, useBackend } from '../dist/index.js';
import { fmtMs, measure, writeResults, type Timing } from './lib';

type Drive = 'factored' | 'dense';

function make(k: number, n: number, r: number, dIn: number, steps: number): { cell: LowTensorRankCell; inputs: tf.Tensor; dispose(): void } {
  const cell = new LowTensorRankCell({ size: n, trials: k, rank: r, inputSize: dIn, seed: 1 });
  const inputs = randomNormal([steps, k, dIn], 2);
  return { cell, inputs, dispose: () => (inputs.dispose(), cell.dispose()) };
}

/** One forward + backward pass; resolves once the backend has finished. */
async function forwardBackward(cell: LowTensorRankCell, inputs: tf.Tensor, drive: Drive): Promise<void> {
  const { value, grads } = tf.variableGrads(() => tf.tidy(() => tf.mean(tf.square(simulate(cell, { inputs, drive }).rates))) as tf.Scalar, cell.variables());
  await value.data();
  value.dispose();
  tf.dispose(Object.values(grads));
}

// ---- child mode: one dense 50-step run on wasm, to show how it fails
if (process.argv[2] === '--child-dense-wasm') {
  await useBackend('wasm');
  const m = make(250, 200, 5, 3, 50);
  await forwardBackward(m.cell, m.inputs, 'dense');
  console.log('CHILD-OK');
  process.exit(0);
}

const results: Record<string, unknown>[] = [];
const line = (s: string): void => console.log(s);

for (const backend of ['cpu', 'wasm'] as const) {
  const info = await useBackend(backend);
  line(`\n## ${backend}${info.simd ? ' (SIMD)' : ''}: forward + backward`);
  const [k, n, r, dIn] = [250, 200, 5, 3];
  const steps = backend === 'cpu' ? 50 : 10;
  if (backend === 'wasm') {
    const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child-dense-wasm'], { encoding: 'utf8', timeout: 240_000 });
    const out = `${child.stdout}\n${child.stderr}`;
    const reason = out.includes('CHILD-OK') ? 'ran' : (out.match(/RuntimeError: [^\n]*/)?.[0] ?? `exit ${child.status ?? child.signal}`);
    line(`K=${k} N=${n} R=${r}, 50 steps, dense on wasm: ${reason === 'ran' ? 'ran' : `fails — ${reason} (wasm heap is 4 GB; the tape keeps a 40 MB copy of W per step)`}`);
    results.push({ backend, k, n, r, dIn, steps: 50, dense: reason });
  }
  {
    const m = make(k, n, r, dIn, steps);
    const factored = await measure(() => forwardBackward(m.cell, m.inputs, 'factored'), { warmup: 1, reps: 5 });
    const dense = await measure(() => forwardBackward(m.cell, m.inputs, 'dense'), { warmup: 0, reps: 2 });
    const ratio = dense.medianMs / factored.medianMs;
    line(`K=${k} N=${n} R=${r} d_in=${dIn}, ${steps} steps: factored ${fmtMs(factored.medianMs)} ms, dense (K×N×N + batched matMul) ${fmtMs(dense.medianMs)} ms, ratio ${ratio.toFixed(1)}× (target ≥ 10×)`);
    results.push({ backend, k, n, r, dIn, steps, factored, dense, ratio });
    m.dispose();
    if (steps !== 50) {
      const m50 = make(k, n, r, dIn, 50);
      const f50 = await measure(() => forwardBackward(m50.cell, m50.inputs, 'factored'), { warmup: 1, reps: 5 });
      line(`K=${k} N=${n} R=${r} d_in=${dIn}, 50 steps: factored ${fmtMs(f50.medianMs)} ms`);
      results.push({ backend, k, n, r, dIn, steps: 50, factored: f50 });
      m50.dispose();
    }
  }
  {
    const [kb, nb, rb] = [1000, 1000, 10];
    const m = make(kb, nb, rb, dIn, 50);
    let dense = 'ran';
    const before = tf.memory().numTensors;
    try {
      await forwardBackward(m.cell, m.inputs, 'dense');
    } catch (e) {
      dense = `refused: LtrError '${(e as { code?: string }).code}' — ${(e as Error).message}`;
    }
    const left = tf.memory().numTensors - before;
    const factored: Timing = await measure(() => forwardBackward(m.cell, m.inputs, 'factored'), { warmup: 0, reps: 1 });
    line(`K=${kb} N=${nb} R=${rb} d_in=${dIn}, 50 steps: factored ${fmtMs(factored.medianMs)} ms (one run); dense ${dense} (tensors left: ${left})`);
    results.push({ backend, k: kb, n: nb, r: rb, dIn, steps: 50, factored, dense });
    m.dispose();
  }
}

line(`\nwrote ${writeResults('rnn', results)}`);
