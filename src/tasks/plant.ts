/**
 * @internal The point-mass hand of the reaching task, on the host in float64.
 *
 * Continuous dynamics (2-D, force u held constant over each step of length dt):
 *
 *     m dv/dt = u − b v + k J v,   J = [[0, 1], [−1, 0]],   dp/dt = v.
 *
 * Writing 2-D vectors as complex numbers (v = v_x + i v_y), J v = −i v, so the velocity obeys
 * dv/dt = −λ v + u/m with λ = (b + i k)/m. With z = λ dt, one step is
 *
 *     v_t = e^{−z} v_{t−1} + (dt/m) φ₁(z) u_t       (exact for a force held over the step)
 *     p_t = p_{t−1} + dt v_t                        (position: rectangle rule with the new velocity)
 *
 * where φ₁(z) = (1 − e^{−z})/z. The hand starts at rest at the origin (p_{−1} = v_{−1} = 0). The
 * map from forces to velocities and positions is linear and time-invariant: a causal convolution
 * with complex kernels g_v(l) = (dt/m) φ₁(z) e^{−zl} and g_p(l) = dt Σ_{j≤l} g_v(j).
 */

/** Physical constants of the hand. */
export interface PlantConstants {
  /** Mass m. */
  mass: number;
  /** Viscosity b ≥ 0. */
  viscosity: number;
  /** Seconds per step. */
  dt: number;
  /** Steps per trial T. */
  steps: number;
}

/** Complex kernels of the hand, lags 0..T−1: re/im of g_p and g_v. */
export interface PlantKernels {
  posRe: Float64Array;
  posIm: Float64Array;
  velRe: Float64Array;
  velIm: Float64Array;
  /** e^{−z}: the velocity's one-step decay and rotation. */
  decay: [number, number];
  /** (dt/m) φ₁(z): the velocity's response to the force of the same step. */
  gain: [number, number];
}

/** φ₁(z) = (1 − e^{−z})/z for complex z (series near 0, where the closed form cancels). */
function phi1(zr: number, zi: number): [number, number] {
  const r2 = zr * zr + zi * zi;
  if (r2 < 0.25) {
    // Σ_{n≥0} (−z)^n / (n+1)!
    let tr = 1;
    let ti = 0;
    let sr = 1;
    let si = 0;
    for (let n = 1; n < 30; n++) {
      // t ← t · (−z) / (n + 1)
      const nr = (-(tr * zr) + ti * zi) / (n + 1);
      const ni = (-(tr * zi) - ti * zr) / (n + 1);
      tr = nr;
      ti = ni;
      sr += tr;
      si += ti;
    }
    return [sr, si];
  }
  const e = Math.exp(-zr);
  const er = e * Math.cos(zi);
  const ei = -e * Math.sin(zi);
  const nr = 1 - er;
  const ni = -ei;
  return [(nr * zr + ni * zi) / r2, (ni * zr - nr * zi) / r2];
}

/** The hand's kernels for curl gain k. */
export function plantKernels(c: PlantConstants, k: number): PlantKernels {
  const zr = (c.viscosity * c.dt) / c.mass;
  const zi = (k * c.dt) / c.mass;
  const e = Math.exp(-zr);
  const decay: [number, number] = [e * Math.cos(zi), -e * Math.sin(zi)];
  const [fr, fi] = phi1(zr, zi);
  const gain: [number, number] = [(c.dt / c.mass) * fr, (c.dt / c.mass) * fi];
  const T = c.steps;
  const velRe = new Float64Array(T);
  const velIm = new Float64Array(T);
  const posRe = new Float64Array(T);
  const posIm = new Float64Array(T);
  let gr = gain[0];
  let gi = gain[1];
  let pr = 0;
  let pi = 0;
  for (let l = 0; l < T; l++) {
    velRe[l] = gr;
    velIm[l] = gi;
    pr += c.dt * gr;
    pi += c.dt * gi;
    posRe[l] = pr;
    posIm[l] = pi;
    const nr = gr * decay[0] - gi * decay[1];
    gi = gr * decay[1] + gi * decay[0];
    gr = nr;
  }
  return { posRe, posIm, velRe, velIm, decay, gain };
}

/**
 * The real 2T × 4T matrix M with [p | v] = u M for one trial: u is the force sequence flattened
 * (t, coordinate) → 2t + c, p and v likewise (v at offset 2T). Float32, for upload.
 */
export function handMatrix(c: PlantConstants, k: number): Float32Array {
  const T = c.steps;
  const cols = 4 * T;
  const m = new Float32Array(2 * T * cols);
  const g = plantKernels(c, k);
  for (let s = 0; s < T; s++) {
    const rx = 2 * s * cols;
    const ry = (2 * s + 1) * cols;
    for (let t = s; t < T; t++) {
      const l = t - s;
      // complex (a + i b)(u_x + i u_y) = (a u_x − b u_y) + i (b u_x + a u_y)
      for (const [off, a, b] of [
        [0, g.posRe[l], g.posIm[l]],
        [2 * T, g.velRe[l], g.velIm[l]],
      ] as const) {
        m[rx + off + 2 * t] = a;
        m[rx + off + 2 * t + 1] = b;
        m[ry + off + 2 * t] = -b;
        m[ry + off + 2 * t + 1] = a;
      }
    }
  }
  return m;
}

/**
 * Inverse dynamics of one trial (float64): the forces that move the hand exactly through the
 * positions `p` (T × 2 flattened) under curl k. v_t = (p_t − p_{t−1})/dt, then
 * u_t = (v_t − e^{−z} v_{t−1}) / ((dt/m) φ₁(z)).
 */
export function inverseHand(c: PlantConstants, k: number, p: ArrayLike<number>): Float64Array {
  const g = plantKernels(c, k);
  const T = c.steps;
  const u = new Float64Array(2 * T);
  const den = g.gain[0] * g.gain[0] + g.gain[1] * g.gain[1];
  let px = 0;
  let py = 0;
  let vx = 0;
  let vy = 0;
  for (let t = 0; t < T; t++) {
    const nvx = (p[2 * t] - px) / c.dt;
    const nvy = (p[2 * t + 1] - py) / c.dt;
    // w = v_t − decay · v_{t−1}
    const wx = nvx - (g.decay[0] * vx - g.decay[1] * vy);
    const wy = nvy - (g.decay[1] * vx + g.decay[0] * vy);
    // u = w / gain
    u[2 * t] = (wx * g.gain[0] + wy * g.gain[1]) / den;
    u[2 * t + 1] = (wy * g.gain[0] - wx * g.gain[1]) / den;
    vx = nvx;
    vy = nvy;
    px = p[2 * t];
    py = p[2 * t + 1];
  }
  return u;
}

/** Minimum-jerk profile s(τ) = 10τ³ − 15τ⁴ + 6τ⁵ for τ clipped to [0, 1]: 0 → 1 with zero velocity and acceleration at both ends. */
export function minimumJerk(tau: number): number {
  const x = Math.min(1, Math.max(0, tau));
  return x * x * x * (10 + x * (-15 + 6 * x));
}
