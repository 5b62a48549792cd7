import { describe, expect, it } from 'vitest';
import { fromRows, matmul, maxAbsDiff, qr, zeros, type Matrix } from '../../src/linalg';
import { allFinite, expectLtrError, orthoError, randn, relDiff, withSingularValues } from './helpers';

function expectUpper(r: Matrix): void {
  let below = 0;
  let minDiag = Infinity;
  for (let i = 0; i < r.rows; i++) for (let j = 0; j < Math.min(i, r.cols); j++) below = Math.max(below, Math.abs(r.data[i * r.cols + j]));
  for (let i = 0; i < Math.min(r.rows, r.cols); i++) minDiag = Math.min(minDiag, r.data[i * r.cols + i]);
  expect(below).toBe(0);
  expect(minDiag).toBeGreaterThanOrEqual(0);
}

describe('qr', () => {
  it.each([
    [1, 1],
    [2, 2],
    [9, 4],
    [4, 9],
    [50, 50],
    [80, 30],
  ])('thin QR of a random %i×%i matrix: A = QR, QᵀQ = I, R upper with diag ≥ 0', (m, n) => {
    const a = randn(m, n, 100 * m + n);
    const { q, r } = qr(a);
    const k = Math.min(m, n);
    expect([q.rows, q.cols, r.rows, r.cols]).toEqual([m, k, k, n]);
    expect(relDiff(matmul(q, r), a)).toBeLessThan(1e-14);
    expect(orthoError(q)).toBeLessThan(1e-14);
    expectUpper(r);
  });

  it.each([
    [7, 3],
    [3, 7],
    [5, 5],
  ])('full QR of a %i×%i matrix: Q square orthogonal, R m×n', (m, n) => {
    const a = randn(m, n, 7 * m + n);
    const { q, r } = qr(a, { full: true });
    expect([q.rows, q.cols, r.rows, r.cols]).toEqual([m, m, m, n]);
    expect(relDiff(matmul(q, r), a)).toBeLessThan(1e-14);
    expect(orthoError(q)).toBeLessThan(1e-14);
    expectUpper(r);
    // The thin factors are the leading block of the full ones.
    const thin = qr(a);
    const k = Math.min(m, n);
    let diff = 0;
    for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) diff = Math.max(diff, Math.abs(thin.q.data[i * k + j] - q.data[i * m + j]));
    expect(diff).toBeLessThan(1e-15);
  });

  it('gives the known factorization of a small matrix', () => {
    const { q, r } = qr(fromRows([[3, 1], [4, 2]]));
    expect(maxAbsDiff(r, fromRows([[5, 11 / 5], [0, 2 / 5]]))).toBeLessThan(1e-15);
    expect(maxAbsDiff(q, fromRows([[3 / 5, -4 / 5], [4 / 5, 3 / 5]]))).toBeLessThan(1e-15);
  });

  it('handles rank-deficient and zero matrices without NaN', () => {
    const a = withSingularValues(12, 6, [3, 2, 1, 0, 0, 0], 4);
    const { q, r } = qr(a);
    expect(relDiff(matmul(q, r), a)).toBeLessThan(1e-14);
    expect(orthoError(q)).toBeLessThan(1e-14);
    expect(Math.abs(r.data[5 * 6 + 5])).toBeLessThan(1e-14);
    const z = qr(zeros(4, 3));
    expect(allFinite(z.q) && allFinite(z.r)).toBe(true);
    expect(orthoError(z.q)).toBe(0);
    expect(maxAbsDiff(z.r, zeros(3, 3))).toBe(0);
  });

  it('refuses NaN, empty input and unknown options', () => {
    expect(expectLtrError(() => qr({ rows: 1, cols: 2, data: Float64Array.from([1, NaN]) }), 'invalid-data').path).toBe('a[0][1]');
    expectLtrError(() => qr(zeros(0, 3)), 'invalid-data');
    expectLtrError(() => qr(zeros(2, 2), { mode: 'full' } as never), 'invalid-option');
  });
});
