/**
 * cpu vs wasm on the op families the library leans on. Decides the default backend
 * (docs/backends.md). Run: `npm run bench backends`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { useBackend, randomNormal } from '../dist/index.js';
import { fmtMs, measure, writeResults, type Timing } from './lib';

const workloads: { name: string; build: () => tf.Tensor[]; run: (xs: tf.Tensor[]) => tf.Tensor }[] = [
  { name: 'matMul 256²', build: () => [randomNormal([256, 256], 1), randomNormal([256, 256], 2)], run: ([a, b]) => tf.matMul(a, b) },
  { name: 'matMul 1024²', build: () => [randomNormal([1024, 1024], 1), randomNormal([1024, 1024], 2)], run: ([a, b]) => tf.matMul(a, b) },
  {
    name: 'elementwise chain 1M (tanh(a·x+b)·x)',
    build: () => [randomNormal([1000, 1000], 3)],
    run: ([x]) => tf.mul(tf.tanh(tf.add(tf.mul(x, 1.3), 0.2)), x),
  },
  { name: 'reduction 1M (sum of squares by row)', build: () => [randomNormal([1000, 1000], 4)], run: ([x]) => tf.sum(tf.square(x), 1) },
];

const results: Record<string, Record<string, Timing>> = {};
for (const backend of ['cpu', 'wasm'] as const) {
  await useBackend(backend);
  for (const w of workloads) {
    const inputs = w.build();
    const big = w.name.includes('1024');
    const t = await measure(
      async () => {
        const out = w.run(inputs);
        await out.data(); // include the read: that is what a user waits for
        out.dispose();
      },
      { warmup: 1, reps: backend === 'cpu' && big ? 3 : 9 },
    );
    tf.dispose(inputs);
    (results[w.name] ??= {})[backend] = t;
  }
}

console.log('workload'.padEnd(40), 'cpu ms'.padStart(10), 'wasm ms'.padStart(10), 'cpu/wasm'.padStart(10));
const ratios: Record<string, number> = {};
for (const [name, r] of Object.entries(results)) {
  ratios[name] = r.cpu.medianMs / r.wasm.medianMs;
  console.log(name.padEnd(40), fmtMs(r.cpu.medianMs).padStart(10), fmtMs(r.wasm.medianMs).padStart(10), `${ratios[name].toFixed(1)}×`.padStart(10));
}
console.log('(medians; wasm: SIMD on, threads off in Node)');
console.log('wrote', writeResults('backends', { timings: results, cpuOverWasm: ratios }));
