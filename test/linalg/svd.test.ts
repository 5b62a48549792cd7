import { describe, expect, it } from 'vitest';
import { conditionNumber, fromRows, identity, matmul, matrix, maxAbsDiff, singularValuesOnly, svd, transpose, zeros, type Matrix } from '../../src/linalg';
import { allFinite, expectLtrError, hilbert, orthoError, randn, relDiff, scaleCols, withSingularValues } from './helpers';

const EPS = 2.220446049250313e-16;

/** The signed largest-magnitude entry of each column. */
function largestEntries(u: Matrix): number[] {
  const out: number[] = [];
  for (let j = 0; j < u.cols; j++) {
    let m = 0;
    for (let i = 0; i < u.rows; i++) if (Math.abs(u.data[i * u.cols + j]) > Math.abs(m)) m = u.data[i * u.cols + j];
    out.push(m);
  }
  return out;
}

function reconstruct(u: Matrix, s: Float64Array, v: Matrix): Matrix {
  const k = s.length;
  const uk = matrix(u.rows, k, Array.from({ length: u.rows * k }, (_, i) => u.data[Math.floor(i / k) * u.cols + (i % k)]));
  const vk = matrix(v.rows, k, Array.from({ length: v.rows * k }, (_, i) => v.data[Math.floor(i / k) * v.cols + (i % k)]));
  return matmul(scaleCols(uk, s), transpose(vk));
}

describe('svd', () => {
  it.each([
    [1, 1],
    [2, 2],
    [9, 4],
    [4, 9],
    [50, 50],
    [60, 12],
    [12, 60],
  ])('decomposes a random %i×%i matrix: A = U S Vᵀ, UᵀU = VᵀV = I, s descending', (m, n) => {
    const a = randn(m, n, 31 * m + n);
    const { u, s, v } = svd(a);
    const k = Math.min(m, n);
    expect([u.rows, u.cols, v.rows, v.cols, s.length]).toEqual([m, k, n, k, k]);
    expect(relDiff(reconstruct(u, s, v), a)).toBeLessThan(1e-13);
    expect(orthoError(u)).toBeLessThan(1e-13);
    expect(orthoError(v)).toBeLessThan(1e-13);
    for (let i = 1; i < k; i++) expect(s[i]).toBeLessThanOrEqual(s[i - 1]);
    expect(s[k - 1]).toBeGreaterThan(0);
    expect(relDiff(singularValuesOnly(a), s)).toBeLessThan(1e-14);
  });

  it('recovers prescribed singular values to 1e-10 relative (tall, wide, square)', () => {
    const s0 = [100, 30, 7, 1, 0.25, 0.01, 1e-3, 1e-5];
    for (const [m, n] of [[40, 8], [8, 40], [8, 8]]) {
      const a = withSingularValues(m, n, s0, m + n);
      const s = svd(a).s;
      const rel = s0.map((x, i) => Math.abs(s[i] - x) / x);
      expect(Math.max(...rel.slice(0, 5))).toBeLessThan(1e-13);
      expect(Math.max(...rel.slice(0, 7))).toBeLessThan(1e-10);
      // σ = 1e-5 = 1e-7·σ_max: backward stability promises ≈ ε·σ_max absolute accuracy, and
      // rounding in building A perturbs it as much, so only that bound is guaranteed.
      expect(rel[7]).toBeLessThan((50 * EPS * s0[0]) / s0[7]);
    }
  });

  it('gives known answers and follows the sign convention', () => {
    const { u, s, v } = svd(fromRows([[3, 0], [0, -4]]));
    expect(Array.from(s)).toEqual([4, 3]);
    expect(maxAbsDiff(u, fromRows([[0, 1], [1, 0]]))).toBe(0);
    expect(maxAbsDiff(v, fromRows([[0, 1], [-1, 0]]))).toBe(0);
    const one = svd(fromRows([[-2]]));
    expect([one.u.data[0], one.s[0], one.v.data[0]]).toEqual([1, 2, -1]);
    for (const a of [randn(15, 6, 1), randn(6, 15, 2)]) {
      const r = svd(a);
      expect(Math.min(...largestEntries(r.u))).toBeGreaterThan(0);
    }
  });

  it('handles rank-deficient matrices: exact zeros stay tiny, factors stay orthonormal', () => {
    for (const [m, n] of [[20, 10], [10, 20], [10, 10]]) {
      const a = withSingularValues(m, n, [5, 2, 1, 0, 0, 0, 0, 0, 0, 0], 7 * m);
      const { u, s, v } = svd(a);
      expect(Math.abs(s[0] - 5)).toBeLessThan(1e-13);
      expect(Math.abs(s[2] - 1)).toBeLessThan(1e-13);
      for (let i = 3; i < 10; i++) expect(s[i]).toBeLessThan(20 * EPS * 5);
      expect(orthoError(u)).toBeLessThan(1e-13);
      expect(orthoError(v)).toBeLessThan(1e-13);
      expect(relDiff(reconstruct(u, s, v), a)).toBeLessThan(1e-13);
    }
    // Exactly repeated rows and columns.
    const r = svd(fromRows([[1, 2, 3], [1, 2, 3], [2, 4, 6]]));
    expect(r.s[0]).toBeCloseTo(Math.sqrt(6 * 14), 13);
    expect(r.s[1]).toBeLessThan(1e-14);
    expect(orthoError(r.u)).toBeLessThan(1e-14);
  });

  it('keeps singular vectors orthonormal when rounding debris reaches the subnormal range', () => {
    // Arrow matrix (first row and column ones): rank 2; bidiagonalizing it leaves entries that
    // shrink geometrically down to 1e-323. Regression test for non-orthogonal reflectors.
    for (const [m, n] of [[24, 23], [37, 23], [23, 37], [40, 40]]) {
      const a = matrix(m, n, Array.from({ length: m * n }, (_, i) => (i < n || i % n === 0 ? 1 : 0)));
      const { u, s, v } = svd(a);
      expect(orthoError(u)).toBeLessThan(1e-13);
      expect(orthoError(v)).toBeLessThan(1e-13);
      // Backward error ≈ n·ε·‖A‖₂ with ‖A‖₂ ≈ 7 here.
      expect(relDiff(reconstruct(u, s, v), a)).toBeLessThan(1e-13);
      // Exact singular values: σ² are the roots of x² − (m + n − 1)x + (m − 1)(n − 1).
      const p = m + n - 1;
      const q = (m - 1) * (n - 1);
      const disc = Math.sqrt(p * p - 4 * q);
      expect(Math.abs(s[0] - Math.sqrt((p + disc) / 2)) / s[0]).toBeLessThan(1e-14);
      expect(Math.abs(s[1] - Math.sqrt((p - disc) / 2)) / s[1]).toBeLessThan(1e-14);
      for (let i = 2; i < s.length; i++) expect(s[i] / s[0]).toBeLessThan(10 * EPS);
    }
  });

  it('works on tiny (1e-300) and huge (1e300) scales without underflow, overflow or NaN', () => {
    const base = randn(9, 6, 77);
    const ref = svd(base);
    for (const f of [1e-300, 1e300]) {
      const a = matrix(9, 6, base.data.map((x) => x * f));
      const { u, s, v } = svd(a);
      expect(allFinite(u) && allFinite(s) && allFinite(v)).toBe(true);
      expect(relDiff(s.map((x) => x / f), ref.s)).toBeLessThan(1e-14);
      expect(orthoError(u)).toBeLessThan(1e-14);
      expect(orthoError(v)).toBeLessThan(1e-14);
      expect(relDiff(u, ref.u)).toBeLessThan(1e-13);
    }
  });

  it('decomposes the zero matrix without NaN', () => {
    for (const [m, n] of [[3, 2], [2, 3], [1, 1]]) {
      const { u, s, v } = svd(zeros(m, n));
      expect(Array.from(s)).toEqual(new Array(Math.min(m, n)).fill(0));
      expect(allFinite(u) && allFinite(v)).toBe(true);
      expect(orthoError(u)).toBe(0);
      expect(orthoError(v)).toBe(0);
    }
    expect(conditionNumber(zeros(3, 3))).toBe(Infinity);
  });

  it('offers full factors that complete the thin ones', () => {
    for (const [m, n] of [[7, 3], [3, 7]]) {
      const a = randn(m, n, 3 * m);
      const thin = svd(a);
      const full = svd(a, { full: true });
      expect([full.u.rows, full.u.cols, full.v.rows, full.v.cols]).toEqual([m, m, n, n]);
      expect(orthoError(full.u)).toBeLessThan(1e-14);
      expect(orthoError(full.v)).toBeLessThan(1e-14);
      expect(relDiff(reconstruct(full.u, full.s, full.v), a)).toBeLessThan(1e-13);
      const k = Math.min(m, n);
      let diff = 0;
      for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) diff = Math.max(diff, Math.abs(full.u.data[i * m + j] - thin.u.data[i * k + j]));
      expect(diff).toBe(0);
    }
  });

  it('computes Hilbert condition numbers to the digits float64 allows', () => {
    // Reference values from 60-digit arithmetic (mpmath). A backward-stable SVD gets σ_min to
    // about ε·σ_max, so the relative error allowed grows like ε·cond.
    const ref: [number, number][] = [[4, 15513.7387389], [6, 14951058.6401], [8, 15257575741.6], [10, 1.60262868702e13]];
    for (const [n, c] of ref) {
      const got = conditionNumber(hilbert(n));
      expect(Math.abs(got - c) / c).toBeLessThan(Math.max(1e-10, 20 * EPS * c));
    }
    expect(Math.abs(conditionNumber(hilbert(4)) - 15513.7387389) / 15513.7387389).toBeLessThan(1e-10);
    // Hilbert 12: cond ≈ 1.7e16 ≈ 1/ε, so σ_min is at the rounding level: finite, huge, never NaN.
    const h = svd(hilbert(12));
    expect(allFinite(h.s) && allFinite(h.u) && allFinite(h.v)).toBe(true);
    expect(orthoError(h.u)).toBeLessThan(1e-14);
    expect(relDiff(reconstruct(h.u, h.s, h.v), hilbert(12))).toBeLessThan(1e-14);
    expect(h.s[0]).toBeCloseTo(1.7953720595620, 12);
    const c12 = conditionNumber(hilbert(12));
    expect(c12).toBeGreaterThan(1e15);
    expect(Number.isNaN(c12)).toBe(false);
  });

  it('reports condition numbers of easy and singular matrices', () => {
    expect(conditionNumber(identity(4))).toBe(1);
    expect(conditionNumber(fromRows([[2, 0], [0, 0.5]]))).toBe(4);
    expect(conditionNumber(fromRows([[1, 1], [1, 1]]))).toBeGreaterThan(1e15);
    expect(conditionNumber(withSingularValues(6, 4, [8, 4, 2, 1], 2))).toBeCloseTo(8, 12);
  });

  it('refuses NaN, empty input and bad options', () => {
    expect(expectLtrError(() => svd({ rows: 2, cols: 1, data: Float64Array.from([1, NaN]) }), 'invalid-data').path).toBe('a[1][0]');
    expectLtrError(() => singularValuesOnly({ rows: 1, cols: 1, data: Float64Array.from([-Infinity]) }), 'invalid-data');
    expectLtrError(() => svd(zeros(3, 0)), 'invalid-data');
    expectLtrError(() => svd(identity(2), { full: 1 } as never), 'invalid-option');
    expectLtrError(() => conditionNumber(matrix(0, 0)), 'invalid-data');
  });
});
