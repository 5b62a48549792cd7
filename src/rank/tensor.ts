/**
 * Ranks of tensors: the higher-order SVD and the multilinear rank (exact: ranks of the
 * unfoldings, in float64 on the host), and a CP rank profile (estimates: CP rank is NP-hard).
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ready } from '../backend/use';
import { rankSweep } from '../cp/sweep';
import type { Provenance } from '../cp/result';
import type { Matrix } from '../linalg/matrix';
import { singularValuesOnly, svd } from '../linalg/svd';
import { LtrError } from '../validate/errors';
import { parseOptions, schemas } from '../validate/options';
import type { TensorLike } from '../validate/tensor';
import { epsOf, hostArray, precisionSchema, tensorArray, type HostArray, type HostTensorLike, type Precision } from './input';
import { countAbove, parseFraction } from './matrix';

/** @internal The mode-n unfolding (I_n × ∏_{m≠n} I_m) of a row-major host tensor. */
export function unfoldHost(data: Float64Array, shape: readonly number[], n: number): Matrix {
  const dim = shape[n];
  let pre = 1;
  for (let m = 0; m < n; m++) pre *= shape[m];
  let post = 1;
  for (let m = n + 1; m < shape.length; m++) post *= shape[m];
  const cols = pre * post;
  const out = new Float64Array(dim * cols);
  for (let a = 0; a < pre; a++) {
    for (let i = 0; i < dim; i++) {
      const src = (a * dim + i) * post;
      const dst = i * cols + a * post;
      for (let b = 0; b < post; b++) out[dst + b] = data[src + b];
    }
  }
  return { rows: dim, cols, data: out };
}

/** @internal x ×_n Mᵀ, i.e. out[…, j, …] = Σ_i M[i, j] x[…, i, …] for M of shape I_n × r. */
export function modeProductTransposed(data: Float64Array, shape: readonly number[], n: number, m: Matrix): { data: Float64Array; shape: number[] } {
  const dim = shape[n];
  const r = m.cols;
  let pre = 1;
  for (let k = 0; k < n; k++) pre *= shape[k];
  let post = 1;
  for (let k = n + 1; k < shape.length; k++) post *= shape[k];
  const out = new Float64Array(pre * r * post);
  for (let a = 0; a < pre; a++) {
    for (let i = 0; i < dim; i++) {
      const src = (a * dim + i) * post;
      for (let j = 0; j < r; j++) {
        const c = m.data[i * r + j];
        if (c === 0) continue;
        const dst = (a * r + j) * post;
        for (let b = 0; b < post; b++) out[dst + b] += c * data[src + b];
      }
    }
  }
  const s = [...shape];
  s[n] = r;
  return { data: out, shape: s };
}

/** @internal x ×_n M, for M of shape I_n × r applied to a tensor whose mode n has size r. */
function modeProduct(data: Float64Array, shape: readonly number[], n: number, m: Matrix): { data: Float64Array; shape: number[] } {
  const r = shape[n];
  const dim = m.rows;
  let pre = 1;
  for (let k = 0; k < n; k++) pre *= shape[k];
  let post = 1;
  for (let k = n + 1; k < shape.length; k++) post *= shape[k];
  const out = new Float64Array(pre * dim * post);
  for (let a = 0; a < pre; a++) {
    for (let j = 0; j < r; j++) {
      const src = (a * r + j) * post;
      for (let i = 0; i < dim; i++) {
        const c = m.data[i * r + j];
        if (c === 0) continue;
        const dst = (a * dim + i) * post;
        for (let b = 0; b < post; b++) out[dst + b] += c * data[src + b];
      }
    }
  }
  const s = [...shape];
  s[n] = dim;
  return { data: out, shape: s };
}

/**
 * Options of {@link multilinearRank} (the tolerance rules of `matrixRank`, applied to each
 * unfolding X_(n), an I_n × ∏_{m≠n} I_m matrix):
 *
 * | field | default | meaning |
 * |---|---|---|
 * | `tol` | — | absolute threshold on the singular values of every unfolding |
 * | `rtol` | max(I_n, ∏_{m≠n} I_m)·ε | relative to each unfolding's σ_max |
 * | `precision` | from the data | `'float32'` (tf.Tensor, Float32Array) or `'float64'` |
 */
export const multilinearRankOptions = z
  .strictObject({
    tol: schemas.nonNegative.optional(),
    rtol: schemas.nonNegative.optional(),
    precision: precisionSchema.optional(),
  })
  .refine((o) => o.tol === undefined || o.rtol === undefined, { message: 'give tol (absolute) or rtol (relative), not both', path: ['rtol'] });
/** Input type of {@link multilinearRankOptions}. */
export type MultilinearRankOptions = z.input<typeof multilinearRankOptions>;

/**
 * Options of {@link hosvd}: those of {@link multilinearRankOptions} (which set the truncation when
 * `ranks` is not given) plus `ranks` — the number of singular vectors to keep in each mode
 * (each ≤ min(I_n, ∏_{m≠n} I_m)). Default: the numerical multilinear rank.
 */
export const hosvdOptions = z
  .strictObject({
    ranks: z.array(schemas.nonNegativeInt).min(2).optional(),
    tol: schemas.nonNegative.optional(),
    rtol: schemas.nonNegative.optional(),
    precision: precisionSchema.optional(),
  })
  .refine((o) => o.tol === undefined || o.rtol === undefined, { message: 'give tol (absolute) or rtol (relative), not both', path: ['rtol'] });
/** Input type of {@link hosvdOptions}. */
export type HosvdOptions = z.input<typeof hosvdOptions>;

/** Result of {@link hosvd}: x ≈ core ×₁ U₁ ×₂ U₂ ⋯ with orthonormal U_n. */
export interface HosvdResult {
  /** The core tensor G = x ×₁ U₁ᵀ ×₂ U₂ᵀ ⋯, shape `ranks` (row-major, float64). */
  core: { data: Float64Array; shape: number[] };
  /** U_n: I_n × r_n, orthonormal columns (leading left singular vectors of X_(n)). */
  factors: Matrix[];
  /** All singular values of each unfolding X_(n), descending. */
  singularValues: Float64Array[];
  /** r_n kept in each mode. */
  ranks: number[];
  /** ‖x − core ×ₙ U_n‖_F / ‖x‖_F (0 for a zero tensor). */
  relError: number;
  /** Precision used for the default tolerance. */
  precision: Precision;
}

function checkTol(o: { tol?: number; rtol?: number }, rows: number, cols: number, s: Float64Array, precision: Precision): number {
  if (o.tol !== undefined) return o.tol;
  return (o.rtol ?? Math.max(rows, cols) * epsOf(precision)) * (s.length > 0 ? s[0] : 0);
}

function multilinearRankHost(h: HostArray, o: z.output<typeof multilinearRankOptions>): number[] {
  return h.shape.map((_, n) => {
    const u = unfoldHost(h.data, h.shape, n);
    const s = singularValuesOnly(u);
    return countAbove(s, checkTol(o, u.rows, u.cols, s, h.precision));
  });
}

function hosvdHost(h: HostArray, o: z.output<typeof hosvdOptions>): HosvdResult {
  const d = h.shape.length;
  if (o.ranks !== undefined && o.ranks.length !== d) {
    throw new LtrError('shape-mismatch', `options.ranks has ${o.ranks.length} entries but x has ${d} modes (shape [${h.shape.join(', ')}]).`, { path: 'options.ranks' });
  }
  const factors: Matrix[] = [];
  const sv: Float64Array[] = [];
  const ranks: number[] = [];
  for (let n = 0; n < d; n++) {
    const u = unfoldHost(h.data, h.shape, n);
    const f = svd(u);
    const maxR = Math.min(u.rows, u.cols);
    let r: number;
    if (o.ranks !== undefined) {
      r = o.ranks[n];
      if (r > maxR) {
        throw new LtrError('invalid-option', `options.ranks.${n} = ${r} exceeds the rank an unfolding of mode ${n} can have (min(I_${n}, ∏ other dims) = ${maxR}).`, { path: `options.ranks.${n}` });
      }
    } else {
      r = countAbove(f.s, checkTol(o, u.rows, u.cols, f.s, h.precision));
    }
    const k = f.u.cols;
    const keep = new Float64Array(u.rows * r);
    for (let i = 0; i < u.rows; i++) for (let j = 0; j < r; j++) keep[i * r + j] = f.u.data[i * k + j];
    factors.push({ rows: u.rows, cols: r, data: keep });
    sv.push(f.s);
    ranks.push(r);
  }
  let core = { data: h.data, shape: [...h.shape] };
  for (let n = 0; n < d; n++) core = modeProductTransposed(core.data, core.shape, n, factors[n]);
  let rec = { data: core.data, shape: core.shape };
  for (let n = 0; n < d; n++) rec = modeProduct(rec.data, rec.shape, n, factors[n]);
  let num = 0;
  let den = 0;
  for (let i = 0; i < h.data.length; i++) {
    num += (h.data[i] - rec.data[i]) ** 2;
    den += h.data[i] ** 2;
  }
  return { core, factors, singularValues: sv, ranks, relError: den === 0 ? 0 : Math.sqrt(num / den), precision: h.precision };
}

function dispatchTensor<R>(x: HostTensorLike | tf.Tensor, parse: () => { precision?: Precision }, f: (h: HostArray) => R): R | Promise<R> {
  if (x instanceof tf.Tensor) {
    return (async () => {
      await ready();
      const o = parse();
      return f(await tensorArray(x, 'x', null, o.precision));
    })();
  }
  const o = parse();
  return f(hostArray(x, 'x', null, o.precision));
}

/**
 * The multilinear (Tucker) rank of a tensor of order ≥ 2: for each mode n the numerical rank of
 * the unfolding X_(n), with the tolerance rule of `matrixRank` applied to each unfolding
 * (default σ_max · max(I_n, ∏_{m≠n} I_m) · ε, ε of the data's precision). Exact — unlike the CP
 * rank, the multilinear rank is a set of matrix ranks.
 *
 * Synchronous for host data (nested arrays, `{ data, shape }`); a Promise for a `tf.Tensor`.
 * @throws LtrError `invalid-option` naming the field, `invalid-data`, `shape-mismatch`.
 */
export function multilinearRank(x: tf.Tensor, options?: MultilinearRankOptions): Promise<number[]>;
export function multilinearRank(x: HostTensorLike, options?: MultilinearRankOptions): number[];
export function multilinearRank(x: HostTensorLike | tf.Tensor, options?: MultilinearRankOptions): number[] | Promise<number[]> {
  let o: z.output<typeof multilinearRankOptions> = {};
  return dispatchTensor(x, () => (o = parseOptions(multilinearRankOptions, options)), (h) => multilinearRankHost(h, o));
}

/**
 * Truncated higher-order SVD (De Lathauwer, De Moor & Vandewalle 2000) in float64 on the host:
 * U_n = leading r_n left singular vectors of the unfolding X_(n), core G = x ×₁ U₁ᵀ ⋯ ×_d U_dᵀ.
 * With the default truncation (the numerical multilinear rank) the reconstruction error is at
 * round-off level; with smaller `ranks` it is at most √d times the best Tucker approximation's.
 *
 * Synchronous for host data; a Promise for a `tf.Tensor`.
 * @throws LtrError `invalid-option` naming the field, `invalid-data`, `shape-mismatch`.
 */
export function hosvd(x: tf.Tensor, options?: HosvdOptions): Promise<HosvdResult>;
export function hosvd(x: HostTensorLike, options?: HosvdOptions): HosvdResult;
export function hosvd(x: HostTensorLike | tf.Tensor, options?: HosvdOptions): HosvdResult | Promise<HosvdResult> {
  let o: z.output<typeof hosvdOptions> = {};
  return dispatchTensor(x, () => (o = parseOptions(hosvdOptions, options)), (h) => hosvdHost(h, o));
}

// ---------------------------------------------------------------------------------------------

/**
 * Options of {@link cpRankProfile}:
 *
 * | field | default | meaning |
 * |---|---|---|
 * | `maxRank` | required | fit ranks 1 … maxRank (≤ the trivial bound ∏ dims / max dim) |
 * | `restarts` | 3 | random starts per rank |
 * | `seed` | 0 | seed of the starts (as `rankSweep`) |
 * | `maxIter` | 500 | CP-ALS iterations per start |
 * | `tol` | 1e-8 | CP-ALS stopping tolerance |
 * | `method` | `'als'` | `'als'`, `'nonneg'` or `'opt'` (see `rankSweep`) |
 */
export const cpRankProfileOptions = z.strictObject({
  maxRank: schemas.positiveInt,
  restarts: schemas.positiveInt.default(3),
  seed: schemas.seed.default(0),
  maxIter: schemas.positiveInt.default(500),
  tol: schemas.nonNegative.default(1e-8),
  method: z.enum(['als', 'nonneg', 'opt']).default('als'),
  /** Stops the sweep (within one ALS iteration) with `LtrError('aborted')`. */
  signal: schemas.signal.optional(),
});
/** Input type of {@link cpRankProfileOptions}. */
export type CpRankProfileOptions = z.input<typeof cpRankProfileOptions>;

/** One rank R of a {@link CpRankProfile}. */
export interface CpRankProfileEntry {
  rank: number;
  /** Best relative error ‖x − x̂‖/‖x‖ over the starts. */
  relError: number;
  /** 1 − relError² (uncentered: the share of ‖x‖² the best rank-R model explains). */
  explainedVariance: number;
  /** CORCONDIA of the best model (100 = a perfect superdiagonal core). */
  coreConsistency: number;
  /** Smallest factor match score of a start to the best start (1 with one start). */
  similarity: number;
  /** Every start's error, ascending, and its similarity to the best. */
  relErrors: number[];
  similarities: number[];
}

/** Result of {@link cpRankProfile}. */
export interface CpRankProfile {
  shape: number[];
  /** Ranks 1 … maxRank. */
  ranks: CpRankProfileEntry[];
  /**
   * The trivial upper bound on the CP rank: min over n of ∏_{m≠n} I_m (for I×J×K: min(IJ, IK, JK)),
   * since each slice along the largest mode is a sum of at most that many rank-one terms.
   */
  trivialUpperBound: number;
  /**
   * Rank estimates (CP rank is NP-hard to compute, and a rank-R fit that is not found by the
   * starts does not prove the rank is larger: these are estimates, not measurements).
   * - `byVariance(fraction = 0.999)`: the smallest R whose best model explains ≥ `fraction` of
   *   ‖x‖², or null if no R ≤ maxRank does.
   * - `byCoreConsistency(threshold = 90)`: the last R before CORCONDIA first falls below
   *   `threshold` (maxRank if it never does) — Bro & Kiers' rule: the largest rank whose model is
   *   still trilinear-consistent.
   */
  estimate: { byVariance(fraction?: number): number | null; byCoreConsistency(threshold?: number): number };
  /** What the estimates are and are not. */
  note: string;
  provenance: Provenance;
}

/** The trivial upper bound on the CP rank of a tensor of `shape`: ∏ dims / max dim (min(IJ, IK, JK) for three modes). */
export function trivialCpRankBound(shape: readonly number[]): number {
  const size = shape.reduce((a, b) => a * b, 1);
  return size / Math.max(...shape);
}

/**
 * A CP rank profile: for R = 1 … maxRank, CP-ALS from `restarts` random starts (via `rankSweep`),
 * and per rank the best relative error, the explained variance, CORCONDIA and the agreement of
 * the starts, with two rank estimates and the trivial upper bound min(IJ, IK, JK).
 *
 * CP rank is NP-hard in general (Håstad 1990; Hillar & Lim 2013) and a tensor's best rank-R
 * approximation may not exist (border rank): the profile gives estimates. On noise-free tensors
 * of planted rank R with generic factors both estimates return R.
 *
 * @example
 * ```ts
 * const p = await cpRankProfile(x, { maxRank: 6, restarts: 3, seed: 0 });
 * p.estimate.byVariance(0.999); p.estimate.byCoreConsistency(90);
 * ```
 * @throws LtrError `invalid-option` naming the field (`options.maxRank` above the trivial bound),
 * the decompositions' errors (`invalid-data` for an all-zero tensor).
 */
export async function cpRankProfile(x: TensorLike, options: CpRankProfileOptions): Promise<CpRankProfile> {
  await ready();
  const o = parseOptions(cpRankProfileOptions, options);
  const ranks = Array.from({ length: o.maxRank }, (_, i) => i + 1);
  let sweep;
  try {
    sweep = await rankSweep(x, { ranks, restarts: o.restarts, seed: o.seed, maxIter: o.maxIter, tol: o.tol, method: o.method, ...(o.signal !== undefined ? { signal: o.signal } : {}) });
  } catch (e) {
    if (e instanceof LtrError && e.path.startsWith('options.ranks.')) {
      throw new LtrError('invalid-option', `options.maxRank = ${o.maxRank} is too large: ${e.message}`, { path: 'options.maxRank', cause: e });
    }
    throw e;
  }
  const entries: CpRankProfileEntry[] = sweep.ranks.map((e) => ({
    rank: e.rank,
    relError: e.relErrors[0],
    explainedVariance: 1 - e.relErrors[0] ** 2,
    coreConsistency: e.coreConsistency,
    similarity: Math.min(...e.similarities),
    relErrors: e.relErrors,
    similarities: e.similarities,
  }));
  const shape = x instanceof tf.Tensor ? [...x.shape] : shapeOf(x);
  return {
    shape,
    ranks: entries,
    trivialUpperBound: trivialCpRankBound(shape),
    estimate: {
      byVariance(fraction = 0.999): number | null {
        const f = parseFraction(fraction, 'fraction');
        const hit = entries.find((e) => e.explainedVariance >= f);
        return hit === undefined ? null : hit.rank;
      },
      byCoreConsistency(threshold = 90): number {
        const t = z.number('must be a number').refine(Number.isFinite, 'must be finite').safeParse(threshold);
        if (!t.success) throw new LtrError('invalid-option', `threshold: ${t.error.issues[0].message} (a CORCONDIA level such as 90).`, { path: 'threshold' });
        const drop = entries.findIndex((e) => !(e.coreConsistency >= threshold));
        return drop < 0 ? entries.length : Math.max(drop, 1);
      },
    },
    note:
      'CP rank is NP-hard to compute; these are estimates from CP-ALS fits from random starts. byVariance gives the smallest rank whose best fit reaches the fraction; ' +
      'byCoreConsistency the last rank before CORCONDIA drops. The true rank is at most trivialUpperBound.',
    provenance: { ...sweep.provenance, options: { function: 'cpRankProfile', ...o } },
  };
}

function shapeOf(x: TensorLike): number[] {
  if (typeof x === 'object' && x !== null && 'shape' in x && !Array.isArray(x)) return [...(x as { shape: readonly number[] }).shape];
  const shape: number[] = [];
  for (let level: unknown = x; Array.isArray(level); level = level[0]) shape.push(level.length);
  return shape;
}
