import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeNpy, npzKeys, parseNpz, type InflateRaw, type NpyArray } from '../../src/io/index';
import { LtrError } from '../../src/validate/errors';
import { expectLtrErrorSync as expectLtrError } from './helpers';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(path.join(here, 'fixtures', name)));
const inflateRaw: InflateRaw = (data, size) => inflateRawSync(data, { maxOutputLength: Math.max(1, size) });


// ------------------------------------------------------------------------------------------
// A ZIP writer written from APPNOTE.TXT for these tests, independent of the reader.
// ------------------------------------------------------------------------------------------

/** Bitwise CRC-32 (reflected polynomial 0xEDB88320), no table. */
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

interface Member {
  name: string;
  data: Uint8Array;
  method?: number; // 0 stored, 8 deflate, other: stored bytes labelled with that method
  flags?: number;
  descriptor?: boolean; // sizes and CRC after the data (flag bit 3), zeros in the local header
  zip64?: boolean; // 0xFFFFFFFF sizes and offset in the central directory + ZIP64 extra field
  crc?: number; // override the CRC
}

function buildZip(members: Member[], opts: { zip64End?: boolean; comment?: string } = {}): Uint8Array {
  const out: number[] = [];
  const u16 = (v: number): void => void out.push(v & 0xff, (v >>> 8) & 0xff);
  const u32 = (v: number): void => void out.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  const u64 = (v: number): void => {
    u32(v % 2 ** 32);
    u32(Math.floor(v / 2 ** 32));
  };
  const bytes = (b: Uint8Array | number[]): void => void out.push(...b);
  const central: Array<Member & { offset: number; comp: Uint8Array; crcValue: number; flagsValue: number }> = [];
  for (const m of members) {
    const method = m.method ?? 0;
    const comp = method === 8 ? new Uint8Array(deflateRawSync(m.data)) : m.data;
    const crcValue = m.crc ?? crc32(m.data);
    const flagsValue = (m.flags ?? 0) | (m.descriptor ? 0x08 : 0);
    const name = new TextEncoder().encode(m.name);
    const offset = out.length;
    u32(0x04034b50);
    u16(45);
    u16(flagsValue);
    u16(method);
    u16(0);
    u16(0x21);
    u32(m.descriptor ? 0 : crcValue);
    u32(m.descriptor ? 0 : comp.length);
    u32(m.descriptor ? 0 : m.data.length);
    u16(name.length);
    u16(0);
    bytes(name);
    bytes(comp);
    if (m.descriptor) {
      u32(0x08074b50);
      u32(crcValue);
      u32(comp.length);
      u32(m.data.length);
    }
    central.push({ ...m, offset, comp, crcValue, flagsValue });
  }
  const cdOffset = out.length;
  for (const m of central) {
    const name = new TextEncoder().encode(m.name);
    u32(0x02014b50);
    u16(45);
    u16(45);
    u16(m.flagsValue);
    u16(m.method ?? 0);
    u16(0);
    u16(0x21);
    u32(m.crcValue);
    u32(m.zip64 ? 0xffffffff : m.comp.length);
    u32(m.zip64 ? 0xffffffff : m.data.length);
    u16(name.length);
    u16(m.zip64 ? 4 + 24 + 8 : 0); // ZIP64 field, then an unrelated field to skip
    u16(0);
    u16(0);
    u16(0);
    u32(0);
    u32(m.zip64 ? 0xffffffff : m.offset);
    bytes(name);
    if (m.zip64) {
      u16(0x0001);
      u16(24);
      u64(m.data.length); // uncompressed, compressed, offset: the order APPNOTE 4.5.3 gives
      u64(m.comp.length);
      u64(m.offset);
      u16(0x5455); // extended timestamp, ignored
      u16(4);
      u32(0);
    }
  }
  const cdSize = out.length - cdOffset;
  if (opts.zip64End) {
    const z64 = out.length;
    u32(0x06064b50);
    u64(44);
    u16(45);
    u16(45);
    u32(0);
    u32(0);
    u64(members.length);
    u64(members.length);
    u64(cdSize);
    u64(cdOffset);
    u32(0x07064b50);
    u32(0);
    u64(z64);
    u32(1);
  }
  const comment = new TextEncoder().encode(opts.comment ?? '');
  u32(0x06054b50);
  u16(0);
  u16(0);
  u16(opts.zip64End ? 0xffff : members.length);
  u16(opts.zip64End ? 0xffff : members.length);
  u32(opts.zip64End ? 0xffffffff : cdSize);
  u32(opts.zip64End ? 0xffffffff : cdOffset);
  u16(comment.length);
  bytes(comment);
  return Uint8Array.from(out);
}

const A: NpyArray = { data: Float64Array.of(1.5, -2, 3.25, 4), shape: [2, 2], dtype: 'float64', fortranOrder: false };
const B: NpyArray = { data: Int32Array.of(7, 8, 9), shape: [3], dtype: 'int32', fortranOrder: false };
const npyA = encodeNpy(A);
const npyB = encodeNpy(B);

describe('parseNpz on hand-built archives', () => {
  it('stored and deflated members, keys without .npy, in archive order', () => {
    const zip = buildZip([{ name: 'b.npy', data: npyB }, { name: 'a.npy', data: npyA, method: 8 }]);
    const r = parseNpz(zip, { inflateRaw });
    expect(Object.keys(r)).toEqual(['b', 'a']);
    expect(r).toEqual({ a: A, b: B });
    expect(npzKeys(zip)).toEqual(['b', 'a']);
  });

  it('ZIP64: sizes and offsets in the central directory extra field, ZIP64 end record and locator', () => {
    const zip = buildZip(
      [{ name: 'a.npy', data: npyA, zip64: true, method: 8 }, { name: 'b.npy', data: npyB, zip64: true }],
      { zip64End: true },
    );
    expect(parseNpz(zip, { inflateRaw })).toEqual({ a: A, b: B });
  });

  it('data descriptors, an archive comment, ArrayBuffer input and views at an offset', () => {
    const zip = buildZip([{ name: 'a.npy', data: npyA, descriptor: true, method: 8 }], { comment: 'written by a test' });
    expect(parseNpz(zip, { inflateRaw })).toEqual({ a: A });
    expect(parseNpz(zip.slice().buffer, { inflateRaw })).toEqual({ a: A });
    const big = new Uint8Array(zip.length + 5);
    big.set(zip, 5);
    const r = parseNpz(big.subarray(5), { inflateRaw });
    big.fill(0);
    expect(r).toEqual({ a: A }); // no aliasing of the input
  });

  it('skips directories and members that are not .npy; an empty archive gives {}', () => {
    const zip = buildZip([
      { name: 'sub/', data: new Uint8Array(0) },
      { name: 'README.txt', data: new TextEncoder().encode('hi') },
      { name: 'sub/a.npy', data: npyA },
    ]);
    expect(parseNpz(zip)).toEqual({ 'sub/a': A });
    expect(parseNpz(buildZip([]))).toEqual({});
    expect(npzKeys(buildZip([]))).toEqual([]);
  });

  it('UTF-8 names and a "__proto__" key are ordinary keys', () => {
    const zip = buildZip([{ name: 'ä.npy', data: npyA, flags: 0x800 }, { name: '__proto__.npy', data: npyB }]);
    const r = parseNpz(zip);
    expect(Object.keys(r)).toEqual(['ä', '__proto__']);
    expect(Object.getPrototypeOf(r)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(r, '__proto__')?.value).toEqual(B);
  });
});

describe('parseNpz refuses malformed archives with one-line errors', () => {
  const good = buildZip([{ name: 'a.npy', data: npyA }, { name: 'b.npy', data: npyB, method: 8 }]);

  it('not a zip, truncated, no end record', () => {
    expectLtrError(() => parseNpz(npyA), 'invalid-data', 'npz', /not a .npz file: not a ZIP archive \(first bytes 93 4e 55 4d/);
    expectLtrError(() => parseNpz(new Uint8Array(0)), 'invalid-data', 'npz', /first bytes none/);
    expectLtrError(() => parseNpz(good.subarray(0, good.length - 10)), 'invalid-data', 'npz', /no end-of-central-directory record/);
    expectLtrError(() => parseNpz('x' as unknown as Uint8Array), 'invalid-data', 'bytes', /Uint8Array or ArrayBuffer/);
  });

  it('a central directory that runs past the end record (bytes cut from the middle)', () => {
    const cut = Uint8Array.from([...good.subarray(0, 40), ...good.subarray(60)]);
    expectLtrError(() => parseNpz(cut, { inflateRaw }), 'invalid-data', 'npz', /central directory \(\d+ bytes at offset \d+\) runs past its end record/);
  });

  it('CRC mismatch, corrupt deflate data, size disagreements', () => {
    expectLtrError(() => parseNpz(buildZip([{ name: 'a.npy', data: npyA, crc: 1234 }])), 'invalid-data', 'npz', /member "a.npy" fails its CRC-32 check \(computed 0x[0-9a-f]{8}, stored 0x000004d2\)/);
    const bad = buildZip([{ name: 'a.npy', data: npyA, method: 8 }]);
    bad[40] ^= 0xff; // inside the deflate stream
    bad[41] ^= 0xff;
    expect(() => parseNpz(bad, { inflateRaw })).toThrow(LtrError);
    const lying = (data: Uint8Array): Uint8Array => inflateRawSync(data).subarray(0, 10);
    expectLtrError(() => parseNpz(good, { inflateRaw: lying }), 'invalid-data', 'npz', /member "b.npy" inflates to 10 bytes but the directory declares 140/);
    const throwing: InflateRaw = () => {
      throw new Error('invalid\nstored block lengths');
    };
    expectLtrError(() => parseNpz(good, { inflateRaw: throwing }), 'invalid-data', 'npz', /member "b.npy" does not inflate \(invalid stored block lengths\)/);
  });

  it('a bad .npy member names the member and keeps the npy error', () => {
    const truncated = npyA.subarray(0, npyA.length - 3);
    expectLtrError(() => parseNpz(buildZip([{ name: 'x.npy', data: truncated }])), 'invalid-data', 'npy.data', /^member "x.npy": truncated .npy data: shape \(2, 2\) of float64 needs 32 bytes but only 29/);
  });

  it('duplicate members, ZIP64 claims without ZIP64 records', () => {
    expectLtrError(() => parseNpz(buildZip([{ name: 'a.npy', data: npyA }, { name: 'a.npy', data: npyA }])), 'invalid-data', 'npz', /"a.npy" appears twice/);
    const z = buildZip([{ name: 'a.npy', data: npyA, zip64: true }]);
    // Shrink the extra field length of the central entry to 0: sizes say 0xFFFFFFFF, no ZIP64 field.
    const cd = z.length - 22 - (46 + 5 + 36);
    expect(new DataView(z.buffer).getUint32(cd, true)).toBe(0x02014b50);
    z[cd + 30] = 0;
    z[cd + 31] = 0;
    expectLtrError(() => parseNpz(z), 'invalid-data', 'npz', /member "a.npy" has 32-bit sizes of 0xFFFFFFFF but no ZIP64 extra field/);
  });

  it('unsupported: deflate without an inflater, other methods, encryption', () => {
    expectLtrError(() => parseNpz(good), 'unsupported', 'options.inflateRaw', /member "b.npy" is deflate-compressed \(numpy.savez_compressed\).*pass options.inflateRaw.*readNpz \/ readArray/);
    expectLtrError(() => parseNpz(buildZip([{ name: 'a.npy', data: npyA, method: 12 }])), 'unsupported', 'npz', /compression method 12 \(bzip2\); only stored and deflate/);
    expectLtrError(() => parseNpz(buildZip([{ name: 'a.npy', data: npyA, flags: 1 }])), 'unsupported', 'npz', /encrypted/);
    expectLtrError(() => parseNpz(good, { inflate: inflateRaw } as never), 'invalid-option', 'options', /inflate/);
    expectLtrError(() => parseNpz(good, { inflateRaw: 3 } as never), 'invalid-option', 'options.inflateRaw', /must be a function/);
  });
});

describe('parseNpz never returns garbage from damaged NumPy archives', () => {
  for (const file of ['savez.npz', 'savez_compressed.npz', 'streamed.npz']) {
    const bytes = fixture(file);
    const original = parseNpz(bytes, { inflateRaw });
    const originals = Object.values(original);
    const check = (damaged: Uint8Array, what: string): void => {
      let r: Record<string, NpyArray>;
      try {
        r = parseNpz(damaged, { inflateRaw });
      } catch (e) {
        if (!(e instanceof LtrError)) throw new Error(`${what}: threw ${String(e)}`);
        expect(['invalid-data', 'unsupported']).toContain(e.code);
        expect(e.message).not.toMatch(/[\r\n]/);
        return;
      }
      // A byte the reader does not depend on (timestamps, local sizes numpy leaves at 0xFFFFFFFF,
      // a member name): every array that comes back is one of the originals, unchanged.
      for (const a of Object.values(r)) expect(originals, what).toContainEqual(a);
    };

    it(`${file}: every truncation is an LtrError`, () => {
      for (let n = 0; n < bytes.length; n++) {
        expect(() => parseNpz(bytes.subarray(0, n), { inflateRaw }), `${n} bytes`).toThrow(LtrError);
      }
    });

    it(`${file}: every single damaged byte is an LtrError or leaves the values intact`, () => {
      for (let i = 0; i < bytes.length; i++) {
        const d = bytes.slice();
        d[i] ^= 0xff;
        check(d, `byte ${i}`);
      }
    });
  }
});

describe('browser safety', () => {
  it('npy.ts, npz.ts and pyLiteral.ts import no Node modules; files.ts loads them lazily', () => {
    const src = (f: string): string => readFileSync(path.join(here, '../../src/io', f), 'utf8');
    for (const f of ['npy.ts', 'npz.ts', 'pyLiteral.ts']) expect(src(f)).not.toMatch(/from ['"]node:|require\(|import\(/);
    expect(src('files.ts')).not.toMatch(/from ['"]node:/);
  });
});
