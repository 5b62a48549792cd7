/**
 * crossValidateRank is resumable: every finished fit goes through onEntry as plain JSON; a run
 * given some of them as `completed` (after a JSON round trip) returns exactly the uninterrupted
 * run's table, selection and best fit; an abort (sequential, or with worker threads) leaves every
 * finished fit delivered and resumes to the same result; entries and checkpoints of another sweep
 * are refused; no tensor leaks.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../src/backend';
import { LtrError } from '../../src/validate/errors';
import {
  checkCrossValidationCheckpoint,
  crossValidateRank,
  crossValidationCheckpoint,
  crossValidationCheckpointEntrySchema,
  type CrossValidateRankOptions,
  type CrossValidationCheckpointEntry,
  type CrossValidationResult,
} from '../../src/fit';
import { expectNoLeak, TEST_BACKENDS } from '../helpers/backends';
import { distEntry } from './dist';
import { makeTeacher } from './teacher';

const teacher = makeTeacher({ rank: 2, latentDim: 6, epochs: [8, 8], bins: 8, conditions: 2, neurons: 8, noise: 0.05, seed: 5 });
const data = { data: teacher.data, shape: teacher.shape };
const base: CrossValidateRankOptions = { ranks: [1, 2], seeds: [0, 1], latentDims: [5], conditions: teacher.conditions, epochs: teacher.epochs, sigma: 0.5, lengthScale: 4, iterations: 8, learningRate: 0.05, earlyStopping: false };

/** What a checkpoint file holds after writing and reading back. */
const viaJSON = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

async function errorOf(p: Promise<unknown>): Promise<LtrError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(LtrError);
  return e as LtrError;
}

/** The best fit's variables (its parameters), for exact comparison. */
async function bestVariables(cv: CrossValidationResult): Promise<Record<string, { shape: number[]; values: number[] }>> {
  return (await cv.best.toJSON()).variables;
}

/** Asserts that `b` is `a` exactly: per-fit losses, table, selection, best fit. */
async function expectSameResult(a: CrossValidationResult, b: CrossValidationResult): Promise<void> {
  const numbers = (cv: CrossValidationResult) => cv.entries.map((e) => [e.rank, e.latentDim, e.seed, e.trainLoss, e.testLoss, e.iterations, e.stoppedBy, e.error]);
  expect(numbers(b)).toEqual(numbers(a));
  expect(b.table).toEqual(a.table);
  expect(b.selected).toEqual(a.selected);
  expect(b.rule).toEqual(a.rule);
  expect(b.best.losses).toEqual(a.best.losses);
  expect(b.best.parameters).toEqual(a.best.parameters);
  expect(await bestVariables(b)).toEqual(await bestVariables(a));
  expect(await b.best.factors!.trial.observed.data()).toEqual(await a.best.factors!.trial.observed.data());
  expect(await b.best.decoder.weight.data()).toEqual(await a.best.decoder.weight.data());
}

describe.each(TEST_BACKENDS)('crossValidateRank resumes exactly on %s', (backend) => {
  let full: CrossValidationResult;
  let collected: CrossValidationCheckpointEntry[];

  beforeAll(async () => {
    await useBackend(backend);
    collected = [];
    full = await crossValidateRank(data, { ...base, onEntry: (e) => void collected.push(e) });
  });

  it('onEntry gives every fit as plain JSON data, in sweep order', async () => {
    expect(collected.map((e) => [e.rank, e.latentDim, e.seed])).toEqual([
      [1, 5, 0],
      [1, 5, 1],
      [2, 5, 0],
      [2, 5, 1],
    ]);
    collected.forEach((e, i) => {
      const r = full.entries[i];
      expect(e).toMatchObject({ trainLoss: r.trainLoss, testLoss: r.testLoss, iterations: 8, stoppedBy: 'steps', parameters: r.parameters, error: null });
      expect(e.json?.losses.test).toBe(r.testLoss);
      expect(e.json?.config).toMatchObject({ rank: r.rank, latentDim: 5, seed: r.seed });
      // Plain data: a JSON round trip changes nothing.
      expect(viaJSON(e)).toEqual(e);
    });
  });

  it('completed = the first half (after a JSON round trip): those fits are not rerun, the result is identical', async () => {
    const start = tf.memory().numTensors;
    const rerun: CrossValidationCheckpointEntry[] = [];
    const progress: number[] = [];
    const resumed = await crossValidateRank(data, { ...base, completed: viaJSON(collected.slice(0, 2)), onEntry: (e) => void rerun.push(e), onProgress: (p) => progress.push(p.done) });
    expect(rerun.map((e) => [e.rank, e.seed])).toEqual([
      [2, 0],
      [2, 1],
    ]);
    expect(Math.min(...progress)).toBe(2);
    // The refitted ones repeat the first run's fits exactly (seeded).
    expect(rerun.map((e) => e.json!.variables)).toEqual(collected.slice(2).map((e) => e.json!.variables));
    await expectSameResult(full, resumed);
    // keepFits 'all': the completed fits are rebuilt from their JSON.
    expect(resumed.entries.every((e) => e.fit !== null)).toBe(true);
    expect(await resumed.entries[0].fit!.toJSON().then((j) => j.variables)).toEqual(collected[0].json!.variables);
    resumed.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('completed = every fit: nothing runs, the best fit is rebuilt from its JSON, identical', async () => {
    const rerun: CrossValidationCheckpointEntry[] = [];
    const start = tf.memory().numTensors;
    const resumed = await crossValidateRank(data, { ...base, keepFits: 'best', completed: viaJSON([...collected].reverse()), onEntry: (e) => void rerun.push(e) });
    expect(rerun).toEqual([]);
    await expectSameResult(full, resumed);
    expect(resumed.entries.every((e) => e.fit === null)).toBe(true);
    resumed.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('abort during the second fit: aborted, the first fit went through onEntry, resuming from it gives the same result', async () => {
    const start = tf.memory().numTensors;
    const controller = new AbortController();
    const got: CrossValidationCheckpointEntry[] = [];
    const e = await errorOf(
      crossValidateRank(data, {
        ...base,
        signal: controller.signal,
        onEntry: async (entry) => {
          await new Promise((r) => setTimeout(r, 1)); // an asynchronous writer
          got.push(entry);
        },
        onProgress: (p) => {
          if (p.done === 1 && p.step === 3) controller.abort();
        },
      }),
    );
    expect(e.code).toBe('aborted');
    expect(got.map((x) => [x.rank, x.seed])).toEqual([[1, 0]]);
    expect(tf.memory().numTensors).toBe(start);
    const resumed = await crossValidateRank(data, { ...base, completed: viaJSON(got) });
    await expectSameResult(full, resumed);
    resumed.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('an abort from a timer (as from a SIGINT handler) stops a long fit within a few steps', async () => {
    const start = tf.memory().numTensors;
    const controller = new AbortController();
    let abortedAt = 0;
    let steps = 0;
    const e = await errorOf(
      crossValidateRank(data, {
        ...base,
        iterations: 100_000,
        signal: controller.signal,
        onProgress: (p) => {
          steps = p.step;
          if (abortedAt === 0) {
            abortedAt = -1;
            setTimeout(() => {
              abortedAt = performance.now();
              controller.abort();
            }, 0);
          }
        },
      }),
    );
    expect(e.code).toBe('aborted');
    expect(abortedAt).toBeGreaterThan(0);
    expect(performance.now() - abortedAt).toBeLessThan(1000);
    expect(steps).toBeLessThan(1000);
    expect(tf.memory().numTensors).toBe(start);
  });

  it('an error thrown by onEntry stops the sweep and is rethrown, without leaks', async () => {
    let calls = 0;
    const err = await expectNoLeak(() =>
      crossValidateRank(data, {
        ...base,
        onEntry: () => {
          calls++;
          throw new Error('disk full');
        },
      }).then(
        () => null,
        (x: unknown) => x,
      ),
    );
    expect(calls).toBe(1);
    expect((err as Error).message).toBe('disk full');
  });
});

describe('crossValidateRank with worker threads (wasm): abort delivers the finished fits and resumes exactly', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('abort from the first onEntry: aborted promptly, no entry after the rejection, the entries resume (in workers) to the sequential result', async () => {
    const opts: CrossValidateRankOptions = { ...base, iterations: 12, workerModule: distEntry() };
    const start = tf.memory().numTensors;
    const reference = await crossValidateRank(data, opts);
    const controller = new AbortController();
    const got: CrossValidationCheckpointEntry[] = [];
    let abortedAt = 0;
    const e = await errorOf(
      crossValidateRank(data, {
        ...opts,
        concurrency: 2,
        keepFits: 'json',
        signal: controller.signal,
        onEntry: async (entry) => {
          await new Promise((r) => setTimeout(r, 5));
          got.push(entry);
          if (abortedAt === 0) {
            abortedAt = performance.now();
            controller.abort();
          }
        },
      }),
    );
    const stopMs = performance.now() - abortedAt;
    expect(e.code).toBe('aborted');
    // The first fit, and the other worker's when it finished before it could stop; no new fit starts.
    expect(got.length).toBeGreaterThanOrEqual(1);
    expect(got.length).toBeLessThanOrEqual(2);
    expect(stopMs).toBeLessThan(3000);
    const n = got.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toHaveLength(n);
    for (const g of got) {
      const i = reference.entries.findIndex((r) => r.rank === g.rank && r.seed === g.seed);
      expect(g.testLoss).toBe(reference.entries[i].testLoss);
    }
    const resumed = await crossValidateRank(data, { ...opts, concurrency: 2, completed: viaJSON(got) });
    await expectSameResult(reference, resumed);
    resumed.dispose();
    reference.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('fits in flight stop at their next step (the workers read a shared stop flag)', async () => {
    const controller = new AbortController();
    let abortedAt = 0;
    let entries = 0;
    const e = await errorOf(
      crossValidateRank(data, {
        ...base,
        iterations: 5000,
        concurrency: 2,
        workerModule: distEntry(),
        signal: controller.signal,
        onEntry: () => void entries++,
        onProgress: () => {
          // From a timer, as a SIGINT handler would.
          if (abortedAt === 0) {
            abortedAt = -1;
            setTimeout(() => {
              abortedAt = performance.now();
              controller.abort();
            }, 0);
          }
        },
      }),
    );
    expect(e.code).toBe('aborted');
    expect(performance.now() - abortedAt).toBeLessThan(2000);
    expect(entries).toBe(0);
  });

  it('an error thrown by onEntry stops the workers and is rethrown', async () => {
    const start = tf.memory().numTensors;
    const err = await crossValidateRank(data, {
      ...base,
      iterations: 6,
      concurrency: 2,
      workerModule: distEntry(),
      onEntry: () => Promise.reject(new Error('disk full')),
    }).then(
      () => null,
      (x: unknown) => x,
    );
    expect((err as Error).message).toBe('disk full');
    expect(tf.memory().numTensors).toBe(start);
  });
});

describe('completed entries and checkpoints of another sweep are refused (cpu)', () => {
  const opts: CrossValidateRankOptions = { ...base, iterations: 2 };
  let entries: CrossValidationCheckpointEntry[];

  beforeAll(async () => {
    await useBackend('cpu');
    entries = [];
    const cv = await crossValidateRank(data, { ...opts, keepFits: 'best', onEntry: (e) => void entries.push(viaJSON(e)) });
    cv.dispose();
  });

  it.each([
    ['a fit outside the grid', () => [{ ...entries[0], rank: 3, json: null, error: 'x' }], 'options.completed[0]', /rank 3, latentDim 5, seed 0, which is not in this sweep/],
    ['a fit given twice', () => [entries[0], entries[0]], 'options.completed[1]', /already gives/],
    ['a json of another fit', () => [{ ...entries[0], seed: 1 }], 'options.completed[0]', /json has seed 0 where this sweep has 1/],
    ['a json for data of another shape', () => [{ ...entries[0], json: { ...entries[0].json!, metadata: { ...entries[0].json!.metadata, dataShape: [8, 16, 9] } } }], 'options.completed[0]', /data shape \[8, 16, 9\]/],
    ['a fit made on another backend', () => [{ ...entries[0], json: { ...entries[0].json!, provenance: { ...entries[0].json!.provenance, backend: 'wasm' } } }], 'options.completed[0]', /backend 'wasm'/],
    ['a finished fit without its json', () => [{ ...entries[0], json: null }], 'options.completed.0.json', /needs its JSON/],
  ])('%s: invalid-option naming the entry, before any fit', async (_n, completed, path, message) => {
    const e = await expectNoLeak(() => errorOf(crossValidateRank(data, { ...opts, completed: completed() as CrossValidationCheckpointEntry[] })));
    expect(e.code).toBe('invalid-option');
    expect(e.path).toBe(path);
    expect(e.message).toMatch(message);
  });

  it('a diverged entry survives JSON (NaN ↔ null), is not rerun and is left out of the mean', async () => {
    const diverged: CrossValidationCheckpointEntry = { ...entries[0], trainLoss: Number.NaN, testLoss: Number.NaN, parameters: null, error: 'diverged at step 1', json: null };
    const text = JSON.stringify(diverged);
    expect(text).toContain('"testLoss":null');
    const back = crossValidationCheckpointEntrySchema.parse(JSON.parse(text));
    expect(back.testLoss).toBeNaN();
    expect(back.trainLoss).toBeNaN();
    const rerun: CrossValidationCheckpointEntry[] = [];
    const cv = await crossValidateRank(data, { ...opts, completed: [JSON.parse(text) as CrossValidationCheckpointEntry], onEntry: (e) => void rerun.push(e) });
    expect(rerun).toHaveLength(3);
    expect(cv.entries[0].error).toBe('diverged at step 1');
    expect(cv.table[0].losses[0]).toBeNaN();
    expect(cv.table[0].mean).toBe(cv.entries[1].testLoss);
    cv.dispose();
  });

  it('a checkpoint file: made, filled by onEntry, written and read back, checked against data, options and backend', async () => {
    const checkpoint = await crossValidationCheckpoint(data, opts);
    expect(checkpoint).toMatchObject({ format: 'ltr-rnn/cv-checkpoint', version: 1, dataShape: teacher.shape, backend: 'cpu', entries: [] });
    expect(checkpoint.dataHash).toMatch(/^h64:[0-9a-f]{16}$/);
    expect(checkpoint.options).toMatchObject({ ranks: [1, 2], seeds: [0, 1], latentDims: [5], iterations: 2, learningRate: 0.05, earlyStopping: false });
    checkpoint.entries.push(...entries.slice(0, 3));
    const file = JSON.parse(JSON.stringify(checkpoint)) as unknown;
    // Options that do not change the numbers may differ.
    const checked = await checkCrossValidationCheckpoint(file, data, { ...opts, rule: 'minimum', keepFits: 'json', onProgress: () => undefined });
    expect(checked.entries).toEqual(entries.slice(0, 3));
    const cv = await crossValidateRank(data, { ...opts, completed: checked.entries });
    expect(cv.entries.map((e) => e.testLoss)).toEqual(entries.map((e) => e.testLoss));
    cv.dispose();

    const refused = async (p: Promise<unknown>, code: string, path: string, message: RegExp): Promise<void> => {
      const e = await errorOf(p);
      expect([e.code, e.path]).toEqual([code, path]);
      expect(e.message).toMatch(message);
    };
    await refused(checkCrossValidationCheckpoint(file, data, { ...opts, iterations: 3 }), 'invalid-option', 'options.iterations', /made with options\.iterations = 2, but these options give 3/);
    await refused(checkCrossValidationCheckpoint(file, data, { ...opts, seeds: [0, 1, 2] }), 'invalid-option', 'options.seeds', /\[0,1\].*\[0,1,2\]/);
    await refused(checkCrossValidationCheckpoint(file, data, { ...opts, conditions: teacher.conditions.map(() => 0) }), 'invalid-option', 'options.conditions', /conditions/);
    await refused(checkCrossValidationCheckpoint(file, data, { ...opts, blockMask: { trainHalfBlock: 1, testHalfBlock: 0, fractionTest: 0.2 } }), 'invalid-option', 'options.blockMask', /blockMask/);
    const other = Float32Array.from(teacher.data);
    other[100] += 1e-3;
    await refused(checkCrossValidationCheckpoint(file, { data: other, shape: teacher.shape }, opts), 'invalid-data', 'data', /other data of the same shape/);
    const [T, K, D] = teacher.shape;
    const fewer = { data: teacher.data.filter((_, i) => i % D !== 0), shape: [T, K, D - 1] };
    await refused(checkCrossValidationCheckpoint(file, fewer, opts), 'shape-mismatch', 'data', /\[8, 16, 8\].*\[8, 16, 7\]/);
    await refused(checkCrossValidationCheckpoint(file, data, { ...opts, concurrency: 2, workerBackend: 'wasm' }), 'invalid-option', 'checkpoint.backend', /'cpu'.*'wasm'/);
    await refused(checkCrossValidationCheckpoint({ ...(file as object), format: 'ltr-rnn/fit-checkpoint' }, data, opts), 'invalid-data', 'checkpoint.format', /cv-checkpoint/);
    await refused(crossValidationCheckpoint(data, { ...opts, schedule: () => 0.01 }), 'invalid-option', 'options.schedule', /schedule object/);
  });

  it('a given mask is recorded by its hash', async () => {
    const [T, K, D] = teacher.shape;
    const n = T * K * D;
    const train = { data: Float32Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0 : 1)), shape: [T, K, D] };
    const test = { data: Float32Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 1 : 0)), shape: [T, K, D] };
    const checkpoint = await expectNoLeak(() => crossValidationCheckpoint(data, { ...opts, mask: { train, test } }));
    expect(checkpoint.options.blockMask).toBe('given (options.mask)');
    expect(checkpoint.options.mask).toMatchObject({ train: { shape: [T, K, D] }, test: { shape: [T, K, D] } });
    await checkCrossValidationCheckpoint(viaJSON(checkpoint), data, { ...opts, mask: { train, test } });
    const test2 = { data: Float32Array.from(test.data, (v, i) => (i === 0 ? 0 : v)), shape: [T, K, D] };
    const train2 = { data: Float32Array.from(train.data, (v, i) => (i === 0 ? 0 : v)), shape: [T, K, D] };
    const e = await errorOf(checkCrossValidationCheckpoint(viaJSON(checkpoint), data, { ...opts, mask: { train: train2, test: test2 } }));
    expect([e.code, e.path]).toEqual(['invalid-option', 'options.mask']);
  });
});
