/**
 * Singular value decomposition by Golub–Kahan: Householder bidiagonalization, then implicit
 * shifted QR on the bidiagonal (with zero-shift chasing of zero diagonal entries). Backward
 * stable: singular values are accurate to ≈ ε·‖A‖₂ in absolute terms. Singular vectors are
 * accumulated as rows so that every plane rotation touches two contiguous rows.
 */
import { z } from 'zod';
import { LtrError } from '../validate/errors';
import { EPS, checkNonEmpty, mk, parseOptions } from './check';
import { applyLeft, applyRight, house, hypot2, pow2Exponent, rotateRows, scalePow2 } from './householder';
import { transposeRaw, type Matrix } from './matrix';
import { qrRaw } from './qr';

/**
 * Options of {@link svd}.
 * - `full` (default false): thin factors (U m×k, V n×k, k = min(m, n)) when false; when true,
 *   U is m×m and V is n×n (orthonormal completions; `s` still has length k).
 */
export const svdOptions = z.strictObject({ full: z.boolean().default(false) });
/** Input type of {@link svdOptions}. */
export type SvdOptions = z.input<typeof svdOptions>;

/** Result of {@link svd}: A = U·diag(s)·Vᵀ. */
export interface SvdResult {
  /** Left singular vectors as columns: m×k (thin) or m×m (full). */
  u: Matrix;
  /** Singular values, descending, all ≥ 0; length k = min(m, n). */
  s: Float64Array;
  /** Right singular vectors as columns: n×k (thin) or n×n (full). */
  v: Matrix;
}

interface RawSvd {
  /** Uᵀ, k×m (rows are left singular vectors), or null. */
  ut: Float64Array | null;
  s: Float64Array;
  /** Vᵀ, k×n, or null. */
  vt: Float64Array | null;
}

/**
 * Unchecked Golub–Kahan SVD of a tall-or-square m×n matrix (m ≥ n), already scaled to
 * max|a_ij| = 1. Returns unsorted, possibly negative d; the caller sorts and fixes signs.
 */
function gkTall(a: Float64Array, m: number, n: number, wantVectors: boolean): { d: Float64Array; ut: Float64Array | null; vt: Float64Array | null } {
  const w = Float64Array.from(a);
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(n - 1, 0));
  const scratch = new Float64Array(Math.max(m, n));
  const lv: Float64Array[] = [];
  const lt = new Float64Array(n);
  const rv: Float64Array[] = [];
  const rt = new Float64Array(Math.max(n - 2, 0));
  for (let k = 0; k < n; k++) {
    // Left reflector: zero column k below the diagonal.
    const len = m - k;
    const v = new Float64Array(len);
    for (let i = 0; i < len; i++) v[i] = w[(k + i) * n + k];
    const [tau, beta] = house(v, 0, len);
    lv.push(v);
    lt[k] = tau;
    d[k] = beta;
    applyLeft(w, n, v, 0, len, tau, k, k + 1, n, scratch);
    if (k < n - 2) {
      // Right reflector: zero row k beyond the superdiagonal (row k is contiguous).
      const rlen = n - k - 1;
      const u = w.slice(k * n + k + 1, k * n + n);
      const [rtau, rbeta] = house(u, 0, rlen);
      rv.push(u);
      rt[k] = rtau;
      e[k] = rbeta;
      applyRight(w, n, u, 0, rlen, rtau, k + 1, m, k + 1);
    } else if (k === n - 2) {
      e[k] = w[k * n + k + 1];
    }
  }
  let ut: Float64Array | null = null;
  let vt: Float64Array | null = null;
  if (wantVectors) {
    // U = H_0 ··· H_{n−1}·[I; 0] (m×n) and V = G_0 ··· G_{n−3} (n×n), accumulated backwards.
    const u = new Float64Array(m * n);
    for (let i = 0; i < n; i++) u[i * n + i] = 1;
    for (let k = n - 1; k >= 0; k--) applyLeft(u, n, lv[k], 0, m - k, lt[k], k, k, n, scratch);
    const v = new Float64Array(n * n);
    for (let i = 0; i < n; i++) v[i * n + i] = 1;
    for (let k = n - 3; k >= 0; k--) applyLeft(v, n, rv[k], 0, n - k - 1, rt[k], k + 1, k + 1, n, scratch);
    ut = transposeRaw(mk(m, n, u)).data;
    vt = transposeRaw(mk(n, n, v)).data;
  }
  bidiagonalQr(d, e, ut, m, vt, n);
  return { d, ut, vt };
}

/**
 * Diagonalizes the upper bidiagonal (d, e) in place. Left rotations are applied to the rows of
 * `ut` (row length m), right rotations to the rows of `vt` (row length n), when given.
 * Entries are set to zero when negligible: e_k when |e_k| ≤ ε(|d_k| + |d_{k+1}|), d_k when
 * |d_k| ≤ ε(|e_{k−1}| + |e_k|) (a zero diagonal entry is then chased out of its row or column).
 */
function bidiagonalQr(d: Float64Array, e: Float64Array, ut: Float64Array | null, m: number, vt: Float64Array | null, n: number): void {
  let bnorm = 0;
  for (let i = 0; i < n; i++) bnorm = Math.max(bnorm, Math.abs(d[i]) + (i < n - 1 ? Math.abs(e[i]) : 0));
  if (bnorm === 0) return;
  // d_i is negligible when tiny next to its neighbouring superdiagonal entries (a local,
  // scale-aware test as in LINPACK): zeroing it then perturbs B by at most ε·‖B‖, yet isolated
  // tiny singular values (Hilbert matrices) are kept rather than rounded to zero.
  // Both tests also accept anything below ε²·‖B‖: far under the ε·‖B‖ accuracy of any
  // backward-stable SVD, and it keeps rank-deficient blocks from creeping into denormals.
  const floor = EPS * EPS * bnorm;
  const dNegligible = (i: number, lo: number, hi: number): boolean => {
    const x = Math.abs(d[i]);
    return x <= floor || x <= EPS * ((i > lo ? Math.abs(e[i - 1]) : 0) + (i < hi ? Math.abs(e[i]) : 0));
  };
  const negligible = (k: number): boolean => {
    const x = Math.abs(e[k]);
    return x <= floor || x <= EPS * (Math.abs(d[k]) + Math.abs(d[k + 1]));
  };
  let hi = n - 1;
  let iter = 0;
  const maxIter = 40 * n + 40;
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
      throw new LtrError('no-convergence', `svd: the bidiagonal QR iteration did not converge in ${maxIter} steps (min(m, n) = ${n}). This should not happen for finite input; please report it with the matrix.`);
    }
    // A zero on the diagonal makes BᵀB reducible: chase the neighbouring e out instead of a QR step.
    let zi = -1;
    for (let i = lo; i < hi; i++) {
      if (dNegligible(i, lo, hi)) {
        zi = i;
        break;
      }
    }
    if (zi >= 0) {
      // Left rotations of rows (zi, j), j = zi+1..hi, push the entry of row zi to the right and out.
      d[zi] = 0;
      let b = e[zi];
      e[zi] = 0;
      for (let j = zi + 1; j <= hi; j++) {
        const r = hypot2(b, d[j]);
        if (r === 0) break; // nothing left to chase
        const c = d[j] / r;
        const s = -b / r;
        d[j] = r;
        if (ut !== null) rotateRows(ut, m, zi, j, c, s);
        if (j < hi) {
          b = s * e[j];
          e[j] = c * e[j];
        }
      }
      continue;
    }
    if (dNegligible(hi, lo, hi)) {
      // Right rotations of columns (j, hi), j = hi−1..lo, push e_{hi−1} up and out.
      d[hi] = 0;
      let b = e[hi - 1];
      e[hi - 1] = 0;
      for (let j = hi - 1; j >= lo; j--) {
        const r = hypot2(d[j], b);
        if (r === 0) break; // nothing left to chase
        const c = d[j] / r;
        const s = b / r;
        d[j] = r;
        if (vt !== null) rotateRows(vt, n, j, hi, c, s);
        if (j > lo) {
          b = -s * e[j - 1];
          e[j - 1] = c * e[j - 1];
        }
      }
      continue;
    }
    // Shift: eigenvalue of the trailing 2×2 of BᵀB (block lo..hi) closer to its last entry.
    const a1 = d[hi - 1];
    const a2 = d[hi];
    const b1 = e[hi - 1];
    const b0 = hi - 1 > lo ? e[hi - 2] : 0;
    const t11 = a1 * a1 + b0 * b0;
    const t12 = a1 * b1;
    const t22 = a2 * a2 + b1 * b1;
    const delta = 0.5 * (t11 - t22);
    const den = delta + (delta >= 0 ? 1 : -1) * hypot2(delta, t12);
    const mu = den === 0 ? t22 : t22 - t12 * (t12 / den);
    let y = d[lo] * d[lo] - mu;
    let z = d[lo] * e[lo];
    for (let k = lo; k < hi; k++) {
      // Right rotation on columns k, k+1: zeroes the bulge in row k−1 (or starts the chase).
      let r = hypot2(y, z);
      let c = r === 0 ? 1 : y / r;
      let s = r === 0 ? 0 : z / r;
      if (k > lo) e[k - 1] = r;
      let f = c * d[k] + s * e[k];
      e[k] = c * e[k] - s * d[k];
      let bulge = s * d[k + 1];
      d[k + 1] = c * d[k + 1];
      d[k] = f;
      if (vt !== null) rotateRows(vt, n, k, k + 1, c, s);
      // Left rotation on rows k, k+1: zeroes the bulge below the diagonal.
      r = hypot2(d[k], bulge);
      c = r === 0 ? 1 : d[k] / r;
      s = r === 0 ? 0 : bulge / r;
      d[k] = r;
      f = c * e[k] + s * d[k + 1];
      d[k + 1] = c * d[k + 1] - s * e[k];
      e[k] = f;
      if (k + 1 < hi) {
        bulge = s * e[k + 1];
        e[k + 1] = c * e[k + 1];
        y = e[k];
        z = bulge;
      }
      if (ut !== null) rotateRows(ut, m, k, k + 1, c, s);
    }
  }
}

/** max |a_ij|. */
function maxAbs(d: Float64Array): number {
  let s = 0;
  for (let i = 0; i < d.length; i++) s = Math.max(s, Math.abs(d[i]));
  return s;
}

/** @internal Unchecked thin SVD with sorted, non-negative values and the sign convention applied. */
export function svdRaw(a: Matrix, wantVectors: boolean): RawSvd {
  const { rows: m0, cols: n0 } = a;
  const wide = m0 < n0;
  const src = wide ? transposeRaw(a) : a;
  const m = src.rows;
  const n = src.cols;
  const k2 = pow2Exponent(src.data);
  if (maxAbs(src.data) === 0) {
    // Zero matrix: s = 0 and any orthonormal bases; take the leading columns of the identity.
    const s = new Float64Array(n);
    if (!wantVectors) return { ut: null, s, vt: null };
    const ut = new Float64Array(n * m0);
    const vt = new Float64Array(n * n0);
    for (let i = 0; i < n; i++) {
      ut[i * m0 + i] = 1;
      vt[i * n0 + i] = 1;
    }
    return { ut, s, vt };
  }
  // Work on 2^k·A with max entry ≈ 1 (exact): the squares in the shift neither overflow nor
  // underflow, and tiny inputs never reach subnormals.
  const scaled = Float64Array.from(src.data);
  scalePow2(scaled, k2);
  // Tall and skinny: QR first, then the SVD of the small n×n R (fewer flops in the QR sweeps).
  let q: Matrix | null = null;
  let core: Float64Array = scaled;
  let cm = m;
  if (m >= 2 * n && n > 0) {
    const f = qrRaw(mk(m, n, scaled), false);
    q = f.q;
    core = f.r.data;
    cm = n;
  }
  const { d, ut: ut0, vt: vt0 } = gkTall(core, cm, n, wantVectors);
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => Math.abs(d[j]) - Math.abs(d[i]));
  const s = new Float64Array(n);
  for (let j = 0; j < n; j++) s[j] = Math.abs(d[order[j]]);
  scalePow2(s, -k2);
  if (!wantVectors || ut0 === null || vt0 === null) return { ut: null, s, vt: null };
  // Rows of U'ᵀ (k×cm) and V'ᵀ (k×n) in sorted order, d's sign moved into V.
  let ut = new Float64Array(n * cm);
  const vt = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const src2 = order[j];
    ut.set(ut0.subarray(src2 * cm, (src2 + 1) * cm), j * cm);
    const sg = d[src2] < 0 ? -1 : 1;
    for (let i = 0; i < n; i++) vt[j * n + i] = sg * vt0[src2 * n + i];
  }
  if (q !== null) {
    // U = Q·U_R, i.e. Uᵀ = U_Rᵀ·Qᵀ: row j of Uᵀ = Σ_t U_Rᵀ[j][t]·(column t of Q).
    const qt = transposeRaw(q).data; // n×m
    const full = new Float64Array(n * m);
    for (let j = 0; j < n; j++) {
      for (let t = 0; t < n; t++) {
        const c = ut[j * n + t];
        if (c === 0) continue;
        const o = t * m;
        const oj = j * m;
        for (let i = 0; i < m; i++) full[oj + i] += c * qt[o + i];
      }
    }
    ut = full;
  }
  // For a wide input we decomposed Aᵀ = U' S V'ᵀ, so A = V' S U'ᵀ: swap roles.
  const fu = wide ? vt : ut;
  const fv = wide ? ut : vt;
  // Sign convention: the largest-magnitude entry of each left singular vector is positive.
  for (let j = 0; j < n; j++) {
    let big = 0;
    for (let i = 0; i < m0; i++) if (Math.abs(fu[j * m0 + i]) > Math.abs(big)) big = fu[j * m0 + i];
    if (big < 0) {
      for (let i = 0; i < m0; i++) fu[j * m0 + i] = -fu[j * m0 + i];
      for (let i = 0; i < n0; i++) fv[j * n0 + i] = -fv[j * n0 + i];
    }
  }
  return { ut: fu, s, vt: fv };
}

/** Orthonormal completion: an r×r matrix whose first k columns are those of `thin` (r×k, orthonormal columns). */
function complete(thin: Matrix): Matrix {
  const { rows: r, cols: k } = thin;
  if (k === r) return thin;
  const { q } = qrRaw(thin, true);
  const out = new Float64Array(r * r);
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < k; j++) out[i * r + j] = thin.data[i * k + j];
    for (let j = k; j < r; j++) out[i * r + j] = q.data[i * r + j];
  }
  return mk(r, r, out);
}

/**
 * Singular value decomposition A = U·diag(s)·Vᵀ of any m×n matrix (tall, wide, square,
 * rank-deficient or zero). Singular values are descending and ≥ 0; each column of U has its
 * largest-magnitude entry positive (V's columns are signed to match). For a zero matrix s = 0
 * and U, V are leading columns of the identity. Throws `invalid-data` on non-finite or empty
 * input; never returns NaN.
 */
export function svd(a: Matrix, options?: SvdOptions): SvdResult {
  const o = parseOptions(svdOptions, options, 'svd');
  checkNonEmpty(a, 'a', 'svd');
  const { rows: m, cols: n } = a;
  const k = Math.min(m, n);
  const r = svdRaw(a, true);
  let u = transposeRaw(mk(k, m, r.ut as Float64Array));
  let v = transposeRaw(mk(k, n, r.vt as Float64Array));
  if (o.full) {
    u = complete(u);
    v = complete(v);
  }
  return { u, s: r.s, v };
}

/**
 * The singular values of A (descending, length min(m, n)) without the singular vectors:
 * only the bidiagonalization and O(n²) QR sweeps, several times faster than {@link svd}.
 */
export function singularValuesOnly(a: Matrix): Float64Array {
  checkNonEmpty(a, 'a', 'singularValuesOnly');
  return svdRaw(a, false).s;
}

/**
 * The 2-norm condition number σ_max/σ_min over the min(m, n) singular values (as NumPy's
 * `cond`). Returns `Infinity` for a singular matrix (σ_min = 0), including the zero matrix.
 */
export function conditionNumber(a: Matrix): number {
  checkNonEmpty(a, 'a', 'conditionNumber');
  const s = svdRaw(a, false).s;
  const lo = s[s.length - 1];
  return lo === 0 ? Infinity : s[0] / lo;
}
