/**
 * The readouts: the orthogonal parametrization against a float64 host matrix exponential, its
 * orthonormality after 200 Adam steps, JSON round trips and leaks.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { randomNormal, rng, useBackend } from '../../src/backend';
import { Readout } from '../../src/rnn';
import { expectNoLeak, TEST_BACKENDS } from '../helpers/backends';

/** exp(S) in float64 for a small square S (row-major): Taylor on S/2^s (‖S/2^s‖₁ < 0.05), 25 terms, s squarings. */
function expmHost(s: Float64Array, n: number): Float64Array {
  let norm = 0;
  for (let j = 0; j < n; j++) {
    let c = 0;
    for (let i = 0; i < n; i++) c += Math.abs(s[i * n + j]);
    norm = Math.max(norm, c);
  }
  const sq = Math.max(0, Math.ceil(Math.log2(norm / 0.05)));
  const x = s.map((v) => v / 2 ** sq);
  const mul = (a: Float64Array, b: Float64Array): Float64Array => {
    const o = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      for (let j = 0; j < n; j++) o[i * n + j] += aik * b[k * n + j];
    }
    return o;
  };
  let e: Float64Array = new Float64Array(n * n);
  let term: Float64Array = new Float64Array(n * n);
  for (let i = 0; i < n; i++) e[i * n + i] = term[i * n + i] = 1;
  for (let k = 1; k <= 25; k++) {
    term = mul(term, x).map((v) => v / k);
    e = e.map((v, i) => v + term[i]);
  }
  for (let k = 0; k < sq; k++) e = mul(e, e);
  return e;
}

describe.each(TEST_BACKENDS)('readout on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it.each([
    [10, 3, 'D < N, 2d ≤ n: 2d×2d exponential'],
    [4, 9, 'D > N, 2d ≤ n'],
    [7, 5, 'D < N, 2d > n: full exponential'],
    [6, 6, 'D = N: square'],
  ])('orthogonal W_out (N=%i, D=%i; %s) equals base·exp(S)·E_d computed in float64', async (n, d, _what) => {
    const ro = new Readout({ inputSize: n, outputSize: d, type: 'orthogonal', seed: 3 });
    const big = Math.max(n, d);
    const small = Math.min(n, d);
    const { skew, base } = ro.namedVariables();
    // A generic point with rotations of O(1) angles.
    tf.tidy(() => skew.assign(randomNormal([big, small], 11, { std: 0.7 })));
    const p = await skew.data();
    const s = new Float64Array(big * big);
    for (let i = 0; i < big; i++) for (let j = 0; j < small; j++) {
      if (i < small && j >= i) continue; // strictly lower part of the top block
      s[i * big + j] = p[i * small + j];
      s[j * big + i] = -p[i * small + j];
    }
    const e = expmHost(s, big);
    const bv = await base.data();
    const q = new Float64Array(big * small); // base · exp(S) · E_d
    for (let i = 0; i < big; i++) for (let j = 0; j < small; j++) {
      let acc = 0;
      for (let k = 0; k < big; k++) acc += bv[i * big + k] * e[k * big + j];
      q[i * small + j] = acc;
    }
    const w = await expectNoLeak(() => ro.matrix(), 1);
    expect(w.shape).toEqual([d, n]);
    const wv = await w.data();
    let maxErr = 0;
    for (let i = 0; i < big; i++) for (let j = 0; j < small; j++) {
      const got = d >= n ? wv[i * n + j] : wv[j * n + i]; // W_out = Q (tall) or Qᵀ (wide)
      maxErr = Math.max(maxErr, Math.abs(got - q[i * small + j]));
    }
    expect(maxErr).toBeLessThan(2e-5);
    expect(await ro.orthogonalityError()).toBeLessThan(1e-5);
    w.dispose();
    ro.dispose();
  });

  it.each([
    [12, 3], // 2d×2d exponential
    [5, 8], // full exponential (n = 8 < 2d = 10)
  ])('orthogonal readout N=%i → D=%i stays orthonormal through 200 Adam steps (‖QᵀQ − I‖ < 1e-5)', async (n, d) => {
    const before = tf.memory().numTensors;
    const ro = new Readout({ inputSize: n, outputSize: d, type: 'orthogonal', seed: 1 });
    const x = randomNormal([40, n], 2);
    const target = randomNormal([40, d], 3, { std: 2 }); // not reachable by an orthogonal map: the optimizer pushes hard
    const opt = tf.train.adam(0.05);
    const loss = (): tf.Scalar => tf.tidy(() => tf.mean(tf.square(tf.sub(ro.apply(x), target))) as tf.Scalar);
    const first = loss();
    const l0 = (await first.data())[0];
    first.dispose();
    for (let i = 0; i < 200; i++) {
      const l = opt.minimize(loss, true, ro.variables());
      l?.dispose();
    }
    const l1 = loss();
    expect((await l1.data())[0]).toBeLessThan(0.9 * l0);
    l1.dispose();
    expect(await ro.orthogonalityError()).toBeLessThan(1e-5);
    // The parameter moved far from 0 (this is not a test at the identity).
    const sk = tf.tidy(() => tf.max(tf.abs(ro.namedVariables().skew)));
    expect((await sk.data())[0]).toBeGreaterThan(0.5);
    sk.dispose();
    opt.dispose();
    tf.dispose([x, target]);
    ro.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('linear readout: y = W r + b, and JSON round trips for both types', async () => {
    for (const type of ['linear', 'orthogonal'] as const) {
      const ro = new Readout({ inputSize: 5, outputSize: 3, type, seed: 4 });
      tf.tidy(() => ro.namedVariables().bias.assign(tf.tensor1d([1, 2, 3])));
      if (type === 'orthogonal') tf.tidy(() => ro.namedVariables().skew.assign(randomNormal([5, 3], rng(1), { std: 0.5 })));
      const r = randomNormal([2, 4, 5], 5);
      const y = await expectNoLeak(() => ro.apply(r), 1);
      expect(y.shape).toEqual([2, 4, 3]);
      const w = ro.matrix();
      const want = tf.tidy(() => tf.add(tf.reshape(tf.matMul(tf.reshape(r, [8, 5]), w, false, true), [2, 4, 3]), tf.tensor1d([1, 2, 3])));
      expect(Math.max(...(await tf.abs(tf.sub(y, want)).data()))).toBeLessThan(1e-6);
      const json = JSON.parse(JSON.stringify(await ro.toJSON()));
      const back = Readout.fromJSON(json);
      const w2 = back.matrix();
      expect(Array.from(await w2.data())).toEqual(Array.from(await w.data()));
      expect(back.variables().length).toBe(2); // orthogonal: skew + bias (base is fixed)
      tf.dispose([r, y, w, want, w2]);
      ro.dispose();
      back.dispose();
    }
    expect(() => Readout.fromJSON({ format: 'ltr-rnn/readout', version: 2 })).toThrow(expect.objectContaining({ code: 'invalid-data', path: 'json.version' }));
    expect(() => new Readout({ inputSize: 0, outputSize: 2 })).toThrow(expect.objectContaining({ code: 'invalid-option', path: 'options.inputSize' }));
    expect(() => new Readout({ inputSize: 3, outputSize: 2, type: 'cayley' as 'linear' })).toThrow(expect.objectContaining({ path: 'options.type' }));
  });
});
