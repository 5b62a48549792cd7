import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/index';
import { svd } from '../../src/linalg/index';
import { gradientDescentRankBounds } from '../../src/rank/index';
import { learningExperiment, type LearningExperimentOptions, type LearningExperimentResult } from '../../src/tasks/index';
import { LtrError } from '../../src/validate/errors';

// A small configuration: N = 30, short pretraining, 10 + 20 + 20 learning trials.
const small: LearningExperimentOptions = {
  neurons: 30,
  pretrain: { updates: 60, batchSize: 16, learningRate: 1e-2 },
  trials: { baseline: 10, curl: 20, washout: 20 },
  learningRate: 3e-3,
  cp: { maxRank: 3, restarts: 2, maxIter: 100 },
  crossValidation: false,
  seed: 3,
};

describe('learningExperiment (cpu)', () => {
  let r: LearningExperimentResult;
  let tensorsBefore: number;
  beforeAll(async () => {
    await useBackend('cpu');
    tensorsBefore = tf.memory().numTensors;
    r = await learningExperiment(small);
  }, 120_000);

  it('leaves no tensors behind', () => {
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('records every learning trial: epochs, reach errors, activity T × K × N, weights (K + 1) × N × N', () => {
    const K = 50;
    expect(r.epochs.map((e) => [e.name, e.start, e.end])).toEqual([['baseline', 0, 10], ['curl', 10, 30], ['washout', 30, 50]]);
    expect(r.epochs.map((e) => e.curl)).toEqual([0, 0.06, 0]);
    for (const key of ['epoch', 'target', 'curl', 'reachError', 'lateralDeviation', 'loss'] as const) expect(r.trials[key]).toHaveLength(K);
    expect(r.trials.curl.slice(9, 11)).toEqual([0, 0.06]);
    // Targets come in shuffled blocks of all 8.
    expect([...r.trials.target.slice(0, 8)].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(r.activity.shape).toEqual([60, K, 30]);
    expect(r.weights.shape).toEqual([K + 1, 30, 30]);
    expect(r.activity.data.every((v) => Math.abs(v) <= 1)).toBe(true); // tanh rates
    expect(r.trials.reachError.every((v) => Number.isFinite(v) && v > 0)).toBe(true);
  });

  it('the curl field pushes the hand clockwise (negative lateral deviation) and raises the error', () => {
    const base = r.epochSummary.find((e) => e.name === 'baseline')!;
    const curl = r.epochSummary.find((e) => e.name === 'curl')!;
    expect(curl.first).toBeGreaterThan(base.last);
    expect(curl.firstLateral).toBeLessThan(base.lastLateral);
  });

  it('only W changes in the learning trials (learn: recurrent), and ΔW ranks match an independent SVD', () => {
    const N = 30;
    const K = 50;
    const w = r.weights.data;
    const d = new Float64Array(N * N);
    for (let i = 0; i < N * N; i++) d[i] = w[K * N * N + i] - w[i];
    const s = svd({ rows: N, cols: N, data: d }).s;
    const total = r.deltaRanks.find((x) => x.name === 'total')!;
    for (let i = 0; i < 5; i++) expect(total.singularValues[i]).toBeCloseTo(s[i], 6);
    const energy = Array.from(s).reduce((a, v) => a + v * v, 0);
    let acc = 0;
    let r90 = 0;
    while (acc < 0.9 * energy) acc += s[r90++] ** 2;
    expect(total.rankFor90).toBe(r90);
    expect(total.rankFor95).toBeGreaterThanOrEqual(r90);
    expect(total.numericalRank).toBeGreaterThanOrEqual(total.rankFor95);
    expect(r.deltaRanks.map((x) => x.name)).toEqual(['total', 'baseline', 'curl', 'washout']);
  });

  it('reports the CP profile of the ΔW tensor and the bounds of the setting', () => {
    const cp = r.cpProfile!;
    expect(cp.rows.map((x) => x.rank)).toEqual([1, 2, 3]);
    for (const row of cp.rows) expect(row.explainedVariance).toBeCloseTo(1 - row.relError ** 2, 10);
    // More components explain more (best of the starts; ALS may tie at convergence).
    expect(cp.rows[2].explainedVariance).toBeGreaterThanOrEqual(cp.rows[0].explainedVariance - 1e-6);
    const expected = gradientDescentRankBounds({ neurons: 30, inputDim: 3, outputDim: 2, timeSteps: 60, trialsPerUpdate: 1, updates: 50, activation: 'nonlinear', init: { rank: 30 }, optimizer: 'sgd', trained: ['recurrent'], initialState: 'zero', bias: false });
    expect(r.bounds.update.value).toBe(expected.update.value);
    expect(r.bounds.cpRank.value).toBe(expected.cpRank.value);
    // Measured ranks obey the bounds that are exact.
    const total = r.deltaRanks.find((x) => x.name === 'total')!;
    expect(total.numericalRank).toBeLessThanOrEqual(r.bounds.sumOfUpdates.guaranteedValue);
  });

  it('carries provenance and plain-data options', () => {
    expect(r.format).toBe('ltr-rnn/learning-experiment');
    expect(r.provenance.seed).toBe(3);
    expect(r.provenance.backend).toBe('cpu');
    expect(r.options).toMatchObject({ neurons: 30, curl: 0.06, goStep: 15 });
    expect(JSON.parse(JSON.stringify({ ...r, activity: null, weights: null })).network.neurons).toBe(30);
  });
});

describe('learningExperiment: reproducibility, cross-validation, refusals', () => {
  const tiny: LearningExperimentOptions = { neurons: 16, pretrain: { updates: 10, batchSize: 8 }, trials: { baseline: 4, curl: 6, washout: 4 }, cp: false, crossValidation: false, seed: 1 };

  it('same seed → identical trials on cpu; wasm agrees to float32 precision', async () => {
    await useBackend('cpu');
    const a = await learningExperiment(tiny);
    const b = await learningExperiment(tiny);
    expect(b.trials.reachError).toEqual(a.trials.reachError);
    expect(Array.from(b.weights.data)).toEqual(Array.from(a.weights.data));
    await useBackend('wasm');
    const c = await learningExperiment(tiny);
    for (let k = 0; k < 14; k++) expect(c.trials.reachError[k]).toBeCloseTo(a.trials.reachError[k], 3);
  }, 120_000);

  it('cross-validates an ltrRNN on the recorded activity and returns the selected fit’s trial factors', async () => {
    await useBackend('wasm');
    const before = tf.memory().numTensors;
    const r = await learningExperiment({ ...tiny, crossValidation: { ranks: [1, 2], seeds: [0], iterations: 15, latentDim: 4, binStride: 4, concurrency: 1 } });
    expect(tf.memory().numTensors).toBe(before);
    const cv = r.crossValidation!;
    expect(cv.table.map((row) => row.rank)).toEqual([1, 2]);
    expect([1, 2]).toContain(cv.selectedRank);
    expect(cv.trialFactors).toHaveLength(14);
    expect(cv.trialFactors[0]).toHaveLength(cv.selectedRank);
    expect(cv.bins).toBe(15); // 60 steps, every 4th
  }, 120_000);

  it('refuses bad options and stops on an aborted signal', async () => {
    await expect(learningExperiment({ goStep: 45 })).rejects.toThrow(/goStep = 45.*latest go step is 30/);
    await expect(learningExperiment({ tau: 0.01 })).rejects.toMatchObject({ code: 'invalid-option', path: 'options.tau' });
    await expect(learningExperiment({ neurons: 0 })).rejects.toBeInstanceOf(LtrError);
    const ac = new AbortController();
    ac.abort();
    const before = tf.memory().numTensors;
    await expect(learningExperiment({ ...tiny, signal: ac.signal })).rejects.toMatchObject({ code: 'aborted' });
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);
});
