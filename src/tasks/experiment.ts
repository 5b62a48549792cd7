/**
 * `learningExperiment`: the paper's task-trained network, end to end. A full-rank rate RNN is
 * pre-trained on center-out reaching, then keeps learning with plain SGD, one update per trial,
 * through baseline, curl-field and washout epochs while its weights, activity and reach error are
 * recorded. The recorded weights and activity are then analysed the way the paper does: matrix
 * ranks of ΔW, the CP rank profile of the updates × N × N tensor of ΔW, the gradient-descent rank
 * bounds of the setting, and the rank of an ltrRNN fitted to the activity, chosen by
 * cross-validation.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { rng, type Rng } from '../backend/random';
import { ready } from '../backend/use';
import { makeProvenance } from '../cp/result';
import { crossValidateRank, type CrossValidationProgress } from '../fit/cv';
import { gradientDescentRankBounds } from '../rank/bounds';
import { countAbove, rankForVarianceOf, rankThreshold, singularValues } from '../rank/matrix';
import { cpRankProfile } from '../rank/tensor';
import { FullRankCell } from '../rnn/cells';
import { simulate } from '../rnn/simulate';
import { WeightRecorder } from '../train/recorder';
import { train } from '../train/train';
import { LtrError } from '../validate/errors';
import { parseOptions, schemas } from '../validate/options';
import { EXPERIMENT_EPOCHS, type DeltaRank, type EpochSpan, type EpochSummary, type ExperimentCrossValidation, type ExperimentEpoch, type LearningExperimentResult } from './experiment-result';
import { centerOutReach, centerOutReachOptions, type CenterOutReach, type ReachBatch, type ReachTrialSpec } from './reach';

/** The stages of {@link learningExperiment}, in order. */
export const EXPERIMENT_STAGES = ['pretraining', 'learning', 'deltaRanks', 'cpProfile', 'crossValidation'] as const;
/** A stage name. */
export type ExperimentStage = (typeof EXPERIMENT_STAGES)[number];

/** Progress of {@link learningExperiment}: the stage, and work done / total within it. */
export interface ExperimentProgress {
  stage: ExperimentStage;
  done: number;
  total: number;
  message?: string;
}

const cpStage = z.strictObject({
  maxRank: schemas.positiveInt.default(8),
  restarts: schemas.positiveInt.default(2),
  maxIter: schemas.positiveInt.default(200),
});

const cvStage = z.strictObject({
  ranks: z.array(schemas.positiveInt).min(1).default([1, 2, 3, 4, 5, 6]),
  seeds: z.array(schemas.seed).min(1).default([0, 1]),
  iterations: schemas.positiveInt.default(300),
  latentDim: schemas.positiveInt.default(16),
  learningRate: schemas.positive.default(1e-2),
  concurrency: schemas.positiveInt.optional(),
  /** Keep every `binStride`-th time step of the activity for the fit. */
  binStride: schemas.positiveInt.default(3),
});

/**
 * Options of {@link learningExperiment}; every field is optional.
 *
 * | option | default | meaning |
 * |---|---|---|
 * | `neurons` | 100 | N of the full-rank network (the paper: 200) |
 * | `gain` | 0.3 | W₀ ~ N(0, gain²/N): a small initial W, so that what training builds dominates it |
 * | `tau` | 0.1 | time constant τ, seconds (the task's `dt` is the step) |
 * | `task` | {} | options of `centerOutReach` |
 * | `pretrain` | { updates: 600, batchSize: 16, learningRate: 1e-2 } | Adam on the baseline task (every parameter), random delays |
 * | `trials` | { baseline: 50, curl: 100, washout: 100 } | learning trials per epoch |
 * | `curl` | the task's `curl` | curl gain k of the force field in the curl epoch |
 * | `learningRate` | 3e-3 | SGD step of the learning trials (one update per trial); the gradient scales as 1/viscosity of the task's hand |
 * | `learn` | ['recurrent'] | what the learning trials train: W (`'recurrent'`), W_in (`'input'`), the readout (`'output'`) |
 * | `goStep` | the middle of the task's delay range | go cue of the learning trials (fixed, so trials align in time) |
 * | `cp` | { maxRank: 8, restarts: 2, maxIter: 200 } | CP profile of the ΔW tensor, or `false` |
 * | `crossValidation` | { ranks: [1…6], seeds: [0, 1], iterations: 300, latentDim: 16, learningRate: 1e-2, binStride: 3 } | ltrRNN rank selection (one-standard-error rule over the seeds), or `false` |
 * | `seed` | 0 | network, pretraining batches, trial order, analyses |
 */
export const learningExperimentOptions = z.strictObject({
  neurons: schemas.positiveInt.default(100),
  gain: schemas.nonNegative.default(0.3),
  tau: schemas.positive.default(0.1),
  task: centerOutReachOptions.optional(),
  pretrain: z
    .strictObject({
      updates: schemas.positiveInt.default(600),
      batchSize: schemas.positiveInt.default(16),
      learningRate: schemas.positive.default(1e-2),
    })
    .default({ updates: 600, batchSize: 16, learningRate: 1e-2 }),
  trials: z
    .strictObject({
      baseline: schemas.positiveInt.default(50),
      curl: schemas.positiveInt.default(100),
      washout: schemas.positiveInt.default(100),
    })
    .default({ baseline: 50, curl: 100, washout: 100 }),
  curl: z.number().refine(Number.isFinite, 'must be a finite number').optional(),
  learningRate: schemas.positive.default(3e-3),
  learn: z.array(z.enum(['recurrent', 'input', 'output'])).min(1).default(['recurrent']),
  goStep: schemas.positiveInt.optional(),
  cp: z.union([z.literal(false), cpStage]).default(cpStage.parse({})),
  crossValidation: z.union([z.literal(false), cvStage]).default(cvStage.parse({})),
  seed: schemas.seed.default(0),
  onProgress: schemas.callback<(p: ExperimentProgress) => void>().optional(),
  signal: schemas.signal.optional(),
});
/** Input of {@link learningExperimentOptions}. */
export type LearningExperimentOptions = z.input<typeof learningExperimentOptions>;
type Parsed = z.output<typeof learningExperimentOptions>;

/** Window (trials) of the first/last means in {@link LearningExperimentResult.epochSummary}. */
const SUMMARY_WINDOW = 5;

/**
 * Runs the paper's learning experiment (see the module comment and `docs/tasks.md`) and returns
 * plain data: per-trial reach errors by epoch, ΔW matrix ranks, the CP profile of the ΔW tensor,
 * the rank bounds of the setting and the cross-validated ltrRNN rank, plus the recorded activity
 * (T × K × N) and weights ((K + 1) × N × N) as host arrays.
 *
 * @example
 * ```ts
 * const r = await learningExperiment({ neurons: 100, seed: 0 });
 * r.epochSummary;              // reach error at the start / end of each epoch
 * r.cpProfile?.rankFor90;      // CP rank holding 90 % of the ΔW tensor's variance
 * r.crossValidation?.selectedRank;
 * ```
 * @throws LtrError `invalid-option` naming the field, `aborted` when `signal` fires, `diverged`.
 */
export async function learningExperiment(options: LearningExperimentOptions = {}): Promise<LearningExperimentResult> {
  await ready();
  const startedAt = Date.now();
  const o = parseOptions(learningExperimentOptions, options);
  const task = centerOutReach(o.task ?? {});
  const curlGain = o.curl ?? task.options.curl;
  const goStep = o.goStep ?? Math.round((task.options.goRange[0] + task.options.goRange[1]) / 2);
  if (goStep > task.lastGoStep) throw new LtrError('invalid-option', `options.goStep = ${goStep} leaves no time for the reach: the task's latest go step is ${task.lastGoStep}.`, { path: 'options.goStep' });
  if (o.tau < task.dt) throw new LtrError('invalid-option', `options.tau = ${o.tau} must be at least the task's dt = ${task.dt}.`, { path: 'options.tau' });
  const master = rng(o.seed);
  const timings = { pretraining: 0, learning: 0, deltaRanks: 0, cpProfile: 0, crossValidation: 0, total: 0 };
  const progress = (p: ExperimentProgress): void => o.onProgress?.(p);
  const checkAbort = (): void => {
    if (o.signal?.aborted) throw new LtrError('aborted', 'learningExperiment: aborted by the signal.', { path: 'options.signal' });
  };

  const cell = new FullRankCell({ size: o.neurons, inputSize: task.inputSize, outputSize: task.outputSize, tau: o.tau, dt: task.dt, gain: o.gain, activation: 'tanh', seed: master.deriveSeed() });
  let recorder: WeightRecorder | null = null;
  try {
    // 1. Pretraining: Adam on baseline reaches with random targets and delays.
    let t0 = Date.now();
    const pre = await runTrials(cell, task, {
      count: o.pretrain.updates,
      optimizer: 'adam',
      learningRate: o.pretrain.learningRate,
      train: () => true,
      seed: master.deriveSeed(),
      trialsOf: (_i, r) => task.randomTrials(o.pretrain.batchSize, r),
      evaluate: (i) => i === o.pretrain.updates - 1,
      onStep: (i) => progress({ stage: 'pretraining', done: i + 1, total: o.pretrain.updates }),
      signal: o.signal,
    });
    timings.pretraining = Date.now() - t0;
    checkAbort();

    // 2. Learning: SGD, one trial per update, through baseline, curl field and washout.
    t0 = Date.now();
    const epochs = epochSpans(o, curlGain);
    const K = epochs[epochs.length - 1].end;
    const order = trialOrder(K, task.targets, master.fork());
    const epochOfTrial = order.map((_, k) => epochs.find((e) => k >= e.start && k < e.end) as EpochSpan);
    const specs: ReachTrialSpec[] = order.map((target, k) => ({ target, curl: epochOfTrial[k].curl, goStep }));
    recorder = new WeightRecorder(cell, { storage: 'dense', maxElements: (K + 1) * o.neurons * o.neurons });
    await recorder.record();
    const rec = recorder;
    const learn = await runTrials(cell, task, {
      count: K,
      optimizer: 'sgd',
      learningRate: o.learningRate,
      train: (name) => {
        const g = parameterGroup(name);
        return g !== null && o.learn.includes(g);
      },
      seed: master.deriveSeed(),
      trialsOf: (i) => [specs[i]],
      evaluate: () => true,
      keepActivity: true,
      onStep: async (i) => {
        await rec.record();
        progress({ stage: 'learning', done: i + 1, total: K });
      },
      signal: o.signal,
    });
    timings.learning = Date.now() - t0;
    const weights = recorder.toHost();
    recorder.dispose();
    recorder = null;
    checkAbort();

    const trialEpoch = epochOfTrial.map((e) => e.name);
    const trials = {
      epoch: trialEpoch,
      target: order,
      curl: specs.map((s) => s.curl ?? 0),
      reachError: learn.evaluations.map((e) => e.reachError),
      lateralDeviation: learn.evaluations.map((e) => e.lateralDeviation),
      loss: learn.losses,
    };
    const epochSummary: EpochSummary[] = epochs.map((e) => {
      const w = Math.min(SUMMARY_WINDOW, e.end - e.start);
      const mean = (a: number[], from: number): number => a.slice(from, from + w).reduce((s, v) => s + v, 0) / w;
      return { name: e.name, first: mean(trials.reachError, e.start), last: mean(trials.reachError, e.end - w), firstLateral: mean(trials.lateralDeviation, e.start), lastLateral: mean(trials.lateralDeviation, e.end - w), window: w };
    });

    // 3. Matrix ranks of ΔW: over all learning trials, and each epoch's change.
    t0 = Date.now();
    const N = o.neurons;
    const snapshot = (k: number): Float64Array => Float64Array.from(weights.data.subarray(k * N * N, (k + 1) * N * N));
    const deltaRanks: DeltaRank[] = [deltaRank('total', snapshot(0), snapshot(K), N)];
    for (const e of epochs) deltaRanks.push(deltaRank(e.name, snapshot(e.start), snapshot(e.end), N));
    timings.deltaRanks = Date.now() - t0;
    progress({ stage: 'deltaRanks', done: 1, total: 1 });

    // 4. CP profile of the K × N × N tensor of W_k − W_0.
    t0 = Date.now();
    let cpProfile: LearningExperimentResult['cpProfile'] = null;
    if (o.cp !== false) {
      const cpOpts = o.cp;
      const delta = new Float32Array(K * N * N);
      for (let k = 1; k <= K; k++) {
        const base = k * N * N;
        for (let i = 0; i < N * N; i++) delta[(k - 1) * N * N + i] = weights.data[base + i] - weights.data[i];
      }
      const maxRank = Math.min(cpOpts.maxRank, K, N);
      progress({ stage: 'cpProfile', done: 0, total: 1, message: `ranks 1–${maxRank}` });
      const profile = await cpRankProfile({ data: delta, shape: [K, N, N] }, { maxRank, restarts: cpOpts.restarts, maxIter: cpOpts.maxIter, seed: master.deriveSeed(), ...(o.signal !== undefined ? { signal: o.signal } : {}) });
      cpProfile = {
        rows: profile.ranks.map((r) => ({ rank: r.rank, relError: r.relError, explainedVariance: r.explainedVariance, coreConsistency: r.coreConsistency })),
        rankFor90: profile.estimate.byVariance(0.9),
        rankFor95: profile.estimate.byVariance(0.95),
        restarts: cpOpts.restarts,
        maxIter: cpOpts.maxIter,
      };
      progress({ stage: 'cpProfile', done: 1, total: 1 });
    }
    timings.cpProfile = Date.now() - t0;
    checkAbort();

    // 5. The bounds of the setting: SGD, one trial per update, tanh, W₀ full rank, all weights trained.
    const bounds = gradientDescentRankBounds({
      neurons: N,
      inputDim: task.inputSize,
      outputDim: task.outputSize,
      timeSteps: task.steps,
      trialsPerUpdate: 1,
      updates: K,
      activation: 'nonlinear',
      init: o.gain > 0 ? { rank: N } : 'zero',
      optimizer: 'sgd',
      trained: o.learn,
      initialState: 'zero',
      bias: false,
    });

    // 6. An ltrRNN fitted to the recorded activity, its rank chosen by cross-validation.
    t0 = Date.now();
    let crossValidation: ExperimentCrossValidation | null = null;
    const activity = learn.activity as { data: Float32Array; shape: number[] };
    if (o.crossValidation !== false) {
      crossValidation = await crossValidateActivity(activity, o.crossValidation, { trialEpoch, order, goStep, dt: task.dt, seed: master.deriveSeed(), N, signal: o.signal, progress });
    }
    timings.crossValidation = Date.now() - t0;
    timings.total = Date.now() - startedAt;

    const { onProgress: _p, signal: _s, ...plain } = o;
    return {
      format: 'ltr-rnn/learning-experiment',
      version: 1,
      options: { ...plain, curl: curlGain, goStep, task: task.options },
      network: { neurons: N, steps: task.steps, dt: task.dt, tau: o.tau, inputSize: task.inputSize, outputSize: task.outputSize, activation: 'tanh' },
      pretraining: { updates: o.pretrain.updates, batchSize: o.pretrain.batchSize, optimizer: 'adam', learningRate: o.pretrain.learningRate, finalLoss: pre.losses[pre.losses.length - 1], finalReachError: pre.evaluations[pre.evaluations.length - 1]?.reachError ?? Number.NaN, durationMs: timings.pretraining },
      learning: { optimizer: 'sgd', learningRate: o.learningRate, trialsPerUpdate: 1, durationMs: timings.learning },
      epochs,
      trials,
      epochSummary,
      deltaRanks,
      cpProfile,
      bounds,
      crossValidation,
      activity,
      weights: { data: weights.data, shape: weights.shape },
      timings,
      provenance: makeProvenance(o.seed, { ...plain, curl: curlGain, goStep }, startedAt),
    };
  } finally {
    recorder?.dispose();
    cell.dispose();
  }
}

/** The bound spec's name of a cell parameter (`readout.*` = output); null for the bias, which the learning trials keep fixed. */
function parameterGroup(name: string): 'recurrent' | 'input' | 'output' | null {
  if (name === 'recurrent' || name === 'input') return name;
  return name.startsWith('readout.') ? 'output' : null;
}

/** The epochs' trial ranges and curl gains. */
function epochSpans(o: Parsed, curl: number): EpochSpan[] {
  const spans: EpochSpan[] = [];
  let start = 0;
  for (const name of EXPERIMENT_EPOCHS) {
    const n = o.trials[name];
    spans.push({ name, start, end: start + n, curl: name === 'curl' ? curl : 0 });
    start += n;
  }
  return spans;
}

/** Targets in shuffled blocks of all targets, so every target recurs at a steady rate. */
function trialOrder(count: number, targets: number, r: Rng): number[] {
  const out: number[] = [];
  while (out.length < count) out.push(...r.permutation(targets));
  return out.slice(0, count);
}

/** Ranks of ΔW = after − before (N × N, host float64). */
function deltaRank(name: DeltaRank['name'], before: Float64Array, after: Float64Array, n: number): DeltaRank {
  const d = new Float64Array(n * n);
  for (let i = 0; i < d.length; i++) d[i] = after[i] - before[i];
  const m = { rows: n, cols: n, data: d };
  const s = Array.from(singularValues(m));
  // One SVD: the numerical rank is counted from these values (matrixRank would take another).
  return { name, singularValues: s, numericalRank: countAbove(s, rankThreshold(s, n, n, { precision: 'float32' })), rankFor90: s[0] > 0 ? rankForVarianceOf(s, 0.9) : 0, rankFor95: s[0] > 0 ? rankForVarianceOf(s, 0.95) : 0 };
}

interface TrialEvaluation {
  reachError: number;
  lateralDeviation: number;
}

interface RunTrialsOptions {
  count: number;
  optimizer: 'adam' | 'sgd';
  learningRate: number;
  /** Which parameters to train: a name filter on `cell.namedVariables()`. */
  train: (name: string) => boolean;
  seed: number;
  trialsOf: (index: number, r: Rng) => ReachTrialSpec[];
  /** Whether update `index`'s batch is scored (reach error) before its update. */
  evaluate: (index: number) => boolean;
  /** Keep the rates of every (single-trial) batch: T × count × N. */
  keepActivity?: boolean;
  onStep: (index: number) => void | Promise<void>;
  signal?: AbortSignal;
}

/**
 * `count` gradient updates of the cell, update i on the batch `trialsOf(i)`. A batch that is
 * scored is first run forward with the weights before its update (the trial as the network
 * performs it), then the update is taken on the same trials.
 */
async function runTrials(cell: FullRankCell, task: CenterOutReach, o: RunTrialsOptions): Promise<{ losses: number[]; evaluations: TrialEvaluation[]; activity: { data: Float32Array; shape: number[] } | null }> {
  const batchRng = rng(o.seed);
  const N = cell.size;
  const T = task.steps;
  const activity = o.keepActivity ? new Float32Array(T * o.count * N) : null;
  const evaluations: TrialEvaluation[] = [];
  let current: ReachBatch | null = null;
  const prepare = async (i: number): Promise<void> => {
    current = task.batch(o.trialsOf(i, batchRng), batchRng);
    if (!o.evaluate(i)) return;
    const b = current;
    const sim = simulate(cell, { inputs: b.inputs });
    try {
      const ev = await task.evaluate(sim.outputs as tf.Tensor3D, b);
      evaluations.push({ reachError: mean(ev.reachError), lateralDeviation: mean(ev.lateralDeviation) });
      if (activity !== null) {
        const rates = await sim.rates.data(); // T × 1 × N
        for (let t = 0; t < T; t++) activity.set(rates.subarray(t * N, (t + 1) * N), (t * o.count + i) * N);
      }
    } finally {
      sim.dispose();
    }
  };
  try {
    await prepare(0);
    const result = await train({
      variables: Object.fromEntries(Object.entries(cell.namedVariables()).filter(([name, v]) => v.trainable && o.train(name))),
      steps: o.count,
      optimizer: o.optimizer,
      learningRate: o.learningRate,
      seed: o.seed,
      ...(o.signal !== undefined ? { signal: o.signal } : {}),
      loss: () => {
        const b = current as unknown as ReachBatch;
        const sim = simulate(cell, { inputs: b.inputs });
        return task.loss(sim.outputs as tf.Tensor3D, b);
      },
      onStep: async (info) => {
        (current as ReachBatch | null)?.dispose();
        current = null;
        await o.onStep(info.step);
        if (info.step + 1 < o.count) await prepare(info.step + 1);
      },
    });
    const losses = result.history.loss.slice(-o.count);
    return { losses, evaluations, activity: activity === null ? null : { data: activity, shape: [T, o.count, N] } };
  } finally {
    (current as ReachBatch | null)?.dispose();
  }
}

function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
}

/** `crossValidateRank` of an ltrRNN on the recorded activity (time bins subsampled, time 0 = go cue). */
async function crossValidateActivity(
  activity: { data: Float32Array; shape: number[] },
  cv: z.output<typeof cvStage>,
  ctx: { trialEpoch: ExperimentEpoch[]; order: number[]; goStep: number; dt: number; seed: number; N: number; signal?: AbortSignal; progress: (p: ExperimentProgress) => void },
): Promise<ExperimentCrossValidation> {
  const [T, K, N] = activity.shape;
  const bins: number[] = [];
  for (let t = 0; t < T; t += cv.binStride) bins.push(t);
  const data = new Float32Array(bins.length * K * N);
  bins.forEach((t, j) => data.set(activity.data.subarray(t * K * N, (t + 1) * K * N), j * K * N));
  // Time of each bin relative to the go cue: the bins before it carry the condition input.
  const times = bins.map((t) => (t + 1 - ctx.goStep) * ctx.dt);
  const latentDim = Math.min(cv.latentDim, N);
  const ranks = cv.ranks.filter((r) => r <= latentDim);
  const fitOptions = { iterations: cv.iterations, learningRate: cv.learningRate };
  const result = await crossValidateRank(
    { data, shape: [bins.length, K, N] },
    {
      ...fitOptions,
      ranks,
      latentDims: [latentDim],
      seeds: cv.seeds,
      conditions: ctx.order,
      epochs: ctx.trialEpoch,
      times,
      keepFits: 'best',
      ...(cv.concurrency !== undefined ? { concurrency: cv.concurrency } : {}),
      ...(ctx.signal !== undefined ? { signal: ctx.signal } : {}),
      onProgress: (p: CrossValidationProgress) => ctx.progress({ stage: 'crossValidation', done: p.done, total: p.total, message: `rank ${p.rank} seed ${p.seed} step ${p.step}/${p.iterations}` }),
    },
  );
  try {
    const trial = result.best.factors?.trial.observed;
    const trialFactors = trial === undefined ? [] : ((await trial.array()) as number[][]);
    return {
      table: result.table,
      selectedRank: result.selected.rank,
      rule: result.rule.name,
      bestRank: result.rule.bestRank,
      trialFactors,
      options: { ...fitOptions, latentDim, ranks, times: 'go-aligned', conditions: 'target', epochs: 'epoch' },
      seeds: cv.seeds,
      bins: bins.length,
      binStride: cv.binStride,
    };
  } finally {
    result.best.dispose();
    for (const e of result.entries) if (e.fit !== null && e.fit !== result.best) e.fit.dispose();
  }
}
