import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { rng, useBackend } from '../../src/backend';
import { LtrError } from '../../src/validate/errors';
import { dropTrials, learningRateAt, maskedMse, mse, parseCheckpoint, train, type TrainCheckpoint } from '../../src/train';
import { expectNoLeak, TEST_BACKENDS } from '../helpers/backends';

/** A 5×5 SPD matrix with eigenvalues 1..4 (random orthogonal basis, seeded), row-major float64. */
function spd(n: number, seed: number): { a: Float64Array; eig: number[] } {
  const r = rng(seed);
  // Gram–Schmidt on a random matrix → orthogonal Q.
  const q: number[][] = [];
  for (let i = 0; i < n; i++) {
    const v = Array.from(r.normalArray(n));
    for (const u of q) {
      const d = v.reduce((s, x, k) => s + x * u[k], 0);
      for (let k = 0; k < n; k++) v[k] -= d * u[k];
    }
    const nrm = Math.hypot(...v);
    q.push(v.map((x) => x / nrm));
  }
  const eig = Array.from({ length: n }, (_, i) => 1 + (3 * i) / (n - 1));
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = q.reduce((s, u, k) => s + eig[k] * u[i] * u[j], 0);
  return { a, eig };
}

/** ½ (θ − θ*)ᵀ A (θ − θ*), and its data. */
function quadratic(n = 5, seed = 3) {
  const { a } = spd(n, seed);
  const star = Float32Array.from(rng(seed + 1).normalArray(n));
  const A = tf.tensor2d(Float32Array.from(a), [n, n]);
  const S = tf.tensor1d(star);
  const loss = (w: tf.Variable) => () =>
    tf.tidy(() => {
      const d = tf.reshape(tf.sub(w, S), [n, 1]);
      return tf.mul(0.5, tf.sum(tf.mul(d, tf.matMul(A, d)))) as tf.Scalar;
    });
  const dispose = () => {
    A.dispose();
    S.dispose();
  };
  return { a, star, loss, dispose, n };
}

function maxAbsDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

async function expectLtr(p: Promise<unknown>, code: string, path?: string | RegExp): Promise<LtrError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LtrError);
  const e = err as LtrError;
  expect(e.code).toBe(code);
  if (typeof path === 'string') expect(e.path).toBe(path);
  else if (path) expect(e.path).toMatch(path);
  return e;
}

describe.each(TEST_BACKENDS)('train on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  describe('optimizers', () => {
    it('SGD reaches the minimum of a convex quadratic (eigenvalues 1..4) to 1e-6', async () => {
      const q = quadratic();
      const w = tf.variable(tf.zeros([q.n]));
      // η = 0.4: every mode contracts by |1 − 0.4λ| ≤ 0.6 per step.
      const r = await expectNoLeak(() => train({ variables: [w], loss: q.loss(w), steps: 120, optimizer: 'sgd', learningRate: 0.4 }));
      const got = await w.data();
      expect(maxAbsDiff(got, q.star)).toBeLessThan(1e-6);
      expect(r.history.loss[0]).toBeGreaterThan(0.5);
      expect(r.stoppedBy).toBe('steps');
      expect(r.steps).toBe(120);
      w.dispose();
      q.dispose();
    });

    it('Adam (cosine schedule to 0) reaches the minimum of the same quadratic to 1e-6', async () => {
      const q = quadratic();
      const w = tf.variable(tf.zeros([q.n]));
      await expectNoLeak(() => train({ variables: [w], loss: q.loss(w), steps: 1500, optimizer: 'adam', learningRate: 0.05, schedule: { type: 'cosine' } }));
      const got = await w.data();
      expect(maxAbsDiff(got, q.star)).toBeLessThan(1e-6);
      w.dispose();
      q.dispose();
    });

    it('momentum and Nesterov reach the minimum to 1e-6', async () => {
      for (const nesterov of [false, true]) {
        const q = quadratic();
        const w = tf.variable(tf.zeros([q.n]));
        await train({ variables: [w], loss: q.loss(w), steps: 300, optimizer: 'momentum', learningRate: 0.1, momentum: 0.5, nesterov });
        expect(maxAbsDiff(await w.data(), q.star)).toBeLessThan(1e-6);
        w.dispose();
        q.dispose();
      }
    });

    it('momentum and Adam steps match a float64 host implementation for 25 steps', async () => {
      const q = quadratic();
      const n = q.n;
      const grad = (th: number[]) => {
        const d = th.map((x, i) => x - q.star[i]);
        return d.map((_, i) => d.reduce((s, dj, j) => s + q.a[i * n + j] * dj, 0));
      };
      // momentum, Nesterov, μ = 0.8, η = 0.05
      {
        let th = new Array(n).fill(0);
        let v = new Array(n).fill(0);
        for (let s = 0; s < 25; s++) {
          const g = grad(th);
          v = v.map((vi, i) => 0.8 * vi + g[i]);
          th = th.map((x, i) => x - 0.05 * (g[i] + 0.8 * v[i]));
        }
        const w = tf.variable(tf.zeros([n]));
        await train({ variables: [w], loss: q.loss(w), steps: 25, optimizer: 'momentum', learningRate: 0.05, momentum: 0.8, nesterov: true });
        expect(maxAbsDiff(await w.data(), th)).toBeLessThan(2e-6);
        w.dispose();
      }
      // Adam, η = 0.1, β = (0.8, 0.95), ε = 1e-3 (large enough to matter), step decay
      {
        let th = new Array(n).fill(0);
        let m = new Array(n).fill(0);
        let v = new Array(n).fill(0);
        for (let s = 0; s < 25; s++) {
          const lr = 0.1 * Math.pow(0.5, Math.floor(s / 10));
          const g = grad(th);
          m = m.map((mi, i) => 0.8 * mi + 0.2 * g[i]);
          v = v.map((vi, i) => 0.95 * vi + 0.05 * g[i] * g[i]);
          const c1 = 1 - 0.8 ** (s + 1);
          const c2 = 1 - 0.95 ** (s + 1);
          th = th.map((x, i) => x - (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + 1e-3));
        }
        const w = tf.variable(tf.zeros([n]));
        await train({ variables: [w], loss: q.loss(w), steps: 25, optimizer: 'adam', learningRate: 0.1, beta1: 0.8, beta2: 0.95, epsilon: 1e-3, schedule: { type: 'step', stepSize: 10, gamma: 0.5 } });
        expect(maxAbsDiff(await w.data(), th)).toBeLessThan(2e-6);
        w.dispose();
      }
      q.dispose();
    });

    it('a user tf.Optimizer is accepted (and refused with a learning rate of ours)', async () => {
      const q = quadratic();
      const w = tf.variable(tf.zeros([q.n]));
      const opt = tf.train.sgd(0.4);
      await train({ variables: [w], loss: q.loss(w), steps: 120, optimizer: opt });
      expect(maxAbsDiff(await w.data(), q.star)).toBeLessThan(1e-6);
      await expectLtr(train({ variables: [w], loss: q.loss(w), steps: 1, optimizer: opt, learningRate: 0.1 }), 'invalid-option', 'options.learningRate');
      await expectLtr(train({ variables: [w], loss: q.loss(w), steps: 1, optimizer: opt, schedule: { type: 'exponential', gamma: 0.9 } }), 'invalid-option', 'options.schedule');
      opt.dispose();
      w.dispose();
      q.dispose();
    });
  });

  describe('schedules, clipping, weight decay', () => {
    it('every schedule gives its formula, and the update uses it (loss Σw has gradient 1)', async () => {
      const cases = [
        { type: 'constant' as const },
        { type: 'step' as const, stepSize: 3, gamma: 0.5 },
        { type: 'exponential' as const, gamma: 0.9, decaySteps: 2 },
        { type: 'cosine' as const, minLearningRate: 0.01 },
      ];
      const want = (c: (typeof cases)[number], s: number) => {
        if (c.type === 'constant') return 0.1;
        if (c.type === 'step') return 0.1 * 0.5 ** Math.floor(s / 3);
        if (c.type === 'exponential') return 0.1 * 0.9 ** (s / 2);
        return 0.01 + 0.09 * 0.5 * (1 + Math.cos((Math.PI * s) / 10));
      };
      for (const c of cases) {
        const w = tf.variable(tf.zeros([2]));
        const r = await train({ variables: [w], loss: () => tf.sum(w), steps: 10, optimizer: 'sgd', learningRate: 0.1, schedule: c });
        const lrs = Array.from({ length: 10 }, (_, s) => want(c, s));
        expect(maxAbsDiff(r.history.learningRate, lrs)).toBeLessThan(1e-15);
        expect(learningRateAt(c as never, 0.1, 4, 10)).toBeCloseTo(want(c, 4), 15);
        const total = lrs.reduce((a, b) => a + b, 0);
        const got = await w.data();
        expect(Math.abs(got[0] + total)).toBeLessThan(1e-6);
        w.dispose();
      }
    });

    it('clips the global gradient norm and reports the unclipped norm', async () => {
      // loss = 3a + 4b: gradient (3, 4), norm 5; clipNorm 1 → the step is (0.6, 0.8)·η.
      const a = tf.variable(tf.scalar(0));
      const b = tf.variable(tf.scalar(0));
      const infos: { gradNorm: number; clipped: boolean }[] = [];
      await train({ variables: { a, b }, loss: () => tf.add(tf.mul(3, a), tf.mul(4, b)), steps: 2, optimizer: 'sgd', learningRate: 0.5, clipNorm: 1, onStep: (i) => void infos.push(i) });
      expect((await a.data())[0]).toBeCloseTo(-0.6, 6);
      expect((await b.data())[0]).toBeCloseTo(-0.8, 6);
      expect(infos.map((i) => i.clipped)).toEqual([true, true]);
      expect(infos[0].gradNorm).toBeCloseTo(5, 5);
      a.dispose();
      b.dispose();
    });

    it('weight decay λ adds λθ to the gradient (SGD on 0 loss shrinks θ by (1 − ηλ) per step)', async () => {
      const w = tf.variable(tf.tensor1d([2, -4]));
      const other = tf.variable(tf.scalar(1));
      // The loss depends on `other` only, so w's gradient is missing: w must stay untouched.
      await train({ variables: [w, other], loss: () => tf.mul(other, 0), steps: 5, optimizer: 'sgd', learningRate: 0.1, weightDecay: 0.5 });
      expect(Array.from(await w.data())).toEqual([2, -4]);
      expect((await other.data())[0]).toBeCloseTo(0.95 ** 5, 6);
      w.dispose();
      other.dispose();
    });
  });

  describe('early stopping', () => {
    const minStdSeq = [10, 8, 6, 5, 4.5, 4.4, 4.38, 4.37, 4.365, 4.36, 4.355, 4.35];
    const std = (xs: number[]) => {
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
    };

    it("the reference's rule stops at the first step where std(last window test losses) < minStd", async () => {
      // std of [4.4, 4.38, 4.37] = 0.0125 < 0.05 first at step 7 ([4.5, 4.4, 4.38] has 0.0525).
      expect(std([4.5, 4.4, 4.38])).toBeGreaterThan(0.05);
      expect(std([4.4, 4.38, 4.37])).toBeLessThan(0.05);
      const w = tf.variable(tf.scalar(0));
      const r = await expectNoLeak(() =>
        train({ variables: [w], loss: () => tf.sum(w), steps: 50, optimizer: 'sgd', learningRate: 1, testLoss: ({ step }) => tf.scalar(minStdSeq[step]), earlyStopping: { window: 3, minStd: 0.05 } }),
      );
      expect(r.stoppedBy).toBe('min-std');
      expect(r.steps).toBe(7); // step 7 evaluated, not taken
      expect(r.history.test.map((t) => t.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(r.history.loss).toHaveLength(7);
      expect((await w.data())[0]).toBe(-7);
      w.dispose();
    });

    it('with evalEvery = 2 the rule sees every other value', async () => {
      // evaluated: steps 0,2,4,6,8,10 → 10, 6, 4.5, 4.38, 4.365, 4.355; std of last 3 < 0.02 first at
      // [4.38, 4.365, 4.355] (0.0103; [4.5, 4.38, 4.365] has 0.0604) → step 10.
      expect(std([4.5, 4.38, 4.365])).toBeGreaterThan(0.02);
      expect(std([4.38, 4.365, 4.355])).toBeLessThan(0.02);
      const w = tf.variable(tf.scalar(0));
      const r = await train({ variables: [w], loss: () => tf.sum(w), steps: 50, optimizer: 'sgd', learningRate: 1, evalEvery: 2, testLoss: ({ step }) => tf.scalar(minStdSeq[step]), earlyStopping: { window: 3, minStd: 0.02 } });
      expect(r.stoppedBy).toBe('min-std');
      expect(r.steps).toBe(10);
      w.dispose();
    });

    it('patience stops after `patience` evaluations without improvement and restores the best parameters', async () => {
      const seq = [5, 4, 3, 3.5, 3.2, 3.1, 2.9, 2.8];
      for (const restoreBest of [false, true]) {
        const w = tf.variable(tf.scalar(0));
        const r = await expectNoLeak(() =>
          train({ variables: [w], loss: () => tf.sum(w), steps: 50, optimizer: 'sgd', learningRate: 1, testLoss: ({ step }) => tf.scalar(seq[step]), earlyStopping: { patience: 3, restoreBest } }),
        );
        expect(r.stoppedBy).toBe('patience');
        expect(r.steps).toBe(5); // best at step 2; steps 3, 4, 5 do not improve
        expect(r.best).toEqual({ loss: 3, step: 2 });
        expect(r.restoredBest).toBe(restoreBest);
        // SGD with η = 1 on Σw: θ_s = −s.
        expect((await w.data())[0]).toBe(restoreBest ? -2 : -5);
        w.dispose();
      }
    });

    it("minDelta: an improvement smaller than minDelta does not reset patience; monitor 'train' uses the training loss", async () => {
      const w = tf.variable(tf.scalar(0));
      // training loss 10 − 0.01·s improves by 0.01 per step: below minDelta = 0.05 → stop at step 2.
      const r = await train({ variables: [w], loss: () => tf.add(10, tf.mul(0.01, w)), steps: 50, optimizer: 'sgd', learningRate: 1, earlyStopping: { monitor: 'train', patience: 2, minDelta: 0.05 } });
      expect(r.stoppedBy).toBe('patience');
      expect(r.steps).toBe(2);
      w.dispose();
    });
  });

  describe('abort, divergence, checkpoints', () => {
    it('abort stops within one step and returns a consistent state', async () => {
      const w = tf.variable(tf.scalar(0));
      const ac = new AbortController();
      const r = await expectNoLeak(() =>
        train({
          variables: [w],
          loss: () => tf.sum(w),
          steps: 1000,
          optimizer: 'sgd',
          learningRate: 1,
          signal: ac.signal,
          checkpoint: true,
          onStep: ({ step }) => {
            if (step === 9) ac.abort();
          },
        }),
      );
      expect(r.stoppedBy).toBe('aborted');
      expect(r.steps).toBe(10);
      expect((await w.data())[0]).toBe(-10);
      expect(r.history.loss).toHaveLength(10);
      expect(r.checkpoint?.step).toBe(10);
      expect(r.checkpoint?.variables['0'].values).toEqual([-10]);
      // Already aborted: no step at all.
      const r0 = await train({ variables: [w], loss: () => tf.sum(w), steps: 5, signal: AbortSignal.abort() });
      expect(r0.steps).toBe(0);
      expect(r0.stoppedBy).toBe('aborted');
      w.dispose();
    });

    it('a timer (or SIGINT handler) can abort a long run: the step loop lets the event loop turn', async () => {
      // The backends' reads resolve as microtasks; without the loop yielding, this timer would only
      // fire after all 100 000 steps.
      const w = tf.variable(tf.scalar(0));
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(), 50);
      const t0 = performance.now();
      const r = await train({ variables: [w], loss: () => tf.sum(w), steps: 100_000, optimizer: 'sgd', learningRate: 1e-6, signal: ac.signal });
      clearTimeout(timer);
      expect(r.stoppedBy).toBe('aborted');
      expect(r.steps).toBeGreaterThan(0);
      expect(r.steps).toBeLessThan(100_000);
      expect(performance.now() - t0).toBeLessThan(10_000);
      w.dispose();
    });

    /** A problem with every moving part: masks with trial dropout drawn from ctx.rng, a schedule, clipping, a test loss. */
    function problem(initSeed: number) {
      const T = 6, K = 8, N = 4;
      const y = tf.tensor3d(Float32Array.from(rng(100).normalArray(T * K * N)), [T, K, N]);
      const r = rng(initSeed);
      const mask = tf.tensor3d(Float32Array.from({ length: T * K * N }, (_, i) => (i % 7 === 3 ? 0 : 1)), [T, K, N]);
      const testMask = tf.sub(1, mask);
      const u = tf.variable(tf.tensor2d(Float32Array.from(r.normalArray(T * 2, 0, 0.5)), [T, 2]));
      const v = tf.variable(tf.tensor2d(Float32Array.from(r.normalArray(2 * K * N, 0, 0.5)), [2, K * N]));
      const pred = () => tf.reshape(tf.matMul(u, v), [T, K, N]);
      const loss = ({ rng: g }: { rng: ReturnType<typeof rng> }) => tf.tidy(() => maskedMse(pred(), y, dropTrials(mask, 0.25, g)));
      const testLoss = () => tf.tidy(() => maskedMse(pred(), y, testMask));
      const dispose = () => tf.dispose([y, mask, testMask, u, v]);
      return { u, v, loss, testLoss, dispose };
    }

    for (const optimizer of ['sgd', 'momentum', 'adam'] as const) {
      it(`checkpoint → JSON → resume is bit-identical to an uninterrupted run (${optimizer})`, async () => {
        const common = { optimizer, learningRate: optimizer === 'adam' ? 0.05 : 0.2, schedule: { type: 'exponential' as const, gamma: 0.99 }, clipNorm: 0.5, evalEvery: 5, seed: 11 };
        const a = problem(1);
        const full = await train({ ...common, variables: { u: a.u, v: a.v }, loss: a.loss, testLoss: a.testLoss, steps: 100, checkpoint: true });
        const fullU = await a.u.data();
        const fullV = await a.v.data();
        a.dispose();

        const b = problem(1);
        const half = await train({ ...common, variables: { u: b.u, v: b.v }, loss: b.loss, testLoss: b.testLoss, steps: 50, checkpoint: true });
        const json = JSON.parse(JSON.stringify(half.checkpoint)) as TrainCheckpoint;
        b.dispose();
        // A fresh process would rebuild the model from scratch: different initial values here.
        const c = problem(2);
        const rest = await expectNoLeak(() => train({ ...common, variables: { u: c.u, v: c.v }, loss: c.loss, testLoss: c.testLoss, steps: 100, resumeFrom: json, checkpoint: true }));
        expect(Array.from(await c.u.data())).toEqual(Array.from(fullU));
        expect(Array.from(await c.v.data())).toEqual(Array.from(fullV));
        expect(rest.history).toEqual(full.history);
        expect(rest.checkpoint).toEqual(full.checkpoint);
        expect(full.history.loss[99]).toBeLessThan(full.history.loss[0] * 0.9);
        c.dispose();
      });
    }

    it('onCheckpoint every k updates gives checkpoints that resume exactly (and the schedule, with a fixed cosine period)', async () => {
      const common = { optimizer: 'adam' as const, learningRate: 0.05, schedule: { type: 'cosine' as const, period: 60 }, seed: 3 };
      const a = problem(4);
      const saved: string[] = [];
      await train({ ...common, variables: [a.u, a.v], loss: a.loss, steps: 60, checkpointEvery: 20, onCheckpoint: (c) => void saved.push(JSON.stringify(c)) });
      const end = await a.u.data();
      a.dispose();
      expect(saved).toHaveLength(3);
      const b = problem(5);
      await train({ ...common, variables: [b.u, b.v], loss: b.loss, steps: 60, resumeFrom: JSON.parse(saved[1]) });
      expect(Array.from(await b.u.data())).toEqual(Array.from(end));
      b.dispose();
    });

    it('a NaN loss stops with LtrError diverged naming the step; variables keep the last finite values', async () => {
      const w = tf.variable(tf.tensor1d([1, 2]));
      const e = await expectLtr(train({ variables: [w], loss: ({ step }) => tf.mul(tf.sum(w), step === 5 ? NaN : 1), steps: 20, optimizer: 'sgd', learningRate: 0.25 }), 'diverged', 'options.learningRate');
      expect(e.message).toMatch(/step 5/);
      expect(e.message).toMatch(/learningRate/);
      expect(Array.from(await w.data())).toEqual([1 - 5 * 0.25, 2 - 5 * 0.25]);
      w.dispose();
    });

    it('an exploding run (SGD η = 10 on Σw²) stops at the first non-finite loss with finite variables', async () => {
      const w = tf.variable(tf.tensor1d([1]));
      let lastStep = -1;
      const e = await expectLtr(
        expectNoLeak(() => train({ variables: [w], loss: () => tf.sum(tf.square(w)), steps: 100, optimizer: 'sgd', learningRate: 10, onStep: ({ step }) => void (lastStep = step) })),
        'diverged',
      );
      const k = Number(/step (\d+)/.exec(e.message)?.[1]);
      expect(k).toBe(lastStep + 1);
      // Host replay in float32: w ← w − 10·(2w). At step k the loss w² or the squared gradient
      // norm (2w)² overflows for the first time.
      const overflows = (x: number) => !Number.isFinite(Math.fround(x * x)) || !Number.isFinite(Math.fround(Math.fround(2 * x) ** 2));
      let x = 1;
      for (let s = 0; s < k; s++) {
        expect(overflows(x)).toBe(false);
        x = Math.fround(x - Math.fround(10 * Math.fround(2 * x)));
      }
      expect(overflows(x)).toBe(true);
      const got = (await w.data())[0];
      expect(Number.isFinite(got)).toBe(true);
      expect(got).toBe(x);
      w.dispose();
    });
  });

  it('no tensor leak over 1000 steps: numTensors is constant from step to step and returns to its start', async () => {
    const w = tf.variable(tf.tensor1d([0.5, -0.5, 1]));
    const target = tf.tensor1d([1, 2, 3]);
    const counts: number[] = [];
    const r = await expectNoLeak(() =>
      train({
        variables: [w],
        loss: ({ rng: g }) => tf.tidy(() => tf.add(mse(w, target), tf.mul(g.uniform() * 1e-3, tf.sum(w)))),
        testLoss: () => mse(w, target),
        steps: 1000,
        optimizer: 'adam',
        learningRate: 0.01,
        clipNorm: 10,
        weightDecay: 1e-4,
        schedule: { type: 'cosine' },
        earlyStopping: { patience: 5000, restoreBest: true },
        checkpointEvery: 250,
        onCheckpoint: () => undefined,
        onStep: () => void counts.push(tf.memory().numTensors),
      }),
    );
    expect(r.steps).toBe(1000);
    expect(new Set(counts.slice(1)).size).toBe(1);
    w.dispose();
    target.dispose();
  });

  it('bad options → LtrError naming the field, before any step', async () => {
    const w = tf.variable(tf.scalar(1));
    const loss = () => tf.sum(w);
    const r = await train({ variables: [w], loss, steps: 2, optimizer: 'sgd', learningRate: 0.1, checkpoint: true });
    const ck = r.checkpoint as TrainCheckpoint;
    const before = (await w.data())[0];
    await expectLtr(train({ variables: [w], loss, steps: 10, learningRate: -0.1 }), 'invalid-option', 'options.learningRate');
    await expectLtr(train({ variables: [w], loss, steps: 10, learningRate: 0 }), 'invalid-option', 'options.learningRate');
    await expectLtr(expectNoLeak(() => train({ variables: [w], loss: () => { tf.square(w); throw new Error('boom'); }, steps: 3 })).then(() => null, (e) => { expect((e as Error).message).toBe('boom'); throw new LtrError('invalid-data', 'x'); }), 'invalid-data');
    await expectLtr(train({ variables: [w], loss, steps: 0 }), 'invalid-option', 'options.steps');
    await expectLtr(train({ variables: [w], loss, steps: 2.5 }), 'invalid-option', 'options.steps');
    await expectLtr(train({ variables: [w], loss, steps: 3, optimizer: 'rmsprop' as never }), 'invalid-option', 'options.optimizer');
    await expectLtr(train({ variables: [w], loss, steps: 3, learningrate: 0.1 } as never), 'invalid-option');
    await expectLtr(train({ variables: [], loss, steps: 3 }), 'invalid-option', 'options.variables');
    await expectLtr(train({ variables: [w], loss, steps: 3, earlyStopping: { patience: 2 } }), 'invalid-option', 'options.earlyStopping.monitor');
    await expectLtr(train({ variables: [w], loss, steps: 3, testLoss: loss, earlyStopping: { window: 3 } }), 'invalid-option', 'options.earlyStopping.minStd');
    await expectLtr(train({ variables: [w], loss, steps: 3, momentum: 1 }), 'invalid-option', 'options.momentum');
    await expectLtr(train({ variables: [w], loss, steps: 3, clipNorm: -1 }), 'invalid-option', 'options.clipNorm');
    await expectLtr(train({ variables: [w], loss: () => tf.mul(w, tf.ones([2])) as never, steps: 3 }), 'invalid-option', 'options.loss');
    const other = tf.variable(tf.scalar(2));
    await expectLtr(expectNoLeak(() => train({ variables: [w], loss: () => tf.sum(other), steps: 3 })), 'invalid-option', 'options.loss');
    await expectLtr(train({ variables: [w], loss, steps: 3, schedule: () => -1 }), 'invalid-option', 'options.schedule');
    // Checkpoints that do not fit.
    await expectLtr(train({ variables: [w, other], loss, steps: 3, optimizer: 'sgd', resumeFrom: ck }), 'shape-mismatch', 'options.resumeFrom.variables');
    await expectLtr(train({ variables: [w], loss, steps: 3, optimizer: 'adam', resumeFrom: ck }), 'invalid-option', 'options.optimizer');
    await expectLtr(train({ variables: [w], loss, steps: 3, optimizer: 'sgd', resumeFrom: { ...ck, version: 2 } }), 'invalid-data', 'options.resumeFrom.version');
    expect(() => parseCheckpoint({ ...ck, variables: { 0: { shape: [2], values: [1] } } })).toThrow(LtrError);
    expect((await w.data())[0]).toBe(before);
    w.dispose();
    other.dispose();
  });
});

describe('train: backends agree', () => {
  afterAll(async () => {
    await useBackend('cpu');
  });
  it('the same run on cpu and wasm gives the same losses to 1e-5', async () => {
    const run = async (b: 'cpu' | 'wasm') => {
      await useBackend(b);
      const q = quadratic();
      const w = tf.variable(tf.zeros([q.n]));
      const r = await train({ variables: [w], loss: q.loss(w), steps: 50, optimizer: 'adam', learningRate: 0.05 });
      const out = { loss: r.history.loss, w: Array.from(await w.data()) };
      w.dispose();
      q.dispose();
      return out;
    };
    const a = await run('cpu');
    const b = await run('wasm');
    expect(maxAbsDiff(a.loss, b.loss)).toBeLessThan(1e-5);
    expect(maxAbsDiff(a.w, b.w)).toBeLessThan(1e-5);
  });
});
