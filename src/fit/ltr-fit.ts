/**
 * `LtrFit`: what `fitLtrRNN` returns — the fitted network, its factors, losses, options and
 * provenance, with a versioned JSON form.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { CPTensor } from '../cp/cp-tensor';
import type { Provenance } from '../cp/result';
import { ACTIVATION_NAMES } from '../rnn/activation';
import type { LowTensorRankCell } from '../rnn/cells';
import { LtrError } from '../validate/errors';
import { parseOptions } from '../validate/options';
import { FitNetwork, type NetworkConfig, type NetworkMetadata, type ParameterCounts } from './network';
import { FIT_MODELS } from './options';

/** The trial factors of a fit: observed (with σ_obs; what the network runs with) and latent (smooth part). */
export interface TrialFactors {
  /** K × R: C = L_obs Z + β, L_obs = chol(k + σ_obs² I). */
  observed: tf.Tensor2D;
  /** K × R: L_lat Z + β, L_lat = chol(k + 10⁻⁶ I) — the smooth trend without trial-to-trial noise. */
  latent: tf.Tensor2D;
}

/** The CP factors of the fitted weight tensor 𝒲 (K × N × N), owned by the fit. */
export interface LtrFitFactors {
  /** Trial factors (gains over learning), K × R. */
  trial: TrialFactors;
  /** Column (post-synaptic, output) modes Â, N × R, unit-norm columns. */
  column: tf.Tensor2D;
  /** Row (pre-synaptic, input) modes B̂, N × R, unit-norm columns. */
  row: tf.Tensor2D;
}

/** The decoder from latent rates to the recorded neurons, owned by the fit. */
export interface LtrFitDecoder {
  type: 'orthogonal' | 'linear';
  /** D × N (including the learned scale when `decoderScale`). */
  weight: tf.Tensor2D;
  /** Length D, or null without `decoderBias`. */
  bias: tf.Tensor1D | null;
}

/** Losses of a fit. Normalized: MSE / variance of the data, or Poisson deviance / null deviance. */
export interface LtrFitLosses {
  /** `'mse'` or `'poisson'`. */
  kind: 'mse' | 'poisson';
  /** Normalized loss on the whole training set (no dropout, no penalty) at the final parameters. */
  train: number;
  /** Normalized loss on the test set at the final parameters. */
  test: number;
  /** Mean normalized test loss over the early-stopping window (the reference's CV number). */
  testWindowMean: number;
  /** The divisor of the MSE (variance of the data); for Poisson, see docs/fit.md. */
  dataVariance: number;
  /** Evaluations: step, normalized train and test loss. */
  history: { step: number[]; train: number[]; test: number[] };
  /** The training objective of every step taken (masked loss with trial dropout + penalty). */
  objective: number[];
  /** Steps taken. */
  iterations: number;
  /** Why training ended: `'steps'` (iterations reached) or `'min-std'` (early stopping). */
  stoppedBy: string;
}

/** Per-trial and per-bin metadata of the data the fit was made on. */
export interface LtrFitMetadata {
  /** time × trial × neuron. */
  dataShape: [number, number, number];
  /** Condition label of each trial (as given; 0 when none given). */
  conditions: number[];
  /** The distinct condition labels, in the order of the learned initial states / inputs. */
  conditionLabels: number[];
  trialIds: number[];
  /** Epoch label of each trial, or null. */
  epochs: (number | string)[] | null;
  /** Time of each bin, or null. */
  times: number[] | null;
  /** Number of preparatory bins (time < 0) at the start. */
  preparatoryBins: number;
}

/** Versioned JSON of an {@link LtrFit}. */
export interface LtrFitJSON {
  format: 'ltr-rnn/ltr-fit';
  version: 1;
  config: NetworkConfig;
  metadata: LtrFitMetadata;
  options: Record<string, unknown>;
  variables: Record<string, { shape: number[]; values: number[] }>;
  losses: LtrFitLosses;
  parameters: ParameterCounts;
  provenance: Provenance;
}

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const configSchema = z.strictObject({
  model: z.enum(FIT_MODELS),
  rank: z.number().int().positive(),
  latentDim: z.number().int().positive(),
  neurons: z.number().int().positive(),
  bins: z.number().int().min(2),
  trials: z.number().int().positive(),
  conditions: z.number().int().positive(),
  tau: z.number().positive(),
  dt: z.number().positive(),
  activation: z.enum(ACTIVATION_NAMES),
  noise: z.number().nonnegative(),
  bias: z.boolean(),
  method: z.enum(['euler', 'heun']),
  decoder: z.enum(['orthogonal', 'linear']),
  decoderBias: z.boolean(),
  decoderScale: z.boolean(),
  kernel: z.enum(['rationalQuadratic', 'none']),
  lengthScale: z.number().positive(),
  sigma: z.number().positive(),
  alpha: z.number().positive(),
  sigmaObservation: z.number().nonnegative(),
  discontinuousAtEpochs: z.boolean(),
  inputDim: z.number().int().nonnegative(),
  inputInSpan: z.boolean(),
  inputSteps: z.array(z.number().int().nonnegative()),
  basisSize: z.number().int().positive(),
  initialStateScale: z.number().nonnegative(),
  loss: z.enum(['mse', 'poisson']),
  seed: z.number().int(),
});

/** zod schema of {@link LtrFitJSON}. */
export const ltrFitJSONSchema = z.strictObject({
  format: z.literal('ltr-rnn/ltr-fit'),
  version: z.literal(1),
  config: configSchema,
  metadata: z.strictObject({
    dataShape: z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]),
    conditions: z.array(finite),
    conditionLabels: z.array(finite),
    trialIds: z.array(finite),
    epochs: z.array(z.union([finite, z.string()])).nullable(),
    times: z.array(finite).nullable(),
    preparatoryBins: z.number().int().nonnegative(),
  }),
  options: z.record(z.string(), z.unknown()),
  variables: z.record(z.string(), z.strictObject({ shape: z.array(z.number().int().nonnegative()), values: z.array(finite) })),
  losses: z.strictObject({
    kind: z.enum(['mse', 'poisson']),
    train: z.number(),
    test: z.number(),
    testWindowMean: z.number(),
    dataVariance: z.number(),
    history: z.strictObject({ step: z.array(z.number()), train: z.array(z.number()), test: z.array(z.number()) }),
    objective: z.array(z.number()),
    iterations: z.number().int().nonnegative(),
    stoppedBy: z.string(),
  }),
  parameters: z.strictObject({ total: z.number(), recurrent: z.number(), decoder: z.number(), inputs: z.number(), other: z.number() }),
  provenance: z.record(z.string(), z.unknown()),
});

/** @internal Metadata for the network from the fit's metadata. */
export function networkMetadata(meta: LtrFitMetadata, epochsAsIndex: boolean): NetworkMetadata {
  const labelIndex = new Map(meta.conditionLabels.map((c, i) => [c, i]));
  const conditionIndex = Int32Array.from(meta.conditions, (c) => labelIndex.get(c) ?? 0);
  let epochIndex: Int32Array | null = null;
  if (epochsAsIndex && meta.epochs !== null) {
    const seen = new Map<string, number>();
    epochIndex = Int32Array.from(meta.epochs, (e) => {
      const key = `${typeof e}:${String(e)}`;
      if (!seen.has(key)) seen.set(key, seen.size);
      return seen.get(key) as number;
    });
  }
  return { conditionIndex, trialIds: Float64Array.from(meta.trialIds), epochIndex };
}

/** Options of {@link LtrFit.predict}. */
export const predictOptions = z.strictObject({
  /**
   * What to return (T × K × …): `'data'` (default) — the model's prediction of the data (for the
   * Poisson loss: the rate exp(η), expected counts per bin); `'logRate'` (Poisson: η);
   * `'states'` (latent x, T × K × N); `'rates'` (latent φ(x)).
   */
  output: z.enum(['data', 'logRate', 'states', 'rates']).default('data'),
  /** Seed of the network noise when the fit has `noise` > 0 (default 0). */
  noiseSeed: z.number().int().default(0),
});
/** Input of {@link predictOptions}. */
export type PredictOptions = z.input<typeof predictOptions>;

/**
 * A fitted ltrRNN (or baseline): the network, its CP factors and decoder, losses, resolved
 * options and provenance. Owns tensors: call {@link LtrFit.dispose}.
 */
export class LtrFit {
  /** `'ltr'`, `'lowRankPerTrial'` or `'static'`. */
  readonly model: 'ltr' | 'lowRankPerTrial' | 'static';
  /** R. */
  readonly rank: number;
  /** N, latent units. */
  readonly latentDim: number;
  /** Factors of the weight tensor; null for `lowRankPerTrial` (its weights are not a CP tensor). */
  readonly factors: LtrFitFactors | null;
  /** The decoder (snapshot). */
  readonly decoder: LtrFitDecoder;
  /** Train/test losses and their history. */
  readonly losses: LtrFitLosses;
  /** Trainable numbers by part (for the baseline comparison). */
  readonly parameters: ParameterCounts;
  /** Resolved options (JSON-safe). */
  readonly options: Record<string, unknown>;
  /** Metadata of the data. */
  readonly metadata: LtrFitMetadata;
  /** Where the fit came from. */
  readonly provenance: Provenance;
  /** @internal */
  readonly network: FitNetwork;
  /** The final training state, for `fitLtrRNN(data, { resumeFrom })` with more iterations (null after fromJSON). */
  readonly checkpoint: unknown;
  private disposed = false;

  /** @internal Use {@link fitLtrRNN} or {@link LtrFit.fromJSON}. */
  constructor(args: { network: FitNetwork; losses: LtrFitLosses; options: Record<string, unknown>; metadata: LtrFitMetadata; provenance: Provenance; checkpoint?: unknown }) {
    const net = args.network;
    this.network = net;
    this.model = net.config.model;
    this.rank = net.config.rank;
    this.latentDim = net.config.latentDim;
    this.losses = args.losses;
    this.options = args.options;
    this.metadata = args.metadata;
    this.provenance = args.provenance;
    this.checkpoint = args.checkpoint ?? null;
    this.parameters = net.parameterCounts();
    net.syncCellTrialFactors();
    const tfs = net.trialFactors();
    if (tfs === null) {
      this.factors = null;
    } else {
      const f = net.cell.factors();
      f.trialFactors.dispose();
      this.factors = { trial: tfs, column: f.columnFactors, row: f.rowFactors };
    }
    const d = net.decoderMatrices();
    this.decoder = { type: net.config.decoder, weight: d.weight, bias: d.bias };
  }

  /**
   * The latent network as a {@link LowTensorRankCell} (trial factors = the observed ones), e.g. for
   * `simulate` or `weightTensor`. For `lowRankPerTrial` its drive comes from the per-trial factors
   * and its own A, B, C are unused. Owned by the fit.
   */
  get cell(): LowTensorRankCell {
    return this.network.cell;
  }

  /** True once disposed. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  private assertLive(): void {
    if (this.disposed) throw new LtrError('invalid-data', 'This LtrFit has been disposed.', { path: 'fit' });
  }

  /**
   * The weight tensor 𝒲 (K × N × N, trial × post × pre) as a rank-R {@link CPTensor} with λ = 1 and
   * factors [C, Â, B̂]; never densified. `trialFactors: 'latent'` uses the smooth factors. The
   * caller owns the result.
   * @throws LtrError `unsupported` for `lowRankPerTrial` (its weights have matrix rank R per trial
   * but no common modes, so they are not a rank-R CP tensor).
   */
  weightTensor(options: { trialFactors?: 'observed' | 'latent' } = {}): CPTensor {
    this.assertLive();
    const which = parseOptions(z.strictObject({ trialFactors: z.enum(['observed', 'latent']).default('observed') }), options).trialFactors;
    if (this.factors === null) {
      throw new LtrError('unsupported', "weightTensor: a 'lowRankPerTrial' fit has independent rank-R weights on every trial, which do not form a rank-R CP tensor. Use model 'ltr' for CP factors.", { path: 'fit.model' });
    }
    const f = this.factors;
    return new CPTensor(tf.ones([this.rank]) as tf.Tensor1D, [tf.clone(f.trial[which]), tf.clone(f.column), tf.clone(f.row)]);
  }

  /**
   * The model's prediction for every bin and trial (T × K × D; see {@link predictOptions} for
   * latent outputs). The caller owns the result.
   */
  predict(options: PredictOptions = {}): tf.Tensor3D {
    this.assertLive();
    const o = parseOptions(predictOptions, options);
    if (o.output === 'logRate' && this.network.config.loss !== 'poisson') {
      throw new LtrError('invalid-option', "options.output 'logRate' is for Poisson fits; this fit used the MSE loss (its prediction is output: 'data').", { path: 'options.output' });
    }
    return tf.tidy(() => {
      const f = this.network.forward(o.noiseSeed);
      switch (o.output) {
        case 'states':
          return f.states;
        case 'rates':
          return f.rates;
        case 'logRate':
          return f.output;
        default:
          return this.network.config.loss === 'poisson' ? (tf.exp(f.output) as tf.Tensor3D) : f.output;
      }
    });
  }

  /** Versioned JSON (async: reads the variables). */
  async toJSON(): Promise<LtrFitJSON> {
    this.assertLive();
    const variables: LtrFitJSON['variables'] = {};
    for (const [name, v] of Object.entries(this.network.allVariables())) variables[name] = { shape: [...v.shape], values: Array.from(await v.data()) };
    return {
      format: 'ltr-rnn/ltr-fit',
      version: 1,
      config: { ...this.network.config, inputSteps: [...this.network.config.inputSteps] },
      metadata: this.metadata,
      options: this.options,
      variables,
      losses: this.losses,
      parameters: this.parameters,
      provenance: this.provenance,
    };
  }

  /**
   * Rebuilds a fit from {@link LtrFit.toJSON} output (or its `JSON.parse`d text).
   * @throws LtrError `invalid-data` naming the bad field.
   */
  static fromJSON(json: unknown): LtrFit {
    const r = ltrFitJSONSchema.safeParse(json);
    if (!r.success) {
      const issue = r.error.issues[0];
      const path = ['json', ...issue.path.map(String)].join('.');
      throw new LtrError('invalid-data', `LtrFit.fromJSON: ${path}: ${issue.message}. Expected the output of LtrFit.toJSON().`, { path });
    }
    const j = r.data;
    const meta = j.metadata as LtrFitMetadata;
    const network = new FitNetwork(j.config, networkMetadata(meta, true));
    try {
      const vars = network.allVariables();
      for (const [name, v] of Object.entries(vars)) {
        const s = j.variables[name];
        const path = `json.variables.${name}`;
        if (s === undefined) throw new LtrError('invalid-data', `${path} is missing: this model has a parameter '${name}' of shape [${v.shape.join(', ')}].`, { path });
        if (s.shape.length !== v.rank || s.shape.some((d, i) => d !== v.shape[i]) || s.values.length !== v.size) {
          throw new LtrError('shape-mismatch', `${path} has shape [${s.shape.join(', ')}] (${s.values.length} values) but the model needs [${v.shape.join(', ')}].`, { path });
        }
      }
      for (const name of Object.keys(j.variables)) {
        if (!(name in vars)) throw new LtrError('invalid-data', `json.variables.${name} is not a parameter of this model.`, { path: `json.variables.${name}` });
      }
      tf.tidy(() => {
        for (const [name, v] of Object.entries(vars)) v.assign(tf.tensor(Float32Array.from(j.variables[name].values), v.shape, 'float32'));
      });
      return new LtrFit({ network, losses: j.losses as LtrFitLosses, options: j.options, metadata: meta, provenance: j.provenance as unknown as Provenance });
    } catch (e) {
      network.dispose();
      throw e;
    }
  }

  /** Releases every tensor (network, factors, decoder snapshot). Safe to call twice. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.factors !== null) {
      this.factors.trial.observed.dispose();
      this.factors.trial.latent.dispose();
      this.factors.column.dispose();
      this.factors.row.dispose();
    }
    this.decoder.weight.dispose();
    this.decoder.bias?.dispose();
    this.network.dispose();
  }
}
