/**
 * `trainTask`: trains a rate network on a task, one gradient update per batch of trials (SGD by
 * default, as the paper's task-trained network), optionally recording the recurrent weights after
 * every update. Built on {@link train}: abort, divergence, progress and checkpoints work the same.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { rng, type Rng } from '../backend/random';
import { ready } from '../backend/use';
import { RnnCell } from '../rnn/cell';
import { simulate } from '../rnn/simulate';
import { LtrError } from '../validate/errors';
import { parseOptions, schemas } from '../validate/options';
import { toTensor, type TensorLike } from '../validate/tensor';
import { l1Penalty, l2Penalty, maskedMse, mse } from './losses';
import { OPTIMIZER_NAMES, isTfOptimizer } from './optimizers';
import { WeightRecorder, weightRecorderOptions } from './recorder';
import { scheduleSchema } from './schedule';
import { train, type StepInfo, type TrainProgress, type TrainResult } from './train';
import { parseCheckpoint } from './checkpoint';

/**
 * One batch of a task, shaped time × batch × d: `inputs` (T × B × d_in; omit when the cell has no
 * input), `targets` (T × B × D, D = the cell's outputSize), optional `mask` (targets' shape, or size
 * 1 along dimensions it does not vary on; 1 = scored), `trials` (LTR cell: each batch row's trial
 * index into its K trials) and `conditions` (a condition id per row, for a per-condition initial
 * state).
 */
export interface TaskBatch {
  inputs?: TensorLike;
  targets: TensorLike;
  mask?: TensorLike;
  trials?: ArrayLike<number>;
  conditions?: ArrayLike<number>;
}

/**
 * A task: a function giving the batch of update `index` (0-based), drawing any randomness from
 * `rng` (the update's own generator, so a resumed run gets the same batches), or an iterable of
 * batches (consumed in order; cannot be resumed from a checkpoint).
 */
export type Task = ((index: number, rng: Rng) => TaskBatch | Promise<TaskBatch>) | Iterable<TaskBatch> | AsyncIterable<TaskBatch>;

/**
 * Options of {@link trainTask}. Defaults: `optimizer: 'sgd'` (Adam's per-coordinate scaling breaks
 * the subspace invariance the rank bounds rely on), the learning rate of {@link train}'s default
 * for the optimizer; the loss is the MSE of the readout (masked when the batch has a mask), with no
 * activity penalty unless `rateRegularization` > 0.
 */
export const trainTaskOptions = z.strictObject({
  /** Number of updates (one per batch of the task). */
  updates: schemas.positiveInt,
  optimizer: z.union([z.enum(OPTIMIZER_NAMES), z.custom<tf.Optimizer>(isTfOptimizer)], { error: "must be 'sgd', 'momentum', 'adam' or a tf.Optimizer" }).default('sgd'),
  learningRate: schemas.positive.optional(),
  schedule: scheduleSchema.optional(),
  momentum: z.number().min(0).lt(1).optional(),
  clipNorm: schemas.positive.optional(),
  weightDecay: schemas.nonNegative.optional(),
  /**
   * Which parameters to train, by name (see `cell.namedVariables()`: e.g. `['recurrent']` for W
   * only, `'readout.weight'`); default every trainable parameter of the cell and its readout.
   */
  parameters: z.array(z.string()).min(1).optional(),
  /** Activity penalty on the rates φ(x): weight (default 0) and kind (`'square'` default, or `'abs'`). */
  rateRegularization: schemas.nonNegative.default(0),
  regularization: z.enum(['square', 'abs']).default('square'),
  /** Private noise σ of the network during training (a fresh seed each update, from `seed`). */
  noise: schemas.nonNegative.default(0),
  method: z.enum(['euler', 'heun']).default('euler'),
  seed: schemas.seed.default(0),
  /** Record W after every update: `true` or {@link weightRecorderOptions} (the result's `recorder`). */
  record: z.union([z.boolean(), weightRecorderOptions]).default(false),
  onStep: schemas.callback<(info: StepInfo) => void | Promise<void>>().optional(),
  onProgress: schemas.callback<(p: TrainProgress) => void>().optional(),
  signal: schemas.signal.optional(),
  resumeFrom: z.unknown().optional(),
  checkpoint: z.boolean().default(false),
});
/** Input of {@link trainTaskOptions}. */
export type TrainTaskOptions = z.input<typeof trainTaskOptions>;

/** Output of {@link trainTask}: {@link train}'s result plus the weight recorder (caller disposes it). */
export interface TrainTaskResult extends TrainResult {
  recorder: WeightRecorder | null;
}

interface PreparedBatch {
  inputs: tf.Tensor | null;
  targets: tf.Tensor;
  mask: tf.Tensor | null;
  trials?: number[];
  conditions?: number[];
}

/**
 * Trains `cell` on `task`: update s simulates the cell on batch s (time × batch), scores the
 * readout against the targets (masked MSE), adds the activity penalty, and takes one gradient step.
 * With `record`, a {@link WeightRecorder} stores W before training and after every update.
 *
 * @throws LtrError `invalid-option` for bad options, `shape-mismatch` for batches that do not fit
 * the cell, `invalid-data` for NaN or an all-zero mask, `diverged` on NaN/Inf losses.
 */
export async function trainTask(cell: RnnCell, task: Task, options: TrainTaskOptions): Promise<TrainTaskResult> {
  await ready();
  if (!(cell instanceof RnnCell)) throw new LtrError('invalid-option', 'trainTask: cell must be a FullRankCell, LowRankCell or LowTensorRankCell.', { path: 'cell' });
  if (cell.isDisposed) throw new LtrError('invalid-data', 'trainTask: the cell has been disposed.', { path: 'cell' });
  if (cell.outputSize === 0) throw new LtrError('invalid-option', 'trainTask: the cell has no readout (outputSize 0); create it with outputSize = the targets’ last dimension.', { path: 'cell' });
  const o = parseOptions(trainTaskOptions, options);
  const source = taskSource(task);
  if (o.resumeFrom !== undefined && source.kind === 'iterator') {
    throw new LtrError('invalid-option', 'options.resumeFrom needs a task given as a function (index, rng) => batch: an iterable cannot be rewound to the checkpoint.', { path: 'options.resumeFrom' });
  }
  const named = cell.namedVariables();
  let variables: Record<string, tf.Variable>;
  if (o.parameters !== undefined) {
    variables = {};
    for (const name of o.parameters) {
      const v = named[name];
      if (v === undefined) throw new LtrError('invalid-option', `options.parameters: '${name}' is not a parameter of the cell (it has ${Object.keys(named).join(', ')}).`, { path: 'options.parameters' });
      if (!v.trainable) throw new LtrError('invalid-option', `options.parameters: '${name}' is not trainable.`, { path: 'options.parameters' });
      variables[name] = v;
    }
  } else {
    variables = Object.fromEntries(Object.entries(named).filter(([, v]) => v.trainable));
  }

  const recorder = o.record === false ? null : new WeightRecorder(cell, o.record === true ? {} : o.record);
  let current: PreparedBatch | null = null;
  const release = (b: PreparedBatch | null): void => {
    if (b === null) return;
    b.inputs?.dispose();
    b.targets.dispose();
    b.mask?.dispose();
  };
  try {
    const firstStep = o.resumeFrom !== undefined ? parseCheckpoint(o.resumeFrom).step : 0;
    if (recorder !== null) await recorder.record();
    if (firstStep < o.updates) current = await prepare(cell, await source.batch(firstStep, batchRng(o.seed, firstStep)), firstStep);
    const result = await train({
      variables,
      steps: o.updates,
      optimizer: o.optimizer,
      learningRate: o.learningRate,
      ...(o.schedule !== undefined ? { schedule: o.schedule } : {}),
      ...(o.momentum !== undefined ? { momentum: o.momentum } : {}),
      clipNorm: o.clipNorm,
      weightDecay: o.weightDecay ?? 0,
      seed: o.seed,
      signal: o.signal,
      resumeFrom: o.resumeFrom,
      checkpoint: o.checkpoint,
      onProgress: o.onProgress,
      loss: (ctx) => {
        const b = current as PreparedBatch;
        const sim = simulate(cell, {
          ...(b.inputs !== null ? { inputs: b.inputs } : { steps: b.targets.shape[0], batch: b.targets.shape[1] }),
          ...(b.trials !== undefined ? { trials: b.trials } : {}),
          ...(b.conditions !== undefined ? { conditions: b.conditions } : {}),
          noise: { sigma: o.noise, seed: ctx.rng.deriveSeed() },
          method: o.method,
        });
        const out = sim.outputs as tf.Tensor;
        let l = b.mask !== null ? maskedMse(out, b.targets, b.mask) : mse(out, b.targets);
        if (o.rateRegularization > 0) l = tf.add(l, tf.mul(o.rateRegularization, o.regularization === 'square' ? l2Penalty(sim.rates) : l1Penalty(sim.rates)));
        return l;
      },
      onStep: async (info) => {
        if (recorder !== null) await recorder.record();
        const next = info.step + 1;
        release(current);
        current = null;
        if (next < o.updates) current = await prepare(cell, await source.batch(next, batchRng(o.seed, next)), next);
        if (o.onStep) await o.onStep(info);
      },
    });
    return { ...result, recorder };
  } catch (err) {
    recorder?.dispose();
    throw err;
  } finally {
    release(current);
  }
}

/** The generator of batch `index`: derived from (seed, index) only, so a resume reproduces it. */
function batchRng(seed: number, index: number): Rng {
  return rng((rng(seed).nextUint32() ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0);
}

function taskSource(task: Task): { kind: 'function' | 'iterator'; batch: (i: number, r: Rng) => Promise<TaskBatch> } {
  if (typeof task === 'function') return { kind: 'function', batch: async (i, r) => task(i, r) };
  if (task !== null && typeof task === 'object' && (Symbol.asyncIterator in task || Symbol.iterator in task)) {
    const it = Symbol.asyncIterator in task ? (task as AsyncIterable<TaskBatch>)[Symbol.asyncIterator]() : (task as Iterable<TaskBatch>)[Symbol.iterator]();
    return {
      kind: 'iterator',
      batch: async (i) => {
        const r = await it.next();
        if (r.done) throw new LtrError('invalid-option', `task: the iterable ended after ${i} batches but options.updates needs more.`, { path: 'task' });
        return r.value;
      },
    };
  }
  throw new LtrError('invalid-option', 'task must be a function (index, rng) => { inputs, targets, mask? } or an iterable of such batches.', { path: 'task' });
}

async function prepare(cell: RnnCell, b: TaskBatch, index: number): Promise<PreparedBatch> {
  const where = `task batch ${index}`;
  if (b === null || typeof b !== 'object' || b.targets === undefined) throw new LtrError('invalid-data', `${where} must be an object { inputs, targets, mask? }.`, { path: 'task' });
  const owned: tf.Tensor[] = [];
  try {
    const targets = await toTensor(b.targets, { name: `${where}.targets`, rank: 3 });
    owned.push(targets);
    const [t, batch, d] = targets.shape;
    if (d !== cell.outputSize) throw new LtrError('shape-mismatch', `${where}.targets has output dimension ${d} (last axis) but the cell's outputSize is ${cell.outputSize}.`, { path: `${where}.targets` });
    let inputs: tf.Tensor | null = null;
    if (cell.inputSize > 0) {
      if (b.inputs === undefined) throw new LtrError('invalid-data', `${where}.inputs is missing: the cell has inputSize ${cell.inputSize}.`, { path: `${where}.inputs` });
      inputs = await toTensor(b.inputs, { name: `${where}.inputs`, shape: [t, batch, cell.inputSize] });
      owned.push(inputs);
    } else if (b.inputs !== undefined) {
      throw new LtrError('shape-mismatch', `${where}.inputs given but the cell has no input (inputSize 0).`, { path: `${where}.inputs` });
    }
    let mask: tf.Tensor | null = null;
    if (b.mask !== undefined) {
      mask = await toTensor(b.mask, { name: `${where}.mask`, rank: 3 });
      owned.push(mask);
      const ok = mask.shape.every((s, i) => s === targets.shape[i] || s === 1);
      if (!ok) throw new LtrError('shape-mismatch', `${where}.mask has shape [${mask.shape.join(', ')}] but the targets have [${targets.shape.join(', ')}]; a mask has the targets' shape (or size 1 along dimensions it does not vary on).`, { path: `${where}.mask` });
      const any = tf.tidy(() => tf.sum(mask as tf.Tensor));
      const s = (await any.data())[0];
      any.dispose();
      if (!(s > 0)) throw new LtrError('invalid-data', `${where}.mask is all zero: nothing to fit in this batch. Mark the scored entries with 1.`, { path: `${where}.mask` });
    }
    return { inputs, targets, mask, trials: b.trials ? Array.from(b.trials) : undefined, conditions: b.conditions ? Array.from(b.conditions) : undefined };
  } catch (err) {
    for (const x of owned) x.dispose();
    throw err;
  }
}
