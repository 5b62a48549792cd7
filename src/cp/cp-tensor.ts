/**
 * `CPTensor`: a tensor in CP (CANDECOMP/PARAFAC, Kruskal) form, Σ_r λ_r f⁽⁰⁾_r ∘ f⁽¹⁾_r ∘ …,
 * held as weights λ (length R) and one factor matrix per mode (I_n × R). Norms, inner products
 * and errors are computed from Gram matrices and MTTKRPs, never from the dense tensor.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ready } from '../backend/use';
import type { Matrix } from '../linalg/matrix';
import { LtrError } from '../validate/errors';
import { toTensor, type TensorLike } from '../validate/tensor';
import { cpToTensor, mttkrp } from './algebra';

/** The versioned JSON form of a {@link CPTensor} (see {@link CPTensor.toJSON}). */
export interface CPTensorJSON {
  format: 'ltr-rnn/cp-tensor';
  version: 1;
  shape: number[];
  rank: number;
  weights: number[];
  /** One matrix per mode as rows: `factors[n][i][r]`. */
  factors: number[][][];
}

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

/** zod schema of {@link CPTensorJSON}, including the consistency of shape, rank and arrays. */
export const cpTensorJSONSchema = z
  .strictObject({
    format: z.literal('ltr-rnn/cp-tensor'),
    version: z.literal(1),
    shape: z.array(z.number().int().positive()).min(2, 'a CP tensor has at least 2 modes'),
    rank: z.number().int().positive(),
    weights: z.array(finite),
    factors: z.array(z.array(z.array(finite))),
  })
  .superRefine((j, ctx) => {
    if (j.weights.length !== j.rank) ctx.addIssue({ code: 'custom', path: ['weights'], message: `must have length rank = ${j.rank}, got ${j.weights.length}` });
    if (j.factors.length !== j.shape.length) {
      ctx.addIssue({ code: 'custom', path: ['factors'], message: `must hold one matrix per mode (${j.shape.length}), got ${j.factors.length}` });
      return;
    }
    j.factors.forEach((f, n) => {
      if (f.length !== j.shape[n]) ctx.addIssue({ code: 'custom', path: ['factors', n], message: `must have shape[${n}] = ${j.shape[n]} rows, got ${f.length}` });
      f.forEach((row, i) => {
        if (row.length !== j.rank) ctx.addIssue({ code: 'custom', path: ['factors', n, i], message: `must have rank = ${j.rank} entries, got ${row.length}` });
      });
    });
  });

/** Host (float64) copy of a CP tensor: what diagnostics work on. */
export interface CPTensorHost {
  weights: Float64Array;
  /** One row-major `I_n × R` matrix per mode. */
  factors: Matrix[];
}

function hostMatrix(rows: number, cols: number, data: Float64Array): Matrix {
  return { rows, cols, data };
}

/**
 * A tensor in CP form: weights λ (`tf.Tensor1D`, length R) and factors (`tf.Tensor2D`, `I_n × R`
 * each, at least 2 modes). The instance owns its tensors: call {@link CPTensor.dispose} when done.
 * Methods that return a CPTensor return a NEW one (the original is untouched and still owned by
 * the caller).
 *
 * @example
 * ```ts
 * const cp = CPTensor.fromArrays([2, 1], [[[1, 0], [0, 1]], [[1, 1], [0, 1]], [[1, 0], [1, 1]]]);
 * console.log(cp.shape, cp.rank, await cp.norm());
 * cp.dispose();
 * ```
 */
export class CPTensor {
  /** λ, length R. */
  readonly weights: tf.Tensor1D;
  /** One `I_n × R` matrix per mode. */
  readonly factors: readonly tf.Tensor2D[];

  /**
   * Takes ownership of `weights` and `factors` (does not copy them).
   * @throws LtrError `shape-mismatch` if they are not 1-D / 2-D with R columns, or fewer than 2 modes.
   */
  constructor(weights: tf.Tensor1D, factors: tf.Tensor2D[]) {
    if (!(weights instanceof tf.Tensor) || weights.rank !== 1) {
      throw new LtrError('shape-mismatch', `CPTensor: weights must be a 1-D tf.Tensor (length R).`, { path: 'weights' });
    }
    if (!Array.isArray(factors) || factors.length < 2) {
      throw new LtrError('shape-mismatch', `CPTensor: factors must be an array of at least 2 matrices (one per mode), got ${Array.isArray(factors) ? factors.length : typeof factors}.`, { path: 'factors' });
    }
    const r = weights.shape[0];
    if (r < 1) throw new LtrError('shape-mismatch', 'CPTensor: rank must be ≥ 1 (weights is empty).', { path: 'weights' });
    factors.forEach((f, i) => {
      if (!(f instanceof tf.Tensor) || f.rank !== 2 || f.shape[1] !== r || f.shape[0] < 1) {
        const got = f instanceof tf.Tensor ? `[${f.shape.join(', ')}]` : typeof f;
        throw new LtrError('shape-mismatch', `CPTensor: factors[${i}] must be a matrix of shape [I_${i} ≥ 1, ${r}] (R = weights length), got ${got}.`, { path: `factors[${i}]` });
      }
    });
    this.weights = weights;
    this.factors = Object.freeze([...factors]);
  }

  /**
   * Builds a CPTensor from host data: `weights` (length R) and per mode either rows
   * (`number[][]`, `I_n × R`) or a linalg `Matrix`.
   * @throws LtrError `shape-mismatch` / `invalid-data` on inconsistent sizes or non-finite values.
   */
  static fromArrays(weights: ArrayLike<number>, factors: readonly (readonly ArrayLike<number>[] | Matrix)[]): CPTensor {
    const r = weights?.length ?? 0;
    if (!Array.isArray(factors)) throw new LtrError('invalid-data', 'CPTensor.fromArrays: factors must be an array (one matrix per mode).', { path: 'factors' });
    const data: { rows: number; values: Float32Array }[] = factors.map((f, n) => {
      if (isMatrix(f)) {
        if (f.cols !== r) throw new LtrError('shape-mismatch', `CPTensor.fromArrays: factors[${n}] has ${f.cols} columns but weights has length ${r}.`, { path: `factors[${n}]` });
        return { rows: f.rows, values: checkedF32(f.data, `factors[${n}]`) };
      }
      if (!Array.isArray(f)) throw new LtrError('invalid-data', `CPTensor.fromArrays: factors[${n}] must be rows (number[][]) or a Matrix.`, { path: `factors[${n}]` });
      const values = new Float32Array(f.length * r);
      f.forEach((row: ArrayLike<number>, i: number) => {
        if (row?.length !== r) throw new LtrError('shape-mismatch', `CPTensor.fromArrays: factors[${n}][${i}] has ${row?.length} entries but weights has length ${r}.`, { path: `factors[${n}][${i}]` });
        for (let j = 0; j < r; j++) values[i * r + j] = row[j];
      });
      return { rows: f.length, values: checkedF32(values, `factors[${n}]`, f) };
    });
    const w = checkedF32(Float32Array.from(weights ?? []), 'weights', weights);
    const wt = tf.tensor1d(w);
    const fs = data.map((d) => tf.tensor2d(d.values, [d.rows, r]));
    try {
      return new CPTensor(wt, fs);
    } catch (e) {
      wt.dispose();
      fs.forEach((f) => f.dispose());
      throw e;
    }
  }

  /**
   * Parses {@link CPTensorJSON} (e.g. from `JSON.parse`), validating format, version and sizes.
   * @throws LtrError `invalid-data` naming the bad field (`json.factors.1.3`).
   */
  static fromJSON(json: unknown): CPTensor {
    const r = cpTensorJSONSchema.safeParse(json);
    if (!r.success) {
      const issue = r.error.issues[0];
      const path = ['json', ...issue.path.map(String)].join('.');
      throw new LtrError('invalid-data', `CPTensor.fromJSON: ${path}: ${issue.message}. Expected the output of CPTensor.toJSON() ({ format: 'ltr-rnn/cp-tensor', version: 1, shape, rank, weights, factors }).`, { path });
    }
    return CPTensor.fromArrays(r.data.weights, r.data.factors);
  }

  /** Number of components R. */
  get rank(): number {
    return this.weights.shape[0];
  }

  /** Shape of the tensor it represents, `[I_0, I_1, …]`. */
  get shape(): number[] {
    return this.factors.map((f) => f.shape[0]);
  }

  /** Number of modes. */
  get order(): number {
    return this.factors.length;
  }

  /** True once {@link dispose} was called. */
  get isDisposed(): boolean {
    return this.weights.isDisposed;
  }

  private assertLive(): void {
    if (this.weights.isDisposed || this.factors.some((f) => f.isDisposed)) {
      throw new LtrError('invalid-data', 'This CPTensor has been disposed.', { path: 'cp' });
    }
  }

  /** The dense tensor (for tests, small data and export; the caller owns it). */
  full(): tf.Tensor {
    this.assertLive();
    return cpToTensor(this.weights, this.factors);
  }

  /** Float64 host copies of weights and factors (row-major `I_n × R` matrices). */
  async toHost(): Promise<CPTensorHost> {
    await ready();
    this.assertLive();
    const r = this.rank;
    const [w, ...fs] = await Promise.all([this.weights.data(), ...this.factors.map((f) => f.data())]);
    return {
      weights: Float64Array.from(w as Float32Array),
      factors: fs.map((d, n) => hostMatrix(this.factors[n].shape[0], r, Float64Array.from(d as Float32Array))),
    };
  }

  /** ‖cp‖_F, from λᵀ (⊛_n F_nᵀF_n) λ computed in float64 on the host. */
  async norm(): Promise<number> {
    const h = await this.toHost();
    return Math.sqrt(Math.max(0, normSquaredHost(h.weights, h.factors)));
  }

  /**
   * ⟨x, cp⟩ = Σ_i x_i cp_i for a dense `x` of this shape, via one MTTKRP (no dense cp):
   * Σ_r λ_r Σ_i M_ir F⁽ᵐ⁾_ir with M = mttkrp(x, F, m), summed in float64 on the host.
   */
  async innerProduct(x: TensorLike): Promise<number> {
    await ready();
    this.assertLive();
    const xt = await toTensor(x, { name: 'x', shape: this.shape });
    try {
      return await innerProductTensor(xt, this);
    } finally {
      xt.dispose();
    }
  }

  /**
   * ‖x − cp‖ / ‖x‖ for a dense `x` of this shape, from ‖x‖², ⟨x, cp⟩ and ‖cp‖² (float64 on the
   * host; tiny negative round-off clamped to 0). In float32 that formula cannot resolve errors
   * below ~1e-3 (cancellation), so when it gives less than 1e-2 the error is recomputed from the
   * residual x − cp, built slice by slice along mode 0 so that no more than ~4M entries of the
   * dense cp exist at once.
   */
  async relativeError(x: TensorLike): Promise<number> {
    await ready();
    this.assertLive();
    const xt = await toTensor(x, { name: 'x', shape: this.shape });
    try {
      return await relativeErrorTensor(xt, this);
    } finally {
      xt.dispose();
    }
  }

  /**
   * A new CPTensor with unit-norm factor columns, the norms multiplied into λ. Sign convention:
   * in every mode but the first, each column's entry of largest magnitude is made positive
   * (the first such entry on ties); the sign flips are moved into the first mode's column, so the
   * represented tensor is unchanged. λ may come out negative only if it was negative before.
   * A zero column keeps its (zero) entries and gets weight 0.
   */
  normalize(): CPTensor {
    this.assertLive();
    const r = this.rank;
    const order = this.order;
    return tidyCP(() => {
      const norms = this.factors.map((f) => tf.norm(f, 'euclidean', 0)); // [R] each
      let lambda: tf.Tensor = this.weights;
      for (const nrm of norms) lambda = tf.mul(lambda, nrm);
      const unit = this.factors.map((f, n) => tf.div(f, tf.reshape(tf.where(tf.greater(norms[n], 0), norms[n], tf.onesLike(norms[n])), [1, r])));
      // Sign of each column's largest-magnitude entry in modes 1..N-1.
      let flip: tf.Tensor = tf.ones([r]);
      const out: tf.Tensor2D[] = [];
      for (let n = order - 1; n >= 1; n--) {
        const f = unit[n];
        const idx = tf.argMax(tf.abs(f), 0); // [R]
        const picked = tf.sum(tf.mul(f, tf.transpose(tf.oneHot(idx, f.shape[0]))), 0); // [R]
        const s = tf.where(tf.less(picked, 0), tf.fill([r], -1), tf.ones([r]));
        flip = tf.mul(flip, s);
        out[n] = tf.mul(f, tf.reshape(s, [1, r])) as tf.Tensor2D;
      }
      out[0] = tf.mul(unit[0], tf.reshape(flip, [1, r])) as tf.Tensor2D;
      return { w: tf.reshape(lambda, [r]), f: out };
    });
  }

  /** A new CPTensor, normalized ({@link normalize}) with components sorted by descending λ. */
  arrange(): CPTensor {
    this.assertLive();
    const normalized = this.normalize();
    // Sorting needs the values: done on the backend with topk, sync-free.
    const out = tidyCP(() => {
      const { indices } = tf.topk(normalized.weights, this.rank, true);
      return { w: tf.gather(normalized.weights, indices), f: normalized.factors.map((f) => tf.gather(f, indices, 1)) };
    });
    normalized.dispose();
    return out;
  }

  /**
   * A new CPTensor whose component k is this tensor's component `order[k]` (reorders the
   * components, not the modes). `order` must be a permutation of 0..R−1.
   */
  permute(order: readonly number[]): CPTensor {
    this.assertLive();
    const r = this.rank;
    const ok = Array.isArray(order) && order.length === r && order.every((v) => Number.isInteger(v) && v >= 0 && v < r) && new Set(order).size === r;
    if (!ok) throw new LtrError('invalid-option', `permute: order must be a permutation of 0..${r - 1}, got [${String(order)}].`, { path: 'order' });
    return tidyCP(() => {
      const idx = tf.tensor1d(Int32Array.from(order), 'int32');
      return { w: tf.gather(this.weights, idx), f: this.factors.map((f) => tf.gather(f, idx, 1)) };
    });
  }

  /**
   * A new CPTensor restricted to rows `index` of mode `mode`'s factor (a sub-tensor). A single
   * index keeps the mode, with size 1.
   */
  slice(mode: number, index: number | readonly number[]): CPTensor {
    this.assertLive();
    if (!Number.isInteger(mode) || mode < 0 || mode >= this.order) {
      throw new LtrError('invalid-option', `slice: mode must be an integer in [0, ${this.order - 1}], got ${mode}.`, { path: 'mode' });
    }
    const size = this.factors[mode].shape[0];
    const idx = typeof index === 'number' ? [index] : index;
    if (!Array.isArray(idx) || idx.length === 0 || !idx.every((i) => Number.isInteger(i) && i >= 0 && i < size)) {
      throw new LtrError('invalid-option', `slice: index must be an integer or a non-empty array of integers in [0, ${size - 1}] (size of mode ${mode}), got ${JSON.stringify(index)}.`, { path: 'index' });
    }
    return tidyCP(() => {
      const it = tf.tensor1d(Int32Array.from(idx), 'int32');
      return { w: tf.clone(this.weights), f: this.factors.map((f, n) => (n === mode ? tf.gather(f, it, 0) : tf.clone(f))) };
    });
  }

  /** An independent copy (shares storage with this one until either is disposed; tfjs refcounts). */
  clone(): CPTensor {
    this.assertLive();
    return new CPTensor(tf.clone(this.weights), this.factors.map((f) => tf.clone(f)));
  }

  /** Releases the tensors. Safe to call twice. */
  dispose(): void {
    if (!this.weights.isDisposed) this.weights.dispose();
    for (const f of this.factors) if (!f.isDisposed) f.dispose();
  }

  /** The versioned JSON form ({@link CPTensorJSON}); async because it reads the tensors. */
  async toJSON(): Promise<CPTensorJSON> {
    const h = await this.toHost();
    const r = this.rank;
    return {
      format: 'ltr-rnn/cp-tensor',
      version: 1,
      shape: this.shape,
      rank: r,
      weights: Array.from(h.weights),
      factors: h.factors.map((m) => {
        const rows: number[][] = [];
        for (let i = 0; i < m.rows; i++) rows.push(Array.from(m.data.subarray(i * r, (i + 1) * r)));
        return rows;
      }),
    };
  }
}

/** Runs `fn` in a `tf.tidy` and builds a CPTensor from the weights and factors it returns. */
function tidyCP(fn: () => { w: tf.Tensor; f: tf.Tensor[] }): CPTensor {
  const list = tf.tidy(() => {
    const { w, f } = fn();
    return [w, ...f];
  });
  return new CPTensor(list[0] as tf.Tensor1D, list.slice(1) as tf.Tensor2D[]);
}

function isMatrix(f: unknown): f is Matrix {
  return typeof f === 'object' && f !== null && !Array.isArray(f) && 'rows' in f && 'cols' in f && 'data' in f;
}

function checkedF32(values: ArrayLike<number>, name: string, original?: unknown): Float32Array {
  const src = original !== undefined && !Array.isArray(original) ? (original as ArrayLike<number>) : values;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]) || (src !== values && typeof src[i] === 'number' && !Number.isFinite(src[i]))) {
      throw new LtrError('invalid-data', `CPTensor.fromArrays: ${name} has a non-finite value at flat index ${i}.`, { path: name });
    }
  }
  return values instanceof Float32Array ? values : Float32Array.from(values);
}

/** ‖cp‖² = λᵀ (⊛_n F_nᵀF_n) λ from host factors, float64. */
export function normSquaredHost(weights: ArrayLike<number>, factors: readonly Matrix[]): number {
  const r = weights.length;
  const v = new Float64Array(r * r).fill(1);
  for (const f of factors) {
    const g = gramHost(f);
    for (let k = 0; k < r * r; k++) v[k] *= g[k];
  }
  let s = 0;
  for (let a = 0; a < r; a++) for (let b = 0; b < r; b++) s += weights[a] * v[a * r + b] * weights[b];
  return s;
}

/** FᵀF (R×R, row-major) of a host matrix, float64. */
export function gramHost(f: Matrix): Float64Array {
  const r = f.cols;
  const g = new Float64Array(r * r);
  const d = f.data;
  for (let i = 0; i < f.rows; i++) {
    const o = i * r;
    for (let a = 0; a < r; a++) {
      const fa = d[o + a];
      if (fa === 0) continue;
      for (let b = a; b < r; b++) g[a * r + b] += fa * d[o + b];
    }
  }
  for (let a = 0; a < r; a++) for (let b = 0; b < a; b++) g[a * r + b] = g[b * r + a];
  return g;
}

/** Σ x², summed on the backend along the last axis and then in float64 on the host. */
export async function sumSquares(x: tf.Tensor): Promise<number> {
  const last = x.shape[x.rank - 1] ?? 1;
  const partial = tf.tidy(() => tf.sum(tf.reshape(tf.square(x), [-1, last]), 1));
  try {
    const d = await partial.data();
    let s = 0;
    for (let i = 0; i < d.length; i++) s += d[i];
    return s;
  } finally {
    partial.dispose();
  }
}

/** ⟨x, cp⟩ for a float32 tensor `x` of cp's shape (no checks). */
export async function innerProductTensor(x: tf.Tensor, cp: CPTensor): Promise<number> {
  const mode = 0;
  const m = mttkrp(x, cp.factors, mode);
  try {
    const [md, fd, wd] = await Promise.all([m.data(), cp.factors[mode].data(), cp.weights.data()]);
    const r = cp.rank;
    const perComp = new Float64Array(r);
    for (let i = 0; i < md.length; i++) perComp[i % r] += md[i] * fd[i];
    let s = 0;
    for (let k = 0; k < r; k++) s += wd[k] * perComp[k];
    return s;
  } finally {
    m.dispose();
  }
}

/** Below this, the Gram formula's float32 cancellation dominates: use the residual. */
export const RESIDUAL_THRESHOLD = 1e-2;
const SLICE_ENTRIES = 1 << 22;

/** ‖x − cp‖² computed from the residual, slice by slice along mode 0 (float64 host sum). */
export async function residualSquares(x: tf.Tensor, cp: CPTensor, mask?: tf.Tensor): Promise<number> {
  const shape = x.shape;
  const rowSize = x.size / shape[0];
  const rowsPer = Math.max(1, Math.floor(SLICE_ENTRIES / rowSize));
  let total = 0;
  for (let start = 0; start < shape[0]; start += rowsPer) {
    const n = Math.min(rowsPer, shape[0] - start);
    const part = tf.tidy(() => {
      const f0 = n === shape[0] ? cp.factors[0] : tf.slice(cp.factors[0], [start, 0], [n, -1]);
      const model = cpToTensor(cp.weights, [f0 as tf.Tensor2D, ...cp.factors.slice(1)]);
      const xs = n === shape[0] ? x : tf.slice(x, [start, ...shape.slice(1).map(() => 0)], [n, ...shape.slice(1)]);
      let d = tf.sub(xs, model);
      if (mask) d = tf.mul(d, n === shape[0] ? mask : tf.slice(mask, [start, ...shape.slice(1).map(() => 0)], [n, ...shape.slice(1)]));
      return tf.sum(tf.reshape(tf.square(d), [-1, shape[shape.length - 1]]), 1);
    });
    const d = await part.data();
    part.dispose();
    for (let i = 0; i < d.length; i++) total += d[i];
  }
  return total;
}

/** Relative error of cp against a float32 tensor `x` of its shape (no checks). See {@link CPTensor.relativeError}. */
export async function relativeErrorTensor(x: tf.Tensor, cp: CPTensor): Promise<number> {
  const xx = await sumSquares(x);
  if (xx === 0) throw new LtrError('invalid-data', 'x is all zero, so its relative error is undefined.', { path: 'x' });
  const xm = await innerProductTensor(x, cp);
  const h = await cp.toHost();
  const mm = normSquaredHost(h.weights, h.factors);
  const rel = Math.sqrt(Math.max(0, xx - 2 * xm + mm) / xx);
  if (rel >= RESIDUAL_THRESHOLD) return rel;
  return Math.sqrt(Math.max(0, await residualSquares(x, cp)) / xx);
}
