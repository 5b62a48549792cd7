/**
 * `fitLtrRNN`: fits a low-tensor-rank RNN (or a baseline) to recordings shaped time × trial ×
 * neuron — the paper's Algorithm 1: block cross-validation masks, per-step trial dropout, an
 * activity penalty, Adam, and the reference implementation's early-stopping rule.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { makeProvenance } from '../cp/result';
import { ready } from '../backend/use';
import { blockMask, trialDropoutMask } from '../train/masks';
import { validateMask } from '../train/losses';
import { train, type TrainResult } from '../train/train';
import { LtrError } from '../validate/errors';
import { eigh } from '../linalg/eigh';
import { matrix } from '../linalg/matrix';
import { parseOptions } from '../validate/options';
import { toTensor, type TensorLike } from '../validate/tensor';
import { LtrFit, networkMetadata, type LtrFitLosses, type LtrFitMetadata } from './ltr-fit';
import { FitNetwork, type NetworkConfig } from './network';
import { DEFAULT_BLOCK_MASK, SERIALIZABLE_FIT_KEYS, fitLtrRNNOptions, type FitLtrRNNOptions, type ParsedFitOptions } from './options';

/** Versioned checkpoint of a fit in progress (what `onCheckpoint` receives and `resumeFrom` takes). */
export interface LtrFitCheckpoint {
  format: 'ltr-rnn/fit-checkpoint';
  version: 1;
  model: string;
  rank: number;
  latentDim: number;
  dataShape: number[];
  /** Evaluations so far: step and normalized train loss (the test losses are in `train.history.test`). */
  evaluations: { step: number[]; train: number[] };
  /** The trainer's checkpoint (`ltr-rnn/train-checkpoint`). */
  train: unknown;
}

const fitCheckpointSchema = z.looseObject({
  format: z.literal('ltr-rnn/fit-checkpoint'),
  version: z.literal(1),
  model: z.string(),
  rank: z.number(),
  latentDim: z.number(),
  dataShape: z.array(z.number()),
  evaluations: z.strictObject({ step: z.array(z.number()), train: z.array(z.number()) }),
  train: z.unknown(),
});

/** @internal Data, masks and statistics prepared once (shared by the fits of a cross-validation). */
export interface PreparedData {
  y: tf.Tensor3D;
  train: tf.Tensor3D;
  test: tf.Tensor3D;
  shape: [number, number, number];
  loss: 'mse' | 'poisson';
  /** Training entries per trial, and the training and test entry counts. */
  trainPerTrial: Float64Array;
  trainCount: number;
  testCount: number;
  /** Variance of all data entries (MSE normalizer). */
  variance: number;
  /** Poisson: saturated and null mean NLL on train and test masks. */
  poisson: { train: { sat: number; nul: number }; test: { sat: number; nul: number } } | null;
  /** Initial decoder bias. */
  decoderBias: Float32Array;
  /**
   * Data-driven initialization: principal directions of the training entries (D × D, columns by
   * decreasing variance) and the first bin's mean per condition (conditions × D), both minus the
   * decoder bias; the data are log(1 + y) for the Poisson loss.
   */
  pca: { directions: Float64Array; firstBin: Float64Array } | null;
  metadata: LtrFitMetadata;
  dispose(): void;
}

const INTEGER_DTYPES = new Set(['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'bool']);

/** Whether the user's data come typed as integers (then the `auto` loss is Poisson, as in the reference). */
function isIntegerTyped(data: TensorLike): boolean {
  if (data instanceof tf.Tensor) return data.dtype === 'int32' || data.dtype === 'bool';
  if (typeof data === 'object' && data !== null && !Array.isArray(data) && 'data' in data) {
    const dt = (data as { dtype?: unknown }).dtype;
    if (typeof dt === 'string') return INTEGER_DTYPES.has(dt);
    const d = (data as { data: unknown }).data;
    return d instanceof Int8Array || d instanceof Int16Array || d instanceof Int32Array || d instanceof Uint8Array || d instanceof Uint16Array || d instanceof Uint32Array || d instanceof Uint8ClampedArray;
  }
  return false;
}

/** @internal Validates data, metadata and masks; computes the statistics the losses need. */
export async function prepareData(data: TensorLike, o: ParsedFitOptions): Promise<PreparedData> {
  let y: tf.Tensor3D;
  try {
    y = (await toTensor(data, { name: 'data', rank: 3 })) as tf.Tensor3D;
  } catch (err) {
    if (err instanceof LtrError && err.code === 'invalid-data' && /NaN|Infinity|non-finite/.test(err.message)) {
      throw new LtrError(
        'invalid-data',
        `${err.message} fitLtrRNN needs finite data everywhere: put any finite value (e.g. 0) in the missing entries and leave them out of the fit with options.mask ({ train, test } with 0 at those entries).`,
        { path: err.path || 'data', cause: err },
      );
    }
    throw err;
  }
  const owned: tf.Tensor[] = [y];
  try {
    const [T, K, D] = y.shape;
    if (T < 2) throw new LtrError('shape-mismatch', `data has ${T} time bin(s); the network needs at least 2 (its initial state and one step). data is time × trial × neuron.`, { path: 'data' });
    const host = await y.data();
    const loss: 'mse' | 'poisson' = o.loss === 'auto' ? (isIntegerTyped(data) ? 'poisson' : 'mse') : o.loss;
    if (loss === 'poisson') {
      for (let i = 0; i < host.length; i++) {
        const v = host[i];
        if (!(v >= 0 && Number.isInteger(v))) {
          throw new LtrError('invalid-data', `data[${i}] = ${v}: the Poisson loss needs spike counts (non-negative integers). Use loss: 'mse' for rates or z-scored data.`, { path: 'data' });
        }
      }
    }

    // ---- metadata
    const lengthCheck = (name: string, arr: ArrayLike<unknown> | undefined, want: number, axis: string): void => {
      if (arr !== undefined && arr.length !== want) {
        throw new LtrError('shape-mismatch', `options.${name} has ${arr.length} entries but the data have ${want} ${axis}; give one entry per ${axis === 'trials (axis 1)' ? 'trial' : 'time bin'}.`, { path: `options.${name}` });
      }
    };
    lengthCheck('conditions', o.conditions, K, 'trials (axis 1)');
    lengthCheck('trialIds', o.trialIds, K, 'trials (axis 1)');
    lengthCheck('epochs', o.epochs, K, 'trials (axis 1)');
    lengthCheck('times', o.times, T, 'time bins (axis 0)');
    const conditions: number[] = [];
    for (let k = 0; k < K; k++) {
      const c = o.conditions === undefined ? 0 : o.conditions[k];
      if (!Number.isInteger(c)) throw new LtrError('invalid-option', `options.conditions[${k}] = ${c} is not an integer condition id.`, { path: `options.conditions[${k}]` });
      conditions.push(c);
    }
    const conditionLabels = [...new Set(conditions)].sort((a, b) => a - b);
    const trialIds: number[] = [];
    for (let k = 0; k < K; k++) {
      const t = o.trialIds === undefined ? k : o.trialIds[k];
      if (typeof t !== 'number' || !Number.isFinite(t)) throw new LtrError('invalid-option', `options.trialIds[${k}] = ${t} is not a finite number.`, { path: `options.trialIds[${k}]` });
      trialIds.push(t);
    }
    let epochs: (number | string)[] | null = null;
    if (o.epochs !== undefined) {
      epochs = [];
      for (let k = 0; k < K; k++) {
        const e = o.epochs[k];
        if (!(typeof e === 'string' || (typeof e === 'number' && Number.isFinite(e)))) throw new LtrError('invalid-option', `options.epochs[${k}] must be a number or a string label.`, { path: `options.epochs[${k}]` });
        epochs.push(e);
      }
    }
    if (o.discontinuousAtEpochs && epochs === null) {
      throw new LtrError('invalid-option', 'options.discontinuousAtEpochs needs options.epochs (one label per trial) to know where the epochs change.', { path: 'options.discontinuousAtEpochs' });
    }
    let times: number[] | null = null;
    let preparatoryBins = 0;
    if (o.times !== undefined) {
      times = [];
      for (let t = 0; t < T; t++) {
        const v = o.times[t];
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new LtrError('invalid-option', `options.times[${t}] = ${v} is not a finite number.`, { path: `options.times[${t}]` });
        times.push(v);
      }
      while (preparatoryBins < T && times[preparatoryBins] < 0) preparatoryBins++;
      for (let t = preparatoryBins; t < T; t++) {
        if (times[t] < 0) throw new LtrError('invalid-option', `options.times[${t}] = ${times[t]} is negative after a non-negative time: the preparatory bins (time < 0) must come first.`, { path: `options.times[${t}]` });
      }
    }

    // ---- masks
    let trainMask: tf.Tensor3D;
    let testMask: tf.Tensor3D;
    if (o.mask !== undefined) {
      trainMask = (await toTensor(o.mask.train, { name: 'options.mask.train', rank: 3 })) as tf.Tensor3D;
      owned.push(trainMask);
      testMask = (await toTensor(o.mask.test, { name: 'options.mask.test', rank: 3 })) as tf.Tensor3D;
      owned.push(testMask);
      for (const [m, name] of [[trainMask, 'options.mask.train'], [testMask, 'options.mask.test']] as const) {
        if (m.shape.some((d, i) => d !== y.shape[i])) {
          throw new LtrError('shape-mismatch', `${name} has shape [${m.shape.join(', ')}] but data has shape [${y.shape.join(', ')}]; a mask has the data's shape (1 = use the entry, 0 = leave it out).`, { path: name });
        }
      }
    } else {
      const bm = blockMask([T, K, D], { ...DEFAULT_BLOCK_MASK, trainHalfBlock: [...DEFAULT_BLOCK_MASK.trainHalfBlock], testHalfBlock: [...DEFAULT_BLOCK_MASK.testHalfBlock], ...(o.blockMask ?? {}) });
      trainMask = tf.tensor3d(bm.train.data, [T, K, D]);
      owned.push(trainMask);
      testMask = tf.tensor3d(bm.test.data, [T, K, D]);
      owned.push(testMask);
    }
    if (!o.fitPreparatory && preparatoryBins > 0) {
      if (preparatoryBins >= T) throw new LtrError('invalid-option', 'options.times are all negative: every bin is preparatory, so nothing is left to fit. Set fitPreparatory: true or give times ≥ 0 for the bins after the go cue.', { path: 'options.times' });
      const keep = tf.tensor3d(Float32Array.from({ length: T }, (_, t) => (t < preparatoryBins ? 0 : 1)), [T, 1, 1]);
      const tr = tf.mul(trainMask, keep) as tf.Tensor3D;
      const te = tf.mul(testMask, keep) as tf.Tensor3D;
      keep.dispose();
      owned.push(tr, te);
      trainMask = tr;
      testMask = te;
    }
    await validateMask(trainMask, { shape: [T, K, D], name: 'options.mask.train' });
    try {
      await validateMask(testMask, { shape: [T, K, D], name: 'options.mask.test' });
    } catch (err) {
      if (err instanceof LtrError && err.code === 'invalid-data' && /all zero/.test(err.message)) {
        throw new LtrError('invalid-data', `The test set is empty (options.mask.test has no 1 among the fitted bins${preparatoryBins > 0 && !o.fitPreparatory ? `; the ${preparatoryBins} preparatory bins are not fitted` : ''}). The test loss drives early stopping and rank selection: give test entries, or raise blockMask.fractionTest.`, { path: 'options.mask.test', cause: err });
      }
      throw err;
    }
    const mTrain = await trainMask.data();
    const mTest = await testMask.data();
    const trainPerTrial = new Float64Array(K);
    let trainCount = 0;
    let testCount = 0;
    for (let i = 0; i < mTrain.length; i++) {
      trainPerTrial[Math.floor(i / D) % K] += mTrain[i];
      trainCount += mTrain[i];
      testCount += mTest[i];
    }

    // ---- statistics
    let mean = 0;
    for (let i = 0; i < host.length; i++) mean += host[i];
    mean /= host.length;
    let variance = 0;
    for (let i = 0; i < host.length; i++) variance += (host[i] - mean) ** 2;
    variance /= host.length;
    if (!(variance > 0)) throw new LtrError('invalid-data', 'data are constant (zero variance): there is nothing to fit.', { path: 'data' });
    const neuronMean = new Float64Array(D);
    const neuronCount = new Float64Array(D);
    for (let i = 0; i < host.length; i++) {
      if (mTrain[i] > 0) {
        neuronMean[i % D] += host[i];
        neuronCount[i % D] += 1;
      }
    }
    for (let d = 0; d < D; d++) neuronMean[d] = neuronCount[d] > 0 ? neuronMean[d] / neuronCount[d] : mean;
    let poisson: PreparedData['poisson'] = null;
    const decoderBias = new Float32Array(D);
    if (loss === 'poisson') {
      const floor = 1e-3;
      for (let d = 0; d < D; d++) decoderBias[d] = Math.log(Math.max(neuronMean[d], floor));
      const stats = (mask: ArrayLike<number>): { sat: number; nul: number } => {
        let sat = 0;
        let nul = 0;
        let n = 0;
        for (let i = 0; i < host.length; i++) {
          if (!(mask[i] > 0)) continue;
          const v = host[i];
          const mu = Math.max(neuronMean[i % D], floor);
          sat += v > 0 ? v - v * Math.log(v) : 0;
          nul += mu - v * Math.log(mu);
          n++;
        }
        return { sat: sat / n, nul: nul / n };
      };
      poisson = { train: stats(mTrain), test: stats(mTest) };
    } else {
      for (let d = 0; d < D; d++) decoderBias[d] = neuronMean[d];
    }
    let pca: PreparedData['pca'] = null;
    if (o.init === 'data') {
      // Training entries only (the others are imputed by the neuron's mean), centred per neuron.
      const rows = T * K;
      const centred = new Float64Array(rows * D);
      const colMean = new Float64Array(D);
      const tr = (v: number): number => (loss === 'poisson' ? Math.log1p(v) : v);
      const count = new Float64Array(D);
      for (let i = 0; i < host.length; i++) {
        if (mTrain[i] > 0) {
          colMean[i % D] += tr(host[i]);
          count[i % D]++;
        }
      }
      for (let d = 0; d < D; d++) colMean[d] = count[d] > 0 ? colMean[d] / count[d] : 0;
      for (let i = 0; i < host.length; i++) centred[i] = mTrain[i] > 0 ? tr(host[i]) - colMean[i % D] : 0;
      const cov = new Float64Array(D * D);
      for (let r = 0; r < rows; r++) {
        const off = r * D;
        for (let a = 0; a < D; a++) {
          const va = centred[off + a];
          if (va === 0) continue;
          for (let b = a; b < D; b++) cov[a * D + b] += va * centred[off + b];
        }
      }
      for (let a = 0; a < D; a++) for (let b = 0; b < a; b++) cov[a * D + b] = cov[b * D + a];
      const { vectors } = eigh(matrix(D, D, cov));
      const nc = conditionLabels.length;
      const firstBin = new Float64Array(nc * D);
      const firstCount = new Float64Array(nc * D);
      const labelIndex = new Map(conditionLabels.map((c, i) => [c, i]));
      for (let k = 0; k < K; k++) {
        const c = labelIndex.get(conditions[k]) as number;
        for (let d = 0; d < D; d++) {
          firstBin[c * D + d] += centred[k * D + d];
          firstCount[c * D + d] += mTrain[k * D + d] > 0 ? 1 : 0;
        }
      }
      for (let i = 0; i < nc * D; i++) firstBin[i] = firstCount[i] > 0 ? firstBin[i] / firstCount[i] : 0;
      pca = { directions: vectors.data, firstBin };
    }
    const metadata: LtrFitMetadata = { dataShape: [T, K, D], conditions, conditionLabels, trialIds, epochs, times, preparatoryBins };
    const toDispose = owned.slice();
    owned.length = 0;
    return {
      y,
      train: trainMask,
      test: testMask,
      shape: [T, K, D],
      loss,
      trainPerTrial,
      trainCount,
      testCount,
      variance,
      poisson,
      decoderBias,
      pca,
      metadata,
      dispose() {
        for (const t of toDispose) if (!t.isDisposed) t.dispose();
      },
    };
  } catch (e) {
    for (const t of owned) if (!t.isDisposed) t.dispose();
    throw e;
  }
}

/** @internal Resolves the network architecture from options and data. */
export function resolveConfig(o: ParsedFitOptions, p: PreparedData): NetworkConfig {
  const [T, K, D] = p.shape;
  const latentDim = o.latentDim ?? Math.min(200, D);
  if (o.rank > latentDim) {
    throw new LtrError('invalid-option', `options.rank = ${o.rank} is larger than latentDim = ${latentDim}${o.latentDim === undefined ? ' (the default, min(200, neurons))' : ''}: the R modes live in the N-dimensional latent space, so rank ≤ latentDim.`, { path: 'options.rank' });
  }
  if (o.decoder === 'orthogonal' && latentDim > D) {
    throw new LtrError(
      'invalid-option',
      `options.latentDim = ${latentDim} exceeds the number of recorded neurons (${D}) with decoder 'orthogonal'. The orthogonal decoder maps the N latent units to D neurons with orthonormal columns, which needs N ≤ D (with N > D it would discard latent directions, leaving them unconstrained by the data). Use latentDim ≤ ${D}, or decoder: 'linear'.`,
      { path: 'options.latentDim' },
    );
  }
  const prep = p.metadata.preparatoryBins;
  // As in the reference, `duration` spans the bins from the go cue (time ≥ 0) to the end; the
  // preparatory bins before it are simulated with the same step.
  const spanned = T - prep >= 2 ? T - prep - 1 : T - 1;
  const dt = o.duration / spanned;
  if (dt > o.tau) {
    throw new LtrError('invalid-option', `options.duration = ${o.duration} over ${spanned} steps gives dt = ${dt.toPrecision(3)} > tau = ${o.tau}: the Euler steps would oscillate. Lower duration (dt = duration / (bins after the go cue − 1)) or raise tau.`, { path: 'options.duration' });
  }
  let window = o.inputWindow;
  if (window === 'auto') window = prep > 0 ? 'preparatory' : 'none';
  if (window === 'preparatory' && prep === 0) {
    throw new LtrError('invalid-option', "options.inputWindow is 'preparatory' but no time bin is preparatory: give options.times with negative times for the bins before the go cue, or use inputWindow 'all' or 'none'.", { path: 'options.inputWindow' });
  }
  const inputSteps: number[] = [];
  if (window === 'preparatory') for (let s = 0; s < Math.min(prep, T - 1); s++) inputSteps.push(s);
  if (window === 'all') for (let s = 0; s < T - 1; s++) inputSteps.push(s);
  const inputDim = inputSteps.length === 0 ? 0 : (o.inputDim ?? o.rank);
  if (inputDim > 0 && o.inputInSpan && o.inputDim !== undefined && o.inputDim > o.rank) {
    // W_in = Â G is fine for any d; nothing to refuse — the span has dimension R whatever d is.
  }
  return {
    model: o.model,
    rank: o.rank,
    latentDim,
    neurons: D,
    bins: T,
    trials: K,
    conditions: p.metadata.conditionLabels.length,
    tau: o.tau,
    dt,
    activation: o.activation,
    noise: o.noise,
    bias: o.bias,
    method: o.method,
    decoder: o.decoder,
    decoderBias: o.decoderBias,
    decoderScale: o.decoderScale,
    kernel: o.kernel,
    lengthScale: o.lengthScale,
    sigma: o.sigma,
    alpha: o.alpha,
    sigmaObservation: o.sigmaObservation,
    discontinuousAtEpochs: o.discontinuousAtEpochs,
    inputDim,
    inputInSpan: o.inputInSpan,
    inputSteps,
    basisSize: Math.max(1, Math.min(o.inputBasisSize, inputSteps.length)),
    initialStateScale: o.initialStateScale,
    loss: p.loss,
    seed: o.seed,
  };
}

/** @internal The resolved options as plain JSON (what provenance, JSON and workers carry). */
export function serializableOptions(o: ParsedFitOptions, config: NetworkConfig | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of SERIALIZABLE_FIT_KEYS) {
    const v = o[k];
    if (v !== undefined && typeof v !== 'function') out[k] = v;
  }
  if (config !== null) {
    out.latentDim = config.latentDim;
    out.loss = config.loss;
    out.inputDim = config.inputDim;
    out.inputWindow = config.inputSteps.length === 0 ? 'none' : o.inputWindow === 'auto' ? 'preparatory' : o.inputWindow;
  }
  out.blockMask = o.mask !== undefined ? 'given (options.mask)' : { ...DEFAULT_BLOCK_MASK, trainHalfBlock: [...DEFAULT_BLOCK_MASK.trainHalfBlock], testHalfBlock: [...DEFAULT_BLOCK_MASK.testHalfBlock], ...(o.blockMask ?? {}) };
  return out;
}

/**
 * Fits a low-tensor-rank RNN to `data` (time × trial × neuron): firing rates or z-scored
 * activity (MSE), or spike counts (Poisson NLL; chosen automatically for integer-typed data).
 *
 * The network is a `LowTensorRankCell` of rank R and N latent units (τ ẋ = −x + W⁽ᵏ⁾ tanh(x)
 * + W_in u_c(t) + b, W⁽ᵏ⁾ = Â diag(c_k) B̂ᵀ) started from a learned state per condition, driven
 * by learned condition-specific inputs on a temporal basis, and read out to the D neurons by an
 * orthogonal (or linear) decoder. Its trial factors carry a Gaussian-process smoothness prior:
 * C = L Z + β with L the Cholesky factor of a rational-quadratic kernel over `trialIds`
 * (+ σ_obs² I), optionally block-diagonal over `epochs`. Training minimizes the masked loss on the
 * training entries with a fraction of trials dropped each step, plus an activity penalty, with
 * Adam; it stops when the standard deviation of the last `window` normalized test losses falls
 * below `minStd` (the reference implementation's rule) or after `iterations`.
 *
 * `model: 'lowRankPerTrial' | 'static'` fits the paper's baselines on the same data and mask.
 *
 * On abort (`signal`), the state reached is passed to `onCheckpoint` (when given) and
 * `LtrError('aborted')` is thrown; `resumeFrom` continues it.
 *
 * @example
 * ```ts
 * const fit = await fitLtrRNN(x, { rank: 3, latentDim: 30, conditions, epochs, discontinuousAtEpochs: true });
 * console.log(fit.losses.test, fit.parameters.total);
 * const trial = await fit.factors!.trial.observed.array();   // K × R gains over learning
 * fit.dispose();
 * ```
 * @throws LtrError `invalid-option` / `shape-mismatch` / `invalid-data` naming the field (NaN in the
 * data, metadata of the wrong length, latentDim < rank, an orthogonal decoder with more latent units
 * than neurons, a mask of the wrong shape, an empty test set), `diverged`, `aborted`.
 */
export async function fitLtrRNN(data: TensorLike, options: FitLtrRNNOptions = {}): Promise<LtrFit> {
  await ready();
  const startedAt = Date.now();
  const o = parseOptions(fitLtrRNNOptions, options);
  const p = await prepareData(data, o);
  try {
    return await fitPrepared(p, o, startedAt);
  } finally {
    p.dispose();
  }
}

/** @internal Fits on prepared data (used by fitLtrRNN and crossValidateRank). */
export async function fitPrepared(p: PreparedData, o: ParsedFitOptions, startedAt: number): Promise<LtrFit> {
  const config = resolveConfig(o, p);
  const [T, K, D] = p.shape;
  let resume: LtrFitCheckpoint | null = null;
  if (o.resumeFrom !== undefined) {
    const r = fitCheckpointSchema.safeParse(o.resumeFrom);
    if (!r.success) {
      const issue = r.error.issues[0];
      const path = ['options.resumeFrom', ...issue.path.map(String)].join('.');
      throw new LtrError('invalid-data', `${path}: ${issue.message}. Expected a checkpoint passed to onCheckpoint by fitLtrRNN (format 'ltr-rnn/fit-checkpoint').`, { path });
    }
    resume = r.data as LtrFitCheckpoint;
    const want = { model: config.model, rank: config.rank, latentDim: config.latentDim };
    for (const [k, v] of Object.entries(want)) {
      if ((resume as unknown as Record<string, unknown>)[k] !== v) {
        throw new LtrError('invalid-option', `options.resumeFrom was written by a fit with ${k} = ${String((resume as unknown as Record<string, unknown>)[k])}, but these options give ${k} = ${String(v)}; resume with the same options.`, { path: `options.${k}` });
      }
    }
    if (resume.dataShape.length !== 3 || resume.dataShape.some((d, i) => d !== p.shape[i])) {
      throw new LtrError('shape-mismatch', `options.resumeFrom was written for data of shape [${resume.dataShape.join(', ')}], these data have [${p.shape.join(', ')}].`, { path: 'options.resumeFrom.dataShape' });
    }
  }

  const network = new FitNetwork(config, networkMetadata(p.metadata, config.discontinuousAtEpochs), { decoderBias: p.decoderBias, ...dataInit(p, config) });
  const stash: { test: tf.Scalar | null; train: tf.Scalar | null } = { test: null, train: null };
  const clearStash = (): void => {
    stash.test?.dispose();
    stash.train?.dispose();
    stash.test = null;
    stash.train = null;
  };
  try {
    const variance = p.variance;
    const poisson = p.poisson;
    // Losses from per-trial masked sums: the trial-dropout mask then enters as a K-vector, and the
    // entry counts are host numbers (the masks are constant).
    const perEntry = (out: tf.Tensor3D): tf.Tensor3D =>
      tf.tidy(() => {
        if (config.loss === 'mse') return tf.squaredDifference(out, p.y) as tf.Tensor3D;
        // Poisson NLL with log link, exp continued linearly above 30 (as train's poissonNll).
        const c = 30;
        const rate = tf.add(tf.exp(tf.minimum(out, c)), tf.mul(Math.exp(c), tf.relu(tf.sub(out, c))));
        return tf.sub(rate, tf.mul(p.y, out)) as tf.Tensor3D;
      });
    const trainPerTrial = (e: tf.Tensor3D): tf.Tensor1D => tf.sum(tf.mul(e, p.train), [0, 2]) as tf.Tensor1D;
    const testMean = (e: tf.Tensor3D): tf.Scalar => tf.div(tf.sum(tf.mul(e, p.test)), p.testCount) as tf.Scalar;
    const normalized = (value: tf.Scalar, which: 'train' | 'test'): tf.Scalar =>
      tf.tidy(() => {
        if (poisson === null) return tf.div(value, variance) as tf.Scalar;
        const s = poisson[which];
        return tf.div(tf.sub(value, s.sat), s.nul - s.sat) as tf.Scalar;
      });
    const evaluate = (out: tf.Tensor3D): tf.Tensor1D =>
      tf.tidy(() => {
        const e = perEntry(out);
        return tf.stack([normalized(tf.div(tf.sum(trainPerTrial(e)), p.trainCount) as tf.Scalar, 'train'), normalized(testMean(e), 'test')]) as tf.Tensor1D;
      });
    const penalty = (x: tf.Tensor3D, keep: tf.Tensor1D, kept: number): tf.Scalar =>
      tf.tidy(() => {
        const f = o.regularizationFunction === 'abs' ? tf.abs(x) : tf.square(x);
        return tf.div(tf.sum(tf.mul(tf.sum(f, [0, 2]), keep)), kept * x.shape[0] * x.shape[2]) as tf.Scalar;
      });

    const conditionIndex = networkMetadata(p.metadata, false).conditionIndex;
    const keptPerCondition = (keep: Float32Array): Float32Array => {
      const out = new Float32Array(config.conditions);
      for (let k = 0; k < K; k++) out[conditionIndex[k]] += keep[k];
      return out;
    };
    const evaluations: { step: number[]; train: number[] } = resume !== null ? { step: [...resume.evaluations.step], train: [...resume.evaluations.train] } : { step: [], train: [] };
    const wrap = (c: unknown): LtrFitCheckpoint => ({
      format: 'ltr-rnn/fit-checkpoint',
      version: 1,
      model: config.model,
      rank: config.rank,
      latentDim: config.latentDim,
      dataShape: [T, K, D],
      evaluations: { step: [...evaluations.step], train: [...evaluations.train] },
      train: c,
    });

    const result: TrainResult = await train({
      variables: network.trainableVariables(),
      loss: (ctx) => {
        clearStash();
        const keepHost = trialDropoutMask(K, o.fractionMasked, ctx.rng);
        const noiseSeed = config.noise > 0 ? ctx.rng.deriveSeed() : 0;
        let kept = 0;
        for (let k = 0; k < K; k++) kept += keepHost[k];
        const f = network.forward(noiseSeed);
        const keep = tf.tensor1d(keepHost);
        let keptCount = 0;
        for (let k = 0; k < K; k++) keptCount += keepHost[k] * p.trainPerTrial[k];
        const e = perEntry(f.output);
        const perTrial = trainPerTrial(e);
        // Trial dropout: the kept trials' training entries (all of them, should the kept trials hold none).
        let loss: tf.Scalar = keptCount > 0 ? (tf.div(tf.sum(tf.mul(perTrial, keep)), keptCount) as tf.Scalar) : (tf.div(tf.sum(perTrial), p.trainCount) as tf.Scalar);
        // The MSE enters the objective divided by the data variance, so that `regularization` means
        // the same whatever the data's scale (for z-scored data, as in the reference, it is ≈ 1).
        if (config.loss === 'mse') loss = tf.div(loss, variance) as tf.Scalar;
        if (o.regularization > 0) {
          let pen = penalty(f.states, keep, kept);
          const inputPen = network.inputPenalty(keptPerCondition(keepHost), kept, o.regularizationFunction);
          if (inputPen !== null) pen = tf.add(pen, inputPen);
          loss = tf.add(loss, tf.mul(pen, o.regularization));
        }
        if (ctx.step % o.evalEvery === 0) {
          stash.test = tf.keep(normalized(testMean(e), 'test'));
          stash.train = tf.keep(normalized(tf.div(tf.sum(perTrial), p.trainCount) as tf.Scalar, 'train'));
        }
        return loss;
      },
      testLoss: () => {
        if (stash.test !== null) {
          const t = stash.test;
          stash.test = null;
          return t;
        }
        return tf.tidy(() => normalized(testMean(perEntry(network.forward(0).output)), 'test'));
      },
      evalEvery: o.evalEvery,
      steps: o.iterations,
      optimizer: 'adam',
      learningRate: o.learningRate,
      schedule: o.schedule,
      ...(o.clipNorm !== undefined ? { clipNorm: o.clipNorm } : {}),
      seed: o.seed,
      ...(o.earlyStopping !== false ? { earlyStopping: { monitor: 'test' as const, window: o.earlyStopping.window, minStd: o.earlyStopping.minStd } } : {}),
      onStep: async (info) => {
        await network.retractDecoder();
        if (stash.train !== null) {
          const v = (await stash.train.data())[0];
          stash.train.dispose();
          stash.train = null;
          evaluations.step.push(info.step);
          evaluations.train.push(v);
        }
      },
      ...(o.onProgress !== undefined ? { onProgress: (q: { step: number; total: number; loss: number; testLoss: number | null; etaSeconds: number }) => o.onProgress!({ step: q.step, total: q.total, objective: q.loss, testLoss: q.testLoss, etaSeconds: q.etaSeconds }) } : {}),
      ...(o.signal !== undefined ? { signal: o.signal } : {}),
      ...(resume !== null ? { resumeFrom: resume.train } : {}),
      checkpoint: true,
      ...(o.checkpointEvery !== undefined ? { checkpointEvery: o.checkpointEvery, onCheckpoint: async (c: unknown) => o.onCheckpoint!(wrap(c)) } : {}),
    });
    if (stash.train !== null && result.stoppedBy !== 'aborted') {
      // The step training stopped at was evaluated but not taken (no onStep): keep its train loss.
      const last = result.history.test[result.history.test.length - 1];
      const v = (await stash.train.data())[0];
      if (last !== undefined && !evaluations.step.includes(last.step)) {
        evaluations.step.push(last.step);
        evaluations.train.push(v);
      }
    }
    clearStash();
    if (result.stoppedBy === 'aborted') {
      if (o.onCheckpoint !== undefined) await o.onCheckpoint(wrap(result.checkpoint));
      throw new LtrError('aborted', `fitLtrRNN was aborted through options.signal after ${result.steps} steps${o.onCheckpoint !== undefined ? '; the state was passed to onCheckpoint (continue with resumeFrom)' : ''}.`, { path: 'options.signal' });
    }

    // ---- final evaluation at the parameters training stopped at
    const finalLosses = tf.tidy(() => evaluate(network.forward(0).output));
    const fl = await finalLosses.data();
    finalLosses.dispose();
    const testHist = result.history.test;
    const windowSize = o.earlyStopping !== false ? o.earlyStopping.window : testHist.length;
    const lastTests = testHist.slice(-Math.max(1, windowSize)).map((r) => r.loss);
    const history = alignHistory(evaluations, testHist);
    const losses: LtrFitLosses = {
      kind: config.loss,
      train: fl[0],
      test: fl[1],
      testWindowMean: lastTests.length > 0 ? lastTests.reduce((a, b) => a + b, 0) / lastTests.length : fl[1],
      dataVariance: variance,
      history,
      objective: [...result.history.loss],
      iterations: result.steps,
      stoppedBy: result.stoppedBy,
    };
    const opts = serializableOptions(o, config);
    const provenance = makeProvenance(o.seed, opts, startedAt);
    const fit = new LtrFit({ network, losses, options: opts, metadata: p.metadata, provenance, checkpoint: wrap(result.checkpoint) });
    return fit;
  } catch (e) {
    clearStash();
    network.dispose();
    throw e;
  }
}

/**
 * Data-driven starting point: the decoder's columns span the top-N principal directions of the
 * training entries (N ≤ D; the linear decoder with N > D keeps its random start), and each
 * condition's initial state is the latent state whose rates decode to that condition's mean first
 * bin (rates clipped to ±0.9 before the inverse activation).
 */
function dataInit(p: PreparedData, c: NetworkConfig): { decoderWeight?: Float32Array; initialStates?: Float32Array } {
  if (p.pca === null || c.latentDim > c.neurons) return {};
  const { neurons: d, latentDim: n, conditions: nc } = c;
  const w = new Float32Array(d * n);
  for (let i = 0; i < d; i++) for (let j = 0; j < n; j++) w[i * n + j] = p.pca.directions[i * d + j];
  const inverse = (r: number): number => {
    const v = Math.max(-0.9, Math.min(0.9, r));
    switch (c.activation) {
      case 'tanh':
        return Math.atanh(v);
      case 'relu':
      case 'identity':
        return v;
      case 'softplus':
        return Math.log(Math.expm1(Math.max(v, 1e-3)));
    }
  };
  const x0 = new Float32Array(nc * n);
  for (let k = 0; k < nc; k++) {
    for (let j = 0; j < n; j++) {
      let r = 0;
      for (let i = 0; i < d; i++) r += w[i * n + j] * p.pca.firstBin[k * d + i];
      x0[k * n + j] = inverse(r);
    }
  }
  return { decoderWeight: w, initialStates: x0 };
}

/** Pairs the train evaluations with the trainer's test history by step. */
function alignHistory(ev: { step: number[]; train: number[] }, test: { step: number; loss: number }[]): { step: number[]; train: number[]; test: number[] } {
  const trainAt = new Map(ev.step.map((s, i) => [s, ev.train[i]]));
  const out = { step: [] as number[], train: [] as number[], test: [] as number[] };
  for (const r of test) {
    out.step.push(r.step);
    out.train.push(trainAt.get(r.step) ?? Number.NaN);
    out.test.push(r.loss);
  }
  return out;
}
