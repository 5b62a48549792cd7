import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../src/backend';
import { rng, type Rng } from '../../src/backend/random';
import { CPTensor, type CPTensorJSON } from '../../src/cp';
import { LtrError } from '../../src/validate/errors';

interface HostMat { rows: number; cols: number; data: Float64Array }

function draw(n: number, g: Rng): Float64Array {
  return Float64Array.from(Float32Array.from(g.normalArray(n)));
}
function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
function multiIndex(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return idx;
}
/** Dense CP tensor by nested loops in float64. */
function hostFull(weights: ArrayLike<number>, factors: HostMat[]): Float64Array {
  const shape = factors.map((f) => f.rows);
  const r = weights.length;
  const out = new Float64Array(size(shape));
  for (let f = 0; f < out.length; f++) {
    const idx = multiIndex(f, shape);
    let s = 0;
    for (let k = 0; k < r; k++) {
      let p = weights[k];
      factors.forEach((m, n) => (p *= m.data[idx[n] * r + k]));
      s += p;
    }
    out[f] = s;
  }
  return out;
}
const rows = (m: HostMat): number[][] => Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

async function expectLtrError(fn: () => unknown, code: string, path: string): Promise<void> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(LtrError);
    expect((e as LtrError).code).toBe(code);
    expect((e as LtrError).path).toBe(path);
    return;
  }
  throw new Error('expected an LtrError');
}

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / den;
}

const SHAPE = [5, 4, 3];
const R = 3;

function makeCase(seed: number, shape = SHAPE, r = R): { weights: Float64Array; factors: HostMat[]; cp: CPTensor; dense: Float64Array } {
  const g = rng(seed);
  const weights = Float64Array.from([2.5, -1, 0.75, 1.25, 0.5].slice(0, r));
  const factors = shape.map((n) => ({ rows: n, cols: r, data: draw(n * r, g) }));
  const cp = CPTensor.fromArrays(weights, factors.map(rows));
  return { weights, factors, cp, dense: hostFull(weights, factors) };
}

describe.each(['cpu', 'wasm'] as const)('CPTensor on %s', (backend) => {
  let start = 0;
  beforeAll(async () => {
    await useBackend(backend);
  });
  beforeEach(() => {
    start = tf.memory().numTensors;
  });
  afterEach(() => {
    expect(tf.memory().numTensors).toBe(start);
  });

  it('has rank, shape, order, and full() equals the host-built dense tensor', async () => {
    const { cp, dense } = makeCase(1);
    expect(cp.rank).toBe(R);
    expect(cp.shape).toEqual(SHAPE);
    expect(cp.order).toBe(3);
    const f = cp.full();
    expect(maxRel(await f.data(), dense)).toBeLessThan(1e-6);
    f.dispose();
    cp.dispose();
    expect(cp.isDisposed).toBe(true);
    cp.dispose(); // twice is fine
  });

  it('norm, innerProduct and relativeError match dense float64 computations', async () => {
    const { cp, dense } = makeCase(2);
    expect(await cp.norm()).toBeCloseTo(Math.sqrt(dot(dense, dense)), 4);
    const g = rng(20);
    const other = draw(dense.length, g);
    // innerProduct accepts a tensor, nested arrays or { data, shape }.
    const t = tf.tensor(Float32Array.from(other), SHAPE);
    const ref = dot(other, dense);
    expect(await cp.innerProduct(t)).toBeCloseTo(ref, 3);
    expect(await cp.innerProduct({ data: other, shape: SHAPE })).toBeCloseTo(ref, 3);
    const nested = (await t.array()) as number[][][];
    expect(await cp.innerProduct(nested)).toBeCloseTo(ref, 3);
    // Far from cp: Gram formula.
    const diff = other.map((v, i) => v - dense[i]);
    const far = Math.sqrt(dot(diff, diff) / dot(other, other));
    expect(Math.abs((await cp.relativeError(t)) - far)).toBeLessThan(1e-5 * far);
    t.dispose();
    // Close to cp (error 1e-3 < 1e-2): residual path, still accurate.
    const near = dense.map((v, i) => v + 1e-3 * other[i] * Math.abs(v));
    const nd = near.map((v, i) => v - dense[i]);
    const nearRef = Math.sqrt(dot(nd, nd) / dot(near, near));
    const got = await cp.relativeError({ data: Float32Array.from(near), shape: SHAPE });
    expect(Math.abs(got - nearRef)).toBeLessThan(0.02 * nearRef);
    // Itself: zero up to float32 round-off.
    const self = cp.full();
    expect(await cp.relativeError(self)).toBeLessThan(1e-6);
    self.dispose();
    cp.dispose();
  });

  it('refuses data of the wrong shape and all-zero data', async () => {
    const { cp } = makeCase(3);
    await expectLtrError(() => cp.innerProduct({ data: new Float32Array(60), shape: [5, 4, 3, 1] }), 'shape-mismatch', 'x');
    await expectLtrError(() => cp.relativeError({ data: new Float32Array(60), shape: SHAPE }), 'invalid-data', 'x');
    await expectLtrError(() => cp.relativeError({ data: Float32Array.from({ length: 60 }, (_, i) => (i === 7 ? NaN : 1)), shape: SHAPE }), 'invalid-data', 'x[0][2][1]');
    cp.dispose();
  });

  it('normalize: unit columns, documented signs, λ absorbs the scale, same tensor', async () => {
    const { cp, dense } = makeCase(4);
    const n = cp.normalize();
    const h = await n.toHost();
    for (const [m, f] of h.factors.entries()) {
      for (let k = 0; k < R; k++) {
        let ss = 0;
        let big = 0;
        for (let i = 0; i < f.rows; i++) {
          const v = f.data[i * R + k];
          ss += v * v;
          if (Math.abs(v) > Math.abs(big)) big = v;
        }
        expect(Math.sqrt(ss)).toBeCloseTo(1, 5);
        if (m > 0) expect(big).toBeGreaterThan(0);
      }
    }
    const f = n.full();
    expect(maxRel(await f.data(), dense)).toBeLessThan(1e-5);
    // |λ_k| = |w_k| ∏ ‖column‖.
    const orig = await cp.toHost();
    for (let k = 0; k < R; k++) {
      let p = Math.abs(orig.weights[k]);
      for (const fm of orig.factors) {
        let ss = 0;
        for (let i = 0; i < fm.rows; i++) ss += fm.data[i * R + k] ** 2;
        p *= Math.sqrt(ss);
      }
      expect(Math.abs(h.weights[k])).toBeCloseTo(p, 4);
    }
    f.dispose();
    n.dispose();
    cp.dispose();
  });

  it('arrange sorts components by descending λ and keeps the tensor', async () => {
    const { cp, dense } = makeCase(5);
    const a = cp.arrange();
    const w = Array.from(await a.weights.data());
    for (let k = 1; k < w.length; k++) expect(w[k - 1]).toBeGreaterThanOrEqual(w[k]);
    const f = a.full();
    expect(maxRel(await f.data(), dense)).toBeLessThan(1e-5);
    f.dispose();
    a.dispose();
    cp.dispose();
  });

  it('permute reorders components; bad orders are refused', async () => {
    const { cp, weights, factors, dense } = makeCase(6);
    const p = cp.permute([2, 0, 1]);
    expect(Array.from(await p.weights.data())).toEqual(Array.from(Float32Array.from([weights[2], weights[0], weights[1]])));
    const f1 = await p.factors[1].data();
    for (let i = 0; i < SHAPE[1]; i++) expect(f1[i * R]).toBe(Math.fround(factors[1].data[i * R + 2]));
    const full = p.full();
    expect(maxRel(await full.data(), dense)).toBeLessThan(1e-6);
    full.dispose();
    p.dispose();
    await expectLtrError(() => cp.permute([0, 0, 1]), 'invalid-option', 'order');
    await expectLtrError(() => cp.permute([0, 1]), 'invalid-option', 'order');
    cp.dispose();
  });

  it('slice keeps the chosen rows of one mode (a single index keeps the mode with size 1)', async () => {
    const { cp, dense } = makeCase(7);
    const one = cp.slice(1, 2);
    expect(one.shape).toEqual([5, 1, 3]);
    const many = cp.slice(0, [4, 1]);
    expect(many.shape).toEqual([2, 4, 3]);
    const d1 = await (async () => {
      const t = one.full();
      const d = await t.data();
      t.dispose();
      return d;
    })();
    for (let i = 0; i < 5; i++) for (let k = 0; k < 3; k++) expect(d1[i * 3 + k]).toBeCloseTo(dense[i * 12 + 2 * 3 + k], 4);
    const t2 = many.full();
    const d2 = await t2.data();
    t2.dispose();
    for (let j = 0; j < 4; j++) for (let k = 0; k < 3; k++) {
      expect(d2[0 * 12 + j * 3 + k]).toBeCloseTo(dense[4 * 12 + j * 3 + k], 4);
      expect(d2[1 * 12 + j * 3 + k]).toBeCloseTo(dense[1 * 12 + j * 3 + k], 4);
    }
    one.dispose();
    many.dispose();
    await expectLtrError(() => cp.slice(3, 0), 'invalid-option', 'mode');
    await expectLtrError(() => cp.slice(0, 5), 'invalid-option', 'index');
    await expectLtrError(() => cp.slice(0, []), 'invalid-option', 'index');
    cp.dispose();
  });

  it('clone is independent; a disposed CPTensor refuses work', async () => {
    const { cp } = makeCase(8);
    const c = cp.clone();
    cp.dispose();
    expect(await c.norm()).toBeGreaterThan(0);
    await expectLtrError(() => cp.full(), 'invalid-data', 'cp');
    await expectLtrError(() => cp.norm(), 'invalid-data', 'cp');
    c.dispose();
  });

  it('toJSON / fromJSON round-trip (also through JSON text), any order ≥ 2', async () => {
    for (const shape of [SHAPE, [3, 2], [2, 3, 2, 2]]) {
      const { cp } = makeCase(9, shape, 2);
      const json = await cp.toJSON();
      expect(json.format).toBe('ltr-rnn/cp-tensor');
      expect(json.version).toBe(1);
      expect(json.shape).toEqual(shape);
      const back = CPTensor.fromJSON(JSON.parse(JSON.stringify(json)));
      expect(await back.toJSON()).toEqual(json);
      back.dispose();
      cp.dispose();
    }
  });

  it('fromJSON refuses bad input with LtrError naming the field', async () => {
    const { cp } = makeCase(10);
    const good = await cp.toJSON();
    cp.dispose();
    const variant = (f: (j: CPTensorJSON) => unknown): unknown => f(structuredClone(good));
    await expectLtrError(() => CPTensor.fromJSON(null), 'invalid-data', 'json');
    await expectLtrError(() => CPTensor.fromJSON('cp'), 'invalid-data', 'json');
    await expectLtrError(() => CPTensor.fromJSON(variant((j) => ({ ...j, format: 'tensorly' }))), 'invalid-data', 'json.format');
    await expectLtrError(() => CPTensor.fromJSON(variant((j) => ({ ...j, version: 2 }))), 'invalid-data', 'json.version');
    await expectLtrError(() => CPTensor.fromJSON(variant((j) => ({ ...j, weights: [1, 2] }))), 'invalid-data', 'json.weights');
    await expectLtrError(() => CPTensor.fromJSON(variant((j) => ({ ...j, shape: [5, 4] }))), 'invalid-data', 'json.factors');
    await expectLtrError(() => CPTensor.fromJSON(variant((j) => ((j.factors[1] = j.factors[1].slice(1)), j))), 'invalid-data', 'json.factors.1');
    await expectLtrError(() => CPTensor.fromJSON(variant((j) => ((j.factors[0][2] = [1, 2]), j))), 'invalid-data', 'json.factors.0.2');
    await expectLtrError(() => CPTensor.fromJSON(variant((j) => ((j.factors[2][1][0] = NaN), j))), 'invalid-data', 'json.factors.2.1.0');
    await expectLtrError(() => CPTensor.fromJSON(variant((j) => ({ ...j, extra: 1 }))), 'invalid-data', 'json');
  });

  it('constructor and fromArrays validate shapes; fromArrays takes linalg Matrices', async () => {
    const w = tf.tensor1d([1, 2]);
    const a = tf.zeros([3, 2]) as tf.Tensor2D;
    const b = tf.zeros([4, 3]) as tf.Tensor2D;
    const w2 = tf.zeros([2, 1]) as unknown as tf.Tensor1D;
    await expectLtrError(() => new CPTensor(w, [a]), 'shape-mismatch', 'factors');
    await expectLtrError(() => new CPTensor(w, [a, b]), 'shape-mismatch', 'factors[1]');
    await expectLtrError(() => new CPTensor(w2, [a, a]), 'shape-mismatch', 'weights');
    tf.dispose([w, a, b, w2]);
    await expectLtrError(() => CPTensor.fromArrays([1, 2], [[[1, 2]], [[1]]]), 'shape-mismatch', 'factors[1][0]');
    await expectLtrError(() => CPTensor.fromArrays([1, NaN], [[[1, 2]], [[1, 2]]]), 'invalid-data', 'weights');
    const m = { rows: 2, cols: 2, data: Float64Array.from([1, 0, 0, 1]) };
    const cp = CPTensor.fromArrays([3, 4], [m, [[1, 1]], m]);
    expect(cp.shape).toEqual([2, 1, 2]);
    const h = await cp.toHost();
    expect(Array.from(h.weights)).toEqual([3, 4]);
    expect(Array.from(h.factors[2].data)).toEqual([1, 0, 0, 1]);
    const f = cp.full();
    expect(Array.from(await f.data())).toEqual([3, 0, 0, 4]);
    f.dispose();
    cp.dispose();
  });
});
