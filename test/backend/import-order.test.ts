// Imports the library before (and without) @tensorflow/tfjs-core, as a user's first line might:
// tensors must still come from the real tfjs-core (with its op handler), and gradients work.
import { expect, it } from 'vitest';
import { randomNormal, ready } from '../../src/backend';

it('works when the library is the first import', async () => {
  await ready();
  const t = randomNormal([3], 1);
  const c = t.clone(); // Tensor methods go through tfjs's op handler, null in a class without one
  expect(c.shape).toEqual([3]);
  const tf = await import('@tensorflow/tfjs-core');
  expect(t instanceof tf.Tensor).toBe(true);
  const x = tf.variable(tf.tensor1d([2]));
  const { grads } = tf.variableGrads(() => tf.sum(tf.square(x)));
  expect(Array.from(await grads[x.name].data())).toEqual([4]);
  tf.dispose([t, c, x, grads[x.name]]);
});
