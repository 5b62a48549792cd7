/**
 * Loss functions and penalties for use inside a `loss` callback of {@link train}: plain tfjs op
 * compositions (differentiable, synchronous, safe inside `tf.tidy`). Shape problems throw
 * {@link LtrError} before any op runs; an empty mask is caught by {@link validateMask} (async, once,
 * before training), because finding it inside the loss would need a host read every step.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ready } from '../backend/use';
import { LtrError } from '../validate/errors';
import { parseOptions, schemas } from '../validate/options';
import { toTensor, type TensorLike } from '../validate/tensor';

function assertTensor(t: unknown, name: string): asserts t is tf.Tensor {
  if (!(t instanceof tf.Tensor)) throw new LtrError('invalid-data', `${name} must be a tf.Tensor (losses run inside the training step on tensors).`, { path: name });
  if (t.isDisposed) throw new LtrError('invalid-data', `${name} has been disposed.`, { path: name });
}

function sameShape(a: tf.Tensor, b: tf.Tensor, an: string, bn: string): void {
  if (a.rank !== b.rank || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new LtrError('shape-mismatch', `${bn} has shape [${b.shape.join(', ')}] but ${an} has shape [${a.shape.join(', ')}]; they must be equal.`, { path: bn });
  }
}

/** A mask must have the data's shape, or broadcast to it with size-1 dimensions (e.g. one weight per trial). */
function validateMaskShape(data: tf.Tensor, mask: tf.Tensor, name: string): void {
  const ok = mask.rank === data.rank && mask.shape.every((d, i) => d === data.shape[i] || d === 1);
  if (!ok) {
    throw new LtrError('shape-mismatch', `${name} has shape [${mask.shape.join(', ')}] but the data have shape [${data.shape.join(', ')}]. A mask has the data's shape (or size 1 along dimensions it does not vary on).`, { path: name });
  }
}

/** Mean squared error, mean((prediction − target)²) over every entry. Shapes must be equal. */
export function mse(prediction: tf.Tensor, target: tf.Tensor): tf.Scalar {
  assertTensor(prediction, 'prediction');
  assertTensor(target, 'target');
  sameShape(prediction, target, 'prediction', 'target');
  return tf.tidy(() => tf.mean(tf.squaredDifference(prediction, target)));
}

/**
 * Masked mean squared error: Σ m (p − y)² / Σ m, the mean over observed entries only (mask 1 =
 * observed, 0 = held out; fractional weights are allowed). `mask` has the data's shape or size 1
 * along broadcast dimensions (then each of its entries counts once per entry it covers). An
 * all-zero mask gives NaN (0/0), which {@link train} reports as divergence: check masks once with
 * {@link validateMask} before training.
 */
export function maskedMse(prediction: tf.Tensor, target: tf.Tensor, mask: tf.Tensor): tf.Scalar {
  assertTensor(prediction, 'prediction');
  assertTensor(target, 'target');
  assertTensor(mask, 'mask');
  sameShape(prediction, target, 'prediction', 'target');
  validateMaskShape(prediction, mask, 'mask');
  return tf.tidy(() => {
    const m = tf.broadcastTo(mask, prediction.shape);
    return tf.div(tf.sum(tf.mul(m, tf.squaredDifference(prediction, target))), tf.sum(m));
  });
}

/** Options of {@link poissonNll}. */
export const poissonNllOptions = z.strictObject({
  /** Add log(y!) so that the value is the full negative log-likelihood (default false: it is constant in the parameters). */
  full: z.boolean().default(false),
  /**
   * Above this log-rate η the rate exp(η) is continued linearly, exp(c)(1 + η − c), so that the loss
   * and its gradient stay finite (exp overflows float32 at η ≈ 88.7) and the gradient still points
   * down. Default 30 (a rate of 10¹³ per bin, far beyond any spike count).
   */
  maxLogRate: z.number().refine(Number.isFinite, 'must be finite').default(30),
});
/** Input of {@link poissonNllOptions}. */
export type PoissonNllOptions = z.input<typeof poissonNllOptions>;

/**
 * Poisson negative log-likelihood of counts `y` under log-rates `η` (log link, rate = exp(η)),
 * averaged over entries (or over observed entries with `mask`):
 *
 *     NLL = exp(η) − y·η [+ log(y!)]
 *
 * Its gradient in η is exp(η) − y. Numerically safe: exp is continued linearly above
 * `maxLogRate` (see {@link poissonNllOptions}); y = 0 contributes exp(η) without 0·log 0.
 * `log(y!)` (with `full`) is computed with {@link logFactorial}.
 */
export function poissonNll(logRate: tf.Tensor, counts: tf.Tensor, options: PoissonNllOptions & { mask?: tf.Tensor } = {}): tf.Scalar {
  assertTensor(logRate, 'logRate');
  assertTensor(counts, 'counts');
  sameShape(logRate, counts, 'logRate', 'counts');
  const { mask, ...rest } = options;
  const o = parseOptions(poissonNllOptions, rest);
  if (mask !== undefined) {
    assertTensor(mask, 'options.mask');
    validateMaskShape(logRate, mask, 'options.mask');
  }
  return tf.tidy(() => {
    const c = o.maxLogRate;
    const clipped = tf.minimum(logRate, tf.scalar(c));
    // exp(min(η, c)) + exp(c)·max(η − c, 0): exact exp below c, its tangent line above.
    const rate = tf.add(tf.exp(clipped), tf.mul(tf.scalar(Math.exp(c)), tf.relu(tf.sub(logRate, tf.scalar(c)))));
    let nll = tf.sub(rate, tf.mul(counts, logRate));
    if (o.full) nll = tf.add(nll, logFactorial(counts));
    if (mask === undefined) return tf.mean(nll);
    const m = tf.broadcastTo(mask, logRate.shape);
    return tf.div(tf.sum(tf.mul(m, nll)), tf.sum(m));
  });
}

/**
 * log(y!) = lgamma(y + 1) elementwise for y ≥ 0, as tfjs ops (tfjs has no lgamma): the argument is
 * shifted by 6 (lgamma(z) = lgamma(z + 6) − log(z(z+1)…(z+5))) and Stirling's series with three
 * correction terms is used at z + 6 ≥ 7, accurate to float32 rounding.
 */
export function logFactorial(y: tf.Tensor): tf.Tensor {
  assertTensor(y, 'y');
  return tf.tidy(() => {
    const z = tf.add(y, tf.scalar(1));
    let prod = z;
    for (let k = 1; k < 6; k++) prod = tf.mul(prod, tf.add(z, tf.scalar(k)));
    const w = tf.add(z, tf.scalar(6));
    const inv = tf.reciprocal(w);
    const inv2 = tf.square(inv);
    // (w − ½) log w − w + ½ log 2π + 1/(12w) − 1/(360w³) + 1/(1260w⁵)
    const series = tf.mul(inv, tf.add(tf.scalar(1 / 12), tf.mul(inv2, tf.add(tf.scalar(-1 / 360), tf.mul(inv2, tf.scalar(1 / 1260))))));
    const stirling = tf.add(tf.sub(tf.mul(tf.sub(w, tf.scalar(0.5)), tf.log(w)), w), tf.add(tf.scalar(0.5 * Math.log(2 * Math.PI)), series));
    return tf.sub(stirling, tf.log(prod));
  });
}

/** L2 activity penalty: mean(x²) (the reference implementation's `'square'` regularization). */
export function l2Penalty(x: tf.Tensor): tf.Scalar {
  assertTensor(x, 'x');
  return tf.tidy(() => tf.mean(tf.square(x)));
}

/** L1 activity penalty: mean(|x|) (the reference implementation's `'abs'` regularization). */
export function l1Penalty(x: tf.Tensor): tf.Scalar {
  assertTensor(x, 'x');
  return tf.tidy(() => tf.mean(tf.abs(x)));
}

/**
 * Weight decay as a loss term: (λ/2) Σ‖θ‖² over `variables`; its gradient is λθ. (The `weightDecay`
 * option of {@link train} adds the same λθ to the gradients without building the term.)
 */
export function weightDecayPenalty(variables: readonly tf.Tensor[], lambda: number): tf.Scalar {
  if (!(Number.isFinite(lambda) && lambda >= 0)) throw new LtrError('invalid-option', `lambda must be a finite number ≥ 0, got ${lambda}.`, { path: 'lambda' });
  variables.forEach((v, i) => assertTensor(v, `variables[${i}]`));
  return tf.tidy(() => {
    let s: tf.Scalar = tf.scalar(0);
    for (const v of variables) s = tf.add(s, tf.sum(tf.square(v)));
    return tf.mul(tf.scalar(lambda / 2), s);
  });
}

/** Options of {@link validateMask}. */
export const validateMaskOptions = z.strictObject({
  /** The data's shape: the mask must equal it (or be size 1 along broadcast dimensions). */
  shape: z.array(schemas.positiveInt).optional(),
  /** Name in messages and `LtrError.path` (default `'mask'`). */
  name: z.string().default('mask'),
  /** Accept weights in [0, 1] rather than only 0/1 (default false). */
  fractional: z.boolean().default(false),
});
/** Input of {@link validateMaskOptions}. */
export type ValidateMaskOptions = z.input<typeof validateMaskOptions>;

/** What {@link validateMask} found. */
export interface MaskSummary {
  /** Sum of the mask (the number of observed entries for a 0/1 mask). */
  observed: number;
  /** Observed entries / entries of the mask. */
  fraction: number;
}

/**
 * Validates a mask once, before training: the shape matches `options.shape`, every value is 0 or 1
 * (or in [0, 1] with `fractional`), and at least one entry is observed. Throws `LtrError`
 * (`shape-mismatch`, `invalid-data`) naming `options.name`.
 */
export async function validateMask(mask: TensorLike, options: ValidateMaskOptions = {}): Promise<MaskSummary> {
  await ready();
  const o = parseOptions(validateMaskOptions, options);
  const t = await toTensor(mask, { name: o.name });
  try {
    if (o.shape !== undefined) {
      const ok = t.rank === o.shape.length && t.shape.every((d, i) => d === o.shape![i] || d === 1);
      if (!ok) throw new LtrError('shape-mismatch', `${o.name} has shape [${t.shape.join(', ')}] but the data have shape [${o.shape.join(', ')}]. A mask has the data's shape (or size 1 along dimensions it does not vary on).`, { path: o.name });
    }
    const v = await t.data();
    let sum = 0;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (o.fractional ? !(x >= 0 && x <= 1) : x !== 0 && x !== 1) {
        throw new LtrError('invalid-data', `${o.name} has value ${x} at flat index ${i}; a mask holds ${o.fractional ? 'weights in [0, 1]' : '1 (observed) or 0 (held out)'}.`, { path: o.name });
      }
      sum += x;
    }
    if (sum === 0) throw new LtrError('invalid-data', `${o.name} is all zero: no entry is observed, so the loss would be 0/0. Mark the entries to fit with 1.`, { path: o.name });
    const broadcast = o.shape === undefined ? 1 : o.shape.reduce((a, b) => a * b, 1) / v.length;
    return { observed: sum * broadcast, fraction: sum / v.length };
  } finally {
    t.dispose();
  }
}
