/**
 * crossValidateRank: the one-standard-error rule on known tables, and worker threads
 * (concurrency 2) giving exactly the sequential results on the same backend; abort and a library
 * the workers cannot load.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../src/backend';
import { LtrError } from '../../src/validate/errors';
import { crossValidateRank, selectRank, type CrossValidateRankOptions, type CrossValidationRow } from '../../src/fit';
import { distEntry } from './dist';
import { makeTeacher } from './teacher';

const teacher = makeTeacher({ rank: 2, latentDim: 6, epochs: [8, 8], bins: 8, conditions: 2, neurons: 8, noise: 0.05, seed: 5 });
const data = { data: teacher.data, shape: teacher.shape };
const base: CrossValidateRankOptions = { ranks: [1, 2], seeds: [0, 1], latentDims: [5], conditions: teacher.conditions, epochs: teacher.epochs, sigma: 0.5, lengthScale: 4, iterations: 6, learningRate: 0.05, earlyStopping: false };

const row = (rank: number, mean: number, se: number): CrossValidationRow => ({ rank, latentDim: 10, mean, se, losses: [], trainMean: mean, parameters: 0 });

describe('selectRank', () => {
  it('one-standard-error rule: the smallest rank within one s.e. of the best mean', () => {
    const table = [row(1, 0.5, 0.01), row(2, 0.2, 0.01), row(3, 0.105, 0.004), row(4, 0.1, 0.006), row(5, 0.102, 0.002)];
    const sel = selectRank(table, 'oneStandardError');
    expect(sel).toMatchObject({ rank: 3, latentDim: 10, bestRank: 4 });
    expect(sel.threshold).toBeCloseTo(0.106, 15);
    expect(selectRank(table, 'minimum').rank).toBe(4);
    // Several latent sizes: each rank is represented by its best one.
    const two = [row(1, 0.3, 0.01), { ...row(2, 0.12, 0.01), latentDim: 5 }, { ...row(2, 0.1, 0.001), latentDim: 20 }];
    expect(selectRank(two, 'oneStandardError')).toMatchObject({ rank: 2, latentDim: 20 });
    // Diverged rows (infinite means) are ignored; all diverged → LtrError.
    expect(selectRank([row(1, Infinity, 0), row(2, 0.3, 0)], 'oneStandardError').rank).toBe(2);
    expect(() => selectRank([row(1, Infinity, 0)], 'oneStandardError')).toThrow(LtrError);
  });
});

describe('crossValidateRank (wasm)', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('concurrency 2 (worker threads, each with its own backend) gives exactly the sequential results', async () => {
    const start = tf.memory().numTensors;
    const seq = await crossValidateRank(data, base);
    const progress: number[] = [];
    const par = await crossValidateRank(data, { ...base, concurrency: 2, workerModule: distEntry(), keepFits: 'json', onProgress: (p) => progress.push(p.done) });
    expect(par.entries.map((e) => e.testLoss)).toEqual(seq.entries.map((e) => e.testLoss));
    expect(par.entries.map((e) => [e.rank, e.latentDim, e.seed])).toEqual([
      [1, 5, 0],
      [1, 5, 1],
      [2, 5, 0],
      [2, 5, 1],
    ]);
    expect(par.table).toEqual(seq.table);
    expect(par.selected).toEqual(seq.selected);
    expect(par.entries.every((e) => e.json !== null && e.fit === null)).toBe(true);
    expect(seq.entries.every((e) => e.fit !== null)).toBe(true);
    expect(Math.max(...progress)).toBe(4);
    expect(par.best.losses.test).toBe(seq.best.losses.test);
    for (const r of seq.table) {
      expect(r.losses).toHaveLength(2);
      expect(r.mean).toBeCloseTo((r.losses[0] + r.losses[1]) / 2, 12);
      expect(r.se).toBeCloseTo(Math.abs(r.losses[0] - r.losses[1]) / 2, 12);
    }
    seq.dispose();
    par.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('refuses per-fit options, reports a library the workers cannot load, and stops on abort', async () => {
    await expect(crossValidateRank(data, { ...base, rank: 2 } as unknown as CrossValidateRankOptions)).rejects.toMatchObject({ code: 'invalid-option', path: 'options.rank' });
    const start = tf.memory().numTensors;
    await expect(crossValidateRank(data, { ...base, concurrency: 2, workerModule: 'file:///nonexistent/ltr-rnn.js' })).rejects.toMatchObject({ code: 'unsupported', path: 'options.workerModule' });
    const controller = new AbortController();
    const p = crossValidateRank(data, { ...base, iterations: 200, signal: controller.signal, onProgress: (q) => q.step === 2 && controller.abort() });
    await expect(p).rejects.toMatchObject({ code: 'aborted' });
    const c2 = new AbortController();
    const q = crossValidateRank(data, { ...base, iterations: 400, concurrency: 2, workerModule: distEntry(), signal: c2.signal, onProgress: () => c2.abort() });
    await expect(q).rejects.toMatchObject({ code: 'aborted' });
    expect(tf.memory().numTensors).toBe(start);
  });
});
