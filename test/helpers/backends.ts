/**
 * Shared test helpers: the backends every numeric suite runs on, and a leak check.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/** The backends the CI machine has: every numeric suite runs on each and compares them. */
export const TEST_BACKENDS = ['cpu', 'wasm'] as const;

/**
 * Runs `fn` and asserts that it leaves no tensor behind, whether it resolves or throws.
 * Returns what `fn` returned (the caller disposes any tensors in it afterwards, and those are
 * counted: pass `keep` for the number of tensors the result legitimately holds).
 */
export async function expectNoLeak<T>(fn: () => Promise<T> | T, keep = 0): Promise<T> {
  const before = tf.memory().numTensors;
  let result: T;
  try {
    result = await fn();
  } catch (err) {
    expect(tf.memory().numTensors, 'tensors left after a throwing call').toBe(before);
    throw err;
  }
  expect(tf.memory().numTensors, 'tensors left after the call').toBe(before + keep);
  return result;
}
