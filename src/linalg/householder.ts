/**
 * Internal Householder reflector kernels shared by QR, tridiagonalization (eigh) and
 * bidiagonalization (svd). A reflector is H = I − τ·v·vᵀ with v[0] = 1; all kernels work on
 * row-major storage and keep their inner loops along rows.
 */

/** Overflow-safe 2-norm of x[off .. off+len). */
export function norm2(x: Float64Array, off: number, len: number): number {
  let s = 0;
  for (let i = off; i < off + len; i++) s += x[i] * x[i];
  // Fast path is fine unless the sum left the normal range; then redo it scaled.
  if (s < 1e-290 || s > 1e290) {
    let scale = 0;
    for (let i = off; i < off + len; i++) scale = Math.max(scale, Math.abs(x[i]));
    if (scale === 0) return 0;
    s = 0;
    for (let i = off; i < off + len; i++) {
      const t = x[i] / scale;
      s += t * t;
    }
    return scale * Math.sqrt(s);
  }
  return Math.sqrt(s);
}

/**
 * Turns x[off .. off+len) into a reflector v (v[0] = 1 stored explicitly) such that
 * H·x = β·e₁. Returns [τ, β]. When the tail of x is already zero, τ = 0 (H = I) and β = x[0].
 */
export function house(x: Float64Array, off: number, len: number): [number, number] {
  let sigma = len > 1 ? norm2(x, off + 1, len - 1) : 0;
  if (sigma === 0) {
    const alpha = x[off];
    x[off] = 1;
    return [0, alpha];
  }
  // A vector this small holds subnormal numbers with few significant bits; v and τ computed
  // from them would not give an orthogonal H. Scaling by a power of two is exact, so work on
  // 2^600·x and scale β back.
  let unscale = 1;
  if (hypot2(x[off], sigma) < 1e-280) {
    const f = 2 ** 600;
    for (let i = off; i < off + len; i++) x[i] *= f;
    sigma = norm2(x, off + 1, len - 1); // recomputed: the subnormal-range sum was inexact
    unscale = 2 ** -600;
  }
  const alpha = x[off];
  const nrm = hypot2(alpha, sigma);
  // β takes the sign opposite to α so that α − β never cancels.
  const beta = alpha >= 0 ? -nrm : nrm;
  const tau = (beta - alpha) / beta;
  const denom = alpha - beta;
  for (let i = off + 1; i < off + len; i++) x[i] /= denom;
  x[off] = 1;
  return [tau, beta * unscale];
}

/**
 * M[r0.., c0..c1) ← H·M[r0.., c0..c1) for H = I − τ v vᵀ with v = v[voff .. voff+len),
 * touching rows r0 .. r0+len. `w` is scratch of length ≥ c1.
 */
export function applyLeft(m: Float64Array, ld: number, v: Float64Array, voff: number, len: number, tau: number, r0: number, c0: number, c1: number, w: Float64Array): void {
  if (tau === 0 || c1 <= c0) return;
  w.fill(0, c0, c1);
  for (let i = 0; i < len; i++) {
    const vi = v[voff + i];
    if (vi === 0) continue;
    const o = (r0 + i) * ld;
    for (let c = c0; c < c1; c++) w[c] += vi * m[o + c];
  }
  for (let i = 0; i < len; i++) {
    const f = tau * v[voff + i];
    if (f === 0) continue;
    const o = (r0 + i) * ld;
    for (let c = c0; c < c1; c++) m[o + c] -= f * w[c];
  }
}

/** M[r0..r1), c0..c0+len) ← M·H for H = I − τ v vᵀ, v = v[voff .. voff+len). */
export function applyRight(m: Float64Array, ld: number, v: Float64Array, voff: number, len: number, tau: number, r0: number, r1: number, c0: number): void {
  if (tau === 0) return;
  for (let r = r0; r < r1; r++) {
    const o = r * ld + c0;
    let dot = 0;
    for (let j = 0; j < len; j++) dot += m[o + j] * v[voff + j];
    const f = tau * dot;
    if (f === 0) continue;
    for (let j = 0; j < len; j++) m[o + j] -= f * v[voff + j];
  }
}

/** Rows i and j of row-major `m` (row length `len`, rows at i·len, j·len) ← plane rotation (c, s). */
export function rotateRows(m: Float64Array, len: number, i: number, j: number, c: number, s: number): void {
  const oi = i * len;
  const oj = j * len;
  for (let t = 0; t < len; t++) {
    const a = m[oi + t];
    const b = m[oj + t];
    m[oi + t] = c * a + s * b;
    m[oj + t] = c * b - s * a;
  }
}

/**
 * The exponent k such that 2^k·max|x| lies in [0.5, 2): scaling by a power of two is exact, so
 * decompositions can run on well-scaled data and scale their results back without rounding.
 * Returns 0 for an all-zero array.
 */
export function pow2Exponent(x: Float64Array): number {
  let mx = 0;
  for (let i = 0; i < x.length; i++) mx = Math.max(mx, Math.abs(x[i]));
  return mx === 0 ? 0 : -Math.round(Math.log2(mx));
}

/** x · 2^k in place (in two steps, so that 2^k itself need not be representable). */
export function scalePow2(x: Float64Array, k: number): void {
  if (k === 0) return;
  const h = Math.trunc(k / 2);
  const a = 2 ** h;
  const b = 2 ** (k - h);
  for (let i = 0; i < x.length; i++) x[i] = x[i] * a * b;
}

/**
 * sqrt(a² + b²) without overflow or underflow. Much faster than `Math.hypot`, whose variadic
 * implementation dominated the QR sweeps of eigh/svd when profiled.
 */
export function hypot2(a: number, b: number): number {
  let x = Math.abs(a);
  let y = Math.abs(b);
  if (x < y) {
    const t = x;
    x = y;
    y = t;
  }
  if (x === 0) return 0;
  const r = y / x;
  return x * Math.sqrt(1 + r * r);
}
