/**
 * Choosing a CP rank on planted data. A simulated recording, trial × neuron × time, is built from
 * three planted components whose trial gains change over "learning" (one is learned, one fades,
 * one fluctuates). The example reports the
 * backend, sweeps CP ranks 1–5 (error, restart similarity, core consistency), picks the rank, fits
 * it and compares the recovered trial gains with the planted ones. Exits 1 if a check fails.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CPTensor, cpAls, factorMatchScore, rankSweep, ready, rng } from 'ltr-rnn';

const info = await ready(); // the default backend (wasm), no useBackend call needed
console.log(`CP rank choice on backend '${info.name}' (${info.packageName}@${info.packageVersion}, SIMD ${info.simd})\n`);

// Planted data: K trials × N neurons × T time bins, rank 3, 5 % noise.
const K = 60, N = 40, T = 50, R = 3;
const g = rng(7);
// A mode that is learned (sigmoid rise), one that is unlearned (decay), one that fluctuates.
const trialGains = Array.from({ length: K }, (_, k) => [1 / (1 + Math.exp(-(k - 30) / 4)), Math.exp(-k / 15), 0.6 + 0.4 * Math.sin((2 * Math.PI * k) / K)]);
const neuronLoadings = Array.from({ length: N }, () => Array.from({ length: R }, () => Math.abs(g.normal())));
const timeCourses = Array.from({ length: T }, (_, t) => [0, 1, 2].map((r) => Math.exp(-(((t - 10 - 15 * r) / 6) ** 2))));
const truth = CPTensor.fromArrays([1, 1, 1], [trialGains, neuronLoadings, timeCourses]);
const clean = truth.full();
const x = tf.tidy(() => {
  const e = tf.tensor(Float32Array.from(g.normalArray(clean.size)), clean.shape);
  return tf.add(clean, tf.mul(e, tf.div(tf.mul(tf.norm(clean), 0.05), tf.norm(e))));
});

console.log('rank sweep (3 restarts each):');
console.log('rank  best error  min similarity  core consistency');
const sweep = await rankSweep(x, { ranks: [1, 2, 3, 4, 5], restarts: 3, seed: 0 });
for (const e of sweep.ranks) {
  console.log(`${String(e.rank).padStart(4)}  ${e.relErrors[0].toFixed(4).padStart(10)}  ${Math.min(...e.similarities).toFixed(3).padStart(14)}  ${e.coreConsistency.toFixed(1).padStart(16)}`);
}
// The rank to keep: the largest whose model is still consistent (CORCONDIA > 90) and stable.
const chosen = Math.max(...sweep.ranks.filter((e) => e.coreConsistency > 90 && Math.min(...e.similarities) > 0.95).map((e) => e.rank));
console.log(`\nchosen rank: ${chosen}`);

const fit = await cpAls(x, { rank: chosen, restarts: 5, seed: 1 });
const fms = await factorMatchScore(fit.cp, truth, { ignoreWeights: true });
console.log(`cpAls: relative error ${fit.relError.toFixed(4)} (noise level 0.05), factor match score vs planted ${fms.score.toFixed(4)}`);

// Trial gains over learning: the fitted trial factor scaled by the weights, shown as sparklines.
const host = await fit.cp.toHost();
const bars = '▁▂▃▄▅▆▇█';
console.log('\nrecovered trial gains over learning (one row per component):');
for (let r = 0; r < host.weights.length; r++) {
  const col = Array.from({ length: K }, (_, k) => Math.abs(host.factors[0].data[k * host.weights.length + r]));
  const max = Math.max(...col);
  console.log(`  component ${r + 1}: ${col.map((v) => bars[Math.min(7, Math.floor((v / max) * 7.999))]).join('')}`);
}

const ok = chosen === R && fms.score > 0.95 && fit.relError < 0.06;
console.log(`\n${ok ? 'ok' : 'FAIL'}: planted rank found and components recovered`);
fit.cp.dispose();
truth.dispose();
tf.dispose([clean, x]);
if (!ok) process.exit(1);
