/**
 * Options of {@link fitLtrRNN} (and the fitting part of `crossValidateRank`): one zod schema with
 * every default, following the reference implementation's published hyperparameters where it has
 * one (see `docs/fit.md` for the table and the deviations).
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ACTIVATION_NAMES } from '../rnn/activation';
import { blockMaskOptions } from '../train/masks';
import { scheduleSchema } from '../train/schedule';
import { schemas } from '../validate/options';
import type { TensorLike } from '../validate/tensor';

/** The three models: the ltrRNN and the two baselines of the paper's comparison. */
export const FIT_MODELS = ['ltr', 'lowRankPerTrial', 'static'] as const;
/** `'ltr'` | `'lowRankPerTrial'` | `'static'`. */
export type FitModel = (typeof FIT_MODELS)[number];

/** When the condition-specific inputs are on. */
export const INPUT_WINDOWS = ['auto', 'preparatory', 'all', 'none'] as const;
/** `'auto'` | `'preparatory'` | `'all'` | `'none'`. */
export type InputWindow = (typeof INPUT_WINDOWS)[number];

const isArrayLike = (v: unknown): boolean => Array.isArray(v) || ArrayBuffer.isView(v);
const tensorLike = z.custom<TensorLike>(
  (v) => v instanceof tf.Tensor || Array.isArray(v) || (typeof v === 'object' && v !== null && 'data' in v && 'shape' in v),
  'must be a tf.Tensor, nested arrays of numbers or { data, shape }',
);
const numberArray = z.custom<ArrayLike<number>>(isArrayLike, 'must be an array of numbers (one per trial)');
const labelArray = z.custom<ArrayLike<number | string>>(isArrayLike, 'must be an array of labels (numbers or strings, one per trial)');

/** Progress of {@link fitLtrRNN}, after each training step. */
export interface FitProgress {
  /** Steps taken (updates applied). */
  step: number;
  /** `iterations` of the run. */
  total: number;
  /** The training objective of the step (masked loss with trial dropout + activity penalty). */
  objective: number;
  /** Latest normalized test loss, or null before the first evaluation. */
  testLoss: number | null;
  /** Seconds to finish all iterations at the current pace (early stopping may end sooner). */
  etaSeconds: number;
}

/**
 * Options of {@link fitLtrRNN}. Every field is optional; defaults in brackets.
 *
 * Model
 * - `model` ['ltr']: `'ltr'` (low tensor rank: W⁽ᵏ⁾ = Â diag(c_k) B̂ᵀ), `'lowRankPerTrial'` (a
 *   rank-R W⁽ᵏ⁾ = M_k N_kᵀ free on every trial) or `'static'` (one rank-R W for all trials).
 * - `rank` R [5], `latentDim` N [min(200, neurons)], `tau` τ [1], `duration` [2] (simulated
 *   time from the first bin with time ≥ 0 to the last: dt = duration / (those bins − 1); all T
 *   bins when there are no `times`), `activation` ['tanh'], `noise` σ of the
 *   network's private noise [0], `bias` [false], `method` ['euler'].
 * - `decoder` ['orthogonal'] (orthonormal columns, needs latentDim ≤ neurons) or `'linear'`;
 *   `decoderBias` [true], `decoderScale` [false] (one learned gain on the orthogonal map).
 * Trial factors
 * - `kernel` ['rationalQuadratic'] or `'none'` (free trial factors); `lengthScale` ℓ [15 trials],
 *   `sigma` σ [0.1], `alpha` α [1], `sigmaObservation` σ_obs [0.1], `discontinuousAtEpochs` [false].
 * Inputs and initial state
 * - `inputWindow` ['auto': `'preparatory'` when some `times` are < 0, else `'none'`], `inputDim`
 *   [R], `inputInSpan` [true] (W_in = Â G), `inputBasisSize` [5] Gaussian bumps per window,
 *   `fitPreparatory` [false] (fit the bins with time < 0 too), `initialStateScale` [0.1];
 *   `init` ['data': the decoder starts on the principal subspace of the training entries and
 *   each condition's initial state decodes to its mean first bin; `'random'`: seeded random].
 * Loss and training
 * - `loss` ['auto': `'poisson'` when the data come as integers, else `'mse'`];
 *   `regularization` [0.01] × mean `regularizationFunction` ['square' | 'abs'] of the latent
 *   states and inputs; `fractionMasked` [0.2] trials dropped from each step's loss.
 * - `iterations` [3000], `learningRate` [1e-3], `schedule` [constant; see `train`], `clipNorm`
 *   [none], `evalEvery` [1],
 *   `earlyStopping` [{ window: 200, minStd: 1e-3 }] or `false`.
 * - `mask` { train, test } (0/1, the data's shape) or `blockMask` (options of `blockMask`, used
 *   when `mask` is absent) [{ trainHalfBlock: [2, 2, 0], testHalfBlock: [1, 1, 0], fractionTest: 0.1 }].
 * - `seed` [0]; `onProgress`, `signal`, `resumeFrom`, `checkpointEvery` + `onCheckpoint`.
 * Metadata (one entry per trial unless said): `conditions` (integer ids), `trialIds` (numbers;
 * default 0..K−1), `epochs` (labels), `times` (one per time bin).
 */
export const fitLtrRNNOptions = z
  .strictObject({
    ...fitShape(),
  })
  .superRefine(refineFit);

/** @internal The fields of {@link fitLtrRNNOptions} (reused by `crossValidateRankOptions`). */
export function fitShape() {
  return {
    model: z.enum(FIT_MODELS).default('ltr'),
    rank: schemas.positiveInt.default(5),
    latentDim: schemas.positiveInt.optional(),
    tau: schemas.positive.default(1),
    duration: schemas.positive.default(2),
    activation: z.enum(ACTIVATION_NAMES).default('tanh'),
    noise: schemas.nonNegative.default(0),
    bias: z.boolean().default(false),
    method: z.enum(['euler', 'heun']).default('euler'),
    decoder: z.enum(['orthogonal', 'linear']).default('orthogonal'),
    decoderBias: z.boolean().default(true),
    decoderScale: z.boolean().default(false),

    kernel: z.enum(['rationalQuadratic', 'none']).default('rationalQuadratic'),
    lengthScale: schemas.positive.default(15),
    sigma: schemas.positive.default(0.1),
    alpha: schemas.positive.default(1),
    sigmaObservation: schemas.nonNegative.default(0.1),
    discontinuousAtEpochs: z.boolean().default(false),

    inputWindow: z.enum(INPUT_WINDOWS).default('auto'),
    inputDim: schemas.positiveInt.optional(),
    inputInSpan: z.boolean().default(true),
    inputBasisSize: schemas.positiveInt.default(5),
    fitPreparatory: z.boolean().default(false),
    initialStateScale: schemas.nonNegative.default(0.1),
    init: z.enum(['data', 'random']).default('data'),

    loss: z.enum(['auto', 'mse', 'poisson']).default('auto'),
    regularization: schemas.nonNegative.default(0.01),
    regularizationFunction: z.enum(['square', 'abs']).default('square'),
    fractionMasked: z.number().min(0, 'must be in [0, 1)').lt(1, 'must be in [0, 1)').default(0.2),
    iterations: schemas.positiveInt.default(3000),
    learningRate: schemas.positive.default(1e-3),
    schedule: scheduleSchema.default({ type: 'constant' }),
    clipNorm: schemas.positive.optional(),
    evalEvery: schemas.positiveInt.default(1),
    earlyStopping: z
      .union([z.literal(false), z.strictObject({ window: schemas.positiveInt, minStd: schemas.nonNegative })])
      .default({ window: 200, minStd: 1e-3 }),

    mask: z.strictObject({ train: tensorLike, test: tensorLike }).optional(),
    blockMask: blockMaskOptions.optional(),

    conditions: numberArray.optional(),
    trialIds: numberArray.optional(),
    epochs: labelArray.optional(),
    times: numberArray.optional(),

    seed: schemas.seed.default(0),
    onProgress: schemas.callback<(p: FitProgress) => void>().optional(),
    signal: schemas.signal.optional(),
    resumeFrom: z.unknown().optional(),
    checkpointEvery: schemas.positiveInt.optional(),
    onCheckpoint: schemas.callback<(c: unknown) => void | Promise<void>>().optional(),
  };
}

/** @internal Cross-field checks of the fit options. */
export function refineFit(o: { checkpointEvery?: number; onCheckpoint?: unknown; mask?: unknown; blockMask?: unknown; latentDim?: number; rank: number }, ctx: z.RefinementCtx): void {
  {
    if ((o.checkpointEvery === undefined) !== (o.onCheckpoint === undefined)) {
      ctx.addIssue({ code: 'custom', path: [o.checkpointEvery === undefined ? 'checkpointEvery' : 'onCheckpoint'], message: 'checkpointEvery and onCheckpoint go together' });
    }
    if (o.mask !== undefined && o.blockMask !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['blockMask'], message: 'give either mask ({ train, test }) or blockMask (options to build one), not both' });
    }
    if (o.latentDim !== undefined && o.latentDim < o.rank) {
      ctx.addIssue({
        code: 'custom',
        path: ['latentDim'],
        message: `is ${o.latentDim}, smaller than rank ${o.rank}: the R modes a_r, b_r live in the N-dimensional latent space, so rank ≤ latentDim. Raise latentDim or lower rank`,
      });
    }
  }
}

/** Input of {@link fitLtrRNNOptions}. */
export type FitLtrRNNOptions = z.input<typeof fitLtrRNNOptions>;
/** Parsed options. */
export type ParsedFitOptions = z.output<typeof fitLtrRNNOptions>;

/**
 * The default block mask of a fit, as in the paper (blocks of consecutive entries in time and
 * trials held out): test blocks of 3 bins × 3 trials of one neuron, each inside a 5 × 5 block left
 * out of training (a one-entry guard band), 10 % of the entries in the test set.
 */
export const DEFAULT_BLOCK_MASK = { trainHalfBlock: [2, 2, 0], testHalfBlock: [1, 1, 0], fractionTest: 0.1, seed: 0 } as const;

/** The options of a fit that are plain data (what JSON, provenance and workers carry). */
export const SERIALIZABLE_FIT_KEYS = [
  'model',
  'rank',
  'latentDim',
  'tau',
  'duration',
  'activation',
  'noise',
  'bias',
  'method',
  'decoder',
  'decoderBias',
  'decoderScale',
  'kernel',
  'lengthScale',
  'sigma',
  'alpha',
  'sigmaObservation',
  'discontinuousAtEpochs',
  'inputWindow',
  'inputDim',
  'inputInSpan',
  'inputBasisSize',
  'fitPreparatory',
  'initialStateScale',
  'init',
  'loss',
  'regularization',
  'regularizationFunction',
  'fractionMasked',
  'iterations',
  'learningRate',
  'schedule',
  'clipNorm',
  'evalEvery',
  'earlyStopping',
  'seed',
] as const;
