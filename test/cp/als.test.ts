import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../src/backend';
import { rng, type Rng } from '../../src/backend/random';
import { CPTensor, cpAls, cpNonneg, cpOpt, type CPTensorHost, type CpAlsOptions } from '../../src/cp';
import { LtrError } from '../../src/validate/errors';

// ---- helpers ---------------------------------------------------------------------------------

interface Planted {
  shape: number[];
  truth: CPTensorHost;
  clean: Float64Array;
  noisy: Float64Array;
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Dense Σ_r λ_r ∘ columns by nested loops in float64. */
function hostFull(h: CPTensorHost, shape: number[]): Float64Array {
  const r = h.weights.length;
  const out = new Float64Array(size(shape));
  const idx = new Array<number>(shape.length).fill(0);
  for (let f = 0; f < out.length; f++) {
    let rest = f;
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d] = rest % shape[d];
      rest = Math.floor(rest / shape[d]);
    }
    let s = 0;
    for (let k = 0; k < r; k++) {
      let p = h.weights[k];
      for (let n = 0; n < shape.length; n++) p *= h.factors[n].data[idx[n] * r + k];
      s += p;
    }
    out[f] = s;
  }
  return out;
}

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

/** Rank-r tensor from standard normal factors, plus Gaussian noise with ‖noise‖ = noise·‖clean‖. */
function plant(shape: number[], r: number, noise: number, seed: number): Planted {
  const g: Rng = rng(seed);
  const truth: CPTensorHost = {
    weights: new Float64Array(r).fill(1),
    factors: shape.map((n) => ({ rows: n, cols: r, data: g.normalArray(n * r) })),
  };
  const clean = hostFull(truth, shape);
  const e = g.normalArray(clean.length);
  const scale = noise === 0 ? 0 : (noise * norm(clean)) / norm(e);
  const noisy = clean.map((v, i) => v + scale * e[i]);
  return { shape, truth, clean, noisy };
}

const data = (p: Planted, values = p.noisy) => ({ data: Float32Array.from(values), shape: p.shape });

function* permutations(n: number): Generator<number[]> {
  if (n === 1) {
    yield [0];
    return;
  }
  for (const p of permutations(n - 1)) for (let i = 0; i < n; i++) yield [...p.slice(0, i), n - 1, ...p.slice(i)];
}

/**
 * Factor match score by brute force over all R! matchings: mean over matched pairs of
 * (1 − |λa − λb| / max(λa, λb)) · ∏_modes |cos(columns)|, with λ = |w| ∏ ‖column‖ (ignores sign
 * and scale). Independent of the library's own factorMatchScore.
 */
function fms(a: CPTensorHost, b: CPTensorHost): number {
  const r = a.weights.length;
  const col = (h: CPTensorHost, n: number, k: number): number[] => Array.from({ length: h.factors[n].rows }, (_, i) => h.factors[n].data[i * r + k]);
  const mag = (h: CPTensorHost, k: number): number => h.factors.reduce((p, _, n) => p * norm(col(h, n, k)), Math.abs(h.weights[k]));
  const sim = (i: number, j: number): number => {
    let s = 1;
    for (let n = 0; n < a.factors.length; n++) {
      const u = col(a, n, i);
      const v = col(b, n, j);
      s *= Math.abs(u.reduce((acc, x, t) => acc + x * v[t], 0)) / (norm(u) * norm(v));
    }
    const la = mag(a, i);
    const lb = mag(b, j);
    return s * (1 - Math.abs(la - lb) / Math.max(la, lb));
  };
  let best = -Infinity;
  for (const p of permutations(r)) best = Math.max(best, p.reduce((acc, j, i) => acc + sim(i, j), 0) / r);
  return best;
}

async function expectLtrError(fn: () => Promise<unknown>, code: string, path: string | RegExp): Promise<void> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(LtrError);
    expect((e as LtrError).code).toBe(code);
    if (typeof path === 'string') expect((e as LtrError).path).toBe(path);
    else expect((e as LtrError).path).toMatch(path);
    return;
  }
  throw new Error('expected an LtrError');
}

async function fit(x: Parameters<typeof cpAls>[0], options: CpAlsOptions) {
  const res = await cpAls(x, options);
  const host = await res.cp.toHost();
  const full = res.cp.full();
  const dense = Float64Array.from(await full.data());
  full.dispose();
  res.cp.dispose();
  return { ...res, host, dense };
}

// ---- tests -----------------------------------------------------------------------------------

describe.each(['cpu', 'wasm'] as const)('cpAls on %s', (backend) => {
  let start = 0;
  beforeAll(async () => {
    await useBackend(backend);
  });
  beforeEach(() => {
    start = tf.memory().numTensors;
  });
  afterEach(() => {
    expect(tf.memory().numTensors).toBe(start);
  });

  it.each([
    [[14, 12, 10], 3],
    [[8, 7, 6, 5], 3],
    [[12, 10, 3], 4], // R > last dimension: per-mode MTTKRPs instead of the dimension tree
  ])('recovers a noise-free planted %j tensor of rank %i (relError < 1e-4, FMS > 0.999)', async (shape, r) => {
    const p = plant(shape, r, 0, 11);
    const res = await fit(data(p), { rank: r, seed: 1 });
    expect(res.relError).toBeLessThan(1e-4);
    expect(res.converged).toBe(true);
    expect(fms(res.host, p.truth)).toBeGreaterThan(0.999);
    // The returned model is arranged: weights descending, unit columns.
    for (let k = 1; k < r; k++) expect(res.host.weights[k - 1]).toBeGreaterThanOrEqual(res.host.weights[k]);
    // relError is the true relative error of the returned model.
    const d = res.dense.map((v, i) => v - p.clean[i]);
    expect(norm(d) / norm(p.clean)).toBeLessThan(1e-4);
    expect(res.history.length).toBe(res.iterations);
    expect(res.restarts).toEqual([{ relError: res.relError, iterations: res.iterations, converged: true, seed: 1 }]);
    expect(res.provenance).toMatchObject({ library: 'ltr-rnn', backend, seed: 1, options: { method: 'cpAls', rank: r, maxIter: 500, tol: 1e-8, restarts: 1, init: 'random' } });
  });

  it.each([
    [[20, 16, 12], 3],
    [[10, 9, 8, 7], 3],
  ])('recovers a planted %j tensor of rank %i under 10 %% noise (FMS > 0.95)', async (shape, r) => {
    const p = plant(shape, r, 0.1, 12);
    const res = await fit(data(p), { rank: r, seed: 2 });
    expect(fms(res.host, p.truth)).toBeGreaterThan(0.95);
    // The error is the noise level (a little below: the model absorbs some noise).
    expect(res.relError).toBeGreaterThan(0.085);
    expect(res.relError).toBeLessThan(0.1);
    expect(res.converged).toBe(true);
  });

  it('with 30 % missing entries (NaN there, mask 0) predicts the held-out entries to within the noise level', async () => {
    const shape = [18, 15, 12];
    const p = plant(shape, 3, 0.1, 13);
    const g = rng(14);
    const mask = Float32Array.from({ length: p.noisy.length }, () => (g.uniform() < 0.3 ? 0 : 1));
    const withNaN = p.noisy.map((v, i) => (mask[i] ? v : NaN));
    const res = await fit(data(p, withNaN), { rank: 3, seed: 3, mask: { data: mask, shape } });
    let heldNum = 0;
    let heldNoisy = 0;
    let heldDen = 0;
    let obsNum = 0;
    let obsDen = 0;
    for (let i = 0; i < mask.length; i++) {
      if (mask[i]) {
        obsNum += (res.dense[i] - p.noisy[i]) ** 2;
        obsDen += p.noisy[i] ** 2;
      } else {
        heldNum += (res.dense[i] - p.clean[i]) ** 2;
        heldNoisy += (res.dense[i] - p.noisy[i]) ** 2;
        heldDen += p.clean[i] ** 2;
      }
    }
    // relError is over observed entries only.
    expect(res.relError).toBeCloseTo(Math.sqrt(obsNum / obsDen), 4);
    // Held-out predictions: closer to the clean tensor than the noise is, and off the noisy
    // held-out data by about the noise level.
    expect(Math.sqrt(heldNum / heldDen)).toBeLessThan(0.1);
    expect(Math.sqrt(heldNoisy / heldDen)).toBeLessThan(0.12);
    expect(fms(res.host, p.truth)).toBeGreaterThan(0.95);
  });

  it("init 'svd' recovers the planted tensor, also with rank above a dimension (random padding)", async () => {
    const p = plant([14, 12, 10], 3, 0, 15);
    const res = await fit(data(p), { rank: 3, init: 'svd' });
    expect(res.relError).toBeLessThan(1e-4);
    expect(fms(res.host, p.truth)).toBeGreaterThan(0.999);
    // Rank 4 > I_1 = 3: mode 1 gets 3 singular vectors and one random column.
    const q = plant([10, 3, 8], 4, 0, 16);
    const res2 = await fit(data(q), { rank: 4, init: 'svd', seed: 4 });
    expect(res2.relError).toBeLessThan(1e-4);
    expect(fms(res2.host, q.truth)).toBeGreaterThan(0.999);
  });

  it('init from a CPTensor starts there (converges at once from the truth) and does not consume it', async () => {
    const p = plant([12, 10, 8], 3, 0.05, 17);
    const init = CPTensor.fromArrays(p.truth.weights, p.truth.factors);
    const res = await fit(data(p), { rank: 3, init });
    expect(res.iterations).toBeLessThanOrEqual(5);
    expect(init.isDisposed).toBe(false);
    expect(res.provenance.options.init).toEqual({ cpTensor: { shape: [12, 10, 8], rank: 3 } });
    init.dispose();
  });

  it('restarts: runs all, reports each, returns the best; results are reproducible from the seed', async () => {
    // Rank 4 on rank-3 + noise data: restarts land in different local optima.
    const p = plant([10, 9, 8], 3, 0.3, 18);
    const res = await cpAls(data(p), { rank: 4, restarts: 4, seed: 5, maxIter: 60 });
    expect(res.restarts).toHaveLength(4);
    const errors = res.restarts!.map((r) => r.relError);
    expect(res.relError).toBe(Math.min(...errors));
    expect(res.restarts![0].seed).toBe(5);
    expect(new Set(res.restarts!.map((r) => r.seed)).size).toBe(4);
    const best = res.restarts!.find((r) => r.relError === res.relError)!;
    expect(res.iterations).toBe(best.iterations);
    const again = await cpAls(data(p), { rank: 4, restarts: 4, seed: 5, maxIter: 60 });
    expect(again.restarts!.map((r) => r.relError)).toEqual(errors);
    res.cp.dispose();
    again.cp.dispose();
  });

  it('a timer (or SIGINT handler) can abort cpAls, cpNonneg and cpOpt mid-run: their loops let the event loop turn', async () => {
    // Without the loops yielding, these timers would only fire after every iteration had run.
    // Rank 8 on noisy rank-3 data: over-factored ALS crawls for thousands of iterations, well past
    // the first 20 ms (a run that converged first would return instead of throwing).
    const p = plant([20, 18, 16], 3, 0.5, 23);
    const runs = [
      (signal: AbortSignal) => cpAls(data(p), { rank: 8, maxIter: 1_000_000, tol: 0, signal }),
      (signal: AbortSignal) => cpNonneg(data(p), { rank: 8, maxIter: 1_000_000, tol: 0, signal }),
      (signal: AbortSignal) => cpOpt(data(p), { rank: 8, maxIter: 1_000_000, tol: 0, optimizer: 'adam', signal }),
    ];
    for (const run of runs) {
      const ac = new AbortController();
      // Fires at the loop's first turn of the event loop, 20 ms in: long before convergence.
      const timer = setTimeout(() => ac.abort(), 0);
      const t0 = performance.now();
      await expectLtrError(() => run(ac.signal), 'aborted', 'options.signal');
      clearTimeout(timer);
      expect(performance.now() - t0).toBeLessThan(20_000);
    }
  });

  it('reports progress and stops with LtrError aborted when the signal fires, leaking nothing', async () => {
    const p = plant([12, 10, 8], 3, 0.1, 19);
    const seen: number[] = [];
    const ac = new AbortController();
    await expectLtrError(
      () =>
        cpAls(data(p), {
          rank: 3,
          maxIter: 100,
          tol: 0,
          signal: ac.signal,
          onProgress: ({ iteration, relError }) => {
            expect(Number.isFinite(relError)).toBe(true);
            seen.push(iteration);
            if (iteration === 3) ac.abort();
          },
        }),
      'aborted',
      'options.signal',
    );
    expect(seen).toEqual([1, 2, 3]);
    const pre = new AbortController();
    pre.abort();
    await expectLtrError(() => cpAls(data(p), { rank: 3, signal: pre.signal }), 'aborted', 'options.signal');
    // With a mask too.
    const ac2 = new AbortController();
    const mask = { data: new Float32Array(p.noisy.length).fill(1), shape: p.shape };
    await expectLtrError(() => cpAls(data(p), { rank: 3, mask, signal: ac2.signal, onProgress: () => ac2.abort() }), 'aborted', 'options.signal');
  });

  it('refuses bad input with LtrError naming the field, leaking nothing', async () => {
    const p = plant([6, 5, 4], 2, 0, 20);
    const x = data(p);
    await expectLtrError(() => cpAls(x, { rank: 0 }), 'invalid-option', 'options.rank');
    await expectLtrError(() => cpAls(x, { rank: 1.5 }), 'invalid-option', 'options.rank');
    await expectLtrError(() => cpAls(x, {} as CpAlsOptions), 'invalid-option', 'options.rank');
    await expectLtrError(() => cpAls({ data: new Float32Array(8).fill(1), shape: [2, 2, 2] }, { rank: 5 }), 'invalid-option', 'options.rank');
    await expectLtrError(() => cpAls(x, { rank: 2, maxIter: 0 }), 'invalid-option', 'options.maxIter');
    await expectLtrError(() => cpAls(x, { rank: 2, init: 'nvecs' as 'svd' }), 'invalid-option', 'options.init');
    const wrongShape = CPTensor.fromArrays([1, 1], [[[1, 0], [0, 1]], [[1, 0], [0, 1]], [[1, 0], [0, 1]]]);
    await expectLtrError(() => cpAls(x, { rank: 2, init: wrongShape }), 'shape-mismatch', 'options.init');
    const wrongRank = CPTensor.fromArrays([1], p.shape.map((n) => Array.from({ length: n }, () => [1])));
    await expectLtrError(() => cpAls(x, { rank: 2, init: wrongRank }), 'shape-mismatch', 'options.init');
    wrongShape.dispose();
    wrongRank.dispose();
    await expectLtrError(() => cpAls(x, { rank: 2, mask: { data: new Float32Array(20).fill(1), shape: [5, 4] } }), 'shape-mismatch', 'options.mask');
    await expectLtrError(() => cpAls(x, { rank: 2, mask: { data: new Float32Array(120), shape: p.shape } }), 'invalid-data', 'options.mask');
    await expectLtrError(() => cpAls(x, { rank: 2, mask: { data: new Float32Array(120).fill(0.5), shape: p.shape } }), 'invalid-data', 'options.mask');
    const nan = Float32Array.from(x.data);
    nan[7] = NaN;
    await expectLtrError(() => cpAls({ data: nan, shape: p.shape }, { rank: 2 }), 'invalid-data', 'x[0][1][3]');
    // NaN where the mask says observed.
    await expectLtrError(() => cpAls({ data: nan, shape: p.shape }, { rank: 2, mask: { data: new Float32Array(120).fill(1), shape: p.shape } }), 'invalid-data', 'x');
    const t = tf.tensor(nan, p.shape);
    await expectLtrError(() => cpAls(t, { rank: 2 }), 'invalid-data', 'x');
    t.dispose();
    await expectLtrError(() => cpAls([1, 2, 3], { rank: 1 }), 'shape-mismatch', 'x');
    await expectLtrError(() => cpAls({ data: new Float32Array(120), shape: p.shape }, { rank: 2 }), 'invalid-data', 'x');
  });

  it('accepts a tf.Tensor input without consuming it', async () => {
    const p = plant([8, 7, 6], 2, 0, 21);
    const t = tf.tensor(Float32Array.from(p.noisy), p.shape);
    const res = await cpAls(t, { rank: 2, seed: 1 });
    expect(t.isDisposed).toBe(false);
    expect(res.relError).toBeLessThan(1e-4);
    res.cp.dispose();
    t.dispose();
  });
});

describe('cpAls: cpu and wasm agree from the same seed', () => {
  it('FMS > 0.999 between the two backends’ results, noise-free and noisy', async () => {
    for (const noise of [0, 0.1]) {
      const p = plant([16, 12, 10], 3, noise, 22);
      const hosts: CPTensorHost[] = [];
      const errors: number[] = [];
      for (const backend of ['cpu', 'wasm'] as const) {
        await useBackend(backend);
        const before = tf.memory().numTensors;
        const res = await cpAls(data(p), { rank: 3, seed: 7 });
        hosts.push(await res.cp.toHost());
        errors.push(res.relError);
        res.cp.dispose();
        expect(tf.memory().numTensors).toBe(before);
      }
      expect(fms(hosts[0], hosts[1])).toBeGreaterThan(0.999);
      expect(Math.abs(errors[0] - errors[1])).toBeLessThan(noise === 0 ? 1e-5 : 1e-4);
    }
  });
});
