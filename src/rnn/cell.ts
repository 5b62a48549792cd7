/**
 * The interface every rate-network cell shares (abstract base {@link RnnCell}), its common
 * options, initial states, input weights, bias, readout and JSON form.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { rng, type Rng } from '../backend/random';
import { LtrError } from '../validate/errors';
import { schemas } from '../validate/options';
import { ACTIVATION_NAMES, resolveActivation, type Activation, type ActivationFn, type ActivationName } from './activation';
import { ParameterStore, parameterJSONSchema, type ParameterJSON, type SavedValues } from './params';
import { READOUT_TYPES, Readout, readoutJSONSchema, type ReadoutJSON } from './readout';

/** The cell kinds. */
export const CELL_KINDS = ['full-rank', 'low-rank', 'low-tensor-rank'] as const;
/** `full-rank` | `low-rank` | `low-tensor-rank`. */
export type CellKind = (typeof CELL_KINDS)[number];

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

/** Resolved initial-state choice of a cell. */
export type InitialStateSpec =
  | { type: 'zero' }
  | { type: 'fixed'; value: number[] }
  | { type: 'learned'; scale: number }
  | { type: 'per-condition'; conditions: number; scale: number };

/**
 * The `initialState` option: `'zero'` (default), `'learned'` (one trainable x₀ shared by all
 * trials), `{ type: 'fixed', value }` (a constant x₀ of length N), `{ type: 'learned', scale }`,
 * or `{ type: 'per-condition', conditions, scale }` (a trainable x₀ per condition; `simulate`
 * then needs a condition id per trial). Learned states start at N(0, scale²) (scale default 0).
 */
export const initialStateSchema = z
  .union(
    [
      z.enum(['zero', 'learned']),
      z.strictObject({ type: z.literal('zero') }),
      z.strictObject({ type: z.literal('fixed'), value: z.array(finite).min(1) }),
      z.strictObject({ type: z.literal('learned'), scale: schemas.nonNegative.default(0) }),
      z.strictObject({ type: z.literal('per-condition'), conditions: schemas.positiveInt, scale: schemas.nonNegative.default(0) }),
    ],
    { error: "must be 'zero', 'learned', { type: 'fixed', value: number[] }, { type: 'learned', scale? } or { type: 'per-condition', conditions, scale? }" },
  )
  .transform((v): InitialStateSpec => {
    if (v === 'zero') return { type: 'zero' };
    if (v === 'learned') return { type: 'learned', scale: 0 };
    return v as InitialStateSpec;
  });

const activationSchema = z.custom<Activation>(
  (v) => typeof v === 'function' || (typeof v === 'string' && (ACTIVATION_NAMES as readonly string[]).includes(v)),
  `must be one of ${ACTIVATION_NAMES.map((n) => `'${n}'`).join(', ')} or a function of tfjs ops (x: tf.Tensor) => tf.Tensor`,
);

/**
 * Options every cell takes (each cell's schema extends these):
 * - `size` N — number of units (required).
 * - `inputSize` d_in (default 0) — input dimension; W_in ~ N(0, 1/d_in).
 * - `outputSize` D (default 0 = no readout) and `readout` (`'linear'` default | `'orthogonal'`),
 *   `outputBias` (default true): the readout y = W_out φ(x) + b_out.
 * - `tau` τ (default 1) and `dt` (default 0.1), same units; dt ≤ τ required.
 * - `activation` φ (default `'tanh'`): `'tanh' | 'relu' | 'softplus' | 'identity'` or a function.
 * - `bias` (default true): trainable b (starts at 0).
 * - `trainInput` (default true): W_in trainable (false keeps the random input map fixed).
 * - `initialState` (default `'zero'`): see {@link initialStateSchema}.
 * - `seed` (default 0): all random initialization, drawn on the host (identical on every backend).
 */
export const cellBaseShape = {
  size: schemas.positiveInt,
  inputSize: schemas.nonNegativeInt.default(0),
  outputSize: schemas.nonNegativeInt.default(0),
  readout: z.enum(READOUT_TYPES).default('linear'),
  outputBias: z.boolean().default(true),
  tau: schemas.positive.default(1),
  dt: schemas.positive.default(0.1),
  activation: activationSchema.default('tanh'),
  bias: z.boolean().default(true),
  trainInput: z.boolean().default(true),
  initialState: initialStateSchema.default({ type: 'zero' }),
  seed: schemas.seed.default(0),
};

/** Resolved common options (what `RnnCell.options` holds, plus each cell's own). */
export interface CellBaseOptions {
  size: number;
  inputSize: number;
  outputSize: number;
  readout: 'linear' | 'orthogonal';
  outputBias: boolean;
  tau: number;
  dt: number;
  activation: Activation;
  bias: boolean;
  trainInput: boolean;
  initialState: InitialStateSpec;
  seed: number;
}

/** zod refinement shared by the cell schemas: dt ≤ τ, explained. */
export function checkTimeStep(o: { tau: number; dt: number }, ctx: z.RefinementCtx): void {
  if (o.dt > o.tau) {
    ctx.addIssue({
      code: 'custom',
      path: ['dt'],
      message:
        `dt = ${o.dt} is larger than tau = ${o.tau}. Each Euler step multiplies the leak term by (1 − dt/τ); ` +
        `with dt/τ > 1 that factor is negative (the state overshoots zero and flips sign every step) and with dt/τ > 2 ` +
        `its magnitude exceeds 1, so the simulation oscillates and diverges instead of relaxing. Use dt ≤ τ (dt ≤ τ/10 is typical)`,
    });
  }
}

/** Versioned JSON form of a cell ({@link RnnCell.toJSON}). */
export interface RnnCellJSON {
  format: 'ltr-rnn/rnn-cell';
  version: 1;
  kind: CellKind;
  /** Resolved options; `activation` is the name, `'custom'` for a user function. */
  options: Record<string, unknown>;
  parameters: Record<string, ParameterJSON>;
  readout: ReadoutJSON | null;
}

/** zod schema of {@link RnnCellJSON} (the options are checked by each cell's own schema). */
export const rnnCellJSONSchema = z.strictObject({
  format: z.literal('ltr-rnn/rnn-cell'),
  version: z.literal(1),
  kind: z.enum(CELL_KINDS),
  options: z.record(z.string(), z.unknown()),
  parameters: z.record(z.string(), parameterJSONSchema),
  readout: readoutJSONSchema.nullable(),
});

/** Options of the `fromJSON` functions. */
export interface CellFromJSONOptions {
  /** The activation function, required when the cell was saved with a user (`'custom'`) activation. */
  activation?: ActivationFn;
}

/** @internal Parses cell JSON and returns its options (activation restored) and saved values. */
export function parseCellJSON(json: unknown, kind: CellKind | null, opts: CellFromJSONOptions | undefined, where: string): { kind: CellKind; options: Record<string, unknown>; saved: CellSaved } {
  const r = rnnCellJSONSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = ['json', ...issue.path.map(String)].join('.');
    throw new LtrError('invalid-data', `${where}: ${path}: ${issue.message}. Expected the output of a cell's toJSON().`, { path });
  }
  const j = r.data;
  if (kind !== null && j.kind !== kind) {
    throw new LtrError('invalid-data', `${where}: json.kind is '${j.kind}', not '${kind}'. Use cellFromJSON to accept any kind.`, { path: 'json.kind' });
  }
  const options = { ...j.options };
  if (options.activation === 'custom') {
    if (typeof opts?.activation !== 'function') {
      throw new LtrError('invalid-option', `${where}: the cell was saved with a user activation function, which JSON cannot hold. Pass it again: fromJSON(json, { activation: fn }).`, { path: 'options.activation' });
    }
    options.activation = opts.activation;
  } else if (opts?.activation !== undefined) {
    throw new LtrError('invalid-option', `${where}: options.activation is only for cells saved with a user activation; this one uses '${String(options.activation)}'.`, { path: 'options.activation' });
  }
  return { kind: j.kind, options, saved: { parameters: j.parameters, readout: j.readout } };
}

/** @internal Saved values of a cell. */
export interface CellSaved {
  parameters: SavedValues;
  readout: ReadoutJSON | null;
}

/** @internal Trials of a batch: for each simulated trial, its index into the cell's K trials. */
export interface TrialSelection {
  indices: Int32Array;
  /** True when indices are exactly 0..K−1. */
  identity: boolean;
}

/** How the recurrent drive is computed: from the factors (default) or from materialized W. */
export type DriveMode = 'factored' | 'dense';

/** @internal Recurrent drive r ↦ W r for each trial of the batch (rows), built once per unroll. */
export type RecurrentDrive = (rates: tf.Tensor2D) => tf.Tensor2D;

/**
 * Common part of all cells: a continuous-time rate network
 *
 *     τ dx/dt = −x + W φ(x) + W_in u(t) + b + σ ξ(t),      y = W_out φ(x) + b_out,
 *
 * with W given by the subclass (full, low matrix rank, or low tensor rank over trials).
 * Parameters are tf.Variables ({@link RnnCell.variables}); every method that builds tensors
 * does so inside the caller's tape, so the cell is trainable with `tf.variableGrads`.
 * Owns its tensors: call {@link RnnCell.dispose}.
 */
export abstract class RnnCell {
  /** Which cell this is. */
  abstract readonly kind: CellKind;
  /** Resolved common options. */
  readonly base: Readonly<CellBaseOptions>;
  /** The readout, or null when `outputSize` is 0. */
  readonly readout: Readout | null;
  /** Name of the activation (`'custom'` for a user function). */
  readonly activationName: ActivationName | 'custom';
  /** @internal */
  protected readonly store: ParameterStore;
  private readonly phi: ActivationFn;

  /**
   * @internal Subclasses pass their resolved options, saved values (JSON) or undefined, and a
   * function that adds their own parameters (drawn first from the seeded generator).
   */
  protected constructor(
    base: CellBaseOptions,
    saved: CellSaved | undefined,
    addOwn: (store: ParameterStore, r: Rng) => void,
    own: { inputMap: boolean; bias: boolean } = { inputMap: true, bias: true },
  ) {
    this.base = Object.freeze({ ...base });
    const act = resolveActivation(base.activation);
    this.phi = act.fn;
    this.activationName = act.name;
    const { size: n, inputSize: dIn, initialState: init } = base;
    if (init.type === 'fixed' && init.value.length !== n) {
      throw new LtrError('shape-mismatch', `options.initialState.value has length ${init.value.length} but the cell has size N = ${n}.`, { path: 'options.initialState.value' });
    }
    const r = rng(base.seed);
    this.store = new ParameterStore(saved?.parameters, 'json.parameters');
    let readout: Readout | null = null;
    try {
      addOwn(this.store, r);
      if (dIn > 0 && own.inputMap) this.store.add('input', [n, dIn], base.trainInput, () => r.normalArray(n * dIn, 0, 1 / Math.sqrt(dIn)));
      if (base.bias && own.bias) this.store.add('bias', [n], true, () => new Float64Array(n));
      if (init.type === 'fixed') this.store.add('initialState', [n], false, () => init.value);
      if (init.type === 'learned') this.store.add('initialState', [n], true, () => r.normalArray(n, 0, init.scale));
      if (init.type === 'per-condition') this.store.add('initialState', [init.conditions, n], true, () => r.normalArray(init.conditions * n, 0, init.scale));
      this.store.checkNoExtra();
      const readoutSeed = r.deriveSeed();
      if (base.outputSize > 0) {
        if (saved !== undefined) {
          if (saved.readout === null) throw new LtrError('invalid-data', `json.readout is null but options.outputSize is ${base.outputSize}.`, { path: 'json.readout' });
          readout = Readout.fromJSON(saved.readout);
          const o = readout.options;
          if (o.inputSize !== n || o.outputSize !== base.outputSize || o.type !== base.readout || o.bias !== base.outputBias) {
            readout.dispose();
            throw new LtrError('invalid-data', 'json.readout.options do not match the cell options (size, outputSize, readout, outputBias).', { path: 'json.readout.options' });
          }
        } else {
          readout = new Readout({ inputSize: n, outputSize: base.outputSize, type: base.readout, bias: base.outputBias, seed: readoutSeed });
        }
      } else if (saved !== undefined && saved.readout !== null) {
        throw new LtrError('invalid-data', 'json.readout is present but options.outputSize is 0.', { path: 'json.readout' });
      }
    } catch (e) {
      this.store.dispose();
      throw e;
    }
    this.readout = readout;
  }

  /** N, the number of units. */
  get size(): number {
    return this.base.size;
  }

  /** d_in, the input dimension (0: no input). */
  get inputSize(): number {
    return this.base.inputSize;
  }

  /** D, the output dimension (0: no readout). */
  get outputSize(): number {
    return this.base.outputSize;
  }

  /** τ. */
  get tau(): number {
    return this.base.tau;
  }

  /** dt. */
  get dt(): number {
    return this.base.dt;
  }

  /** K, the number of trials with their own weights (LTR cell); null for the others. */
  get trials(): number | null {
    return null;
  }

  /** The rank R (low-rank and LTR cells); null for the full-rank cell. */
  get rank(): number | null {
    return null;
  }

  /** Number of conditions with their own learned initial state (`per-condition`), else null. */
  get conditions(): number | null {
    return this.base.initialState.type === 'per-condition' ? this.base.initialState.conditions : null;
  }

  /** True once disposed. */
  get isDisposed(): boolean {
    return this.store.isDisposed() || (this.readout?.isDisposed ?? false);
  }

  /** φ(x): the rates of states `x` (new tensor, in the caller's tape). */
  activation(x: tf.Tensor): tf.Tensor {
    return this.phi(x);
  }

  /** Trainable variables, the readout's included (what an optimizer should update). */
  variables(): tf.Variable[] {
    const own = this.store.entries().filter(([, v]) => v.trainable).map(([, v]) => v);
    return this.readout ? [...own, ...this.readout.variables()] : own;
  }

  /**
   * All parameters by name (trainable or not); the readout's are prefixed `readout.`. Names:
   * `recurrent` (full), `left`/`right` (low-rank), `trialFactors`/`columnFactors`/`rowFactors`
   * (LTR), `input` or `inputCoefficients`, `bias` or `biasCoefficients`, `initialState`.
   */
  namedVariables(): Record<string, tf.Variable> {
    const out: Record<string, tf.Variable> = Object.fromEntries(this.store.entries());
    if (this.readout) for (const [k, v] of Object.entries(this.readout.namedVariables())) out[`readout.${k}`] = v;
    return out;
  }

  /** W_in (N × d_in) in the caller's tape; null when d_in = 0. */
  inputMatrix(): tf.Tensor2D | null {
    if (this.base.inputSize === 0) return null;
    return tf.clone(this.store.get('input') as tf.Tensor2D);
  }

  /** b (length N) in the caller's tape; null without bias. */
  biasVector(): tf.Tensor1D | null {
    if (!this.base.bias) return null;
    return tf.clone(this.store.get('bias') as tf.Tensor1D);
  }

  /**
   * Recurrent plus external drive of one Euler step for a batch of trials:
   * `W⁽ᵏ⁾ φ(x) + W_in u + b` for each row (trial) of `x` (trials × N), `u` (trials × d_in, or
   * null when d_in = 0). `trials` gives each row's trial index (LTR cell: into its K trials;
   * default 0..K−1 when the batch has K rows; other cells: optional, only its length is checked).
   * The caller owns the result.
   * @throws LtrError `shape-mismatch` / `invalid-option` naming the argument.
   */
  stepDrive(x: tf.Tensor, u: tf.Tensor | null, trials?: ArrayLike<number>): tf.Tensor2D {
    this.assertLive();
    const n = this.base.size;
    if (!(x instanceof tf.Tensor) || x.rank !== 2 || x.shape[1] !== n) {
      throw new LtrError('shape-mismatch', `stepDrive: x must be a tf.Tensor of shape [trials, N = ${n}]${x instanceof tf.Tensor ? `, got [${x.shape.join(', ')}]` : ''}.`, { path: 'x' });
    }
    const b = x.shape[0];
    const dIn = this.base.inputSize;
    if (dIn > 0) {
      if (!(u instanceof tf.Tensor) || u.rank !== 2 || u.shape[0] !== b || u.shape[1] !== dIn) {
        throw new LtrError('shape-mismatch', `stepDrive: u must be a tf.Tensor of shape [${b}, d_in = ${dIn}]${u instanceof tf.Tensor ? `, got [${u.shape.join(', ')}]` : u === null ? ', got null' : ''}.`, { path: 'u' });
      }
    } else if (u !== null && u !== undefined) {
      throw new LtrError('shape-mismatch', 'stepDrive: this cell has no input (inputSize 0); pass u = null.', { path: 'u' });
    }
    const sel = this.selectTrials(trials, b, 'trials');
    return tf.tidy(() => {
      const rec = this.recurrentDrive(sel, 'factored', Infinity);
      let drive: tf.Tensor2D = rec(this.phi(x) as tf.Tensor2D);
      const w = this.inputMatrix();
      if (w !== null && u !== null) drive = tf.add(drive, tf.matMul(u as tf.Tensor2D, w, false, true));
      const bias = this.biasVector();
      if (bias !== null) drive = tf.add(drive, bias);
      return drive;
    });
  }

  /**
   * The N×N recurrent matrix of trial `trial` (LTR cell: required, in [0, K); others: ignored),
   * dense, in the caller's tape. For tests and small N.
   */
  abstract weightsFor(trial?: number): tf.Tensor2D;

  /** Versioned JSON (async: reads the variables). */
  async toJSON(): Promise<RnnCellJSON> {
    this.assertLive();
    const options: Record<string, unknown> = { ...this.base, ...this.ownOptions(), activation: this.activationName };
    return {
      format: 'ltr-rnn/rnn-cell',
      version: 1,
      kind: this.kind,
      options,
      parameters: await this.store.toJSON(),
      readout: this.readout ? await this.readout.toJSON() : null,
    };
  }

  /** Releases every variable (readout included). Safe to call twice. */
  dispose(): void {
    this.store.dispose();
    this.readout?.dispose();
  }

  /** @internal Options specific to the subclass, for JSON. */
  protected abstract ownOptions(): Record<string, unknown>;

  /**
   * @internal Builds the recurrent drive function for a batch (tensors built once, in the
   * caller's tape) returning r ↦ scale · W⁽ᵏ⁾ r for each row, the scale folded into the smallest
   * factor. `dense` materializes W for every trial of the batch and refuses when that is more
   * than `maxDenseElements` numbers.
   */
  abstract recurrentDrive(sel: TrialSelection, mode: DriveMode, maxDenseElements: number, scale?: number): RecurrentDrive;

  /** @internal Initial states (batch × N) in the caller's tape. */
  initialStates(batch: number, conditions: Int32Array | null): tf.Tensor2D {
    const n = this.base.size;
    const init = this.base.initialState;
    return tf.tidy(() => {
      switch (init.type) {
        case 'zero':
          return tf.zeros([batch, n]);
        case 'fixed':
        case 'learned':
          return tf.tile(tf.reshape(this.store.get('initialState'), [1, n]), [batch, 1]);
        case 'per-condition': {
          if (conditions === null) throw new Error('internal: conditions missing');
          return tf.matMul(oneHot(conditions, init.conditions), this.store.get('initialState') as tf.Tensor2D);
        }
      }
    });
  }

  /** @internal Validates trial indices for a batch of `batch` rows. */
  selectTrials(trials: ArrayLike<number> | undefined, batch: number, path: string): TrialSelection {
    const k = this.trials;
    if (trials === undefined || trials === null) {
      if (k !== null && batch !== k) {
        throw new LtrError('shape-mismatch', `${path} is required: the batch has ${batch} trials but the cell has K = ${k}; give each simulated trial its index into 0..${k - 1}.`, { path });
      }
      return { indices: Int32Array.from({ length: batch }, (_, i) => i), identity: k !== null };
    }
    if (typeof trials !== 'object' || typeof trials.length !== 'number') {
      throw new LtrError('invalid-option', `${path} must be an array of trial indices.`, { path });
    }
    if (trials.length !== batch) {
      throw new LtrError('shape-mismatch', `Trial count mismatch: ${path} has ${trials.length} entries but the batch has ${batch} trials.`, { path });
    }
    const idx = new Int32Array(batch);
    for (let i = 0; i < batch; i++) {
      const t = trials[i];
      if (!Number.isInteger(t) || t < 0 || (k !== null && t >= k)) {
        throw new LtrError('invalid-option', `${path}[${i}] = ${t} is not a trial index${k !== null ? ` in 0..${k - 1} (the cell has K = ${k} trials)` : ' (a non-negative integer)'}.`, { path: `${path}[${i}]` });
      }
      idx[i] = t;
    }
    let identity = k !== null && batch === k;
    for (let i = 0; identity && i < batch; i++) identity = idx[i] === i;
    return { indices: idx, identity };
  }

  /** @internal */
  protected assertLive(): void {
    if (this.isDisposed) throw new LtrError('invalid-data', 'This cell has been disposed.', { path: 'cell' });
  }
}

/** @internal A constant one-hot matrix (rows: batch, columns: classes) for gathers that differentiate on every backend. */
export function oneHot(indices: Int32Array, classes: number): tf.Tensor2D {
  const m = new Float32Array(indices.length * classes);
  for (let i = 0; i < indices.length; i++) m[i * classes + indices[i]] = 1;
  return tf.tensor2d(m, [indices.length, classes]);
}

/** @internal Refuses a dense materialization above the limit. */
export function checkDenseSize(elements: number, limit: number, what: string): void {
  if (elements > limit) {
    throw new LtrError(
      'limit-exceeded',
      `Materializing ${what} needs ${elements.toExponential(3)} numbers (${((elements * 4) / 2 ** 30).toFixed(2)} GiB as float32), more than maxDenseElements = ${limit.toExponential(3)}. Use drive: 'factored' (the default), which never forms these matrices, or raise maxDenseElements if the memory is there.`,
      { path: 'options.maxDenseElements' },
    );
  }
}
