/**
 * `WeightRecorder`: the recurrent weights of a cell over learning, one snapshot per update (or
 * every k-th), stored on the host — densely (updates × N × N) or, for large N, as the first matrix
 * plus one low-rank factorization per update ΔW = L Rᵀ (gradient updates of a recurrent matrix have
 * rank at most trials × time steps, far below N).
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { rng, type Rng } from '../backend/random';
import { ready } from '../backend/use';
import { matrix, qr, svd } from '../linalg/index';
import { LtrError } from '../validate/errors';
import { parseOptions, schemas } from '../validate/options';
import type { RnnCell } from '../rnn/cell';
import type { HostTensor } from './masks';

/** Default dense limit of {@link WeightRecorder.toHost}: 2²⁷ numbers (512 MiB of float32). */
export const DEFAULT_MAX_RECORD_ELEMENTS = 2 ** 27;

/**
 * Options of {@link WeightRecorder}.
 * - `every` (default 1): record every k-th call of {@link WeightRecorder.record} (calls 0, k, 2k, …).
 * - `storage` (default `'auto'`): `'dense'` keeps every N×N snapshot; `'low-rank'` keeps the first
 *   snapshot and each change ΔW (from the previous snapshot) as factors L Rᵀ found by a randomized
 *   range finder (sketch of width `maxRank` + 10, host QR and SVD in float64); `'auto'` is dense
 *   for N ≤ 256 and low-rank above.
 * - `maxRank` (default 64): the largest rank a stored change may have; a change that needs more
 *   (or whose sketch misses part of it) is stored densely for that snapshot.
 * - `tolerance` (default 2⁻²² ≈ 2.4e-7): a change is truncated to the smallest rank r with
 *   ‖ΔW − L Rᵀ‖_F ≤ tolerance · ‖W‖_F. Storing W_k in float32 rounds each entry by at most
 *   2⁻²⁴·|W_ij|, so W_k − W_{k−1} carries full-rank noise of norm ≤ 2⁻²⁴‖W‖_F; the default is four
 *   times that, so the noise is not mistaken for rank while every direction W can hold is kept.
 * - `trial`: for a low-tensor-rank cell, which of its K trials' W⁽ᵏ⁾ to record (required there).
 * - `maxElements` (default 2²⁷): limit of the dense outputs (`limit-exceeded` above).
 * - `seed` (default 0): the range finder's random sketches.
 */
export const weightRecorderOptions = z.strictObject({
  every: schemas.positiveInt.default(1),
  storage: z.enum(['auto', 'dense', 'low-rank']).default('auto'),
  maxRank: schemas.positiveInt.default(64),
  tolerance: schemas.positive.default(2 ** -22),
  trial: schemas.nonNegativeInt.optional(),
  maxElements: schemas.positiveInt.default(DEFAULT_MAX_RECORD_ELEMENTS),
  seed: schemas.seed.default(0),
});
/** Input of {@link weightRecorderOptions}. */
export type WeightRecorderOptions = z.input<typeof weightRecorderOptions>;

/** One stored change of W in low-rank form: ΔW = left · rightᵀ (N × rank each, row-major). */
export interface LowRankDelta {
  rank: number;
  left: Float32Array;
  right: Float32Array;
}

/** One stored change: low-rank factors, or the dense N×N difference when it was not low rank. */
export type StoredDelta = LowRankDelta | { rank: null; dense: Float32Array };

/** What {@link WeightRecorder.toHost} / {@link WeightRecorder.toTensor} return relative to. */
export type RelativeTo = 'none' | 'initial' | 'previous';

/**
 * Records a cell's recurrent matrix W over learning. Call {@link WeightRecorder.record} once
 * before training (the initial W) and after every update; `trainTask` does this for you.
 *
 * @example
 * ```ts
 * const rec = new WeightRecorder(cell);
 * await rec.record();                      // W₀
 * for (…) { update(); await rec.record(); }
 * const dw = rec.toTensor({ relativeTo: 'initial' });   // snapshots × N × N of W_k − W₀
 * ```
 */
export class WeightRecorder {
  /** Resolved options. */
  readonly options: Readonly<z.output<typeof weightRecorderOptions>>;
  /** N. */
  readonly size: number;
  /** Storage in use (`'auto'` resolved). */
  readonly storage: 'dense' | 'low-rank';
  private readonly cell: RnnCell;
  private calls = 0;
  private readonly dense: Float32Array[] = [];
  private initial: Float32Array | null = null;
  private readonly deltas: StoredDelta[] = [];
  private previous: tf.Tensor2D | null = null;
  private readonly updateIndex: number[] = [];
  private readonly sketchRng: Rng;
  private disposed = false;

  /**
   * @param cell - a FullRankCell, LowRankCell or LowTensorRankCell (with `options.trial`).
   * @throws LtrError `invalid-option` naming the field.
   */
  constructor(cell: RnnCell, options: WeightRecorderOptions = {}) {
    const o = parseOptions(weightRecorderOptions, options);
    if (cell === null || typeof cell !== 'object' || typeof (cell as RnnCell).weightsFor !== 'function' || typeof (cell as RnnCell).size !== 'number') {
      throw new LtrError('invalid-option', 'cell must be a FullRankCell, LowRankCell or LowTensorRankCell.', { path: 'cell' });
    }
    if (cell.isDisposed) throw new LtrError('invalid-data', 'cell has been disposed.', { path: 'cell' });
    const k = cell.trials;
    if (k !== null) {
      if (o.trial === undefined) throw new LtrError('invalid-option', `options.trial is required for a low-tensor-rank cell: which of its ${k} trials' W⁽ᵏ⁾ to record.`, { path: 'options.trial' });
      if (o.trial >= k) throw new LtrError('invalid-option', `options.trial = ${o.trial} is not a trial of the cell (0..${k - 1}).`, { path: 'options.trial' });
    } else if (o.trial !== undefined) {
      throw new LtrError('invalid-option', 'options.trial is only for a low-tensor-rank cell (the other cells have one W for all trials).', { path: 'options.trial' });
    }
    this.options = Object.freeze(o);
    this.cell = cell;
    this.size = cell.size;
    this.storage = o.storage === 'auto' ? (cell.size <= 256 ? 'dense' : 'low-rank') : o.storage;
    this.sketchRng = rng(o.seed);
  }

  /** Number of snapshots recorded. */
  get length(): number {
    return this.updateIndex.length;
  }

  /** For each snapshot, the number of {@link WeightRecorder.record} calls before it (its update count). */
  get updates(): number[] {
    return [...this.updateIndex];
  }

  /**
   * Counts one call and, on every `every`-th call (the first included), stores the cell's current
   * W. Returns whether it stored. Async: it reads W (dense) or two N × (maxRank + 10) sketches
   * and the residual (low-rank).
   */
  async record(): Promise<boolean> {
    await ready();
    this.assertLive();
    const call = this.calls++;
    if (call % this.options.every !== 0) return false;
    const w = tf.tidy(() => this.cell.weightsFor(this.options.trial));
    try {
      if (this.storage === 'dense') {
        this.dense.push(Float32Array.from(await w.data()));
      } else if (this.previous === null) {
        this.initial = Float32Array.from(await w.data());
        this.previous = tf.keep(tf.clone(w));
      } else {
        this.deltas.push(await this.lowRankDelta(w, this.previous));
        this.previous.dispose();
        this.previous = tf.keep(tf.clone(w));
      }
    } finally {
      w.dispose();
    }
    this.updateIndex.push(call);
    return true;
  }

  private async lowRankDelta(w: tf.Tensor2D, prev: tf.Tensor2D): Promise<StoredDelta> {
    const n = this.size;
    const p = Math.min(n, this.options.maxRank + 10);
    const omega = this.sketchRng.normalArray(n * p);
    const [y, norms] = tf.tidy(() => {
      const d = tf.sub(w, prev);
      const yy = tf.matMul(d, tf.tensor2d(Float32Array.from(omega), [n, p]));
      return [yy, tf.stack([tf.sum(tf.square(d)), tf.sum(tf.square(w))])];
    });
    const yHost = await y.data();
    const nHost = await norms.data();
    y.dispose();
    norms.dispose();
    const deltaNorm2 = nHost[0];
    const bound = this.options.tolerance * Math.sqrt(nHost[1]);
    if (deltaNorm2 === 0) return { rank: 0, left: new Float32Array(0), right: new Float32Array(0) };
    const q = qr(matrix(n, p, Float64Array.from(yHost))).q; // N × p, orthonormal columns
    const [z, res] = tf.tidy(() => {
      const qt = tf.tensor2d(Float32Array.from(q.data), [n, q.cols]);
      const d = tf.sub(w, prev);
      const zz = tf.matMul(qt, d, true, false); // p × N
      const r = tf.sub(d, tf.matMul(qt, zz));
      return [zz, tf.sum(tf.square(r))];
    });
    const zHost = await z.data();
    const res2 = (await res.data())[0];
    z.dispose();
    res.dispose();
    const f = svd(matrix(q.cols, n, Float64Array.from(zHost)));
    // Smallest rank whose truncation keeps the total residual within the bound.
    const s = f.s;
    let tail = 0;
    let r = s.length;
    while (r > 0 && res2 + tail + s[r - 1] * s[r - 1] <= bound * bound) {
      tail += s[r - 1] * s[r - 1];
      r--;
    }
    if (res2 > bound * bound || r > this.options.maxRank) {
      // Not low rank within maxRank (or the sketch missed part of it): keep this change densely.
      const dd = tf.tidy(() => tf.sub(w, prev));
      const dense = Float32Array.from(await dd.data());
      dd.dispose();
      return { rank: null, dense };
    }
    // ΔW ≈ (Q U_r S_r) V_rᵀ.
    const pc = q.cols;
    const left = new Float32Array(n * r);
    const right = new Float32Array(n * r);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < r; j++) {
        let acc = 0;
        for (let k = 0; k < pc; k++) acc += q.data[i * pc + k] * f.u.data[k * f.u.cols + j];
        left[i * r + j] = acc * s[j];
        right[i * r + j] = f.v.data[i * f.v.cols + j];
      }
    }
    return { rank: r, left, right };
  }

  /**
   * The stored changes (low-rank storage): for each snapshot after the first, ΔW from the previous
   * snapshot as `{ rank, left, right }` (ΔW = left · rightᵀ) or `{ rank: null, dense }`. Their
   * ranks are the measured ranks of the updates.
   * @throws LtrError `unsupported` with dense storage (use `toHost({ relativeTo: 'previous' })`).
   */
  lowRankDeltas(): { initial: Float32Array; deltas: StoredDelta[] } {
    this.assertLive();
    if (this.storage !== 'low-rank') throw new LtrError('unsupported', "lowRankDeltas: this recorder stores dense snapshots; use toHost({ relativeTo: 'previous' }) for the changes.", { path: 'storage' });
    if (this.initial === null) throw new LtrError('invalid-data', 'lowRankDeltas: nothing recorded yet.', { path: 'record' });
    return { initial: this.initial, deltas: [...this.deltas] };
  }

  /**
   * The recorded weights, snapshots × N × N on the host (row-major; W acting as y = W x):
   * `relativeTo: 'none'` (default) W_k; `'initial'` W_k − W₀; `'previous'` W_k − W_{k−1} (the first
   * slice is then 0). Low-rank storage is expanded.
   * @throws LtrError `limit-exceeded` above `maxElements`, `invalid-data` before any snapshot.
   */
  toHost(options: { relativeTo?: RelativeTo } = {}): HostTensor {
    this.assertLive();
    const rel = parseOptions(z.strictObject({ relativeTo: z.enum(['none', 'initial', 'previous']).default('none') }), options).relativeTo;
    const count = this.length;
    const n = this.size;
    if (count === 0) throw new LtrError('invalid-data', 'WeightRecorder: nothing recorded yet; call record() first.', { path: 'record' });
    const total = count * n * n;
    if (total > this.options.maxElements) {
      throw new LtrError('limit-exceeded', `WeightRecorder: ${count} snapshots × ${n} × ${n} = ${total} numbers exceed options.maxElements = ${this.options.maxElements}. Use lowRankDeltas(), record less often (options.every), or raise maxElements.`, { path: 'options.maxElements' });
    }
    const nn = n * n;
    const out = new Float32Array(total);
    // Work in float64 so that expanding low-rank changes does not add rounding.
    let cur = new Float64Array(nn);
    let prev = new Float64Array(nn);
    let first: Float64Array | null = null;
    for (let k = 0; k < count; k++) {
      if (this.storage === 'dense') {
        cur = Float64Array.from(this.dense[k]);
      } else if (k === 0) {
        cur = Float64Array.from(this.initial as Float32Array);
      } else {
        cur = Float64Array.from(prev);
        addDelta(cur, this.deltas[k - 1], n);
      }
      if (first === null) first = Float64Array.from(cur);
      const base = rel === 'none' ? null : rel === 'initial' ? first : k === 0 ? cur : prev;
      for (let i = 0; i < nn; i++) out[k * nn + i] = base === null ? cur[i] : cur[i] - base[i];
      prev = cur;
    }
    return { data: out, shape: [count, n, n] };
  }

  /** {@link WeightRecorder.toHost} as a new `tf.Tensor3D` the caller owns. */
  toTensor(options: { relativeTo?: RelativeTo } = {}): tf.Tensor3D {
    const h = this.toHost(options);
    return tf.tensor3d(h.data, h.shape as [number, number, number], 'float32');
  }

  /** Frees the device copy of the last W (low-rank storage) and the host snapshots. Safe to call twice. */
  dispose(): void {
    this.previous?.dispose();
    this.previous = null;
    this.dense.length = 0;
    this.deltas.length = 0;
    this.initial = null;
    this.disposed = true;
  }

  private assertLive(): void {
    if (this.disposed) throw new LtrError('invalid-data', 'WeightRecorder has been disposed.', { path: 'recorder' });
  }
}

function addDelta(w: Float64Array, d: StoredDelta, n: number): void {
  if (d.rank === null) {
    for (let i = 0; i < w.length; i++) w[i] += d.dense[i];
    return;
  }
  const r = d.rank;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let k = 0; k < r; k++) acc += d.left[i * r + k] * d.right[j * r + k];
      w[i * n + j] += acc;
    }
  }
}
