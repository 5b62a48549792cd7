import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npyToTensor, readNpy, tensorToNpy, writeNpy, type NpyArray } from '../../src/io/index';
import { expectLtrError } from './helpers';


let dir = '';
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(path.join(tmpdir(), 'ltr-rnn-io-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readNpy / writeNpy', () => {
  it('round-trips through a file', async () => {
    const file = path.join(dir, 'a.npy');
    const a: NpyArray = { data: Float64Array.of(1, -2, 3.5, NaN, 5, 6), shape: [3, 2], dtype: 'float64', fortranOrder: false };
    await writeNpy(file, a);
    expect(await readNpy(file)).toEqual(a);
    await writeNpy(file, { data: Int16Array.of(4, 5), shape: [2] }); // replaces, dtype inferred
    expect(await readNpy(file)).toEqual({ data: Int16Array.of(4, 5), shape: [2], dtype: 'int16', fortranOrder: false });
  });

  it('names the file in errors', async () => {
    await expectLtrError(readNpy(path.join(dir, 'missing.npy')), 'invalid-option', 'path', /cannot read .npy file ".*missing\.npy"/);
    const bad = path.join(dir, 'bad.npy');
    await writeFile(bad, 'hello world');
    await expectLtrError(readNpy(bad), 'invalid-data', 'npy.magic', /bad\.npy: not a .npy file: bad magic/);
    await expectLtrError(readNpy(''), 'invalid-option', 'path', /non-empty/);
    await expectLtrError(writeNpy(path.join(dir, 'no/such/dir.npy'), { data: Float32Array.of(1), shape: [1] }), 'invalid-option', 'path', /cannot write/);
  });

  it('writes nothing for an invalid array', async () => {
    const file = path.join(dir, 'never.npy');
    await expectLtrError(writeNpy(file, { data: Float32Array.of(1, 2), shape: [3] }), 'shape-mismatch', 'array.shape', /3 elements/);
    await expect(readFile(file)).rejects.toThrow(/ENOENT/);
  });
});

describe('npyToTensor / tensorToNpy', () => {
  it('maps dtypes to float32, int32 and bool tensors without aliasing', async () => {
    const start = tf.memory().numTensors;
    const cases: Array<[NpyArray['data'], NpyArray['dtype'] | undefined, string]> = [
      [Float32Array.of(1.5, 2), undefined, 'float32'],
      [Float64Array.of(0.1, 2), undefined, 'float32'],
      [Int8Array.of(-3, 4), undefined, 'int32'],
      [Int16Array.of(-300, 4), undefined, 'int32'],
      [Int32Array.of(-2147483648, 2147483647), undefined, 'int32'],
      [Uint8Array.of(0, 255), undefined, 'int32'],
      [Uint16Array.of(0, 65535), undefined, 'int32'],
      [Uint32Array.of(0, 2147483647), undefined, 'int32'],
      [Float64Array.of(-2147483648, 5), 'int64', 'int32'],
      [Float64Array.of(0, 2147483647), 'uint64', 'int32'],
      [Uint8Array.of(1, 0), 'bool', 'bool'],
    ];
    for (const [data, dtype, tfDtype] of cases) {
      const t = npyToTensor({ data, shape: [2, 1], dtype });
      expect(t.dtype).toBe(tfDtype);
      expect(t.shape).toEqual([2, 1]);
      const expected = tfDtype === 'float32' ? Array.from(data, Math.fround) : Array.from(data);
      data[0] = 1; // the tensor holds its own copy
      expect(Array.from(await t.data())).toEqual(expected);
      t.dispose();
    }
    const s = npyToTensor({ data: Float64Array.of(2.5), shape: [] });
    expect(s.rank).toBe(0);
    expect(await s.data()).toEqual(Float32Array.of(2.5));
    s.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('refuses values the tensor dtype cannot hold', async () => {
    const start = tf.memory().numTensors;
    await expectLtrError(() => npyToTensor({ data: Float64Array.of(1, 1e39), shape: [2] }), 'invalid-data', 'array.data[1]', /float32 range/);
    await expectLtrError(() => npyToTensor({ data: Uint32Array.of(1, 2 ** 31), shape: [2] }), 'invalid-data', 'array.data[1]', /int32.*uint32/);
    await expectLtrError(() => npyToTensor({ data: Float64Array.of(2 ** 40), shape: [1], dtype: 'int64' }), 'invalid-data', 'array.data[0]', /Float32Array.from/);
    await expectLtrError(() => npyToTensor({ data: Float64Array.of(1), shape: [2] }), 'shape-mismatch', 'array.shape', /2 elements/);
    expect(tf.memory().numTensors).toBe(start);
    // NaN and Infinity are carried over, not refused here.
    const t = npyToTensor({ data: Float64Array.of(NaN, Infinity), shape: [2] });
    expect(Array.from(await t.data())).toEqual([NaN, Infinity]);
    t.dispose();
  });

  it('copies tensor values out, float32 / int32 / bool, 0-d to 3-d', async () => {
    const start = tf.memory().numTensors;
    const f = tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]);
    const a = await tensorToNpy(f);
    expect(a).toEqual({ data: Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8), shape: [2, 2, 2], dtype: 'float32', fortranOrder: false });
    a.data[0] = 99;
    expect((await f.data())[0]).toBe(1);
    const i = tf.scalar(-7, 'int32');
    expect(await tensorToNpy(i)).toEqual({ data: Int32Array.of(-7), shape: [], dtype: 'int32', fortranOrder: false });
    const b = tf.tensor1d([true, false, true], 'bool');
    expect(await tensorToNpy(b)).toEqual({ data: Uint8Array.of(1, 0, 1), shape: [3], dtype: 'bool', fortranOrder: false });
    // Round trip back to a tensor.
    const back = npyToTensor(await tensorToNpy(f));
    expect(Array.from(await back.data())).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    tf.dispose([f, i, b, back]);
    expect(tf.memory().numTensors).toBe(start);
  });

  it('refuses complex, string and disposed tensors', async () => {
    const c = tf.complex([1], [2]);
    await expectLtrError(tensorToNpy(c), 'unsupported', 't', /complex64/);
    c.dispose();
    await expectLtrError(tensorToNpy(c), 'invalid-data', 't', /disposed/);
    const s = tf.tensor1d(['a'], 'string');
    await expectLtrError(tensorToNpy(s), 'unsupported', 't', /string/);
    s.dispose();
    await expectLtrError(tensorToNpy([1, 2] as unknown as tf.Tensor), 'invalid-data', 't', /expects a tf.Tensor/);
  });
});
