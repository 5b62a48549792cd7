/**
 * Runs on every backend installed here, prints what each is, and checks that a matMul gives the
 * same numbers as on cpu. Run: `npx tsx examples/backends.ts` (after `npm run build`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_NAMES, isLtrError, randomNormal, useBackend } from 'ltr-rnn';

const product = () => tf.tidy(() => tf.matMul(randomNormal([128, 96], 1), randomNormal([96, 64], 2)));

await useBackend('cpu');
const ref = (await product().data()) as Float32Array;
let failures = 0;
for (const name of BACKEND_NAMES) {
  try {
    const info = await useBackend(name);
    const t = product();
    const got = (await t.data()) as Float32Array;
    t.dispose();
    let maxRel = 0;
    const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    for (let i = 0; i < ref.length; i++) maxRel = Math.max(maxRel, Math.abs(got[i] - ref[i]) / scale);
    const ok = maxRel < 1e-5;
    if (!ok) failures++;
    console.log(`${name.padEnd(10)} ${info.packageName}@${info.packageVersion} simd=${info.simd} threads=${info.numThreads} float${info.floatPrecision}  matMul vs cpu: max rel diff ${maxRel.toExponential(2)} ${ok ? 'OK' : 'MISMATCH'}`);
  } catch (err) {
    if (!isLtrError(err) || err.code !== 'backend-unavailable') throw err;
    console.log(`${name.padEnd(10)} unavailable: ${err.message}`);
  }
}
if (failures > 0) {
  console.error(`${failures} backend(s) disagree with cpu`);
  process.exit(1);
}
