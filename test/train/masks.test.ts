import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { rng } from '../../src/backend';
import { LtrError } from '../../src/validate/errors';
import { blockMask, dropTrials, trialDropoutMask } from '../../src/train';

function unflatten(k: number, shape: number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = k % shape[d];
    k = Math.floor(k / shape[d]);
  }
  return idx;
}

describe('blockMask', () => {
  const shape = [40, 60, 30]; // time × trial × neuron, 72 000 entries

  for (const [trainHalfBlock, testHalfBlock, fractionTest] of [
    [2, 1, 0.1],
    [[3, 1, 0], [1, 0, 0], 0.2],
    [1, 0, 0.05],
  ] as const) {
    it(`train ⟂ test, guard band ${JSON.stringify(trainHalfBlock)} / ${JSON.stringify(testHalfBlock)}, test fraction ${fractionTest} ± 2 %`, () => {
      const m = blockMask(shape, { trainHalfBlock: trainHalfBlock as number | number[], testHalfBlock: testHalfBlock as number | number[], fractionTest, seed: 7 });
      const tr = m.train.data;
      const te = m.test.data;
      expect(m.train.shape).toEqual(shape);
      let nTest = 0, nTrain = 0, overlap = 0, nonBinary = 0;
      for (let k = 0; k < tr.length; k++) {
        if (!(tr[k] === 0 || tr[k] === 1) || !(te[k] === 0 || te[k] === 1)) nonBinary++;
        overlap += tr[k] * te[k];
        nTest += te[k];
        nTrain += tr[k];
      }
      expect(nonBinary).toBe(0);
      expect(overlap).toBe(0); // disjoint
      expect(nTest / tr.length).toBe(m.testFraction);
      expect(nTrain / tr.length).toBe(m.trainFraction);
      expect(Math.abs(m.testFraction - fractionTest)).toBeLessThanOrEqual(0.02 * fractionTest);
      // Guard band: no training entry within (trainHalf − testHalf) of any test entry, along every
      // dimension at once (the box around each test entry is free of training entries).
      const outer = typeof trainHalfBlock === 'number' ? shape.map(() => trainHalfBlock) : [...trainHalfBlock];
      const inner = typeof testHalfBlock === 'number' ? shape.map(() => testHalfBlock) : [...testHalfBlock];
      const guard = outer.map((o, d) => o - inner[d]);
      const strides = [shape[1] * shape[2], shape[2], 1];
      let checked = 0;
      let violations = 0;
      for (let k = 0; k < te.length; k++) {
        if (te[k] === 0) continue;
        const [a, b, c] = unflatten(k, shape);
        for (let i = Math.max(0, a - guard[0]); i <= Math.min(shape[0] - 1, a + guard[0]); i++)
          for (let j = Math.max(0, b - guard[1]); j <= Math.min(shape[1] - 1, b + guard[1]); j++)
            for (let l = Math.max(0, c - guard[2]); l <= Math.min(shape[2] - 1, c + guard[2]); l++) {
              violations += tr[i * strides[0] + j * strides[1] + l];
              checked++;
            }
      }
      expect(violations).toBe(0);
      expect(checked).toBeGreaterThan(nTest);
      // Some guard band exists whenever the half widths differ.
      if (guard.some((g) => g > 0)) expect(m.trainFraction + m.testFraction).toBeLessThan(1);
    });
  }

  it('is deterministic by seed and changes with it', () => {
    const a = blockMask([20, 30], { trainHalfBlock: 1, fractionTest: 0.1, seed: 3 });
    const b = blockMask([20, 30], { trainHalfBlock: 1, fractionTest: 0.1, seed: 3 });
    const c = blockMask([20, 30], { trainHalfBlock: 1, fractionTest: 0.1, seed: 4 });
    expect(Array.from(a.test.data)).toEqual(Array.from(b.test.data));
    expect(Array.from(a.train.data)).toEqual(Array.from(b.train.data));
    expect(Array.from(a.test.data)).not.toEqual(Array.from(c.test.data));
  });

  it('the host masks are accepted as tensors', () => {
    const m = blockMask([4, 5, 6], { fractionTest: 0.1 });
    const t = tf.tensor(m.train.data, m.train.shape);
    expect(t.shape).toEqual([4, 5, 6]);
    t.dispose();
  });

  it('bad options → LtrError', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(LtrError);
        return [(e as LtrError).code, (e as LtrError).path];
      }
      throw new Error('did not throw');
    };
    expect(code(() => blockMask([10, 10], { trainHalfBlock: 0, testHalfBlock: 1 }))).toEqual(['invalid-option', 'options.testHalfBlock']);
    expect(code(() => blockMask([10, 10], { trainHalfBlock: [1, 1, 1] }))).toEqual(['invalid-option', 'options.trainHalfBlock']);
    expect(code(() => blockMask([10, 10], { fractionTest: 1 }))).toEqual(['invalid-option', 'options.fractionTest']);
    expect(code(() => blockMask([10, 10], { fractionTest: 0 }))).toEqual(['invalid-option', 'options.fractionTest']);
    expect(code(() => blockMask([10, 0]))).toEqual(['invalid-option', 'shape.1']);
    // 30 test entries, each the centre of a 5 × 5 removed block, cover all of 10 × 10: no training entry is left.
    expect(code(() => blockMask([10, 10], { trainHalfBlock: 2, testHalfBlock: 0, fractionTest: 0.3 }))).toEqual(['invalid-option', 'options.fractionTest']);
    // A 3 × 3 test block is 9 % of 10 × 10: a 1 % request cannot be met.
    expect(code(() => blockMask([10, 10], { trainHalfBlock: 1, testHalfBlock: 1, fractionTest: 0.01 }))).toEqual(['invalid-option', 'options.fractionTest']);
  });
});

describe('trial dropout', () => {
  it('drops round(f·K) trials, never all, deterministically from the generator', () => {
    const a = trialDropoutMask(50, 0.3, 9);
    expect(a.reduce((s, v) => s + v, 0)).toBe(35);
    expect(Array.from(trialDropoutMask(50, 0.3, 9))).toEqual(Array.from(a));
    expect(Array.from(trialDropoutMask(50, 0.3, 10))).not.toEqual(Array.from(a));
    expect(trialDropoutMask(4, 1, 0).reduce((s, v) => s + v, 0)).toBe(1);
    expect(trialDropoutMask(4, 0, 0).reduce((s, v) => s + v, 0)).toBe(4);
    // Drawing from a generator advances it: successive steps get different masks.
    const g = rng(1);
    expect(Array.from(trialDropoutMask(20, 0.5, g))).not.toEqual(Array.from(trialDropoutMask(20, 0.5, g)));
    expect(() => trialDropoutMask(0, 0.1, 0)).toThrow(LtrError);
    expect(() => trialDropoutMask(5, 1.5, 0)).toThrow(LtrError);
  });

  it('dropTrials zeroes whole trials of a time × trial × neuron mask', async () => {
    const mask = tf.ones([3, 6, 2]);
    const d = dropTrials(mask, 0.5, 2);
    const keep = trialDropoutMask(6, 0.5, 2);
    const v = await d.array() as number[][][];
    for (let t = 0; t < 3; t++) for (let k = 0; k < 6; k++) expect(v[t][k]).toEqual([keep[k], keep[k]]);
    expect(() => dropTrials(mask, 0.5, 2, { trialAxis: 3 })).toThrow(LtrError);
    tf.dispose([mask, d]);
  });
});
