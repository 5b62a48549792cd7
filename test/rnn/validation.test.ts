/**
 * Bad input is refused with an LtrError naming the field; JSON round trips; no public call
 * leaves tensors behind.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { randomNormal, useBackend } from '../../src/backend';
import { isLtrError } from '../../src/validate';
import { FullRankCell, LowRankCell, LowTensorRankCell, cellFromJSON, simulate, weightTensor, type RnnCell } from '../../src/rnn';
import { expectNoLeak } from '../helpers/backends';

function expectLtr(fn: () => unknown, code: string, path: string, message?: RegExp): void {
  let err: unknown;
  const before = tf.memory().numTensors;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(isLtrError(err), `expected an LtrError, got ${String(err)}`).toBe(true);
  const e = err as { code: string; path: string; message: string };
  expect(e.code).toBe(code);
  expect(e.path).toBe(path);
  if (message) expect(e.message).toMatch(message);
  expect(tf.memory().numTensors, 'tensors left after a refused call').toBe(before);
}

describe('validation', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('cell options: τ ≤ 0, dt ≤ 0, dt > τ (explained), rank > N, unknown activation, sizes', () => {
    expectLtr(() => new FullRankCell({ size: 4, tau: 0 }), 'invalid-option', 'options.tau');
    expectLtr(() => new FullRankCell({ size: 4, tau: -1 }), 'invalid-option', 'options.tau');
    expectLtr(() => new FullRankCell({ size: 4, dt: 0 }), 'invalid-option', 'options.dt');
    expectLtr(() => new LowRankCell({ size: 4, rank: 1, tau: 0.1, dt: 0.2 }), 'invalid-option', 'options.dt', /Euler.*(1 − dt\/τ).*diverges/s);
    expectLtr(() => new LowRankCell({ size: 4, rank: 5 }), 'invalid-option', 'options.rank', /R ≤ N/);
    expectLtr(() => new LowTensorRankCell({ size: 4, trials: 2, rank: 5 }), 'invalid-option', 'options.rank');
    expectLtr(() => new LowTensorRankCell({ size: 4, trials: 0, rank: 1 }), 'invalid-option', 'options.trials');
    expectLtr(() => new LowTensorRankCell({ size: 4, rank: 1 } as never), 'invalid-option', 'options.trials');
    expectLtr(() => new FullRankCell({ size: 4, activation: 'sigmoid' as never }), 'invalid-option', 'options.activation', /'tanh', 'relu', 'softplus', 'identity'/);
    expectLtr(() => new FullRankCell({ size: 0 }), 'invalid-option', 'options.size');
    expectLtr(() => new FullRankCell({ size: 4, inputSize: 1.5 }), 'invalid-option', 'options.inputSize');
    expectLtr(() => new FullRankCell({ size: 4, bogus: 1 } as never), 'invalid-option', 'options');
    expectLtr(() => new FullRankCell({ size: 4, initialState: { type: 'fixed', value: [1, 2] } }), 'shape-mismatch', 'options.initialState.value');
    expectLtr(() => new FullRankCell({ size: 4, initialState: 'random' as never }), 'invalid-option', 'options.initialState');
    expectLtr(() => new FullRankCell({ size: 4, readout: 'cayley' as never }), 'invalid-option', 'options.readout');
  });

  it('simulate options: input dimension, trial count, trial indices, steps, conditions, NaN, dense limit', () => {
    const cell = new LowTensorRankCell({ size: 6, trials: 3, rank: 2, inputSize: 2, initialState: { type: 'per-condition', conditions: 2 } });
    const good = randomNormal([5, 3, 2], 1);
    const cond = [0, 1, 0];
    const wrongDim = randomNormal([5, 3, 4], 1);
    expectLtr(() => simulate(cell, { inputs: wrongDim, conditions: cond }), 'shape-mismatch', 'options.inputs', /input dimension 4.*inputSize d_in is 2/);
    expectLtr(() => simulate(cell, { inputs: good, trials: [0, 1], conditions: cond }), 'shape-mismatch', 'options.trials', /Trial count mismatch/);
    expectLtr(() => simulate(cell, { inputs: good, conditions: [0, 1] }), 'shape-mismatch', 'options.conditions', /Trial count mismatch/);
    expectLtr(() => simulate(cell, { inputs: good, trials: [0, 1, 3], conditions: cond }), 'invalid-option', 'options.trials[2]', /0\.\.2/);
    expectLtr(() => simulate(cell, { inputs: good, trials: [0, 1.5, 2], conditions: cond }), 'invalid-option', 'options.trials[1]');
    expectLtr(() => simulate(cell, { conditions: cond, steps: 5 }), 'invalid-option', 'options.inputs');
    expectLtr(() => simulate(cell, { inputs: good, steps: 4, conditions: cond }), 'shape-mismatch', 'options.steps');
    expectLtr(() => simulate(cell, { inputs: good }), 'invalid-option', 'options.conditions');
    expectLtr(() => simulate(cell, { inputs: good, conditions: [0, 2, 1] }), 'invalid-option', 'options.conditions[1]');
    expectLtr(() => simulate(cell, { inputs: [[[1, NaN]]], trials: [0], conditions: [0] }), 'invalid-data', 'options.inputs[0][0][1]');
    expectLtr(() => simulate(cell, { inputs: [[[1, 2]], [[1]]], trials: [0], conditions: [0] }), 'invalid-data', 'options.inputs[1][0]');
    expectLtr(() => simulate(cell, { inputs: good, conditions: cond, x0: [1, 2] }), 'shape-mismatch', 'options.x0');
    expectLtr(() => simulate(cell, { inputs: good, conditions: cond, method: 'rk4' as never }), 'invalid-option', 'options.method');
    expectLtr(() => simulate(cell, { inputs: good, conditions: cond, noise: { sigma: -1 } }), 'invalid-option', 'options.noise.sigma');
    expectLtr(() => simulate(cell, { inputs: good, conditions: cond, drive: 'dense', maxDenseElements: 100 }), 'limit-exceeded', 'options.maxDenseElements', /3 trials/);
    // The LTR cell needs to know which of its K trials each simulated trial is.
    const noInput = new LowTensorRankCell({ size: 6, trials: 3, rank: 2 });
    expectLtr(() => simulate(noInput, { steps: 3, batch: 2 }), 'shape-mismatch', 'options.trials', /K = 3/);
    expectLtr(() => simulate(noInput, { steps: 3, inputs: good }), 'shape-mismatch', 'options.inputs', /no input/);
    expectLtr(() => simulate(noInput, {} as never), 'invalid-option', 'options.steps');
    // Other cells: a stray trial index array only sets the batch size.
    const full = new FullRankCell({ size: 3 });
    const res = simulate(full, { steps: 2, trials: [7, 7] });
    expect(res.states.shape).toEqual([2, 2, 3]);
    res.dispose();
    cell.dispose();
    expectLtr(() => simulate(cell, { inputs: good, conditions: cond }), 'invalid-data', 'cell');
    tf.dispose([good, wrongDim]);
    noInput.dispose();
    full.dispose();
  });

  it('stepDrive, weightsFor and weightTensor refuse bad arguments', () => {
    const cell = new LowTensorRankCell({ size: 5, trials: 3, rank: 2, inputSize: 1 });
    const x = tf.zeros([3, 5]);
    const u = tf.zeros([3, 1]);
    const xBad = tf.zeros([3, 4]);
    expectLtr(() => cell.stepDrive(xBad, u), 'shape-mismatch', 'x');
    expectLtr(() => cell.stepDrive(x, null), 'shape-mismatch', 'u');
    expectLtr(() => cell.stepDrive(x, u, [0, 1]), 'shape-mismatch', 'trials');
    expectLtr(() => cell.weightsFor(3), 'invalid-option', 'trial');
    expectLtr(() => cell.weightsFor(), 'invalid-option', 'trial');
    expectLtr(() => weightTensor({} as never), 'invalid-option', 'cell');
    tf.dispose([x, u, xBad]);
    cell.dispose();
  });

  it('JSON round trip for every cell gives identical simulations; bad JSON is refused', async () => {
    const cells: RnnCell[] = [
      new FullRankCell({ size: 6, inputSize: 2, outputSize: 2, initialState: 'learned', seed: 1 }),
      new LowRankCell({ size: 6, rank: 2, inputSize: 2, outputSize: 3, readout: 'orthogonal', scale: 3, seed: 2 }),
      new LowTensorRankCell({ size: 6, trials: 4, rank: 2, inputSize: 2, outputSize: 2, inputInSpan: true, biasInSpan: true, unitNormColumns: false, initialState: { type: 'per-condition', conditions: 2, scale: 0.4 }, seed: 3 }),
    ];
    const inputs = randomNormal([6, 4, 2], 2);
    for (const cell of cells) {
      const json = await expectNoLeak(() => cell.toJSON());
      const text = JSON.stringify(json);
      const back = await expectNoLeak(() => cellFromJSON(JSON.parse(text)), cell.variables().length + (cell.readout?.type === 'orthogonal' ? 1 : 0));
      expect(back.kind).toBe(cell.kind);
      expect(back.constructor).toBe(cell.constructor);
      const o = { inputs, conditions: [0, 1, 1, 0], noise: { sigma: 0.1, seed: 1 } };
      const a = simulate(cell, o);
      const b = simulate(back, o);
      expect(Array.from(await b.outputs!.data())).toEqual(Array.from(await a.outputs!.data()));
      a.dispose();
      b.dispose();
      back.dispose();
      // Class-specific fromJSON refuses another kind.
      const other = cell instanceof FullRankCell ? LowRankCell : FullRankCell;
      expectLtr(() => other.fromJSON(JSON.parse(text)), 'invalid-data', 'json.kind');
    }
    const json = (await cells[0].toJSON()) as unknown as Record<string, unknown>;
    expectLtr(() => cellFromJSON({ ...json, version: 2 }), 'invalid-data', 'json.version');
    const params = json.parameters as Record<string, { shape: number[]; values: number[] }>;
    expectLtr(() => cellFromJSON({ ...json, parameters: { ...params, recurrent: { shape: [5, 5], values: new Array(25).fill(0) } } }), 'shape-mismatch', 'json.parameters.recurrent');
    expectLtr(() => cellFromJSON({ ...json, parameters: { ...params, extra: { shape: [1], values: [0] } } }), 'invalid-data', 'json.parameters.extra');
    expectLtr(() => cellFromJSON({ ...json, parameters: { ...params, bias: { shape: [6], values: [0, 0] } } }), 'invalid-data', 'json.parameters.bias.values');
    cells.forEach((c) => c.dispose());
    inputs.dispose();
  });

  it('a user activation works, is saved as custom and must be passed again to load', async () => {
    const act = (x: tf.Tensor): tf.Tensor => tf.mul(tf.tanh(x), 2);
    const cell = new FullRankCell({ size: 4, activation: act, seed: 1 });
    expect(cell.activationName).toBe('custom');
    const res = simulate(cell, { steps: 3, x0: [1, 2, 3, 4] });
    const want = tf.tidy(() => tf.mul(tf.tanh(res.states), 2));
    expect(Math.max(...(await tf.abs(tf.sub(want, res.rates)).data()))).toBeLessThan(1e-6);
    const json = await cell.toJSON();
    expect(json.options.activation).toBe('custom');
    expectLtr(() => cellFromJSON(json), 'invalid-option', 'options.activation', /Pass it again/);
    const back = cellFromJSON(json, { activation: act });
    back.dispose();
    tf.dispose([want]);
    res.dispose();
    cell.dispose();
  });

  it('no leaks: constructing and disposing cells, simulating inside variableGrads, weightTensor', async () => {
    const start = tf.memory().numTensors;
    const cell = new LowTensorRankCell({ size: 8, trials: 3, rank: 2, inputSize: 1, outputSize: 2, readout: 'orthogonal', seed: 1 });
    const inputs = randomNormal([10, 3, 1], 1);
    const { value, grads } = await expectNoLeak(
      () => tf.variableGrads(() => tf.tidy(() => tf.sum(simulate(cell, { inputs, method: 'heun', noise: { sigma: 0.1, seed: 1 } }).outputs!)) as tf.Scalar, cell.variables()),
      1 + cell.variables().length,
    );
    expect(Object.keys(grads).length).toBe(cell.variables().length);
    value.dispose();
    tf.dispose(Object.values(grads));
    const cp = weightTensor(cell);
    cp.dispose();
    const f = cell.factors();
    tf.dispose([f.trialFactors, f.columnFactors, f.rowFactors]);
    inputs.dispose();
    cell.dispose();
    cell.dispose(); // twice is fine
    expect(tf.memory().numTensors).toBe(start);
  });
});
