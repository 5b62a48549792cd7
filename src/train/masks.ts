/**
 * Cross-validation masks: the paper's block cross-validation (blocks of consecutive entries held
 * out for testing, each surrounded by a guard band that belongs to neither set) and per-step random
 * trial dropout. Masks are built on the host from the library's seeded generator, so a seed gives
 * the same mask on every backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { toRng, type SeedOrRng } from '../backend/random';
import { LtrError } from '../validate/errors';
import { parseOptions, schemas } from '../validate/options';

/** Host data in the `{ data, shape }` form every library function accepts as a tensor. */
export interface HostTensor {
  data: Float32Array;
  shape: number[];
}

const halfWidth = z.union([schemas.nonNegativeInt, z.array(schemas.nonNegativeInt).min(1)]);

/**
 * Options of {@link blockMask}.
 * - `trainHalfBlock` (default 1): half width h of the blocks removed from the training set, one
 *   number for every dimension or one per dimension; a block spans 2h + 1 entries along each.
 * - `testHalfBlock` (default 0): half width of the test block at the centre of each removed block
 *   (≤ `trainHalfBlock` along every dimension). The difference is the guard band: entries removed
 *   from training but not tested, so that no test entry has a training entry within
 *   `trainHalfBlock − testHalfBlock` along every dimension (neighbours in time, trials or neurons
 *   are correlated; the band keeps them from leaking the held-out values into the fit).
 * - `fractionTest` (default 0.1): fraction of all entries in the test set, in (0, 1).
 * - `seed` (default 0).
 */
export const blockMaskOptions = z.strictObject({
  trainHalfBlock: halfWidth.default(1),
  testHalfBlock: halfWidth.default(0),
  fractionTest: z.number().gt(0, 'must be in (0, 1)').lt(1, 'must be in (0, 1)').default(0.1),
  seed: schemas.seed.default(0),
});
/** Input of {@link blockMaskOptions}. */
export type BlockMaskOptions = z.input<typeof blockMaskOptions>;

/** Output of {@link blockMask}. */
export interface BlockMask {
  /** 1 where an entry is used for training, else 0 (shape = the data's). */
  train: HostTensor;
  /** 1 where an entry is used for testing, else 0. Disjoint from `train`. */
  test: HostTensor;
  /** Fractions of all entries in the train and test sets (the rest is guard band). */
  trainFraction: number;
  testFraction: number;
  /** Number of blocks placed. */
  blocks: number;
}

/**
 * Block cross-validation masks for data of `shape` (e.g. time × trial × neuron), as in the paper:
 * block centres are drawn at random (without replacement); around each, a box of half widths
 * `trainHalfBlock` is removed from the training set and the inner box of half widths
 * `testHalfBlock` joins the test set (boxes are clipped at the edges and may overlap). Blocks are
 * added until the test set holds `fractionTest` of the entries, to within half a test block.
 *
 * Returns host masks in the `{ data, shape }` form (pass them to any library function, or
 * `tf.tensor(m.data, m.shape)`): they cost no tensor memory and need no disposal.
 *
 * Unlike the reference implementation, whose `fraction_test` sets the number of removed (outer)
 * blocks, `fractionTest` here is the fraction of entries in the test set itself.
 *
 * @throws LtrError `invalid-option` for a bad field, `testHalfBlock` > `trainHalfBlock`, half-width
 * lists whose length ≠ the number of dimensions, or a request that leaves no training entry.
 */
export function blockMask(shape: readonly number[], options: BlockMaskOptions = {}): BlockMask {
  const dims = parseOptions(z.array(schemas.positiveInt).min(1, 'must have at least one dimension'), shape, 'shape');
  const o = parseOptions(blockMaskOptions, options);
  const nd = dims.length;
  const outer = perDim(o.trainHalfBlock, nd, 'options.trainHalfBlock');
  const inner = perDim(o.testHalfBlock, nd, 'options.testHalfBlock');
  for (let d = 0; d < nd; d++) {
    if (inner[d] > outer[d]) {
      throw new LtrError('invalid-option', `options.testHalfBlock[${d}] = ${inner[d]} exceeds options.trainHalfBlock[${d}] = ${outer[d]}: the test block must lie inside the block removed from training.`, { path: 'options.testHalfBlock' });
    }
  }
  const size = dims.reduce((a, b) => a * b, 1);
  const strides = new Array<number>(nd);
  for (let d = nd - 1, s = 1; d >= 0; d--) {
    strides[d] = s;
    s *= dims[d];
  }
  const target = o.fractionTest * size;
  const test = new Uint8Array(size);
  const removed = new Uint8Array(size);
  const order = toRng(o.seed).permutation(size);
  const centre = new Array<number>(nd);
  let testCount = 0;
  let blocks = 0;
  for (let i = 0; i < size && testCount < target; i++) {
    let flat = order[i];
    for (let d = nd - 1; d >= 0; d--) {
      centre[d] = flat % dims[d];
      flat = Math.floor(flat / dims[d]);
    }
    // New test entries this block would add (boxes may overlap earlier ones).
    let added = 0;
    forBox(centre, inner, dims, strides, (k) => {
      if (test[k] === 0) added++;
    });
    if (added === 0) continue;
    // Stop when this block would overshoot the target by more than it falls short without it.
    if (testCount + added - target > target - testCount) break;
    forBox(centre, inner, dims, strides, (k) => {
      test[k] = 1;
    });
    forBox(centre, outer, dims, strides, (k) => {
      removed[k] = 1;
    });
    testCount += added;
    blocks++;
  }
  if (testCount === 0) {
    throw new LtrError('invalid-option', `options.fractionTest = ${o.fractionTest} is smaller than half of one test block (${inner.map((h) => 2 * h + 1).join(' × ')} entries of ${size}): no block fits. Raise fractionTest or lower testHalfBlock.`, { path: 'options.fractionTest' });
  }
  const train = new Float32Array(size);
  const testOut = new Float32Array(size);
  let trainCount = 0;
  for (let k = 0; k < size; k++) {
    if (removed[k] === 0) {
      train[k] = 1;
      trainCount++;
    }
    testOut[k] = test[k];
  }
  if (trainCount === 0) {
    throw new LtrError('invalid-option', `options.fractionTest = ${o.fractionTest} with blocks of ${outer.map((h) => 2 * h + 1).join(' × ')} removes every entry from the training set. Lower fractionTest or trainHalfBlock.`, { path: 'options.fractionTest' });
  }
  return {
    train: { data: train, shape: [...dims] },
    test: { data: testOut, shape: [...dims] },
    trainFraction: trainCount / size,
    testFraction: testCount / size,
    blocks,
  };
}

function perDim(h: number | number[], nd: number, path: string): number[] {
  if (typeof h === 'number') return new Array<number>(nd).fill(h);
  if (h.length !== nd) throw new LtrError('invalid-option', `${path} has ${h.length} entries but the shape has ${nd} dimensions; give one half width per dimension (or one number for all).`, { path });
  return h;
}

/** Calls `f` with the flat index of every entry of the box centre ± half (clipped to the shape). */
function forBox(centre: number[], half: number[], dims: number[], strides: number[], f: (k: number) => void): void {
  const nd = dims.length;
  const lo = new Array<number>(nd);
  const hi = new Array<number>(nd);
  for (let d = 0; d < nd; d++) {
    lo[d] = Math.max(0, centre[d] - half[d]);
    hi[d] = Math.min(dims[d] - 1, centre[d] + half[d]);
  }
  const idx = lo.slice();
  for (;;) {
    let k = 0;
    for (let d = 0; d < nd; d++) k += idx[d] * strides[d];
    f(k);
    let d = nd - 1;
    while (d >= 0 && idx[d] === hi[d]) {
      idx[d] = lo[d];
      d--;
    }
    if (d < 0) return;
    idx[d]++;
  }
}

/**
 * Per-step trial dropout (the reference's `fraction_masked`): a 0/1 vector over `numTrials` trials
 * with round(`fractionMasked` · numTrials) zeros at random positions drawn from `source`, never all
 * zero (at most numTrials − 1 trials are dropped). Pass the step's generator (`ctx.rng` in a
 * {@link train} loss) so that a resumed run draws the same masks. (The reference draws each trial
 * independently; an exact count keeps the loss's scale the same every step.)
 */
export function trialDropoutMask(numTrials: number, fractionMasked: number, source: SeedOrRng): Float32Array {
  parseOptions(schemas.positiveInt, numTrials, 'numTrials');
  parseOptions(schemas.probability, fractionMasked, 'fractionMasked');
  const dropped = Math.min(numTrials - 1, Math.round(fractionMasked * numTrials));
  const keep = new Float32Array(numTrials).fill(1);
  if (dropped === 0) return keep;
  const perm = toRng(source).permutation(numTrials);
  for (let i = 0; i < dropped; i++) keep[perm[i]] = 0;
  return keep;
}

/**
 * `mask` (e.g. time × trial × neuron) with the trials of {@link trialDropoutMask} zeroed: a new
 * tensor, `mask · keep` broadcast along `trialAxis` (default 1, the library's trial axis).
 */
export function dropTrials(mask: tf.Tensor, fractionMasked: number, source: SeedOrRng, options: { trialAxis?: number } = {}): tf.Tensor {
  if (!(mask instanceof tf.Tensor)) throw new LtrError('invalid-data', 'mask must be a tf.Tensor.', { path: 'mask' });
  const axis = options.trialAxis ?? 1;
  if (!Number.isInteger(axis) || axis < 0 || axis >= mask.rank) {
    throw new LtrError('invalid-option', `options.trialAxis = ${axis} is not a dimension of the mask (rank ${mask.rank}).`, { path: 'options.trialAxis' });
  }
  const k = mask.shape[axis];
  const keep = trialDropoutMask(k, fractionMasked, source);
  const bshape = mask.shape.map((d, i) => (i === axis ? d : 1));
  return tf.tidy(() => tf.mul(mask, tf.tensor(keep, bshape, 'float32')));
}
