import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { rng, useBackend, type Rng } from '../../src/backend';
import { matrix, svd } from '../../src/linalg';
import { FullRankCell, LowRankCell, LowTensorRankCell, simulate } from '../../src/rnn';
import { LtrError } from '../../src/validate/errors';
import { WeightRecorder, trainTask, type TaskBatch, type TrainCheckpoint } from '../../src/train';
import { expectNoLeak, TEST_BACKENDS } from '../helpers/backends';

/** Sine generation: from a learned initial state, output sin(2π t / 2.5) over T steps of dt = 0.1. */
function sineTarget(T: number) {
  return { data: Float32Array.from({ length: T }, (_, t) => Math.sin((2 * Math.PI * (t + 1) * 0.1) / 2.5)), shape: [T, 1, 1] };
}

/** Host MSE of the cell's readout against the sine target (an independent check of the loss). */
async function sineMse(cell: FullRankCell, target: { data: Float32Array }, T: number): Promise<number> {
  const sim = simulate(cell, { steps: T, batch: 1 });
  const y = await (sim.outputs as tf.Tensor).data();
  sim.dispose();
  let s = 0;
  for (let t = 0; t < T; t++) s += (y[t] - target.data[t]) ** 2;
  return s / T;
}

/** A random pulse-and-hold task: input u (T × 1 × 1), target = 0.5·u delayed by 3 steps. */
function delayTask(T: number) {
  return (_i: number, r: Rng): TaskBatch => {
    const amp = r.uniform() * 2 - 1;
    const on = 1 + r.int(3);
    const u = Float32Array.from({ length: T }, (_, t) => (t >= on && t < on + 3 ? amp : 0));
    const y = Float32Array.from({ length: T }, (_, t) => (t >= on + 3 && t < on + 6 ? 0.5 * amp : 0));
    return { inputs: { data: u, shape: [T, 1, 1] }, targets: { data: y, shape: [T, 1, 1] } };
  };
}

/** Number of singular values of a float64 N×N matrix above `tol`. */
function rankAbove(data: ArrayLike<number>, n: number, tol: number): number {
  return svd(matrix(n, n, Float64Array.from(data))).s.filter((v) => v > tol).length;
}

describe.each(TEST_BACKENDS)('trainTask on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('a small RNN (N = 32) learns sine generation: the loss falls ≥ 100×', async () => {
    const T = 50;
    const target = sineTarget(T);
    const cell = new FullRankCell({ size: 32, outputSize: 1, initialState: 'learned', seed: 1 });
    const before = await sineMse(cell, target, T);
    const r = await expectNoLeak(() => trainTask(cell, () => ({ targets: target }), { updates: 80, optimizer: 'adam', learningRate: 0.02 }));
    const after = await sineMse(cell, target, T);
    expect(before).toBeCloseTo(r.history.loss[0], 5);
    expect(before / after).toBeGreaterThan(100);
    expect(r.recorder).toBeNull();
    cell.dispose();
  });

  it('WeightRecorder: low-rank storage reproduces dense snapshots; each SGD update of W has rank ≤ T − 1', async () => {
    // Training only W with x₀ = 0: ∇_W L = Σ_{t=0}^{T−1} δ_{t+1} φ(x_t)ᵀ with φ(x₀) = 0, so rank ≤ T − 1 = 5.
    const T = 6, N = 40;
    const cell = new FullRankCell({ size: N, inputSize: 1, outputSize: 1, seed: 2 });
    const lowRank = new WeightRecorder(cell, { storage: 'low-rank', maxRank: 16 });
    const every2 = new WeightRecorder(cell, { every: 2 });
    await lowRank.record();
    await every2.record();
    const r = await trainTask(cell, delayTask(T), {
      updates: 12,
      learningRate: 0.5,
      parameters: ['recurrent'],
      record: { storage: 'dense' },
      onStep: async () => {
        await lowRank.record();
        await every2.record();
      },
    });
    const dense = r.recorder as WeightRecorder;
    expect(dense.storage).toBe('dense');
    expect(dense.length).toBe(13);
    expect(lowRank.length).toBe(13);
    expect(every2.updates).toEqual([0, 2, 4, 6, 8, 10, 12]);
    const d = dense.toHost();
    const l = lowRank.toHost();
    expect(d.shape).toEqual([13, N, N]);
    let maxW = 0, maxDiff = 0;
    for (let i = 0; i < d.data.length; i++) {
      maxW = Math.max(maxW, Math.abs(d.data[i]));
      maxDiff = Math.max(maxDiff, Math.abs(d.data[i] - l.data[i]));
    }
    expect(maxDiff).toBeLessThan(1e-5 * maxW);
    // The stored ranks are the updates' ranks. The recorder keeps directions above its bound
    // tolerance·‖W_k‖_F (2⁻²² ≈ 2.4e-7 relative, four times float32 rounding of W): it must keep every
    // singular value of the dense difference above 4× the bound and none of the rounding noise,
    // whose singular values (≈ 5e-8 here) sit below a quarter of it.
    const prevDiff = dense.toHost({ relativeTo: 'previous' });
    const { deltas } = lowRank.lowRankDeltas();
    expect(deltas).toHaveLength(12);
    for (let k = 1; k < 13; k++) {
      const slice = prevDiff.data.subarray(k * N * N, (k + 1) * N * N);
      let w2 = 0;
      for (let i = 0; i < N * N; i++) w2 += d.data[k * N * N + i] ** 2;
      const bound = 2 ** -22 * Math.sqrt(w2);
      const clear = rankAbove(slice, N, 4 * bound);
      const loose = rankAbove(slice, N, bound / 4);
      expect(clear).toBeGreaterThan(0);
      expect(loose).toBeLessThanOrEqual(T - 1);
      expect(deltas[k - 1].rank).toBeGreaterThanOrEqual(clear);
      expect(deltas[k - 1].rank).toBeLessThanOrEqual(loose);
    }
    // W_k − W₀ and every-2nd snapshots agree with the dense record.
    const fromStart = dense.toHost({ relativeTo: 'initial' });
    for (let i = 0; i < N * N; i++) expect(fromStart.data[5 * N * N + i]).toBeCloseTo(d.data[5 * N * N + i] - d.data[i], 6);
    const e2 = every2.toTensor();
    expect(e2.shape).toEqual([7, N, N]);
    const e2v = await e2.data();
    for (let i = 0; i < N * N; i++) expect(e2v[3 * N * N + i]).toBe(d.data[6 * N * N + i]);
    e2.dispose();
    expect(() => dense.lowRankDeltas()).toThrow(LtrError);
    expect(() => new WeightRecorder(cell, { maxElements: 100 }).toHost()).toThrow(LtrError);
    const small = new WeightRecorder(cell, { maxElements: 100 });
    await small.record();
    expect(() => small.toHost()).toThrow(/maxElements/);
    for (const x of [dense, lowRank, every2, small]) x.dispose();
    cell.dispose();
  });

  it('records the weights of a low-rank cell and of one trial of a low-tensor-rank cell', async () => {
    const T = 5;
    const lr = new LowRankCell({ size: 300, rank: 2, inputSize: 1, outputSize: 1, seed: 4 });
    const r1 = await trainTask(lr, delayTask(T), { updates: 3, learningRate: 0.2, record: true });
    const rec1 = r1.recorder as WeightRecorder;
    expect(rec1.storage).toBe('low-rank'); // auto above N = 256
    // W = M Nᵀ / scale changes by a matrix of rank ≤ 2R = 4 per update.
    for (const dlt of rec1.lowRankDeltas().deltas) expect(dlt.rank).toBeLessThanOrEqual(4);
    rec1.dispose();
    lr.dispose();
    const ltr = new LowTensorRankCell({ size: 10, trials: 4, rank: 2, inputSize: 1, outputSize: 1, seed: 5 });
    expect(() => new WeightRecorder(ltr)).toThrow(/options.trial/);
    const rec = new WeightRecorder(ltr, { trial: 2 });
    await rec.record();
    const w = tf.tidy(() => ltr.weightsFor(2));
    expect(Array.from(rec.toHost().data)).toEqual(Array.from(await w.data()));
    w.dispose();
    rec.dispose();
    ltr.dispose();
  });

  it('resumes bit-identically (task given as a function of the update index) and leaves no tensor behind', async () => {
    const T = 8;
    const make = () => new FullRankCell({ size: 12, inputSize: 1, outputSize: 1, seed: 6 });
    const opts = { learningRate: 0.3, noise: 0.05, optimizer: 'momentum' as const, checkpoint: true };
    const a = make();
    const full = await trainTask(a, delayTask(T), { ...opts, updates: 20 });
    const wa = tf.tidy(() => a.weightsFor());
    const wantW = await wa.data();
    wa.dispose();
    a.dispose();
    const b = make();
    const half = await trainTask(b, delayTask(T), { ...opts, updates: 10 });
    const json = JSON.parse(JSON.stringify(half.checkpoint)) as TrainCheckpoint;
    b.dispose();
    const c = make();
    const rest = await expectNoLeak(() => trainTask(c, delayTask(T), { ...opts, updates: 20, resumeFrom: json }));
    const wc = tf.tidy(() => c.weightsFor());
    expect(Array.from(await wc.data())).toEqual(Array.from(wantW));
    wc.dispose();
    expect(rest.history.loss).toEqual(full.history.loss);
    expect(rest.checkpoint).toEqual(full.checkpoint);
    c.dispose();
  });

  it('bad input → LtrError before training', async () => {
    const T = 5;
    const cell = new FullRankCell({ size: 6, inputSize: 1, outputSize: 1, seed: 1 });
    const ok = delayTask(T);
    const wStart = tf.tidy(() => cell.weightsFor());
    const w0 = Array.from(await wStart.data());
    wStart.dispose();
    const fail = async (task: unknown, options: object, code: string, path?: RegExp) => {
      const e = await expectNoLeak(() => trainTask(cell, task as never, { updates: 3, ...options } as never)).then(() => null, (x: unknown) => x);
      expect(e).toBeInstanceOf(LtrError);
      expect((e as LtrError).code).toBe(code);
      if (path) expect((e as LtrError).path).toMatch(path);
    };
    const batch = ok(0, rng(0));
    await fail(() => ({ ...batch, targets: { data: new Float32Array(T * 2), shape: [T, 1, 2] } }), {}, 'shape-mismatch', /targets/);
    await fail(() => ({ ...batch, mask: { data: new Float32Array(T * 2).fill(1), shape: [T, 2, 1] } }), {}, 'shape-mismatch', /mask/);
    await fail(() => ({ ...batch, mask: { data: new Float32Array(T), shape: [T, 1, 1] } }), {}, 'invalid-data', /mask/);
    await fail(() => ({ targets: batch.targets }), {}, 'invalid-data', /inputs/);
    await fail(ok, { learningRate: -1 }, 'invalid-option', /options.learningRate/);
    await fail(ok, { updates: 0 }, 'invalid-option', /options.updates/);
    await fail(ok, { parameters: ['nope'] }, 'invalid-option', /options.parameters/);
    await fail([batch], { updates: 1, resumeFrom: {} }, 'invalid-option', /options.resumeFrom/);
    await fail(42, {}, 'invalid-option', /task/);
    const noReadout = new FullRankCell({ size: 4, seed: 1 });
    await expect(trainTask(noReadout, ok, { updates: 1 })).rejects.toMatchObject({ code: 'invalid-option' });
    noReadout.dispose();
    const wNow = tf.tidy(() => cell.weightsFor());
    expect(Array.from(await wNow.data())).toEqual(w0);
    wNow.dispose();
    // An iterable that runs out: the error comes after the updates it could feed.
    await fail([batch], { updates: 2 }, 'invalid-option', /task/);
    cell.dispose();
  });
});
