/**
 * Activation functions φ of the rate networks: rates r = φ(x).
 */
import * as tf from '@tensorflow/tfjs-core';
import { LtrError } from '../validate/errors';

/** The built-in activations. */
export const ACTIVATION_NAMES = ['tanh', 'relu', 'softplus', 'identity'] as const;
/** Name of a built-in activation. */
export type ActivationName = (typeof ACTIVATION_NAMES)[number];
/**
 * A user activation: any function of tfjs ops (so that gradients flow), applied elementwise to
 * a tensor of states and returning a tensor of the same shape.
 */
export type ActivationFn = (x: tf.Tensor) => tf.Tensor;
/** What a cell's `activation` option accepts. */
export type Activation = ActivationName | ActivationFn;

const BUILT_IN: Record<ActivationName, ActivationFn> = {
  tanh: (x) => tf.tanh(x),
  relu: (x) => tf.relu(x),
  softplus: (x) => tf.softplus(x),
  // A copy, so that the rates never alias the states (callers may dispose one of them).
  identity: (x) => tf.clone(x),
};

/**
 * Resolves an activation option to its function and its name (`'custom'` for a user function).
 * @throws LtrError `invalid-option` for an unknown name.
 */
export function resolveActivation(a: unknown, path = 'options.activation'): { fn: ActivationFn; name: ActivationName | 'custom' } {
  if (typeof a === 'function') return { fn: a as ActivationFn, name: 'custom' };
  if (typeof a === 'string' && (ACTIVATION_NAMES as readonly string[]).includes(a)) return { fn: BUILT_IN[a as ActivationName], name: a as ActivationName };
  throw new LtrError('invalid-option', `${path}: unknown activation ${JSON.stringify(a)}. Use one of ${ACTIVATION_NAMES.map((n) => `'${n}'`).join(', ')} or a function of tfjs ops (x: tf.Tensor) => tf.Tensor.`, { path });
}
