/**
 * Non-negative CP decomposition by hierarchical alternating least squares (HALS; Cichocki & Phan
 * 2009, "Fast local algorithms for large scale nonnegative matrix and tensor factorizations").
 * MTTKRPs run on the backend; the column updates, Grams and fit run in float64 on the host.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { z } from 'zod';
import type { Rng } from '../backend/random';
import { ready } from '../backend/use';
import type { Matrix } from '../linalg';
import { LtrError } from '../validate/errors';
import { parseOptions, schemas } from '../validate/options';
import type { TensorLike } from '../validate/tensor';
import { mttkrp } from './algebra';
import { CPTensor, RESIDUAL_THRESHOLD, gramHost, residualSquares } from './cp-tensor';
import { iterationGuard, prepareData, runRestarts, unfoldingEigenvectors, type PreparedData, type RunResult } from './restarts';
import { baseDecompositionOptions, type DecompositionInit, type DecompositionProgress } from './options';
import type { DecompositionResult } from './result';

/**
 * Options of {@link cpNonneg}: {@link baseDecompositionOptions} (rank, maxIter = 500, tol = 1e-8,
 * seed = 0, restarts = 1, mask, onProgress, signal, init = 'random') plus
 * - `epsilon` (default 1e-12, ≥ 0): every factor entry is clipped to at least this value after
 *   its update. A small positive value keeps a column from collapsing to exactly zero (which would
 *   stall HALS); 0 allows exact zeros.
 */
export const cpNonnegOptions = baseDecompositionOptions.extend({
  epsilon: schemas.nonNegative.default(1e-12),
});
/** Options of {@link cpNonneg} as a caller writes them. */
export type CpNonnegOptions = z.input<typeof cpNonnegOptions>;
type Resolved = z.output<typeof cpNonnegOptions>;

/** Relative errors at or below this are float32 round-off (as in cpAls). */
const PRECISION_FLOOR = 1e-6;

/**
 * Non-negative CP decomposition: x ≈ Σ_r λ_r a⁽⁰⁾_r ∘ a⁽¹⁾_r ∘ … with every factor entry ≥ 0,
 * by HALS. Each iteration sweeps the modes; in mode m, with M = MTTKRP(x, F, m) and
 * V = ⊛_{n≠m} F_nᵀF_n, the columns are updated one after another by the exact minimizer of the
 * loss in that column under the constraint:
 *
 *   f_r ← max(ε, f_r + (M[:, r] − F_m V[:, r]) / V_rr)
 *
 * After each sweep, every component's column norms are equalized across modes (the model is
 * unchanged; this keeps the scales balanced). The fit and the stopping rule are those of
 * `cpAls`: stop when the relative change of the fit (1 − relError) is below `tol`, when the error
 * reaches float32 round-off (1e-6) or after `maxIter` iterations.
 *
 * The data may have any sign: HALS then fits the best non-negative model (negative entries simply
 * cannot be reproduced). Only the factors are constrained.
 *
 * Initialization (`init`): `'random'` — uniform [0, 1) factors from `seed`, scaled so that the
 * model's norm equals the data's; `'svd'` — absolute values of the leading R left singular vectors
 * of each unfolding (from the I_n × I_n Gram matrix; padded with random columns when R > I_n),
 * scaled likewise; or a {@link CPTensor} of the data's shape and rank (its entries clipped at
 * `epsilon`, not consumed). Restarts k > 0 start from random factors with seeds derived from `seed`.
 *
 * Missing data (`mask`, 1 = observed): EM imputation as in `cpAls` — each sweep sees the data with
 * missing entries filled by the current model (initially by the mean of the observed entries), and
 * `relError` is over observed entries.
 *
 * @returns the arranged CP tensor (unit-norm non-negative columns, λ ≥ 0 descending); the caller
 *   owns `result.cp`.
 * @throws LtrError `invalid-option` (e.g. `options.rank`, `options.epsilon`), `invalid-data`
 *   (NaN/Inf at observed entries, all-zero data or mask), `shape-mismatch` (`options.init`,
 *   `options.mask`), `aborted` (`options.signal`), `diverged`.
 *
 * @example
 * ```ts
 * const { cp, relError } = await cpNonneg(x, { rank: 3, restarts: 3 });
 * cp.dispose();
 * ```
 */
export async function cpNonneg(x: TensorLike, options: CpNonnegOptions): Promise<DecompositionResult> {
  await ready();
  const startedAt = Date.now();
  const o = parseOptions(cpNonnegOptions, options, 'options');
  const owned: tf.Tensor[] = [];
  try {
    const data = await prepareData(x, o.mask, owned);
    return await runRestarts('cpNonneg', data, o, startedAt, (d, init, gen, k) => runHals(d, init, gen, o, k));
  } finally {
    for (const t of owned) t.dispose();
  }
}


async function runHals(data: PreparedData, init: DecompositionInit, gen: Rng, o: Resolved, restart: number): Promise<RunResult> {
  const { shape, mask } = data;
  const order = shape.length;
  const r = o.rank;
  const eps = o.epsilon;
  const dev: tf.Tensor2D[] = [];
  let filled: tf.Tensor | null = null;
  try {
    if (mask) {
      if (init instanceof CPTensor) {
        const m = init.full();
        filled = tf.tidy(() => tf.add(data.x, tf.mul(tf.sub(1, mask), tf.relu(m))));
        m.dispose();
      } else {
        filled = tf.tidy(() => tf.add(data.x, tf.mul(tf.sub(1, mask), data.mean)));
      }
    }
    const host = await initialFactors(filled ?? data.x, init, gen, shape, r, eps, data);
    for (const f of host) dev.push(upload(f));
    const grams = host.map(gramHost);
    const history: number[] = [];
    let converged = false;
    let iterations = 0;
    let prevFit = NaN;
    const nextIteration = iterationGuard(o.signal, 'cpNonneg');
    for (let it = 1; it <= o.maxIter; it++) {
      await nextIteration();
      const cur = filled ?? data.x;
      let xm = 0;
      let mm = 0;
      for (let m = 0; m < order; m++) {
        const v = new Float64Array(r * r).fill(1);
        for (let n = 0; n < order; n++) if (n !== m) for (let k = 0; k < r * r; k++) v[k] *= grams[n][k];
        const mt = mttkrp(cur, dev, m);
        const md = await mt.data();
        mt.dispose();
        const im = shape[m];
        const f = host[m].data;
        for (let k = 0; k < r; k++) {
          const vkk = v[k * r + k];
          if (!(vkk > 0)) {
            // The other modes' column k is zero: this component contributes nothing; keep it at ε.
            for (let i = 0; i < im; i++) f[i * r + k] = eps;
            continue;
          }
          for (let i = 0; i < im; i++) {
            let fv = 0;
            const row = i * r;
            for (let s = 0; s < r; s++) fv += f[row + s] * v[s * r + k];
            const val = f[row + k] + (md[row + k] - fv) / vkk;
            f[row + k] = val > eps ? val : eps;
          }
        }
        grams[m] = gramHost(host[m]);
        if (m === order - 1) {
          // ⟨x, model⟩ = Σ M ⊙ F_m and ‖model‖² = Σ (F_mᵀF_m) ⊙ V, λ = 1.
          for (let k = 0; k < f.length; k++) xm += md[k] * f[k];
          for (let k = 0; k < r * r; k++) mm += grams[m][k] * v[k];
        }
        dev[m].dispose();
        dev[m] = upload(host[m]);
      }
      balance(host, r);
      for (let m = 0; m < order; m++) {
        grams[m] = gramHost(host[m]);
        dev[m].dispose();
        dev[m] = upload(host[m]);
      }
      let rel: number;
      if (mask) {
        const cp = new CPTensor(tf.ones([r]) as tf.Tensor1D, dev.map((d) => tf.clone(d)));
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
          const cp = new CPTensor(tf.ones([r]) as tf.Tensor1D, dev.map((d) => tf.clone(d)));
          try {
            rel = Math.sqrt(Math.max(0, await residualSquares(data.x, cp)) / data.xx);
          } finally {
            cp.dispose();
          }
        }
      }
      if (!Number.isFinite(rel)) {
        throw new LtrError('diverged', `cpNonneg diverged at iteration ${it} (relative error ${rel}). Check the data's scale.`, { path: 'x' });
      }
      history.push(rel);
      iterations = it;
      o.onProgress?.({ iteration: it, relError: rel, restart } satisfies DecompositionProgress);
      const fit = 1 - rel;
      if (rel <= PRECISION_FLOOR || (it > 1 && Math.abs(fit - prevFit) <= o.tol * Math.max(Math.abs(prevFit), Number.EPSILON))) {
        converged = true;
        break;
      }
      prevFit = fit;
    }
    return { factors: host, relError: history[history.length - 1], iterations, converged, history };
  } finally {
    for (const d of dev) d.dispose();
    filled?.dispose();
  }
}

/** Uploads a host factor as float32 and rounds the host copy to the same values (as cpAls). */
function upload(f: Matrix): tf.Tensor2D {
  const v = Float32Array.from(f.data);
  (f.data as Float64Array).set(v);
  return tf.tensor2d(v, [f.rows, f.cols]);
}

/** Equalizes each component's column norms across modes (geometric mean); zero columns stay. */
function balance(factors: Matrix[], r: number): void {
  const order = factors.length;
  for (let k = 0; k < r; k++) {
    const norms = factors.map((f) => {
      let s = 0;
      for (let i = 0; i < f.rows; i++) s += f.data[i * r + k] ** 2;
      return Math.sqrt(s);
    });
    if (norms.some((n) => !(n > 0))) continue;
    const geo = Math.exp(norms.reduce((s, n) => s + Math.log(n), 0) / order);
    factors.forEach((f, m) => {
      const c = geo / norms[m];
      for (let i = 0; i < f.rows; i++) (f.data as Float64Array)[i * r + k] *= c;
    });
  }
}

async function initialFactors(x: tf.Tensor, init: DecompositionInit, gen: Rng, shape: number[], r: number, eps: number, data: PreparedData): Promise<Matrix[]> {
  let factors: Matrix[];
  if (init instanceof CPTensor) {
    const h = await init.toHost();
    // Share |λ| equally among the modes, then clip at ε.
    const order = shape.length;
    factors = h.factors.map((f) => {
      const out = new Float64Array(f.rows * r);
      for (let i = 0; i < f.rows; i++) for (let k = 0; k < r; k++) out[i * r + k] = Math.max(eps, f.data[i * r + k] * Math.pow(Math.abs(h.weights[k]), 1 / order));
      return { rows: f.rows, cols: r, data: out };
    });
    return factors;
  }
  if (init === 'random') {
    factors = shape.map((n) => ({ rows: n, cols: r, data: gen.uniformArray(n * r) }));
  } else {
    factors = [];
    for (let n = 0; n < shape.length; n++) {
      const im = shape[n];
      const vectors = await unfoldingEigenvectors(x, n);
      const out = gen.uniformArray(im * r);
      for (let i = 0; i < im; i++) for (let k = 0; k < Math.min(r, im); k++) out[i * r + k] = Math.abs(vectors.data[i * im + k]);
      factors.push({ rows: im, cols: r, data: out });
    }
  }
  // Scale so that ‖model‖ = ‖x‖ (λ = 1): one common factor per mode.
  const v = new Float64Array(r * r).fill(1);
  for (const f of factors) {
    const g = gramHost(f);
    for (let k = 0; k < r * r; k++) v[k] *= g[k];
  }
  let mm = 0;
  for (let k = 0; k < r * r; k++) mm += v[k];
  const target = data.mask ? data.xx * (data.x.size / data.observed) : data.xx;
  const c = mm > 0 ? Math.pow(target / mm, 1 / (2 * shape.length)) : 1;
  for (const f of factors) for (let k = 0; k < f.data.length; k++) (f.data as Float64Array)[k] = Math.max(eps, f.data[k] * c);
  return factors;
}
