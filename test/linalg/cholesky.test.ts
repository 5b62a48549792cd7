import { describe, expect, it } from 'vitest';
import {
  cholesky, fromRows, frobeniusNorm, gram, identity, matmul, matrix, matvec, maxAbsDiff, solveSpd, solveSpdDetailed, solveTriangular, transpose, zeros,
  type Matrix,
} from '../../src/linalg';
import { allFinite, expectLtrError, hilbert, randn, randnVec, randomSpd, relDiff } from './helpers';

function lowerOf(a: Matrix): Matrix {
  return matrix(a.rows, a.cols, a.data.map((v, i) => (i % a.cols <= Math.floor(i / a.cols) ? v : 0)));
}

describe('cholesky', () => {
  it.each([1, 2, 7, 50])('factors a random n×n SPD matrix (n = %i): L Lᵀ = A, L lower with positive diagonal', (n) => {
    const a = randomSpd(n, n);
    const l = cholesky(a);
    expect(relDiff(matmul(l, transpose(l)), a)).toBeLessThan(1e-14);
    let minDiag = Infinity;
    let maxAbove = 0;
    for (let i = 0; i < n; i++) {
      minDiag = Math.min(minDiag, l.data[i * n + i]);
      for (let j = i + 1; j < n; j++) maxAbove = Math.max(maxAbove, Math.abs(l.data[i * n + j]));
    }
    expect(minDiag).toBeGreaterThan(0);
    expect(maxAbove).toBe(0);
  });

  it('gives the known factor of a small matrix', () => {
    const l = cholesky(fromRows([[4, 12, -16], [12, 37, -43], [-16, -43, 98]]));
    expect(maxAbsDiff(l, fromRows([[2, 0, 0], [6, 1, 0], [-8, 5, 3]]))).toBeLessThan(1e-14);
    expect(cholesky(fromRows([[9]])).data[0]).toBe(3);
  });

  it('factors the Hilbert 12×12 matrix backward-stably', () => {
    const h = hilbert(12);
    const l = cholesky(h);
    expect(allFinite(l)).toBe(true);
    expect(relDiff(matmul(l, transpose(l)), h)).toBeLessThan(1e-15);
  });

  it('refuses indefinite, singular and non-symmetric matrices with a fix in the message', () => {
    const e = expectLtrError(() => cholesky(fromRows([[1, 2], [2, 1]])), 'not-positive-definite');
    expect(e.message).toContain('jitter');
    expect(e.message).toContain('solveSpd');
    expectLtrError(() => cholesky(fromRows([[1, 1], [1, 1]])), 'not-positive-definite');
    expectLtrError(() => cholesky(zeros(3, 3)), 'not-positive-definite');
    expectLtrError(() => cholesky(fromRows([[-1]])), 'not-positive-definite');
    const ns = expectLtrError(() => cholesky(fromRows([[2, 1], [0, 2]])), 'not-positive-definite');
    expect(ns.message).toContain('not symmetric');
    expect(ns.path).toBe('a[1][0]');
    // Rounding-level asymmetry passes; a tighter tolerance refuses it.
    const a = fromRows([[2, 1 + 1e-12], [1, 2]]);
    expect(cholesky(a).data[0]).toBeCloseTo(Math.SQRT2, 15);
    expectLtrError(() => cholesky(a, { symmetryTolerance: 1e-14 }), 'not-positive-definite');
  });

  it('refuses NaN, non-square input and bad options', () => {
    const nan: Matrix = { rows: 2, cols: 2, data: Float64Array.from([1, 0, 0, NaN]) };
    expect(expectLtrError(() => cholesky(nan), 'invalid-data').path).toBe('a[1][1]');
    expectLtrError(() => cholesky(zeros(2, 3)), 'shape-mismatch');
    const o = expectLtrError(() => cholesky(identity(2), { symmetryTolerance: -1 }), 'invalid-option');
    expect(o.path).toBe('options.symmetryTolerance');
    expect(expectLtrError(() => cholesky(identity(2), { tol: 1 } as never), 'invalid-option').path).toBe('options.tol');
  });
});

describe('solveTriangular', () => {
  const n = 30;
  const l = lowerOf(matrix(n, n, randn(n, n, 5).data.map((v, i) => (i % (n + 1) === 0 ? 3 + Math.abs(v) : v / 4))));
  const u = transpose(l);
  const x = randn(n, 3, 6);

  it.each([
    ['lower', l, { lower: true }, l],
    ['upper', u, { lower: false }, u],
    ['lower, transposed', l, { lower: true, transpose: true }, u],
    ['upper, transposed', u, { lower: false, transpose: true }, l],
  ] as const)('solves %s systems with matrix right-hand sides', (_name, t, opts, op) => {
    const b = matmul(op, x);
    expect(relDiff(solveTriangular(t, b, opts), x)).toBeLessThan(1e-13);
  });

  it('returns the kind of vector it was given and reads only the named triangle', () => {
    const t = fromRows([[2, 99], [1, 4]]);
    const xf = solveTriangular(t, Float64Array.from([2, 9]), { lower: true });
    expect(xf).toBeInstanceOf(Float64Array);
    expect(Array.from(xf)).toEqual([1, 2]);
    const xa = solveTriangular(t, [2, 9], { lower: true });
    expect(Array.isArray(xa)).toBe(true);
    expect(xa).toEqual([1, 2]);
    expect(solveTriangular(fromRows([[1, 0], [5, 1]]), [1, 7], { lower: true, unitDiagonal: true })).toEqual([1, 2]);
  });

  it('refuses a singular triangle, a missing `lower` and mismatched shapes', () => {
    const e = expectLtrError(() => solveTriangular(fromRows([[1, 0], [1, 0]]), [1, 1], { lower: true }), 'ill-conditioned');
    expect(e.message).toContain('lstsq');
    expect(expectLtrError(() => solveTriangular(identity(2), [1, 1], {} as never), 'invalid-option').path).toBe('options.lower');
    expectLtrError(() => solveTriangular(identity(2), [1, 1, 1], { lower: true }), 'shape-mismatch');
    expectLtrError(() => solveTriangular(identity(2), zeros(3, 1), { lower: true }), 'shape-mismatch');
    expectLtrError(() => solveTriangular(identity(2), [1, NaN], { lower: true }), 'invalid-data');
  });

  it('reports overflow as ill-conditioned rather than returning Infinity', () => {
    expectLtrError(() => solveTriangular(fromRows([[1e-300, 0], [1, 1e-300]]), [1e300, 1], { lower: true }), 'ill-conditioned');
  });
});

describe('solveSpd', () => {
  it('solves well-conditioned systems to 1e-12 for vector and matrix right-hand sides', () => {
    const a = randomSpd(50, 11);
    const x = randn(50, 4, 12);
    const b = matmul(a, x);
    expect(relDiff(solveSpd(a, b), x)).toBeLessThan(1e-12);
    const xv = randnVec(50, 13);
    const bv = matvec(a, xv);
    const sol = solveSpd(a, bv);
    expect(sol).toBeInstanceOf(Float64Array);
    expect(relDiff(sol, xv)).toBeLessThan(1e-12);
    const d = solveSpdDetailed(a, Array.from(bv));
    expect(Array.isArray(d.x)).toBe(true);
    expect(d.jitter).toBe(0);
    expect(d.relativeJitter).toBe(0);
    expect(d.conditionEstimate).toBeGreaterThan(1);
    expect(d.conditionEstimate).toBeLessThan(100);
    expect(solveSpd(fromRows([[4]]), [8])).toEqual([2]);
  });

  it('solves the Hilbert 12×12 system with a small residual and flags its conditioning', () => {
    const h = hilbert(12);
    const b = matvec(h, new Float64Array(12).fill(1));
    const d = solveSpdDetailed(h, b);
    expect(d.jitter).toBe(0);
    expect(allFinite(d.x)).toBe(true);
    const r = matvec(h, d.x).map((v, i) => v - b[i]);
    expect(Math.max(...r.map(Math.abs))).toBeLessThan(1e-14 * Math.max(...b));
    expect(d.conditionEstimate).toBeGreaterThan(1e12);
  });

  it("regularizes a singular PSD matrix with the smallest sufficient 'auto' jitter", () => {
    const x = randn(5, 10, 21);
    const a = matmul(transpose(x), x); // 10×10, rank 5
    const b = randnVec(10, 22);
    const d = solveSpdDetailed(a, b);
    expect(d.relativeJitter).toBeGreaterThanOrEqual(1e-12);
    expect(d.relativeJitter).toBeLessThanOrEqual(1e-6);
    let tr = 0;
    for (let i = 0; i < 10; i++) tr += a.data[i * 11];
    expect(d.jitter).toBeCloseTo((d.relativeJitter * tr) / 10, 20);
    // x solves (A + jitter·I) x = b backward-stably: normwise backward error at rounding level
    // (x itself is huge along the null space of A, as the regularized inverse says it must be).
    const r = matvec(a, d.x).map((v, i) => v + d.jitter * d.x[i] - b[i]);
    const nrm = (v: ArrayLike<number>): number => Math.hypot(...Array.from(v));
    expect(nrm(r) / (frobeniusNorm(a) * nrm(d.x) + nrm(b))).toBeLessThan(1e-15);
    expect(allFinite(d.x)).toBe(true);
    // For b in the range of A (normal equations), A·x reproduces b to ≈ jitter/λ_min.
    const bin = matvec(a, randnVec(10, 23));
    const x2 = solveSpd(a, bin);
    expect(nrm(matvec(a, x2).map((v, i) => v - bin[i])) / nrm(bin)).toBeLessThan(1e-10);
    const e = expectLtrError(() => solveSpd(a, b, { jitter: false }), 'not-positive-definite');
    expect(e.message).toContain("jitter: 'auto'");
  });

  it('applies a fixed relative jitter when given a number', () => {
    const a = identity(3);
    const d = solveSpdDetailed(a, [1, 2, 3], { jitter: 0.5 });
    expect(d.jitter).toBe(0.5);
    expect(relDiff(d.x, [1 / 1.5, 2 / 1.5, 3 / 1.5])).toBeLessThan(1e-15);
    expectLtrError(() => solveSpd(fromRows([[1, 0], [0, -1]]), [1, 1], { jitter: 1e-3 }), 'not-positive-definite');
  });

  it('gives up on clearly indefinite or zero matrices with a clear error, never NaN', () => {
    const e = expectLtrError(() => solveSpd(fromRows([[1, 2], [2, 1]]), [1, 1]), 'not-positive-definite');
    expect(e.message).toContain('1e-6');
    expectLtrError(() => solveSpd(zeros(2, 2), [1, 1]), 'not-positive-definite');
    expectLtrError(() => solveSpd(fromRows([[1, 2], [0, 1]]), [1, 1]), 'not-positive-definite');
    expectLtrError(() => solveSpd(identity(2), [1, 1], { jitter: 'yes' as never }), 'invalid-option');
    expectLtrError(() => solveSpd(identity(2), [1, 1, 1]), 'shape-mismatch');
    expectLtrError(() => solveSpd(identity(2), [1, NaN]), 'invalid-data');
  });

  it('matches the Cholesky-based solve computed by hand', () => {
    const a = randomSpd(20, 31);
    const b = randn(20, 2, 32);
    const l = cholesky(a);
    const y = solveTriangular(l, b, { lower: true });
    const x = solveTriangular(l, y, { lower: true, transpose: true });
    expect(maxAbsDiff(solveSpd(a, b), x)).toBe(0);
    expect(relDiff(gram(randn(3, 3, 1)), gram(randn(3, 3, 1)))).toBe(0);
  });
});
