/**
 * NumPy `.npz` archives on the host: a ZIP file with one `.npy` member per array, written by
 * `numpy.savez` (members stored) or `numpy.savez_compressed` (members deflated). Pure byte
 * manipulation, no Node APIs: deflated members need an inflater passed in
 * ({@link ParseNpzOptions.inflateRaw}); `readNpz` / `readArray` in Node pass `node:zlib`'s.
 *
 * Format reference: PKWARE APPNOTE.TXT (sections 4.3.7 local file header, 4.3.12 central
 * directory header, 4.3.14–4.3.16 ZIP64 end of central directory record and locator, 4.5.3 the
 * ZIP64 extended information extra field). Entries are located through the central directory,
 * which always carries the true sizes and CRC: numpy forces ZIP64 on every member, so its local
 * headers hold 0xFFFFFFFF sizes, and streamed writers put sizes in a data descriptor after the data.
 */
import { z } from 'zod';
import { LtrError, isLtrError } from '../validate/errors';
import { parseOptions, schemas } from '../validate/options';
import { parseNpy, type NpyArray, type ParseNpyOptions } from './npy';

/**
 * Decompresses a raw DEFLATE stream (no zlib or gzip wrapper) of one archive member.
 * `uncompressedSize` is the size the archive declares; an inflater may use it to stop early.
 */
export type InflateRaw = (compressed: Uint8Array, uncompressedSize: number) => Uint8Array;

/** Options of {@link parseNpz}. */
export const parseNpzOptions = z.strictObject({
  /**
   * Raw-DEFLATE decompressor for `numpy.savez_compressed` archives, e.g. Node's
   * `zlib.inflateRawSync` or fflate's `inflateSync`. Without it, deflated members are refused
   * (`unsupported`); stored members (`numpy.savez`) need none.
   */
  inflateRaw: schemas.callback<InflateRaw>().optional(),
});

/** Options of {@link parseNpz}. */
export type ParseNpzOptions = z.input<typeof parseNpzOptions>;

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;
const METHOD_NAMES: Record<number, string> = { 1: 'shrink', 6: 'implode', 9: 'deflate64', 12: 'bzip2', 14: 'LZMA', 93: 'Zstandard', 95: 'XZ', 99: 'AES encryption' };

function fail(message: string, path = 'npz'): never {
  throw new LtrError('invalid-data', message, { path });
}

/** One member of the archive, as its central directory describes it. */
export interface ZipEntry {
  /** Member file name, e.g. `x.npy`. */
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: number;
  /** General purpose bit flags (bit 0 encrypted, bit 3 data descriptor, bit 11 UTF-8 name). */
  flags: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  /** Offset of the member's local file header. */
  localHeaderOffset: number;
}

/** An `.npy` member of an `.npz` archive: its key (name without `.npy`) and directory entry. */
export interface NpzMember {
  key: string;
  entry: ZipEntry;
}

/**
 * Parse the bytes of a `.npz` archive into its arrays, keyed by member name without the
 * `.npy` suffix (`np.savez(f, x=a)` → `x`; positional arrays → `arr_0`, `arr_1`, …).
 * Members whose names do not end in `.npy`, and directories, are skipped. An empty archive gives
 * `{}`. CRC-32 checksums are verified. The result never aliases `bytes`.
 *
 * @throws LtrError `invalid-data` (path `npz`) for a file that is not a ZIP archive, is
 *   truncated, has an inconsistent directory, a bad checksum or corrupt deflate data; the
 *   errors of {@link parseNpy} (path `npy.*`, message prefixed with the member name) for a bad
 *   member; `unsupported` for encrypted members, compression other than stored/deflate,
 *   multi-disk archives, and deflated members when no `inflateRaw` is given (path
 *   `options.inflateRaw`); `invalid-option` for bad options.
 */
export function parseNpz(bytes: Uint8Array | ArrayBuffer, options?: ParseNpzOptions): Record<string, NpyArray> {
  const { inflateRaw } = parseOptions(parseNpzOptions, options, 'options');
  const buf = toBytes(bytes);
  const out: Record<string, NpyArray> = {};
  for (const m of npzMembers(buf)) {
    // defineProperty: a key such as "__proto__" becomes an ordinary property.
    Object.defineProperty(out, m.key, { value: npzMemberArray(buf, m, inflateRaw), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * The keys of the arrays in a `.npz` archive, in archive order, without reading the arrays.
 *
 * @throws LtrError `invalid-data` / `unsupported` for a malformed archive, as {@link parseNpz}.
 */
export function npzKeys(bytes: Uint8Array | ArrayBuffer): string[] {
  return npzMembers(toBytes(bytes)).map((m) => m.key);
}

/**
 * The `.npy` members of an archive (directory only; nothing is decompressed).
 * @internal Shared with `files.ts`; not re-exported from the package.
 */
export function npzMembers(buf: Uint8Array): NpzMember[] {
  const members: NpzMember[] = [];
  const seen = new Set<string>();
  for (const entry of readZipDirectory(buf)) {
    if (entry.name.endsWith('/') || !entry.name.endsWith('.npy')) continue;
    const key = entry.name.slice(0, -4);
    if (seen.has(key)) fail(`malformed .npz archive: member ${JSON.stringify(entry.name)} appears twice`);
    seen.add(key);
    members.push({ key, entry });
  }
  return members;
}

/**
 * Decompress, check and parse one member.
 * @internal Shared with `files.ts`; not re-exported from the package.
 */
export function npzMemberArray(buf: Uint8Array, member: NpzMember, inflateRaw: InflateRaw | undefined, npyOptions: ParseNpyOptions = {}): NpyArray {
  const bytes = extractEntry(buf, member.entry, inflateRaw);
  try {
    return parseNpy(bytes, npyOptions);
  } catch (e) {
    if (isLtrError(e)) throw new LtrError(e.code, `member ${JSON.stringify(member.entry.name)}: ${e.message}`, { path: e.path, cause: e });
    throw e;
  }
}

/** True when `buf` starts like a ZIP archive (a local file header, or an empty archive's end record). */
export function looksLikeZip(buf: Uint8Array): boolean {
  if (buf.length < 4 || buf[0] !== 0x50 || buf[1] !== 0x4b) return false;
  return (buf[2] === 0x03 && buf[3] === 0x04) || (buf[2] === 0x05 && buf[3] === 0x06);
}

// ---------------------------------------------------------------------------------------------
// ZIP structure
// ---------------------------------------------------------------------------------------------

function toBytes(bytes: Uint8Array | ArrayBuffer): Uint8Array {
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  if (ArrayBuffer.isView(bytes)) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return fail(`parseNpz expects a Uint8Array or ArrayBuffer, got ${bytes === null ? 'null' : typeof bytes}`, 'bytes');
}

/** Read a little-endian uint64 as a number, refusing values beyond 2^53. */
function u64(view: DataView, at: number, what: string): number {
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`malformed .npz archive: ZIP64 ${what} ${v} is beyond any file this reader can hold`);
  return Number(v);
}

/** Every entry of the central directory, with ZIP64 sizes and offsets resolved. */
function readZipDirectory(buf: Uint8Array): ZipEntry[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const len = buf.length;
  if (!looksLikeZip(buf)) {
    fail(`not a .npz file: not a ZIP archive (first bytes ${hexBytes(buf, 4)}, expected 50 4b 03 04 = "PK\\x03\\x04")`);
  }
  // End of central directory: the last 22 bytes, or earlier when an archive comment follows.
  let eocd = -1;
  for (let p = len - EOCD_SIZE; p >= Math.max(0, len - EOCD_SIZE - MAX_COMMENT); p--) {
    if (view.getUint32(p, true) === SIG_EOCD && p + EOCD_SIZE + view.getUint16(p + 20, true) <= len) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) {
    fail(`truncated or corrupt .npz archive: no end-of-central-directory record in its last ${Math.min(len, EOCD_SIZE + MAX_COMMENT)} bytes (${len} bytes in all; the file may be cut short)`);
  }
  const disk = view.getUint16(eocd + 4, true);
  const cdDisk = view.getUint16(eocd + 6, true);
  let count = view.getUint16(eocd + 10, true);
  let cdSize = view.getUint32(eocd + 12, true);
  let cdOffset = view.getUint32(eocd + 16, true);
  let cdLimit = eocd; // the directory ends before this offset
  const locator = eocd - 20;
  if (locator >= 0 && view.getUint32(locator, true) === SIG_ZIP64_LOCATOR) {
    const z64 = u64(view, locator + 8, 'end-of-central-directory offset');
    if (z64 + 56 > locator || view.getUint32(z64, true) !== SIG_ZIP64_EOCD) {
      fail(`malformed .npz archive: the ZIP64 locator points to offset ${z64}, where there is no ZIP64 end-of-central-directory record`);
    }
    if (view.getUint32(z64 + 16, true) !== 0 || view.getUint32(z64 + 20, true) !== 0 || view.getUint32(locator + 16, true) > 1) {
      throw new LtrError('unsupported', 'multi-disk (split) ZIP archives are not supported; join the parts into one file', { path: 'npz' });
    }
    count = u64(view, z64 + 32, 'entry count');
    cdSize = u64(view, z64 + 40, 'central directory size');
    cdOffset = u64(view, z64 + 48, 'central directory offset');
    cdLimit = z64;
  } else {
    if (count === U16_MAX || cdSize === U32_MAX || cdOffset === U32_MAX) {
      fail('malformed .npz archive: the end record says ZIP64 but there is no ZIP64 locator before it');
    }
    if (disk !== 0 || cdDisk !== 0) {
      throw new LtrError('unsupported', 'multi-disk (split) ZIP archives are not supported; join the parts into one file', { path: 'npz' });
    }
  }
  if (cdOffset + cdSize > cdLimit) {
    fail(`truncated or corrupt .npz archive: the central directory (${cdSize} bytes at offset ${cdOffset}) runs past its end record at offset ${cdLimit}`);
  }

  const entries: ZipEntry[] = [];
  let p = cdOffset;
  const end = cdOffset + cdSize;
  for (let i = 0; i < count; i++) {
    if (p + 46 > end || view.getUint32(p, true) !== SIG_CENTRAL) {
      fail(`malformed .npz archive: central directory entry ${i + 1} of ${count} is missing or damaged at offset ${p}`);
    }
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    const crc32 = view.getUint32(p + 16, true);
    let compressedSize = view.getUint32(p + 20, true);
    let uncompressedSize = view.getUint32(p + 24, true);
    const nameLength = view.getUint16(p + 28, true);
    const extraLength = view.getUint16(p + 30, true);
    const commentLength = view.getUint16(p + 32, true);
    let diskStart = view.getUint16(p + 34, true);
    let localHeaderOffset = view.getUint32(p + 42, true);
    const next = p + 46 + nameLength + extraLength + commentLength;
    if (next > end) fail(`malformed .npz archive: central directory entry ${i + 1} of ${count} runs past the directory's end`);
    const name = decodeName(buf.subarray(p + 46, p + 46 + nameLength), flags);
    // ZIP64 extended information: 8-byte values for exactly the fields saturated above, in order.
    const needs = [uncompressedSize === U32_MAX, compressedSize === U32_MAX, localHeaderOffset === U32_MAX, diskStart === U16_MAX];
    if (needs.some(Boolean)) {
      let q = p + 46 + nameLength;
      const extraEnd = q + extraLength;
      let found = false;
      while (q + 4 <= extraEnd) {
        const id = view.getUint16(q, true);
        const size = view.getUint16(q + 2, true);
        if (q + 4 + size > extraEnd) break;
        if (id === 0x0001) {
          let r = q + 4;
          const take = (n: 8 | 4, what: string): number => {
            if (r + n > q + 4 + size) fail(`malformed .npz archive: member ${JSON.stringify(name)}: the ZIP64 extra field is too short for its ${what}`);
            const v = n === 8 ? u64(view, r, what) : view.getUint32(r, true);
            r += n;
            return v;
          };
          if (needs[0]) uncompressedSize = take(8, 'uncompressed size');
          if (needs[1]) compressedSize = take(8, 'compressed size');
          if (needs[2]) localHeaderOffset = take(8, 'local header offset');
          if (needs[3]) diskStart = take(4, 'disk number');
          found = true;
          break;
        }
        q += 4 + size;
      }
      if (!found) fail(`malformed .npz archive: member ${JSON.stringify(name)} has 32-bit sizes of 0xFFFFFFFF but no ZIP64 extra field`);
    }
    if (diskStart !== 0) {
      throw new LtrError('unsupported', 'multi-disk (split) ZIP archives are not supported; join the parts into one file', { path: 'npz' });
    }
    entries.push({ name, method, flags, crc32, compressedSize, uncompressedSize, localHeaderOffset });
    p = next;
  }
  return entries;
}

/** The member's uncompressed bytes, checked against its declared size and CRC-32. */
function extractEntry(buf: Uint8Array, entry: ZipEntry, inflateRaw: InflateRaw | undefined): Uint8Array {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const name = JSON.stringify(entry.name);
  const at = entry.localHeaderOffset;
  if (at + 30 > buf.length || view.getUint32(at, true) !== SIG_LOCAL) {
    fail(`truncated or corrupt .npz archive: member ${name} has no local file header at offset ${at}`);
  }
  if (entry.flags & 0x0001) {
    throw new LtrError('unsupported', `member ${name} is encrypted; encrypted .npz archives are not supported, save without a password`, { path: 'npz' });
  }
  const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  const stop = start + entry.compressedSize;
  if (stop > buf.length) {
    fail(`truncated .npz archive: member ${name} needs ${entry.compressedSize} bytes of data at offset ${start} but the file ends after ${Math.max(0, buf.length - start)}`);
  }
  const raw = buf.subarray(start, stop);
  let out: Uint8Array;
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.uncompressedSize) {
      fail(`malformed .npz archive: stored member ${name} declares ${entry.compressedSize} bytes stored but ${entry.uncompressedSize} uncompressed`);
    }
    out = raw;
  } else if (entry.method === 8) {
    if (inflateRaw === undefined) {
      throw new LtrError(
        'unsupported',
        `member ${name} is deflate-compressed (numpy.savez_compressed) and parseNpz was given no inflater; pass options.inflateRaw (e.g. zlib.inflateRawSync) or use readNpz / readArray in Node`,
        { path: 'options.inflateRaw' },
      );
    }
    try {
      out = inflateRaw(raw, entry.uncompressedSize);
    } catch (e) {
      return fail(`corrupt .npz archive: member ${name} does not inflate (${oneLine(e)})`);
    }
    if (!(out instanceof Uint8Array)) fail(`options.inflateRaw returned ${typeof out} for member ${name}; it must return a Uint8Array`, 'options.inflateRaw');
    if (out.length !== entry.uncompressedSize) {
      fail(`corrupt .npz archive: member ${name} inflates to ${out.length} bytes but the directory declares ${entry.uncompressedSize}`);
    }
  } else {
    const what = METHOD_NAMES[entry.method];
    throw new LtrError(
      'unsupported',
      `member ${name} uses ZIP compression method ${entry.method}${what ? ` (${what})` : ''}; only stored and deflate (numpy.savez, numpy.savez_compressed) are supported`,
      { path: 'npz' },
    );
  }
  const crc = crc32(out);
  if (crc !== entry.crc32) {
    fail(`corrupt .npz archive: member ${name} fails its CRC-32 check (computed ${hex32(crc)}, stored ${hex32(entry.crc32)})`);
  }
  return out;
}

function decodeName(bytes: Uint8Array, flags: number): string {
  if (flags & 0x0800) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return fail('malformed .npz archive: a member name flagged UTF-8 is not valid UTF-8');
    }
  }
  // Without the flag the name is CP437; NumPy keys are ASCII, where CP437 and Latin-1 agree.
  return String.fromCharCode(...bytes);
}

let CRC_TABLE: Uint32Array | undefined;

/** CRC-32 (ISO-HDLC, the polynomial ZIP uses). */
function crc32(bytes: Uint8Array): number {
  if (CRC_TABLE === undefined) {
    CRC_TABLE = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      CRC_TABLE[n] = c >>> 0;
    }
  }
  const t = CRC_TABLE;
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function hex32(v: number): string {
  return `0x${v.toString(16).padStart(8, '0')}`;
}

function hexBytes(buf: Uint8Array, n: number): string {
  return [...buf.subarray(0, n)].map((b) => b.toString(16).padStart(2, '0')).join(' ') || 'none';
}

function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();
}
