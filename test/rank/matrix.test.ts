import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { rng, type Rng } from '../../src/backend/random';
import { useBackend } from '../../src/backend/use';
import { matrix, qr, type Matrix } from '../../src/linalg';
import { EPS32, EPS64, effectiveRank, matrixRank, participationRatio, rankForVariance, rankThreshold, singularValues, stableRank } from '../../src/rank';
import { TEST_BACKENDS, expectNoLeak } from '../helpers/backends';

/** Q with orthonormal columns (m × k) from the QR of a Gaussian matrix. */
function orthonormal(g: Rng, m: number, k: number): Float64Array {
  const q = qr(matrix(m, k, g.normalArray(m * k))).q;
  const out = new Float64Array(m * k);
  for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) out[i * k + j] = q.data[i * q.cols + j];
  return out;
}

/** U diag(s) Vᵀ (m × n) in float64 with random orthonormal U, V: singular values exactly s (to ~1e-16). */
function withSingularValues(g: Rng, m: number, n: number, s: number[]): Matrix {
  const k = s.length;
  const u = orthonormal(g, m, k);
  const v = orthonormal(g, n, k);
  const a = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let acc = 0;
    for (let r = 0; r < k; r++) acc += u[i * k + r] * s[r] * v[j * k + r];
    a[i * n + j] = acc;
  }
  return { rows: m, cols: n, data: a };
}

const toNested = (m: Matrix): number[][] => Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));

describe('matrix ranks on the host (float64 rule)', () => {
  it('exact on constructed matrices of every rank r = 0 … min(M, N), tall, wide and square, in all host forms', () => {
    const g = rng(1);
    for (const [m, n] of [[12, 7], [7, 12], [9, 9]]) {
      for (let r = 0; r <= Math.min(m, n); r++) {
        const s = Array.from({ length: r }, (_, i) => 2 ** -i); // σ from 1 down to 2^-(r−1)
        const a = r === 0 ? { rows: m, cols: n, data: new Float64Array(m * n) } : withSingularValues(g, m, n, s);
        expect(matrixRank(a)).toBe(r);
        expect(matrixRank(toNested(a))).toBe(r);
        expect(matrixRank({ data: a.data, shape: [m, n] })).toBe(r);
        expect(matrixRank({ data: Array.from(a.data), shape: [m, n] })).toBe(r);
      }
    }
  });

  it('float64 threshold σ_max·max(M, N)·2⁻⁵²: a singular value just below it is dropped, just above it counted', () => {
    // A 10×8 matrix with σ = (1, 0.5, δ). Threshold = 1 · 10 · 2⁻⁵² ≈ 2.22e-15. The construction
    // itself is exact to about 1e-16·‖A‖, an order of magnitude under the threshold, so δ = 2e-16
    // is dropped while δ = 1e-13 (45× the threshold) is counted.
    const g = rng(2);
    const thr = 10 * EPS64;
    expect(rankThreshold([1], 10, 8)).toBe(thr);
    const below = withSingularValues(g, 10, 8, [1, 0.5, 2e-16]);
    const above = withSingularValues(g, 10, 8, [1, 0.5, 1e-13]);
    expect(Math.abs(singularValues(above)[2] - 1e-13)).toBeLessThan(1e-15);
    expect(matrixRank(below)).toBe(2);
    expect(matrixRank(above)).toBe(3);
    // The same matrices judged as float32 data: 1e-13 is far below 10·2⁻²³ ≈ 1.2e-6.
    expect(matrixRank(above, { precision: 'float32' })).toBe(2);
    // Explicit thresholds.
    expect(matrixRank(above, { tol: 1e-12 })).toBe(2);
    expect(matrixRank(above, { tol: 1e-14 })).toBe(3);
    expect(matrixRank(above, { rtol: 0.6 })).toBe(1);
    expect(matrixRank(above, { rtol: 1e-14 })).toBe(3);
  });

  it('continuous measures against closed forms', () => {
    const g = rng(3);
    const a = withSingularValues(g, 6, 5, [2, 1]);
    const p = [2 / 3, 1 / 3];
    expect(effectiveRank(a)).toBeCloseTo(Math.exp(-p[0] * Math.log(p[0]) - p[1] * Math.log(p[1])), 12);
    expect(participationRatio(a)).toBeCloseTo(25 / 17, 12);
    expect(stableRank(a)).toBeCloseTo(5 / 4, 12);
    const eq = withSingularValues(g, 8, 8, [3, 3, 3]);
    expect(effectiveRank(eq)).toBeCloseTo(3, 10);
    expect(participationRatio(eq)).toBeCloseTo(3, 10);
    expect(stableRank(eq)).toBeCloseTo(3, 10);
    // rankForVariance: σ² = (9, 4, 1) of a total 14.
    const b = withSingularValues(g, 7, 4, [3, 2, 1]);
    expect(rankForVariance(b, 9 / 14 - 1e-9)).toBe(1);
    expect(rankForVariance(b, 0.65)).toBe(2);
    expect(rankForVariance(b, 13 / 14 - 1e-9)).toBe(2);
    expect(rankForVariance(b, 0.95)).toBe(3);
    expect(rankForVariance(b, 1)).toBe(3);
    const zero = { rows: 3, cols: 3, data: new Float64Array(9) };
    expect([matrixRank(zero), effectiveRank(zero), participationRatio(zero), stableRank(zero), rankForVariance(zero, 0.9)]).toEqual([0, 0, 0, 0, 0]);
    expect(Array.from(singularValues([[3, 0], [0, -4]]))).toEqual([4, 3]);
  });

  it('refuses bad input and options with LtrError naming the field', () => {
    expect(() => matrixRank([[1, 2], [3, NaN]])).toThrow(expect.objectContaining({ code: 'invalid-data', path: 'm[1][1]' }));
    expect(() => matrixRank([[1, 2], [3]])).toThrow(expect.objectContaining({ code: 'invalid-data', path: 'm[1]' }));
    expect(() => matrixRank([[[1]]] as unknown as number[][])).toThrow(expect.objectContaining({ code: 'shape-mismatch', path: 'm' }));
    expect(() => matrixRank({ data: [1, 2, 3], shape: [2, 2] })).toThrow(expect.objectContaining({ code: 'shape-mismatch', path: 'm.data' }));
    expect(() => matrixRank({ data: [], shape: [0, 2] })).toThrow(expect.objectContaining({ code: 'invalid-data', path: 'm' }));
    expect(() => matrixRank('abc' as unknown as number[][])).toThrow(expect.objectContaining({ code: 'invalid-data', path: 'm' }));
    expect(() => matrixRank([[1]], { tol: 1, rtol: 1 })).toThrow(expect.objectContaining({ code: 'invalid-option', path: 'options.rtol' }));
    expect(() => matrixRank([[1]], { tol: -1 })).toThrow(expect.objectContaining({ code: 'invalid-option', path: 'options.tol' }));
    expect(() => matrixRank([[1]], { precision: 'float16' as 'float32' })).toThrow(expect.objectContaining({ code: 'invalid-option', path: 'options.precision' }));
    expect(() => rankForVariance([[1]], 0)).toThrow(expect.objectContaining({ code: 'invalid-option', path: 'fraction' }));
    expect(() => rankForVariance([[1]], 1.5)).toThrow(expect.objectContaining({ code: 'invalid-option', path: 'fraction' }));
  });
});

describe.each(TEST_BACKENDS)('matrix ranks of float32 data (tf.Tensor on %s, Float32Array)', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('float32 threshold σ_max·max(M, N)·2⁻²³: noise below it is round-off, above it is rank', async () => {
    // A 10×8 matrix with σ = (1, 0.5, δ), stored in float32. Storing rounds each entry by up to
    // 2⁻²⁴ of it (|a_ij| ≲ 0.6), which adds singular values of about 1e-7 — so a float32 matrix of
    // rank 2 already has 8 non-zero singular values in float64. The float32 threshold
    // 1 · 10 · 2⁻²³ ≈ 1.19e-6 sits above that round-off: δ = 1e-7 (below) is not counted,
    // δ = 1e-5 (8× above) is.
    const g = rng(4);
    const thr = 10 * EPS32;
    for (const [delta, expected] of [[1e-7, 2], [1e-5, 3]] as const) {
      const a = withSingularValues(g, 10, 8, [1, 0.5, delta]);
      const f32 = Float32Array.from(a.data);
      const t = tf.tensor2d(f32, [10, 8]);
      const s = await expectNoLeak(() => singularValues(t));
      expect(s[3]).toBeGreaterThan(0); // round-off made it full rank …
      expect(s[3]).toBeLessThan(thr / 4); // … far under the threshold
      expect(await expectNoLeak(() => matrixRank(t))).toBe(expected);
      expect(matrixRank({ data: f32, shape: [10, 8] })).toBe(expected);
      // The same float32 values read as float64 data: the float64 rule counts the round-off.
      expect(matrixRank({ data: Float64Array.from(f32), shape: [10, 8] })).toBe(8);
      expect(await matrixRank(t, { precision: 'float64' })).toBe(8);
      t.dispose();
    }
  });

  it('every measure accepts a tensor asynchronously (and agrees with the host value); bad options reject', async () => {
    const g = rng(5);
    const a = withSingularValues(g, 6, 9, [4, 2, 1]);
    const t = tf.tensor2d(Float32Array.from(a.data), [6, 9]);
    const host = { data: Float32Array.from(a.data), shape: [6, 9] };
    expect(await effectiveRank(t)).toBeCloseTo(effectiveRank(host), 12);
    expect(await participationRatio(t)).toBeCloseTo(participationRatio(host), 12);
    expect(await stableRank(t)).toBeCloseTo(stableRank(host), 12);
    expect(await rankForVariance(t, 0.99)).toBe(3);
    expect(stableRank(host)).toBeCloseTo(21 / 16, 5);
    await expect(matrixRank(t, { tol: -1 })).rejects.toMatchObject({ code: 'invalid-option', path: 'options.tol' });
    await expect(rankForVariance(t, 2)).rejects.toMatchObject({ code: 'invalid-option', path: 'fraction' });
    const cube = tf.zeros([2, 2, 2]);
    await expect(matrixRank(cube)).rejects.toMatchObject({ code: 'shape-mismatch', path: 'm' });
    cube.dispose();
    const bad = tf.tensor2d([1, NaN, 0, 1], [2, 2]);
    await expect(matrixRank(bad)).rejects.toMatchObject({ code: 'invalid-data', path: 'm[0][1]' });
    bad.dispose();
    t.dispose();
  });
});
