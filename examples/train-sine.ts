/**
 * Trains a small rate RNN to generate a sine wave with `trainTask` (momentum SGD, one update per
 * trial), prints the loss curve as text, records the recurrent weights after every update and
 * prints the matrix rank of the total update W_K − W₀. Exits non-zero if the loss does not fall
 * at least 100×. Run: `npx tsx examples/train-sine.ts` (after `npm run build`).
 */
import { FullRankCell, WeightRecorder, backendInfo, svd, matrix, trainTask } from 'ltr-rnn';

const T = 50; // time steps of dt = 0.1 τ: two periods of sin(2π t / 2.5τ)
const N = 32;
const UPDATES = 200;
const target = { data: Float32Array.from({ length: T }, (_, t) => Math.sin((2 * Math.PI * (t + 1) * 0.1) / 2.5)), shape: [T, 1, 1] };

const cell = new FullRankCell({ size: N, outputSize: 1, initialState: 'learned', seed: 1 });
const t0 = performance.now();
const result = await trainTask(cell, () => ({ targets: target }), {
  updates: UPDATES,
  optimizer: 'momentum',
  learningRate: 0.1,
  clipNorm: 5,
  record: { storage: 'dense' },
});
const seconds = (performance.now() - t0) / 1000;
const loss = result.history.loss;
console.log(`sine generation, N = ${N}, T = ${T}, ${UPDATES} momentum-SGD updates on ${backendInfo().name}: ${seconds.toFixed(1)} s (${((1000 * seconds) / UPDATES).toFixed(1)} ms/update)`);
console.log('update  loss        log10(loss)');
const lo = Math.log10(Math.min(...loss));
const hi = Math.log10(loss[0]);
for (let k = 0; k < UPDATES; k += UPDATES / 10) {
  const l = loss[k];
  const bar = '#'.repeat(Math.max(1, Math.round((40 * (Math.log10(l) - lo)) / (hi - lo || 1))));
  console.log(`${String(k).padStart(6)}  ${l.toExponential(2).padEnd(10)}  ${bar}`);
}
const final = loss[loss.length - 1];
const ratio = loss[0] / final;
console.log(`loss fell ${ratio.toExponential(2)}× (${loss[0].toExponential(2)} → ${final.toExponential(2)})`);

// The learning tensor: snapshots × N × N. Rank of the total change W_K − W₀ (float64 SVD; singular
// values below 1e-5·σ_max are float32 rounding noise).
const rec = result.recorder as WeightRecorder;
const dw = rec.toHost({ relativeTo: 'initial' });
const last = dw.data.subarray((rec.length - 1) * N * N);
const s = svd(matrix(N, N, Float64Array.from(last))).s;
const rank = s.filter((v) => v > 1e-5 * s[0]).length;
let total = 0;
for (const v of s) total += v * v;
let acc = 0;
let r99 = 0;
while (acc < 0.99 * total) acc += s[r99++] ** 2;
console.log(`recorded ${rec.length} weight snapshots (${dw.shape.join(' × ')}); total update W_K − W₀: matrix rank ${rank} of ${N}, ${r99} singular values hold 99 % of its energy`);
console.log(`leading singular values: ${Array.from(s.slice(0, 6)).map((v) => v.toExponential(2)).join(', ')}`);
rec.dispose();
cell.dispose();

if (!(ratio >= 100)) {
  console.error(`FAIL: the loss fell only ${ratio.toFixed(1)}×, expected ≥ 100×`);
  process.exit(1);
}
