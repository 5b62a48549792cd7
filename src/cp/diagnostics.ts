/**
 * Diagnostics of CP models: fit (relative error, explained variance), similarity of two models
 * (congruence, factor match score after optimal component matching) and the core consistency
 * diagnostic CORCONDIA. Comparisons run on float64 host copies of the (small) factor matrices;
 * anything touching the data runs as tfjs ops on the active backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ready } from '../backend/use';
import { pinv, type Matrix } from '../linalg';
import { LtrError } from '../validate/errors';
import { parseOptions } from '../validate/options';
import { toTensor, type TensorLike } from '../validate/tensor';
import { CPTensor, type CPTensorHost, relativeErrorTensor, residualSquares, sumSquares } from './cp-tensor';
import { prepareData } from './restarts';
import { linearSumAssignment } from './hungarian';

// ---------------------------------------------------------------------------------------------
// Shared checks

type HostCP = CPTensorHost;

function checkCP(cp: unknown, name: string): CPTensor {
  if (!(cp instanceof CPTensor)) {
    throw new LtrError('invalid-option', `${name} must be a CPTensor (got ${cp === null ? 'null' : typeof cp}). Build one with new CPTensor(weights, factors) or CPTensor.fromArrays.`, { path: name });
  }
  return cp;
}

/** Converts the data and checks that its shape is the CP tensor's. Caller owns the result. */
async function dataFor(x: TensorLike, cp: CPTensor, name = 'x'): Promise<tf.Tensor> {
  const t = await toTensor(x, { name });
  const shape = cp.shape;
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    const got = [...t.shape];
    t.dispose();
    throw new LtrError('shape-mismatch', `${name} has shape [${got.join(', ')}] but the CP tensor has shape [${shape.join(', ')}]. Pass the data the model was fitted to.`, { path: name });
  }
  return t;
}

// ---------------------------------------------------------------------------------------------
// relativeError, explainedVariance

/** Options of {@link relativeError}. */
export const relativeErrorOptions = z.strictObject({
  /**
   * 0/1 tensor of the data's shape (1 = observed). When given, the error is computed over the
   * observed entries only, ‖M ⊙ (x − cp)‖ / ‖M ⊙ x‖, and x may hold NaN where the mask is 0. The
   * model is then formed slice by slice (at most ~4M entries at once).
   */
  mask: z.custom<TensorLike>((v) => v !== undefined && v !== null, 'must be a tensor-like 0/1 mask').optional(),
});
/** Input type of {@link relativeErrorOptions}. */
export type RelativeErrorOptions = z.input<typeof relativeErrorOptions>;

/**
 * Relative error ‖x − cp‖_F / ‖x‖_F of a CP model of `x`. Without a mask it never forms the
 * dense model (‖x‖², ⟨x, cp⟩ via MTTKRP and ‖cp‖² from Gram matrices, see
 * {@link CPTensor.relativeError}); with `mask` it is the error over the observed entries — pass
 * the complement of a fit's mask to score held-out entries.
 *
 * @throws LtrError `shape-mismatch` (path `x` or `options.mask`) when the shapes differ;
 *   `invalid-data` for NaN/Inf (at observed entries) or all-zero data; `invalid-option` when `cp`
 *   is not a CPTensor or an option is malformed.
 */
export async function relativeError(x: TensorLike, cp: CPTensor, options?: RelativeErrorOptions): Promise<number> {
  await ready();
  checkCP(cp, 'cp');
  const o = parseOptions(relativeErrorOptions, options);
  if (o.mask === undefined) {
    const xt = await dataFor(x, cp);
    try {
      return await cp.relativeError(xt);
    } finally {
      xt.dispose();
    }
  }
  const owned: tf.Tensor[] = [];
  try {
    const d = await prepareData(x, o.mask, owned);
    checkSameShape(d.shape, cp.shape, 'x');
    return Math.sqrt(Math.max(0, await residualSquares(d.x, cp, d.mask ?? undefined)) / d.xx);
  } finally {
    for (const t of owned) t.dispose();
  }
}

function checkSameShape(got: readonly number[], want: readonly number[], name: string): void {
  if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
    throw new LtrError('shape-mismatch', `${name} has shape [${got.join(', ')}] but the CP tensor has shape [${want.join(', ')}]. Pass the data the model was fitted to.`, { path: name });
  }
}

/** Options of {@link explainedVariance}. */
export const explainedVarianceOptions = z.strictObject({
  /**
   * `false` (default): uncentered, 1 − ‖x − cp‖² / ‖x‖² (= 1 − relError², the CP literature's
   * convention). `true`: centered, 1 − ‖x − cp‖² / ‖x − x̄‖² with x̄ the mean of all entries
   * (the regression R²).
   */
  centered: z.boolean().default(false),
});
/** Input type of {@link explainedVarianceOptions}. */
export type ExplainedVarianceOptions = z.input<typeof explainedVarianceOptions>;

/**
 * Fraction of the data's sum of squares a CP model explains. Default (uncentered):
 * `1 − ‖x − cp‖² / ‖x‖²`, i.e. `1 − relativeError²`. With `{ centered: true }`:
 * `1 − ‖x − cp‖² / ‖x − x̄‖²` where x̄ is the mean of all entries. Never densifies the model
 * (above a relative error of 1e-2; below it the residual is formed slice by slice for accuracy).
 * Negative for a model worse than zero (uncentered) or than the mean (centered).
 *
 * @throws LtrError as {@link relativeError}; `invalid-data` when x is zero, or constant (centered).
 */
export async function explainedVariance(x: TensorLike, cp: CPTensor, options?: ExplainedVarianceOptions): Promise<number> {
  await ready();
  checkCP(cp, 'cp');
  const o = parseOptions(explainedVarianceOptions, options);
  const xt = await dataFor(x, cp);
  try {
    const ss = await sumSquares(xt);
    if (ss === 0) throw new LtrError('invalid-data', 'x is all zero: explained variance is undefined.', { path: 'x' });
    const rel = await relativeErrorTensor(xt, cp);
    const sse = rel * rel * ss;
    if (!o.centered) return 1 - sse / ss;
    const st = tf.sum(xt);
    const s = (await st.data())[0];
    st.dispose();
    const centeredSS = ss - (s * s) / xt.size;
    if (!(centeredSS > 1e-12 * ss)) throw new LtrError('invalid-data', 'x is constant: the centered explained variance is undefined. Use { centered: false }.', { path: 'x' });
    return 1 - sse / centeredSS;
  } finally {
    xt.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// congruence and factor match score

/** Options of {@link congruence}. */
export const congruenceOptions = z.strictObject({
  /**
   * Multiply each entry by the weight penalty 1 − |λa − λb| / max(|λa|, |λb|) (1 when both
   * weights are 0), λ being the component's norm after normalizing every column. Default false.
   */
  weights: z.boolean().default(false),
  /** Take absolute values of the per-mode cosines (sign-invariant). Default false: signed product. */
  absolute: z.boolean().default(false),
});
/** Input type of {@link congruenceOptions}. */
export type CongruenceOptions = z.input<typeof congruenceOptions>;

/** Column norms and unit columns of a host factor (a zero column stays zero, norm 0). */
function unitColumns(f: Matrix): { unit: Float64Array; norms: Float64Array } {
  const { rows, cols, data } = f;
  const norms = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let r = 0; r < cols; r++) norms[r] += data[i * cols + r] * data[i * cols + r];
  for (let r = 0; r < cols; r++) norms[r] = Math.sqrt(norms[r]);
  const unit = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let r = 0; r < cols; r++) unit[i * cols + r] = norms[r] > 0 ? data[i * cols + r] / norms[r] : 0;
  return { unit, norms };
}

/** Component magnitudes |λ_r|·∏_m ‖f_m[:, r]‖. */
function magnitudes(h: HostCP, norms: Float64Array[]): Float64Array {
  const out = new Float64Array(h.weights.length);
  for (let r = 0; r < out.length; r++) {
    let p = Math.abs(h.weights[r]);
    for (const n of norms) p *= n[r];
    out[r] = p;
  }
  return out;
}

function weightPenalty(la: number, lb: number): number {
  const m = Math.max(la, lb);
  return m === 0 ? 1 : 1 - Math.abs(la - lb) / m;
}

/** Ra × Rb similarity from host copies (shared by congruence and factorMatchScore). */
function similarityMatrix(a: HostCP, b: HostCP, weights: boolean, absolute: boolean): Matrix {
  const ra = a.weights.length;
  const rb = b.weights.length;
  const out = new Float64Array(ra * rb).fill(1);
  const na: Float64Array[] = [];
  const nb: Float64Array[] = [];
  for (let m = 0; m < a.factors.length; m++) {
    const ua = unitColumns(a.factors[m]);
    const ub = unitColumns(b.factors[m]);
    na.push(ua.norms);
    nb.push(ub.norms);
    const rows = a.factors[m].rows;
    for (let i = 0; i < ra; i++) {
      for (let j = 0; j < rb; j++) {
        let c = 0;
        for (let k = 0; k < rows; k++) c += ua.unit[k * ra + i] * ub.unit[k * rb + j];
        out[i * rb + j] *= absolute ? Math.abs(c) : c;
      }
    }
  }
  if (!absolute) {
    // Signs of the weights belong to the components too.
    for (let i = 0; i < ra; i++) for (let j = 0; j < rb; j++) out[i * rb + j] *= Math.sign(a.weights[i] || 1) * Math.sign(b.weights[j] || 1);
  }
  if (weights) {
    const ma = magnitudes(a, na);
    const mb = magnitudes(b, nb);
    for (let i = 0; i < ra; i++) for (let j = 0; j < rb; j++) out[i * rb + j] *= weightPenalty(ma[i], mb[j]);
  }
  return { rows: ra, cols: rb, data: out };
}

async function hostPair(a: CPTensor, b: CPTensor): Promise<[HostCP, HostCP]> {
  checkCP(a, 'a');
  checkCP(b, 'b');
  const sa = a.shape;
  const sb = b.shape;
  if (sa.length !== sb.length || sa.some((d, i) => d !== sb[i])) {
    throw new LtrError('shape-mismatch', `a has shape [${sa.join(', ')}] but b has shape [${sb.join(', ')}]: only models of the same tensor shape can be compared.`, { path: 'b' });
  }
  return [await a.toHost(), await b.toHost()];
}

/**
 * Congruence of two CP models of the same shape: the Ra × Rb matrix whose (i, j) entry is the
 * product over modes of the cosine similarities (Tucker's congruence coefficients) of component
 * i of `a` and component j of `b`:
 *
 *   C_ij = sign(λa_i)·sign(λb_j) · ∏_m ⟨a_m[:, i], b_m[:, j]⟩ / (‖a_m[:, i]‖ ‖b_m[:, j]‖)
 *
 * It lies in [−1, 1], is 1 for identical components whatever their scale, and is unchanged by
 * the sign flips that leave a component's tensor unchanged. A zero column counts as cosine 0.
 * `{ absolute: true }` takes |cosine| in each mode (any sign flip ignored); `{ weights: true }`
 * multiplies by the weight penalty of {@link factorMatchScore}.
 *
 * @returns a linalg Matrix, rows = components of `a`, columns = components of `b`.
 * @throws LtrError `invalid-option` when an argument is not a CPTensor; `shape-mismatch` when shapes differ.
 */
export async function congruence(a: CPTensor, b: CPTensor, options?: CongruenceOptions): Promise<Matrix> {
  await ready();
  const o = parseOptions(congruenceOptions, options);
  const [ha, hb] = await hostPair(a, b);
  return similarityMatrix(ha, hb, o.weights, o.absolute);
}

/** Options of {@link factorMatchScore}. */
export const factorMatchScoreOptions = z.strictObject({
  /** Leave out the weight penalty (tensortools' `kruskal_align` does; Tensor Toolbox's `score` with `lambda_penalty` false). Default false. */
  ignoreWeights: z.boolean().default(false),
});
/** Input type of {@link factorMatchScoreOptions}. */
export type FactorMatchScoreOptions = z.input<typeof factorMatchScoreOptions>;

/** Result of {@link factorMatchScore}. */
export interface FactorMatchScore {
  /** Mean similarity of the matched pairs, in [0, 1]; 1 = the same model up to permutation, sign and scale. */
  score: number;
  /**
   * An ordering of a's components (a permutation of 0..Ra−1) for `a.permute(permutation)`: the
   * components matched to b's components in b's order first, then a's unmatched ones. When
   * Ra ≥ Rb, component k of the permuted `a` is the partner of component k of `b`.
   */
  permutation: number[];
  /** The Ra × Rb matrix of pair similarities the matching maximized. */
  similarity: Matrix;
  /** The matched pairs, in b's order: `{ a, b, similarity }`. */
  pairs: { a: number; b: number; similarity: number }[];
}

/**
 * Factor match score (FMS) of two CP models of the same shape, after the optimal one-to-one
 * matching of their components. The similarity of component i of `a` and j of `b` is
 *
 *   S_ij = penalty_ij · ∏_m |cos(a_m[:, i], b_m[:, j])|,
 *   penalty_ij = 1 − |λa_i − λb_j| / max(λa_i, λb_j)   (1 when both are 0; dropped with ignoreWeights)
 *
 * with λ the component magnitude |weight|·∏_m ‖column‖ (as after normalization). Absolute
 * cosines make it ignore sign and scale. The matching maximizing Σ S over min(Ra, Rb) pairs is
 * found exactly by the Hungarian algorithm; score = that sum / min(Ra, Rb) — extra components of
 * the larger model are ignored, as in tensortools' `kruskal_align` (a mean over matched pairs,
 * no weight penalty) and Tensor Toolbox's `score` (with `lambda_penalty`, which is our default;
 * Tensor Toolbox additionally requires Ra ≥ Rb and matches greedily by default).
 *
 * @throws LtrError `invalid-option` when an argument is not a CPTensor; `shape-mismatch` when shapes differ.
 */
export async function factorMatchScore(a: CPTensor, b: CPTensor, options?: FactorMatchScoreOptions): Promise<FactorMatchScore> {
  await ready();
  const o = parseOptions(factorMatchScoreOptions, options);
  const [ha, hb] = await hostPair(a, b);
  return matchHost(ha, hb, !o.ignoreWeights);
}

/** Factor match score on host copies (also used by rankSweep). */
export function matchHost(ha: HostCP, hb: HostCP, weights: boolean): FactorMatchScore {
  const similarity = similarityMatrix(ha, hb, weights, true);
  const ra = similarity.rows;
  const rb = similarity.cols;
  const { colToRow, rowToCol } = linearSumAssignment(similarity, { maximize: true });
  const pairs: FactorMatchScore['pairs'] = [];
  for (let j = 0; j < rb; j++) {
    const i = colToRow[j];
    if (i >= 0) pairs.push({ a: i, b: j, similarity: similarity.data[i * rb + j] });
  }
  const permutation = pairs.map((p) => p.a);
  for (let i = 0; i < ra; i++) if (rowToCol[i] < 0) permutation.push(i);
  const total = pairs.reduce((s, p) => s + p.similarity, 0);
  return { score: total / Math.min(ra, rb), permutation, similarity, pairs };
}

// ---------------------------------------------------------------------------------------------
// core consistency

/** Options of {@link coreConsistency}. */
export const coreConsistencyOptions = z.strictObject({
  /**
   * Denominator of the misfit: `'rank'` (default; R = Σ T², Bro & Kiers 2003, N-way Toolbox's
   * `corcond`) or `'core'` (Σ G², the variant some packages offer for models whose core is far
   * from T, which keeps the value in [0, 100]).
   */
  divisor: z.enum(['rank', 'core']).default('rank'),
});
/** Input type of {@link coreConsistencyOptions}. */
export type CoreConsistencyOptions = z.input<typeof coreConsistencyOptions>;

/**
 * The core consistency diagnostic (CORCONDIA, Bro & Kiers 2003). Given the CP factors, the
 * least-squares Tucker core is G = x ×₁ F₁⁺ ×₂ F₂⁺ ⋯ ×_N F_N⁺ (R × ⋯ × R); for a valid CP model it
 * is close to the superdiagonal identity T. Returns
 *
 *   CC = 100 · (1 − Σ (G − T)² / Σ T²),   Σ T² = R  (divisor `'rank'`, the original)
 *
 * or with divisor `'core'` 100 · (1 − Σ (G − T)² / Σ G²). 100 means a perfectly trilinear
 * structure; values near or below 0 mean too many components. Before the core is computed every
 * factor column is scaled to unit norm and each component's magnitude |λ_r|·∏‖columns‖ is shared
 * equally among the modes (|·|^(1/N) each, the weight's sign going into mode 1), as Bro's
 * `corcond` does; CC depends on that choice when the model is not exact.
 *
 * Computed with the pseudo-inverses (float64 on the host, via linalg `pinv`) applied one mode at a
 * time as tfjs matrix products — never forming a Kronecker product; cost O(R · ∏ I_n).
 *
 * @throws LtrError `shape-mismatch` (path `x`), `invalid-data` (NaN/Inf), `invalid-option`.
 */
export async function coreConsistency(x: TensorLike, cp: CPTensor, options?: CoreConsistencyOptions): Promise<number> {
  await ready();
  checkCP(cp, 'cp');
  const o = parseOptions(coreConsistencyOptions, options);
  const xt = await dataFor(x, cp);
  const core = await leastSquaresCore(xt, await cp.toHost());
  xt.dispose();
  const R = cp.rank;
  const N = cp.order;
  let misfit = 0;
  let coreSS = 0;
  for (let k = 0; k < core.length; k++) {
    // Flat index k of an R^N array is superdiagonal when all N digits (base R) are equal.
    let rest = k;
    const d0 = rest % R;
    let diag = true;
    for (let m = 0; m < N; m++) {
      if (rest % R !== d0) diag = false;
      rest = Math.floor(rest / R);
    }
    const t = diag ? 1 : 0;
    misfit += (core[k] - t) * (core[k] - t);
    coreSS += core[k] * core[k];
  }
  const denom = o.divisor === 'rank' ? R : coreSS;
  if (!(denom > 0)) return -Infinity;
  return 100 * (1 - misfit / denom);
}

/** G = x ×₁ F₁⁺ ⋯ ×_N F_N⁺ for the rescaled factors, as a float64 row-major R^N array. */
async function leastSquaresCore(xt: tf.Tensor, h: HostCP): Promise<Float64Array> {
  const N = h.factors.length;
  const R = h.weights.length;
  const units = h.factors.map(unitColumns);
  const share = new Float64Array(R);
  const signs = new Float64Array(R);
  for (let r = 0; r < R; r++) {
    let p = Math.abs(h.weights[r]);
    for (const u of units) p *= u.norms[r];
    share[r] = Math.pow(p, 1 / N);
    signs[r] = h.weights[r] < 0 ? -1 : 1;
  }
  const pinvs = units.map((u, m) => {
    const rows = h.factors[m].rows;
    const data = new Float64Array(rows * R);
    for (let i = 0; i < rows; i++) {
      for (let r = 0; r < R; r++) data[i * R + r] = u.unit[i * R + r] * share[r] * (m === 0 ? signs[r] : 1);
    }
    return pinv({ rows, cols: R, data });
  });
  const g = tf.tidy(() => {
    let cur: tf.Tensor = xt;
    for (let m = 0; m < N; m++) {
      const shape = cur.shape;
      const lead = shape[0];
      const rest = shape.slice(1);
      const p = tf.tensor2d(Float32Array.from(pinvs[m].data), [R, lead]);
      const prod = tf.matMul(p, tf.reshape(cur, [lead, rest.reduce((a, b) => a * b, 1)]));
      // The new mode-m axis (length R) goes to the back: after N steps the axes are in order.
      const perm = [...rest.map((_, i) => i + 1), 0];
      cur = tf.transpose(tf.reshape(prod, [R, ...rest]), perm);
    }
    return cur;
  });
  const v = await g.data();
  g.dispose();
  return Float64Array.from(v);
}
