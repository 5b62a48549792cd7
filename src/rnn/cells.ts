/**
 * The three cells: full rank, low matrix rank, low tensor rank over trials.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { LtrError } from '../validate/errors';
import { parseOptions, schemas } from '../validate/options';
import {
  RnnCell,
  cellBaseShape,
  checkDenseSize,
  checkTimeStep,
  oneHot,
  parseCellJSON,
  type CellFromJSONOptions,
  type CellSaved,
  type DriveMode,
  type RecurrentDrive,
  type TrialSelection,
} from './cell';

function checkRankVsSize(o: { rank: number; size: number }, ctx: z.RefinementCtx): void {
  if (o.rank > o.size) {
    ctx.addIssue({ code: 'custom', path: ['rank'], message: `rank ${o.rank} is larger than the number of units N = ${o.size}; a rank-R factorization of an N×N matrix needs R ≤ N` });
  }
}

// ---------------------------------------------------------------------------------------------
/**
 * Options of {@link FullRankCell}: the common ones ({@link cellBaseShape}) plus `gain` g
 * (default 1): W ~ N(0, g²/N) entrywise (spectral radius ≈ g).
 */
export const fullRankCellOptions = z.strictObject({ ...cellBaseShape, gain: schemas.nonNegative.default(1) }).superRefine(checkTimeStep);
/** Input type of {@link fullRankCellOptions}. */
export type FullRankCellOptions = z.input<typeof fullRankCellOptions>;

/**
 * A rate network with an unconstrained recurrent matrix W ∈ ℝ^{N×N} (parameter `recurrent`),
 * the same for every trial.
 *
 * @example
 * ```ts
 * const cell = new FullRankCell({ size: 50, inputSize: 2, outputSize: 1, seed: 1 });
 * ```
 */
export class FullRankCell extends RnnCell {
  /** `'full-rank'`. */
  readonly kind = 'full-rank' as const;
  private readonly gain: number;

  /**
   * @param options - {@link fullRankCellOptions}.
   * @param saved - internal: values from JSON (use {@link FullRankCell.fromJSON}).
   * @throws LtrError `invalid-option` naming the field.
   */
  constructor(options: FullRankCellOptions, saved?: CellSaved) {
    const o = parseOptions(fullRankCellOptions, options, 'options');
    super(o, saved, (store, r) => {
      store.add('recurrent', [o.size, o.size], true, () => r.normalArray(o.size * o.size, 0, o.gain / Math.sqrt(o.size)));
    });
    this.gain = o.gain;
  }

  /** Rebuilds a cell from {@link RnnCell.toJSON} output. @throws LtrError `invalid-data` naming the field. */
  static fromJSON(json: unknown, options?: CellFromJSONOptions): FullRankCell {
    const p = parseCellJSON(json, 'full-rank', options, 'FullRankCell.fromJSON');
    return new FullRankCell(p.options as FullRankCellOptions, p.saved);
  }

  /** W (N×N), a copy in the caller's tape (the argument is ignored: W is shared by all trials). */
  weightsFor(_trial?: number): tf.Tensor2D {
    this.assertLive();
    return tf.clone(this.store.get('recurrent') as tf.Tensor2D);
  }

  /** @internal */
  protected ownOptions(): Record<string, unknown> {
    return { gain: this.gain };
  }

  /** @internal */
  recurrentDrive(_sel: TrialSelection, mode: DriveMode, maxDenseElements: number, scale = 1): RecurrentDrive {
    if (mode === 'dense') checkDenseSize(this.size * this.size, maxDenseElements, 'W (N×N)');
    const w = this.store.get('recurrent') as tf.Tensor2D;
    const ws = scale === 1 ? w : (tf.mul(w, scale) as tf.Tensor2D);
    return (r) => tf.matMul(r, ws, false, true);
  }
}

// ---------------------------------------------------------------------------------------------
/**
 * Options of {@link LowRankCell}: the common ones plus `rank` R (required, 1 ≤ R ≤ N) and
 * `scale` (default N): W = M Nᵀ / scale with M, N ∈ ℝ^{N×R} initialized N(0, 1).
 */
export const lowRankCellOptions = z
  .strictObject({ ...cellBaseShape, rank: schemas.positiveInt, scale: schemas.positive.optional() })
  .superRefine(checkTimeStep)
  .superRefine(checkRankVsSize);
/** Input type of {@link lowRankCellOptions}. */
export type LowRankCellOptions = z.input<typeof lowRankCellOptions>;

/**
 * A rate network whose recurrent matrix has matrix rank R: W = M Nᵀ / scale (parameters `left`
 * = M and `right` = N, both N×R; Mastrogiuseppe & Ostojic 2018, Dubreuil, Valente et al. 2022).
 * The drive M (Nᵀ φ(x)) / scale costs O(N·R) per trial and step; W is never formed.
 */
export class LowRankCell extends RnnCell {
  /** `'low-rank'`. */
  readonly kind = 'low-rank' as const;
  private readonly r: number;
  /** The divisor of M Nᵀ. */
  readonly scale: number;

  /**
   * @param options - {@link lowRankCellOptions}.
   * @param saved - internal: values from JSON (use {@link LowRankCell.fromJSON}).
   * @throws LtrError `invalid-option` naming the field (e.g. `options.rank` when R > N).
   */
  constructor(options: LowRankCellOptions, saved?: CellSaved) {
    const o = parseOptions(lowRankCellOptions, options, 'options');
    super(o, saved, (store, r) => {
      store.add('left', [o.size, o.rank], true, () => r.normalArray(o.size * o.rank));
      store.add('right', [o.size, o.rank], true, () => r.normalArray(o.size * o.rank));
    });
    this.r = o.rank;
    this.scale = o.scale ?? o.size;
  }

  /** Rebuilds a cell from {@link RnnCell.toJSON} output. @throws LtrError `invalid-data` naming the field. */
  static fromJSON(json: unknown, options?: CellFromJSONOptions): LowRankCell {
    const p = parseCellJSON(json, 'low-rank', options, 'LowRankCell.fromJSON');
    return new LowRankCell(p.options as LowRankCellOptions, p.saved);
  }

  /** R. */
  override get rank(): number {
    return this.r;
  }

  /** W = M Nᵀ / scale (N×N, dense) in the caller's tape. */
  weightsFor(_trial?: number): tf.Tensor2D {
    this.assertLive();
    return tf.tidy(() => tf.div(tf.matMul(this.store.get('left') as tf.Tensor2D, this.store.get('right') as tf.Tensor2D, false, true), this.scale));
  }

  /** @internal */
  protected ownOptions(): Record<string, unknown> {
    return { rank: this.r, scale: this.scale };
  }

  /** @internal */
  recurrentDrive(_sel: TrialSelection, mode: DriveMode, maxDenseElements: number, scale = 1): RecurrentDrive {
    if (mode === 'dense') {
      checkDenseSize(this.size * this.size, maxDenseElements, 'W (N×N)');
      const w = tf.mul(this.weightsFor(), scale) as tf.Tensor2D;
      return (r) => tf.matMul(r, w, false, true);
    }
    const m = tf.mul(this.store.get('left'), scale / this.scale) as tf.Tensor2D;
    const nn = this.store.get('right') as tf.Tensor2D;
    return (r) => tf.matMul(tf.matMul(r, nn), m, false, true);
  }
}

// ---------------------------------------------------------------------------------------------
/**
 * Options of {@link LowTensorRankCell}: the common ones plus
 * - `trials` K (required): number of trials, each with its own W⁽ᵏ⁾;
 * - `rank` R (required, 1 ≤ R ≤ N);
 * - `unitNormColumns` (default true): the columns of A and B are used normalized to unit norm,
 *   so that all scale lives in the trial factors C (as in the paper's reference implementation);
 * - `inputInSpan` (default false): W_in = Â G with G ∈ ℝ^{R×d_in} (parameter
 *   `inputCoefficients`), i.e. inputs enter only along the column modes;
 * - `biasInSpan` (default false): b = Â g (parameter `biasCoefficients`, length R).
 *
 * Initialization (as the reference implementation): A with N(0, 1/N) entries, B = A (so every
 * mode starts as a symmetric a_r a_rᵀ), C = 1 + 0.2·U(−1, 1)/√R — gains near 1.
 */
export const lowTensorRankCellOptions = z
  .strictObject({
    ...cellBaseShape,
    trials: schemas.positiveInt,
    rank: schemas.positiveInt,
    unitNormColumns: z.boolean().default(true),
    inputInSpan: z.boolean().default(false),
    biasInSpan: z.boolean().default(false),
  })
  .superRefine(checkTimeStep)
  .superRefine(checkRankVsSize);
/** Input type of {@link lowTensorRankCellOptions}. */
export type LowTensorRankCellOptions = z.input<typeof lowTensorRankCellOptions>;

/** The effective CP factors of a {@link LowTensorRankCell} (tensors the caller owns). */
export interface LtrFactors {
  /** C, K × R: gain of each mode on each trial. */
  trialFactors: tf.Tensor2D;
  /** Â, N × R: post-synaptic (output) modes a_r; the column space of every W⁽ᵏ⁾. */
  columnFactors: tf.Tensor2D;
  /** B̂, N × R: pre-synaptic (input) modes b_r; the row space of every W⁽ᵏ⁾. */
  rowFactors: tf.Tensor2D;
}

/**
 * A low-tensor-rank rate network (ltrRNN cell): K trials, each with recurrent weights
 *
 *     W⁽ᵏ⁾ = Σ_r c_kr a_r b_rᵀ = Â diag(c_k) B̂ᵀ,
 *
 * parameters `trialFactors` C (K×R), `columnFactors` A (N×R), `rowFactors` B (N×R); Â, B̂ are A, B
 * with unit-norm columns when `unitNormColumns` (default). The recurrent drive of a batch of
 * trials X (trials × N) is computed as Â·(C_batch ⊙ (φ(X) B̂))ᵀ — O(trials·N·R) per step; the
 * K×N×N weight tensor is never formed (see {@link weightTensor} for it as a CPTensor).
 */
export class LowTensorRankCell extends RnnCell {
  /** `'low-tensor-rank'`. */
  readonly kind = 'low-tensor-rank' as const;
  private readonly k: number;
  private readonly r: number;
  /** Whether A and B are used with unit-norm columns. */
  readonly unitNormColumns: boolean;
  /** Whether W_in lies in span(Â). */
  readonly inputInSpan: boolean;
  /** Whether b lies in span(Â). */
  readonly biasInSpan: boolean;

  /**
   * @param options - {@link lowTensorRankCellOptions}.
   * @param saved - internal: values from JSON (use {@link LowTensorRankCell.fromJSON}).
   * @throws LtrError `invalid-option` naming the field (e.g. `options.rank` when R > N).
   */
  constructor(options: LowTensorRankCellOptions, saved?: CellSaved) {
    const o = parseOptions(lowTensorRankCellOptions, options, 'options');
    const { size: n, rank: rk, trials: kk, inputSize: dIn } = o;
    super(
      o,
      saved,
      (store, r) => {
        const a = r.normalArray(n * rk, 0, 1 / Math.sqrt(n));
        for (let j = 0; j < rk; j++) {
          let s = 0;
          for (let i = 0; i < n; i++) s += a[i * rk + j] ** 2;
          const nrm = Math.sqrt(s) || 1;
          for (let i = 0; i < n; i++) a[i * rk + j] /= nrm;
        }
        store.add('columnFactors', [n, rk], true, () => a);
        store.add('rowFactors', [n, rk], true, () => a);
        store.add('trialFactors', [kk, rk], true, () => r.uniformArray(kk * rk, -1, 1).map((v) => 1 + (0.2 * v) / Math.sqrt(rk)));
        if (dIn > 0 && o.inputInSpan) store.add('inputCoefficients', [rk, dIn], o.trainInput, () => r.normalArray(rk * dIn, 0, Math.sqrt(n / (rk * dIn))));
        if (o.bias && o.biasInSpan) store.add('biasCoefficients', [rk], true, () => new Float64Array(rk));
      },
      { inputMap: !o.inputInSpan, bias: !o.biasInSpan },
    );
    this.k = kk;
    this.r = rk;
    this.unitNormColumns = o.unitNormColumns;
    this.inputInSpan = o.inputInSpan;
    this.biasInSpan = o.biasInSpan;
  }

  /** Rebuilds a cell from {@link RnnCell.toJSON} output. @throws LtrError `invalid-data` naming the field. */
  static fromJSON(json: unknown, options?: CellFromJSONOptions): LowTensorRankCell {
    const p = parseCellJSON(json, 'low-tensor-rank', options, 'LowTensorRankCell.fromJSON');
    return new LowTensorRankCell(p.options as LowTensorRankCellOptions, p.saved);
  }

  /** K. */
  override get trials(): number {
    return this.k;
  }

  /** R. */
  override get rank(): number {
    return this.r;
  }

  /** The effective factors C, Â, B̂ (new tensors in the caller's tape). */
  factors(): LtrFactors {
    this.assertLive();
    return tf.tidy(() => ({
      trialFactors: tf.clone(this.store.get('trialFactors') as tf.Tensor2D),
      columnFactors: this.column(),
      rowFactors: this.row(),
    }));
  }

  /** W⁽ᵏ⁾ = Â diag(c_k) B̂ᵀ (N×N, dense) for trial `trial` ∈ [0, K), in the caller's tape. */
  weightsFor(trial?: number): tf.Tensor2D {
    this.assertLive();
    if (!Number.isInteger(trial) || (trial as number) < 0 || (trial as number) >= this.k) {
      throw new LtrError('invalid-option', `weightsFor: trial must be an integer in 0..${this.k - 1}, got ${String(trial)}.`, { path: 'trial' });
    }
    return tf.tidy(() => {
      const c = tf.slice(this.store.get('trialFactors'), [trial as number, 0], [1, this.r]);
      return tf.matMul(tf.mul(this.column(), c), this.row(), false, true);
    });
  }

  /** W_in = Â G when `inputInSpan`, else the free N × d_in matrix. */
  override inputMatrix(): tf.Tensor2D | null {
    if (this.inputSize === 0) return null;
    if (!this.inputInSpan) return super.inputMatrix();
    return tf.tidy(() => tf.matMul(this.column(), this.store.get('inputCoefficients') as tf.Tensor2D) as tf.Tensor2D);
  }

  /** b = Â g when `biasInSpan`, else the free vector. */
  override biasVector(): tf.Tensor1D | null {
    if (!this.base.bias) return null;
    if (!this.biasInSpan) return super.biasVector();
    return tf.tidy(() => tf.reshape(tf.matMul(this.column(), tf.reshape(this.store.get('biasCoefficients'), [this.r, 1]) as tf.Tensor2D), [this.size]) as tf.Tensor1D);
  }

  /** @internal */
  protected ownOptions(): Record<string, unknown> {
    return { trials: this.k, rank: this.r, unitNormColumns: this.unitNormColumns, inputInSpan: this.inputInSpan, biasInSpan: this.biasInSpan };
  }

  private column(): tf.Tensor2D {
    const a = this.store.get('columnFactors') as tf.Tensor2D;
    return this.unitNormColumns ? tf.tidy(() => tf.div(a, tf.norm(a, 'euclidean', 0, true))) : tf.clone(a);
  }

  private row(): tf.Tensor2D {
    const b = this.store.get('rowFactors') as tf.Tensor2D;
    return this.unitNormColumns ? tf.tidy(() => tf.div(b, tf.norm(b, 'euclidean', 0, true))) : tf.clone(b);
  }

  /** @internal */
  recurrentDrive(sel: TrialSelection, mode: DriveMode, maxDenseElements: number, scale = 1): RecurrentDrive {
    const batch = sel.indices.length;
    const n = this.size;
    const rk = this.r;
    if (mode === 'dense') checkDenseSize(batch * n * n, maxDenseElements, `W⁽ᵏ⁾ for ${batch} trials (trials × N × N)`);
    // The scale (dt/τ in simulate) is folded into the N×R column factor, the smallest operand.
    const a = scale === 1 ? this.column() : (tf.mul(this.column(), scale) as tf.Tensor2D);
    const b = this.row();
    const cAll = this.store.get('trialFactors') as tf.Tensor2D;
    // The batch's trial gains: a one-hot product instead of a gather, so that the gradient runs
    // on every backend (gather's gradient needs UnsortedSegmentSum, which wasm lacks).
    const c = sel.identity ? cAll : tf.matMul(oneHot(sel.indices, this.k), cAll);
    if (mode === 'dense') {
      // The reference implementation's form: build W (trials × N × N), then a batched matMul.
      const w = tf.reshape(tf.matMul(tf.reshape(tf.mul(tf.expandDims(a, 0), tf.expandDims(c, 1)), [batch * n, rk]), b, false, true), [batch, n, n]) as tf.Tensor3D;
      return (r) => tf.reshape(tf.matMul(w, tf.expandDims(r, 2) as tf.Tensor3D), [batch, n]);
    }
    return (r) => tf.matMul(tf.mul(tf.matMul(r, b), c), a, false, true);
  }
}
