import { beforeAll, describe, expect, it } from 'vitest';
import { rng, type Rng } from '../../src/backend/random';
import { useBackend } from '../../src/backend/use';
import type { Matrix } from '../../src/linalg';
import { CPTensor, cpNonneg, factorMatchScore, relativeError } from '../../src/cp';
import { TEST_BACKENDS, expectNoLeak } from '../helpers/backends';

/** Planted non-negative model: sparse-ish factors (uniform², a third of entries zeroed). */
function plantNonneg(g: Rng, shape: number[], r: number): { factors: Matrix[]; weights: number[] } {
  const factors = shape.map((d) => {
    const data = new Float64Array(d * r);
    for (let k = 0; k < data.length; k++) data[k] = g.uniform() < 0.33 ? 0 : g.uniform() ** 2;
    return { rows: d, cols: r, data };
  });
  return { factors, weights: Array.from({ length: r }, (_, k) => 1 + k) };
}

async function denseOf(cp: CPTensor): Promise<{ data: Float32Array; shape: number[] }> {
  const t = cp.full();
  const data = (await t.data()) as Float32Array;
  t.dispose();
  return { data, shape: cp.shape };
}

async function allNonNegative(cp: CPTensor): Promise<boolean> {
  const h = await cp.toHost();
  return h.factors.every((f) => f.data.every((v) => v >= 0)) && h.weights.every((w) => w >= 0);
}

const fmsByBackend: Record<string, CPTensor> = {};

describe.each(TEST_BACKENDS)('cpNonneg on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('recovers a planted non-negative rank-3 tensor (noise 0): relError < 1e-4, FMS > 0.999, factors ≥ 0', async () => {
    const g = rng(101);
    const shape = [25, 20, 15];
    const { factors, weights } = plantNonneg(g, shape, 3);
    const truth = CPTensor.fromArrays(weights, factors);
    const x = await denseOf(truth);
    const res = await expectNoLeak(() => cpNonneg(x, { rank: 3, seed: 4, restarts: 2, maxIter: 1000, tol: 1e-10 }), 4);
    expect(res.relError).toBeLessThan(1e-4);
    expect(await allNonNegative(res.cp)).toBe(true);
    const fms = await factorMatchScore(res.cp, truth);
    expect(fms.score).toBeGreaterThan(0.999);
    expect(res.history.length).toBe(res.iterations);
    expect(res.restarts).toHaveLength(2);
    expect(res.provenance.options.method).toBe('cpNonneg');
    // the reported error is the error of the returned model
    expect(await relativeError(x, res.cp)).toBeCloseTo(res.relError, 3);
    fmsByBackend[backend] = res.cp;
    truth.dispose();
  });

  it('10 % noise, 4-way: FMS > 0.95 and factors ≥ 0', async () => {
    const g = rng(202);
    const shape = [12, 10, 9, 8];
    const { factors, weights } = plantNonneg(g, shape, 3);
    const truth = CPTensor.fromArrays(weights, factors);
    const clean = await denseOf(truth);
    let ss = 0;
    for (const v of clean.data) ss += v * v;
    const noise = g.normalArray(clean.data.length, 0, 0.1 * Math.sqrt(ss / clean.data.length));
    const x = { data: clean.data.map((v, i) => v + noise[i]), shape };
    const res = await expectNoLeak(() => cpNonneg(x, { rank: 3, seed: 1, restarts: 2, maxIter: 500 }), 5);
    expect(await allNonNegative(res.cp)).toBe(true);
    expect(res.relError).toBeGreaterThan(0.05);
    expect(res.relError).toBeLessThan(0.11);
    expect((await factorMatchScore(res.cp, truth)).score).toBeGreaterThan(0.95);
    res.cp.dispose();
    truth.dispose();
  });

  it('with 30 % missing entries (EM): predicts held-out entries', async () => {
    const g = rng(303);
    const shape = [20, 15, 10];
    const { factors, weights } = plantNonneg(g, shape, 2);
    const truth = CPTensor.fromArrays(weights, factors);
    const x = await denseOf(truth);
    const mask = new Float32Array(x.data.length);
    for (let i = 0; i < mask.length; i++) mask[i] = g.uniform() < 0.7 ? 1 : 0;
    const xm = x.data.map((v, i) => (mask[i] ? v : NaN));
    const res = await expectNoLeak(() => cpNonneg({ data: xm, shape }, { rank: 2, seed: 0, restarts: 2, maxIter: 500, mask: { data: mask, shape } }), 4);
    const heldOut = { data: mask.map((m) => 1 - m), shape };
    expect(res.relError).toBeLessThan(1e-2);
    expect(await relativeError(x, res.cp, { mask: heldOut })).toBeLessThan(2e-2);
    expect(await allNonNegative(res.cp)).toBe(true);
    res.cp.dispose();
    truth.dispose();
  });

  it("init: 'svd' and a CPTensor; onProgress; abort", async () => {
    const g = rng(404);
    const shape = [10, 9, 8];
    const { factors, weights } = plantNonneg(g, shape, 2);
    const truth = CPTensor.fromArrays(weights, factors);
    const x = await denseOf(truth);
    const svd = await cpNonneg(x, { rank: 2, init: 'svd', maxIter: 800, tol: 1e-10 });
    expect((await factorMatchScore(svd.cp, truth)).score).toBeGreaterThan(0.99);
    const seen: number[] = [];
    const warm = await cpNonneg(x, { rank: 2, init: svd.cp, maxIter: 5, onProgress: (p) => seen.push(p.iteration) });
    expect(seen).toEqual(Array.from({ length: warm.iterations }, (_, i) => i + 1));
    expect(warm.relError).toBeLessThan(svd.relError * 1.01 + 1e-6);
    const ac = new AbortController();
    ac.abort();
    await expectNoLeak(() => expect(cpNonneg(x, { rank: 2, signal: ac.signal })).rejects.toMatchObject({ code: 'aborted', path: 'options.signal' }));
    for (const t of [svd.cp, warm.cp, truth]) t.dispose();
  });

  it('refuses bad input with LtrError naming the field', async () => {
    const x = [[[1, 2], [3, 4]], [[5, 6], [7, 8]]];
    await expectNoLeak(async () => {
      await expect(cpNonneg(x, { rank: 0 })).rejects.toMatchObject({ code: 'invalid-option', path: 'options.rank' });
      await expect(cpNonneg(x, { rank: 1.5 })).rejects.toMatchObject({ path: 'options.rank' });
      await expect(cpNonneg(x, { rank: 5 })).rejects.toMatchObject({ path: 'options.rank' });
      await expect(cpNonneg(x, { rank: 1, epsilon: -1 })).rejects.toMatchObject({ path: 'options.epsilon' });
      await expect(cpNonneg(x, { rank: 1, bogus: 1 } as never)).rejects.toMatchObject({ code: 'invalid-option' });
      await expect(cpNonneg([[[1, NaN], [3, 4]], [[5, 6], [7, 8]]], { rank: 1 })).rejects.toMatchObject({ code: 'invalid-data' });
      await expect(cpNonneg(x, { rank: 1, mask: [[1, 1], [1, 1]] })).rejects.toMatchObject({ code: 'shape-mismatch', path: 'options.mask' });
      await expect(cpNonneg(x, { rank: 1, mask: [[[0, 0], [0, 0]], [[0, 0], [0, 0]]] })).rejects.toMatchObject({ path: 'options.mask' });
      const wrong = CPTensor.fromArrays([1, 1], [[[1, 1], [1, 1]], [[1, 1], [1, 1]], [[1, 1], [1, 1]]]);
      await expect(cpNonneg(x, { rank: 1, init: wrong })).rejects.toMatchObject({ code: 'shape-mismatch', path: 'options.init' });
      wrong.dispose();
    });
  });
});

describe('cpNonneg: cpu and wasm agree', () => {
  it('FMS > 0.999 between the backends from the same seed', async () => {
    const [a, b] = TEST_BACKENDS.map((n) => fmsByBackend[n]);
    expect((await factorMatchScore(a, b)).score).toBeGreaterThan(0.999);
    a.dispose();
    b.dispose();
  });
});
