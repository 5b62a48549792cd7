/**
 * CP-ALS: alternating least squares for the CP decomposition, with restarts and missing data (EM
 * imputation). Heavy products (MTTKRP) run on the backend; the R×R normal equations, Grams,
 * normalization and the fit run in float64 on the host.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { z } from 'zod';
import type { Rng } from '../backend/random';
import { ready } from '../backend/use';
import { solveSpd } from '../linalg/cholesky';
import type { Matrix } from '../linalg/matrix';
import { LtrError } from '../validate/errors';
import { parseOptions } from '../validate/options';
import type { TensorLike } from '../validate/tensor';
import { contractLastMode, mttkrpFromPartial, mttkrpOwned } from './algebra';
import { CPTensor, RESIDUAL_THRESHOLD, gramHost, residualSquares } from './cp-tensor';
import { baseDecompositionOptions, type DecompositionInit, type DecompositionProgress } from './options';
import type { DecompositionResult } from './result';
import { iterationGuard, prepareData, runRestarts, unfoldingEigenvectors, type PreparedData, type RunResult } from './restarts';

/**
 * Options of {@link cpAls}: exactly {@link baseDecompositionOptions} (rank, maxIter = 500,
 * tol = 1e-8, seed = 0, restarts = 1, mask, onProgress, signal, init = 'random').
 */
export const cpAlsOptions = baseDecompositionOptions;
/** Options of {@link cpAls} as a caller writes them. */
export type CpAlsOptions = z.input<typeof cpAlsOptions>;

/**
 * Relative errors at or below this are float32 round-off: the fit cannot improve further, so an
 * iteration reaching it counts as converged (whatever `tol`).
 */
const PRECISION_FLOOR = 1e-6;
/** float32 machine epsilon: the Gram formula's ‖x − model‖²/‖x‖² is good to about this, absolutely. */
const EPS32 = 1.1920928955078125e-7;

/**
 * CP decomposition by alternating least squares.
 *
 * Each iteration updates every mode m in turn by the least-squares solution
 * F_m = MTTKRP(x, F, m) · V⁻¹ with V = ⊛_{n≠m} F_nᵀF_n (R×R, solved in float64 on the host by
 * Cholesky, with a tiny relative jitter if V is singular), then rescales F_m's columns to unit
 * norm (the scale goes into λ). The MTTKRPs share work through a dimension tree: when
 * R ≤ I_{N−1}, one pass over x contracts the last mode and modes 0 … N−2 follow from that small
 * partial result, so a sweep reads x twice instead of N times. The fit is computed from ‖x‖²,
 * ⟨x, model⟩ (from the last mode's MTTKRP) and the Grams, without forming the model — except
 * below a relative error of 1e-2, where float32 cancellation makes that formula inexact and the
 * residual is formed slice by slice.
 * Stops when the relative change of the fit (1 − relError) between two iterations is below
 * `tol` or below what float32 can resolve (about 1.2e-7 / relError when the fit comes from the
 * Gram formula), when the relative error reaches float32 round-off (1e-6), or after `maxIter`
 * iterations.
 *
 * Initialization (`init`): `'random'` — standard normal factors from `seed`; `'svd'` — for each
 * mode n ≥ 1 the leading R left singular vectors of `unfold(x, n)` (eigenvectors of the
 * I_n × I_n Gram matrix, computed on the host), padded with random columns when R > I_n (mode 0
 * is never read: the first update solves it); or a {@link CPTensor} of the data's shape and rank
 * (not consumed). Restart k > 0 always starts from random factors drawn from a seed derived from
 * `seed`; the restart with the lowest error is returned and all are listed in `restarts`.
 *
 * Missing data (`mask`, 1 = observed): entries with mask 0 are ignored (they may be NaN). Each
 * iteration runs ALS on the data with the missing entries filled by the current model (EM
 * imputation; initially by the mean of the observed entries, or by `init` when it is a CPTensor),
 * and `relError` is ‖mask ⊙ (x − model)‖ / ‖mask ⊙ x‖ over observed entries only.
 *
 * @param x - dense data, at least 2 modes (tf.Tensor, nested arrays or `{ data, shape }`).
 * @param options - see {@link cpAlsOptions}.
 * @returns the arranged CP tensor (unit-norm columns, components by descending λ) and the fit; the
 *   caller owns `result.cp`.
 * @throws LtrError `invalid-option` (bad option, e.g. `options.rank`), `invalid-data` (NaN/Inf in
 *   observed data, all-zero data or mask), `shape-mismatch` (`options.init`, `options.mask`),
 *   `aborted` (`options.signal`).
 *
 * @example
 * ```ts
 * const { cp, relError } = await cpAls(x, { rank: 3, restarts: 5, seed: 1 });
 * cp.dispose();
 * ```
 */
export async function cpAls(x: TensorLike, options: CpAlsOptions): Promise<DecompositionResult> {
  await ready();
  const startedAt = Date.now();
  const o = parseOptions(cpAlsOptions, options, 'options');
  const owned: tf.Tensor[] = [];
  try {
    const data = await prepareData(x, o.mask, owned, { privateCopy: true });
    return await runRestarts('cpAls', data, o, startedAt, (d, init, gen, k) => runAls(d, init, gen, o, k));
  } finally {
    for (const t of owned) t.dispose();
  }
}







interface RunOptions {
  rank: number;
  maxIter: number;
  tol: number;
  onProgress?: (p: DecompositionProgress) => void;
  signal?: AbortSignal;
}

/** One ALS run from one initialization. Disposes everything it creates, also on errors. */
async function runAls(data: PreparedData, init: DecompositionInit, gen: Rng, o: RunOptions, restart: number): Promise<RunResult> {
  const { shape, mask } = data;
  const order = shape.length;
  const r = o.rank;
  const dev: tf.Tensor2D[] = [];
  let filled: tf.Tensor | null = null;
  let partial: tf.Tensor2D | null = null;
  // The partial contraction [∏_{n<N−1} I_n, R] is smaller than x when R ≤ I_{N−1}.
  const useTree = r <= shape[order - 1];
  try {
    // Data the ALS sweeps see: x itself, or x with missing entries filled (EM).
    if (mask) {
      if (init instanceof CPTensor) {
        const m = init.full();
        filled = tf.tidy(() => tf.add(data.x, tf.mul(tf.sub(1, mask), m)));
        m.dispose();
      } else {
        filled = tf.tidy(() => tf.add(data.x, tf.mul(tf.sub(1, mask), data.mean)));
      }
    }
    const xs = filled ?? data.x;
    const host = await initialFactors(xs, init, gen, shape, r);
    for (const f of host) dev.push(upload(f));
    const grams = host.map(gramHost);
    let weights: Float64Array = new Float64Array(r).fill(1);
    const history: number[] = [];
    let converged = false;
    let iterations = 0;
    let prevFit = NaN;
    const nextIteration = iterationGuard(o.signal, 'cpAls');
    for (let it = 1; it <= o.maxIter; it++) {
      await nextIteration();
      const cur = filled ?? data.x;
      let xm = 0;
      let mm = 0;
      // Dimension tree: one pass over x contracts the last mode (whose factor stays fixed until
      // the end of the sweep), and the MTTKRPs of modes 0 … N−2 follow from that small partial
      // result; the last mode takes a second pass. Two passes per sweep instead of N.
      partial = useTree ? contractLastMode(cur, dev[order - 1]) : null;
      for (let m = 0; m < order; m++) {
        const v = new Float64Array(r * r).fill(1);
        for (let n = 0; n < order; n++) if (n !== m) for (let k = 0; k < r * r; k++) v[k] *= grams[n][k];
        const mt = partial && m < order - 1 ? mttkrpFromPartial(partial, shape, dev, m) : mttkrpOwned(cur, dev, m);
        if (partial && m === order - 2) {
          partial.dispose();
          partial = null;
        }
        const md = await mt.data();
        mt.dispose();
        const im = shape[m];
        // Solve V·Fᵀ = Mᵀ (V symmetric): right-hand side Mᵀ is R × I_m.
        const rhs = new Float64Array(r * im);
        for (let i = 0; i < im; i++) for (let k = 0; k < r; k++) rhs[k * im + i] = md[i * r + k];
        const sol = solveSpd({ rows: r, cols: r, data: v }, { rows: r, cols: im, data: rhs });
        const f = new Float64Array(im * r);
        for (let i = 0; i < im; i++) for (let k = 0; k < r; k++) f[i * r + k] = sol.data[k * im + i];
        if (m === order - 1) {
          // ⟨x, model⟩ = Σ M ⊙ F̃ ; ‖model‖² = Σ (F̃ᵀF̃) ⊙ V, with F̃ the unnormalized update.
          for (let k = 0; k < f.length; k++) xm += md[k] * f[k];
          const g = gramHost({ rows: im, cols: r, data: f });
          for (let k = 0; k < r * r; k++) mm += g[k] * v[k];
        }
        weights = normalizeColumns(f, im, r);
        const fm: Matrix = { rows: im, cols: r, data: f };
        dev[m].dispose();
        dev[m] = upload(fm);
        host[m] = fm;
        grams[m] = gramHost(fm);
      }
      let rel: number;
      if (mask) {
        const cp = new CPTensor(tf.tensor1d(Float32Array.from(weights)), dev.map((d) => tf.clone(d)));
        try {
          rel = Math.sqrt(Math.max(0, await residualSquares(data.x, cp, mask)) / data.xx);
          const model = cp.full();
          const next = tf.tidy(() => tf.add(data.x, tf.mul(tf.sub(1, mask), model)));
          model.dispose();
          filled?.dispose();
          filled = next;
        } finally {
          cp.dispose();
        }
      } else {
        rel = Math.sqrt(Math.max(0, data.xx - 2 * xm + mm) / data.xx);
        if (rel < RESIDUAL_THRESHOLD) {
          const cp = new CPTensor(tf.tensor1d(Float32Array.from(weights)), dev.map((d) => tf.clone(d)));
          try {
            rel = Math.sqrt(Math.max(0, await residualSquares(data.x, cp)) / data.xx);
          } finally {
            cp.dispose();
          }
        }
      }
      if (!Number.isFinite(rel)) {
        throw new LtrError('diverged', `cpAls diverged at iteration ${it} (relative error ${rel}). Check the data's scale or lower options.rank.`, { path: 'x' });
      }
      history.push(rel);
      iterations = it;
      o.onProgress?.({ iteration: it, relError: rel, restart });
      const fit = 1 - rel;
      // A change of the fit smaller than what float32 resolves (≈ ε₃₂ / relError for the Gram
      // formula, whose squared error is good to ~ε₃₂) is no change: count it as converged.
      const resolution = rel >= RESIDUAL_THRESHOLD && !mask ? EPS32 / rel : 0;
      const change = Math.abs(fit - prevFit);
      if (rel <= PRECISION_FLOOR || (it > 1 && (change <= o.tol * Math.max(Math.abs(prevFit), Number.EPSILON) || change <= resolution))) {
        converged = true;
        break;
      }
      prevFit = fit;
    }
    return { weights, factors: host, relError: history[history.length - 1], iterations, converged, history };
  } finally {
    for (const d of dev) d.dispose();
    filled?.dispose();
    (partial as tf.Tensor2D | null)?.dispose();
  }
}

/** Uploads a host factor as float32 and rounds the host copy to the same float32 values. */
function upload(f: Matrix): tf.Tensor2D {
  const v = Float32Array.from(f.data);
  (f.data as Float64Array).set(v);
  return tf.tensor2d(v, [f.rows, f.cols]);
}

/** Scales the columns of row-major `f` (rows × r) to unit norm in place; returns the norms. */
function normalizeColumns(f: Float64Array, rows: number, r: number): Float64Array {
  const norms = new Float64Array(r);
  for (let i = 0; i < rows; i++) for (let k = 0; k < r; k++) norms[k] += f[i * r + k] * f[i * r + k];
  for (let k = 0; k < r; k++) norms[k] = Math.sqrt(norms[k]);
  for (let i = 0; i < rows; i++) for (let k = 0; k < r; k++) if (norms[k] > 0) f[i * r + k] /= norms[k];
  return norms;
}

function randomFactor(gen: Rng, rows: number, r: number): Matrix {
  const data = gen.normalArray(rows * r);
  normalizeColumns(data, rows, r);
  return { rows, cols: r, data };
}

async function initialFactors(x: tf.Tensor, init: DecompositionInit, gen: Rng, shape: number[], r: number): Promise<Matrix[]> {
  if (init instanceof CPTensor) {
    const h = await init.toHost();
    // Fold λ into mode 0 (which the first update overwrites anyway).
    const f0 = h.factors[0];
    for (let i = 0; i < f0.rows; i++) for (let k = 0; k < r; k++) f0.data[i * r + k] *= h.weights[k];
    return h.factors;
  }
  if (init === 'random') return shape.map((n) => randomFactor(gen, n, r));
  // 'svd': leading eigenvectors of unfold(x, n)·unfold(x, n)ᵀ for n ≥ 1.
  const out: Matrix[] = [randomFactor(gen, shape[0], r)];
  for (let n = 1; n < shape.length; n++) {
    const im = shape[n];
    const vectors = await unfoldingEigenvectors(x, n);
    const pad = randomFactor(gen, im, r);
    const data = new Float64Array(im * r);
    for (let i = 0; i < im; i++) for (let k = 0; k < r; k++) data[i * r + k] = k < im ? vectors.data[i * im + k] : pad.data[i * r + k];
    out.push({ rows: im, cols: r, data });
  }
  return out;
}
