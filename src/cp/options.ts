/**
 * Option pieces shared by every CP decomposition (`cpAls`, `cpNonneg`, `cpOpt`, `rankSweep`), so
 * that one rule is spelled one way, plus the checks on rank and mask that run before any compute.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { LtrError } from '../validate/errors';
import { schemas } from '../validate/options';
import { toTensor, type TensorLike } from '../validate/tensor';
import { CPTensor } from './cp-tensor';

/** What `onProgress` receives after each iteration of a decomposition. */
export interface DecompositionProgress {
  /** 1-based iteration number within the current restart. */
  iteration: number;
  /** Relative error ‖x − model‖ / ‖x‖ after this iteration (over observed entries when masked). */
  relError: number;
  /** 0-based restart index (present when the decomposition runs restarts). */
  restart?: number;
}

/** How a decomposition starts: random factors, leading singular vectors, or a given CP tensor. */
export type DecompositionInit = 'random' | 'svd' | CPTensor;

const tensorLike = z.custom<TensorLike>(
  (v) => v instanceof tf.Tensor || typeof v === 'number' || Array.isArray(v) || (typeof v === 'object' && v !== null && 'data' in v && 'shape' in v),
  'must be a tf.Tensor, nested arrays of numbers or { data, shape }',
);

/**
 * Options every CP decomposition accepts (zod object; extend it with `.extend({...})`):
 *
 * | field | default | meaning |
 * |---|---|---|
 * | `rank` | required | number of components R (positive integer) |
 * | `maxIter` | 500 | maximum number of iterations (sweeps over all modes) per restart |
 * | `tol` | 1e-8 | stop when the relative change of the fit between two iterations is below this |
 * | `seed` | 0 | seed of the random initialization; restart k uses a seed derived from it |
 * | `restarts` | 1 | number of independent starts; the best (lowest error) is returned |
 * | `mask` | none | 0/1 tensor of the data's shape, 1 = observed; missing entries are ignored |
 * | `onProgress` | none | called after each iteration with `{ iteration, relError, restart }` |
 * | `signal` | none | an `AbortSignal`; aborting stops between iterations with `LtrError('aborted')` |
 * | `init` | `'random'` | `'random'`, `'svd'` or a {@link CPTensor} of the data's shape and rank |
 */
export const baseDecompositionOptions = z.strictObject({
  rank: schemas.positiveInt,
  maxIter: schemas.positiveInt.default(500),
  tol: schemas.nonNegative.default(1e-8),
  seed: schemas.seed.default(0),
  restarts: schemas.positiveInt.default(1),
  mask: tensorLike.optional(),
  onProgress: schemas.callback<(p: DecompositionProgress) => void>().optional(),
  signal: schemas.signal.optional(),
  init: z.union([z.enum(['random', 'svd']), z.instanceof(CPTensor, { message: "must be 'random', 'svd' or a CPTensor" })]).default('random'),
});
/** Options as a caller writes them (defaults optional). */
export type BaseDecompositionOptions = z.input<typeof baseDecompositionOptions>;
/** Options after parsing (defaults filled in). */
export type ResolvedDecompositionOptions = z.output<typeof baseDecompositionOptions>;

/**
 * Refuses a CP rank that cannot be meant: not a positive integer, or above the trivial upper bound
 * ∏ I_n / max I_n (every tensor has CP rank at most that). A rank above every dimension is
 * allowed — CP rank, unlike matrix rank, can exceed them.
 *
 * @throws LtrError `invalid-option` with `path` (default `'options.rank'`).
 */
export function checkRank(rank: number, shape: readonly number[], path = 'options.rank'): void {
  if (typeof rank !== 'number' || !Number.isInteger(rank) || rank < 1) {
    throw new LtrError('invalid-option', `${path} must be a positive integer, got ${String(rank)}.`, { path });
  }
  const size = shape.reduce((a, b) => a * b, 1);
  const bound = size / Math.max(...shape);
  if (rank > bound) {
    throw new LtrError(
      'invalid-option',
      `${path} = ${rank} exceeds the largest possible CP rank of a [${shape.join(', ')}] tensor (∏ dims / max dim = ${bound}). Choose a rank ≤ ${bound}.`,
      { path },
    );
  }
}

/**
 * Converts and checks a mask: same shape as the data, entries 0 or 1 only, not all zero.
 * Returns a new float32 0/1 tensor the caller owns, and the number of observed entries.
 *
 * @throws LtrError `shape-mismatch` / `invalid-data` with `path` (default `'options.mask'`).
 */
export async function checkMask(mask: TensorLike, shape: readonly number[], path = 'options.mask'): Promise<{ mask: tf.Tensor; observed: number }> {
  const m = await toTensor(mask, { name: path, shape, dtype: 'float32' });
  const values = await m.data();
  let observed = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === 1) observed++;
    else if (v !== 0) {
      m.dispose();
      throw new LtrError('invalid-data', `${path} must hold only 0 (missing) and 1 (observed); found ${v} at flat index ${i}.`, { path });
    }
  }
  if (observed === 0) {
    m.dispose();
    throw new LtrError('invalid-data', `${path} is all zero: no entry is observed, so there is nothing to fit. Mark observed entries with 1.`, { path });
  }
  return { mask: m, observed };
}
