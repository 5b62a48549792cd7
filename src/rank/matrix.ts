/**
 * Measured ranks of matrices, from their singular values computed in float64 on the host: the
 * numerical rank (NumPy's `matrix_rank` rule by default) and four continuous measures of
 * dimensionality (effective rank, participation ratio, stable rank, rank for a variance fraction).
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ready } from '../backend/use';
import { singularValuesOnly } from '../linalg/svd';
import { LtrError } from '../validate/errors';
import { parseOptions, schemas } from '../validate/options';
import { asMatrix, epsOf, hostArray, precisionSchema, tensorArray, type HostArray, type MatrixLike, type Precision } from './input';

/**
 * Options of {@link singularValues} and of the continuous rank measures:
 * - `precision` (default: from the data) — only recorded for symmetry with {@link matrixRankOptions};
 *   the singular values are always computed in float64.
 */
export const singularValuesOptions = z.strictObject({ precision: precisionSchema.optional() });
/** Input type of {@link singularValuesOptions}. */
export type SingularValuesOptions = z.input<typeof singularValuesOptions>;

/**
 * Options of {@link matrixRank}:
 *
 * | field | default | meaning |
 * |---|---|---|
 * | `tol` | — | absolute threshold: singular values `> tol` count |
 * | `rtol` | max(M, N)·ε | relative threshold: singular values `> rtol · σ_max` count |
 * | `precision` | from the data | `'float32'` (ε = 2⁻²³) or `'float64'` (ε = 2⁻⁵²) for the default `rtol` |
 *
 * Give at most one of `tol` and `rtol`. The default is NumPy's `matrix_rank` rule
 * σ_max · max(M, N) · ε, with ε of the precision the values were stored in: `tf.Tensor` and
 * `Float32Array` data are float32 (round-off of a stored entry is up to 2⁻²⁴ of it, so a float32
 * matrix of true rank r carries noise singular values up to ≈ σ_max·max(M, N)·2⁻²⁴); a linalg
 * `Matrix`, nested arrays and `Float64Array`/`number[]` data are float64.
 */
export const matrixRankOptions = z
  .strictObject({
    tol: schemas.nonNegative.optional(),
    rtol: schemas.nonNegative.optional(),
    precision: precisionSchema.optional(),
  })
  .refine((o) => o.tol === undefined || o.rtol === undefined, { message: 'give tol (absolute) or rtol (relative), not both', path: ['rtol'] });
/** Input type of {@link matrixRankOptions}. */
export type MatrixRankOptions = z.input<typeof matrixRankOptions>;

/** The `fraction` argument of {@link rankForVariance}: in (0, 1], the share of Σσ² to keep. */
export const varianceFraction = z.number('must be a number').gt(0, 'must be in (0, 1]').max(1, 'must be in (0, 1]');

/** @internal Parses a variance fraction, naming `path` in the error. */
export function parseFraction(v: unknown, path: string): number {
  const r = varianceFraction.safeParse(v);
  if (!r.success) throw new LtrError('invalid-option', `${path}: ${r.error.issues[0].message} (received ${JSON.stringify(v) ?? String(v)}), e.g. 0.9 for 90 % of the sum of squares.`, { path });
  return r.data;
}

/**
 * The threshold that {@link matrixRank} compares singular values with: `tol` if given, else
 * `rtol · σ_max`, else σ_max · max(rows, cols) · ε(precision).
 *
 * @param s - singular values, descending (only `s[0]` is read).
 */
export function rankThreshold(s: ArrayLike<number>, rows: number, cols: number, options: MatrixRankOptions = {}): number {
  const o = parseOptions(matrixRankOptions, options);
  return threshold(s, rows, cols, o, o.precision ?? 'float64');
}

function threshold(s: ArrayLike<number>, rows: number, cols: number, o: { tol?: number; rtol?: number }, precision: Precision): number {
  const smax = s.length > 0 ? s[0] : 0;
  if (o.tol !== undefined) return o.tol;
  return (o.rtol ?? Math.max(rows, cols) * epsOf(precision)) * smax;
}

/** Number of `s` strictly above `thr` (s descending). */
export function countAbove(s: ArrayLike<number>, thr: number): number {
  let r = 0;
  while (r < s.length && s[r] > thr) r++;
  return r;
}

/**
 * Runs `f` on the host form of `m`: synchronously for host data, asynchronously (after reading the
 * tensor) for a tf.Tensor. Option errors surface the same way (thrown, or a rejected promise).
 */
function dispatch<R>(m: MatrixLike | tf.Tensor, name: string, parse: () => { precision?: Precision }, f: (h: HostArray) => R): R | Promise<R> {
  if (m instanceof tf.Tensor) {
    return (async () => {
      await ready();
      const o = parse();
      return f(await tensorArray(m, name, 2, o.precision));
    })();
  }
  const o = parse();
  return f(hostArray(m, name, 2, o.precision));
}

function svals(h: HostArray): Float64Array {
  return singularValuesOnly(asMatrix(h));
}

/**
 * The singular values of `m`, descending, computed in float64 on the host (Golub–Kahan SVD,
 * absolute accuracy ≈ 2⁻⁵²·σ_max). Length min(M, N).
 *
 * Synchronous for host data; returns a Promise when `m` is a `tf.Tensor` (it reads the values).
 * @throws LtrError `invalid-data` (NaN/Inf, ragged, empty), `shape-mismatch` (not 2-D).
 */
export function singularValues(m: tf.Tensor, options?: SingularValuesOptions): Promise<Float64Array>;
export function singularValues(m: MatrixLike, options?: SingularValuesOptions): Float64Array;
export function singularValues(m: MatrixLike | tf.Tensor, options?: SingularValuesOptions): Float64Array | Promise<Float64Array> {
  return dispatch(m, 'm', () => parseOptions(singularValuesOptions, options), svals);
}

/**
 * The numerical rank of `m`: the number of singular values above a threshold — by default NumPy's
 * `matrix_rank` rule σ_max · max(M, N) · ε with ε of the data's precision (see
 * {@link matrixRankOptions}). A zero matrix has rank 0.
 *
 * Synchronous for host data; returns a Promise when `m` is a `tf.Tensor`.
 *
 * @example
 * ```ts
 * matrixRank([[1, 2], [2, 4]]);                       // 1
 * await matrixRank(tf.tensor2d([[1, 0], [0, 1e-9]])); // 1: 1e-9 is below 2·2⁻²³ (float32 rule)
 * matrixRank([[1, 0], [0, 1e-9]]);                    // 2: far above 2·2⁻⁵² (float64 rule)
 * ```
 * @throws LtrError `invalid-option` naming the field, `invalid-data`, `shape-mismatch`.
 */
export function matrixRank(m: tf.Tensor, options?: MatrixRankOptions): Promise<number>;
export function matrixRank(m: MatrixLike, options?: MatrixRankOptions): number;
export function matrixRank(m: MatrixLike | tf.Tensor, options?: MatrixRankOptions): number | Promise<number> {
  let o: z.output<typeof matrixRankOptions> = {};
  return dispatch(
    m,
    'm',
    () => (o = parseOptions(matrixRankOptions, options)),
    (h) => {
      const s = svals(h);
      return countAbove(s, threshold(s, h.shape[0], h.shape[1], o, h.precision));
    },
  );
}

/** Effective rank from singular values: exp of the entropy of σ/Σσ (0 for a zero matrix). */
export function effectiveRankOf(s: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += s[i];
  if (sum === 0) return 0;
  let h = 0;
  for (let i = 0; i < s.length; i++) {
    const p = s[i] / sum;
    if (p > 0) h -= p * Math.log(p);
  }
  return Math.exp(h);
}

/** Participation ratio from singular values: (Σσ²)² / Σσ⁴ (0 for a zero matrix). */
export function participationRatioOf(s: ArrayLike<number>): number {
  // Scaled by σ_max so that σ⁴ cannot overflow or underflow.
  const smax = s.length > 0 ? s[0] : 0;
  if (smax === 0) return 0;
  let a = 0;
  let b = 0;
  for (let i = 0; i < s.length; i++) {
    const q = (s[i] / smax) ** 2;
    a += q;
    b += q * q;
  }
  return (a * a) / b;
}

/** Stable rank from singular values: Σσ² / σ_max² (0 for a zero matrix). */
export function stableRankOf(s: ArrayLike<number>): number {
  const smax = s.length > 0 ? s[0] : 0;
  if (smax === 0) return 0;
  let a = 0;
  for (let i = 0; i < s.length; i++) a += (s[i] / smax) ** 2;
  return a;
}

/** Smallest r with Σ_{i<r} σ_i² ≥ fraction · Σσ² (0 for a zero matrix). */
export function rankForVarianceOf(s: ArrayLike<number>, fraction: number): number {
  const smax = s.length > 0 ? s[0] : 0;
  if (smax === 0) return 0;
  let total = 0;
  for (let i = 0; i < s.length; i++) total += (s[i] / smax) ** 2;
  // A relative slack of a few ulps so that fraction = 1 is met by the full sum despite rounding.
  const goal = fraction * total * (1 - 4 * Number.EPSILON * s.length);
  let acc = 0;
  for (let r = 0; r < s.length; r++) {
    acc += (s[r] / smax) ** 2;
    if (acc >= goal) return r + 1;
  }
  return s.length;
}

/**
 * Effective rank of Roy & Vetterli (2007): exp(H(p)) with p_i = σ_i / Σ_j σ_j and H the Shannon
 * entropy (natural log). Between 1 (rank one) and min(M, N) (all σ equal); continuous in the
 * matrix, so small noise raises it only slightly. 0 for a zero matrix.
 * Synchronous for host data; a Promise for a `tf.Tensor`.
 */
export function effectiveRank(m: tf.Tensor, options?: SingularValuesOptions): Promise<number>;
export function effectiveRank(m: MatrixLike, options?: SingularValuesOptions): number;
export function effectiveRank(m: MatrixLike | tf.Tensor, options?: SingularValuesOptions): number | Promise<number> {
  return dispatch(m, 'm', () => parseOptions(singularValuesOptions, options), (h) => effectiveRankOf(svals(h)));
}

/**
 * Participation ratio (Σσ²)² / Σσ⁴ = (tr C)² / tr C² for C = mᵀm: between 1 and min(M, N). For
 * the dimensionality of neural activity pass the activity with each neuron's mean removed
 * (the ratio is then that of the covariance's eigenvalues); it is not centered here.
 * 0 for a zero matrix. Synchronous for host data; a Promise for a `tf.Tensor`.
 */
export function participationRatio(m: tf.Tensor, options?: SingularValuesOptions): Promise<number>;
export function participationRatio(m: MatrixLike, options?: SingularValuesOptions): number;
export function participationRatio(m: MatrixLike | tf.Tensor, options?: SingularValuesOptions): number | Promise<number> {
  return dispatch(m, 'm', () => parseOptions(singularValuesOptions, options), (h) => participationRatioOf(svals(h)));
}

/**
 * Stable rank ‖m‖_F² / ‖m‖₂² = Σσ² / σ_max²: between 1 and the rank, insensitive to tiny singular
 * values. 0 for a zero matrix. Synchronous for host data; a Promise for a `tf.Tensor`.
 */
export function stableRank(m: tf.Tensor, options?: SingularValuesOptions): Promise<number>;
export function stableRank(m: MatrixLike, options?: SingularValuesOptions): number;
export function stableRank(m: MatrixLike | tf.Tensor, options?: SingularValuesOptions): number | Promise<number> {
  return dispatch(m, 'm', () => parseOptions(singularValuesOptions, options), (h) => stableRankOf(svals(h)));
}

/**
 * The smallest r whose r leading singular directions hold at least `fraction` of ‖m‖_F² (Σσ²):
 * the rank of the best approximation that explains that fraction of the sum of squares
 * (Eckart–Young). `fraction` in (0, 1]; 0 for a zero matrix.
 * Synchronous for host data; a Promise for a `tf.Tensor`.
 * @throws LtrError `invalid-option` (`fraction`), `invalid-data`, `shape-mismatch`.
 */
export function rankForVariance(m: tf.Tensor, fraction: number): Promise<number>;
export function rankForVariance(m: MatrixLike, fraction: number): number;
export function rankForVariance(m: MatrixLike | tf.Tensor, fraction: number): number | Promise<number> {
  let f = 1;
  return dispatch(
    m,
    'm',
    () => {
      f = parseFraction(fraction, 'fraction');
      return {};
    },
    (h) => rankForVarianceOf(svals(h), f),
  );
}
