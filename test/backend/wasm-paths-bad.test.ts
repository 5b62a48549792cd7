// Its own file (own process): a wasm start that failed cannot be retried in the same process.
import { expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../src/backend';

it('wasm binaries not found: LtrError with the fix, and the previous backend stays active', async () => {
  await useBackend('cpu');
  const warn = console.warn;
  console.warn = () => undefined; // tfjs logs the failed initialization itself
  const err = await useBackend('wasm', { wasmPaths: '/nonexistent/ltr-rnn-wasm/' }).catch((e: unknown) => e);
  console.warn = warn;
  expect(err).toMatchObject({ code: 'backend-unavailable', path: 'name' });
  expect((err as Error).message).toContain('options.wasmPaths');
  expect(tf.getBackend()).toBe('cpu');
  expect(Array.from(await tf.add(tf.scalar(1), tf.scalar(2)).data())).toEqual([3]);
});
