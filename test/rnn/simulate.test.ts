/**
 * simulate(): the integrators against exact solutions, the noise convention against its
 * stationary variance, initial states, outputs, reproducibility, and cpu vs wasm agreement.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { randomNormal, useBackend } from '../../src/backend';
import { FullRankCell, LowRankCell, LowTensorRankCell, simulate, type RnnCell } from '../../src/rnn';
import { expectNoLeak, TEST_BACKENDS } from '../helpers/backends';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** exp(M) v for a small square M in float64 (Taylor with 60 terms; ‖M‖ ≤ ~3 here). */
function expmv(m: Float64Array, n: number, v: Float64Array): Float64Array {
  const out = Float64Array.from(v);
  let term = Float64Array.from(v);
  for (let k = 1; k <= 60; k++) {
    const next = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) next[i] += m[i * n + j] * term[j];
    term = next.map((x) => x / k);
    for (let i = 0; i < n; i++) out[i] += term[i];
  }
  return out;
}

describe.each(TEST_BACKENDS)('simulate on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('Euler is first and Heun second order on a linear network (exact solution e^{(W−I)t/τ} x₀)', async () => {
    const n = 5;
    const cell = new FullRankCell({ size: n, activation: 'identity', bias: false, gain: 0.8, tau: 0.5, dt: 0.05, initialState: { type: 'fixed', value: [1, -0.5, 0.3, 0.8, -1] }, seed: 3 });
    const w = Float64Array.from(await cell.namedVariables().recurrent.data());
    const m = w.map((v, i) => (v - (Math.floor(i / n) === i % n ? 1 : 0)) / 0.5);
    const exact = expmv(m, n, Float64Array.of(1, -0.5, 0.3, 0.8, -1)); // t = 20 · 0.05 = 1
    const err = async (method: 'euler' | 'heun', steps: number, dtScale: number): Promise<number> => {
      const c = dtScale === 1 ? cell : new FullRankCell({ ...cell.base, dt: 0.05 * dtScale } as never);
      if (c !== cell) c.namedVariables().recurrent.assign(cell.namedVariables().recurrent);
      const res = simulate(c, { steps, method });
      const last = tf.tidy(() => tf.slice(res.states, [steps - 1, 0, 0], [1, 1, n]));
      const e = maxAbsDiff(await last.data(), exact);
      last.dispose();
      res.dispose();
      if (c !== cell) c.dispose();
      return e;
    };
    const e1 = await err('euler', 20, 1);
    const e2 = await err('euler', 40, 0.5);
    const h1 = await err('heun', 20, 1);
    const h2 = await err('heun', 40, 0.5);
    expect(e1 / e2).toBeGreaterThan(1.8); // halving dt halves Euler's error
    expect(e1 / e2).toBeLessThan(2.2);
    expect(h1 / h2).toBeGreaterThan(3.5); // and quarters Heun's
    expect(h1).toBeLessThan(e1 / 10);
    cell.dispose();
  });

  it('noise convention: a leak-only network reaches variance σ²h/(1 − (1−h)²), h = dt/τ (→ σ²/2 as dt → 0)', async () => {
    const cell = new FullRankCell({ size: 10, gain: 0, bias: false, tau: 2, dt: 0.2, seed: 0 });
    const sigma = 0.6;
    const steps = 60;
    const res = simulate(cell, { steps, batch: 2000, noise: { sigma, seed: 11 } });
    const last = tf.tidy(() => tf.slice(res.states, [steps - 1, 0, 0], [1, 2000, 10]));
    const v = await last.data();
    let s2 = 0;
    for (const x of v) s2 += x * x;
    const h = 0.1;
    const want = (sigma * sigma * h * (1 - (1 - h) ** (2 * steps))) / (1 - (1 - h) ** 2);
    // 20000 samples: the variance estimate has a relative standard error of √(2/20000) = 1%.
    expect(Math.abs(s2 / v.length / want - 1)).toBeLessThan(0.05);
    last.dispose();
    res.dispose();
    cell.dispose();
  });

  it('initial states: zero, fixed, learned, per condition, and x0 overrides', async () => {
    const n = 4;
    const zero = new LowRankCell({ size: n, rank: 1, seed: 1 });
    const fixed = new LowRankCell({ size: n, rank: 1, initialState: { type: 'fixed', value: [1, 2, 3, 4] }, seed: 1 });
    const learned = new LowRankCell({ size: n, rank: 1, initialState: { type: 'learned', scale: 1 }, seed: 1 });
    const perCond = new LowTensorRankCell({ size: n, trials: 3, rank: 1, initialState: { type: 'per-condition', conditions: 2, scale: 1 }, seed: 1 });
    const rows = async (c: RnnCell, o: Parameters<typeof simulate>[1]): Promise<number[][]> => {
      const res = simulate(c, o);
      const a = (await res.initialState.array()) as number[][];
      res.dispose();
      return a;
    };
    expect(await rows(zero, { steps: 1, batch: 2 })).toEqual([[0, 0, 0, 0], [0, 0, 0, 0]]);
    expect(await rows(fixed, { steps: 1, batch: 2 })).toEqual([[1, 2, 3, 4], [1, 2, 3, 4]]);
    const lv = Array.from(await learned.namedVariables().initialState.data());
    expect(await rows(learned, { steps: 1, batch: 3 })).toEqual([lv, lv, lv]);
    expect(learned.variables()).toContain(learned.namedVariables().initialState);
    expect(fixed.variables()).not.toContain(fixed.namedVariables().initialState);
    const pv = (await perCond.namedVariables().initialState.array()) as number[][];
    const got = await rows(perCond, { conditions: [1, 0, 1], steps: 1 });
    expect(maxAbsDiff(got.flat(), [pv[1], pv[0], pv[1]].flat())).toBeLessThan(1e-6);
    expect(await rows(perCond, { x0: [9, 8, 7, 6], steps: 1 })).toEqual([[9, 8, 7, 6], [9, 8, 7, 6], [9, 8, 7, 6]]);
    expect(await rows(zero, { x0: [[1, 1, 1, 1], [2, 2, 2, 2]], steps: 1 })).toEqual([[1, 1, 1, 1], [2, 2, 2, 2]]);
    [zero, fixed, learned, perCond].forEach((c) => c.dispose());
  });

  it('states, rates and outputs: shapes, rates = φ(states), outputs = readout(rates); no leaks', async () => {
    const cell = new LowTensorRankCell({ size: 8, trials: 5, rank: 2, inputSize: 3, outputSize: 2, activation: 'softplus', seed: 2 });
    const inputs = randomNormal([7, 4, 3], 1);
    const res = await expectNoLeak(() => simulate(cell, { inputs, trials: [4, 4, 0, 2] }), 4);
    expect(res.states.shape).toEqual([7, 4, 8]);
    expect(res.rates.shape).toEqual([7, 4, 8]);
    expect(res.outputs!.shape).toEqual([7, 4, 2]);
    expect(res.initialState.shape).toEqual([4, 8]);
    const rates = tf.softplus(res.states);
    expect(maxAbsDiff(await res.rates.data(), await rates.data())).toBeLessThan(1e-6);
    const y = cell.readout!.apply(res.rates);
    expect(maxAbsDiff(await res.outputs!.data(), await y.data())).toBeLessThan(1e-6);
    // The first step by hand: x₁ = x₀ + (dt/τ)(−x₀ + drive(x₀, u₀)).
    const u0 = tf.tidy(() => tf.squeeze(tf.slice(inputs, [0, 0, 0], [1, 4, 3]), [0]));
    const d0 = cell.stepDrive(res.initialState, u0, [4, 4, 0, 2]);
    const x1 = tf.tidy(() => tf.add(res.initialState, tf.mul(tf.sub(d0, res.initialState), 0.1)));
    const s1 = tf.tidy(() => tf.squeeze(tf.slice(res.states, [0, 0, 0], [1, 4, 8]), [0]));
    expect(maxAbsDiff(await s1.data(), await x1.data())).toBeLessThan(1e-6);
    tf.dispose([rates, y, u0, d0, x1, s1, inputs]);
    res.dispose();
    cell.dispose();
  });

  it('same seed → identical initialization and noise; another seed → different', async () => {
    const mk = (seed: number): LowTensorRankCell => new LowTensorRankCell({ size: 10, trials: 4, rank: 2, outputSize: 1, readout: 'orthogonal', initialState: { type: 'learned', scale: 0.5 }, seed });
    const a = mk(7);
    const b = mk(7);
    const c = mk(8);
    const va = a.namedVariables();
    const vb = b.namedVariables();
    for (const k of Object.keys(va)) expect(Array.from(await vb[k].data()), k).toEqual(Array.from(await va[k].data()));
    expect(Array.from(await c.namedVariables().columnFactors.data())).not.toEqual(Array.from(await va.columnFactors.data()));
    const run = async (cell: RnnCell, seed: number): Promise<Float32Array> => {
      const r = simulate(cell, { steps: 10, noise: { sigma: 0.3, seed } });
      const d = (await r.states.data()) as Float32Array;
      r.dispose();
      return d;
    };
    const s1 = await run(a, 1);
    expect(Array.from(await run(b, 1))).toEqual(Array.from(s1));
    expect(maxAbsDiff(await run(a, 2), s1)).toBeGreaterThan(0.01);
    [a, b, c].forEach((x) => x.dispose());
  });
});

describe('cpu and wasm agree', () => {
  it('within 1e-4 on states and outputs of each cell (same seeds, noise, Heun)', async () => {
    const makers: (() => RnnCell)[] = [
      () => new FullRankCell({ size: 20, inputSize: 2, outputSize: 3, gain: 1.3, seed: 5 }),
      () => new LowRankCell({ size: 20, rank: 3, inputSize: 2, outputSize: 3, readout: 'orthogonal', seed: 5 }),
      () => new LowTensorRankCell({ size: 20, trials: 6, rank: 3, inputSize: 2, outputSize: 25, readout: 'orthogonal', initialState: { type: 'learned', scale: 0.5 }, seed: 5 }),
    ];
    for (const make of makers) {
      const out: Float32Array[][] = [];
      for (const backend of TEST_BACKENDS) {
        await useBackend(backend);
        const cell = make();
        const inputs = randomNormal([40, 6, 2], 3);
        const res = simulate(cell, { inputs, method: 'heun', noise: { sigma: 0.2, seed: 9 } });
        out.push([(await res.states.data()) as Float32Array, (await res.outputs!.data()) as Float32Array]);
        res.dispose();
        inputs.dispose();
        cell.dispose();
      }
      expect(maxAbsDiff(out[0][0], out[1][0])).toBeLessThan(1e-4);
      expect(maxAbsDiff(out[0][1], out[1][1])).toBeLessThan(1e-4);
    }
  });
});
