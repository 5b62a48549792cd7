/**
 * NumPy `.npy` parsing and encoding on the host. Pure byte manipulation: no tfjs, no Node APIs,
 * so this module runs anywhere (Node, browsers, workers).
 *
 * Format reference: numpy/lib/_format_impl.py (NEP 1). A file is
 * `\x93NUMPY` + major + minor + header length (uint16 LE for 1.0, uint32 LE for 2.0 and 3.0) +
 * a Python dict literal `{'descr': ..., 'fortran_order': ..., 'shape': (...), }` padded with
 * spaces and a final newline so that the data starts on a 64-byte boundary, then the raw data.
 */
import { LtrError } from '../validate/errors';
import { PyLiteralSyntaxError, formatPyValue, parsePyLiteral, type PyValue } from './pyLiteral';

/** Element types this library reads and writes, named as NumPy names them. */
export type NpyDtype =
  | 'float32'
  | 'float64'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'bool';

/** The typed arrays an {@link NpyArray} may hold. */
export type NpyData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array;

/** A dense n-d array in C (row-major) order, as read from or written to a `.npy` file. */
export interface NpyArray {
  /** Values in C order; the typed array type follows `dtype` (see {@link NPY_DTYPES}). */
  data: NpyData;
  /** Dimensions; `[]` for a 0-d (scalar) array. */
  shape: number[];
  /** Element type of the file. */
  dtype: NpyDtype;
  /** Always `false`: Fortran-ordered files are transposed to C order when read. */
  fortranOrder: false;
}

/** What {@link encodeNpy} accepts: an {@link NpyArray}, or just `{ data, shape }` with the dtype inferred. */
export interface NpyInput {
  /** Values in C (row-major) order. */
  data: NpyData;
  /** Dimensions; their product must equal `data.length`. `[]` for a scalar. */
  shape: readonly number[];
  /** Defaults to the dtype that matches the typed array (Float64Array → float64, Uint8Array → uint8, …). */
  dtype?: NpyDtype;
  /** Must be `false` or absent: data is always taken in C order. */
  fortranOrder?: boolean;
}

/** Constructor names of the typed arrays in {@link NpyData}. */
export type NpyTypedArrayName =
  | 'Float32Array'
  | 'Float64Array'
  | 'Int8Array'
  | 'Int16Array'
  | 'Int32Array'
  | 'Uint8Array'
  | 'Uint16Array'
  | 'Uint32Array';

/** How one {@link NpyDtype} is stored in a file and held in memory. */
export interface NpyDtypeInfo {
  /** NumPy kind character. */
  kind: 'f' | 'i' | 'u' | 'b';
  /** Bytes per element in the file. */
  itemsize: number;
  /** Typed array that holds the values in memory. */
  array: NpyTypedArrayName;
}

/**
 * How each dtype is held in memory. `int64` and `uint64` become `Float64Array` and are read only
 * when every value is exactly representable as a double; `bool` becomes a `Uint8Array` of 0/1.
 */
export const NPY_DTYPES: Readonly<Record<NpyDtype, Readonly<NpyDtypeInfo>>> = Object.freeze({
  float32: { kind: 'f', itemsize: 4, array: 'Float32Array' },
  float64: { kind: 'f', itemsize: 8, array: 'Float64Array' },
  int8: { kind: 'i', itemsize: 1, array: 'Int8Array' },
  int16: { kind: 'i', itemsize: 2, array: 'Int16Array' },
  int32: { kind: 'i', itemsize: 4, array: 'Int32Array' },
  int64: { kind: 'i', itemsize: 8, array: 'Float64Array' },
  uint8: { kind: 'u', itemsize: 1, array: 'Uint8Array' },
  uint16: { kind: 'u', itemsize: 2, array: 'Uint16Array' },
  uint32: { kind: 'u', itemsize: 4, array: 'Uint32Array' },
  uint64: { kind: 'u', itemsize: 8, array: 'Float64Array' },
  bool: { kind: 'b', itemsize: 1, array: 'Uint8Array' },
});

const CTORS = {
  Float32Array,
  Float64Array,
  Int8Array,
  Int16Array,
  Int32Array,
  Uint8Array,
  Uint16Array,
  Uint32Array,
} as const;

/** dtype for a typed array when {@link NpyInput.dtype} is omitted. */
const DEFAULT_DTYPE: Record<NpyTypedArrayName, NpyDtype> = {
  Float32Array: 'float32',
  Float64Array: 'float64',
  Int8Array: 'int8',
  Int16Array: 'int16',
  Int32Array: 'int32',
  Uint8Array: 'uint8',
  Uint16Array: 'uint16',
  Uint32Array: 'uint32',
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALIGN = 64;
/** numpy pads the header so the first axis can grow in place to this many digits. */
const GROWTH_AXIS_MAX_DIGITS = 21;
const TWO_32 = 4294967296;
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function fail(message: string, path: string): never {
  throw new LtrError('invalid-data', message, { path });
}

/** A valid NumPy file this library does not handle (object, complex, string dtypes, …). */
function unsupported(message: string, path: string): never {
  throw new LtrError('unsupported', message, { path });
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/** Options of {@link parseNpy}. */
export interface ParseNpyOptions {
  /**
   * `'any'` (default): big-endian data is converted to native order. `'little'`: big-endian files
   * are refused (`unsupported`), for tools that promise to read files exactly as stored.
   */
  byteOrder?: 'any' | 'little';
}

/**
 * Parse the bytes of a `.npy` file (format 1.0, 2.0 or 3.0) into a C-ordered {@link NpyArray}.
 * Big-endian data is converted to native order and Fortran-ordered data is transposed to C
 * order. The result never aliases `bytes`.
 *
 * @throws LtrError `invalid-data` for a malformed file: bad magic, an unknown version, a
 *   malformed or truncated header, truncated or over-long data, a dtype string NumPy does not
 *   write, or bool bytes other than 0/1. `unsupported` for a valid file this library does not
 *   read: object (pickled), structured, complex, string, datetime, float16 or longdouble
 *   dtypes, and int64/uint64 values a double cannot hold exactly. Every message is one line.
 *   `path` is one of `npy.magic`, `npy.version`, `npy.header`, `npy.header.descr`,
 *   `npy.header.fortran_order`, `npy.header.shape`, `npy.data`.
 */
export function parseNpy(bytes: Uint8Array | ArrayBuffer, options: ParseNpyOptions = {}): NpyArray {
  const buf = toBytes(bytes);
  if (buf.length < 10) {
    fail(`not a .npy file: only ${buf.length} bytes, fewer than the 10-byte .npy preamble`, 'npy.magic');
  }
  if (!MAGIC.every((b, i) => buf[i] === b)) {
    const zip = buf[0] === 0x50 && buf[1] === 0x4b && buf[2] === 0x03 && buf[3] === 0x04;
    fail(
      zip
        ? 'not a .npy file: this is a zip archive (probably .npz); read it with parseNpz / readNpz, or readArray(path, { key })'
        : `not a .npy file: bad magic string (first bytes ${hexBytes(buf, 6)}, expected 93 4e 55 4d 50 59 = "\\x93NUMPY")`,
      'npy.magic',
    );
  }
  const major = buf[6]!;
  const minor = buf[7]!;
  if (minor !== 0 || (major !== 1 && major !== 2 && major !== 3)) {
    fail(`unsupported .npy format version ${major}.${minor}; supported are 1.0, 2.0 and 3.0`, 'npy.version');
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const prefix = major === 1 ? 10 : 12;
  if (buf.length < prefix) {
    fail(`truncated .npy file: ${buf.length} bytes, fewer than the ${prefix}-byte preamble of version ${major}.0`, 'npy.header');
  }
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataOffset = prefix + headerLength;
  if (dataOffset > buf.length) {
    fail(
      `truncated .npy file: the header claims ${headerLength} bytes but only ${buf.length - prefix} bytes follow the preamble`,
      'npy.header',
    );
  }
  const headerBytes = buf.subarray(prefix, dataOffset);
  const headerText = major === 3 ? decodeUtf8(headerBytes) : decodeLatin1(headerBytes);
  const { info, dtype, littleEndian, fortranOrder, shape } = parseHeader(headerText);
  if (!littleEndian && options.byteOrder === 'little') {
    throw new LtrError('unsupported', `big-endian data ('>${info.kind}${info.itemsize}'): this reader takes little-endian files only; re-save with arr.astype('<${info.kind}${info.itemsize}')`, { path: 'npy.header.descr' });
  }

  const count = elementCount(shape, 'npy.header.shape');
  const byteLength = count * info.itemsize;
  if (!Number.isSafeInteger(byteLength)) fail(`shape ${shapeRepr(shape)} is too large`, 'npy.header.shape');
  const available = buf.length - dataOffset;
  if (available < byteLength) {
    fail(
      `truncated .npy data: shape ${shapeRepr(shape)} of ${dtype} needs ${byteLength} bytes but only ${available} bytes follow the header`,
      'npy.data',
    );
  }
  if (available > byteLength) {
    fail(
      `malformed .npy file: ${available - byteLength} unexpected bytes after the data of shape ${shapeRepr(shape)} (${dtype}, ${byteLength} bytes)`,
      'npy.data',
    );
  }
  let data = decodeData(buf.subarray(dataOffset), info, dtype, littleEndian, count);
  if (fortranOrder && shape.length > 1 && count > 0) data = fortranToC(data, shape);
  return { data, shape, dtype, fortranOrder: false };
}

function toBytes(bytes: Uint8Array | ArrayBuffer): Uint8Array {
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  if (ArrayBuffer.isView(bytes)) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return fail(`parseNpy expects a Uint8Array or ArrayBuffer, got ${describeValue(bytes)}`, 'bytes');
}

interface Header {
  info: NpyDtypeInfo;
  dtype: NpyDtype;
  littleEndian: boolean;
  fortranOrder: boolean;
  shape: number[];
}

function parseHeader(text: string): Header {
  let literal: PyValue;
  try {
    literal = parsePyLiteral(text);
  } catch (e) {
    if (e instanceof PyLiteralSyntaxError) {
      const shown = text.trimEnd();
      const excerpt = shown.length > 200 ? `${shown.slice(0, 200)}…` : shown;
      fail(`malformed .npy header: ${e.message} in ${JSON.stringify(excerpt)}`, 'npy.header');
    }
    throw e;
  }
  if (literal.kind !== 'dict') {
    fail(`malformed .npy header: expected a dict literal, got ${formatPyValue(literal)}`, 'npy.header');
  }
  const fields = new Map<string, PyValue>();
  for (const [k, v] of literal.entries) {
    if (k.kind !== 'str') fail(`malformed .npy header: key ${formatPyValue(k)} is not a string`, 'npy.header');
    if (fields.has(k.value)) fail(`malformed .npy header: key '${k.value}' appears twice`, 'npy.header');
    fields.set(k.value, v);
  }
  const keys = [...fields.keys()].sort();
  if (keys.length !== 3 || keys[0] !== 'descr' || keys[1] !== 'fortran_order' || keys[2] !== 'shape') {
    fail(
      `malformed .npy header: keys must be exactly 'descr', 'fortran_order', 'shape', got ${keys.map((k) => `'${k}'`).join(', ') || 'none'}`,
      'npy.header',
    );
  }
  const { info, dtype, littleEndian } = parseDescr(fields.get('descr')!);

  const fo = fields.get('fortran_order')!;
  if (fo.kind !== 'bool') {
    fail(`malformed .npy header: 'fortran_order' must be True or False, got ${formatPyValue(fo)}`, 'npy.header.fortran_order');
  }

  const sh = fields.get('shape')!;
  if (sh.kind !== 'tuple') {
    fail(`malformed .npy header: 'shape' must be a tuple of integers, got ${formatPyValue(sh)}`, 'npy.header.shape');
  }
  const shape = sh.items.map((item) => {
    if (item.kind !== 'int' || item.value < 0n || item.value > BigInt(Number.MAX_SAFE_INTEGER)) {
      return fail(
        `malformed .npy header: 'shape' entries must be non-negative integers, got ${formatPyValue(sh)}`,
        'npy.header.shape',
      );
    }
    return Number(item.value);
  });
  return { info, dtype, littleEndian, fortranOrder: fo.value, shape };
}

function parseDescr(descr: PyValue): { info: NpyDtypeInfo; dtype: NpyDtype; littleEndian: boolean } {
  const path = 'npy.header.descr';
  if (descr.kind === 'list' || descr.kind === 'tuple') {
    unsupported(
      `unsupported .npy dtype ${formatPyValue(descr)}: structured (record) or sub-array dtypes are not supported; ` +
        "save each field as its own numeric array (np.save('x.npy', a['field'])) or convert with " +
        'numpy.lib.recfunctions.structured_to_unstructured',
      path,
    );
  }
  if (descr.kind !== 'str') {
    fail(`malformed .npy header: 'descr' must be a dtype string such as '<f8', got ${formatPyValue(descr)}`, path);
  }
  const s = descr.value;
  const m = /^([<>|=]?)([A-Za-z])(\d*)(.*)$/.exec(s);
  if (!m) fail(`malformed .npy header: 'descr' ${formatPyValue(descr)} is not a dtype string such as '<f8'`, path);
  const [, order, kind, sizeText, rest] = m as unknown as [string, string, string, string, string];
  const size = sizeText === '' ? NaN : Number(sizeText);
  const quoted = `'${s}'`;

  const refusal = refuseKind(kind, quoted);
  if (refusal !== undefined) unsupported(refusal, path);
  if (rest !== '') fail(`unsupported .npy dtype ${quoted}: not a plain numeric dtype; ${CONVERT}`, path);

  let dtype: NpyDtype | undefined;
  if (kind === 'f' && size === 4) dtype = 'float32';
  else if (kind === 'f' && size === 8) dtype = 'float64';
  else if (kind === 'i' && size === 1) dtype = 'int8';
  else if (kind === 'i' && size === 2) dtype = 'int16';
  else if (kind === 'i' && size === 4) dtype = 'int32';
  else if (kind === 'i' && size === 8) dtype = 'int64';
  else if (kind === 'u' && size === 1) dtype = 'uint8';
  else if (kind === 'u' && size === 2) dtype = 'uint16';
  else if (kind === 'u' && size === 4) dtype = 'uint32';
  else if (kind === 'u' && size === 8) dtype = 'uint64';
  else if (kind === 'b' && size === 1) dtype = 'bool';
  if (dtype === undefined) {
    if (kind === 'f' && size === 2) unsupported(`unsupported .npy dtype ${quoted}: half precision (float16) is not supported; ${CONVERT}`, path);
    if (kind === 'f' && size > 8) unsupported(`unsupported .npy dtype ${quoted}: extended precision (longdouble) is not supported; ${CONVERT}`, path);
    fail(`unsupported .npy dtype ${quoted}: not a supported dtype (supported: f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1); ${CONVERT}`, path);
  }
  const info = NPY_DTYPES[dtype];
  let littleEndian = true;
  if (info.itemsize > 1) {
    if (order === '>') littleEndian = false;
    else if (order !== '<') {
      fail(
        `unsupported .npy dtype ${quoted}: a ${info.itemsize}-byte type needs an explicit byte order '<' or '>' ` +
          `(${order === '' ? 'none is given' : `'${order}' does not say which`}); re-save with np.save, which always writes one`,
        path,
      );
    }
  }
  return { info, dtype, littleEndian };
}

const CONVERT = 'convert it in NumPy before saving, e.g. np.save(path, a.astype(np.float64))';

/** The refusal message for dtype kinds that are never numeric arrays, or undefined. */
function refuseKind(kind: string, quoted: string): string | undefined {
  const head = `unsupported .npy dtype ${quoted}: `;
  switch (kind) {
    case 'O':
      return (
        head +
        'object arrays hold pickled Python objects and cannot be read safely; ' +
        'save a numeric array instead, e.g. np.save(path, np.asarray(a, dtype=np.float64))'
      );
    case 'c':
      return (
        head +
        'complex numbers are not supported; save the real and imaginary parts as separate float arrays ' +
        '(np.real(a), np.imag(a)) or stack them on a last axis of length 2'
      );
    case 'U':
    case 'S':
    case 'a':
      return head + 'string arrays are not numeric data; store numbers (e.g. a.astype(np.float64)) or keep labels in a JSON file';
    case 'V':
      return head + 'raw void / structured records are not supported; save each field as its own numeric array';
    case 'M':
    case 'm':
      return head + 'datetime/timedelta arrays are not supported; convert them in NumPy first, e.g. a.astype(np.int64)';
    default:
      return undefined;
  }
}

function decodeData(src: Uint8Array, info: NpyDtypeInfo, dtype: NpyDtype, littleEndian: boolean, count: number): NpyData {
  if (dtype === 'int64' || dtype === 'uint64') return decode64BitInts(src, dtype, littleEndian, count);
  const out = new CTORS[info.array](count);
  const dst = new Uint8Array(out.buffer);
  copyBytes(src, dst, info.itemsize, littleEndian !== HOST_LITTLE_ENDIAN);
  if (dtype === 'bool') {
    for (let i = 0; i < count; i++) {
      const b = dst[i]!;
      if (b > 1) fail(`malformed .npy bool data: byte ${b} at flat index ${i} (bool bytes must be 0 or 1)`, 'npy.data');
    }
  }
  return out;
}

function decode64BitInts(src: Uint8Array, dtype: 'int64' | 'uint64', littleEndian: boolean, count: number): Float64Array {
  const out = new Float64Array(count);
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const signed = dtype === 'int64';
  const loAt = littleEndian ? 0 : 4;
  const hiAt = littleEndian ? 4 : 0;
  for (let i = 0; i < count; i++) {
    const o = 8 * i;
    const lo = view.getUint32(o + loAt, littleEndian);
    const hi = signed ? view.getInt32(o + hiAt, littleEndian) : view.getUint32(o + hiAt, littleEndian);
    const v = hi * TWO_32 + lo; // hi·2³² is exact; the sum rounds iff the value is not a double
    // Fast path: |hi| < 2²¹ means |v| < 2⁵³, always exact.
    if (hi >= 0x200000 || hi < -0x200000) {
      const hi2 = Math.floor(v / TWO_32);
      if (hi2 !== hi || v - hi2 * TWO_32 !== lo) {
        const exact = (BigInt(hi) << 32n) + BigInt(lo);
        unsupported(
          `${dtype} value ${exact} at flat index ${i} is not exactly representable as a JavaScript number ` +
            `(nearest double ${v}); ${dtype} data is read into a Float64Array only when every value fits exactly ` +
            '(all integers up to 2^53 do); convert in NumPy, e.g. a.astype(np.float64) to accept the rounding',
          'npy.data',
        );
      }
    }
    out[i] = v;
  }
  return out;
}

/** Copy `src` into `dst`, reversing each `itemsize`-byte group when `swap` is set. */
function copyBytes(src: Uint8Array, dst: Uint8Array, itemsize: number, swap: boolean): void {
  if (!swap || itemsize === 1) {
    dst.set(src.subarray(0, dst.length));
    return;
  }
  const n = dst.length;
  for (let o = 0; o < n; o += itemsize) {
    for (let b = 0; b < itemsize; b++) dst[o + b] = src[o + itemsize - 1 - b]!;
  }
}

interface NumberArray {
  [i: number]: number;
  readonly length: number;
}

/** Reorder column-major (Fortran) data of `shape` into row-major (C) order. */
function fortranToC<T extends NpyData>(src: T, shape: readonly number[]): T {
  const n = shape.length;
  const count = src.length;
  const out = new (src.constructor as new (length: number) => T)(count);
  const s = src as NumberArray;
  const d = out as NumberArray;
  // Fortran strides: the first axis is contiguous.
  const fstride: number[] = new Array<number>(n);
  let acc = 1;
  for (let k = 0; k < n; k++) {
    fstride[k] = acc;
    acc *= shape[k]!;
  }
  const last = shape[n - 1]!;
  const lastStride = fstride[n - 1]!;
  const idx = new Array<number>(n - 1).fill(0);
  let base = 0; // Fortran offset of the current outer index (idx, 0)
  for (let o = 0; o < count; o += last) {
    for (let j = 0; j < last; j++) d[o + j] = s[base + j * lastStride]!;
    for (let k = n - 2; k >= 0; k--) {
      idx[k]!++;
      base += fstride[k]!;
      if (idx[k]! < shape[k]!) break;
      base -= fstride[k]! * shape[k]!;
      idx[k] = 0;
    }
  }
  return out;
}

function decodeLatin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return s;
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return fail('malformed .npy header: a version 3.0 header must be valid UTF-8', 'npy.header');
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

/**
 * Encode an array as `.npy` bytes, byte for byte what `numpy.save` writes for the same array:
 * little-endian data in C order, format 1.0 (2.0 only for headers over 64 KiB), header padded
 * so the data starts on a 64-byte boundary.
 *
 * @throws LtrError `invalid-data` when `data` is not a supported typed array, does not match
 *   `dtype`, holds non-integers or out-of-range values for `int64`/`uint64`, values other than
 *   0/1 for `bool`, or when `fortranOrder` is `true`; `shape-mismatch` when `shape` is not a
 *   list of non-negative integers whose product is `data.length`.
 */
export function encodeNpy(array: NpyInput): Uint8Array {
  const { data, shape, dtype } = checkNpyInput(array);
  const info = NPY_DTYPES[dtype];
  const header = buildHeader(descrOf(dtype), shape);
  const count = data.length;
  const out = new Uint8Array(header.length + count * info.itemsize);
  out.set(header);
  const body = out.subarray(header.length);
  if (dtype === 'int64' || dtype === 'uint64') {
    encode64BitInts(data as Float64Array, body, dtype === 'int64');
  } else {
    copyBytes(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), body, info.itemsize, !HOST_LITTLE_ENDIAN);
  }
  return out;
}

function descrOf(dtype: NpyDtype): string {
  const info = NPY_DTYPES[dtype];
  return `${info.itemsize === 1 ? '|' : '<'}${info.kind}${info.itemsize}`;
}

/**
 * Validate an {@link NpyInput} and resolve its dtype; shared by the encoder and `npyToTensor`.
 * @internal Not re-exported from the package.
 */
export function checkNpyInput(array: NpyInput): { data: NpyData; shape: number[]; dtype: NpyDtype } {
  if (typeof array !== 'object' || array === null) {
    fail(`encodeNpy expects { data, shape, dtype? }, got ${describeValue(array)}`, 'array');
  }
  const { data, shape, fortranOrder } = array;
  const name = typedArrayName(data);
  if (name === undefined) {
    fail(
      `array.data must be a Float32Array, Float64Array, Int8Array, Int16Array, Int32Array, Uint8Array, Uint16Array or Uint32Array, got ${describeValue(data)}`,
      'array.data',
    );
  }
  if (fortranOrder !== undefined && fortranOrder !== false) {
    fail('array.fortranOrder must be false or absent: encodeNpy writes C-ordered data only; pass data in C (row-major) order', 'array.fortranOrder');
  }
  let dtype: NpyDtype;
  if (array.dtype === undefined) {
    dtype = DEFAULT_DTYPE[name];
  } else if (typeof array.dtype === 'string' && Object.hasOwn(NPY_DTYPES, array.dtype)) {
    dtype = array.dtype;
  } else {
    return fail(
      `array.dtype ${describeValue(array.dtype)} is not one of ${Object.keys(NPY_DTYPES).join(', ')}`,
      'array.dtype',
    );
  }
  const want = NPY_DTYPES[dtype].array;
  if (want !== name) {
    fail(
      `array.dtype '${dtype}' needs data in a ${want} but got a ${name}; convert with ${want}.from(data) or set dtype to '${DEFAULT_DTYPE[name]}'`,
      'array.data',
    );
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new LtrError('shape-mismatch', `array.shape must be an array of non-negative integers, got ${describeValue(shape)}`, {
      path: 'array.shape',
    });
  }
  const count = elementCount(shape, 'array.shape');
  if (count !== data.length) {
    throw new LtrError(
      'shape-mismatch',
      `array.shape ${shapeRepr(shape)} has ${count} elements but array.data has ${data.length}`,
      { path: 'array.shape' },
    );
  }
  if (dtype === 'int64' || dtype === 'uint64') {
    const lo = dtype === 'int64' ? -(2 ** 63) : 0;
    const hi = dtype === 'int64' ? 2 ** 63 : 2 ** 64; // exclusive
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (!Number.isInteger(v) || v < lo || v >= hi) {
        fail(`array.data[${i}] = ${v} is not a valid ${dtype} value (an integer in [${lo}, ${hi}))`, `array.data[${i}]`);
      }
    }
  } else if (dtype === 'bool') {
    for (let i = 0; i < data.length; i++) {
      if (data[i]! > 1) fail(`array.data[${i}] = ${data[i]} is not a bool value (0 or 1)`, `array.data[${i}]`);
    }
  }
  return { data, shape: [...shape], dtype };
}

function encode64BitInts(data: Float64Array, out: Uint8Array, signed: boolean): void {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    const hi = Math.floor(v / TWO_32); // exact: division by a power of two
    const lo = v - hi * TWO_32; // exact: the true difference is an integer in [0, 2³²)
    view.setUint32(8 * i, lo, true);
    if (signed) view.setInt32(8 * i + 4, hi, true);
    else view.setUint32(8 * i + 4, hi, true);
  }
}

/** Magic, version, header length and the padded header dict, exactly as numpy writes them. */
function buildHeader(descr: string, shape: readonly number[]): Uint8Array {
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeRepr(shape)}, }`;
  if (shape.length > 0) dict += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length));
  const textLength = dict.length + 1; // + newline
  let major = 1;
  let prefix = 10;
  let padded = textLength + (ALIGN - ((prefix + textLength) % ALIGN));
  if (padded > 0xffff) {
    major = 2;
    prefix = 12;
    padded = textLength + (ALIGN - ((prefix + textLength) % ALIGN));
  }
  const out = new Uint8Array(prefix + padded);
  out.set(MAGIC);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, padded, true);
  else view.setUint32(8, padded, true);
  for (let i = 0; i < dict.length; i++) out[prefix + i] = dict.charCodeAt(i); // ASCII only
  out.fill(0x20, prefix + dict.length, out.length - 1);
  out[out.length - 1] = 0x0a;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** Python repr of a shape tuple: `()`, `(5,)`, `(5, 201, 61)`. */
function shapeRepr(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

function elementCount(shape: readonly number[], path: string): number {
  let n = 1;
  for (const d of shape) n *= d;
  if (!Number.isSafeInteger(n)) fail(`shape ${shapeRepr(shape)} has too many elements`, path);
  return n;
}

function typedArrayName(x: unknown): NpyTypedArrayName | undefined {
  if (!ArrayBuffer.isView(x)) return undefined;
  const tag = Object.prototype.toString.call(x).slice(8, -1);
  return Object.hasOwn(DEFAULT_DTYPE, tag) ? (tag as NpyTypedArrayName) : undefined;
}

function describeValue(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return `[${x.slice(0, 8).map(String).join(', ')}${x.length > 8 ? ', …' : ''}]`;
  if (ArrayBuffer.isView(x)) return `a ${Object.prototype.toString.call(x).slice(8, -1)}`;
  if (typeof x === 'string') return JSON.stringify(x);
  if (typeof x === 'object') return 'an object';
  return `${typeof x} ${String(x)}`;
}

function hexBytes(buf: Uint8Array, n: number): string {
  return [...buf.subarray(0, n)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}
