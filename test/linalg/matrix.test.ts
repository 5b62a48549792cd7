import { describe, expect, it } from 'vitest';
import {
  column, diag, fromRows, frobeniusNorm, gram, hadamard, identity, matmul, matrix, matvec, maxAbsDiff, toRows, transpose, zeros,
  type Matrix,
} from '../../src/linalg';
import { expectLtrError, randn } from './helpers';

describe('matrix helpers', () => {
  it('builds, copies and round-trips row-major data', () => {
    const src = [1, 2, 3, 4, 5, 6];
    const m = matrix(2, 3, src);
    src[0] = 99;
    expect(m.data[0]).toBe(1);
    expect(toRows(m)).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(toRows(fromRows([[1, 2], [3, 4]]))).toEqual([[1, 2], [3, 4]]);
    expect(Array.from(zeros(2, 2).data)).toEqual([0, 0, 0, 0]);
    expect(toRows(identity(3))).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    expect(fromRows([]).rows).toBe(0);
  });

  it('transposes, multiplies and applies to vectors', () => {
    const a = fromRows([[1, 2, 3], [4, 5, 6]]);
    const b = fromRows([[7, 8], [9, 10], [11, 12]]);
    expect(toRows(transpose(a))).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(toRows(matmul(a, b))).toEqual([[58, 64], [139, 154]]);
    expect(Array.from(matvec(a, [1, 0, -1]))).toEqual([-2, -2]);
    expect(toRows(hadamard(a, a))).toEqual([[1, 4, 9], [16, 25, 36]]);
    expect(toRows(gram(a))).toEqual([[17, 22, 27], [22, 29, 36], [27, 36, 45]]);
    expect(Array.from(column(a, 1))).toEqual([2, 5]);
    expect(Array.from(diag(a))).toEqual([1, 5]);
    expect(toRows(diag([2, 3]))).toEqual([[2, 0], [0, 3]]);
  });

  it('matmul agrees with a naive triple loop and gram is exactly symmetric', () => {
    const a = randn(7, 5, 1);
    const b = randn(5, 4, 2);
    const c = matmul(a, b);
    let err = 0;
    for (let i = 0; i < 7; i++) {
      for (let j = 0; j < 4; j++) {
        let s = 0;
        for (let k = 0; k < 5; k++) s += a.data[i * 5 + k] * b.data[k * 4 + j];
        err = Math.max(err, Math.abs(s - c.data[i * 4 + j]));
      }
    }
    expect(err).toBeLessThan(1e-14);
    const g = gram(randn(20, 6, 3));
    expect(maxAbsDiff(g, transpose(g))).toBe(0);
    expect(maxAbsDiff(g, matmul(transpose(randn(20, 6, 3)), randn(20, 6, 3)))).toBeLessThan(1e-13);
  });

  it('computes the Frobenius norm without overflow or underflow', () => {
    expect(frobeniusNorm(fromRows([[3, 4]]))).toBe(5);
    expect(frobeniusNorm(fromRows([[3e200, 4e200]])) / 5e200).toBeCloseTo(1, 14);
    expect(frobeniusNorm(fromRows([[3e-200, 4e-200]])) / 5e-200).toBeCloseTo(1, 14);
    expect(frobeniusNorm(zeros(3, 3))).toBe(0);
    expect(maxAbsDiff(fromRows([[1, 2]]), fromRows([[1.5, 1]]))).toBe(1);
  });

  it('refuses mismatched shapes with a message naming both shapes', () => {
    const a = zeros(2, 3);
    const e = expectLtrError(() => matmul(a, a), 'shape-mismatch');
    expect(e.message).toContain('2×3');
    expect(e.message).toContain('Transpose');
    expect(e.path).toBe('b');
    expectLtrError(() => hadamard(a, zeros(3, 2)), 'shape-mismatch');
    expectLtrError(() => maxAbsDiff(a, zeros(3, 2)), 'shape-mismatch');
    expectLtrError(() => matvec(a, [1, 2]), 'shape-mismatch');
    expectLtrError(() => matrix(2, 2, [1, 2, 3]), 'shape-mismatch');
    expectLtrError(() => fromRows([[1, 2], [3]]), 'shape-mismatch');
    expectLtrError(() => column(a, 3), 'shape-mismatch');
  });

  it('refuses NaN and Infinity, naming the entry', () => {
    const e = expectLtrError(() => matrix(2, 2, [1, 2, NaN, 4]), 'invalid-data');
    expect(e.path).toBe('data[2]');
    expect(expectLtrError(() => fromRows([[1, Infinity]]), 'invalid-data').path).toBe('rows[0][1]');
    const bad: Matrix = { rows: 2, cols: 2, data: Float64Array.from([1, 2, 3, NaN]) };
    const e2 = expectLtrError(() => matmul(bad, identity(2)), 'invalid-data');
    expect(e2.path).toBe('a[1][1]');
    expect(e2.message).toContain('NaN');
    expectLtrError(() => transpose({ rows: 2, cols: 2, data: new Float64Array(3) }), 'invalid-data');
    expectLtrError(() => transpose({ rows: 1, cols: 1, data: [1] as unknown as Float64Array }), 'invalid-data');
    expectLtrError(() => matrix(-1, 2), 'invalid-data');
  });
});
