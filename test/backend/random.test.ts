import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, randomNormal, randomUniform, rng, useBackend } from '../../src/backend';
import { TEST_BACKENDS } from '../helpers/backends';

describe('rng', () => {
  it('is a fixed stream for a fixed seed (first values pinned so that an accidental change shows)', () => {
    const a = rng(42), b = rng(42);
    const xs = Array.from({ length: 1000 }, () => a.nextUint32());
    const ys = Array.from({ length: 1000 }, () => b.nextUint32());
    expect(xs).toEqual(ys);
    expect(xs.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32)).toBe(true);
    expect(rng(43).nextUint32()).not.toBe(xs[0]);
    // Seeds differing only above bit 32 give different streams.
    expect(rng(2 ** 40).nextUint32()).not.toBe(rng(0).nextUint32());
  });

  it('xoshiro128** steps match a reference computed with BigInt arithmetic', () => {
    const r = rng(123);
    const st = r.getState().s.map((v) => BigInt(v));
    const M = (1n << 32n) - 1n;
    const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & M;
    for (let i = 0; i < 50; i++) {
      const want = (rotl((st[1] * 5n) & M, 7n) * 9n) & M;
      const t = (st[1] << 9n) & M;
      st[2] ^= st[0]; st[3] ^= st[1]; st[1] ^= st[2]; st[0] ^= st[3]; st[2] ^= t; st[3] = rotl(st[3], 11n);
      expect(r.nextUint32()).toBe(Number(want));
    }
  });

  it('uniform and normal have the right moments (n = 200 000, 5-sigma bounds)', () => {
    const r = rng(1);
    const n = 200_000;
    const u = r.uniformArray(n);
    const z = r.normalArray(n);
    const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
    const varOf = (a: Float64Array, m: number) => a.reduce((s, v) => s + (v - m) ** 2, 0) / a.length;
    expect(Math.abs(mean(u) - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(varOf(u, mean(u)) - 1 / 12)).toBeLessThan(0.001);
    expect(u.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(Math.abs(mean(z))).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(varOf(z, mean(z)) - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    const kurt = z.reduce((s, v) => s + v ** 4, 0) / n;
    expect(Math.abs(kurt - 3)).toBeLessThan(0.05);
  });

  it('int(n) is unbiased and in range; permutation is a permutation', () => {
    const r = rng(5);
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 70_000; i++) counts[r.int(7)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(5 * Math.sqrt(10_000));
    const p = Array.from(r.permutation(100)).sort((a, b) => a - b);
    expect(p).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(() => r.int(0)).toThrow(/integer n/);
  });

  it('state round-trips, including the cached normal', () => {
    const r = rng(9);
    r.normal(); // leaves a spare
    const saved = JSON.parse(JSON.stringify(r.getState()));
    const a = Array.from({ length: 10 }, () => r.normal());
    const b = Array.from({ length: 10 }, () => Rng.fromState(saved).normal());
    expect(b[0]).toBe(a[0]);
    const c = Rng.fromState(saved);
    expect(Array.from({ length: 10 }, () => c.normal())).toEqual(a);
    expect(() => Rng.fromState({ algorithm: 'mt', s: [1], spare: null } as never)).toThrow(/getState/);
  });

  it('fork gives independent, reproducible children', () => {
    const a = rng(3).fork(), b = rng(3).fork();
    expect(a.nextUint32()).toBe(b.nextUint32());
    const parent = rng(3);
    const c1 = parent.fork(), c2 = parent.fork();
    expect(c1.nextUint32()).not.toBe(c2.nextUint32());
  });

  it('refuses seeds that are not safe integers', () => {
    expect(() => rng(1.5)).toThrow(expect.objectContaining({ code: 'invalid-option', path: 'seed' }));
    expect(() => rng(Number.NaN)).toThrow(/safe integer/);
  });
});

describe.each(TEST_BACKENDS)('random tensors on %s', (name) => {
  it('are bit-identical to the host stream, hence the same on every backend', async () => {
    await useBackend(name);
    const t = randomNormal([4, 5], 11, { mean: 1, std: 2 });
    const u = randomUniform([3], rng(12), { min: -1, max: 1 });
    const want = rng(11).normalArray(20, 1, 2);
    expect(Array.from(await t.data())).toEqual(Array.from(want, Math.fround));
    const wantU = rng(12).uniformArray(3, -1, 1);
    expect(Array.from(await u.data())).toEqual(Array.from(wantU, Math.fround));
    expect(t.shape).toEqual([4, 5]);
    tf.dispose([t, u]);
  });
});
