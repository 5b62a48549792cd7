import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { rng, useBackend } from '../../src/backend';
import { LtrError } from '../../src/validate/errors';
import { validateMask, l1Penalty, l2Penalty, logFactorial, maskedMse, mse, poissonNll, weightDecayPenalty } from '../../src/train';
import { expectNoLeak, TEST_BACKENDS } from '../helpers/backends';

/** log(n!) in float64 as a sum of logs. */
const logFact = (n: number) => {
  let s = 0;
  for (let k = 2; k <= n; k++) s += Math.log(k);
  return s;
};

/** |got − want| ≤ rel·max(1, |want|): float32 arithmetic rounds each op to 6e-8 relative; a few ops give ~1e-6. */
const expectClose = (got: number, want: number, rel = 1e-6) => expect(Math.abs(got - want)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(want)));

const value = async (t: tf.Tensor) => {
  const v = (await t.data())[0];
  t.dispose();
  return v;
};

describe.each(TEST_BACKENDS)('losses on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('mse and maskedMse equal float64 host values', async () => {
    const r = rng(1);
    const p = Array.from(r.normalArray(24)).map(Math.fround);
    const y = Array.from(r.normalArray(24)).map(Math.fround);
    const m: number[] = Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? 0 : 1));
    const P = tf.tensor3d(p, [2, 3, 4]);
    const Y = tf.tensor3d(y, [2, 3, 4]);
    const M = tf.tensor3d(m, [2, 3, 4]);
    const want = p.reduce((s, v, i) => s + (v - y[i]) ** 2, 0) / 24;
    const wantMasked = p.reduce((s, v, i) => s + m[i] * (v - y[i]) ** 2, 0) / m.reduce((a, b) => a + b, 0);
    await expectNoLeak(async () => {
      expect(await value(mse(P, Y))).toBeCloseTo(want, 6);
      expect(await value(maskedMse(P, Y, M))).toBeCloseTo(wantMasked, 6);
    }, 0);
    // A per-trial mask (size 1 along time and neurons) counts each of its entries 2 × 4 times.
    const trialMask = tf.tensor3d([1, 0, 1], [1, 3, 1]);
    let num = 0, den = 0;
    for (let t = 0; t < 2; t++) for (let k = 0; k < 3; k++) for (let j = 0; j < 4; j++) {
      const w = [1, 0, 1][k];
      num += w * (p[t * 12 + k * 4 + j] - y[t * 12 + k * 4 + j]) ** 2;
      den += w;
    }
    expect(await value(maskedMse(P, Y, trialMask))).toBeCloseTo(num / den, 6);
    expect(() => maskedMse(P, Y, tf.ones([2, 3]))).toThrow(LtrError);
    expect(() => maskedMse(P, Y, tf.ones([2, 2, 4]))).toThrow(/shape/);
    expect(() => mse(P, tf.ones([2, 3]))).toThrow(LtrError);
    // All-zero mask: 0/0 inside the loss (NaN), refused up front by validateMask.
    const zero = tf.zeros([2, 3, 4]);
    expect(Number.isNaN(await value(maskedMse(P, Y, zero)))).toBe(true);
    const e = await validateMask(zero, { shape: [2, 3, 4], name: 'options.trainMask' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LtrError);
    expect((e as LtrError).code).toBe('invalid-data');
    expect((e as LtrError).path).toBe('options.trainMask');
    await expect(validateMask(M, { shape: [2, 3, 5] })).rejects.toMatchObject({ code: 'shape-mismatch' });
    await expect(validateMask([[0, 2]])).rejects.toMatchObject({ code: 'invalid-data' });
    expect(await validateMask(M, { shape: [2, 3, 4] })).toEqual({ observed: 16, fraction: 16 / 24 });
    expect(await validateMask(trialMask, { shape: [2, 3, 4] })).toEqual({ observed: 16, fraction: 2 / 3 });
    tf.dispose([P, Y, M, trialMask, zero]);
  });

  it('Poisson NLL equals a hand-computed value', async () => {
    // η = (0, ln 2, −1), y = (1, 3, 0):
    //   exp(η) − yη = 1 − 0, 2 − 3 ln 2, e⁻¹ − 0;   log y! = 0, ln 6, 0.
    const eta = tf.tensor1d([0, Math.log(2), -1]);
    const y = tf.tensor1d([1, 3, 0]);
    const partial = (1 + (2 - 3 * Math.log(2)) + Math.exp(-1)) / 3;
    const full = partial + Math.log(6) / 3;
    expectClose(await value(poissonNll(eta, y)), partial);
    expectClose(await value(poissonNll(eta, y, { full: true })), full);
    // Masked: only the second entry.
    const mask = tf.tensor1d([0, 1, 0]);
    expectClose(await value(poissonNll(eta, y, { mask, full: true })), 2 - 3 * Math.log(2) + Math.log(6));
    // Above maxLogRate the rate continues linearly: η = 100 gives e³⁰(1 + 70), finite.
    const [b1, b0] = [tf.tensor1d([100]), tf.tensor1d([0])];
    const big = await value(poissonNll(b1, b0));
    expect(big / (Math.exp(30) * 71)).toBeCloseTo(1, 5);
    tf.dispose([eta, y, mask, b1, b0]);
  });

  it('Poisson NLL gradient matches central finite differences (float64 step 1e-2 on float32 values)', async () => {
    // d/dη_i NLL = (exp(η_i) − y_i)/n below maxLogRate, (e^c − y_i)/n above it (c = 3 here).
    const etaVals = [-2, -0.5, 0.3, 1.2, 2.5, 4, 6];
    const yVals = [0, 1, 0, 4, 7, 2, 30];
    const n = etaVals.length;
    const opts = { full: true, maxLogRate: 3 };
    const y = tf.tensor1d(yVals);
    const e0 = tf.tensor1d(etaVals);
    const g = tf.grad((e: tf.Tensor) => poissonNll(e, y, opts))(e0);
    const grad = Array.from(await g.data());
    const h = 1e-2;
    for (let i = 0; i < n; i++) {
      const at = async (d: number) => {
        const e = tf.tensor1d(etaVals.map((v, j) => (j === i ? v + d : v)));
        const v = await value(poissonNll(e, y, opts));
        e.dispose();
        return v;
      };
      const fd = ((await at(h)) - (await at(-h))) / (2 * h);
      const exact = ((etaVals[i] < 3 ? Math.exp(etaVals[i]) : Math.exp(3)) - yVals[i]) / n;
      expect(Math.abs(grad[i] - exact)).toBeLessThan(1e-5 * Math.max(1, Math.abs(exact)));
      // Central differences: truncation h²/6·|f'''| ≤ 2e-5·e^3/7 and float32 rounding of the loss / h ≈ 1e-5.
      expect(Math.abs(fd - grad[i])).toBeLessThan(2e-3 * Math.max(1, Math.abs(exact)));
    }
    tf.dispose([y, g, e0]);
  });

  it('logFactorial matches log(n!) for n = 0..170 and 10⁴ (relative 2e-6)', async () => {
    const ns = [...Array.from({ length: 171 }, (_, i) => i), 10000];
    const got = await tf.tidy(() => logFactorial(tf.tensor1d(ns))).data();
    ns.forEach((n, i) => {
      const want = logFact(n);
      expect(Math.abs(got[i] - want)).toBeLessThan(2e-6 * Math.max(1, want));
    });
  });

  it('penalties: L2 = mean(x²), L1 = mean(|x|), weight decay (λ/2)Σ‖θ‖² with gradient λθ', async () => {
    const x = tf.tensor2d([[1, -2], [3, -4]]);
    expect(await value(l2Penalty(x))).toBeCloseTo(7.5, 6);
    expect(await value(l1Penalty(x))).toBeCloseTo(2.5, 6);
    const a = tf.tensor1d([1, 2]);
    expect(await value(weightDecayPenalty([x, a], 0.1))).toBeCloseTo(0.05 * (30 + 5), 6);
    const g = tf.grad((t: tf.Tensor) => weightDecayPenalty([t], 0.1))(a);
    expect(Array.from(await g.data()).map((v) => +v.toFixed(6))).toEqual([0.1, 0.2]);
    expect(() => weightDecayPenalty([a], -1)).toThrow(LtrError);
    tf.dispose([x, a, g]);
  });
});
