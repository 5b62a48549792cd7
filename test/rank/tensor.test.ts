import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { rng, type Rng } from '../../src/backend/random';
import { useBackend } from '../../src/backend/use';
import { CPTensor } from '../../src/cp';
import { cpRankProfile, hosvd, multilinearRank, trivialCpRankBound } from '../../src/rank';
import { TEST_BACKENDS, expectNoLeak } from '../helpers/backends';

/** A Tucker tensor core ×₁ A ×₂ B ×₃ C with a Gaussian core (r1×r2×r3) and Gaussian factors, in float64. */
function tucker(g: Rng, dims: [number, number, number], ranks: [number, number, number]): { data: Float64Array; shape: number[] } {
  const [I, J, K] = dims;
  const [p, q, r] = ranks;
  const core = g.normalArray(p * q * r);
  const a = g.normalArray(I * p);
  const b = g.normalArray(J * q);
  const c = g.normalArray(K * r);
  const out = new Float64Array(I * J * K);
  for (let i = 0; i < I; i++) for (let j = 0; j < J; j++) for (let k = 0; k < K; k++) {
    let acc = 0;
    for (let x = 0; x < p; x++) for (let y = 0; y < q; y++) for (let z = 0; z < r; z++) acc += core[(x * q + y) * r + z] * a[i * p + x] * b[j * q + y] * c[k * r + z];
    out[(i * J + j) * K + k] = acc;
  }
  return { data: out, shape: [I, J, K] };
}

describe('multilinear rank and HOSVD on the host (float64)', () => {
  it('multilinearRank is exact on constructed Tucker tensors', () => {
    const g = rng(1);
    const cases: [[number, number, number], [number, number, number]][] = [
      [[6, 7, 8], [2, 3, 4]],
      [[6, 7, 8], [1, 1, 1]],
      [[5, 6, 7], [5, 6, 7]],
      [[10, 4, 9], [3, 4, 2]],
      [[8, 8, 8], [4, 2, 3]],
    ];
    for (const [dims, ranks] of cases) {
      const x = tucker(g, dims, ranks);
      expect(multilinearRank(x)).toEqual(ranks);
    }
    // Order 4 and order 2 (a matrix: both unfoldings have its rank).
    const m4 = { data: new Float64Array(3 * 4 * 5 * 2).map((_, i) => ((i % 5) + 1) * ((Math.floor(i / 10) % 4) + 1)), shape: [3, 4, 5, 2] };
    expect(multilinearRank(m4)).toEqual([1, 1, 2, 2]); // NumPy matrix_rank of the unfoldings agrees
    expect(multilinearRank([[1, 2], [2, 4], [0, 0]])).toEqual([1, 1]);
    expect(multilinearRank({ data: new Float64Array(24), shape: [2, 3, 4] })).toEqual([0, 0, 0]);
  });

  it('hosvd: orthonormal factors, the numerical multilinear rank, exact reconstruction; one-mode truncation error = the dropped energy', () => {
    const g = rng(2);
    const x = tucker(g, [6, 7, 8], [2, 3, 4]);
    const h = hosvd(x);
    expect(h.ranks).toEqual([2, 3, 4]);
    expect(h.core.shape).toEqual([2, 3, 4]);
    expect(h.relError).toBeLessThan(1e-14);
    for (const f of h.factors) {
      for (let a = 0; a < f.cols; a++) for (let b = 0; b < f.cols; b++) {
        let dot = 0;
        for (let i = 0; i < f.rows; i++) dot += f.data[i * f.cols + a] * f.data[i * f.cols + b];
        expect(dot).toBeCloseTo(a === b ? 1 : 0, 12);
      }
    }
    // ‖x‖² = ‖core‖² (orthonormal factors preserve the norm of what they keep: everything here).
    const nx = x.data.reduce((s, v) => s + v * v, 0);
    const nc = h.core.data.reduce((s, v) => s + v * v, 0);
    expect(nc / nx).toBeCloseTo(1, 12);
    // Truncating mode 2 only (to 2 of its 3 directions): ‖x − x̂‖² = σ_3² of X_(2), exactly.
    const t = hosvd(x, { ranks: [2, 2, 4] });
    const s2 = t.singularValues[1];
    expect(t.relError).toBeCloseTo(Math.sqrt((s2[2] * s2[2]) / nx), 12);
    // HOSVD's error bound with all modes truncated: ‖x − x̂‖² ≤ Σ_n Σ_{i > r_n} σ_i(X_(n))².
    const t2 = hosvd(x, { ranks: [1, 2, 2] });
    const tail = t2.singularValues.reduce((acc, s, n) => acc + Array.from(s).slice([1, 2, 2][n]).reduce((u, v) => u + v * v, 0), 0);
    expect(t2.relError ** 2 * nx).toBeLessThanOrEqual(tail * (1 + 1e-12));
  });

  it('refuses bad input with LtrError naming the field', () => {
    const x = { data: new Float64Array(24), shape: [2, 3, 4] };
    expect(() => hosvd(x, { ranks: [1, 1] })).toThrow(expect.objectContaining({ code: 'shape-mismatch', path: 'options.ranks' }));
    expect(() => hosvd(x, { ranks: [3, 1, 1] })).toThrow(expect.objectContaining({ code: 'invalid-option', path: 'options.ranks.0' }));
    expect(() => multilinearRank(x, { tol: 1, rtol: 1 })).toThrow(expect.objectContaining({ code: 'invalid-option', path: 'options.rtol' }));
    expect(() => multilinearRank({ data: [1, 2, 3], shape: [3] })).toThrow(expect.objectContaining({ code: 'shape-mismatch', path: 'x' }));
    expect(() => multilinearRank({ data: [1, NaN, 3, 4], shape: [2, 2] })).toThrow(expect.objectContaining({ code: 'invalid-data', path: 'x[0][1]' }));
    expect(() => multilinearRank([[[1, 2]], [[3]]])).toThrow(expect.objectContaining({ code: 'invalid-data' }));
  });
});

describe.each(TEST_BACKENDS)('tensor ranks on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('multilinearRank and hosvd of a float32 tf.Tensor use the float32 rule (async, no leak)', async () => {
    const g = rng(3);
    const x = tucker(g, [6, 7, 8], [2, 3, 4]);
    const t = tf.tensor3d(Float32Array.from(x.data), [6, 7, 8]);
    // float32 storage makes every unfolding full rank at the 1e-7 level; the float32 rule sees through it.
    expect(multilinearRank({ data: Float64Array.from(Float32Array.from(x.data)), shape: x.shape })).toEqual([6, 7, 8]);
    expect(await expectNoLeak(() => multilinearRank(t))).toEqual([2, 3, 4]);
    const h = await expectNoLeak(() => hosvd(t));
    expect(h.precision).toBe('float32');
    expect(h.ranks).toEqual([2, 3, 4]);
    expect(h.relError).toBeLessThan(1e-6);
    t.dispose();
  });

  it('cpRankProfile estimates the planted rank R = 1 … 6 of noise-free 20×20×20 tensors (both estimates)', async () => {
    for (let R = 1; R <= 6; R++) {
      const g = rng(100 + R);
      const truth = CPTensor.fromArrays(Array(R).fill(1), [0, 1, 2].map(() => ({ rows: 20, cols: R, data: g.normalArray(20 * R) })));
      const full = truth.full();
      const data = (await full.data()) as Float32Array;
      full.dispose();
      truth.dispose();
      const p = await expectNoLeak(() => cpRankProfile({ data, shape: [20, 20, 20] }, { maxRank: R + 1, restarts: 3, maxIter: 300, seed: 0 }));
      const msg = `R = ${R}: ${p.ranks.map((e) => `${e.rank}: err ${e.relError.toExponential(1)}, cc ${e.coreConsistency.toFixed(0)}`).join('; ')}`;
      expect(p.estimate.byVariance(0.999), msg).toBe(R);
      expect(p.estimate.byCoreConsistency(90), msg).toBe(R);
      expect(p.ranks[R - 1].relError, msg).toBeLessThan(1e-4);
      expect(p.ranks[R - 1].coreConsistency, msg).toBeGreaterThan(99);
      expect(p.ranks[R].coreConsistency, msg).toBeLessThan(50);
      expect(p.trivialUpperBound).toBe(400);
      expect(p.shape).toEqual([20, 20, 20]);
      expect(p.note).toMatch(/NP-hard/);
    }
  });

  it('cpRankProfile refuses a maxRank above the trivial bound and bad estimate arguments', async () => {
    expect(trivialCpRankBound([2, 3, 4])).toBe(6);
    const x = { data: Float32Array.from({ length: 24 }, (_, i) => Math.sin(i)), shape: [2, 3, 4] };
    await expect(cpRankProfile(x, { maxRank: 7 })).rejects.toMatchObject({ code: 'invalid-option', path: 'options.maxRank' });
    await expect(cpRankProfile(x, { maxRank: 0 })).rejects.toMatchObject({ code: 'invalid-option', path: 'options.maxRank' });
    const p = await cpRankProfile(x, { maxRank: 2, restarts: 1, maxIter: 50 });
    expect(() => p.estimate.byVariance(0)).toThrow(expect.objectContaining({ path: 'fraction' }));
    expect(() => p.estimate.byCoreConsistency(NaN)).toThrow(expect.objectContaining({ path: 'threshold' }));
  });
});
