/**
 * Least squares and the pseudo-inverse, both through the SVD so that rank deficiency is
 * handled by one documented rule: singular values ≤ rcond·σ_max are treated as zero.
 */
import { z } from 'zod';
import { EPS, checkNonEmpty, mk, parseOptions } from './check';
import { readRhs, writeRhs, type Rhs } from './cholesky';
import type { Matrix } from './matrix';
import { svdRaw } from './svd';

const rcond = z
  .number({ error: 'rcond must be a finite number ≥ 0 (relative cutoff on singular values)' })
  .nonnegative({ error: 'rcond must be ≥ 0 (relative cutoff on singular values)' })
  .optional();

/**
 * Options of {@link lstsq}.
 * - `rcond` (default ε·max(m, n), as NumPy's `lstsq(rcond=None)`): singular values
 *   σ_i ≤ rcond·σ_max are treated as zero, which gives the minimum-norm solution of the
 *   truncated problem and defines `rank`.
 */
export const lstsqOptions = z.strictObject({ rcond });
/** Input type of {@link lstsqOptions}. */
export type LstsqOptions = z.input<typeof lstsqOptions>;

/** Result of {@link lstsq}. */
export interface LstsqResult<X extends Rhs> {
  /** Minimum-norm least-squares solution (n×k Matrix, or a vector of the kind `b` was). */
  x: X;
  /** Numerical rank: the number of singular values above rcond·σ_max. */
  rank: number;
  /** All min(m, n) singular values of A, descending. */
  singularValues: Float64Array;
  /** ‖b_j − A·x_j‖² for each right-hand-side column j (length 1 for a vector b). */
  residuals: Float64Array;
  /** The absolute cutoff rcond·σ_max that was applied. */
  cutoff: number;
}

/**
 * Least-squares solution of A·x ≈ b for any m×n A (over-, under-determined or rank-deficient):
 * x = V·diag(1/σ_i for σ_i > rcond·σ_max, else 0)·Uᵀ·b, the minimum-norm minimizer of
 * ‖A·x − b‖₂ after truncation. Never throws for rank deficiency (a zero matrix gives x = 0,
 * rank 0). `b` may be an m×k Matrix or a length-m vector; `x` has the same kind.
 */
export function lstsq(a: Matrix, b: Matrix, options?: LstsqOptions): LstsqResult<Matrix>;
export function lstsq(a: Matrix, b: Float64Array, options?: LstsqOptions): LstsqResult<Float64Array>;
export function lstsq(a: Matrix, b: number[], options?: LstsqOptions): LstsqResult<number[]>;
export function lstsq(a: Matrix, b: Rhs, options?: LstsqOptions): LstsqResult<Rhs>;
export function lstsq(a: Matrix, b: Rhs, options?: LstsqOptions): LstsqResult<Rhs> {
  const o = parseOptions(lstsqOptions, options, 'lstsq');
  checkNonEmpty(a, 'a', 'lstsq');
  const { rows: m, cols: n } = a;
  const rhs = readRhs(b, m, 'b', 'lstsq');
  const k = rhs.k;
  const { ut, s, vt } = svdRaw(a, true) as { ut: Float64Array; s: Float64Array; vt: Float64Array };
  const cutoff = (o.rcond ?? EPS * Math.max(m, n)) * s[0];
  const r = Math.min(m, n);
  let rank = 0;
  while (rank < r && s[rank] > cutoff) rank++;
  // c = diag(1/σ)·Uᵀ·b for the kept σ (rank×k), then x = V·c.
  const c = new Float64Array(rank * k);
  for (let j = 0; j < rank; j++) {
    const oj = j * m;
    for (let i = 0; i < m; i++) {
      const uij = ut[oj + i];
      if (uij === 0) continue;
      const bi = i * k;
      for (let t = 0; t < k; t++) c[j * k + t] += uij * rhs.data[bi + t];
    }
    for (let t = 0; t < k; t++) c[j * k + t] /= s[j];
  }
  const x = new Float64Array(n * k);
  for (let j = 0; j < rank; j++) {
    const oj = j * n;
    for (let i = 0; i < n; i++) {
      const vij = vt[oj + i];
      if (vij === 0) continue;
      for (let t = 0; t < k; t++) x[i * k + t] += vij * c[j * k + t];
    }
  }
  // Residuals directly from b − A·x (accurate even when they are tiny).
  const residuals = new Float64Array(k);
  const ad = a.data;
  for (let i = 0; i < m; i++) {
    for (let t = 0; t < k; t++) {
      let ax = 0;
      for (let j = 0; j < n; j++) ax += ad[i * n + j] * x[j * k + t];
      const res = rhs.data[i * k + t] - ax;
      residuals[t] += res * res;
    }
  }
  return { x: writeRhs(rhs.kind, x, n, k), rank, singularValues: s, residuals, cutoff };
}

/**
 * Options of {@link pinv}.
 * - `rcond` (default ε·max(m, n), as NumPy ≥ 2's `pinv(rtol=None)`): singular values
 *   σ_i ≤ rcond·σ_max are treated as zero.
 */
export const pinvOptions = z.strictObject({ rcond });
/** Input type of {@link pinvOptions}. */
export type PinvOptions = z.input<typeof pinvOptions>;

/**
 * Moore–Penrose pseudo-inverse A⁺ (n×m) = V·diag(1/σ_i for σ_i > rcond·σ_max, else 0)·Uᵀ.
 * Satisfies the four Penrose conditions up to rounding; the zero matrix gives the zero matrix.
 */
export function pinv(a: Matrix, options?: PinvOptions): Matrix {
  const o = parseOptions(pinvOptions, options, 'pinv');
  checkNonEmpty(a, 'a', 'pinv');
  const { rows: m, cols: n } = a;
  const { ut, s, vt } = svdRaw(a, true) as { ut: Float64Array; s: Float64Array; vt: Float64Array };
  const cutoff = (o.rcond ?? EPS * Math.max(m, n)) * s[0];
  const out = new Float64Array(n * m);
  // A⁺ = Σ_j (1/σ_j)·v_j·u_jᵀ: each term is an outer product of two contiguous rows.
  for (let j = 0; j < s.length && s[j] > cutoff; j++) {
    const inv = 1 / s[j];
    for (let i = 0; i < n; i++) {
      const f = vt[j * n + i] * inv;
      if (f === 0) continue;
      const oi = i * m;
      const uj = j * m;
      for (let t = 0; t < m; t++) out[oi + t] += f * ut[uj + t];
    }
  }
  return mk(n, m, out);
}
