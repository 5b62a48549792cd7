/**
 * Acceptance (slow, ~2 min on 2 cores): an ltrRNN cross-validated over ranks 1–6 × 3 seeds on data
 * from a rank-3 teacher (30 latent units, 120 trials in three epochs of 40 with smooth drifts and a
 * jump at each epoch change, 40 bins, 4 conditions, 50 neurons through a random orthogonal map,
 * Gaussian noise at SNR ≈ 4.4) selects rank 3; the best rank-3 fit recovers the teacher's trial
 * factors (factor match score > 0.9); its test loss beats the static baseline's; the
 * lowRankPerTrial baseline is fitted on the same mask and reported with parameter counts.
 *
 * Fits run on wasm in two worker threads (the built package). Settings (documented in docs/fit.md):
 * latentDim 30, σ = 0.5, ℓ = 15, epochs discontinuous, Adam lr 0.05, at most 500 iterations with
 * the reference's stopping rule on a 50-evaluation window (minStd 3e-4).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend';
import { blockMask } from '../../src/train';
import { crossValidateRank, DEFAULT_BLOCK_MASK, fitLtrRNN, trialFactorMatch, type FitLtrRNNOptions } from '../../src/fit';
import { distEntry } from './dist';
import { makeTeacher } from './teacher';

const teacher = makeTeacher({ noise: 0.15 });
const [T, K, D] = teacher.shape;
const truth = Array.from({ length: K }, (_, k) => Array.from(teacher.trialFactors.subarray(k * 3, k * 3 + 3)));

describe('acceptance: rank selection on rank-3 teacher data (Gaussian)', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('selects rank 3, recovers the trial factors, beats the static baseline', async () => {
    const t0 = performance.now();
    const mask = blockMask([T, K, D], { ...DEFAULT_BLOCK_MASK, trainHalfBlock: [2, 2, 0], testHalfBlock: [1, 1, 0] });
    const shared = {
      conditions: teacher.conditions,
      epochs: teacher.epochs,
      discontinuousAtEpochs: true,
      sigma: 0.5,
      lengthScale: 15,
      learningRate: 0.05,
      iterations: 500,
      earlyStopping: { window: 50, minStd: 3e-4 },
      mask: { train: mask.train, test: mask.test },
    };
    const common: FitLtrRNNOptions = { ...shared, latentDim: 30 };
    const data = { data: teacher.data, shape: teacher.shape };
    // The baselines run on the main thread while the workers run the sweep.
    const [cv, baselines] = await Promise.all([
      crossValidateRank(data, { ...shared, ranks: [1, 2, 3, 4, 5, 6], seeds: [0, 1, 2], latentDims: [30], concurrency: 2, workerModule: distEntry() }),
      (async () => {
        const stat = await fitLtrRNN(data, { ...common, rank: 3, model: 'static' });
        const perTrial = await fitLtrRNN(data, { ...common, rank: 3, model: 'lowRankPerTrial' });
        return { stat, perTrial };
      })(),
    ]);
    const seconds = (performance.now() - t0) / 1000;
    const best = cv.best;
    const observed = await trialFactorMatch(await best.factors!.trial.observed.array(), truth);
    const latent = await trialFactorMatch(await best.factors!.trial.latent.array(), truth);
    const lines = cv.table.map((r) => `  ltr rank ${r.rank}: test ${r.mean.toFixed(4)} ± ${r.se.toFixed(4)} (train ${r.trainMean.toFixed(4)}), ${r.parameters} parameters`);
    lines.push(`  static rank 3: test ${baselines.stat.losses.test.toFixed(4)}, ${baselines.stat.parameters.total} parameters (recurrent ${baselines.stat.parameters.recurrent})`);
    lines.push(`  lowRankPerTrial rank 3: test ${baselines.perTrial.losses.test.toFixed(4)}, ${baselines.perTrial.parameters.total} parameters (recurrent ${baselines.perTrial.parameters.recurrent})`);
    lines.push(`  best rank-3 fit (seed ${cv.entries.find((e) => e.fit === best)?.seed}): test ${best.losses.test.toFixed(4)}, recurrent parameters ${best.parameters.recurrent}; FMS observed ${observed.score.toFixed(3)}, latent ${latent.score.toFixed(3)}`);
    lines.push(`  selected rank ${cv.selected.rank} (threshold ${cv.rule.threshold.toFixed(4)}); SNR ${teacher.snr.toFixed(2)}; ${seconds.toFixed(0)} s`);
    console.log(`cv acceptance (Gaussian):\n${lines.join('\n')}`);

    expect(cv.selected.rank).toBe(3);
    expect(best.rank).toBe(3);
    expect(observed.score).toBeGreaterThan(0.9);
    expect(latent.score).toBeGreaterThan(0.9);
    expect(best.losses.test).toBeLessThan(baselines.stat.losses.test);
    expect(Number.isFinite(baselines.perTrial.losses.test)).toBe(true);
    expect(baselines.perTrial.parameters.recurrent).toBe(2 * K * 30 * 3);
    cv.dispose();
    baselines.stat.dispose();
    baselines.perTrial.dispose();
  }, 600_000);
});
