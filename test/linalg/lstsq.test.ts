import { describe, expect, it } from 'vitest';
import { fromRows, gram, identity, lstsq, matmul, matrix, matvec, maxAbsDiff, pinv, solveSpd, transpose, zeros, type Matrix } from '../../src/linalg';
import { allFinite, expectLtrError, hilbert, randn, randnVec, randomOrthonormal, relDiff, scaleCols } from './helpers';

/** A = U diag(s) Vᵀ with known factors, and its exact pseudo-inverse V diag(1/s) Uᵀ. */
function withFactors(m: number, n: number, s: number[], seed: number): { a: Matrix; ainv: Matrix } {
  const u = randomOrthonormal(m, s.length, seed);
  const v = randomOrthonormal(n, s.length, seed + 1);
  return {
    a: matmul(scaleCols(u, s), transpose(v)),
    ainv: matmul(scaleCols(v, s.map((x) => 1 / x)), transpose(u)),
  };
}

function penrose(a: Matrix, p: Matrix): number[] {
  const ap = matmul(a, p);
  const pa = matmul(p, a);
  return [relDiff(matmul(ap, a), a), relDiff(matmul(pa, p), p), relDiff(transpose(ap), ap), relDiff(transpose(pa), pa)];
}

describe('lstsq', () => {
  it('matches the normal equations on a well-conditioned overdetermined problem', () => {
    const a = randn(40, 8, 1);
    const b = randn(40, 3, 2);
    const { x, rank, residuals, singularValues } = lstsq(a, b);
    const xne = solveSpd(gram(a), matmul(transpose(a), b));
    expect(relDiff(x, xne)).toBeLessThan(1e-12);
    expect(rank).toBe(8);
    expect(singularValues.length).toBe(8);
    const r = matmul(a, x);
    for (let t = 0; t < 3; t++) {
      let ss = 0;
      for (let i = 0; i < 40; i++) ss += (b.data[i * 3 + t] - r.data[i * 3 + t]) ** 2;
      expect(Math.abs(residuals[t] - ss) / ss).toBeLessThan(1e-12);
    }
    // The residual is orthogonal to the columns of A.
    const g = matmul(transpose(a), matrix(40, 3, b.data.map((v, i) => v - r.data[i])));
    expect(Math.max(...g.data.map(Math.abs))).toBeLessThan(1e-12);
  });

  it('solves square invertible systems exactly and keeps the kind of b', () => {
    const a = randn(20, 20, 3);
    const x0 = randnVec(20, 4);
    const b = matvec(a, x0);
    const r = lstsq(a, b);
    expect(r.x).toBeInstanceOf(Float64Array);
    expect(relDiff(r.x, x0)).toBeLessThan(1e-12);
    expect(r.residuals.length).toBe(1);
    expect(r.residuals[0]).toBeLessThan(1e-24);
    const ra = lstsq(a, Array.from(b));
    expect(Array.isArray(ra.x)).toBe(true);
  });

  it('returns the known minimum-norm solution of rank-deficient problems', () => {
    for (const [m, n] of [[30, 12], [12, 30], [15, 15]]) {
      const { a, ainv } = withFactors(m, n, [4, 2, 1, 0.5, 0.3], m * n);
      const b = randnVec(m, 5);
      const { x, rank } = lstsq(a, b);
      expect(rank).toBe(5);
      expect(relDiff(x, matvec(ainv, b))).toBeLessThan(1e-12);
    }
    const simple = lstsq(fromRows([[1, 1], [1, 1]]), [2, 2]);
    expect(simple.rank).toBe(1);
    expect(relDiff(simple.x, [1, 1])).toBeLessThan(1e-15);
    const partial = lstsq(fromRows([[1, 0], [0, 0]]), [1, 1]);
    expect(partial.x).toEqual([1, 0]);
    expect(partial.residuals[0]).toBe(1);
  });

  it('returns the minimum-norm solution of an underdetermined full-row-rank problem', () => {
    const a = randn(6, 15, 8);
    const b = randnVec(6, 9);
    const { x, rank, residuals } = lstsq(a, b);
    const xmn = matvec(transpose(a), solveSpd(matmul(a, transpose(a)), b));
    expect(rank).toBe(6);
    expect(relDiff(x, xmn)).toBeLessThan(1e-12);
    expect(residuals[0]).toBeLessThan(1e-26);
  });

  it('truncates by rcond, handles the zero matrix and Hilbert 12 without NaN', () => {
    const { a } = withFactors(10, 3, [1, 1e-2, 1e-4], 3);
    expect(lstsq(a, randnVec(10, 1)).rank).toBe(3);
    expect(lstsq(a, randnVec(10, 1), { rcond: 1e-3 }).rank).toBe(2);
    const r = lstsq(a, randnVec(10, 1), { rcond: 1e-3 });
    expect(r.cutoff).toBeCloseTo(1e-3, 15);
    const z = lstsq(zeros(4, 3), [1, 2, 3, 4]);
    expect(z.x).toEqual([0, 0, 0]);
    expect(z.rank).toBe(0);
    expect(z.residuals[0]).toBe(30);
    const h = hilbert(12);
    const b = matvec(h, new Float64Array(12).fill(1));
    const hs = lstsq(h, b);
    expect(hs.rank).toBe(11);
    expect(allFinite(hs.x)).toBe(true);
    expect(Math.sqrt(hs.residuals[0])).toBeLessThan(1e-14 * Math.hypot(...b));
  });

  it('refuses bad shapes, NaN and bad options', () => {
    expectLtrError(() => lstsq(zeros(3, 2), [1, 2]), 'shape-mismatch');
    expectLtrError(() => lstsq(zeros(3, 2), zeros(2, 1)), 'shape-mismatch');
    expect(expectLtrError(() => lstsq(identity(2), [1, NaN]), 'invalid-data').path).toBe('b[1]');
    expect(expectLtrError(() => lstsq(identity(2), [1, 1], { rcond: -1 }), 'invalid-option').path).toBe('options.rcond');
  });
});

describe('pinv', () => {
  it.each([
    ['tall full-rank', randn(12, 5, 1)],
    ['wide full-rank', randn(5, 12, 2)],
    ['square rank-deficient', withFactors(9, 9, [3, 1, 0.2], 3).a],
    ['tall rank-deficient', withFactors(14, 6, [2, 1], 5).a],
  ] as const)('satisfies the four Penrose conditions (%s)', (_name, a) => {
    for (const e of penrose(a, pinv(a))) expect(e).toBeLessThan(1e-13);
  });

  it('equals the known pseudo-inverse and the inverse of an invertible matrix', () => {
    const { a, ainv } = withFactors(10, 7, [5, 3, 2, 1], 11);
    expect(relDiff(pinv(a), ainv)).toBeLessThan(1e-12);
    const sq = randn(15, 15, 12);
    expect(maxAbsDiff(matmul(sq, pinv(sq)), identity(15))).toBeLessThan(1e-12);
    expect(maxAbsDiff(pinv(fromRows([[1, 1], [1, 1]])), fromRows([[0.25, 0.25], [0.25, 0.25]]))).toBeLessThan(1e-15);
  });

  it('maps the zero matrix to the zero matrix and truncates by rcond', () => {
    const z = pinv(zeros(2, 3));
    expect([z.rows, z.cols]).toEqual([3, 2]);
    expect(Array.from(z.data)).toEqual(new Array(6).fill(0));
    const d = fromRows([[1, 0], [0, 1e-8]]);
    expect(maxAbsDiff(pinv(d), fromRows([[1, 0], [0, 1e8]]))).toBeLessThan(1e-7);
    expect(maxAbsDiff(pinv(d, { rcond: 1e-6 }), fromRows([[1, 0], [0, 0]]))).toBe(0);
    expectLtrError(() => pinv(zeros(1, 1), { rtol: 1 } as never), 'invalid-option');
  });
});
