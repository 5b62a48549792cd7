/**
 * The trainer's checkpoint: everything a run needs to continue exactly where it stopped, as plain,
 * versioned JSON (variables, optimizer slots and counters, step, random-generator state, history,
 * early-stopping state). Float32 values survive `JSON.stringify` / `JSON.parse` exactly, so a run
 * resumed from the parsed JSON is bit-identical to an uninterrupted one on the same backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { RngState } from '../backend/random';
import { LtrError } from '../validate/errors';
import { OPTIMIZER_NAMES, type SlotJSON } from './optimizers';

/** A tensor as JSON: its shape and row-major values. */
export interface TensorJSON {
  shape: number[];
  values: number[];
}

/** One evaluation of the test loss. */
export interface TestRecord {
  /** 0-based step whose parameters were evaluated (after `step` updates). */
  step: number;
  loss: number;
}

/**
 * What happened during training, one entry per step `s` (0-based; the parameters after `s`
 * updates are the ones evaluated): the training loss, the learning rate used for the update of
 * step `s`, and the global gradient norm before clipping. `test` lists the evaluations of the test
 * loss (every `evalEvery` steps).
 */
export interface TrainHistory {
  loss: number[];
  learningRate: number[];
  gradNorm: number[];
  test: TestRecord[];
}

/** Early-stopping bookkeeping carried across a resume. */
export interface EarlyStoppingState {
  /** Best monitored loss so far (null before the first evaluation). */
  best: number | null;
  /** Step of the best loss. */
  bestStep: number | null;
  /** Evaluations since the best one (patience counter). */
  sinceBest: number;
  /** Parameters at the best step (only with `restoreBest`). */
  bestVariables: Record<string, TensorJSON> | null;
}

/** Versioned JSON state of a training run ({@link train} with `checkpoint: true` or `onCheckpoint`). */
export interface TrainCheckpoint {
  format: 'ltr-rnn/train-checkpoint';
  version: 1;
  /** Updates applied so far: the next step to run. */
  step: number;
  /** The run's seed and its generator's state after `step` steps. */
  seed: number;
  rng: RngState;
  /** Values of the trained variables, by key (the `variables` option's names or indices). */
  variables: Record<string, TensorJSON>;
  optimizer: { type: (typeof OPTIMIZER_NAMES)[number] | 'custom'; iterations: number; slots: SlotJSON[] };
  history: TrainHistory;
  earlyStopping: EarlyStoppingState;
}

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const tensorJSON = z
  .strictObject({ shape: z.array(z.number().int().nonnegative()), values: z.array(finite) })
  .refine((p) => p.values.length === p.shape.reduce((a, b) => a * b, 1), { message: 'values must have as many entries as the shape holds', path: ['values'] });
const slotJSON = z
  .strictObject({ name: z.string(), dtype: z.enum(['float32', 'int32']), shape: z.array(z.number().int().nonnegative()), values: z.array(finite) })
  .refine((p) => p.values.length === p.shape.reduce((a, b) => a * b, 1), { message: 'values must have as many entries as the shape holds', path: ['values'] });
// Losses may legitimately be NaN only in a diverged run, which never checkpoints; still accept
// null for JSON's spelling of NaN so that a hand-edited history does not break resume.
const lossValue = z.number().or(z.null().transform(() => NaN));

/** zod schema of {@link TrainCheckpoint}. */
export const trainCheckpointSchema = z.strictObject({
  format: z.literal('ltr-rnn/train-checkpoint'),
  version: z.literal(1),
  step: z.number().int().nonnegative(),
  seed: z.number().int(),
  rng: z.strictObject({
    algorithm: z.literal('xoshiro128**'),
    s: z.tuple([z.number().int(), z.number().int(), z.number().int(), z.number().int()]),
    spare: z.number().nullable(),
  }),
  variables: z.record(z.string(), tensorJSON),
  optimizer: z.strictObject({ type: z.enum([...OPTIMIZER_NAMES, 'custom']), iterations: z.number().int().nonnegative(), slots: z.array(slotJSON) }),
  history: z.strictObject({
    loss: z.array(lossValue),
    learningRate: z.array(lossValue),
    gradNorm: z.array(lossValue),
    test: z.array(z.strictObject({ step: z.number().int().nonnegative(), loss: lossValue })),
  }),
  earlyStopping: z.strictObject({
    best: z.number().nullable(),
    bestStep: z.number().int().nonnegative().nullable(),
    sinceBest: z.number().int().nonnegative(),
    bestVariables: z.record(z.string(), tensorJSON).nullable(),
  }),
});

/** Parses a checkpoint (e.g. from `JSON.parse`), throwing `LtrError` `invalid-data` naming the field. */
export function parseCheckpoint(value: unknown, where = 'options.resumeFrom'): TrainCheckpoint {
  const r = trainCheckpointSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = [where, ...issue.path.map(String)].join('.');
    throw new LtrError('invalid-data', `${path}: ${issue.message}. Expected a checkpoint written by train() (format 'ltr-rnn/train-checkpoint', version 1).`, { path });
  }
  return r.data as TrainCheckpoint;
}

/** @internal Reads a tensor to JSON. */
export async function tensorToJSON(t: tf.Tensor): Promise<TensorJSON> {
  return { shape: [...t.shape], values: Array.from(await t.data()) };
}
