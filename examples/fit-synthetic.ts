/**
 * Fit low-tensor-rank RNNs to synthetic recordings from a known rank-3 network and let
 * cross-validation find the rank.
 *
 *   npm run build && npx tsx examples/fit-synthetic.ts
 *
 * The teacher (test/fit/teacher.ts) is a rank-3 ltrRNN whose trial factors drift over 60 trials in
 * three epochs and jump at each epoch change, read out to 40 neurons with Gaussian noise. We fit
 * ranks 1–5 with two seeds each on one block cross-validation mask (two worker threads), print the
 * table, the rank the one-standard-error rule selects and how well the selected fit recovers the
 * teacher's trial factors, and exit non-zero if the rank is not 3 or the match is poor.
 */
import { crossValidateRank, fitLtrRNN, trialFactorMatch, useBackend } from 'ltr-rnn';
import { makeTeacher } from '../test/fit/teacher';

await useBackend('wasm');
const teacher = makeTeacher({ rank: 3, latentDim: 20, epochs: [20, 20, 20], bins: 30, conditions: 3, neurons: 40, noise: 0.15, seed: 4 });
const [T, K, D] = teacher.shape;
console.log(`teacher: rank 3, ${T} bins × ${K} trials × ${D} neurons, SNR ${teacher.snr.toFixed(1)}`);

const t0 = performance.now();
const shared = {
  conditions: teacher.conditions,
  epochs: teacher.epochs,
  discontinuousAtEpochs: true,
  sigma: 0.5,
  lengthScale: 10,
  learningRate: 0.05,
  iterations: 400,
  earlyStopping: { window: 50, minStd: 3e-4 },
};
const cv = await crossValidateRank(
  { data: teacher.data, shape: teacher.shape },
  {
    ...shared,
    latentDims: [20],
    ranks: [1, 2, 3, 4, 5],
    seeds: [0, 1],
    concurrency: 2,
    onProgress: (p) => {
      if (p.step === p.iterations) console.log(`  fit ${p.done}/${p.total}: rank ${p.rank}, seed ${p.seed}, test loss ${p.testLoss?.toFixed(4)}`);
    },
  },
);
// The static baseline (one network for all trials) on the same mask cannot follow learning.
const stat = await fitLtrRNN({ data: teacher.data, shape: teacher.shape }, { ...shared, latentDim: 20, rank: 3, model: 'static', mask: cv.mask });

console.log('\nrank | test loss (mean ± s.e.) | train loss | parameters');
for (const r of cv.table) console.log(`${String(r.rank).padStart(4)} | ${r.mean.toFixed(4)} ± ${r.se.toFixed(4)}       | ${r.trainMean.toFixed(4)}     | ${r.parameters}`);
console.log(`static (rank 3) test loss ${stat.losses.test.toFixed(4)}, ${stat.parameters.total} parameters`);
const truth = Array.from({ length: K }, (_, k) => Array.from(teacher.trialFactors.subarray(k * 3, k * 3 + 3)));
const match = await trialFactorMatch(await cv.best.factors!.trial.observed.array(), truth);
console.log(`\nselected rank ${cv.selected.rank} (one-standard-error rule, threshold ${cv.rule.threshold.toFixed(4)})`);
console.log(`trial factors of the best rank-${cv.selected.rank} fit vs the teacher's: factor match score ${match.score.toFixed(3)}`);
console.log(`${((performance.now() - t0) / 1000).toFixed(0)} s`);

const ok = cv.selected.rank === 3 && match.score > 0.9 && cv.best.losses.test < stat.losses.test;
cv.dispose();
stat.dispose();
if (!ok) {
  console.error('check failed: expected rank 3, a factor match score > 0.9 and a test loss below the static baseline');
  process.exit(1);
}
