/**
 * Cholesky factorization, triangular solves and symmetric positive-definite solves.
 *
 * These serve the R×R normal equations of CP-ALS and the kernels of trial-by-trial fits: small,
 * dense, solved once per step on the host in float64 (design principle 2).
 */
import { z } from 'zod';
import { LtrError } from '../validate/errors';
import { EPS, checkMatrix, checkSquare, checkSymmetric, checkVector, mk, parseOptions, shapeOf } from './check';
import type { Matrix } from './matrix';

/** A right-hand side: a matrix (one system per column) or a single vector. */
export type Rhs = Matrix | Float64Array | number[];

const symmetryTolerance = z
  .number({ error: 'symmetryTolerance must be a finite number ≥ 0 (relative to max|a_ij|)' })
  .nonnegative({ error: 'symmetryTolerance must be ≥ 0 (relative to max|a_ij|)' })
  .default(1e-6);

/**
 * Options of {@link cholesky}.
 * - `symmetryTolerance` (default `1e-6`): largest allowed |a_ij − a_ji| relative to max|a_ij|.
 *   Lenient enough for Gram matrices computed in float32 on a backend, strict enough to catch
 *   a wrong (non-symmetric) argument. Only the lower triangle is used for the factorization.
 */
export const choleskyOptions = z.strictObject({ symmetryTolerance });
/** Input type of {@link choleskyOptions}. */
export type CholeskyOptions = z.input<typeof choleskyOptions>;

type CholResult = { l: Float64Array } | { failedAt: number; pivot: number };

/**
 * Unchecked kernel: factors `a + shift·I` (lower triangle read). Fails (returns the step) when a
 * pivot is ≤ n·ε times its own diagonal entry: such a matrix is numerically singular or
 * indefinite, and continuing would only produce a factor that amplifies rounding by 1/ε.
 */
export function choleskyRaw(a: Matrix, shift: number): CholResult {
  const n = a.rows;
  const d = a.data;
  const l = new Float64Array(n * n);
  const rel = Math.max(n, 1) * EPS;
  for (let i = 0; i < n; i++) {
    const li = i * n;
    for (let j = 0; j < i; j++) {
      const lj = j * n;
      let s = d[li + j];
      for (let k = 0; k < j; k++) s -= l[li + k] * l[lj + k];
      l[li + j] = s / l[lj + j];
    }
    const aii = d[li + i] + shift;
    let s = aii;
    for (let k = 0; k < i; k++) s -= l[li + k] * l[li + k];
    if (!(s > 0) || s <= rel * aii) return { failedAt: i, pivot: s };
    l[li + i] = Math.sqrt(s);
  }
  return { l };
}

/**
 * Cholesky factor of a symmetric positive-definite matrix: the lower-triangular L (positive
 * diagonal, zeros above it) with L·Lᵀ = A.
 *
 * Throws `not-positive-definite` when `a` is not symmetric within `symmetryTolerance`, or when a
 * pivot is not clearly positive (≤ n·ε·a_ii): then A is indefinite or numerically singular.
 * For a solve that tolerates this, use {@link solveSpd} with `jitter: 'auto'`.
 */
export function cholesky(a: Matrix, options?: CholeskyOptions): Matrix {
  const o = parseOptions(choleskyOptions, options, 'cholesky');
  checkSquare(a, 'a', 'cholesky');
  checkSymmetric(a, o.symmetryTolerance, 'a', 'cholesky', 'Symmetrize it as (A + Aᵀ)/2 or raise options.symmetryTolerance if the asymmetry is rounding.');
  const r = choleskyRaw(a, 0);
  if ('failedAt' in r) throw notPd('cholesky', a, r, 'Add a small multiple of the identity (jitter), or use solveSpd(a, b, { jitter: \'auto\' }), which does so automatically.');
  return mk(a.rows, a.rows, r.l);
}

function notPd(fn: string, a: Matrix, r: { failedAt: number; pivot: number }, fix: string): LtrError {
  return new LtrError(
    'not-positive-definite',
    `${fn}: a (${shapeOf(a)}) is not positive definite: the Cholesky pivot at row ${r.failedAt} is ${r.pivot.toExponential(3)} (≤ n·ε·a[${r.failedAt}][${r.failedAt}]), so A is indefinite or numerically singular. ${fix}`,
    { path: 'a' },
  );
}

/**
 * Options of {@link solveTriangular}.
 * - `lower` (required): whether `t` is lower (true) or upper (false) triangular; only that
 *   triangle (diagonal included) is read.
 * - `transpose` (default false): solve tᵀ·x = b instead of t·x = b.
 * - `unitDiagonal` (default false): assume ones on the diagonal (the stored diagonal is ignored).
 */
export const solveTriangularOptions = z.strictObject({
  lower: z.boolean({ error: 'lower is required: true when the matrix is lower triangular, false when upper' }),
  transpose: z.boolean().default(false),
  unitDiagonal: z.boolean().default(false),
});
/** Input type of {@link solveTriangularOptions}. */
export type SolveTriangularOptions = z.input<typeof solveTriangularOptions>;

/** @internal A right-hand side unpacked to a row-major n×k copy. */
export interface RhsData {
  data: Float64Array;
  k: number;
  kind: 'matrix' | 'float64' | 'array';
}

/** @internal Validates `b` against `n` rows and copies it to row-major n×k. */
export function readRhs(b: unknown, n: number, name: string, fn: string, aName = 'a'): RhsData {
  if (typeof b === 'object' && b !== null && !Array.isArray(b) && !ArrayBuffer.isView(b)) {
    const m = checkMatrix(b, name, fn);
    if (m.rows !== n) {
      throw new LtrError('shape-mismatch', `${fn}: ${aName} has ${n} rows but ${name} is ${shapeOf(m)}; ${name} needs ${n} rows (one column per right-hand side).`, { path: name });
    }
    return { data: Float64Array.from(m.data), k: m.cols, kind: 'matrix' };
  }
  const v = checkVector(b, name, fn);
  if (v.length !== n) {
    throw new LtrError('shape-mismatch', `${fn}: ${aName} has ${n} rows but ${name} has length ${v.length}; ${name} needs length ${n}.`, { path: name });
  }
  return { data: Float64Array.from(v), k: 1, kind: Array.isArray(b) ? 'array' : 'float64' };
}

/** @internal Packs a row-major result back into the kind of right-hand side the caller passed. */
export function writeRhs(kind: RhsData['kind'], data: Float64Array, rows: number, k: number): Rhs {
  if (kind === 'matrix') return mk(rows, k, data);
  if (kind === 'array') return Array.from(data);
  return data;
}

/**
 * Unchecked kernel: solves op(t)·X = B in place in `x` (row-major n×k), op = identity or
 * transpose. Row-oriented when op(t)'s rows are t's rows, column-oriented otherwise, so the
 * inner loops always run along contiguous memory. Throws `ill-conditioned` on a zero pivot.
 */
export function triSolveRaw(t: Matrix, x: Float64Array, k: number, lower: boolean, transpose: boolean, unit: boolean, fn: string): void {
  const n = t.rows;
  const d = t.data;
  if (!unit) {
    for (let i = 0; i < n; i++) {
      if (d[i * n + i] === 0) {
        throw new LtrError('ill-conditioned', `${fn}: the triangular matrix is singular (diagonal entry ${i} is 0), so the system has no unique solution. Use lstsq for a least-squares / minimum-norm answer.`, { path: `t[${i}][${i}]` });
      }
    }
  }
  // op(t) is lower triangular exactly when `lower` and `transpose` differ: then solve forwards.
  const forward = lower !== transpose;
  for (let step = 0; step < n; step++) {
    const i = forward ? step : n - 1 - step;
    const xi = i * k;
    if (!transpose) {
      // x_i = (b_i − Σ_j t_ij x_j) / t_ii over the already-solved j (row i of t is contiguous).
      const lo = forward ? 0 : i + 1;
      const hi = forward ? i : n;
      const ti = i * n;
      if (k === 1) {
        let sum = x[i];
        for (let j = lo; j < hi; j++) sum -= d[ti + j] * x[j];
        x[i] = unit ? sum : sum / d[ti + i];
      } else {
        for (let j = lo; j < hi; j++) {
          const tij = d[ti + j];
          if (tij === 0) continue;
          const xj = j * k;
          for (let c = 0; c < k; c++) x[xi + c] -= tij * x[xj + c];
        }
        if (!unit) {
          const p = d[ti + i];
          for (let c = 0; c < k; c++) x[xi + c] /= p;
        }
      }
    } else {
      // op(t) = tᵀ: once x_i is known, subtract t_ij·x_i from every unsolved row j (row i of t
      // is contiguous, so this column-oriented order reads t along rows).
      const ti = i * n;
      if (!unit) {
        const p = d[ti + i];
        for (let c = 0; c < k; c++) x[xi + c] /= p;
      }
      const lo = forward ? i + 1 : 0;
      const hi = forward ? n : i;
      if (k === 1) {
        const xv = x[i];
        if (xv !== 0) for (let j = lo; j < hi; j++) x[j] -= d[ti + j] * xv;
      } else {
        for (let j = lo; j < hi; j++) {
          const tij = d[ti + j];
          if (tij === 0) continue;
          const xj = j * k;
          for (let c = 0; c < k; c++) x[xj + c] -= tij * x[xi + c];
        }
      }
    }
  }
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) {
      throw new LtrError('ill-conditioned', `${fn}: the solution overflowed (entry ${Math.floor(i / k)} is not finite): the triangular matrix is too ill-conditioned for this right-hand side. Use lstsq, which truncates tiny singular values.`, { path: 't' });
    }
  }
}

/**
 * Solves t·x = b (or tᵀ·x = b with `transpose: true`) for triangular `t` by substitution.
 * `b` may be a Matrix (n×k, one system per column; returns a Matrix), a Float64Array or a
 * number[] (returns the same kind). Throws `ill-conditioned` when a diagonal entry is zero or
 * the solution overflows.
 */
export function solveTriangular(t: Matrix, b: Matrix, options: SolveTriangularOptions): Matrix;
export function solveTriangular(t: Matrix, b: Float64Array, options: SolveTriangularOptions): Float64Array;
export function solveTriangular(t: Matrix, b: number[], options: SolveTriangularOptions): number[];
export function solveTriangular(t: Matrix, b: Rhs, options: SolveTriangularOptions): Rhs;
export function solveTriangular(t: Matrix, b: Rhs, options: SolveTriangularOptions): Rhs {
  const o = parseOptions(solveTriangularOptions, options, 'solveTriangular');
  checkSquare(t, 't', 'solveTriangular');
  const r = readRhs(b, t.rows, 'b', 'solveTriangular', 't');
  triSolveRaw(t, r.data, r.k, o.lower, o.transpose, o.unitDiagonal, 'solveTriangular');
  return writeRhs(r.kind, r.data, t.rows, r.k);
}

/**
 * Options of {@link solveSpd} and {@link solveSpdDetailed}.
 * - `jitter` (default `'auto'`): what to do when A is not numerically positive definite.
 *   `'auto'`: first try A itself; if its Cholesky fails, retry with A + ε·(trace(A)/n)·I for
 *   ε = 1e-12, 1e-11, …, 1e-6 and use the first that succeeds (see `jitter` in the detailed
 *   result). A number ε ≥ 0: always solve with A + ε·(trace(A)/n)·I (relative jitter, one try).
 *   `false`: no jitter; a failing Cholesky throws.
 * - `symmetryTolerance`: as in {@link choleskyOptions}.
 */
export const solveSpdOptions = z.strictObject({
  jitter: z
    .union([z.literal('auto'), z.literal(false), z.number().nonnegative()], { error: "jitter must be 'auto', false, or a relative amount ≥ 0 (e.g. 1e-8)" })
    .default('auto'),
  symmetryTolerance,
});
/** Input type of {@link solveSpdOptions}. */
export type SolveSpdOptions = z.input<typeof solveSpdOptions>;

/** Result of {@link solveSpdDetailed}. */
export interface SpdSolution<X extends Rhs> {
  /** The solution of (A + jitter·I)·x = b, same kind as `b`. */
  x: X;
  /** Absolute amount added to the diagonal (0 when A was factored as is). */
  jitter: number;
  /** `jitter / (trace(A)/n)`: the relative ε that was used (0 when none). */
  relativeJitter: number;
  /**
   * Cheap lower bound on the 2-norm condition number of the factored matrix,
   * (max L_ii / min L_ii)². Values near 1/ε ≈ 4.5e15 mean the solution carries few
   * correct digits.
   */
  conditionEstimate: number;
}

const AUTO_LADDER = [1e-12, 1e-11, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6];

/**
 * Solves A·x = b for symmetric positive-definite A via Cholesky, and reports any jitter that
 * was needed (see {@link solveSpdOptions}). Throws `not-positive-definite` when A is not
 * symmetric, has a non-positive mean diagonal, or stays indefinite after the largest jitter.
 */
export function solveSpdDetailed(a: Matrix, b: Matrix, options?: SolveSpdOptions): SpdSolution<Matrix>;
export function solveSpdDetailed(a: Matrix, b: Float64Array, options?: SolveSpdOptions): SpdSolution<Float64Array>;
export function solveSpdDetailed(a: Matrix, b: number[], options?: SolveSpdOptions): SpdSolution<number[]>;
export function solveSpdDetailed(a: Matrix, b: Rhs, options?: SolveSpdOptions): SpdSolution<Rhs>;
export function solveSpdDetailed(a: Matrix, b: Rhs, options?: SolveSpdOptions): SpdSolution<Rhs> {
  return spdImpl(a, b, options, 'solveSpdDetailed');
}

/**
 * Solves A·x = b for symmetric positive-definite A via Cholesky (L·y = b, then Lᵀ·x = y). With
 * the default `jitter: 'auto'`, a numerically singular or slightly indefinite A is regularized
 * by the smallest sufficient relative jitter (1e-12 … 1e-6 of the mean diagonal); call
 * {@link solveSpdDetailed} to learn whether that happened. `b` may be a Matrix (n×k), a
 * Float64Array or a number[]; the solution has the same kind.
 */
export function solveSpd(a: Matrix, b: Matrix, options?: SolveSpdOptions): Matrix;
export function solveSpd(a: Matrix, b: Float64Array, options?: SolveSpdOptions): Float64Array;
export function solveSpd(a: Matrix, b: number[], options?: SolveSpdOptions): number[];
export function solveSpd(a: Matrix, b: Rhs, options?: SolveSpdOptions): Rhs;
export function solveSpd(a: Matrix, b: Rhs, options?: SolveSpdOptions): Rhs {
  return spdImpl(a, b, options, 'solveSpd').x;
}

function spdImpl(a: Matrix, b: Rhs, options: SolveSpdOptions | undefined, fn: string): SpdSolution<Rhs> {
  const o = parseOptions(solveSpdOptions, options, fn);
  checkSquare(a, 'a', fn);
  const n = a.rows;
  const rhs = readRhs(b, n, 'b', fn);
  checkSymmetric(a, o.symmetryTolerance, 'a', fn, 'Symmetrize it as (A + Aᵀ)/2, raise options.symmetryTolerance if the asymmetry is rounding, or use lstsq for a general matrix.');
  let meanDiag = 0;
  for (let i = 0; i < n; i++) meanDiag += a.data[i * n + i];
  meanDiag /= n;
  const jitterOpt = o.jitter;
  const useJitter = jitterOpt === 'auto' || (typeof jitterOpt === 'number' && jitterOpt > 0);
  if (useJitter && !(meanDiag > 0)) {
    throw new LtrError('not-positive-definite', `${fn}: a has mean diagonal ${meanDiag}, so it cannot be positive definite (every SPD matrix has a positive diagonal) and a relative jitter is meaningless. Check the matrix, or use lstsq for a least-squares answer.`, { path: 'a' });
  }
  const tries = jitterOpt === 'auto' ? [0, ...AUTO_LADDER] : [typeof jitterOpt === 'number' ? jitterOpt : 0];
  let last: { failedAt: number; pivot: number } = { failedAt: 0, pivot: 0 };
  for (const eps of tries) {
    const shift = eps * meanDiag;
    const r = choleskyRaw(a, shift);
    if ('failedAt' in r) {
      last = r;
      continue;
    }
    const l = mk(n, n, r.l);
    triSolveRaw(l, rhs.data, rhs.k, true, false, false, fn);
    triSolveRaw(l, rhs.data, rhs.k, true, true, false, fn);
    let lo = Infinity;
    let hi = 0;
    for (let i = 0; i < n; i++) {
      const v = r.l[i * n + i];
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const ratio = hi / lo;
    return { x: writeRhs(rhs.kind, rhs.data, n, rhs.k), jitter: shift, relativeJitter: eps, conditionEstimate: ratio * ratio };
  }
  const fix =
    jitterOpt === 'auto'
      ? `Even a relative jitter of 1e-6 (the largest tried) did not help, so A is clearly indefinite: check how it was built, or use lstsq for a least-squares answer.`
      : jitterOpt === false || jitterOpt === 0
        ? "Pass { jitter: 'auto' } to add the smallest sufficient multiple of the identity, or use lstsq."
        : `The jitter ${jitterOpt} was not enough: pass a larger one or { jitter: 'auto' }, or use lstsq.`;
  throw notPd(fn, a, last, fix);
}
