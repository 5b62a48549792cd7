import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { encodeNpy, parseNpy, readNpy, type NpyArray, type NpyDtype } from '../../src/io/index';
import { expectLtrErrorSync as expectLtrError } from './helpers';

// ------------------------------------------------------------------------------------------
// Hand-built .npy files, written byte by byte without the library's encoder.
// ------------------------------------------------------------------------------------------

/** Magic + version + header length + header dict padded with spaces and '\n' to `align` bytes + data. */
function npyFile(header: string, data: Uint8Array, opts: { version?: 1 | 2 | 3; align?: number } = {}): Uint8Array {
  const version = opts.version ?? 1;
  const align = opts.align ?? 64;
  const prefix = version === 1 ? 10 : 12;
  const text = version === 3 ? [...new TextEncoder().encode(header)] : [...header].map((c) => c.charCodeAt(0));
  let padded = text.length + 1;
  while ((prefix + padded) % align !== 0) padded++;
  const out: number[] = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0];
  if (version === 1) out.push(padded & 0xff, padded >> 8);
  else out.push(padded & 0xff, (padded >> 8) & 0xff, (padded >> 16) & 0xff, padded >>> 24);
  out.push(...text);
  while (out.length < prefix + padded - 1) out.push(0x20);
  out.push(0x0a);
  expect(out.length % align).toBe(0);
  return Uint8Array.from([...out, ...data]);
}

function dict(descr: string, shape: string, fortran = false): string {
  return `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shape}, }`;
}

type Code = 'f4' | 'f8' | 'i1' | 'i2' | 'i4' | 'i8' | 'u1' | 'u2' | 'u4' | 'u8' | 'b1';
const SIZE: Record<Code, number> = { f4: 4, f8: 8, i1: 1, i2: 2, i4: 4, i8: 8, u1: 1, u2: 2, u4: 4, u8: 8, b1: 1 };

/** Raw element bytes, little- or big-endian, through DataView. */
function raw(code: Code, values: ReadonlyArray<number | bigint>, littleEndian = true): Uint8Array {
  const n = SIZE[code];
  const buf = new ArrayBuffer(n * values.length);
  const v = new DataView(buf);
  values.forEach((x, i) => {
    const o = i * n;
    switch (code) {
      case 'f4': return v.setFloat32(o, Number(x), littleEndian);
      case 'f8': return v.setFloat64(o, Number(x), littleEndian);
      case 'i1': return v.setInt8(o, Number(x));
      case 'i2': return v.setInt16(o, Number(x), littleEndian);
      case 'i4': return v.setInt32(o, Number(x), littleEndian);
      case 'i8': return v.setBigInt64(o, BigInt(x), littleEndian);
      case 'u1': case 'b1': return v.setUint8(o, Number(x));
      case 'u2': return v.setUint16(o, Number(x), littleEndian);
      case 'u4': return v.setUint32(o, Number(x), littleEndian);
      case 'u8': return v.setBigUint64(o, BigInt(x), littleEndian);
    }
  });
  return new Uint8Array(buf);
}


const CASES: Array<{ code: Code; dtype: NpyDtype; ctor: string; values: number[] }> = [
  { code: 'f4', dtype: 'float32', ctor: 'Float32Array', values: [1.5, -2.25, 0, 1e-3, Infinity, NaN] },
  { code: 'f8', dtype: 'float64', ctor: 'Float64Array', values: [Math.PI, -1e300, 5e-324, 0, -0, NaN] },
  { code: 'i1', dtype: 'int8', ctor: 'Int8Array', values: [-128, 127, 0, -1, 5, 6] },
  { code: 'i2', dtype: 'int16', ctor: 'Int16Array', values: [-32768, 32767, 0, -1, 300, 6] },
  { code: 'i4', dtype: 'int32', ctor: 'Int32Array', values: [-2147483648, 2147483647, 0, -1, 70000, 6] },
  { code: 'i8', dtype: 'int64', ctor: 'Float64Array', values: [-(2 ** 53), 2 ** 53, 2 ** 62, -(2 ** 63), -1, 6] },
  { code: 'u1', dtype: 'uint8', ctor: 'Uint8Array', values: [0, 255, 1, 2, 3, 4] },
  { code: 'u2', dtype: 'uint16', ctor: 'Uint16Array', values: [0, 65535, 1, 2, 3, 4] },
  { code: 'u4', dtype: 'uint32', ctor: 'Uint32Array', values: [0, 4294967295, 1, 2, 3, 4] },
  { code: 'u8', dtype: 'uint64', ctor: 'Float64Array', values: [0, 2 ** 63, 2 ** 53, 1, 3, 4] },
  { code: 'b1', dtype: 'bool', ctor: 'Uint8Array', values: [1, 0, 0, 1, 1, 0] },
];

describe('parseNpy on hand-built files', () => {
  for (const { code, dtype, ctor, values } of CASES) {
    const one = SIZE[code] === 1;
    it(`reads ${one ? '|' : '<'}${code} as ${dtype} (${ctor})`, () => {
      const file = npyFile(dict(`${one ? '|' : '<'}${code}`, '(2, 3)'), raw(code, values));
      const a = parseNpy(file);
      expect(a.dtype).toBe(dtype);
      expect(a.shape).toEqual([2, 3]);
      expect(a.fortranOrder).toBe(false);
      expect(a.data.constructor.name).toBe(ctor);
      expect(Array.from(a.data)).toEqual(code === 'f4' ? values.map(Math.fround) : values);
    });
    if (!one) {
      it(`converts big-endian >${code} to native order`, () => {
        const a = parseNpy(npyFile(dict(`>${code}`, '(6,)'), raw(code, values, false)));
        expect(a.dtype).toBe(dtype);
        expect(a.shape).toEqual([6]);
        expect(Array.from(a.data)).toEqual(code === 'f4' ? values.map(Math.fround) : values);
      });
    }
  }

  it('accepts < and > on one-byte types', () => {
    expect(Array.from(parseNpy(npyFile(dict('<u1', '(2,)'), Uint8Array.of(7, 8))).data)).toEqual([7, 8]);
    expect(Array.from(parseNpy(npyFile(dict('>i1', '(2,)'), Uint8Array.of(0xff, 8))).data)).toEqual([-1, 8]);
  });

  it('transposes Fortran-ordered 3-d data to C order', () => {
    const [I, J, K] = [2, 3, 4];
    const fortran: number[] = []; // first index fastest
    for (let k = 0; k < K; k++) for (let j = 0; j < J; j++) for (let i = 0; i < I; i++) fortran.push(100 * i + 10 * j + k);
    const a = parseNpy(npyFile(dict('<f8', '(2, 3, 4)', true), raw('f8', fortran)));
    expect(a.shape).toEqual([2, 3, 4]);
    expect(a.fortranOrder).toBe(false);
    const expected: number[] = []; // last index fastest
    for (let i = 0; i < I; i++) for (let j = 0; j < J; j++) for (let k = 0; k < K; k++) expected.push(100 * i + 10 * j + k);
    expect(Array.from(a.data)).toEqual(expected);
  });

  it('transposes big-endian Fortran 2-d int16 data', () => {
    // [[1, 2, 3], [4, 5, 6]] in column-major order is 1 4 2 5 3 6.
    const a = parseNpy(npyFile(dict('>i2', '(2, 3)', true), raw('i2', [1, 4, 2, 5, 3, 6], false)));
    expect(a.data).toBeInstanceOf(Int16Array);
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('Fortran order is irrelevant for 0-d, 1-d and empty arrays', () => {
    expect(Array.from(parseNpy(npyFile(dict('<i4', '(3,)', true), raw('i4', [1, 2, 3]))).data)).toEqual([1, 2, 3]);
    expect(Array.from(parseNpy(npyFile(dict('<i4', '()', true), raw('i4', [9]))).data)).toEqual([9]);
    expect(parseNpy(npyFile(dict('<i4', '(0, 3)', true), new Uint8Array(0))).shape).toEqual([0, 3]);
  });

  it('reads 0-d arrays as shape []', () => {
    const a = parseNpy(npyFile(dict('<f8', '()'), raw('f8', [3.5])));
    expect(a.shape).toEqual([]);
    expect(Array.from(a.data)).toEqual([3.5]);
  });

  it('reads zero-size arrays', () => {
    const a = parseNpy(npyFile(dict('<f4', '(2, 0, 5)'), new Uint8Array(0)));
    expect(a.shape).toEqual([2, 0, 5]);
    expect(a.data).toBeInstanceOf(Float32Array);
    expect(a.data.length).toBe(0);
  });

  it('reads version 2.0 headers (4-byte length, data 64-byte aligned after a 12-byte preamble)', () => {
    const file = npyFile(dict('<f8', '(2,)'), raw('f8', [1, 2]), { version: 2 });
    expect(Array.from(file.subarray(6, 8))).toEqual([2, 0]);
    const hlen = file[8]! | (file[9]! << 8) | (file[10]! << 16) | (file[11]! << 24);
    expect((12 + hlen) % 64).toBe(0);
    expect(Array.from(parseNpy(file).data)).toEqual([1, 2]);
  });

  it('reads version 2.0 headers longer than 65535 bytes', () => {
    const header = dict('<i4', '(1,)') + ' '.repeat(70000);
    const a = parseNpy(npyFile(header, raw('i4', [42]), { version: 2 }));
    expect(Array.from(a.data)).toEqual([42]);
  });

  it('reads version 3.0 headers (UTF-8)', () => {
    const a = parseNpy(npyFile(dict('<u2', '(1, 2)'), raw('u2', [7, 9]), { version: 3 }));
    expect(a.shape).toEqual([1, 2]);
    expect(Array.from(a.data)).toEqual([7, 9]);
  });

  it('accepts header variants numpy and Python 2 wrote: key order, quotes, no trailing comma, L suffix, 16-byte alignment', () => {
    const values = raw('f8', [1, 2, 3, 4, 5, 6]);
    const headers = [
      `{'shape': (2, 3), 'fortran_order': False, 'descr': '<f8'}`,
      `{"descr": "<f8", "fortran_order": False, "shape": (2, 3)}`,
      `{'descr':'<f8','fortran_order':False,'shape':(2,3),}`,
      `{'descr': '<f8', 'fortran_order': False, 'shape': (2L, 3L), }`,
      `  {\n 'descr' : '<f8' ,\t'fortran_order' : False , 'shape' : ( 2 , 3 , ) }  `,
      `{'descr': '\\x3cf8', 'fortran_order': False, 'shape': (2, 3), }`, // escaped '<'
    ];
    for (const h of headers) {
      const a = parseNpy(npyFile(h, values));
      expect(a.shape).toEqual([2, 3]);
      expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 5, 6]);
    }
    expect(Array.from(parseNpy(npyFile(dict('<f8', '(6,)'), values, { align: 16 })).data)).toHaveLength(6);
  });

  it('accepts ArrayBuffer input and Uint8Array views at an offset, and never aliases the input', () => {
    const file = npyFile(dict('<i4', '(3,)'), raw('i4', [1, 2, 3]));
    const big = new Uint8Array(file.length + 3);
    big.set(file, 3); // data no longer 4-byte aligned in the underlying buffer
    const view = big.subarray(3);
    const a = parseNpy(view);
    expect(Array.from(a.data)).toEqual([1, 2, 3]);
    big.fill(0);
    expect(Array.from(a.data)).toEqual([1, 2, 3]);
    const copy = file.slice();
    expect(Array.from(parseNpy(copy.buffer).data)).toEqual([1, 2, 3]);
  });

  it('reads int64 values beyond 2^53 that are exactly representable', () => {
    const big = [2n ** 60n, -(2n ** 63n), 2n ** 63n - 2n ** 11n];
    const a = parseNpy(npyFile(dict('<i8', '(3,)'), raw('i8', big)));
    expect(Array.from(a.data)).toEqual(big.map(Number));
  });
});

describe('parseNpy refuses bad input with LtrError invalid-data or unsupported', () => {
  const good = npyFile(dict('<f8', '(2, 3)'), raw('f8', [1, 2, 3, 4, 5, 6]));

  it('bad magic, zip archives, short files', () => {
    const bad = good.slice();
    bad[1] = 0x4d;
    expectLtrError(() => parseNpy(bad), 'invalid-data', 'npy.magic', /bad magic/);
    const zip = Uint8Array.from([0x50, 0x4b, 0x03, 0x04, ...new Array<number>(20).fill(0)]);
    expectLtrError(() => parseNpy(zip), 'invalid-data', 'npy.magic', /zip archive.*npz/);
    expectLtrError(() => parseNpy(good.subarray(0, 7)), 'invalid-data', 'npy.magic', /only 7 bytes/);
    expectLtrError(() => parseNpy('abc' as unknown as Uint8Array), 'invalid-data', 'bytes', /Uint8Array or ArrayBuffer/);
  });

  it('unsupported versions', () => {
    for (const [major, minor] of [[1, 1], [4, 0], [0, 0]] as const) {
      const f = good.slice();
      f[6] = major;
      f[7] = minor;
      expectLtrError(() => parseNpy(f), 'invalid-data', 'npy.version', new RegExp(`version ${major}\\.${minor}`));
    }
  });

  it('truncated header and truncated or over-long data', () => {
    expectLtrError(() => parseNpy(good.subarray(0, 40)), 'invalid-data', 'npy.header', /truncated .npy file: the header claims 118 bytes but only 30 bytes follow/);
    expectLtrError(() => parseNpy(good.subarray(0, good.length - 1)), 'invalid-data', 'npy.data', /truncated .npy data.*needs 48 bytes but only 47/);
    const long = Uint8Array.from([...good, 0, 0]);
    expectLtrError(() => parseNpy(long), 'invalid-data', 'npy.data', /2 unexpected bytes after the data/);
  });

  it('malformed header dicts', () => {
    const cases: Array<[string, string, RegExp]> = [
      [`{'descr': '<f8', 'fortran_order': False, 'shape': (6,)`, 'npy.header', /expected ',' or '}' but found end of header/],
      [`['<f8', False, (6,)]`, 'npy.header', /expected a dict literal/],
      [`{'descr': '<f8', 'shape': (6,)}`, 'npy.header', /keys must be exactly.*got 'descr', 'shape'/],
      [`{'descr': '<f8', 'fortran_order': False, 'shape': (6,), 'extra': 1}`, 'npy.header', /keys must be exactly/],
      [`{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (6,)}`, 'npy.header', /'descr' appears twice/],
      [`{1: '<f8', 'fortran_order': False, 'shape': (6,)}`, 'npy.header', /key 1 is not a string/],
      [`{'descr': '<f8, 'fortran_order': False, 'shape': (6,)}`, 'npy.header', /malformed .npy header/],
      [`{'descr': __import__('os'), 'fortran_order': False, 'shape': (6,)}`, 'npy.header', /only literals are allowed/],
      [`{'descr': '<f8', 'fortran_order': 0, 'shape': (6,)}`, 'npy.header.fortran_order', /True or False, got 0/],
      [`{'descr': '<f8', 'fortran_order': False, 'shape': [6]}`, 'npy.header.shape', /tuple of integers, got \[6\]/],
      [`{'descr': '<f8', 'fortran_order': False, 'shape': (6)}`, 'npy.header.shape', /tuple of integers, got 6/],
      [`{'descr': '<f8', 'fortran_order': False, 'shape': (-6,)}`, 'npy.header.shape', /non-negative integers/],
      [`{'descr': '<f8', 'fortran_order': False, 'shape': (6.0,)}`, 'npy.header.shape', /non-negative integers/],
      [`{'descr': '<f8', 'fortran_order': False, 'shape': (True,)}`, 'npy.header.shape', /non-negative integers/],
      [`{'descr': 8, 'fortran_order': False, 'shape': (6,)}`, 'npy.header.descr', /must be a dtype string/],
    ];
    for (const [header, path, message] of cases) {
      expectLtrError(() => parseNpy(npyFile(header, raw('f8', [1, 2, 3, 4, 5, 6]))), 'invalid-data', path, message);
    }
  });

  it('deeply nested headers', () => {
    const header = `{'descr': ${'['.repeat(100)}${']'.repeat(100)}, 'fortran_order': False, 'shape': ()}`;
    expectLtrError(() => parseNpy(npyFile(header, new Uint8Array(8))), 'invalid-data', 'npy.header', /nested deeper/);
  });

  it('invalid UTF-8 in a version 3.0 header', () => {
    const f = npyFile(dict('<f8', '(1,)'), raw('f8', [1]), { version: 3 });
    f[14] = 0xff;
    expectLtrError(() => parseNpy(f), 'invalid-data', 'npy.header', /valid UTF-8/);
  });

  it('dtypes name the dtype and what to do: unsupported when NumPy writes them, invalid-data otherwise', () => {
    const U = 'unsupported';
    const I = 'invalid-data';
    const cases: Array<[string, string, RegExp]> = [
      [`'|O'`, U, /'\|O'.*object arrays.*np\.asarray\(a, dtype=np\.float64\)/],
      [`'<c16'`, U, /'<c16'.*complex.*np\.real\(a\), np\.imag\(a\)/],
      [`'<c8'`, U, /'<c8'.*complex/],
      [`'<U5'`, U, /'<U5'.*string arrays/],
      [`'|S3'`, U, /'\|S3'.*string arrays/],
      [`'|V8'`, U, /'\|V8'.*void/],
      [`'<M8[ns]'`, U, /'<M8\[ns\]'.*datetime.*astype\(np\.int64\)/],
      [`'<m8[s]'`, U, /'<m8\[s\]'.*datetime/],
      [`'<f2'`, U, /'<f2'.*float16.*astype\(np\.float64\)/],
      [`'<f16'`, U, /'<f16'.*longdouble/],
      [`'<i16'`, I, /'<i16'.*not a supported dtype/],
      [`'=f8'`, I, /'=f8'.*explicit byte order/],
      [`'f8'`, I, /'f8'.*explicit byte order/],
      [`'|f8'`, I, /'\|f8'.*explicit byte order/],
      [`[('x', '<f8'), ('y', '<i4')]`, U, /\[\('x', '<f8'\), \('y', '<i4'\)\].*structured.*np\.save\('x\.npy', a\['field'\]\)/],
      [`('<f8', (2,))`, U, /structured \(record\) or sub-array/],
      [`'float64'`, I, /'float64'.*not a plain numeric dtype/],
    ];
    for (const [descr, code, message] of cases) {
      const header = `{'descr': ${descr}, 'fortran_order': False, 'shape': (1,), }`;
      expectLtrError(() => parseNpy(npyFile(header, new Uint8Array(16))), code, 'npy.header.descr', message);
    }
  });

  it('int64 values a double cannot hold exactly', () => {
    const f = npyFile(dict('<i8', '(2,)'), raw('i8', [1, 2n ** 53n + 1n]));
    expectLtrError(() => parseNpy(f), 'unsupported', 'npy.data', /int64 value 9007199254740993 at flat index 1 is not exactly representable/);
    const u = npyFile(dict('>u8', '(1,)'), raw('u8', [2n ** 64n - 1n], false));
    expectLtrError(() => parseNpy(u), 'unsupported', 'npy.data', /uint64 value 18446744073709551615 at flat index 0/);
  });

  it('bool bytes other than 0/1', () => {
    expectLtrError(() => parseNpy(npyFile(dict('|b1', '(3,)'), Uint8Array.of(0, 1, 2))), 'invalid-data', 'npy.data', /byte 2 at flat index 2/);
  });
});

describe('encodeNpy', () => {
  it('writes the header numpy.save writes, byte for byte', () => {
    const bytes = encodeNpy({ data: Float64Array.of(1, 2, 3, 4, 5, 6), shape: [2, 3] });
    // numpy: "{...(2, 3), }" + (21 - len('2')) spaces, padded to 64 with spaces and '\n'.
    const expected = npyFile(dict('<f8', '(2, 3)') + ' '.repeat(20), raw('f8', [1, 2, 3, 4, 5, 6]));
    expect(Array.from(bytes)).toEqual(Array.from(expected));
    const scalar = encodeNpy({ data: Int8Array.of(-3), shape: [] });
    expect(Array.from(scalar)).toEqual(Array.from(npyFile(dict('|i1', '()'), Uint8Array.of(0xfd))));
  });

  it('uses format 2.0 only when the header exceeds 65535 bytes', () => {
    const shape = new Array<number>(25000).fill(1); // '(1, 1, …' is 3 bytes a dimension
    const bytes = encodeNpy({ data: Float32Array.of(7), shape });
    expect(bytes[6]).toBe(2);
    const hlen = bytes[8]! | (bytes[9]! << 8) | (bytes[10]! << 16) | (bytes[11]! << 24);
    expect((12 + hlen) % 64).toBe(0);
    const back = parseNpy(bytes);
    expect(back.shape).toEqual(shape);
    expect(Array.from(back.data)).toEqual([7]);
  });

  const SHAPES: number[][] = [[], [5], [2, 3, 4]];
  const make: Record<NpyDtype, (n: number) => NpyArray['data']> = {
    float32: (n) => Float32Array.from({ length: n }, (_, i) => Math.fround(i * 0.37 - 2)),
    float64: (n) => Float64Array.from({ length: n }, (_, i) => Math.sin(i) * 1e10),
    int8: (n) => Int8Array.from({ length: n }, (_, i) => (i * 37) % 256 - 128),
    int16: (n) => Int16Array.from({ length: n }, (_, i) => i * 1000 - 12000),
    int32: (n) => Int32Array.from({ length: n }, (_, i) => i * 100000007 - 1e9),
    int64: (n) => Float64Array.from({ length: n }, (_, i) => (i % 2 ? -1 : 1) * (2 ** 53 - i)),
    uint8: (n) => Uint8Array.from({ length: n }, (_, i) => (i * 11) % 256),
    uint16: (n) => Uint16Array.from({ length: n }, (_, i) => (i * 2731) % 65536),
    uint32: (n) => Uint32Array.from({ length: n }, (_, i) => 4294967295 - i * 12345),
    uint64: (n) => Float64Array.from({ length: n }, (_, i) => 2 ** 63 + i * 2 ** 11),
    bool: (n) => Uint8Array.from({ length: n }, (_, i) => i % 3 === 0 ? 1 : 0),
  };
  for (const dtype of Object.keys(make) as NpyDtype[]) {
    for (const shape of SHAPES) {
      it(`round-trips ${dtype} of shape [${shape.join(', ')}]`, () => {
        const n = shape.reduce((a, b) => a * b, 1);
        const data = make[dtype](n);
        const bytes = encodeNpy({ data, shape, dtype });
        expect((bytes[8]! | (bytes[9]! << 8)) % 64).toBe(54); // 10 + hlen is a multiple of 64
        const back = parseNpy(bytes);
        expect(back).toEqual({ data, shape, dtype, fortranOrder: false });
        expect(back.data).not.toBe(data);
      });
    }
  }

  it('writes int64 and uint64 bit-exactly', () => {
    const bytes = encodeNpy({ data: Float64Array.of(-(2 ** 63), 2 ** 62 + 2 ** 12, -1), shape: [3], dtype: 'int64' });
    const v = new DataView(bytes.buffer, bytes.byteOffset + 128);
    expect([v.getBigInt64(0, true), v.getBigInt64(8, true), v.getBigInt64(16, true)]).toEqual([-(2n ** 63n), 2n ** 62n + 2n ** 12n, -1n]);
    const u = encodeNpy({ data: Float64Array.of(2 ** 64 - 2 ** 11), shape: [1], dtype: 'uint64' });
    expect(new DataView(u.buffer, 128).getBigUint64(0, true)).toBe(2n ** 64n - 2n ** 11n);
  });

  it('refuses invalid arrays', () => {
    expectLtrError(() => encodeNpy({ data: [1, 2] as unknown as Float64Array, shape: [2] }), 'invalid-data', 'array.data', /must be a Float32Array/);
    expectLtrError(() => encodeNpy({ data: Float64Array.of(1), shape: [1], dtype: 'float32' }), 'invalid-data', 'array.data', /needs data in a Float32Array but got a Float64Array/);
    expectLtrError(() => encodeNpy({ data: Float64Array.of(1), shape: [1], dtype: 'float16' as NpyDtype }), 'invalid-data', 'array.dtype', /"float16" is not one of/);
    expectLtrError(() => encodeNpy({ data: Float64Array.of(1, 2, 3), shape: [2, 2] }), 'shape-mismatch', 'array.shape', /\(2, 2\) has 4 elements but array.data has 3/);
    expectLtrError(() => encodeNpy({ data: Float64Array.of(1, 2), shape: [2.5] }), 'shape-mismatch', 'array.shape', /non-negative integers/);
    expectLtrError(() => encodeNpy({ data: Float64Array.of(1, 2.5), shape: [2], dtype: 'int64' }), 'invalid-data', 'array.data[1]', /2.5 is not a valid int64/);
    expectLtrError(() => encodeNpy({ data: Float64Array.of(2 ** 63), shape: [1], dtype: 'int64' }), 'invalid-data', 'array.data[0]', /not a valid int64/);
    expectLtrError(() => encodeNpy({ data: Float64Array.of(-1), shape: [1], dtype: 'uint64' }), 'invalid-data', 'array.data[0]', /not a valid uint64/);
    expectLtrError(() => encodeNpy({ data: Uint8Array.of(0, 2), shape: [2], dtype: 'bool' }), 'invalid-data', 'array.data[1]', /not a bool value/);
    expectLtrError(() => encodeNpy({ data: Float64Array.of(1), shape: [1], fortranOrder: true }), 'invalid-data', 'array.fortranOrder', /C-ordered/);
  });
});

// ------------------------------------------------------------------------------------------
// Real data: the amino-acid fluorescence benchmark, in ../shared beside the repository.
// ------------------------------------------------------------------------------------------

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const amino = (name: string): string => path.resolve(repoRoot, '../shared/data/amino', name);

describe('amino-acid fluorescence data (real numpy files)', () => {
  it('X.npy: 5 × 201 × 61 float64, values checked against the raw bytes', async () => {
    const bytes = new Uint8Array(readFileSync(amino('X.npy')));
    // Independent header parse.
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const hlen = bytes[8]! + 256 * bytes[9]!;
    const header = String.fromCharCode(...bytes.subarray(10, 10 + hlen));
    expect(header).toContain(`'descr': '<f8'`);
    expect(header).toContain(`'fortran_order': False`);
    expect(header).toContain(`'shape': (5, 201, 61)`);
    expect(header.endsWith('\n')).toBe(true);
    const offset = 10 + hlen;
    expect(offset % 64).toBe(0);
    expect(bytes.length).toBe(offset + 5 * 201 * 61 * 8);

    const x = await readNpy(amino('X.npy'));
    expect(x.shape).toEqual([5, 201, 61]);
    expect(x.dtype).toBe('float64');
    expect(x.data).toBeInstanceOf(Float64Array);
    expect(x.data.length).toBe(5 * 201 * 61);
    const raw64 = new DataView(bytes.buffer, bytes.byteOffset + offset);
    const at = (i: number, j: number, k: number): number => x.data[(i * 201 + j) * 61 + k]!;
    for (const [i, j, k] of [[0, 0, 0], [4, 200, 60], [2, 100, 30], [1, 50, 10], [3, 7, 59]] as const) {
      expect(at(i, j, k)).toBe(raw64.getFloat64(8 * ((i * 201 + j) * 61 + k), true));
    }
    // Values numpy prints for these entries.
    expect(at(0, 0, 0)).toBeCloseTo(0.858, 12);
    expect(at(4, 200, 60)).toBeCloseTo(1.993, 12);
    expect(at(2, 100, 30)).toBeCloseTo(11.596, 12);
    expect(at(1, 50, 10)).toBeCloseTo(153.985, 12);
    expect(x.data.every(Number.isFinite)).toBe(true);

    // Re-encoding reproduces numpy's file byte for byte.
    expect(Buffer.compare(Buffer.from(encodeNpy(x)), Buffer.from(bytes))).toBe(0);
  });

  it('y.npy: 5 × 3 known concentrations; the first three samples are pure', async () => {
    const y = await readNpy(amino('y.npy'));
    expect(y.shape).toEqual([5, 3]);
    expect(y.dtype).toBe('float64');
    const v = Array.from(y.data);
    expect(v.every((c) => Number.isFinite(c) && c >= 0)).toBe(true);
    expect(v.reduce((a, b) => a + b, 0)).toBeCloseTo(0.001580269, 12);
    [2.67e-6, 0, 0, 0, 1.33e-5, 0, 0, 0, 9e-4].forEach((c, i) => expect(v[i]).toBeCloseTo(c, 15));
    for (let s = 3; s < 5; s++) for (let c = 0; c < 3; c++) expect(v[3 * s + c]).toBeGreaterThan(0);
  });

  it('emission_nm.npy: 201 wavelengths 250, 251, …, 450 nm; excitation_nm.npy: 61 from 240 to 300', async () => {
    const em = await readNpy(amino('emission_nm.npy'));
    expect(em.shape).toEqual([201]);
    expect(Array.from(em.data)).toEqual(Array.from({ length: 201 }, (_, i) => 250 + i));
    const ex = await readNpy(amino('excitation_nm.npy'));
    expect(ex.shape).toEqual([61]);
    expect(Array.from(ex.data)).toEqual(Array.from({ length: 61 }, (_, i) => 240 + i));
  });
});
