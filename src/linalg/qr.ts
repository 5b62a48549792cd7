/**
 * Householder QR factorization.
 */
import { z } from 'zod';
import { checkNonEmpty, mk, parseOptions } from './check';
import { applyLeft, house } from './householder';
import type { Matrix } from './matrix';

/**
 * Options of {@link qr}.
 * - `full` (default false): thin factors (Q m×k, R k×n with k = min(m, n)) when false; full
 *   factors (Q m×m orthogonal, R m×n) when true.
 */
export const qrOptions = z.strictObject({ full: z.boolean().default(false) });
/** Input type of {@link qrOptions}. */
export type QrOptions = z.input<typeof qrOptions>;

/** Result of {@link qr}: A = Q·R. */
export interface QrResult {
  /** Orthonormal columns: m×k (thin) or m×m (full), QᵀQ = I. */
  q: Matrix;
  /** Upper triangular (upper trapezoidal when m < n) with a non-negative diagonal: k×n or m×n. */
  r: Matrix;
}

/** @internal Unchecked QR; see {@link qr}. */
export function qrRaw(a: Matrix, full: boolean): QrResult {
  const { rows: m, cols: n } = a;
  const k = Math.min(m, n);
  const w = Float64Array.from(a.data);
  const scratch = new Float64Array(Math.max(m, n));
  const vs: Float64Array[] = [];
  const taus = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const len = m - j;
    const v = new Float64Array(len);
    for (let i = 0; i < len; i++) v[i] = w[(j + i) * n + j];
    const [tau, beta] = house(v, 0, len);
    taus[j] = tau;
    vs.push(v);
    w[j * n + j] = beta;
    for (let i = 1; i < len; i++) w[(j + i) * n + j] = 0;
    applyLeft(w, n, v, 0, len, tau, j, j + 1, n, scratch);
  }
  // Q = H_0 ··· H_{k−1} applied to the first qc columns of the identity, accumulated backwards
  // so each reflector touches only the trailing block it can change.
  const qc = full ? m : k;
  const q = new Float64Array(m * qc);
  for (let i = 0; i < Math.min(m, qc); i++) q[i * qc + i] = 1;
  for (let j = k - 1; j >= 0; j--) applyLeft(q, qc, vs[j], 0, m - j, taus[j], j, j, qc, scratch);
  const rr = full ? m : k;
  const r = new Float64Array(rr * n);
  for (let i = 0; i < k; i++) for (let j = i; j < n; j++) r[i * n + j] = w[i * n + j];
  // Make diag(R) ≥ 0: then the thin factorization of a full-column-rank A is unique.
  for (let i = 0; i < k; i++) {
    if (r[i * n + i] < 0) {
      for (let j = i; j < n; j++) r[i * n + j] = -r[i * n + j];
      for (let t = 0; t < m; t++) q[t * qc + i] = -q[t * qc + i];
    }
  }
  return { q: mk(m, qc, q), r: mk(rr, n, r) };
}

/**
 * QR factorization A = Q·R by Householder reflections, for any m×n A (tall, square or wide).
 * R's diagonal is made non-negative (sign convention), so for full column rank the thin
 * factors are unique. Rank-deficient A is fine: R then has (near-)zero diagonal entries and Q
 * stays orthonormal. Throws `invalid-data` on non-finite or empty input.
 */
export function qr(a: Matrix, options?: QrOptions): QrResult {
  const o = parseOptions(qrOptions, options, 'qr');
  checkNonEmpty(a, 'a', 'qr');
  return qrRaw(a, o.full);
}
