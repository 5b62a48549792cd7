/**
 * Acceptance (slow, ~2 min on 2 cores): spike counts drawn (Poisson) from the rank-3 teacher's
 * rates exp(log 3 + 2·Q tanh x) — the Poisson loss is chosen from the integer data — cross-validated
 * over ranks 1–6 × 3 seeds: rank 3 is selected, and the best fit recovers the trial factors.
 *
 * Fits run on wasm in two worker threads. Settings: latentDim 30, decoderScale (the teacher's gain),
 * σ = 0.5, ℓ = 15, epochs discontinuous, Adam lr 0.05, at most 400 iterations, stopping rule on a
 * 50-evaluation window (minStd 3e-4).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend';
import { crossValidateRank, trialFactorMatch } from '../../src/fit';
import { distEntry } from './dist';
import { makeTeacher } from './teacher';

const teacher = makeTeacher({ noise: 0.15 });
const K = teacher.shape[1];
const truth = Array.from({ length: K }, (_, k) => Array.from(teacher.trialFactors.subarray(k * 3, k * 3 + 3)));

describe('acceptance: rank selection on Poisson spike counts from the rank-3 teacher', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('selects rank 3 with the Poisson loss', async () => {
    const t0 = performance.now();
    const cv = await crossValidateRank(
      { data: teacher.counts, shape: teacher.shape },
      {
        ranks: [1, 2, 3, 4, 5, 6],
        seeds: [0, 1, 2],
        latentDims: [30],
        decoderScale: true,
        conditions: teacher.conditions,
        epochs: teacher.epochs,
        discontinuousAtEpochs: true,
        sigma: 0.5,
        lengthScale: 15,
        learningRate: 0.05,
        iterations: 400,
        earlyStopping: { window: 50, minStd: 3e-4 },
        concurrency: 2,
        workerModule: distEntry(),
        keepFits: 'best',
      },
    );
    const seconds = (performance.now() - t0) / 1000;
    const fms = await trialFactorMatch(await cv.best.factors!.trial.observed.array(), truth);
    const lines = cv.table.map((r) => `  rank ${r.rank}: normalized deviance ${r.mean.toFixed(4)} ± ${r.se.toFixed(4)}, ${r.parameters} parameters`);
    lines.push(`  selected rank ${cv.selected.rank}; best fit FMS ${fms.score.toFixed(3)}; ${seconds.toFixed(0)} s`);
    console.log(`cv acceptance (Poisson):\n${lines.join('\n')}`);
    expect(cv.best.losses.kind).toBe('poisson');
    expect(cv.selected.rank).toBe(3);
    expect(fms.score).toBeGreaterThan(0.9);
    cv.dispose();
  }, 600_000);
});
