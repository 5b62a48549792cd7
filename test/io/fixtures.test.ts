// Files written by NumPy (test/io/fixtures/make.py, committed so CI needs no Python): values are
// checked against the formulas make.py used, recomputed here.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readArray, readNpy, readNpz, type NpyArray } from '../../src/io/index';
import { LtrError } from '../../src/validate/errors';
import { expectLtrError } from './helpers';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const fx = (name: string): string => path.join(dir, name);
const range = (n: number, f: (i: number) => number): number[] => Array.from({ length: n }, (_, i) => f(i));

/** {@link expectLtrError}, and the message starts with the file's path. */
async function expectFileError(p: Promise<unknown>, file: string, code: string, errPath: string, message: RegExp): Promise<LtrError> {
  const e = await expectLtrError(p, code, errPath, message);
  expect(e.message.startsWith(`${file}: `)).toBe(true); // names the file
  return e;
}

/** What make.py wrote, as { dtype, typed array, shape, C-order values }. */
const ARRAYS: Array<{ file: string; dtype: NpyArray['dtype']; ctor: string; shape: number[]; values: number[] }> = [
  // np.arange(24, dtype=np.float32).reshape(2, 3, 4) * np.float32(0.5)
  { file: 'float32.npy', dtype: 'float32', ctor: 'Float32Array', shape: [2, 3, 4], values: range(24, (i) => i * 0.5) },
  // np.arange(12, dtype=np.float64).reshape(3, 4) / 7 - 0.5   (IEEE division: bit-identical in JS)
  { file: 'float64.npy', dtype: 'float64', ctor: 'Float64Array', shape: [3, 4], values: range(12, (i) => i / 7 - 0.5) },
  // (np.arange(12, dtype=np.int32) - 6).reshape(4, 3) * 1000
  { file: 'int32.npy', dtype: 'int32', ctor: 'Int32Array', shape: [4, 3], values: range(12, (i) => (i - 6) * 1000) },
  // np.array([-(2**53), -1, 0, 1, 2**53, 2**62], dtype=np.int64)
  { file: 'int64.npy', dtype: 'int64', ctor: 'Float64Array', shape: [6], values: [-(2 ** 53), -1, 0, 1, 2 ** 53, 2 ** 62] },
  // (np.arange(6, dtype=np.int8) - 3) * 40
  { file: 'int8.npy', dtype: 'int8', ctor: 'Int8Array', shape: [6], values: range(6, (i) => (i - 3) * 40) },
  // (np.arange(6, dtype=np.int16) - 3) * 10000
  { file: 'int16.npy', dtype: 'int16', ctor: 'Int16Array', shape: [6], values: range(6, (i) => (i - 3) * 10000) },
  // (np.arange(6, dtype=np.uint8) * 51).reshape(2, 3)
  { file: 'uint8.npy', dtype: 'uint8', ctor: 'Uint8Array', shape: [2, 3], values: range(6, (i) => i * 51) },
  // (np.arange(10) % 3 == 0).reshape(2, 5)
  { file: 'bool.npy', dtype: 'bool', ctor: 'Uint8Array', shape: [2, 5], values: range(10, (i) => (i % 3 === 0 ? 1 : 0)) },
  // np.float64(2.5)
  { file: 'scalar.npy', dtype: 'float64', ctor: 'Float64Array', shape: [], values: [2.5] },
  // np.asfortranarray(np.arange(24, dtype=np.float64).reshape(2, 3, 4) * 0.25): same values in C order
  { file: 'fortran.npy', dtype: 'float64', ctor: 'Float64Array', shape: [2, 3, 4], values: range(24, (i) => i * 0.25) },
  // (np.arange(6, dtype=np.float32) * np.float32(1.5)).reshape(2, 3).astype('>f4'): big-endian, converted to native order
  { file: 'bigendian.npy', dtype: 'float32', ctor: 'Float32Array', shape: [2, 3], values: range(6, (i) => Math.fround(i * 1.5)) },
];

describe('NumPy-written .npy files', () => {
  for (const { file, dtype, ctor, shape, values } of ARRAYS) {
    it(`${file}: ${dtype} ${JSON.stringify(shape)} with the values make.py wrote (readNpy and readArray)`, async () => {
      for (const a of [await readNpy(fx(file)), await readArray(fx(file))]) {
        expect(a.dtype).toBe(dtype);
        expect(a.shape).toEqual(shape);
        expect(a.fortranOrder).toBe(false);
        expect(a.data.constructor.name).toBe(ctor);
        expect(Array.from(a.data)).toEqual(values);
      }
    });
  }

  it('the Fortran and big-endian fixtures really are stored that way', () => {
    const header = (file: string): string => {
      const b = readFileSync(fx(file));
      return b.subarray(10, 10 + b.readUInt16LE(8)).toString('latin1');
    };
    expect(header('fortran.npy')).toContain("'fortran_order': True");
    expect(header('bigendian.npy')).toContain("'descr': '>f4'");
    // Column-major on disk: the second stored value is element [1, 0, 0] = 12 * 0.25.
    const b = readFileSync(fx('fortran.npy'));
    expect(b.readDoubleLE(b.length - 24 * 8 + 8)).toBe(3);
  });
});

describe('malformed and unsupported .npy files: one-line LtrError naming the file and the problem', () => {
  const cases: Array<[string, string, string, RegExp]> = [
    ['truncated.npy', 'invalid-data', 'npy.data', /truncated .npy data: shape \(3, 4\) of float64 needs 96 bytes but only 91 bytes follow the header/],
    ['bad-header.npy', 'invalid-data', 'npy.header', /malformed .npy header: expected a value but found end of header at character 118 in "\{'descr': '<f8', 'fortran_order': False, 'shape': \(3, 4\),"/],
    ['missing-key.npy', 'invalid-data', 'npy.header', /keys must be exactly 'descr', 'fortran_order', 'shape', got 'descr', 'fortran_order', 'shapf'/],
    ['bad-magic.npy', 'invalid-data', 'npy.magic', /not a .npy file: bad magic string \(first bytes 93 4e 55 4d 50 58/],
    ['object.npy', 'unsupported', 'npy.header.descr', /'\|O': object arrays hold pickled Python objects and cannot be read safely; save a numeric array/],
    ['complex.npy', 'unsupported', 'npy.header.descr', /'<c16': complex numbers are not supported/],
    ['string.npy', 'unsupported', 'npy.header.descr', /'<U3': string arrays are not numeric data/],
  ];
  for (const [file, code, errPath, message] of cases) {
    it(`${file} → ${code} (${errPath})`, async () => {
      await expectFileError(readNpy(fx(file)), fx(file), code, errPath, message);
      await expectFileError(readArray(fx(file)), fx(file), code, errPath, message);
    });
  }
});

describe('NumPy-written .npz archives', () => {
  // x = np.arange(6, dtype=np.float64).reshape(2, 3) * 0.5; y = np.array([1, 2, 3], dtype=np.int32)
  const x: NpyArray = { data: Float64Array.from(range(6, (i) => i * 0.5)), shape: [2, 3], dtype: 'float64', fortranOrder: false };
  const y: NpyArray = { data: Int32Array.of(1, 2, 3), shape: [3], dtype: 'int32', fortranOrder: false };

  for (const file of ['savez.npz', 'savez_compressed.npz', 'streamed.npz']) {
    it(`${file}: readNpz gives { x, y }; readArray picks each by key`, async () => {
      const all = await readNpz(fx(file));
      expect(Object.keys(all)).toEqual(['x', 'y']);
      expect(all).toEqual({ x, y });
      expect(await readArray(fx(file), { key: 'x' })).toEqual(x);
      expect(await readArray(fx(file), { key: 'y' })).toEqual(y);
    });

    it(`${file}: readArray without key, or with an unknown key, lists the keys`, async () => {
      await expectFileError(readArray(fx(file)), fx(file), 'invalid-option', 'options.key', /holds 2 arrays \("x", "y"\); choose one with key, e\.g\. \{ key: "x" \}/);
      await expectFileError(readArray(fx(file), { key: 'z' }), fx(file), 'invalid-option', 'options.key', /no array "z" in this .npz archive; its arrays are "x", "y"/);
    });
  }

  it('single.npz: the only array (arr_0) is read without a key', async () => {
    // np.savez(path, np.arange(4, dtype=np.float32))
    const want: NpyArray = { data: Float32Array.of(0, 1, 2, 3), shape: [4], dtype: 'float32', fortranOrder: false };
    expect(await readArray(fx('single.npz'))).toEqual(want);
    expect(await readArray(fx('single.npz'), { key: 'arr_0' })).toEqual(want);
    expect(await readNpz(fx('single.npz'))).toEqual({ arr_0: want });
  });

  it('numpy forces ZIP64: local headers hold 0xFFFFFFFF sizes; streamed.npz uses data descriptors', () => {
    for (const file of ['savez.npz', 'savez_compressed.npz', 'streamed.npz']) {
      const b = readFileSync(fx(file));
      expect(b.readUInt32LE(0)).toBe(0x04034b50);
      expect(b.readUInt32LE(18)).toBe(0xffffffff); // compressed size in the first local header
      expect(b.readUInt16LE(6) & 0x08).toBe(file === 'streamed.npz' ? 0x08 : 0);
      expect(b.readUInt16LE(8)).toBe(file === 'savez.npz' ? 0 : 8); // stored / deflate
    }
  });

  it('readArray refuses a key for a .npy file, bad options, and missing files', async () => {
    await expectFileError(readArray(fx('float64.npy'), { key: 'x' }), fx('float64.npy'), 'invalid-option', 'options.key', /is a .npy holding a single array.*omit key/);
    await expect(readArray(fx('savez.npz'), { key: '' })).rejects.toMatchObject({ code: 'invalid-option', path: 'options.key' });
    await expect(readArray(fx('savez.npz'), { kee: 'x' } as never)).rejects.toMatchObject({ code: 'invalid-option', path: 'options' });
    await expect(readArray(fx('nope.npy'))).rejects.toMatchObject({ code: 'invalid-option', path: 'path', message: expect.stringMatching(/cannot read file ".*nope\.npy"/) });
    await expect(readNpz(fx('nope.npz'))).rejects.toMatchObject({ code: 'invalid-option', path: 'path' });
    await expect(readArray('')).rejects.toMatchObject({ code: 'invalid-option', path: 'path' });
  });

  it('readNpy on an .npz points to readNpz / readArray; readNpz on a .npy says it is not a zip', async () => {
    await expectFileError(readNpy(fx('savez.npz')), fx('savez.npz'), 'invalid-data', 'npy.magic', /zip archive \(probably .npz\).*readArray/);
    await expectFileError(readNpz(fx('float64.npy')), fx('float64.npy'), 'invalid-data', 'npz', /not a .npz file: not a ZIP archive \(first bytes 93 4e 55 4d/);
  });

  it('a deflated member larger than its declared size stops at the declared size', async () => {
    const b = Buffer.from(readFileSync(fx('savez_compressed.npz')));
    const cd = b.readUInt32LE(b.length - 22 + 16);
    expect(b.readUInt32LE(cd)).toBe(0x02014b50);
    expect(b.readUInt32LE(cd + 24)).toBe(176); // x.npy: 128-byte header + 6 float64
    b.writeUInt32LE(100, cd + 24);
    const tmp = await mkdtemp(path.join(tmpdir(), 'ltr-rnn-npz-'));
    try {
      const file = path.join(tmp, 'liar.npz');
      await writeFile(file, b);
      await expectFileError(readNpz(file), file, 'invalid-data', 'npz', /member "x.npy" does not inflate \(it inflates to more than the 100 bytes the directory declares\)/);
      await expectFileError(readArray(file, { key: 'x' }), file, 'invalid-data', 'npz', /inflates to more than the 100 bytes/);
      expect(await readArray(file, { key: 'y' })).toEqual(y); // the other member is intact
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });

  it("byteOrder: 'little' refuses big-endian data with the fix, and still reads little-endian files", async () => {
    const e = await expectFileError(readArray(fx('bigendian.npy'), { byteOrder: 'little' }), fx('bigendian.npy'), 'unsupported', 'npy.header.descr', /big-endian data \('>f4'\).*astype\('<f4'\)/);
    expect(e.message).not.toContain('\n');
    const ok = await readArray(fx('bigendian.npy'));
    expect(Array.from(ok.data)).toEqual(range(6, (i) => Math.fround(i * 1.5)));
    const little = await readArray(fx('float32.npy'), { byteOrder: 'little' });
    expect(little.dtype).toBe('float32');
  });

  it('fixtures stay small (< 50 KB)', () => {
    const bytes = readdirSync(dir).reduce((s, f) => s + readFileSync(fx(f)).length, 0);
    expect(bytes).toBeLessThan(50_000);
  });
});
