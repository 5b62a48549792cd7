import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { rng, useBackend } from '../../src/backend';
import { FullRankCell, simulate } from '../../src/rnn';
import { train } from '../../src/train';
import { centerOutReach, type CenterOutReach } from '../../src/tasks';
import { TEST_BACKENDS } from '../helpers/backends';

const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;

/** Mean evaluation of the cell on one reach to each target (go step 15) under curl k. */
async function evaluateCell(task: CenterOutReach, cell: FullRankCell, curl: number) {
  const b = task.batch(task.everyTarget({ curl }));
  const sim = simulate(cell, { inputs: b.inputs });
  const e = await task.evaluate(sim.outputs as tf.Tensor3D, b);
  sim.dispose();
  b.dispose();
  return { reachError: mean(e.reachError), lateral: mean(e.lateralDeviation), endpoint: mean(e.endpointError) };
}

const results: Record<string, number[]> = {};

describe.each(TEST_BACKENDS)('a tanh RNN learns center-out reaching on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('FullRankCell N = 30 (dt 0.02 s, τ 0.1 s), 60 Adam updates of 16 trials: reach error 2.2 → below 0.3; the curl field then pushes it clockwise', async () => {
    const start = tf.memory().numTensors;
    const task = centerOutReach();
    const cell = new FullRankCell({ size: 30, inputSize: task.inputSize, outputSize: task.outputSize, dt: task.dt, tau: 0.1, seed: 1 });
    const before = await evaluateCell(task, cell, 0);
    expect(before.reachError).toBeGreaterThan(1);
    const r = rng(5);
    let batch = task.batch(task.randomTrials(16, r), r);
    const res = await train({
      variables: cell.namedVariables(),
      steps: 60,
      optimizer: 'adam',
      learningRate: 0.01,
      loss: () => task.loss(simulate(cell, { inputs: batch.inputs }).outputs as tf.Tensor3D, batch),
      onStep: () => {
        batch.dispose();
        batch = task.batch(task.randomTrials(16, r), r);
      },
    });
    batch.dispose();
    const after = await evaluateCell(task, cell, 0);
    const curled = await evaluateCell(task, cell, task.options.curl);
    expect(res.history.loss[0] / (res.finalLoss as number)).toBeGreaterThan(50);
    expect(after.reachError).toBeLessThan(0.3);
    expect(Math.abs(after.lateral)).toBeLessThan(0.1);
    expect(curled.lateral).toBeLessThan(after.lateral - 0.15);
    expect(curled.reachError).toBeGreaterThan(after.reachError);
    results[backend] = [after.reachError, curled.reachError, curled.lateral, res.finalLoss as number];
    cell.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});

describe('reach training on cpu and wasm', () => {
  it('ends at the same numbers on both backends', () => {
    const [a, b] = TEST_BACKENDS.map((n) => results[n]);
    a.forEach((x, i) => expect(Math.abs(x - b[i])).toBeLessThan(1e-3 * Math.max(1, Math.abs(x))));
  });
});
