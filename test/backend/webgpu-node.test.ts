/**
 * WebGPU in Node through the optional `webgpu` package (Dawn), on a software adapter here (Mesa's
 * OpenGL ES or SwiftShader Vulkan, see ./software-gpu) and on the real GPU on the device machine
 * (LTR_TEST_WEBGPU=gpu): the backend starts, describes its adapter, computes the same CP and RNN
 * results as cpu, and refuses tensors over the adapter's binding limit instead of returning the
 * zeros WebGPU would silently give.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { backendInfo, checkBufferLimit, useBackend, type BackendInfo } from '../../src/backend';
import { isLtrError } from '../../src/validate';
import { compareResults, runCases, type CaseResult } from '../browser/cases';
import { softwareGpu } from './software-gpu';

const gpu = softwareGpu();
if (gpu.flags === null) console.warn(`\n*** SKIPPING WebGPU-in-Node tests: ${gpu.why} ***\n`);

describe.runIf(gpu.flags !== null)(`webgpu in Node (${'route' in gpu ? gpu.route : ''})`, () => {
  let info: BackendInfo;
  let reference: Record<string, CaseResult>;

  beforeAll(async () => {
    await useBackend('cpu');
    reference = await runCases();
    info = await useBackend('webgpu', { webgpuFlags: gpu.flags ?? [] });
  }, 60_000);
  afterAll(async () => {
    await useBackend('cpu');
  });

  it('starts from the webgpu package and reports the adapter, its limits and whether it is software', () => {
    expect(info).toMatchObject({ name: 'webgpu', packageName: '@tensorflow/tfjs-backend-webgpu', packageVersion: '4.22.0', float32: true });
    const g = info.gpu;
    expect(g).not.toBeNull();
    expect(g!.api).toBe('webgpu');
    expect(g!.software).toBe(process.env.LTR_TEST_WEBGPU !== 'gpu');
    expect(g!.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(2 ** 27); // WebGPU's guaranteed minimum
    expect(g!.maxBindingBytes).toBe(Math.min(g!.limits.maxStorageBufferBindingSize, g!.limits.maxBufferSize));
    expect(`${g!.vendor}${g!.device}${g!.description}`.length).toBeGreaterThan(0);
    if (gpu.flags?.includes('backend=opengles')) expect(g!.featureLevel).toBe('compatibility');
    expect(backendInfo().gpu).toEqual(g);
    // Dawn's GPU* globals (which tfjs-backend-webgpu uses) and navigator.gpu are installed.
    expect((globalThis as { GPUBufferUsage?: { STORAGE: number } }).GPUBufferUsage?.STORAGE).toBe(0x80);
    expect((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu).toBeDefined();
  });

  it('CP-ALS, an ltrRNN simulation with its gradients, and Adam steps agree with cpu within 1e-4 relative', async () => {
    const before = tf.memory().numTensors;
    const got = await runCases();
    expect(tf.memory().numTensors).toBe(before);
    for (const k of Object.keys(reference)) {
      const { worst, at } = compareResults(got[k], reference[k]);
      expect(worst, `${k}: ${at}`).toBeLessThan(1e-4);
    }
    // The fits are real: the planted tensor is recovered to its 1 % noise, and Adam lowers the loss.
    expect(got.cp.relError[0]).toBeLessThan(0.012);
    expect(got.train.loss[4]).toBeLessThan(got.train.loss[0]);
  }, 180_000); // SwiftShader compiles every shader on the CPU (~40 s on a busy 2-core machine)

  it('refuses a tensor over maxStorageBufferBindingSize with limit-exceeded (WebGPU would return zeros)', async () => {
    const limit = info.gpu!.maxBindingBytes;
    if (limit > 2 ** 29) {
      console.warn(`*** binding limit ${limit} B is too large to allocate a tensor over it in a test; only checkBufferLimit is tested ***`);
    } else {
      const n = limit / 4 + 1024;
      const before = tf.memory().numTensors;
      const err = await (async () => {
        const t = tf.tidy(() => tf.mul(tf.fill([n], 1), 2));
        try {
          return await t.data();
        } finally {
          t.dispose();
        }
      })().catch((e: unknown) => e);
      expect(isLtrError(err), String(err)).toBe(true);
      expect(err).toMatchObject({ code: 'limit-exceeded' });
      expect((err as Error).message).toMatch(/maxStorageBufferBindingSize/);
      expect((err as Error).message).toMatch(/wasm/);
      expect(tf.memory().numTensors).toBe(before);
    }
    // After a refusal the backend still computes correctly.
    const s = tf.sum(tf.range(0, 1000));
    expect((await s.data())[0]).toBe(499500);
    s.dispose();
  });

  it('checkBufferLimit names the tensor, its size and the limit on webgpu, and is silent on cpu', async () => {
    const limit = info.gpu!.maxBindingBytes;
    expect(() => checkBufferLimit([10, 10], 'small')).not.toThrow();
    let err: unknown;
    try {
      checkBufferLimit([limit / 4 + 1], 'states (time × trials × N)');
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'limit-exceeded', path: 'states (time × trials × N)' });
    expect((err as Error).message).toMatch(/^states \(time × trials × N\) \(shape \[\d+\]\) needs [\d.]+ [MG]iB, more than this GPU allows/);
    expect((err as Error).message).toMatch(/smaller batch/);
    await useBackend('cpu');
    expect(() => checkBufferLimit([limit], 'x')).not.toThrow();
    await useBackend('webgpu');
  });

  it('a GPU error reported after encoding makes the next read throw instead of returning wrong numbers', async () => {
    const t = tf.add(tf.ones([4]), 1);
    // An invalid buffer (over maxBufferSize), made behind the library's back: Dawn reports a
    // validation error asynchronously through 'uncapturederror'.
    const device = (tf.backend() as unknown as { device: { createBuffer(d: object): unknown; limits: { maxBufferSize: number } } }).device;
    device.createBuffer({ size: device.limits.maxBufferSize + 4, usage: 0x80 /* STORAGE */ });
    const err = await t.data().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'limit-exceeded' });
    expect((err as Error).message).toMatch(/not trustworthy/);
    expect(Array.from(await t.data())).toEqual([2, 2, 2, 2]); // reported once; later reads are fine
    t.dispose();
  });
});
