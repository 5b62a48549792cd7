/**
 * The Euler unroll of a factored (low-tensor-rank) network with a hand-written backward pass:
 *
 *     x_{t+1} = λ x_t + A_h (C ⊙ (φ(x_t) B))ᵀ + E_t,      λ = 1 − dt/τ,  A_h = (dt/τ)·Â,
 *
 * for all K trials at once (rows), from x_0, for `steps` steps; E_t (K·N per step, optional) is
 * the external drive (inputs, bias, noise), already scaled by dt/τ.
 *
 * At these sizes (K·N a few thousand numbers) every tfjs op costs about the same, whatever its
 * size, so the cost of a training step is its number of ops. Autodiff records ~40 ops per time
 * step here (forward, backward, and a copy of every tensor the backward pass keeps); this custom
 * gradient needs ~20: the forward runs untaped, the backward propagates g_t = ∂L/∂x_t backwards
 * in time, and the parameter gradients are three matMuls over all steps at the end:
 *
 *     g_t  = ∂L/∂x_t|direct + λ g_{t+1} + φ'(x_t) ⊙ (((g_{t+1} A_h) ⊙ C) Bᵀ)
 *     ∂A_h = Σ_t g_{t+1}ᵀ (C ⊙ (r_t B)),   ∂B = Σ_t r_tᵀ ((g_{t+1} A_h) ⊙ C),
 *     ∂C   = Σ_t (g_{t+1} A_h) ⊙ (r_t B),   ∂E_t = g_{t+1},   ∂x_0 = g_0.
 *
 * The steps' states are joined by one concat; rows are read back with one-hot matMuls (cheaper
 * than slicing on wasm). Tested against autodiff of the plain unroll.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ActivationName } from '../rnn/activation';

/** One-hot selectors for a fixed number of bins (built once per network). */
export interface Selectors {
  /** e_t as T × 1 columns (place a row into a T-row matrix). */
  placeT: tf.Tensor2D[];
  /** e_tᵀ as 1 × T rows (read row t of a T-row matrix). */
  rowT: tf.Tensor2D[];
  /** e_t as (T−1) × 1 columns. */
  placeS: tf.Tensor2D[];
  /** e_tᵀ as 1 × (T−1) rows. */
  rowS: tf.Tensor2D[];
}

/** Builds the selectors for T bins (the caller owns and disposes the tensors). */
export function makeSelectors(bins: number): Selectors {
  const col = (t: number, n: number): tf.Tensor2D => {
    const e = new Float32Array(n);
    e[t] = 1;
    return tf.tensor2d(e, [n, 1]);
  };
  const row = (t: number, n: number): tf.Tensor2D => {
    const e = new Float32Array(n);
    e[t] = 1;
    return tf.tensor2d(e, [1, n]);
  };
  const s = bins - 1;
  return {
    placeT: Array.from({ length: bins }, (_, t) => col(t, bins)),
    rowT: Array.from({ length: bins }, (_, t) => row(t, bins)),
    placeS: Array.from({ length: s }, (_, t) => col(t, s)),
    rowS: Array.from({ length: s }, (_, t) => row(t, s)),
  };
}

/** Disposes selectors. */
export function disposeSelectors(s: Selectors): void {
  for (const list of [s.placeT, s.rowT, s.placeS, s.rowS]) for (const t of list) t.dispose();
}

function activationOf(name: ActivationName): (x: tf.Tensor) => tf.Tensor {
  switch (name) {
    case 'tanh':
      return (x) => tf.tanh(x);
    case 'relu':
      return (x) => tf.relu(x);
    case 'softplus':
      return (x) => tf.softplus(x);
    case 'identity':
      return (x) => x;
  }
}

/** φ'(x) given x and r = φ(x); null for the identity. */
function derivativeOf(name: ActivationName): ((x: tf.Tensor, r: tf.Tensor) => tf.Tensor) | null {
  switch (name) {
    case 'tanh':
      return (_x, r) => tf.sub(1, tf.square(r));
    case 'relu':
      return (x) => tf.step(x);
    case 'softplus':
      return (x) => tf.sigmoid(x);
    case 'identity':
      return null;
  }
}

/** Options of {@link unrollFactored}. */
export interface UnrollOptions {
  /** Number of steps (T − 1). */
  steps: number;
  /** 1 − dt/τ. */
  lambda: number;
  activation: ActivationName;
  /** For each step, whether E_t is nonzero (rows of `external` that are all zero are skipped). */
  externalRows: boolean[] | null;
  selectors: Selectors;
}

/**
 * States x_0 … x_T−1 as a T × (K·N) matrix (row t = x_t flattened trial-major), differentiable in
 * x0 (K × N), aH (N × R), b (N × R), c (K × R) and `external` ((T−1) × K·N) when given.
 */
export function unrollFactored(x0: tf.Tensor2D, aH: tf.Tensor2D, b: tf.Tensor2D, c: tf.Tensor2D, external: tf.Tensor2D | null, o: UnrollOptions): tf.Tensor2D {
  const [k, n] = x0.shape;
  const steps = o.steps;
  const bins = steps + 1;
  const act = activationOf(o.activation);
  const deriv = derivativeOf(o.activation);
  const sel = o.selectors;
  const rowsOn = (t: number): boolean => external !== null && (o.externalRows === null || o.externalRows[t]);

  const forward = (x0t: tf.Tensor2D, aHt: tf.Tensor2D, bt: tf.Tensor2D, ct: tf.Tensor2D, ext: tf.Tensor2D | null): tf.Tensor2D =>
    tf.tidy(() => {
      const lam = tf.scalar(o.lambda);
      const aT = tf.transpose(aHt) as tf.Tensor2D; // untransposed matMuls are faster on wasm
      let x = x0t;
      const states: tf.Tensor2D[] = [x];
      for (let t = 0; t < steps; t++) {
        x = tf.tidy(() => {
          const r = act(x) as tf.Tensor2D;
          const terms: tf.Tensor[] = [tf.matMul(tf.mul(tf.matMul(r, bt), ct) as tf.Tensor2D, aT), tf.mul(x, lam)];
          if (ext !== null && rowsOn(t)) terms.push(tf.reshape(tf.matMul(sel.rowS[t], ext), [k, n]));
          return tf.addN(terms) as tf.Tensor2D;
        });
        states.push(x);
      }
      // One concat (a single copy) rather than placing each step: (T·K) × N, i.e. T × (K·N).
      return tf.reshape(tf.concat(states, 0), [bins, k * n]) as tf.Tensor2D;
    });

  const backward = (dy: tf.Tensor2D, aHt: tf.Tensor2D, bt: tf.Tensor2D, ct: tf.Tensor2D, states: tf.Tensor2D, hasExternal: boolean): tf.Tensor[] =>
    tf.tidy(() => {
      // Everything the backward pass uses is saved or rebuilt here: tfjs disposes the forward
      // pass's intermediates before running it.
      const rates = act(states) as tf.Tensor2D; // T × K·N
      const dphi = deriv === null ? null : (deriv(states, rates) as tf.Tensor2D);
      const rowOf = (m: tf.Tensor2D, t: number): tf.Tensor2D => tf.reshape(tf.matMul(sel.rowT[t], m), [k, n]) as tf.Tensor2D;
      // With γ_t = λ^t g_t the recursion needs no multiplication by λ:
      //   γ_t = λ^t ∂L/∂x_t|direct + γ_{t+1} + λ⁻¹ φ'(x_t) ⊙ (((γ_{t+1} A_h) ⊙ C) Bᵀ).
      // (Used while λ^(T−1) stays well inside float32; otherwise the plain form.)
      const scaled = o.lambda > 0 && Math.pow(o.lambda, steps) > 1e-6;
      const powers = Float32Array.from({ length: bins }, (_, t) => (scaled ? Math.pow(o.lambda, t) : 1));
      const dyS = scaled ? (tf.mul(dy, tf.tensor2d(powers, [bins, 1])) as tf.Tensor2D) : dy;
      const aRec = scaled ? (tf.div(aHt, o.lambda) as tf.Tensor2D) : aHt;
      const lam = scaled ? null : tf.scalar(o.lambda);
      const bT = tf.transpose(bt) as tf.Tensor2D;
      let g = rowOf(dyS, bins - 1); // γ_{T−1}
      const later: tf.Tensor2D[] = [];
      for (let t = steps - 1; t >= 0; t--) {
        const gNext = g;
        later.push(gNext);
        g = tf.tidy(() => {
          const dr = tf.matMul(tf.mul(tf.matMul(gNext, aRec), ct) as tf.Tensor2D, bT);
          const local = dphi === null ? dr : tf.mul(dr, rowOf(dphi, t));
          return tf.addN([rowOf(dyS, t), lam === null ? gNext : tf.mul(gNext, lam), local]) as tf.Tensor2D;
        });
      }
      later.reverse(); // later[t] = γ_{t+1}
      // g_{t+1} = λ^−(t+1) γ_{t+1}, as a (T−1)·K × N matrix (row block t = g_{t+1}).
      let g2 = tf.concat(later, 0) as tf.Tensor2D;
      if (scaled) {
        const inv = new Float32Array(steps * k);
        for (let t = 0; t < steps; t++) inv.fill(1 / powers[t + 1], t * k, (t + 1) * k);
        g2 = tf.mul(g2, tf.tensor2d(inv, [steps * k, 1])) as tf.Tensor2D;
      }
      const r2 = tf.reshape(tf.slice(rates, [0, 0], [steps, k * n]), [steps * k, n]) as tf.Tensor2D;
      const cTile = tf.tile(ct, [steps, 1]) as tf.Tensor2D;
      const p = tf.matMul(r2, bt); // r_t B
      const s = tf.matMul(g2, aHt); // g_{t+1} A_h
      const dAH = tf.matMul(g2, tf.mul(p, cTile) as tf.Tensor2D, true, false);
      const dB = tf.matMul(r2, tf.mul(s, cTile) as tf.Tensor2D, true, false);
      const dC = tf.sum(tf.reshape(tf.mul(s, p), [steps, k, ct.shape[1]]), 0);
      const grads: tf.Tensor[] = [g, dAH, dB, dC];
      if (hasExternal) grads.push(tf.reshape(g2, [steps, k * n]));
      return grads;
    });

  const inputs: tf.Tensor[] = external === null ? [x0, aH, b, c] : [x0, aH, b, c, external];
  const op = tf.customGrad((...args: (tf.Tensor | ((t: tf.Tensor[]) => void))[]) => {
    const save = args[args.length - 1] as (t: tf.Tensor[]) => void;
    const [x0t, aHt, bt, ct] = args as tf.Tensor2D[];
    const ext = external === null ? null : (args[4] as tf.Tensor2D);
    const states = forward(x0t, aHt, bt, ct, ext);
    save([aHt, bt, ct, states]);
    return {
      value: states,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sa, sb, sc, ss] = saved as tf.Tensor2D[];
        return backward(dy as tf.Tensor2D, sa, sb, sc, ss, ext !== null);
      },
    };
  });
  return (op as unknown as (...t: tf.Tensor[]) => tf.Tensor2D)(...inputs);
}
