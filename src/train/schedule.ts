/**
 * Learning-rate schedules: the learning rate of step s (0-based) as a pure function of s, so that a
 * run resumed from a checkpoint sees exactly the rates an uninterrupted run would have seen.
 */
import { z } from 'zod';
import { schemas } from '../validate/options';

/** A user schedule: the learning rate of 0-based step `step`, given the base rate. */
export type ScheduleFn = (step: number, baseLearningRate: number) => number;

/**
 * The `schedule` option of {@link train}:
 * - `{ type: 'constant' }` (default): η_s = η.
 * - `{ type: 'step', stepSize, gamma = 0.1 }`: η_s = η · gamma^⌊s / stepSize⌋.
 * - `{ type: 'exponential', gamma, decaySteps = 1 }`: η_s = η · gamma^(s / decaySteps).
 * - `{ type: 'cosine', minLearningRate = 0, period }`: η_s = η_min + (η − η_min)(1 + cos(π·min(s, T)/T))/2
 *   with T = `period` (default: the run's `steps`).
 * - a function `(step, baseLearningRate) => number` returning a finite rate ≥ 0.
 */
export const scheduleSchema = z.union(
  [
    z.strictObject({ type: z.literal('constant') }),
    z.strictObject({ type: z.literal('step'), stepSize: schemas.positiveInt, gamma: schemas.positive.default(0.1) }),
    z.strictObject({ type: z.literal('exponential'), gamma: schemas.positive, decaySteps: schemas.positive.default(1) }),
    z.strictObject({ type: z.literal('cosine'), minLearningRate: schemas.nonNegative.default(0), period: schemas.positiveInt.optional() }),
    schemas.callback<ScheduleFn>(),
  ],
  { error: "must be { type: 'constant' }, { type: 'step', stepSize, gamma? }, { type: 'exponential', gamma, decaySteps? }, { type: 'cosine', minLearningRate?, period? } or a function (step, baseLearningRate) => number" },
);

/** A parsed schedule. */
export type Schedule = z.output<typeof scheduleSchema>;

/**
 * The learning rate of 0-based step `step` under `schedule`, with base rate `base` and `totalSteps`
 * steps in the run (the cosine period's default). Returns NaN for a user function's bad value; the
 * caller checks.
 */
export function learningRateAt(schedule: Schedule, base: number, step: number, totalSteps: number): number {
  if (typeof schedule === 'function') return schedule(step, base);
  switch (schedule.type) {
    case 'constant':
      return base;
    case 'step':
      return base * Math.pow(schedule.gamma, Math.floor(step / schedule.stepSize));
    case 'exponential':
      return base * Math.pow(schedule.gamma, step / schedule.decaySteps);
    case 'cosine': {
      const period = schedule.period ?? totalSteps;
      const t = Math.min(step, period) / period;
      return schedule.minLearningRate + (base - schedule.minLearningRate) * 0.5 * (1 + Math.cos(Math.PI * t));
    }
  }
}
