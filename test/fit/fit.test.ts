/**
 * fitLtrRNN on small teacher data: bad input is refused before compute, JSON round trips, abort →
 * checkpoint → resume repeats an uninterrupted run exactly, no tensor leaks, cpu and wasm agree,
 * baselines, metadata (conditions, epochs, preparatory times), the Poisson loss, and a longer
 * length scale giving smoother trial factors.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../src/backend';
import { LtrError } from '../../src/validate/errors';
import { fitLtrRNN, LtrFit, roughness, type FitLtrRNNOptions, type LtrFitCheckpoint } from '../../src/fit';
import { weightTensor } from '../../src/rnn';
import { expectNoLeak, TEST_BACKENDS } from '../helpers/backends';
import { makeTeacher } from './teacher';

const teacher = makeTeacher({ rank: 2, latentDim: 8, epochs: [12, 12, 12], bins: 12, conditions: 2, neurons: 12, noise: 0.05, seed: 3 });
const data = { data: teacher.data, shape: teacher.shape };
const [T, K, D] = teacher.shape;
const base: FitLtrRNNOptions = { rank: 2, latentDim: 6, conditions: teacher.conditions, epochs: teacher.epochs, discontinuousAtEpochs: true, sigma: 0.5, lengthScale: 5, iterations: 12, learningRate: 0.05, earlyStopping: false, seed: 1 };

async function errorOf(p: Promise<unknown>): Promise<LtrError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(LtrError);
  return e as LtrError;
}

describe('fitLtrRNN refuses bad input before computing', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('NaN in data: invalid-data, and the message says to mask it', async () => {
    const bad = Float32Array.from(teacher.data);
    bad[17] = Number.NaN;
    const before = tf.memory().numTensors;
    const e = await errorOf(fitLtrRNN({ data: bad, shape: teacher.shape }, base));
    expect(e.code).toBe('invalid-data');
    expect(e.message).toMatch(/mask/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each([
    ['conditions', { conditions: teacher.conditions.slice(1) }, 'options.conditions'],
    ['trialIds', { trialIds: [1, 2, 3] }, 'options.trialIds'],
    ['epochs', { epochs: teacher.epochs.slice(0, K - 2) }, 'options.epochs'],
    ['times', { times: [0, 1] }, 'options.times'],
  ])('metadata of the wrong length (%s): shape-mismatch naming the field', async (_n, extra, path) => {
    const e = await errorOf(fitLtrRNN(data, { ...base, ...extra }));
    expect(e.code).toBe('shape-mismatch');
    expect(e.path).toBe(path);
    expect(e.message).toMatch(new RegExp(`${K}|${T}`));
  });

  it('latentDim < rank: invalid-option naming latentDim', async () => {
    const e = await errorOf(fitLtrRNN(data, { ...base, rank: 4, latentDim: 3 }));
    expect(e.code).toBe('invalid-option');
    expect(e.path).toBe('options.latentDim');
    expect(e.message).toMatch(/rank/);
  });

  it('orthogonal decoder with more latent units than neurons: invalid-option that explains why', async () => {
    const e = await errorOf(fitLtrRNN(data, { ...base, latentDim: D + 1 }));
    expect(e.code).toBe('invalid-option');
    expect(e.path).toBe('options.latentDim');
    expect(e.message).toMatch(/orthonormal columns/);
    expect(e.message).toMatch(/linear/);
  });

  it('mask of the wrong shape: shape-mismatch; empty test set: invalid-data', async () => {
    const ones = { data: new Float32Array(T * K * D).fill(1), shape: [T, K, D] };
    const small = { data: new Float32Array(T * K).fill(1), shape: [T, K, 1 + 1] };
    const e1 = await errorOf(fitLtrRNN(data, { ...base, mask: { train: ones, test: { data: new Float32Array(T * K * 2).fill(1), shape: small.shape } } }));
    expect(e1.code).toBe('shape-mismatch');
    expect(e1.path).toBe('options.mask.test');
    const e2 = await errorOf(fitLtrRNN(data, { ...base, mask: { train: ones, test: { data: new Float32Array(T * K * D), shape: [T, K, D] } } }));
    expect(e2.code).toBe('invalid-data');
    expect(e2.path).toBe('options.mask.test');
    expect(e2.message).toMatch(/test set is empty/);
  });

  it('other refusals: Poisson on non-counts, discontinuity without epochs, a preparatory window without negative times, typos', async () => {
    expect((await errorOf(fitLtrRNN(data, { ...base, loss: 'poisson' }))).code).toBe('invalid-data');
    expect((await errorOf(fitLtrRNN(data, { ...base, epochs: undefined }))).path).toBe('options.discontinuousAtEpochs');
    expect((await errorOf(fitLtrRNN(data, { ...base, inputWindow: 'preparatory' }))).path).toBe('options.inputWindow');
    expect((await errorOf(fitLtrRNN(data, { ...base, rnak: 3 } as FitLtrRNNOptions))).code).toBe('invalid-option');
    expect((await errorOf(fitLtrRNN(data, { ...base, duration: 50 }))).path).toBe('options.duration');
  });
});

describe.each(TEST_BACKENDS)('fitLtrRNN on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('fits, leaks nothing, and round-trips through JSON exactly', async () => {
    const start = tf.memory().numTensors;
    const fit = await fitLtrRNN(data, base);
    const held = tf.memory().numTensors - start;
    expect(fit.losses.iterations).toBe(12);
    expect(fit.losses.history.test).toHaveLength(12);
    expect(fit.losses.test).toBeLessThan(fit.losses.history.test[0]);
    expect(fit.factors!.trial.observed.shape).toEqual([K, 2]);
    expect(fit.factors!.column.shape).toEqual([6, 2]);
    expect(fit.provenance.backend).toBe(backend);
    expect(fit.provenance.options.rank).toBe(2);
    // The cell alone describes the weights: its trial factors are the observed ones.
    const cp = weightTensor(fit.cell);
    const cp2 = fit.weightTensor();
    expect(Array.from(await cp.factors[0].data())).toEqual(Array.from(await cp2.factors[0].data()));
    cp.dispose();
    cp2.dispose();
    const pred = fit.predict();
    expect(pred.shape).toEqual([T, K, D]);

    const json = JSON.parse(JSON.stringify(await fit.toJSON()));
    const back = LtrFit.fromJSON(json);
    const pred2 = back.predict();
    expect(Array.from(await pred2.data())).toEqual(Array.from(await pred.data()));
    expect(Array.from(await back.factors!.trial.latent.data())).toEqual(Array.from(await fit.factors!.trial.latent.data()));
    expect(back.losses).toEqual(fit.losses);
    expect(back.parameters).toEqual(fit.parameters);
    tf.dispose([pred, pred2]);
    back.dispose();
    fit.dispose();
    expect(held).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(start);
    const e = await errorOf(Promise.resolve().then(() => LtrFit.fromJSON({ ...json, variables: { ...json.variables, decoderWeight: { shape: [1, 1], values: [0] } } })));
    expect(e.code).toBe('shape-mismatch');
    expect(tf.memory().numTensors).toBe(start);
  });

  it('abort → checkpoint → resume gives exactly the uninterrupted run', async () => {
    const opts: FitLtrRNNOptions = { ...base, iterations: 10, fractionMasked: 0.25, noise: 0.1, earlyStopping: { window: 50, minStd: 0 } };
    const full = await fitLtrRNN(data, opts);
    const controller = new AbortController();
    let saved: LtrFitCheckpoint | null = null;
    const before = tf.memory().numTensors;
    const e = await errorOf(
      fitLtrRNN(data, {
        ...opts,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.step === 4) controller.abort();
        },
        checkpointEvery: 100,
        onCheckpoint: (c) => {
          saved = c as LtrFitCheckpoint;
        },
      }),
    );
    expect(e.code).toBe('aborted');
    expect(tf.memory().numTensors).toBe(before);
    expect(saved).not.toBeNull();
    const resumed = await fitLtrRNN(data, { ...opts, resumeFrom: JSON.parse(JSON.stringify(saved)) });
    expect(resumed.losses.objective).toEqual(full.losses.objective);
    expect(resumed.losses.history).toEqual(full.losses.history);
    expect(resumed.losses.test).toBe(full.losses.test);
    const a = await full.toJSON();
    const b = await resumed.toJSON();
    expect(b.variables).toEqual(a.variables);
    // Extending a finished fit: its checkpoint continues to more iterations.
    const more = await fitLtrRNN(data, { ...opts, iterations: 14, resumeFrom: full.checkpoint });
    expect(more.losses.iterations).toBe(14);
    expect(more.losses.objective.slice(0, 10)).toEqual(full.losses.objective);
    const mismatch = await errorOf(fitLtrRNN(data, { ...opts, rank: 1, resumeFrom: full.checkpoint }));
    expect(mismatch.path).toBe('options.rank');
    for (const f of [full, resumed, more]) f.dispose();
  });

  it('baselines: lowRankPerTrial and static on the same data and mask, with their parameter counts', async () => {
    const n = 6;
    const r = 2;
    const ltr = await fitLtrRNN(data, base);
    const perTrial = await fitLtrRNN(data, { ...base, model: 'lowRankPerTrial' });
    const stat = await fitLtrRNN(data, { ...base, model: 'static' });
    expect(ltr.parameters.recurrent).toBe(2 * n * r + K * r + r);
    expect(perTrial.parameters.recurrent).toBe(2 * K * n * r);
    expect(stat.parameters.recurrent).toBe(2 * n * r + r);
    expect(perTrial.factors).toBeNull();
    expect(() => perTrial.weightTensor()).toThrow(/lowRankPerTrial/);
    // static: the same trial factors on every trial.
    const c = (await stat.factors!.trial.observed.array()) as number[][];
    expect(c.every((row) => row.every((v, j) => v === c[0][j]))).toBe(true);
    for (const f of [ltr, perTrial, stat]) {
      expect(Number.isFinite(f.losses.test)).toBe(true);
      f.dispose();
    }
  });

  it('conditions with preparatory times: inputs on the preparatory bins only, not fitted there', async () => {
    const times = Array.from({ length: T }, (_, t) => t - 3);
    const fit = await fitLtrRNN(data, { ...base, times, iterations: 6 });
    expect(fit.metadata.preparatoryBins).toBe(3);
    expect(fit.options.inputWindow).toBe('preparatory');
    expect(fit.options.inputDim).toBe(2);
    expect(fit.parameters.inputs).toBeGreaterThan(0);
    const all = await fitLtrRNN(data, { ...base, times, iterations: 6, inputWindow: 'all', fitPreparatory: true, inputBasisSize: 3, inputInSpan: false });
    expect(all.options.inputWindow).toBe('all');
    expect(all.parameters.inputs).toBe(3 * 2 * 2 + 6 * 2); // courses: basis × conditions × d; free W_in: N × d
    fit.dispose();
    all.dispose();
  });
});

describe('fitLtrRNN across backends and losses', () => {
  it('cpu and wasm give the same fit (12 Adam steps, relative difference < 1e-3)', async () => {
    const run = async (b: 'cpu' | 'wasm'): Promise<{ test: number; c: Float32Array }> => {
      await useBackend(b);
      const fit = await fitLtrRNN(data, base);
      const out = { test: fit.losses.test, c: (await fit.factors!.trial.observed.data()) as Float32Array };
      fit.dispose();
      return out;
    };
    const a = await run('cpu');
    const b = await run('wasm');
    expect(Math.abs(a.test - b.test) / b.test).toBeLessThan(1e-3);
    let d = 0;
    for (let i = 0; i < a.c.length; i++) d = Math.max(d, Math.abs(a.c[i] - b.c[i]));
    expect(d).toBeLessThan(1e-3);
  });

  it('integer counts select the Poisson loss; predict() returns rates', async () => {
    await useBackend('wasm');
    const fit = await fitLtrRNN({ data: teacher.counts, shape: teacher.shape }, { ...base, decoderScale: true });
    expect(fit.losses.kind).toBe('poisson');
    expect(fit.options.loss).toBe('poisson');
    const rates = fit.predict();
    const logRate = fit.predict({ output: 'logRate' });
    const [r, l] = [await rates.data(), await logRate.data()];
    for (let i = 0; i < 50; i++) expect(r[i]).toBeCloseTo(Math.exp(l[i]), 4);
    expect(fit.losses.test).toBeLessThan(fit.losses.history.test[0]);
    tf.dispose([rates, logRate]);
    fit.dispose();
  });

  it('a longer length scale gives smoother latent trial factors (3 values of ℓ)', async () => {
    await useBackend('wasm');
    const rough: number[] = [];
    for (const lengthScale of [1, 6, 36]) {
      const fit = await fitLtrRNN(data, { ...base, discontinuousAtEpochs: false, lengthScale, iterations: 25 });
      const v = await fit.factors!.trial.latent.data();
      const r = roughness(v, K, 2);
      rough.push(r.reduce((a, b) => a + b, 0) / r.length);
      fit.dispose();
    }
    expect(rough[1]).toBeLessThan(rough[0]);
    expect(rough[2]).toBeLessThan(rough[1]);
  });

  it('leaves no tensor behind when it throws inside (diverged)', async () => {
    await useBackend('wasm');
    const before = tf.memory().numTensors;
    const e = await errorOf(fitLtrRNN(data, { ...base, learningRate: 1e30, iterations: 5 }));
    expect(['diverged']).toContain(e.code);
    expect(tf.memory().numTensors).toBe(before);
    await expectNoLeak(async () => {
      const f = await fitLtrRNN(data, { ...base, iterations: 2 });
      f.dispose();
    });
  });
});
