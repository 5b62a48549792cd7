/**
 * Symmetric eigendecomposition: Householder tridiagonalization followed by the implicit
 * symmetric QR algorithm with Wilkinson shifts. O(n³) with a small constant and backward stable
 * (eigenvalue errors ≈ ε·‖A‖₂); eigenvectors are accumulated as rows so every rotation touches
 * two contiguous rows.
 */
import { z } from 'zod';
import { LtrError } from '../validate/errors';
import { EPS, checkSquare, checkSymmetric, mk, parseOptions } from './check';
import { applyLeft, house, hypot2, pow2Exponent, rotateRows, scalePow2 } from './householder';
import type { Matrix } from './matrix';

/**
 * Options of {@link eigh}.
 * - `symmetryTolerance` (default `1e-6`): largest allowed |a_ij − a_ji| relative to max|a_ij|;
 *   within it, A is symmetrized as (A + Aᵀ)/2 before the decomposition.
 * - `vectors` (default true): compute eigenvectors; false returns only the values (much faster).
 */
export const eighOptions = z.strictObject({
  symmetryTolerance: z
    .number({ error: 'symmetryTolerance must be a finite number ≥ 0 (relative to max|a_ij|)' })
    .nonnegative({ error: 'symmetryTolerance must be ≥ 0 (relative to max|a_ij|)' })
    .default(1e-6),
  vectors: z.boolean().default(true),
});
/** Input type of {@link eighOptions}. */
export type EighOptions = z.input<typeof eighOptions>;

/** Result of {@link eigh}: A = V·diag(values)·Vᵀ. */
export interface EighResult {
  /** Eigenvalues in descending order. */
  values: Float64Array;
  /**
   * Orthonormal eigenvectors as columns (n×n): column j belongs to `values[j]`. Each column's
   * largest-magnitude entry is positive (sign convention; the first such entry on ties).
   * An empty 0×0 matrix when `vectors: false`.
   */
  vectors: Matrix;
}

/** @internal Unchecked eigh of a symmetric matrix (the full matrix is read; it must be symmetric). */
export function eighRaw(a: Matrix, wantVectors: boolean): EighResult {
  const n = a.rows;
  const w = Float64Array.from(a.data);
  // Work on 2^k·A with max entry ≈ 1 (exact), so tiny or huge inputs never reach subnormals.
  const k2 = pow2Exponent(w);
  scalePow2(w, k2);
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(n - 1, 0));
  const vs: Float64Array[] = [];
  const taus = new Float64Array(Math.max(n - 2, 0));
  const p = new Float64Array(n);
  // Tridiagonalize: H_k zeroes column k below the subdiagonal.
  for (let k = 0; k < n - 2; k++) {
    const len = n - k - 1;
    // Column k below the diagonal (the lower triangle is the up-to-date half).
    const v = new Float64Array(len);
    for (let i = 0; i < len; i++) v[i] = w[(k + 1 + i) * n + k];
    const [tau, beta] = house(v, 0, len);
    d[k] = w[k * n + k];
    e[k] = beta;
    taus[k] = tau;
    vs.push(v);
    if (tau === 0) continue;
    const s0 = k + 1;
    // p = τ·S·v, then w = p − (τ/2)(pᵀv)·v and S ← S − v wᵀ − w vᵀ (rank-2 symmetric update).
    // Only the lower triangle of S is read and written: half the memory traffic.
    p.fill(0, 0, len);
    for (let i = 0; i < len; i++) {
      const o = (s0 + i) * n + s0;
      const vi = v[i];
      let s = 0;
      for (let j = 0; j < i; j++) {
        const wij = w[o + j];
        s += wij * v[j];
        p[j] += wij * vi;
      }
      p[i] += s + w[o + i] * vi;
    }
    let pv = 0;
    for (let i = 0; i < len; i++) {
      p[i] *= tau;
      pv += p[i] * v[i];
    }
    const kk = 0.5 * tau * pv;
    for (let i = 0; i < len; i++) p[i] -= kk * v[i];
    for (let i = 0; i < len; i++) {
      const o = (s0 + i) * n + s0;
      const vi = v[i];
      const pi = p[i];
      for (let j = 0; j <= i; j++) w[o + j] -= vi * p[j] + pi * v[j];
    }
  }
  if (n >= 2) {
    d[n - 2] = w[(n - 2) * n + n - 2];
    e[n - 2] = w[(n - 1) * n + n - 2];
  }
  d[n - 1] = w[(n - 1) * n + n - 1];

  // zt holds Zᵀ (eigenvectors as rows). Start from Qᵀ where Q = H_0 ··· H_{n−3}.
  let zt: Float64Array | null = null;
  if (wantVectors) {
    const q = new Float64Array(n * n);
    for (let i = 0; i < n; i++) q[i * n + i] = 1;
    const scratch = new Float64Array(n);
    for (let k = n - 3; k >= 0; k--) applyLeft(q, n, vs[k], 0, n - k - 1, taus[k], k + 1, k + 1, n, scratch);
    zt = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) zt[j * n + i] = q[i * n + j];
  }

  tridiagonalQr(d, e, zt, n);

  // Sort descending, fix signs, write vectors as columns.
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => d[j] - d[i]);
  const values = new Float64Array(n);
  for (let j = 0; j < n; j++) values[j] = d[order[j]];
  scalePow2(values, -k2);
  if (zt === null) return { values, vectors: mk(0, 0, new Float64Array(0)) };
  const vec = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const o = order[j] * n;
    let big = 0;
    for (let i = 0; i < n; i++) if (Math.abs(zt[o + i]) > Math.abs(big)) big = zt[o + i];
    const sign = big < 0 ? -1 : 1;
    for (let i = 0; i < n; i++) vec[i * n + j] = sign * zt[o + i];
  }
  return { values, vectors: mk(n, n, vec) };
}

/**
 * Diagonalizes the symmetric tridiagonal (d, e) in place by implicit QR steps with Wilkinson
 * shifts; rotations are applied to the rows of `zt` when given.
 */
function tridiagonalQr(d: Float64Array, e: Float64Array, zt: Float64Array | null, n: number): void {
  let tnorm = 0;
  for (let i = 0; i < n; i++) tnorm = Math.max(tnorm, Math.abs(d[i]) + (i > 0 ? Math.abs(e[i - 1]) : 0) + (i < n - 1 ? Math.abs(e[i]) : 0));
  // Relative test, plus a floor of ε²·‖T‖ (far below the ε·‖T‖ accuracy of the method) so that
  // blocks of (numerically) zero eigenvalues cannot creep down into denormals.
  const floor = EPS * EPS * tnorm;
  const negligible = (k: number): boolean => {
    const x = Math.abs(e[k]);
    return x <= floor || x <= EPS * (Math.abs(d[k]) + Math.abs(d[k + 1]));
  };
  let hi = n - 1;
  let iter = 0;
  const maxIter = 30 * n + 30;
  while (hi > 0) {
    if (negligible(hi - 1)) {
      e[hi - 1] = 0;
      hi--;
      continue;
    }
    let lo = hi - 1;
    while (lo > 0 && !negligible(lo - 1)) lo--;
    if (lo > 0) e[lo - 1] = 0;
    if (++iter > maxIter) {
      throw new LtrError('no-convergence', `eigh: the tridiagonal QR iteration did not converge in ${maxIter} steps (n = ${n}). This should not happen for finite input; please report it with the matrix.`);
    }
    // Wilkinson shift: the eigenvalue of the trailing 2×2 block closer to its last entry.
    const a = d[hi - 1];
    const c = d[hi];
    const b = e[hi - 1];
    const delta = 0.5 * (a - c);
    const den = delta + (delta >= 0 ? 1 : -1) * hypot2(delta, b);
    const mu = den === 0 ? c : c - b * (b / den);
    let x = d[lo] - mu;
    let z = e[lo];
    for (let k = lo; k < hi; k++) {
      const r = hypot2(x, z);
      const cs = r === 0 ? 1 : x / r;
      const sn = r === 0 ? 0 : z / r;
      if (k > lo) e[k - 1] = r;
      // T ← G·T·Gᵀ on rows/columns k, k+1.
      const dk = d[k];
      const dk1 = d[k + 1];
      const ek = e[k];
      const cc = cs * cs;
      const ss = sn * sn;
      const cs2 = 2 * cs * sn * ek;
      d[k] = cc * dk + cs2 + ss * dk1;
      d[k + 1] = ss * dk - cs2 + cc * dk1;
      e[k] = cs * sn * (dk1 - dk) + (cc - ss) * ek;
      if (k + 1 < hi) {
        z = sn * e[k + 1];
        e[k + 1] = cs * e[k + 1];
        x = e[k];
      }
      if (zt !== null) rotateRows(zt, n, k, k + 1, cs, sn);
    }
  }
}

/**
 * Eigendecomposition of a real symmetric matrix: A = V·diag(values)·Vᵀ with orthonormal V.
 * Eigenvalues come in descending order; eigenvectors are the columns of `vectors`, each signed
 * so that its largest-magnitude entry is positive. Throws `invalid-data` when A is not square,
 * not finite, or not symmetric within `symmetryTolerance`.
 */
export function eigh(a: Matrix, options?: EighOptions): EighResult {
  const o = parseOptions(eighOptions, options, 'eigh');
  checkSquare(a, 'a', 'eigh');
  checkSymmetric(a, o.symmetryTolerance, 'a', 'eigh', 'Pass a symmetric matrix (for a general square matrix use svd), symmetrize it as (A + Aᵀ)/2, or raise options.symmetryTolerance if the asymmetry is rounding.');
  const n = a.rows;
  const s = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) s[i * n + j] = 0.5 * (a.data[i * n + j] + a.data[j * n + i]);
  return eighRaw(mk(n, n, s), o.vectors);
}
