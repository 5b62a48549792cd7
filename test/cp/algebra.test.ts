import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../../src/backend';
import { rng, type Rng } from '../../src/backend/random';
import { cpToTensor, fold, khatriRao, mttkrp, outer, unfold } from '../../src/cp';
import { contractLastMode, mttkrpFromPartial, mttkrpOwned } from '../../src/cp/algebra';
import { LtrError } from '../../src/validate/errors';

// ---- host float64 references (nested loops over multi-indices) -------------------------------

interface HostMat { rows: number; cols: number; data: Float64Array }

/** Values rounded to float32 (what the backend holds), kept as float64 on the host. */
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
function hostUnfold(v: Float64Array, shape: number[], mode: number): HostMat {
  const others = shape.map((_, i) => i).filter((i) => i !== mode);
  const cols = size(others.map((i) => shape[i]));
  const out = new Float64Array(v.length);
  for (let f = 0; f < v.length; f++) {
    const idx = multiIndex(f, shape);
    let c = 0;
    for (const o of others) c = c * shape[o] + idx[o];
    out[idx[mode] * cols + c] = v[f];
  }
  return { rows: shape[mode], cols, data: out };
}
function hostKR(mats: HostMat[]): HostMat {
  const r = mats[0].cols;
  const rows = size(mats.map((m) => m.rows));
  const out = new Float64Array(rows * r);
  for (let row = 0; row < rows; row++) {
    const idx = multiIndex(row, mats.map((m) => m.rows));
    for (let k = 0; k < r; k++) {
      let p = 1;
      mats.forEach((m, n) => (p *= m.data[idx[n] * r + k]));
      out[row * r + k] = p;
    }
  }
  return { rows, cols: r, data: out };
}
function hostMttkrp(v: Float64Array, shape: number[], factors: HostMat[], mode: number): Float64Array {
  const r = factors[0].cols;
  const out = new Float64Array(shape[mode] * r);
  for (let f = 0; f < v.length; f++) {
    const idx = multiIndex(f, shape);
    for (let k = 0; k < r; k++) {
      let p = v[f];
      for (let n = 0; n < shape.length; n++) if (n !== mode) p *= factors[n].data[idx[n] * r + k];
      out[idx[mode] * r + k] += p;
    }
  }
  return out;
}
function hostFull(weights: Float64Array, factors: HostMat[]): Float64Array {
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
function hostMatmul(a: HostMat, b: HostMat): Float64Array {
  const out = new Float64Array(a.rows * b.cols);
  for (let i = 0; i < a.rows; i++) for (let k = 0; k < a.cols; k++) for (let j = 0; j < b.cols; j++) out[i * b.cols + j] += a.data[i * a.cols + k] * b.data[k * b.cols + j];
  return out;
}
function mat(rows: number, cols: number, g: Rng): HostMat {
  return { rows, cols, data: draw(rows * cols, g) };
}
const up = (m: HostMat): tf.Tensor2D => tf.tensor2d(Float32Array.from(m.data), [m.rows, m.cols]);

/** max |a − b| / max |b|: float32 results against float64 references. */
async function relDiff(t: tf.Tensor, ref: ArrayLike<number>): Promise<number> {
  const d = await t.data();
  expect(d.length).toBe(ref.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < ref.length; i++) {
    num = Math.max(num, Math.abs(d[i] - ref[i]));
    den = Math.max(den, Math.abs(ref[i]));
  }
  return num / den;
}

function expectLtrError(fn: () => unknown, code: string, path: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(LtrError);
    expect((e as LtrError).code).toBe(code);
    expect((e as LtrError).path).toBe(path);
    return;
  }
  throw new Error('expected an LtrError');
}

const SHAPES: number[][] = [
  [4, 3, 5],
  [3, 4, 2, 5],
];

describe.each(['cpu', 'wasm'] as const)('tensor algebra on %s', (backend) => {
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

  it.each(SHAPES)('unfold matches host loops and fold inverts it (%s…)', async (...shape) => {
    const g = rng(1);
    const v = draw(size(shape), g);
    const x = tf.tensor(Float32Array.from(v), shape);
    for (let m = 0; m < shape.length; m++) {
      const u = unfold(x, m);
      const ref = hostUnfold(v, shape, m);
      expect(u.shape).toEqual([ref.rows, ref.cols]);
      expect(Array.from(await u.data())).toEqual(Array.from(ref.data));
      const back = fold(u, m, shape);
      expect(back.shape).toEqual(shape);
      expect(Array.from(await back.data())).toEqual(Array.from(v));
      u.dispose();
      back.dispose();
    }
    x.dispose();
  });

  it('khatriRao of two and three matrices matches host loops (first index slowest)', async () => {
    const g = rng(2);
    const mats = [mat(3, 4, g), mat(2, 4, g), mat(5, 4, g)];
    const ts = mats.map(up);
    const kr2 = khatriRao(ts.slice(0, 2));
    const kr3 = khatriRao(ts);
    expect(kr3.shape).toEqual([30, 4]);
    expect(await relDiff(kr2, hostKR(mats.slice(0, 2)).data)).toBeLessThan(1e-6);
    expect(await relDiff(kr3, hostKR(mats).data)).toBeLessThan(1e-6);
    // A single matrix is copied, not aliased.
    const kr1 = khatriRao([ts[0]]);
    expect(kr1).not.toBe(ts[0]);
    kr1.dispose();
    [kr2, kr3, ...ts].forEach((t) => t.dispose());
  });

  it.each(SHAPES)('mttkrp (every method and mode) = unfold · khatriRao = host loop (%s…)', async (...shape) => {
    const g = rng(3);
    const r = 3;
    const v = draw(size(shape), g);
    const factors = shape.map((n) => mat(n, r, g));
    const x = tf.tensor(Float32Array.from(v), shape);
    const fs = factors.map(up);
    for (let m = 0; m < shape.length; m++) {
      const ref = hostMttkrp(v, shape, factors, m);
      const viaKr = hostMatmul(hostUnfold(v, shape, m), hostKR(factors.filter((_, i) => i !== m)));
      for (let i = 0; i < ref.length; i++) expect(viaKr[i]).toBeCloseTo(ref[i], 10);
      for (const method of ['auto', 'khatri-rao', 'contraction'] as const) {
        const out = mttkrp(x, fs, m, method);
        expect(out.shape).toEqual([shape[m], r]);
        expect(await relDiff(out, ref)).toBeLessThan(1e-5);
        out.dispose();
      }
      const owned = mttkrpOwned(x, fs, m);
      expect(await relDiff(owned, ref)).toBeLessThan(1e-5);
      owned.dispose();
    }
    x.dispose();
    fs.forEach((f) => f.dispose());
  });

  it.each(SHAPES)('cpToTensor matches host loops, and unfold(cp, m) = F_m diag(λ) KR(others)ᵀ (%s…)', async (...shape) => {
    const g = rng(4);
    const r = 2;
    const weights = Float64Array.from([1.5, -0.5]);
    const factors = shape.map((n) => mat(n, r, g));
    const fs = factors.map(up);
    const w = tf.tensor1d(Float32Array.from(weights));
    const full = cpToTensor(w, fs);
    expect(full.shape).toEqual(shape);
    const ref = hostFull(weights, factors);
    expect(await relDiff(full, ref)).toBeLessThan(1e-5);
    for (let m = 0; m < shape.length; m++) {
      const fm = factors[m];
      const scaled: HostMat = { rows: fm.rows, cols: r, data: fm.data.map((val, i) => val * weights[i % r]) };
      const kr = hostKR(factors.filter((_, i) => i !== m));
      const krT: HostMat = { rows: r, cols: kr.rows, data: new Float64Array(r * kr.rows) };
      for (let i = 0; i < kr.rows; i++) for (let k = 0; k < r; k++) krT.data[k * kr.rows + i] = kr.data[i * r + k];
      const u = unfold(full, m);
      expect(await relDiff(u, hostMatmul(scaled, krT))).toBeLessThan(1e-5);
      u.dispose();
    }
    full.dispose();
    w.dispose();
    fs.forEach((f) => f.dispose());
  });

  it('outer of vectors matches host loops', async () => {
    const g = rng(5);
    const vs = [draw(3, g), draw(4, g), draw(2, g)];
    const ts = vs.map((v) => tf.tensor1d(Float32Array.from(v)));
    const o = outer(ts);
    expect(o.shape).toEqual([3, 4, 2]);
    const ref = hostFull(Float64Array.from([1]), vs.map((v) => ({ rows: v.length, cols: 1, data: v })));
    expect(await relDiff(o, ref)).toBeLessThan(1e-6);
    o.dispose();
    ts.forEach((t) => t.dispose());
  });

  it('refuses bad modes, shapes and factor counts with LtrError naming the argument', () => {
    const x = tf.zeros([2, 3, 4]);
    const fs = [tf.zeros([2, 2]), tf.zeros([3, 2]), tf.zeros([4, 2])] as tf.Tensor2D[];
    const bad = tf.zeros([5, 2]) as tf.Tensor2D;
    const m25 = tf.zeros([2, 5]) as tf.Tensor2D;
    const f43 = tf.zeros([4, 3]) as tf.Tensor2D;
    const f33 = tf.zeros([3, 3]) as tf.Tensor2D;
    const w3 = tf.zeros([3]) as tf.Tensor1D;
    expectLtrError(() => unfold(x, 3), 'invalid-option', 'mode');
    expectLtrError(() => unfold(x, 1.5), 'invalid-option', 'mode');
    expectLtrError(() => fold(m25, 0, [2, 3, 4]), 'shape-mismatch', 'm');
    expectLtrError(() => mttkrp(x, fs.slice(0, 2), 0), 'invalid-data', 'factors');
    expectLtrError(() => mttkrp(x, [fs[0], bad, fs[2]], 0), 'shape-mismatch', 'factors[1]');
    expectLtrError(() => mttkrp(x, [fs[0], fs[1], f43], 0), 'shape-mismatch', 'factors[2]');
    expectLtrError(() => khatriRao([fs[0], f33]), 'shape-mismatch', 'mats[1]');
    expectLtrError(() => cpToTensor(w3, fs), 'shape-mismatch', 'weights');
    expectLtrError(() => outer([]), 'invalid-data', 'vectors');
    // Every call above failed before allocating: disposing our inputs restores the count.
    tf.dispose([x, bad, m25, f43, f33, w3, ...fs]);
  });
});

describe.each(['cpu', 'wasm'] as const)('dimension-tree MTTKRP (internal) on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it.each([[[4, 3, 5]], [[3, 4, 2, 5]], [[6, 4]]])('mttkrpFromPartial(contractLastMode(x, F_last)) = host MTTKRP for every leading mode of %j', async (shape) => {
    const start = tf.memory().numTensors;
    const g = rng(6);
    const r = 3;
    const v = draw(size(shape), g);
    const factors = shape.map((n) => mat(n, r, g));
    const x = tf.tensor(Float32Array.from(v), shape);
    const fs = factors.map(up);
    const y = contractLastMode(x, fs[shape.length - 1]);
    for (let m = 0; m < shape.length - 1; m++) {
      const out = mttkrpFromPartial(y, shape, fs, m);
      expect(out.shape).toEqual([shape[m], r]);
      expect(await relDiff(out, hostMttkrp(v, shape, factors, m))).toBeLessThan(1e-5);
      out.dispose();
    }
    tf.dispose([x, y, ...fs]);
    expect(tf.memory().numTensors).toBe(start);
  });
});
