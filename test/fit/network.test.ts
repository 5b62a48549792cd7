/**
 * The fit's building blocks: the trial kernel and its Cholesky factors (float64, against closed
 * forms), the hand-written backward pass of the Euler unroll (against autodiff of the plain loop,
 * per parameter), the forward pass (against the rnn layer's `simulate` on the same cell), the
 * orthogonal decoder's retraction, and parameter counts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../src/backend';
import { simulate } from '../../src/rnn';
import { rationalQuadraticKernel, roughness, trialFactorMatch, trialPriorFactors } from '../../src/fit';
import { FitNetwork, type NetworkConfig, type NetworkMetadata } from '../../src/fit/network';
import { expectNoLeak, TEST_BACKENDS } from '../helpers/backends';

function config(over: Partial<NetworkConfig> = {}): NetworkConfig {
  return {
    model: 'ltr',
    rank: 3,
    latentDim: 7,
    neurons: 9,
    bins: 6,
    trials: 10,
    conditions: 3,
    tau: 1,
    dt: 0.2,
    activation: 'tanh',
    noise: 0,
    bias: false,
    method: 'euler',
    decoder: 'orthogonal',
    decoderBias: true,
    decoderScale: false,
    kernel: 'rationalQuadratic',
    lengthScale: 4,
    sigma: 0.5,
    alpha: 1,
    sigmaObservation: 0.1,
    discontinuousAtEpochs: false,
    inputDim: 0,
    inputInSpan: true,
    inputSteps: [],
    basisSize: 1,
    initialStateScale: 0.5,
    loss: 'mse',
    seed: 3,
    ...over,
  };
}

function meta(k = 10, conditions = 3): NetworkMetadata {
  return { conditionIndex: Int32Array.from({ length: k }, (_, i) => i % conditions), trialIds: Float64Array.from({ length: k }, (_, i) => 2 * i), epochIndex: Int32Array.from({ length: k }, (_, i) => (i < k / 2 ? 0 : 1)) };
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return d / (m || 1);
}

describe('trial kernel (host, float64)', () => {
  it('rational quadratic values, epoch blocks, and L Lᵀ = k + σ_obs² I', () => {
    const ids = [0, 1, 3, 7, 8];
    const k = rationalQuadraticKernel(ids, { lengthScale: 2, sigma: 0.5, alpha: 1.5 }, [0, 0, 0, 1, 1]);
    const expected = (d: number): number => 0.25 * Math.pow(1 + (d * d) / (2 * 1.5 * 4), -1.5);
    expect(k.data[0 * 5 + 2]).toBeCloseTo(expected(3), 14);
    expect(k.data[3 * 5 + 4]).toBeCloseTo(expected(1), 14);
    expect(k.data[1 * 5 + 3]).toBe(0); // different epochs
    expect(k.data[2 * 5 + 2]).toBeCloseTo(0.25, 14);
    const f = trialPriorFactors(ids, { lengthScale: 2, sigma: 0.5, alpha: 1.5, sigmaObservation: 0.2 }, null);
    const n = ids.length;
    for (const [l, diag] of [
      [f.observed, 0.04],
      [f.latent, 1e-6],
    ] as const) {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let q = 0; q < n; q++) s += l.data[i * n + q] * l.data[j * n + q];
          if (j > i) expect(l.data[i * n + j]).toBe(0);
          expect(s).toBeCloseTo(f.kernel.data[i * n + j] + (i === j ? diag : 0), 12);
        }
      }
    }
  });

  it('roughness: 0 for a line, ≈ 6 for white noise, smaller for smoother columns', () => {
    const line = Float64Array.from({ length: 50 }, (_, i) => 2 * i + 1);
    expect(roughness(line, 50, 1)[0]).toBeCloseTo(0, 12);
    let s = 12345;
    const noise = Float64Array.from({ length: 4000 }, () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5);
    expect(roughness(noise, 4000, 1)[0]).toBeGreaterThan(5.5);
    expect(roughness(noise, 4000, 1)[0]).toBeLessThan(6.5);
    const slow = Float64Array.from({ length: 100 }, (_, i) => Math.sin(i / 10));
    const fast = Float64Array.from({ length: 100 }, (_, i) => Math.sin(i / 2));
    expect(roughness(slow, 100, 1)[0]).toBeLessThan(roughness(fast, 100, 1)[0]);
  });
});

describe('trialFactorMatch', () => {
  it('is 1 for a permuted, rescaled, sign-flipped and offset copy; low for unrelated factors; refuses other trial counts', async () => {
    await useBackend('cpu');
    const k = 40;
    const a = Array.from({ length: k }, (_, i) => [Math.sin(i / 5), Math.cos(i / 7), (i % 9) / 9]);
    const b = a.map((r) => [-2 * r[2] + 1, 3 * r[0], 0.5 * r[1] + 7]); // columns 2, 0, 1 of a
    const m = await expectNoLeak(() => trialFactorMatch(a, b));
    expect(m.score).toBeCloseTo(1, 12);
    expect(m.permutation).toEqual([2, 0, 1]);
    let s = 7;
    const noise = Array.from({ length: k }, () => [0, 0, 0].map(() => ((s = (s * 16807) % 2147483647) / 2147483647) - 0.5));
    expect((await trialFactorMatch(a, noise)).score).toBeLessThan(0.5);
    // Uncentred cosines of offset gains are near 1 whatever the shapes: why center is the default.
    const offset = (m2: number[][]): number[][] => m2.map((r) => r.map((v) => v + 5));
    expect((await trialFactorMatch(offset(a), offset(noise), { center: false })).score).toBeGreaterThan(0.95);
    await expect(trialFactorMatch(a, a.slice(1))).rejects.toMatchObject({ code: 'shape-mismatch' });
  });
});

describe.each(TEST_BACKENDS)('fit network on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  /** Loss gradients of every trainable variable, through forward() (custom or autodiff unroll). */
  async function gradients(net: FitNetwork, target: tf.Tensor, autodiff: boolean): Promise<Record<string, Float32Array>> {
    net.forceAutodiff = autodiff;
    const vars = net.trainableVariables();
    const names = Object.keys(vars);
    const g = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(net.forward(7).output, target))) as tf.Scalar, Object.values(vars));
      return [value, ...names.map((n) => grads[vars[n].name])];
    });
    const out: Record<string, Float32Array> = { loss: (await g[0].data()) as Float32Array };
    for (let i = 0; i < names.length; i++) out[names[i]] = (await g[i + 1].data()) as Float32Array;
    tf.dispose(g);
    net.forceAutodiff = false;
    return out;
  }

  it.each([
    ['ltr, prior, inputs, bias, noise', config({ inputDim: 2, inputSteps: [0, 1, 2], basisSize: 2, bias: true, noise: 0.3 })],
    ['ltr, free trial factors, relu', config({ kernel: 'none', activation: 'relu', decoderScale: true })],
    ['static', config({ model: 'static', activation: 'softplus' })],
    ['identity activation, linear decoder, inputs throughout', config({ activation: 'identity', decoder: 'linear', inputDim: 3, inputInSpan: false, inputSteps: [0, 1, 2, 3, 4], basisSize: 5 })],
  ])('hand-written BPTT gradients equal autodiff of the plain unroll (%s)', async (_name, cfg) => {
    const net = new FitNetwork(cfg, meta());
    const target = tf.randomNormal([cfg.bins, cfg.trials, cfg.neurons], 0, 1, 'float32', 5);
    const before = tf.memory().numTensors;
    const custom = await gradients(net, target, false);
    const auto = await gradients(net, target, true);
    expect(tf.memory().numTensors).toBe(before);
    expect(Math.abs(custom.loss[0] - auto.loss[0])).toBeLessThan(1e-6 * Math.abs(auto.loss[0]) + 1e-7);
    for (const name of Object.keys(auto)) {
      expect(custom[name], name).toBeDefined();
      expect(maxRelDiff(custom[name], auto[name]), name).toBeLessThan(1e-4);
    }
    expect(Object.keys(custom).sort()).toEqual(Object.keys(auto).sort());
    target.dispose();
    net.dispose();
  });

  it.each([
    ['euler, ltr, inputs, bias, noise', config({ bias: true, inputDim: 2, inputSteps: [0, 1], basisSize: 2, noise: 0.4 }), 'euler'],
    ['heun, ltr', config({ method: 'heun' }), 'heun'],
    ['euler, lowRankPerTrial', config({ model: 'lowRankPerTrial' }), 'euler'],
  ] as const)('forward states equal simulate() of the same cell (%s)', async (_name, cfg, method) => {
    const net = new FitNetwork(cfg, meta());
    net.syncCellTrialFactors();
    const ours = tf.tidy(() => net.forward(11).states);
    const inputs = net.inputs();
    const sim = simulate(net.cell, { ...(inputs !== null ? { inputs } : { steps: cfg.bins - 1, batch: cfg.trials }), conditions: net.meta.conditionIndex, method, noise: { sigma: cfg.noise, seed: 11 } });
    const theirs = tf.tidy(() => tf.concat([tf.expandDims(sim.initialState, 0), sim.states], 0));
    expect(maxRelDiff(await ours.data(), await theirs.data())).toBeLessThan(2e-6);
    tf.dispose(inputs === null ? [ours, theirs] : [ours, theirs, inputs]);
    sim.dispose();
    net.dispose();
  });

  it('the orthogonal decoder stays orthonormal after a retraction (polar factor), and retraction is a projection', async () => {
    const net = new FitNetwork(config(), meta());
    const w = net.trainableVariables().decoderWeight;
    tf.tidy(() => w.assign(tf.add(w, tf.mul(tf.randomNormal(w.shape, 0, 1, 'float32', 9), 0.2))));
    await expectNoLeak(() => net.retractDecoder());
    const q = tf.tidy(() => tf.matMul(w, w, true, false));
    const eye = await q.data();
    for (let i = 0; i < 7; i++) for (let j = 0; j < 7; j++) expect(Math.abs(eye[i * 7 + j] - (i === j ? 1 : 0))).toBeLessThan(1e-5);
    const first = Float32Array.from(await w.data());
    await net.retractDecoder();
    expect(maxRelDiff(await w.data(), first)).toBeLessThan(1e-5);
    q.dispose();
    net.dispose();
  });

  it('parameter counts follow the models’ formulas; building and disposing a network leaks nothing', async () => {
    for (const model of ['ltr', 'static', 'lowRankPerTrial'] as const) {
      await expectNoLeak(() => new FitNetwork(config({ model, inputDim: 2, inputSteps: [0, 1], basisSize: 2, bias: true, decoderScale: true }), meta()).dispose());
    }
    const n = 7;
    const r = 3;
    const k = 10;
    const counts = (m: NetworkConfig['model']): ReturnType<FitNetwork['parameterCounts']> => {
      const net = new FitNetwork(config({ model: m }), meta());
      const c = net.parameterCounts();
      net.dispose();
      return c;
    };
    expect(counts('ltr').recurrent).toBe(2 * n * r + k * r + r);
    expect(counts('static').recurrent).toBe(2 * n * r + r);
    expect(counts('lowRankPerTrial').recurrent).toBe(2 * k * n * r);
    const c = counts('ltr');
    expect(c.decoder).toBe(9 * n - (n * (n + 1)) / 2 + 9);
    expect(c.other).toBe(3 * n); // one initial state per condition
    expect(c.total).toBe(c.recurrent + c.decoder + c.inputs + c.other);
  });
});
