import { describe, expect, it } from 'vitest';
import { diag, eigh, fromRows, identity, matmul, matrix, maxAbsDiff, transpose, zeros, type Matrix } from '../../src/linalg';
import { allFinite, expectLtrError, hilbert, orthoError, randn, randomOrthonormal, randomSpd, relDiff, scaleCols } from './helpers';

function symmetricRandom(n: number, seed: number): Matrix {
  const x = randn(n, n, seed);
  return matrix(n, n, x.data.map((_, i) => (x.data[i] + x.data[(i % n) * n + Math.floor(i / n)]) / 2));
}

/** max_j ‖A v_j − λ_j v_j‖∞ / ‖A‖. */
function eigResidual(a: Matrix, values: Float64Array, v: Matrix): number {
  const av = matmul(a, v);
  const lv = scaleCols(v, values);
  let an = 0;
  for (const x of a.data) an = Math.max(an, Math.abs(x));
  return maxAbsDiff(av, lv) / an;
}

describe('eigh', () => {
  it.each([1, 2, 3, 10, 50])('decomposes a random symmetric n×n matrix (n = %i): A v = λ v, VᵀV = I, descending', (n) => {
    const a = symmetricRandom(n, n + 40);
    const { values, vectors } = eigh(a);
    expect(eigResidual(a, values, vectors)).toBeLessThan(1e-13);
    expect(orthoError(vectors)).toBeLessThan(1e-13);
    for (let i = 1; i < n; i++) expect(values[i]).toBeLessThanOrEqual(values[i - 1]);
    expect(relDiff(matmul(scaleCols(vectors, values), transpose(vectors)), a)).toBeLessThan(1e-13);
  });

  it('recovers a prescribed spectrum to 1e-12 relative', () => {
    const n = 40;
    const q = randomOrthonormal(n, n, 3);
    const lambda = Array.from({ length: n }, (_, i) => 10 * Math.pow(0.8, i) * (i % 3 === 2 ? -1 : 1));
    const a = matmul(scaleCols(q, lambda), transpose(q));
    const sym = matrix(n, n, a.data.map((_, i) => (a.data[i] + a.data[(i % n) * n + Math.floor(i / n)]) / 2));
    const { values } = eigh(sym);
    const expected = [...lambda].sort((x, y) => y - x);
    for (let i = 0; i < n; i++) expect(Math.abs(values[i] - expected[i]) / 10).toBeLessThan(1e-13);
  });

  it('gives known answers for small matrices and follows the sign convention', () => {
    const { values, vectors } = eigh(fromRows([[2, 1], [1, 2]]));
    expect(values[0]).toBeCloseTo(3, 14);
    expect(values[1]).toBeCloseTo(1, 14);
    const h = Math.SQRT1_2;
    expect(maxAbsDiff(vectors, fromRows([[h, h], [h, -h]]))).toBeLessThan(1e-15);
    const one = eigh(fromRows([[-4]]));
    expect(one.values[0]).toBe(-4);
    expect(one.vectors.data[0]).toBe(1);
    // Every column's largest-magnitude entry is positive.
    const big = eigh(symmetricRandom(20, 9)).vectors;
    let minLargest = Infinity;
    for (let j = 0; j < 20; j++) {
      let m = 0;
      for (let i = 0; i < 20; i++) if (Math.abs(big.data[i * 20 + j]) > Math.abs(m)) m = big.data[i * 20 + j];
      minLargest = Math.min(minLargest, m);
    }
    expect(minLargest).toBeGreaterThan(0);
  });

  it('handles repeated eigenvalues, the identity and the zero matrix without NaN', () => {
    const id = eigh(identity(5));
    expect(Array.from(id.values)).toEqual([1, 1, 1, 1, 1]);
    expect(orthoError(id.vectors)).toBe(0);
    const z = eigh(zeros(4, 4));
    expect(Array.from(z.values)).toEqual([0, 0, 0, 0]);
    expect(allFinite(z.vectors)).toBe(true);
    expect(orthoError(z.vectors)).toBe(0);
    // Rank-1 matrix x xᵀ: one eigenvalue ‖x‖², the rest zero.
    const x = randn(8, 1, 5);
    const r1 = matmul(x, transpose(x));
    const e = eigh(r1);
    let nx = 0;
    for (const v of x.data) nx += v * v;
    expect(Math.abs(e.values[0] - nx) / nx).toBeLessThan(1e-14);
    for (let i = 1; i < 8; i++) expect(Math.abs(e.values[i]) / nx).toBeLessThan(1e-15);
    expect(orthoError(e.vectors)).toBeLessThan(1e-14);
  });

  it('matches values-only mode and is backward stable on Hilbert 12×12', () => {
    const a = randomSpd(30, 8);
    expect(relDiff(eigh(a, { vectors: false }).values, eigh(a).values)).toBeLessThan(1e-14);
    expect(eigh(a, { vectors: false }).vectors.rows).toBe(0);
    const h = hilbert(12);
    const { values, vectors } = eigh(h);
    expect(allFinite(values) && allFinite(vectors)).toBe(true);
    expect(eigResidual(h, values, vectors)).toBeLessThan(1e-14);
    expect(orthoError(vectors)).toBeLessThan(1e-14);
    expect(values[0]).toBeCloseTo(1.7953720595620, 12);
    expect(Math.abs(values[11])).toBeLessThan(1e-15);
    expect(Array.from(diag(h)).length).toBe(12);
  });

  it('works on tiny (1e-300) and huge (1e300) scales without underflow, overflow or NaN', () => {
    const base = symmetricRandom(25, 61);
    const ref = eigh(base);
    for (const f of [1e-300, 1e300]) {
      const { values, vectors } = eigh(matrix(25, 25, base.data.map((x) => x * f)));
      expect(allFinite(values) && allFinite(vectors)).toBe(true);
      expect(relDiff(values.map((x) => x / f), ref.values)).toBeLessThan(1e-14);
      expect(orthoError(vectors)).toBeLessThan(1e-13);
      expect(relDiff(vectors, ref.vectors)).toBeLessThan(1e-12);
    }
  });

  it('refuses non-symmetric, non-square, NaN input and bad options', () => {
    const e = expectLtrError(() => eigh(fromRows([[1, 2], [3, 4]])), 'invalid-data');
    expect(e.message).toContain('svd');
    expectLtrError(() => eigh(zeros(2, 3)), 'shape-mismatch');
    expectLtrError(() => eigh({ rows: 1, cols: 1, data: Float64Array.from([Infinity]) }), 'invalid-data');
    expectLtrError(() => eigh(identity(2), { vectors: 'no' } as never), 'invalid-option');
  });
});
