/**
 * Gradients of a scalar loss through 50 simulated steps against central finite differences, for
 * each cell type and both readouts (the orthogonal one along both of its code paths), with
 * noise, Euler and Heun.
 *
 * How the check is made and why these numbers. Everything runs in float32, where a loss of size
 * ~1 carries round-off δ ≈ 1e-7–1e-6 after 50 steps. We compare directional derivatives along
 * one random unit direction v in the space of all trainable parameters (so every parameter is
 * exercised by a single pair of evaluations and the result is a scalar): autodiff gives ∇L·v
 * (the dot product taken in float64 on the host), finite differences give
 *   D(h) = (L(θ + h v) − L(θ − h v)) / 2h,
 * whose error is h²·L'''/6 (truncation) + δ/h (round-off). Richardson extrapolation
 * (4·D(h/2) − D(h))/3 cancels the h² term, leaving O(h⁴) + ~3δ/h; with h = 2e-2 that is
 * ≈ 1e-7 + 1e-4 relative to a derivative of size ~0.1–1. The tolerance is therefore 2e-3 relative
 * (or 2e-4 absolute for small derivatives): an order of magnitude above the float32 floor, and
 * orders of magnitude below what a wrong gradient (a missing term, a transposed factor) gives.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { randomNormal, rng, useBackend } from '../../src/backend';
import { FullRankCell, LowRankCell, LowTensorRankCell, simulate, type RnnCell, type SimulateOptions } from '../../src/rnn';
import { TEST_BACKENDS } from '../helpers/backends';

const STEPS = 50;

interface Case {
  name: string;
  make: () => RnnCell;
  sim: (cell: RnnCell) => SimulateOptions;
  /** Runs after the random move of the parameters. */
  prepare?: (cell: RnnCell) => void;
  /** relu: every state must stay this far from the kink at 0 (checked), so that L is smooth near θ. */
  kinkMargin?: number;
}

function inputs(t: number, b: number, d: number, seed: number): tf.Tensor {
  return randomNormal([t, b, d], seed, { std: 0.5 });
}

const cases: Case[] = [
  {
    name: 'full-rank, linear readout, Euler, noise, tanh',
    make: () => new FullRankCell({ size: 6, inputSize: 2, outputSize: 2, gain: 1.2, initialState: 'learned', seed: 1 }),
    sim: () => ({ batch: 3, noise: { sigma: 0.2, seed: 5 } }),
  },
  {
    name: 'low-rank, orthogonal readout (D < N: 2d×2d exponential), Heun, softplus',
    make: () => new LowRankCell({ size: 7, rank: 2, inputSize: 2, outputSize: 2, readout: 'orthogonal', activation: 'softplus', seed: 2 }),
    sim: () => ({ batch: 4, method: 'heun', noise: { sigma: 0.1, seed: 1 } }),
  },
  {
    name: 'low-tensor-rank, linear readout, trial selection, per-condition x0, inputs in span(A), relu',
    make: () =>
      new LowTensorRankCell({ size: 6, trials: 4, rank: 2, inputSize: 2, outputSize: 3, activation: 'tanh', inputInSpan: true, initialState: { type: 'per-condition', conditions: 2, scale: 0.5 }, seed: 3 }),
    sim: () => ({ trials: [0, 3, 1, 3, 2], conditions: [0, 1, 1, 0, 1], noise: { sigma: 0.1, seed: 2 } }),
  },
  {
    // relu is not differentiable at 0: finite differences across a kink measure nothing. A bias
    // of ±4 holds half of the units in the linear branch and half in the zero branch (checked
    // below), so both branches of relu's gradient are exercised on a locally smooth loss.
    name: 'full-rank, linear readout, relu (both branches, away from the kink), Euler',
    make: () => new FullRankCell({ size: 6, inputSize: 2, outputSize: 2, activation: 'relu', seed: 6 }),
    sim: () => ({ batch: 3, x0: [4, -4, 4, -4, 4, -4], noise: { sigma: 0.1, seed: 4 } }),
    prepare: (cell) => {
      const v = cell.namedVariables();
      tf.tidy(() => {
        v.recurrent.assign(tf.mul(v.recurrent, 0.1));
        v.bias.assign(tf.tensor1d([4, -4, 4, -4, 4, -4]));
      });
    },
    kinkMargin: 0.5,
  },
  {
    name: 'low-tensor-rank, orthogonal readout (D > N: full exponential), Heun, bias in span',
    make: () => new LowTensorRankCell({ size: 5, trials: 3, rank: 2, inputSize: 1, outputSize: 7, readout: 'orthogonal', biasInSpan: true, initialState: { type: 'learned', scale: 0.3 }, seed: 4 }),
    sim: () => ({ method: 'heun' }),
  },
  {
    name: 'low-tensor-rank, orthogonal readout (D < N), raw (non-normalized) factors, Euler',
    make: () => new LowTensorRankCell({ size: 8, trials: 3, rank: 3, inputSize: 2, outputSize: 2, readout: 'orthogonal', unitNormColumns: false, seed: 5 }),
    sim: () => ({ noise: { sigma: 0.05, seed: 3 } }),
  },
];

describe.each(TEST_BACKENDS)('gradients through %i steps on %s'.replace('%i', String(STEPS)), (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it.each(cases)('$name', async ({ make, sim, prepare, kinkMargin }) => {
    const cell = make();
    const r = rng(99);
    const params = cell.variables();
    // Move every parameter to a generic point (the orthogonal readout's skew starts at 0, B = A, …).
    for (const v of params) tf.tidy(() => v.assign(tf.add(v, randomNormal(v.shape, r, { std: 0.3 }))));
    prepare?.(cell);
    const base = sim(cell);
    const batch = base.trials?.length ?? base.batch ?? cell.trials ?? 1;
    const u = inputs(STEPS, batch, cell.inputSize, 7);
    const opts: SimulateOptions = { ...base, inputs: u, steps: STEPS };
    const wy = randomNormal([STEPS, batch, cell.outputSize], r, { std: 1 / Math.sqrt(STEPS * batch * cell.outputSize) });
    const wx = randomNormal([STEPS, batch, cell.size], r, { std: 1 / Math.sqrt(STEPS * batch * cell.size) });
    const loss = (): tf.Scalar =>
      tf.tidy(() => {
        const res = simulate(cell, opts);
        return tf.add(tf.sum(tf.mul(res.outputs!, wy)), tf.sum(tf.mul(tf.square(res.states), wx))) as tf.Scalar;
      });

    if (kinkMargin !== undefined) {
      const res = simulate(cell, opts);
      const m = tf.min(tf.abs(res.states));
      expect((await m.data())[0]).toBeGreaterThan(kinkMargin);
      m.dispose();
      res.dispose();
    }

    // Autodiff: ∇L·v with v a random unit direction.
    const dirs = params.map((v) => r.normalArray(v.size));
    const norm = Math.sqrt(dirs.reduce((s, d) => s + d.reduce((a, b) => a + b * b, 0), 0));
    dirs.forEach((d) => d.forEach((_, i) => (d[i] /= norm)));
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(loss, params);
    let gv = 0;
    for (let p = 0; p < params.length; p++) {
      const g = await grads[params[p].name].data();
      for (let i = 0; i < g.length; i++) gv += g[i] * dirs[p][i];
    }
    value.dispose();
    tf.dispose(Object.values(grads));
    expect(tf.memory().numTensors).toBe(before);

    // Finite differences with Richardson extrapolation.
    const originals = params.map((v) => tf.clone(v));
    const at = async (h: number): Promise<number> => {
      params.forEach((v, p) => tf.tidy(() => v.assign(tf.add(originals[p], tf.mul(tf.tensor(Float32Array.from(dirs[p]), v.shape), h)))));
      const l = loss();
      const x = (await l.data())[0];
      l.dispose();
      return x;
    };
    const h = 2e-2;
    const d1 = ((await at(h)) - (await at(-h))) / (2 * h);
    const d2 = ((await at(h / 2)) - (await at(-h / 2))) / h;
    const fd = (4 * d2 - d1) / 3;
    params.forEach((v, p) => v.assign(originals[p]));
    tf.dispose(originals);

    expect(Math.abs(gv)).toBeGreaterThan(1e-3); // the check is not vacuous
    expect(Math.abs(fd - gv)).toBeLessThan(Math.max(2e-3 * Math.abs(gv), 2e-4));
    tf.dispose([u, wy, wx]);
    cell.dispose();
  });
});
