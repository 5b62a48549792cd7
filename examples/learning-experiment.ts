/**
 * The paper's learning experiment at a small scale (about half a minute on 2 cores): a 50-unit rate
 * network learns center-out reaches, then adapts to a curl force field with SGD, one update per
 * trial. Prints the reach error per epoch, the ranks of the weight changes, the CP rank of the
 * updates × N × N weight tensor and the rank bound of the setting. `npm run demo` runs the full
 * version (N = 100, cross-validated ltrRNN fit, HTML report). Exits 1 if a check fails.
 */
import { learningExperiment } from 'ltr-rnn';

const r = await learningExperiment({
  neurons: 50,
  pretrain: { updates: 600, batchSize: 16 },
  trials: { baseline: 20, curl: 60, washout: 40 },
  cp: { maxRank: 6, restarts: 2, maxIter: 150 },
  crossValidation: false,
  seed: 0,
});

console.log(`pretraining: ${r.pretraining.updates} Adam updates, final reach error ${r.pretraining.finalReachError.toFixed(3)}`);
console.log('\nreach error (mean of 5 trials)   start    end   lateral start → end');
for (const e of r.epochSummary) {
  console.log(`  ${e.name.padEnd(28)} ${e.first.toFixed(3).padStart(7)} ${e.last.toFixed(3).padStart(6)}   ${e.firstLateral.toFixed(3).padStart(7)} → ${e.lastLateral.toFixed(3)}`);
}
console.log('\nweight change ΔW        numerical rank  rank for 90 %  rank for 95 %');
for (const d of r.deltaRanks) console.log(`  ${d.name.padEnd(22)}${String(d.numericalRank).padStart(14)}${String(d.rankFor90).padStart(15)}${String(d.rankFor95).padStart(15)}`);
const cp = r.cpProfile;
if (cp !== null) {
  console.log('\nCP profile of the updates × N × N tensor of W_k − W_0:');
  for (const row of cp.rows) console.log(`  rank ${row.rank}: explained variance ${(100 * row.explainedVariance).toFixed(1)} %`);
  console.log(`  rank for 90 %: ${cp.rankFor90 ?? `> ${cp.rows.length}`}, for 95 %: ${cp.rankFor95 ?? `> ${cp.rows.length}`}`);
}
const b = r.bounds;
console.log(`\nbound for the setting (SGD, one trial per update, tanh): rank of one update ≤ ${b.update.byUpdate[0]} (${b.update.statementByUpdate[0]}), CP rank of the tensor ≤ ${b.cpRank.value} (${b.cpRank.statement})`);

// Checks: the curl field pushes the hand clockwise and raises the error, SGD brings the error down
// within the epoch, washout shows the opposite after-effect, and the weight changes are far from
// full rank in the variance sense.
const [baseline, curl, washout] = r.epochSummary;
const total = r.deltaRanks.find((d) => d.name === 'total');
const ok =
  curl.first > baseline.last + 0.03 &&
  curl.firstLateral < -0.15 &&
  curl.last < 0.8 * curl.first &&
  washout.firstLateral > 0.1 &&
  total !== undefined &&
  total.rankFor90 < r.network.neurons / 4;
console.log(`\n${ok ? 'ok' : 'FAIL'}: the curl field deflects the reach, SGD adapts within the epoch, washout shows the after-effect, ΔW is low rank`);
if (!ok) process.exit(1);
