/**
 * Test helpers for the linalg suite: a tiny seeded PRNG (mulberry32 + Box–Muller, local so the
 * suite does not depend on the library's rng), random matrices with prescribed structure, and
 * measurement helpers that return plain numbers for tight assertions.
 */
import { expect } from 'vitest';
import { LtrError, isLtrError, type LtrErrorCode } from '../../src/validate/errors';
import { gram, matmul, matrix, qr, transpose, type Matrix } from '../../src/linalg';

/** mulberry32: a 32-bit seeded uniform generator on [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples by Box–Muller on top of {@link mulberry32}. */
export function normalRng(seed: number): () => number {
  const u = mulberry32(seed);
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    let u1 = 0;
    while (u1 === 0) u1 = u();
    const u2 = u();
    const r = Math.sqrt(-2 * Math.log(u1));
    spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  };
}

/** An m×n matrix of i.i.d. standard normals. */
export function randn(m: number, n: number, seed: number): Matrix {
  const g = normalRng(seed);
  const d = new Float64Array(m * n);
  for (let i = 0; i < d.length; i++) d[i] = g();
  return matrix(m, n, d);
}

/** A random vector of standard normals. */
export function randnVec(n: number, seed: number): Float64Array {
  const g = normalRng(seed);
  return Float64Array.from({ length: n }, () => g());
}

/** An m×n (m ≥ n) matrix with orthonormal columns, from the QR of a Gaussian matrix. */
export function randomOrthonormal(m: number, n: number, seed: number): Matrix {
  return qr(randn(m, n, seed)).q;
}

/** U·diag(s)·Vᵀ for random orthonormal U (m×k), V (n×k), k = s.length. */
export function withSingularValues(m: number, n: number, s: number[], seed: number): Matrix {
  const k = s.length;
  const u = randomOrthonormal(m, k, seed);
  const v = randomOrthonormal(n, k, seed + 1000);
  const us = matrix(m, k, u.data.map((x, i) => x * s[i % k]));
  return matmul(us, transpose(v));
}

/** A well-conditioned SPD matrix XᵀX/n + I. */
export function randomSpd(n: number, seed: number): Matrix {
  const x = randn(2 * n, n, seed);
  const g = gram(x);
  return matrix(n, n, g.data.map((v, i) => v / n + (i % (n + 1) === 0 ? 1 : 0)));
}

/** The n×n Hilbert matrix 1/(i + j + 1). */
export function hilbert(n: number): Matrix {
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) d[i * n + j] = 1 / (i + j + 1);
  return matrix(n, n, d);
}

/** max |(AᵀA − I)_ij|: how far the columns of A are from orthonormal. */
export function orthoError(a: Matrix): number {
  const g = gram(a);
  let e = 0;
  for (let i = 0; i < g.rows; i++) for (let j = 0; j < g.cols; j++) e = Math.max(e, Math.abs(g.data[i * g.cols + j] - (i === j ? 1 : 0)));
  return e;
}

/** max |a_ij − b_ij| / max |b_ij|. */
export function relDiff(a: Matrix | ArrayLike<number>, b: Matrix | ArrayLike<number>): number {
  const ad = 'data' in a ? a.data : a;
  const bd = 'data' in b ? b.data : b;
  expect(ad.length).toBe(bd.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < ad.length; i++) {
    num = Math.max(num, Math.abs(ad[i] - bd[i]));
    den = Math.max(den, Math.abs(bd[i]));
  }
  return den === 0 ? num : num / den;
}

/** Multiplies the columns of u by s: U·diag(s). */
export function scaleCols(u: Matrix, s: ArrayLike<number>): Matrix {
  return matrix(u.rows, u.cols, u.data.map((x, i) => x * s[i % u.cols]));
}

/** True when every entry is finite. */
export function allFinite(x: Matrix | ArrayLike<number>): boolean {
  const d = 'data' in x ? x.data : x;
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return false;
  return true;
}

/** Runs `fn`, asserts that it throws an LtrError with `code`, and returns the error. */
export function expectLtrError(fn: () => unknown, code: LtrErrorCode): LtrError {
  try {
    fn();
  } catch (e) {
    expect(isLtrError(e)).toBe(true);
    expect((e as LtrError).code).toBe(code);
    return e as LtrError;
  }
  throw new Error(`expected an LtrError with code '${code}', but nothing was thrown`);
}
