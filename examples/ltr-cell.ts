/**
 * Example: a low-tensor-rank RNN whose dynamics rotate over trials.
 *
 *   npx tsx examples/ltr-cell.ts
 *
 * Four rank-one modes built on two orthonormal directions a₁, a₂ give, on trial k,
 *   W⁽ᵏ⁾ = g [a₁ a₂] R(θ_k) [a₁ a₂]ᵀ,   R(θ) the 2-D rotation by θ,
 * i.e. trial factors g cos θ_k, g cos θ_k, g sin θ_k, −g sin θ_k on the modes a₁a₁ᵀ, a₂a₂ᵀ, a₂a₁ᵀ,
 * a₁a₂ᵀ. As θ_k grows from 0 to π/4 over 40 trials the latent flow turns: from an attracting
 * ring of (nearly) fixed points, where the state only drifts, to a limit cycle that turns faster
 * and faster. One call simulates all
 * 40 trials at once with the factored drive; the K × N × N tensor is only formed to check it.
 * Exits 1 if a check fails.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LowTensorRankCell, rng, simulate, useBackend, weightTensor } from 'ltr-rnn';

await useBackend('wasm');
const N = 60;
const K = 40;
const R = 4;
const g = 2.5;
const steps = 200;
let failed = false;
const check = (ok: boolean, what: string): void => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failed = true;
};

// Two orthonormal directions (Gram–Schmidt on seeded Gaussian vectors).
const r = rng(1);
const a1 = r.normalArray(N);
const a2 = r.normalArray(N);
const dot = (u: Float64Array, v: Float64Array): number => u.reduce((s, x, i) => s + x * v[i], 0);
const n1 = Math.sqrt(dot(a1, a1));
a1.forEach((_, i, a) => (a[i] /= n1));
const p = dot(a1, a2);
a2.forEach((_, i, a) => (a[i] -= p * a1[i]));
const n2 = Math.sqrt(dot(a2, a2));
a2.forEach((_, i, a) => (a[i] /= n2));

const theta = Array.from({ length: K }, (_, k) => ((Math.PI / 4) * k) / (K - 1));
const cell = new LowTensorRankCell({ size: N, trials: K, rank: R, tau: 1, dt: 0.1, bias: false, seed: 0 });
const v = cell.namedVariables();
const cols = (vs: Float64Array[]): number[][] => Array.from({ length: N }, (_, i) => vs.map((x) => x[i]));
v.columnFactors.assign(tf.tensor2d(cols([a1, a2, a2, a1])));
v.rowFactors.assign(tf.tensor2d(cols([a1, a2, a1, a2])));
v.trialFactors.assign(tf.tensor2d(theta.map((t) => [g * Math.cos(t), g * Math.cos(t), g * Math.sin(t), -g * Math.sin(t)])));

// Start every trial at 2·a₁ and simulate all trials at once.
const x0 = Array.from(a1, (x) => 2 * x);
const t0 = performance.now();
const res = simulate(cell, { steps, x0, noise: { sigma: 0.02, seed: 3 } });
const states = (await res.states.array()) as number[][][]; // time × trial × N
const ms = performance.now() - t0;

// Latent coordinates κ = (a₁·x, a₂·x) and the angle each trial's trajectory sweeps.
const swept: number[] = [];
const radius: number[] = [];
for (let k = 0; k < K; k++) {
  let total = 0;
  let prev = Math.atan2(dot(a2, Float64Array.from(x0)), dot(a1, Float64Array.from(x0)));
  for (let t = 0; t < steps; t++) {
    const x = Float64Array.from(states[t][k]);
    const ang = Math.atan2(dot(a2, x), dot(a1, x));
    let d = ang - prev;
    if (d > Math.PI) d -= 2 * Math.PI;
    if (d < -Math.PI) d += 2 * Math.PI;
    total += d;
    prev = ang;
  }
  swept.push(total);
  const x = Float64Array.from(states[steps - 1][k]);
  radius.push(Math.hypot(dot(a1, x), dot(a2, x)));
}

console.log(`ltrRNN: N = ${N} units, K = ${K} trials, tensor rank R = ${R}; ${steps} steps of dt = 0.1 τ for all trials in one call (${ms.toFixed(0)} ms on ${tf.getBackend()}).`);
console.log('trial  θ_k (deg)  turns swept  final radius');
for (const k of [0, 5, 10, 15, 20, 25, 30, 35, 39]) {
  console.log(`${String(k).padStart(5)}  ${((theta[k] * 180) / Math.PI).toFixed(1).padStart(9)}  ${(swept[k] / (2 * Math.PI)).toFixed(2).padStart(11)}  ${radius[k].toFixed(2).padStart(12)}`);
}

// The weights over trials as a CP tensor (K × N × N, rank 4), never densified for the dynamics.
const cp = weightTensor(cell);
console.log(`weight tensor: CPTensor of shape [${cp.shape.join(', ')}], rank ${cp.rank}, norm ${(await cp.norm()).toFixed(3)}`);
check(cp.rank === R && cp.shape.join() === [K, N, N].join(), 'weightTensor is a rank-4 K × N × N CP tensor');
// Check the factored drive against the dense weights for a few trials.
const dense = cp.full();
const trials = [0, 13, 39];
const x = tf.tensor2d(trials.map((k) => states[50][k]));
const drive = cell.stepDrive(x, null, trials);
const want = tf.tidy(() => tf.squeeze(tf.matMul(tf.gather(dense, trials), tf.expandDims(tf.tanh(x), 2)), [2]));
const rel = tf.tidy(() => tf.div(tf.norm(tf.sub(drive, want)), tf.norm(want)));
const relErr = (await rel.data())[0];
check(relErr < 1e-5, `factored drive Â·(c_k ⊙ B̂ᵀφ(x)) equals dense W⁽ᵏ⁾φ(x) (relative difference ${relErr.toExponential(1)})`);
check(Math.abs(swept[0]) < 0.1 * swept[K - 1], `trial 0 (θ = 0: an attracting ring, no rotation) only drifts along it (${(swept[0] / (2 * Math.PI)).toFixed(2)} turns, under a tenth of trial ${K - 1}'s)`);
check(swept[K - 1] > 2 * Math.PI, `trial ${K - 1} (θ = 45°) turns more than once (${(swept[K - 1] / (2 * Math.PI)).toFixed(2)} turns)`);
check(swept.every((s, k) => k === 0 || s >= swept[k - 1] - 0.05), 'the rotation grows with the trial index');
check(radius.every((q) => q > 0.5), 'every trial stays away from the origin (the fixed points and cycles are outside it)');
tf.dispose([dense, x, drive, want, rel]);
cp.dispose();
res.dispose();
cell.dispose();
process.exit(failed ? 1 : 0);
