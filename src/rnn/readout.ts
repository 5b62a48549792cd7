/**
 * Readouts y = W_out φ(x) + b_out: `linear` (free D×N matrix) or `orthogonal` (a semi-orthogonal
 * matrix through the exponential map of a skew-symmetric parameter, see `orthogonal.ts`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { rng } from '../backend/random';
import { qr } from '../linalg/qr';
import { matrix } from '../linalg/matrix';
import { LtrError } from '../validate/errors';
import { parseOptions, schemas } from '../validate/options';
import { orthogonalFromSkew } from './orthogonal';
import { ParameterStore, parameterJSONSchema, type ParameterJSON, type SavedValues } from './params';

/** The readout kinds. */
export const READOUT_TYPES = ['linear', 'orthogonal'] as const;
/** `linear` or `orthogonal`. */
export type ReadoutType = (typeof READOUT_TYPES)[number];

/**
 * Options of {@link Readout}.
 * - `inputSize` N (number of units read), `outputSize` D (required, ≥ 1).
 * - `type` (default `'linear'`): `'linear'` — W_out free, initialized N(0, 1/N);
 *   `'orthogonal'` — W_out semi-orthogonal at all times: orthonormal columns when D ≥ N,
 *   orthonormal rows when D < N (trainable through the exponential map; starts at a random
 *   seeded frame).
 * - `bias` (default true): trainable b_out, initialized to 0.
 * - `seed` (default 0): initialization.
 */
export const readoutOptions = z.strictObject({
  inputSize: schemas.positiveInt,
  outputSize: schemas.positiveInt,
  type: z.enum(READOUT_TYPES).default('linear'),
  bias: z.boolean().default(true),
  seed: schemas.seed.default(0),
});
/** Input type of {@link readoutOptions}. */
export type ReadoutOptions = z.input<typeof readoutOptions>;

/** Versioned JSON form of a {@link Readout}. */
export interface ReadoutJSON {
  format: 'ltr-rnn/readout';
  version: 1;
  options: z.output<typeof readoutOptions>;
  parameters: Record<string, ParameterJSON>;
}

/** zod schema of {@link ReadoutJSON}. */
export const readoutJSONSchema = z.strictObject({
  format: z.literal('ltr-rnn/readout'),
  version: z.literal(1),
  options: readoutOptions,
  parameters: z.record(z.string(), parameterJSONSchema),
});

/**
 * A readout y = W_out r + b_out from N rates to D outputs. Parameters are tf.Variables
 * ({@link Readout.variables}); {@link Readout.matrix} builds W_out inside the caller's tape, so
 * the readout is differentiable and trainable. Owns its tensors: {@link Readout.dispose}.
 *
 * For `orthogonal`, W_out is read off Q(P) = base · exp(S(P)) · E_d (n = max(N, D), d = min(N, D);
 * S skew-symmetric built from the trainable n×d parameter `skew`, `base` a fixed seeded random
 * orthogonal matrix): W_out = Q when D ≥ N, Qᵀ when D < N. QᵀQ = I holds to float32 round-off
 * after any number of optimizer steps, because orthogonality is built into the map rather than
 * restored after each step.
 */
export class Readout {
  /** Resolved options. */
  readonly options: z.output<typeof readoutOptions>;
  private readonly store: ParameterStore;

  /**
   * @param options - {@link readoutOptions}.
   * @param saved - internal: values from JSON ({@link Readout.fromJSON}).
   * @throws LtrError `invalid-option` naming the field.
   */
  constructor(options: ReadoutOptions, saved?: SavedValues) {
    this.options = parseOptions(readoutOptions, options, 'options');
    const { inputSize: n, outputSize: d, type, bias, seed } = this.options;
    const r = rng(seed);
    this.store = new ParameterStore(saved, 'json.parameters');
    try {
      if (type === 'linear') {
        this.store.add('weight', [d, n], true, () => r.normalArray(d * n, 0, 1 / Math.sqrt(n)));
      } else {
        const big = Math.max(n, d);
        const small = Math.min(n, d);
        this.store.add('skew', [big, small], true, () => new Float64Array(big * small));
        this.store.add('base', [big, big], false, () => randomOrthogonal(big, r.normalArray(big * big)));
      }
      if (bias) this.store.add('bias', [d], true, () => new Float64Array(d));
      this.store.checkNoExtra();
    } catch (e) {
      this.store.dispose();
      throw e;
    }
  }

  /** `linear` or `orthogonal`. */
  get type(): ReadoutType {
    return this.options.type;
  }

  /** N. */
  get inputSize(): number {
    return this.options.inputSize;
  }

  /** D. */
  get outputSize(): number {
    return this.options.outputSize;
  }

  /** Trainable variables (the orthogonal readout's fixed `base` is not among them). */
  variables(): tf.Variable[] {
    return this.store.entries().filter(([, v]) => v.trainable).map(([, v]) => v);
  }

  /** All parameters by name: `weight` | `skew`, `base`, `bias`. */
  namedVariables(): Record<string, tf.Variable> {
    return Object.fromEntries(this.store.entries());
  }

  /** W_out (D×N), built in the caller's tape (differentiable). The caller owns it. */
  matrix(): tf.Tensor2D {
    this.assertLive();
    if (this.options.type === 'linear') return tf.clone(this.store.get('weight') as tf.Tensor2D);
    return tf.tidy(() => {
      const q = orthogonalFromSkew(this.store.get('skew') as tf.Tensor2D, this.store.get('base') as tf.Tensor2D);
      return this.options.outputSize >= this.options.inputSize ? q : tf.transpose(q);
    });
  }

  /** y = r W_outᵀ + b_out for rates shaped `… × N`; returns `… × D`. */
  apply(rates: tf.Tensor): tf.Tensor {
    const { inputSize: n, outputSize: d } = this.options;
    if (!(rates instanceof tf.Tensor) || rates.shape[rates.rank - 1] !== n) {
      throw new LtrError('shape-mismatch', `Readout.apply: rates must be a tf.Tensor whose last dimension is N = ${n}${rates instanceof tf.Tensor ? `, got shape [${rates.shape.join(', ')}]` : ''}.`, { path: 'rates' });
    }
    return tf.tidy(() => this.applyWith(this.matrix(), rates, n, d));
  }

  /** @internal y for a precomputed W_out. */
  applyWith(w: tf.Tensor2D, rates: tf.Tensor, n = this.options.inputSize, d = this.options.outputSize): tf.Tensor {
    const lead = rates.shape.slice(0, -1);
    let y: tf.Tensor = tf.matMul(tf.reshape(rates, [-1, n]), w, false, true);
    if (this.store.has('bias')) y = tf.add(y, this.store.get('bias'));
    return tf.reshape(y, [...lead, d]);
  }

  /**
   * ‖W̃ᵀW̃ − I‖_F in float64 on the host, where W̃ is W_out (D ≥ N) or W_outᵀ (D < N): the
   * departure from orthonormality (≈ 0 for `orthogonal`; informative for `linear`).
   */
  async orthogonalityError(): Promise<number> {
    const w = this.matrix();
    const data = await w.data();
    const [d, n] = w.shape;
    w.dispose();
    const tall = d >= n; // columns of W_out orthonormal
    const k = tall ? n : d;
    let s = 0;
    for (let a = 0; a < k; a++) {
      for (let b = 0; b < k; b++) {
        let dot = 0;
        if (tall) for (let i = 0; i < d; i++) dot += data[i * n + a] * data[i * n + b];
        else for (let j = 0; j < n; j++) dot += data[a * n + j] * data[b * n + j];
        const e = dot - (a === b ? 1 : 0);
        s += e * e;
      }
    }
    return Math.sqrt(s);
  }

  /** Versioned JSON (async: reads the variables). */
  async toJSON(): Promise<ReadoutJSON> {
    this.assertLive();
    return { format: 'ltr-rnn/readout', version: 1, options: { ...this.options }, parameters: await this.store.toJSON() };
  }

  /**
   * Rebuilds a readout from {@link Readout.toJSON} output.
   * @throws LtrError `invalid-data` naming the bad field.
   */
  static fromJSON(json: unknown): Readout {
    const r = readoutJSONSchema.safeParse(json);
    if (!r.success) {
      const issue = r.error.issues[0];
      const path = ['json', ...issue.path.map(String)].join('.');
      throw new LtrError('invalid-data', `Readout.fromJSON: ${path}: ${issue.message}. Expected the output of Readout.toJSON().`, { path });
    }
    return new Readout(r.data.options, r.data.parameters);
  }

  /** True once disposed. */
  get isDisposed(): boolean {
    return this.store.isDisposed();
  }

  /** Releases the variables. Safe to call twice. */
  dispose(): void {
    this.store.dispose();
  }

  private assertLive(): void {
    if (this.store.isDisposed()) throw new LtrError('invalid-data', 'This readout has been disposed.', { path: 'readout' });
  }
}

/** A random orthogonal n×n matrix (row-major) from the float64 QR of a Gaussian matrix. */
function randomOrthogonal(n: number, gaussian: Float64Array): Float64Array {
  return qr(matrix(n, n, gaussian)).q.data;
}
