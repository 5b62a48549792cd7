/**
 * CP-WOPT (Acar, Dunlavy, Kolda & Mørup 2011, "Scalable tensor factorizations for incomplete
 * data"): the CP factors are fitted by a gradient method to the observed entries only. The loss
 * and its gradient come from tfjs autodiff on the active backend; the optimizer is L-BFGS with
 * its two-loop recursion and line search in float64 on the host, or tfjs's Adam.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { Rng } from '../backend/random';
import { ready } from '../backend/use';
import type { Matrix } from '../linalg';
import { LtrError } from '../validate/errors';
import { parseOptions, schemas } from '../validate/options';
import type { TensorLike } from '../validate/tensor';
import { cpToTensor } from './algebra';
import { CPTensor, gramHost, residualSquares } from './cp-tensor';
import { iterationGuard, prepareData, runRestarts, unfoldingEigenvectors, type PreparedData, type RunResult } from './restarts';
import { baseDecompositionOptions, type DecompositionInit } from './options';
import type { DecompositionResult } from './result';

/**
 * Options of {@link cpOpt}: {@link baseDecompositionOptions} (rank, maxIter = 500, tol = 1e-8,
 * seed = 0, restarts = 1, mask, onProgress, signal, init = 'random') plus
 * - `optimizer` (default `'lbfgs'`): `'lbfgs'` (limited-memory BFGS with a backtracking Armijo
 *   line search, host float64) or `'adam'` (tfjs `tf.train.adam`).
 * - `learningRate` (default 0.01): Adam's step size (the loss is normalized by ‖M ⊙ x‖², so the
 *   scale of the data does not matter). Ignored by L-BFGS.
 * - `memory` (default 10): number of correction pairs L-BFGS keeps.
 */
export const cpOptOptions = baseDecompositionOptions.extend({
  optimizer: z.enum(['lbfgs', 'adam']).default('lbfgs'),
  learningRate: schemas.positive.default(0.01),
  memory: schemas.positiveInt.default(10),
});
/** Options of {@link cpOpt} as a caller writes them. */
export type CpOptOptions = z.input<typeof cpOptOptions>;
type Resolved = z.output<typeof cpOptOptions>;

const PRECISION_FLOOR = 1e-6;
let variableCounter = 0;

/**
 * CP decomposition by direct optimization (CP-WOPT): minimizes
 *
 *   f(F) = ½ ‖M ⊙ (x − [[F₁, …, F_N]])‖² / ‖M ⊙ x‖²
 *
 * over the factors, where M is the 0/1 `mask` (all ones when absent), so that missing entries
 * play no role at all (unlike EM imputation in `cpAls`, which fills them). f = ½ relError² over
 * the observed entries. The gradient comes from `tf.variableGrads` (reverse-mode autodiff through
 * the dense model, built as F₁ · khatriRao(F₂, …)ᵀ). Each iteration is one L-BFGS step (one or a
 * few loss evaluations) or one Adam step. Stops when the relative change of the fit
 * (1 − relError) between iterations is below `tol`, when the error reaches float32 round-off
 * (1e-6), when the L-BFGS line search can no longer decrease the float32 loss (counted as
 * converged), or after `maxIter` iterations. `relError` is recomputed at the end in float64 sums
 * over the observed entries; `history` holds √(2f) per iteration.
 *
 * Initialization (`init`): `'random'` — normal factors from `seed` scaled to the data's norm;
 * `'svd'` — leading eigenvectors of each unfolding's Gram matrix (missing entries filled with the
 * observed mean for this purpose only); or a {@link CPTensor} of the data's shape and rank (not
 * consumed). Restarts k > 0 start from random factors with seeds derived from `seed`.
 *
 * @returns the arranged CP tensor; the caller owns `result.cp`. Predict missing entries with
 *   `result.cp.full()`, or score them with `relativeError(x, cp, { mask: heldOut })`.
 * @throws LtrError `invalid-option` (e.g. `options.rank`, `options.learningRate`), `invalid-data`
 *   (NaN/Inf at observed entries, all-zero data or mask), `shape-mismatch` (`options.init`,
 *   `options.mask`), `aborted`, `diverged`.
 *
 * @example
 * ```ts
 * const { cp, relError } = await cpOpt(x, { rank: 3, mask });   // mask: 1 = observed
 * const predicted = cp.full();
 * ```
 */
export async function cpOpt(x: TensorLike, options: CpOptOptions): Promise<DecompositionResult> {
  await ready();
  const startedAt = Date.now();
  const o = parseOptions(cpOptOptions, options, 'options');
  const owned: tf.Tensor[] = [];
  try {
    const data = await prepareData(x, o.mask, owned);
    return await runRestarts('cpOpt', data, o, startedAt, (d, init, gen, k) => runOpt(d, init, gen, o, k));
  } finally {
    for (const t of owned) t.dispose();
  }
}


/** The loss on the backend for the given factor tensors (a scalar). */
function lossOf(data: PreparedData, factors: readonly tf.Tensor2D[], ones: tf.Tensor1D): tf.Scalar {
  const model = cpToTensor(ones, factors);
  const fitted = data.mask ? tf.mul(data.mask, model) : model;
  return tf.div(tf.mul(0.5, tf.sum(tf.square(tf.sub(data.x, fitted)))), data.xx) as tf.Scalar;
}

async function runOpt(data: PreparedData, init: DecompositionInit, gen: Rng, o: Resolved, restart: number): Promise<RunResult> {
  const { shape } = data;
  const r = o.rank;
  const host = await initialFactors(data, init, gen, r);
  const vars = host.map((f, n) => {
    const t = tf.tensor2d(Float32Array.from(f.data), [f.rows, r]);
    const v = tf.variable(t, true, `cpOpt_factor_${variableCounter++}_${n}`);
    t.dispose();
    return v;
  });
  const ones = tf.ones([r]) as tf.Tensor1D;
  const history: number[] = [];
  let converged = false;
  let iterations = 0;
  const report = (it: number, f: number): boolean => {
    const rel = Math.sqrt(Math.max(0, 2 * f));
    if (!Number.isFinite(rel)) {
      throw new LtrError('diverged', `cpOpt diverged at iteration ${it} (relative error ${rel}). Lower options.learningRate or use optimizer 'lbfgs'.`, { path: 'options.learningRate' });
    }
    const prev = history.length > 0 ? 1 - history[history.length - 1] : NaN;
    history.push(rel);
    iterations = it;
    o.onProgress?.({ iteration: it, relError: rel, restart });
    const fit = 1 - rel;
    return rel <= PRECISION_FLOOR || (history.length > 1 && Math.abs(fit - prev) <= o.tol * Math.max(Math.abs(prev), Number.EPSILON));
  };
  try {
    if (o.optimizer === 'adam') {
      const opt = tf.train.adam(o.learningRate);
      try {
        const nextIteration = iterationGuard(o.signal, 'cpOpt');
        for (let it = 1; it <= o.maxIter; it++) {
          await nextIteration();
          const cost = opt.minimize(() => lossOf(data, vars as tf.Tensor2D[], ones), true, vars);
          const f = (await (cost as tf.Scalar).data())[0];
          cost?.dispose();
          if (report(it, f)) {
            converged = true;
            break;
          }
        }
      } finally {
        opt.dispose();
      }
    } else {
      converged = await lbfgs(data, vars, ones, o, report);
    }
    const factors: Matrix[] = [];
    for (let n = 0; n < vars.length; n++) factors.push({ rows: shape[n], cols: r, data: Float64Array.from(await vars[n].data()) });
    const cp = new CPTensor(tf.clone(ones), vars.map((v) => tf.clone(v) as tf.Tensor2D));
    let relError: number;
    try {
      relError = Math.sqrt(Math.max(0, await residualSquares(data.x, cp, data.mask ?? undefined)) / data.xx);
    } finally {
      cp.dispose();
    }
    return { factors, relError, iterations, converged, history };
  } finally {
    for (const v of vars) v.dispose();
    ones.dispose();
  }
}

/**
 * L-BFGS (Nocedal & Wright 2006, Alg. 7.4 and 7.5) on the flattened factors. Returns whether it
 * stopped by convergence (tolerance, precision floor or a line search that cannot decrease f).
 */
async function lbfgs(data: PreparedData, vars: tf.Variable[], ones: tf.Tensor1D, o: Resolved, report: (it: number, f: number) => boolean): Promise<boolean> {
  const sizes = vars.map((v) => v.size);
  const total = sizes.reduce((a, b) => a + b, 0);
  const assign = (theta: Float64Array): void => {
    let off = 0;
    vars.forEach((v, n) => {
      const t = tf.tensor(Float32Array.from(theta.subarray(off, off + sizes[n])), v.shape);
      v.assign(t);
      t.dispose();
      off += sizes[n];
    });
  };
  const evaluate = async (theta: Float64Array): Promise<{ f: number; g: Float64Array }> => {
    assign(theta);
    const { value, grads } = tf.variableGrads(() => lossOf(data, vars as tf.Tensor2D[], ones), vars);
    const f = (await value.data())[0];
    const g = new Float64Array(total);
    let off = 0;
    for (const v of vars) {
      g.set(await grads[v.name].data(), off);
      off += v.size;
    }
    value.dispose();
    for (const k of Object.keys(grads)) grads[k].dispose();
    return { f, g };
  };
  const dot = (a: Float64Array, b: Float64Array) => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  };
  let theta: Float64Array = new Float64Array(total);
  {
    let off = 0;
    for (const v of vars) {
      theta.set(await v.data(), off);
      off += v.size;
    }
  }
  const first = await evaluate(theta);
  let f = first.f;
  let g: Float64Array = first.g;
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(o.memory);
  const nextIteration = iterationGuard(o.signal, 'cpOpt');
  for (let it = 1; it <= o.maxIter; it++) {
    await nextIteration();
    let accepted = false;
    for (let attempt = 0; attempt < 2 && !accepted; attempt++) {
      // Direction d = −H g by the two-loop recursion (steepest descent when memory is empty).
      const d = Float64Array.from(g, (v) => -v);
      for (let k = S.length - 1; k >= 0; k--) {
        alpha[k] = rho[k] * dot(S[k], d);
        for (let i = 0; i < total; i++) d[i] -= alpha[k] * Y[k][i];
      }
      if (S.length > 0) {
        const last = S.length - 1;
        const gamma = dot(S[last], Y[last]) / dot(Y[last], Y[last]);
        for (let i = 0; i < total; i++) d[i] *= gamma;
      }
      for (let k = 0; k < S.length; k++) {
        const beta = rho[k] * dot(Y[k], d);
        for (let i = 0; i < total; i++) d[i] += S[k][i] * (alpha[k] - beta);
      }
      let slope = dot(g, d);
      if (!(slope < 0)) {
        // Not a descent direction (round-off): fall back to steepest descent.
        for (let i = 0; i < total; i++) d[i] = -g[i];
        slope = dot(g, d);
        S.length = 0;
        Y.length = 0;
        rho.length = 0;
      }
      // First step without curvature information: move by 1 % of ‖θ‖ (or 1e-2 if θ = 0).
      const step0 = S.length > 0 ? 1 : Math.min(1, (1e-2 * Math.max(Math.sqrt(dot(theta, theta)), 1)) / Math.sqrt(dot(d, d)));
      const found = await wolfeSearch(theta, f, slope, d, step0, evaluate);
      if (found) {
        const s = new Float64Array(total);
        const y = new Float64Array(total);
        for (let i = 0; i < total; i++) {
          s[i] = found.theta[i] - theta[i];
          y[i] = found.g[i] - g[i];
        }
        const sy = dot(s, y);
        if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
          if (S.length === o.memory) {
            S.shift();
            Y.shift();
            rho.shift();
          }
          S.push(s);
          Y.push(y);
          rho.push(1 / sy);
        }
        theta = found.theta;
        f = found.f;
        g = found.g;
        accepted = true;
      }
      if (!accepted) {
        if (S.length === 0) break;
        S.length = 0;
        Y.length = 0;
        rho.length = 0;
      }
    }
    if (!accepted) {
      // No decrease of the float32 loss even along −g: at the precision limit.
      assign(theta);
      return true;
    }
    if (report(it, f)) {
      assign(theta);
      return true;
    }
  }
  assign(theta);
  return false;
}

interface Point {
  theta: Float64Array;
  f: number;
  g: Float64Array;
}

/**
 * Line search for the strong Wolfe conditions (Nocedal & Wright 2006, Alg. 3.5 and 3.6, with
 * safeguarded quadratic interpolation in the zoom): c1 = 1e-4, c2 = 0.9, at most 25 evaluations.
 * Returns the accepted point, or null when no step decreases f (at float32 precision). A point
 * with sufficient decrease is accepted when the budget runs out before the curvature condition.
 */
async function wolfeSearch(
  theta: Float64Array,
  f0: number,
  slope0: number,
  d: Float64Array,
  step0: number,
  evaluate: (t: Float64Array) => Promise<{ f: number; g: Float64Array }>,
): Promise<Point | null> {
  const c1 = 1e-4;
  const c2 = 0.9;
  const maxEvals = 25;
  let evals = 0;
  const at = async (a: number): Promise<Point & { a: number; slope: number }> => {
    evals++;
    const t = new Float64Array(theta.length);
    for (let i = 0; i < t.length; i++) t[i] = Math.fround(theta[i] + a * d[i]);
    const { f, g } = await evaluate(t);
    let sl = 0;
    for (let i = 0; i < g.length; i++) sl += g[i] * d[i];
    return { theta: t, f: Number.isFinite(f) ? f : Infinity, g, a, slope: sl };
  };
  const armijo = (p: { a: number; f: number }) => p.f <= f0 + c1 * p.a * slope0 && p.f < f0;
  let best: Point | null = null;
  const zoom = async (lo: Awaited<ReturnType<typeof at>>, hi: Awaited<ReturnType<typeof at>>): Promise<Point | null> => {
    while (evals < maxEvals) {
      // Minimizer of the quadratic through φ(lo), φ'(lo), φ(hi), kept inside the bracket.
      const dx = hi.a - lo.a;
      const denom = 2 * (hi.f - lo.f - lo.slope * dx);
      let a = denom > 0 ? lo.a - (lo.slope * dx * dx) / denom : lo.a + 0.5 * dx;
      const left = Math.min(lo.a, hi.a);
      const right = Math.max(lo.a, hi.a);
      const margin = 0.1 * (right - left);
      if (!(a > left + margin && a < right - margin)) a = lo.a + 0.5 * dx;
      const p = await at(a);
      if (!armijo(p) || p.f >= lo.f) {
        hi = p;
      } else {
        if (Math.abs(p.slope) <= -c2 * slope0) return p;
        if (p.slope * (hi.a - lo.a) >= 0) hi = lo;
        lo = p;
        best = p;
      }
      if (Math.abs(hi.a - lo.a) <= 1e-12 * Math.max(1, Math.abs(lo.a))) break;
    }
    return lo.a > 0 && armijo(lo) ? lo : best;
  };
  type Probe = Point & { a: number; slope: number };
  let prev: Probe = { theta, f: f0, g: new Float64Array(0), a: 0, slope: slope0 };
  let a = step0;
  for (let i = 0; evals < maxEvals; i++) {
    const p = await at(a);
    if (!armijo(p) || (i > 0 && p.f >= prev.f)) return zoom(prev, p);
    best = p;
    if (Math.abs(p.slope) <= -c2 * slope0) return p;
    if (p.slope >= 0) return zoom(p, prev);
    prev = p;
    a *= 2;
  }
  return best;
}

async function initialFactors(data: PreparedData, init: DecompositionInit, gen: Rng, r: number): Promise<Matrix[]> {
  const { shape } = data;
  const order = shape.length;
  if (init instanceof CPTensor) {
    const h = await init.toHost();
    return h.factors.map((f) => {
      const out = new Float64Array(f.rows * r);
      for (let i = 0; i < f.rows; i++) {
        for (let k = 0; k < r; k++) {
          const w = h.weights[k];
          out[i * r + k] = f.data[i * r + k] * Math.pow(Math.abs(w), 1 / order) * (w < 0 && f === h.factors[0] ? -1 : 1);
        }
      }
      return { rows: f.rows, cols: r, data: out };
    });
  }
  let factors: Matrix[];
  if (init === 'random') {
    factors = shape.map((n) => ({ rows: n, cols: r, data: gen.normalArray(n * r) }));
  } else {
    const filled = data.mask ? tf.tidy(() => tf.add(data.x, tf.mul(tf.sub(1, data.mask as tf.Tensor), data.mean))) : data.x;
    try {
      factors = [];
      for (let n = 0; n < order; n++) {
        const im = shape[n];
        const vectors = await unfoldingEigenvectors(filled, n);
        const out = gen.normalArray(im * r);
        for (let i = 0; i < im; i++) for (let k = 0; k < Math.min(r, im); k++) out[i * r + k] = vectors.data[i * im + k];
        factors.push({ rows: im, cols: r, data: out });
      }
    } finally {
      if (filled !== data.x) filled.dispose();
    }
  }
  // Scale so that ‖model‖² matches the data's (estimated over all entries when masked).
  const v = new Float64Array(r * r).fill(1);
  for (const f of factors) {
    const g = gramHost(f);
    for (let k = 0; k < r * r; k++) v[k] *= g[k];
  }
  let mm = 0;
  for (let k = 0; k < r * r; k++) mm += v[k];
  const target = data.xx * (data.x.size / data.observed);
  const c = mm > 0 ? Math.pow(target / mm, 1 / (2 * order)) : 1;
  for (const f of factors) for (let k = 0; k < f.data.length; k++) (f.data as Float64Array)[k] *= c;
  return factors;
}
