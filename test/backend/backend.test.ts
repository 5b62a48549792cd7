import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { backendInfo, ready, useBackend, DEFAULT_BACKEND, randomNormal, rng } from '../../src/backend';
import { isLtrError } from '../../src/validate';
import { TEST_BACKENDS, expectNoLeak } from '../helpers/backends';

describe('default backend', () => {
  it('tfjs starts on cpu; ready() switches to the documented default and reports it', async () => {
    // Before any choice, the statically imported cpu backend serves synchronous tensor builders.
    expect(backendInfo().name).toBe('cpu');
    const info = await ready();
    expect(info.name).toBe(DEFAULT_BACKEND);
    expect(info.isDefault).toBe(true);
    expect(info.simd).toBe(true); // Node 20 has wasm SIMD
    expect(info.threads).toBe(false); // no SharedArrayBuffer workers in Node
    expect(info.numThreads).toBe(1);
    expect(info.packageName).toBe('@tensorflow/tfjs-backend-wasm');
    expect(info.packageVersion).toBe('4.22.0');
    expect(backendInfo()).toEqual(info);
  });
});

describe('useBackend', () => {
  afterAll(async () => {
    await useBackend('cpu');
  });

  it.each(TEST_BACKENDS)('%s: switches, reports itself, and computes a matMul equal to a host float64 product', async (name) => {
    const info = await useBackend(name);
    expect(info).toMatchObject({ name, isDefault: false, float32: true, floatPrecision: 32 });
    expect(tf.getBackend()).toBe(name);
    expect(info.epsilon).toBeCloseTo(1e-7, 12);
    const r = rng(7);
    const m = 33, k = 17, n = 21;
    const a = r.normalArray(m * k), b = r.normalArray(k * n);
    const c = await expectNoLeak(async () => {
      const p = tf.tidy(() => tf.matMul(tf.tensor2d(Float32Array.from(a), [m, k]), tf.tensor2d(Float32Array.from(b), [k, n])));
      const d = await p.data();
      p.dispose();
      return d;
    });
    let maxErr = 0;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += Math.fround(a[i * k + q]) * Math.fround(b[q * n + j]);
        maxErr = Math.max(maxErr, Math.abs(s - c[i * n + j]));
      }
    }
    expect(maxErr).toBeLessThan(1e-5);
  });

  it('moves live tensors across a switch', async () => {
    await useBackend('cpu');
    const t = tf.tensor1d([1, 2, 3]);
    await useBackend('wasm');
    expect(Array.from(await tf.square(t).data())).toEqual([1, 4, 9]);
    t.dispose();
  });

  it('refuses an unknown name and keeps the active backend', async () => {
    await useBackend('wasm');
    // @ts-expect-error: testing a name outside the union, as a JS caller could pass
    const err = await useBackend('cuda').catch((e: unknown) => e);
    expect(isLtrError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'invalid-option', path: 'name' });
    expect((err as Error).message).toContain('cpu, wasm, webgl, webgpu, tensorflow');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('a missing package says which package to install; the previous backend stays', async () => {
    // @tensorflow/tfjs-node is not installed in this project (it needs a native download).
    await useBackend('cpu');
    const err = await useBackend('tensorflow').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'backend-unavailable', path: 'name' });
    expect((err as Error).message).toContain('npm install @tensorflow/tfjs-node@4.22.0');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('a backend whose package is installed but cannot start here (webgl in Node) fails cleanly', async () => {
    await useBackend('wasm');
    const warn = console.warn;
    console.warn = () => undefined; // tfjs logs the failed initialization itself
    const err = await useBackend('webgl').catch((e: unknown) => e);
    console.warn = warn;
    expect(err).toMatchObject({ code: 'backend-unavailable', path: 'name' });
    expect((err as Error).message).toMatch(/no WebGL context/);
    expect(tf.getBackend()).toBe('wasm');
    expect(Array.from(await tf.add(tf.scalar(1), tf.scalar(2)).data())).toEqual([3]);
  });

  it('validates options', async () => {
    const err = await useBackend('wasm', { numThreads: 0 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'invalid-option', path: 'options.numThreads' });
    const err2 = await useBackend('wasm', { wasmPath: '/x' } as never).catch((e: unknown) => e);
    expect(err2).toMatchObject({ code: 'invalid-option' });
  });

  it('serializes overlapping switches: the last call wins', async () => {
    const [a, b] = await Promise.all([useBackend('wasm'), useBackend('cpu')]);
    expect(a.name).toBe('wasm');
    expect(b.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });
});

describe('same numbers on every backend', () => {
  // One workload per op family the library leans on; each backend's result is compared with cpu's.
  const workloads: Record<string, () => tf.Tensor> = {
    matMul: () => tf.matMul(randomNormal([64, 48], 1), randomNormal([48, 40], 2)),
    batchMatMul: () => tf.matMul(randomNormal([5, 16, 12], 3), randomNormal([5, 12, 9], 4)),
    elementwise: () => tf.tanh(tf.add(tf.mul(randomNormal([300], 5), 1.7), tf.exp(tf.mul(randomNormal([300], 6), 0.3)))),
    reduction: () => tf.sum(tf.square(randomNormal([40, 50], 7)), 1),
    transposeReshape: () => tf.reshape(tf.transpose(randomNormal([6, 7, 8], 8), [2, 0, 1]), [8, 42]),
    softplusRelu: () => tf.add(tf.softplus(randomNormal([100], 9)), tf.relu(randomNormal([100], 10))),
  };
  let reference: Record<string, Float32Array> = {};

  beforeAll(async () => {
    await useBackend('cpu');
    reference = {};
    for (const [k, f] of Object.entries(workloads)) {
      const t = tf.tidy(f);
      reference[k] = (await t.data()) as Float32Array;
      t.dispose();
    }
  });

  it.each(TEST_BACKENDS)('%s agrees with cpu within 1e-5 relative', async (name) => {
    await useBackend(name);
    for (const [k, f] of Object.entries(workloads)) {
      const t = tf.tidy(f);
      const got = (await t.data()) as Float32Array;
      t.dispose();
      const ref = reference[k];
      let num = 0, den = 0;
      for (let i = 0; i < ref.length; i++) {
        num = Math.max(num, Math.abs(got[i] - ref[i]));
        den = Math.max(den, Math.abs(ref[i]));
      }
      expect(num / den, k).toBeLessThan(1e-5);
    }
  });

  it.each(TEST_BACKENDS)('%s: gradients are registered and correct', async (name) => {
    await useBackend(name);
    const x = tf.variable(tf.tensor1d([0.5, -1, 2]));
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.mul(tf.tanh(x), x)) as tf.Scalar);
    // d/dx mean(x·tanh x) = (tanh x + x·sech² x)/3
    const want = [0.5, -1, 2].map((v) => (Math.tanh(v) + v / Math.cosh(v) ** 2) / 3);
    const got = await grads[x.name].data();
    want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 6));
    value.dispose();
    grads[x.name].dispose();
    x.dispose();
  });
});
