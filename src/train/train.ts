/**
 * `train`: the library's gradient-descent loop. One step = loss and gradients with
 * `tf.variableGrads`, one host read of the loss and the global gradient norm (divergence check and
 * clipping), an optimizer update; optionally a test loss, early stopping, progress, abort and
 * checkpoints. Every random choice of a step comes from a generator forked from the run's seed, and
 * the learning rate is a function of the step, so a run resumed from a checkpoint repeats an
 * uninterrupted one bit for bit on the same backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { Rng, rng } from '../backend/random';
import { eventLoopTurns } from '../backend/macrotask';
import { ready } from '../backend/use';
import { LtrError } from '../validate/errors';
import { parseOptions, schemas } from '../validate/options';
import { parseCheckpoint, tensorToJSON, type EarlyStoppingState, type TensorJSON, type TrainCheckpoint, type TrainHistory } from './checkpoint';
import { BuiltinOptimizer, CustomOptimizer, OPTIMIZER_NAMES, isTfOptimizer, type GradEntry, type OptimizerName, type StepOptimizer } from './optimizers';
import { learningRateAt, scheduleSchema } from './schedule';

/** What the `loss` callback receives each step. */
export interface StepContext {
  /** 0-based step: the parameters have had `step` updates. */
  step: number;
  /**
   * This step's generator, forked from the run's seed: draw dropout masks and noise from it (e.g.
   * `trialDropoutMask(K, 0.1, ctx.rng)`), and a resumed run draws the same values.
   */
  rng: Rng;
  /** The learning rate this step's update will use. */
  learningRate: number;
}

/** What the `testLoss` callback receives. */
export interface EvalContext {
  /** 0-based step being evaluated (the parameters have had `step` updates). */
  step: number;
}

/** The training objective: a scalar tensor built from the variables (synchronous tfjs ops). */
export type LossFn = (ctx: StepContext) => tf.Tensor;
/** A held-out loss, evaluated every `evalEvery` steps without gradients. */
export type TestLossFn = (ctx: EvalContext) => tf.Tensor;

/** Passed to `onStep` after each update. */
export interface StepInfo {
  /** 0-based step just taken. */
  step: number;
  /** Training loss at the parameters before the update. */
  loss: number;
  /** Test loss at the same parameters, when evaluated this step, else null. */
  testLoss: number | null;
  learningRate: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** True when the gradient was clipped to `clipNorm`. */
  clipped: boolean;
}

/** Passed to `onProgress` after each step. */
export interface TrainProgress {
  /** Steps completed (updates applied). */
  step: number;
  /** `steps` of the run. */
  total: number;
  loss: number;
  /** Latest test loss, or null before the first evaluation. */
  testLoss: number | null;
  /** Estimated seconds to finish all `steps`, from this call's mean step time. */
  etaSeconds: number;
}

/** Why training ended. */
export type StopReason = 'steps' | 'min-std' | 'patience' | 'aborted';

/** Output of {@link train}. */
export interface TrainResult {
  /** Per-step record (see {@link TrainHistory}), resumed runs included. */
  history: TrainHistory;
  /** Updates applied in total (the parameters' step count). */
  steps: number;
  stoppedBy: StopReason;
  /** Training loss of the last step taken (before its update), or null when no step ran. */
  finalLoss: number | null;
  /** Best monitored early-stopping value and its step (null without early stopping). */
  best: { loss: number; step: number } | null;
  /** True when the best parameters were restored (`restoreBest` with a patience stop). */
  restoredBest: boolean;
  /** The state at the end, for `resumeFrom` (only with `checkpoint: true`). */
  checkpoint: TrainCheckpoint | null;
  /** Wall time of this call, milliseconds. */
  durationMs: number;
}

const variablesSchema = z.custom<tf.Variable[] | Record<string, tf.Variable>>((v) => {
  if (Array.isArray(v)) return v.length > 0 && v.every((x) => x instanceof tf.Variable);
  if (typeof v === 'object' && v !== null && !(v instanceof tf.Tensor)) {
    const vals = Object.values(v);
    return vals.length > 0 && vals.every((x) => x instanceof tf.Variable);
  }
  return false;
}, 'must be a non-empty array of tf.Variable, or a record of named tf.Variable (e.g. cell.variables())');

const earlyStoppingSchema = z
  .strictObject({
    /** Which loss the rules watch: `'test'` (default; needs `testLoss`) or `'train'` (the training loss at evaluation steps). */
    monitor: z.enum(['test', 'train']).default('test'),
    /** The reference's rule: stop when the standard deviation of the last `window` monitored values is below `minStd`. */
    window: schemas.positiveInt.optional(),
    minStd: schemas.nonNegative.optional(),
    /** Stop after `patience` evaluations without improving the best value by more than `minDelta`. */
    patience: schemas.positiveInt.optional(),
    minDelta: schemas.nonNegative.default(0),
    /** On a patience stop, put back the parameters of the best evaluation. */
    restoreBest: z.boolean().default(false),
  })
  .superRefine((e, ctx) => {
    if ((e.window === undefined) !== (e.minStd === undefined)) ctx.addIssue({ code: 'custom', path: [e.window === undefined ? 'window' : 'minStd'], message: 'window and minStd go together (the std rule needs both)' });
    if (e.window === undefined && e.patience === undefined) ctx.addIssue({ code: 'custom', path: ['patience'], message: 'give a rule: { window, minStd } and/or { patience }' });
    if (e.restoreBest && e.patience === undefined) ctx.addIssue({ code: 'custom', path: ['restoreBest'], message: 'restoreBest needs patience (it restores the best parameters on a patience stop)' });
  });

/**
 * Options of {@link train}. Defaults: `optimizer: 'adam'`, `learningRate` 1e-3 for Adam and 1e-2
 * for SGD/momentum, constant schedule, no clipping, no weight decay, `seed: 0`, `evalEvery: 1`.
 */
export const trainOptions = z
  .strictObject({
    /** The tensors to train: an array of tf.Variable or a record name → tf.Variable. Non-trainable ones are left alone. */
    variables: variablesSchema,
    /** The objective: `(ctx) => tf.Scalar`, synchronous tfjs ops on the variables (see {@link StepContext}). */
    loss: schemas.callback<LossFn>(),
    /** Total steps of the run (a resumed run counts the steps already taken). */
    steps: schemas.positiveInt,
    /** `'sgd' | 'momentum' | 'adam'`, or a `tf.Optimizer` (which then owns its learning rate). */
    optimizer: z.union([z.enum(OPTIMIZER_NAMES), z.custom<tf.Optimizer>(isTfOptimizer)], { error: "must be 'sgd', 'momentum', 'adam' or a tf.Optimizer" }).default('adam'),
    /** Base learning rate η > 0. */
    learningRate: schemas.positive.optional(),
    /** Learning-rate schedule, see {@link scheduleSchema}. */
    schedule: scheduleSchema.default({ type: 'constant' }),
    /** momentum: μ in [0, 1) (default 0.9) and Nesterov's variant (default false). */
    momentum: z.number().min(0, 'must be in [0, 1)').lt(1, 'must be in [0, 1)').default(0.9),
    nesterov: z.boolean().default(false),
    /** adam: β₁ (0.9), β₂ (0.999), ε (1e-8). */
    beta1: z.number().min(0, 'must be in [0, 1)').lt(1, 'must be in [0, 1)').default(0.9),
    beta2: z.number().min(0, 'must be in [0, 1)').lt(1, 'must be in [0, 1)').default(0.999),
    epsilon: schemas.positive.default(1e-8),
    /** Rescale the gradients when their global norm exceeds this. */
    clipNorm: schemas.positive.optional(),
    /** L2 weight decay λ: adds λθ to each gradient (after clipping). Default 0. */
    weightDecay: schemas.nonNegative.default(0),
    /** Seed of the run's generator (`ctx.rng`). Default 0. */
    seed: schemas.seed.default(0),
    /** Held-out loss `(ctx) => tf.Scalar`, evaluated without gradients every `evalEvery` steps (at steps 0, evalEvery, 2·evalEvery, …). */
    testLoss: schemas.callback<TestLossFn>().optional(),
    evalEvery: schemas.positiveInt.default(1),
    /** Early stopping, checked at evaluation steps before the update. */
    earlyStopping: earlyStoppingSchema.optional(),
    /** Called after every update with {@link StepInfo}; may be async (awaited). */
    onStep: schemas.callback<(info: StepInfo) => void | Promise<void>>().optional(),
    /** Called after every step with {@link TrainProgress}. */
    onProgress: schemas.callback<(p: TrainProgress) => void>().optional(),
    /** Stops training before the next step; the result then has `stoppedBy: 'aborted'`. */
    signal: schemas.signal.optional(),
    /** A checkpoint from an earlier run (object or parsed JSON) to continue from. */
    resumeFrom: z.unknown().optional(),
    /** Put the final state in `result.checkpoint` (default false). */
    checkpoint: z.boolean().default(false),
    /** Call `onCheckpoint` with the state every `checkpointEvery` updates. */
    checkpointEvery: schemas.positiveInt.optional(),
    onCheckpoint: schemas.callback<(c: TrainCheckpoint) => void | Promise<void>>().optional(),
  })
  .superRefine((o, ctx) => {
    if (isTfOptimizer(o.optimizer)) {
      if (o.learningRate !== undefined) ctx.addIssue({ code: 'custom', path: ['learningRate'], message: 'must be left out with a tf.Optimizer, which has its own learning rate' });
      if (typeof o.schedule === 'function' || o.schedule.type !== 'constant') ctx.addIssue({ code: 'custom', path: ['schedule'], message: "must be constant with a tf.Optimizer (use 'sgd', 'momentum' or 'adam' for schedules)" });
    }
    if (o.earlyStopping?.monitor === 'test' && o.testLoss === undefined) ctx.addIssue({ code: 'custom', path: ['earlyStopping', 'monitor'], message: "is 'test' but options.testLoss is missing (give testLoss, or monitor: 'train')" });
    if ((o.checkpointEvery === undefined) !== (o.onCheckpoint === undefined)) ctx.addIssue({ code: 'custom', path: [o.checkpointEvery === undefined ? 'checkpointEvery' : 'onCheckpoint'], message: 'checkpointEvery and onCheckpoint go together' });
  });
/** Input of {@link trainOptions}. */
export type TrainOptions = z.input<typeof trainOptions>;

interface Entry {
  key: string;
  variable: tf.Variable;
}

/**
 * Trains `options.variables` to minimize `options.loss` by gradient descent.
 *
 * Each step s (0-based; the parameters θ_s have had s updates):
 * 1. stop if `signal` fired (`stoppedBy: 'aborted'`, state consistent);
 * 2. loss(θ_s) and its gradients; one host read of the loss and the global gradient norm;
 *    a NaN/Inf loss or gradient throws `LtrError` `diverged` naming the step, with the variables
 *    left at θ_s (the last values whose update was finite);
 * 3. every `evalEvery` steps: test loss(θ_s) and the early-stopping rules (a stop leaves θ_s);
 * 4. clip to `clipNorm`, add weight decay, update with the step's learning rate → θ_{s+1};
 * 5. `onStep`, `onProgress`, and `onCheckpoint` every `checkpointEvery` updates.
 *
 * @example
 * ```ts
 * const w = tf.variable(tf.zeros([3]));
 * const target = tf.tensor1d([1, 2, 3]);
 * const r = await train({ variables: [w], loss: () => mse(w, target), steps: 500, learningRate: 0.05 });
 * ```
 * @throws LtrError `invalid-option` for bad options (naming the field), `shape-mismatch` /
 * `invalid-data` for a checkpoint that does not fit the variables, `diverged` on NaN/Inf.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  await ready();
  const t0 = performance.now();
  const o = parseOptions(trainOptions, options);
  const entries = resolveVariables(o.variables);
  const custom = isTfOptimizer(o.optimizer);
  const optType: OptimizerName | 'custom' = custom ? 'custom' : (o.optimizer as OptimizerName);
  const baseLr = o.learningRate ?? (optType === 'adam' ? 1e-3 : 1e-2);
  const es = o.earlyStopping;
  const resume = o.resumeFrom === undefined ? null : parseCheckpoint(o.resumeFrom);

  const optimizer: StepOptimizer = custom
    ? new CustomOptimizer(o.optimizer as tf.Optimizer)
    : new BuiltinOptimizer(optType as OptimizerName, { momentum: o.momentum, nesterov: o.nesterov, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon });
  let bestSnapshot: Map<string, tf.Tensor> | null = null;
  const disposeSnapshot = (): void => {
    if (bestSnapshot) for (const t of bestSnapshot.values()) t.dispose();
    bestSnapshot = null;
  };

  try {
    let step = 0;
    let master = rng(o.seed);
    const history: TrainHistory = { loss: [], learningRate: [], gradNorm: [], test: [] };
    const esState: EarlyStoppingState = { best: null, bestStep: null, sinceBest: 0, bestVariables: null };
    if (resume !== null) {
      checkResumeFits(resume, entries, optType);
      tf.tidy(() => {
        for (const e of entries) e.variable.assign(fromJSON(resume.variables[e.key]));
      });
      await optimizer.load(resume.optimizer);
      step = resume.step;
      master = Rng.fromState(resume.rng);
      history.loss.push(...resume.history.loss);
      history.learningRate.push(...resume.history.learningRate);
      history.gradNorm.push(...resume.history.gradNorm);
      // A run that stopped early evaluated step `step` without taking it: it is evaluated again.
      history.test.push(...resume.history.test.filter((r) => r.step < resume.step).map((r) => ({ ...r })));
      Object.assign(esState, { best: resume.earlyStopping.best, bestStep: resume.earlyStopping.bestStep, sinceBest: resume.earlyStopping.sinceBest });
      if (es?.restoreBest && resume.earlyStopping.bestVariables !== null) {
        const bv = resume.earlyStopping.bestVariables;
        bestSnapshot = new Map(entries.map((e) => [e.key, fromJSON(bv[e.key])]));
      }
    }

    const monitored = (): number[] => {
      if (es === undefined) return [];
      if (es.monitor === 'test') return history.test.map((r) => r.loss);
      const out: number[] = [];
      for (let s = 0; s < history.loss.length; s += o.evalEvery) out.push(history.loss[s]);
      return out;
    };

    const makeCheckpoint = async (): Promise<TrainCheckpoint> => {
      const variables: Record<string, TensorJSON> = {};
      for (const e of entries) variables[e.key] = await tensorToJSON(e.variable);
      let bestVariables: Record<string, TensorJSON> | null = null;
      if (bestSnapshot !== null) {
        bestVariables = {};
        for (const [k, t] of bestSnapshot) bestVariables[k] = await tensorToJSON(t);
      }
      return {
        format: 'ltr-rnn/train-checkpoint',
        version: 1,
        step,
        seed: resume?.seed ?? o.seed,
        rng: master.getState(),
        variables,
        optimizer: { type: optType, ...(await optimizer.save()) },
        history: { loss: [...history.loss], learningRate: [...history.learningRate], gradNorm: [...history.gradNorm], test: history.test.map((r) => ({ ...r })) },
        earlyStopping: { best: esState.best, bestStep: esState.bestStep, sinceBest: esState.sinceBest, bestVariables },
      };
    };

    let stoppedBy: StopReason = 'steps';
    let restoredBest = false;
    let finalLoss: number | null = history.loss.length > 0 ? history.loss[history.loss.length - 1] : null;
    let latestTest: number | null = history.test.length > 0 ? history.test[history.test.length - 1].loss : null;
    const firstStep = step;
    const tLoop = performance.now();
    const vars = entries.map((e) => e.variable);

    const letEventsRun = eventLoopTurns();
    while (step < o.steps) {
      await letEventsRun(); // so that a SIGINT handler or timer can fire the signal mid-run
      if (o.signal?.aborted) {
        stoppedBy = 'aborted';
        break;
      }
      const s = step;
      const lr = learningRateAt(o.schedule, baseLr, s, o.steps);
      if (!(Number.isFinite(lr) && lr >= 0)) {
        throw new LtrError('invalid-option', `options.schedule returned ${lr} at step ${s}; a learning rate must be a finite number ≥ 0.`, { path: 'options.schedule' });
      }
      const ctx: StepContext = { step: s, rng: master.fork(), learningRate: lr };
      const { value, sumSq, grads } = computeGrads(o.loss, ctx, vars, entries);
      let lossValue: number;
      let gradNorm: number;
      try {
        const packed = tf.tidy(() => tf.stack([value, sumSq]));
        const host = await packed.data();
        packed.dispose();
        lossValue = host[0];
        gradNorm = Math.sqrt(host[1]);
        if (!Number.isFinite(lossValue) || !Number.isFinite(gradNorm)) {
          const what = !Number.isFinite(lossValue) ? `the loss is ${lossValue}` : `the gradient norm is ${gradNorm}`;
          throw new LtrError(
            'diverged',
            `Training diverged at step ${s}: ${what}. The variables hold their values after ${s} updates (the last finite ones; no update was applied from this step). ` +
              `Lower options.learningRate (this step used ${lr}), set options.clipNorm, or check the loss for an empty mask (0/0) or log of 0.`,
            { path: 'options.learningRate' },
          );
        }
      } catch (err) {
        value.dispose();
        sumSq.dispose();
        for (const g of Object.values(grads)) g.dispose();
        throw err;
      }
      value.dispose();
      sumSq.dispose();

      // Evaluation and early stopping, at θ_s, before the update.
      let testValue: number | null = null;
      let stopNow: StopReason | null = null;
      try {
        if (s % o.evalEvery === 0) {
          if (o.testLoss !== undefined) {
            testValue = await evalLoss(o.testLoss, s);
            latestTest = testValue;
          }
          if (es !== undefined) {
            const v = es.monitor === 'test' ? (testValue as number) : lossValue;
            const series = [...monitored(), v];
            if (es.patience !== undefined) {
              if (esState.best === null || v < esState.best - es.minDelta) {
                esState.best = v;
                esState.bestStep = s;
                esState.sinceBest = 0;
                if (es.restoreBest) {
                  disposeSnapshot();
                  bestSnapshot = new Map(entries.map((e) => [e.key, tf.clone(e.variable)]));
                }
              } else {
                esState.sinceBest++;
                if (esState.sinceBest >= es.patience) stopNow = 'patience';
              }
            } else if (esState.best === null || v < esState.best) {
              esState.best = v;
              esState.bestStep = s;
            }
            if (stopNow === null && es.window !== undefined && series.length >= es.window && std(series.slice(-es.window)) < (es.minStd as number)) stopNow = 'min-std';
          }
        }
      } catch (err) {
        for (const g of Object.values(grads)) g.dispose();
        throw err;
      }
      if (testValue !== null) history.test.push({ step: s, loss: testValue });
      if (stopNow !== null) {
        for (const g of Object.values(grads)) g.dispose();
        // The step was evaluated but not taken: history keeps one entry per update, so its
        // training loss is reported as finalLoss only (its test loss is in history.test).
        finalLoss = lossValue;
        stoppedBy = stopNow;
        break;
      }

      // Update θ_s → θ_{s+1}.
      const clipped = o.clipNorm !== undefined && gradNorm > o.clipNorm;
      tf.tidy(() => {
        const scale = clipped ? tf.scalar((o.clipNorm as number) / gradNorm) : null;
        const list: GradEntry[] = entries.map((e) => {
          let g: tf.Tensor | null = grads[e.key] ?? null;
          if (g !== null && scale !== null) g = tf.mul(g, scale);
          if (g !== null && o.weightDecay > 0) g = tf.add(g, tf.mul(tf.scalar(o.weightDecay), e.variable));
          return { key: e.key, variable: e.variable, grad: g };
        });
        optimizer.apply(list, lr);
      });
      for (const g of Object.values(grads)) g.dispose();
      history.loss.push(lossValue);
      history.learningRate.push(lr);
      history.gradNorm.push(gradNorm);
      finalLoss = lossValue;
      step = s + 1;

      if (o.onStep) await o.onStep({ step: s, loss: lossValue, testLoss: testValue, learningRate: lr, gradNorm, clipped });
      if (o.onProgress) {
        const done = step - firstStep;
        const perStep = (performance.now() - tLoop) / 1000 / done;
        o.onProgress({ step, total: o.steps, loss: lossValue, testLoss: latestTest, etaSeconds: perStep * (o.steps - step) });
      }
      if (o.checkpointEvery !== undefined && step % o.checkpointEvery === 0) await o.onCheckpoint!(await makeCheckpoint());
    }

    if (stoppedBy === 'patience' && es?.restoreBest && bestSnapshot !== null) {
      const snap: Map<string, tf.Tensor> = bestSnapshot;
      tf.tidy(() => {
        for (const e of entries) e.variable.assign(snap.get(e.key) as tf.Tensor);
      });
      restoredBest = true;
    }
    const checkpoint = o.checkpoint ? await makeCheckpoint() : null;
    return {
      history,
      steps: step,
      stoppedBy,
      finalLoss,
      best: es !== undefined && esState.best !== null ? { loss: esState.best, step: esState.bestStep as number } : null,
      restoredBest,
      checkpoint,
      durationMs: performance.now() - t0,
    };
  } finally {
    optimizer.dispose();
    disposeSnapshot();
  }
}

function resolveVariables(v: tf.Variable[] | Record<string, tf.Variable>): Entry[] {
  const all: Entry[] = Array.isArray(v) ? v.map((variable, i) => ({ key: String(i), variable })) : Object.entries(v).map(([key, variable]) => ({ key, variable }));
  const seen = new Set<tf.Variable>();
  for (const e of all) {
    const path = Array.isArray(v) ? `options.variables[${e.key}]` : `options.variables.${e.key}`;
    if (e.variable.isDisposed) throw new LtrError('invalid-option', `${path} has been disposed.`, { path });
    if (e.variable.dtype !== 'float32') throw new LtrError('invalid-option', `${path} has dtype ${e.variable.dtype}; only float32 variables can be trained.`, { path });
    if (seen.has(e.variable)) throw new LtrError('invalid-option', `${path} appears twice in options.variables.`, { path });
    seen.add(e.variable);
  }
  const trainable = all.filter((e) => e.variable.trainable);
  if (trainable.length === 0) throw new LtrError('invalid-option', 'options.variables holds no trainable variable.', { path: 'options.variables' });
  return trainable;
}

function computeGrads(loss: LossFn, ctx: StepContext, vars: tf.Variable[], entries: Entry[]): { value: tf.Scalar; sumSq: tf.Scalar; grads: Record<string, tf.Tensor> } {
  // An error thrown inside tfjs's forward pass would leave the tensors the tape saved for the
  // backward pass alive. So the loss's error is caught inside, a connected zero is returned, the
  // backward pass runs and frees the tape, and the error is rethrown afterwards.
  let failure: unknown = null;
  try {
    type Out = { value: tf.Scalar; sumSq: tf.Scalar; grads: Record<string, tf.Tensor> };
    const out = tf.tidy((): tf.TensorContainer => {
      const { value, grads } = tf.variableGrads((): tf.Scalar => {
        try {
          const y = loss(ctx);
          if (!(y instanceof tf.Tensor) || y.rank !== 0) {
            const got = y instanceof tf.Tensor ? `a tensor of shape [${y.shape.join(', ')}]` : typeof y;
            throw new LtrError('invalid-option', `options.loss must return a scalar tf.Tensor (rank 0), got ${got}. Reduce it, e.g. with tf.mean.`, { path: 'options.loss' });
          }
          return y as tf.Scalar;
        } catch (err) {
          failure = err;
          return tf.sum(tf.mul(vars[0], 0)) as tf.Scalar;
        }
      }, vars);
      if (failure !== null) return {};
      const out: Record<string, tf.Tensor> = {};
      let sumSq: tf.Scalar = tf.scalar(0);
      for (const e of entries) {
        const g = grads[e.variable.name];
        if (g == null) continue;
        out[e.key] = g;
        sumSq = tf.add(sumSq, tf.sum(tf.square(g)));
      }
      return { value, sumSq, grads: out };
    });
    if (failure !== null) throw failure;
    return out as unknown as Out;
  } catch (err) {
    if (err instanceof Error && !(err instanceof LtrError) && /Cannot find a connection/.test(err.message)) {
      throw new LtrError('invalid-option', 'options.loss does not depend on any of options.variables: build the loss from the variables inside the callback.', { path: 'options.loss', cause: err });
    }
    throw err;
  }
}

async function evalLoss(testLoss: TestLossFn, step: number): Promise<number> {
  const t = tf.tidy(() => {
    const y = testLoss({ step });
    if (!(y instanceof tf.Tensor) || y.rank !== 0) {
      throw new LtrError('invalid-option', `options.testLoss must return a scalar tf.Tensor (rank 0), got ${y instanceof tf.Tensor ? `shape [${y.shape.join(', ')}]` : typeof y}.`, { path: 'options.testLoss' });
    }
    return y;
  });
  const v = (await t.data())[0];
  t.dispose();
  return v;
}

function std(xs: number[]): number {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
}

function fromJSON(t: TensorJSON): tf.Tensor {
  return tf.tensor(Float32Array.from(t.values), t.shape, 'float32');
}

function checkResumeFits(c: TrainCheckpoint, entries: Entry[], optType: OptimizerName | 'custom'): void {
  const keys = entries.map((e) => e.key);
  const saved = Object.keys(c.variables);
  const missing = keys.filter((k) => !(k in c.variables));
  const extra = saved.filter((k) => !keys.includes(k));
  if (missing.length > 0 || extra.length > 0) {
    throw new LtrError('shape-mismatch', `options.resumeFrom.variables has keys [${saved.join(', ')}] but options.variables has [${keys.join(', ')}]; resume with the same variables${missing.length ? ` (missing: ${missing.join(', ')})` : ''}.`, { path: 'options.resumeFrom.variables' });
  }
  for (const e of entries) {
    const s = c.variables[e.key].shape;
    if (s.length !== e.variable.rank || s.some((d, i) => d !== e.variable.shape[i])) {
      throw new LtrError('shape-mismatch', `options.resumeFrom.variables.${e.key} has shape [${s.join(', ')}] but the variable has [${e.variable.shape.join(', ')}].`, { path: `options.resumeFrom.variables.${e.key}` });
    }
  }
  if (c.optimizer.type !== optType) {
    throw new LtrError('invalid-option', `options.resumeFrom was written with optimizer '${c.optimizer.type}' but options.optimizer is '${optType}'; resume with the same optimizer.`, { path: 'options.optimizer' });
  }
  if (c.history.loss.length !== c.step) {
    throw new LtrError('invalid-data', `options.resumeFrom.history.loss has ${c.history.loss.length} entries but step is ${c.step}.`, { path: 'options.resumeFrom.history.loss' });
  }
}
