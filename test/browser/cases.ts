/**
 * The cases every backend must agree on, in Node and in a browser: a CP-ALS fit of a planted
 * tensor, a low-tensor-rank RNN's simulation with the gradient of a readout loss, and a few Adam
 * steps of `train`. Each returns plain numbers (no tensors left behind), so that a browser page
 * can send them back to the test and the test can compare them with Node's cpu results.
 *
 * Imported by `test/backend/webgpu-node.test.ts` and `test/browser/browser.test.ts` (Node) and
 * bundled into the test page (`test/browser/page.ts`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { CPTensor, LowTensorRankCell, cpAls, mse, randomNormal, rng, simulate, train } from '../../src/index';

/** Named arrays of numbers a case produced. */
export type CaseResult = Record<string, number[]>;

/** CP-ALS, rank 3, 30 iterations, on a 12 × 10 × 8 tensor planted from seeded factors plus 1 % noise. */
export async function cpCase(): Promise<CaseResult> {
  const r = rng(11);
  const shape = [12, 10, 8];
  const factors = shape.map((n) => Array.from({ length: n }, () => Array.from({ length: 3 }, () => r.normal())));
  const planted = CPTensor.fromArrays([3, 2, 1], factors);
  // Entries have standard deviation √(9 + 4 + 1) ≈ 3.7; the noise is 1 % of that.
  const x = tf.tidy(() => tf.add(planted.full(), randomNormal(shape, 12, { std: 0.037 })));
  planted.dispose();
  const res = await cpAls(x, { rank: 3, maxIter: 30, tol: 0, seed: 1 });
  const full = res.cp.full();
  const values = Array.from(await full.data());
  full.dispose();
  res.cp.dispose();
  x.dispose();
  return { relError: [res.relError], reconstruction: values };
}

/**
 * An ltrRNN (N = 16, K = 6 trials, R = 2, 2 inputs, 3 outputs) simulated for 20 steps on all
 * trials: final states, outputs, and the gradient of the outputs' MSE to a fixed target with
 * respect to every trainable variable.
 */
export async function rnnCase(): Promise<CaseResult> {
  const cell = new LowTensorRankCell({ size: 16, trials: 6, rank: 2, inputSize: 2, outputSize: 3, seed: 3 });
  const inputs = randomNormal([20, 6, 2], 4);
  const target = randomNormal([20, 6, 3], 5, { std: 0.5 });
  const out: CaseResult = {};
  const sim = simulate(cell, { inputs });
  out.states = Array.from(await sim.states.data());
  out.outputs = Array.from(await (sim.outputs as tf.Tensor).data());
  sim.dispose();
  const named = cell.namedVariables();
  const trainable = Object.entries(named).filter(([, v]) => v.trainable);
  const { value, grads } = tf.variableGrads(() => tf.tidy(() => {
    const s = simulate(cell, { inputs });
    const l = mse(s.outputs as tf.Tensor, target);
    return l;
  }), trainable.map(([, v]) => v));
  out.loss = [(await value.data())[0]];
  for (const [k, v] of trainable) out[`grad.${k}`] = Array.from(await grads[v.name].data());
  value.dispose();
  tf.dispose(Object.values(grads));
  inputs.dispose();
  target.dispose();
  cell.dispose();
  return out;
}

/** Five Adam steps of `train` on the same ltrRNN's readout loss: the loss after each step. */
export async function trainCase(): Promise<CaseResult> {
  const cell = new LowTensorRankCell({ size: 16, trials: 6, rank: 2, inputSize: 2, outputSize: 3, seed: 3 });
  const inputs = randomNormal([20, 6, 2], 4);
  const target = randomNormal([20, 6, 3], 5, { std: 0.5 });
  const res = await train({
    variables: cell.variables(),
    loss: () => tf.tidy(() => mse(simulate(cell, { inputs }).outputs as tf.Tensor, target)),
    steps: 5,
    learningRate: 0.01,
  });
  inputs.dispose();
  target.dispose();
  cell.dispose();
  return { loss: res.history.loss.slice() };
}

/** Every case, by name. */
export const CASES = { cp: cpCase, rnn: rnnCase, train: trainCase } as const;

/** Name of a case. */
export type CaseName = keyof typeof CASES;

/** Runs the named cases (default all) on the active backend, one after another. */
export async function runCases(names: readonly CaseName[] = ['cp', 'rnn', 'train']): Promise<Record<string, CaseResult>> {
  const out: Record<string, CaseResult> = {};
  for (const n of names) out[n] = await CASES[n]();
  return out;
}

/**
 * Largest relative difference between two case results: for each named array,
 * max |a − b| / max |b| (b the reference), the worst over arrays. Also the name of the worst.
 */
export function compareResults(got: CaseResult, ref: CaseResult): { worst: number; at: string } {
  let worst = 0;
  let at = '';
  for (const [k, b] of Object.entries(ref)) {
    const a = got[k];
    if (a === undefined || a.length !== b.length) return { worst: Infinity, at: `${k} (missing or length ${a?.length} vs ${b.length})` };
    let num = 0;
    let den = 0;
    for (let i = 0; i < b.length; i++) {
      num = Math.max(num, Math.abs(a[i] - b[i]));
      den = Math.max(den, Math.abs(b[i]));
    }
    const rel = den === 0 ? num : num / den;
    if (!(rel <= worst)) {
      worst = rel;
      at = k;
    }
  }
  return { worst, at };
}
