/**
 * `.npy` and `.npz` files on disk (Node only, `node:fs` and `node:zlib` loaded lazily so that
 * importing this module stays browser-safe) and conversion between {@link NpyArray} and tfjs
 * tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { LtrError, isLtrError } from '../validate/errors';
import { parseOptions } from '../validate/options';
import { checkNpyInput, encodeNpy, parseNpy, type NpyArray, type NpyData, type NpyInput } from './npy';
import { looksLikeZip, npzMemberArray, npzMembers, type InflateRaw, type NpzMember } from './npz';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * Read a `.npy` file (Node only). Same result and errors as {@link parseNpy}, with the file
 * name added to the message.
 *
 * @throws LtrError `invalid-option` (path `path`) when the file cannot be read; `invalid-data`
 *   when its content is not a supported `.npy` array.
 */
export async function readNpy(path: string): Promise<NpyArray> {
  checkPath(path);
  const fs = await nodeFs();
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path);
  } catch (e) {
    throw new LtrError('invalid-option', `cannot read .npy file ${JSON.stringify(path)}: ${(e as Error).message}`, {
      path: 'path',
      cause: e,
    });
  }
  try {
    return parseNpy(bytes);
  } catch (e) {
    if (isLtrError(e)) throw new LtrError(e.code, `${path}: ${e.message}`, { path: e.path, cause: e });
    throw e;
  }
}

/**
 * Read a `.npz` archive (Node only) written by `numpy.savez` or `numpy.savez_compressed` into
 * its arrays, keyed by member name without `.npy`. Same result and errors as `parseNpz`, with
 * the file name added to the message; deflated members are inflated with `node:zlib`.
 *
 * @throws LtrError `invalid-option` (path `path`) when the file cannot be read; `invalid-data`
 *   or `unsupported` when it is not a readable archive or a member is not a readable `.npy`.
 */
export async function readNpz(path: string): Promise<Record<string, NpyArray>> {
  checkPath(path);
  const buf = await readBytes(path);
  const members = withFile(path, () => npzMembers(buf));
  const inflateRaw = members.some((m) => m.entry.method === 8) ? await nodeInflateRaw() : undefined;
  const out: Record<string, NpyArray> = {};
  for (const m of members) {
    const value = withFile(path, () => npzMemberArray(buf, m, inflateRaw));
    Object.defineProperty(out, m.key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Options of {@link readArray}. */
export const readArrayOptions = z.strictObject({
  /**
   * Which array of a `.npz` archive to read (member name without `.npy`, e.g. `'x'` or
   * `'arr_0'`). Required when the archive holds several arrays; must be absent for a `.npy` file.
   */
  key: z.string().min(1, 'must be a non-empty array name').optional(),
  /** `'any'` (default) converts big-endian data; `'little'` refuses it (see `parseNpy`). */
  byteOrder: z.enum(['any', 'little']).default('any'),
});

/** Options of {@link readArray}. */
export type ReadArrayOptions = z.input<typeof readArrayOptions>;

/**
 * Read one array from a file (Node only): a `.npy` file, or one array of a `.npz` archive. The
 * format is told by the file's first bytes, not its name. For an archive, `key` picks the array;
 * it may be omitted when the archive holds exactly one. Only the chosen member is decompressed
 * and parsed.
 *
 * @throws LtrError `invalid-option` (path `path`) when the file cannot be read; `invalid-option`
 *   (path `options.key`) when `key` is missing for an archive of several arrays, names no array
 *   of the archive (the message lists the keys), or is given for a `.npy` file; `invalid-data`
 *   for an archive with no arrays; otherwise the errors of {@link readNpy} / {@link readNpz}.
 *   Every message is one line and starts with the file name.
 */
export async function readArray(path: string, options?: ReadArrayOptions): Promise<NpyArray> {
  checkPath(path);
  const { key, byteOrder } = parseOptions(readArrayOptions, options, 'options');
  const buf = await readBytes(path);
  if (!looksLikeZip(buf)) {
    if (key !== undefined) {
      throw new LtrError('invalid-option', `${path}: options.key ${JSON.stringify(key)} was given but the file is a .npy holding a single array, not a .npz archive; omit key`, {
        path: 'options.key',
      });
    }
    return withFile(path, () => parseNpy(buf, { byteOrder }));
  }
  const members = withFile(path, () => npzMembers(buf));
  let member: NpzMember | undefined;
  if (key !== undefined) {
    member = members.find((m) => m.key === key);
    if (member === undefined) {
      throw new LtrError('invalid-option', `${path}: no array ${JSON.stringify(key)} in this .npz archive; its arrays are ${listKeys(members)}`, {
        path: 'options.key',
      });
    }
  } else if (members.length === 1) {
    member = members[0]!;
  } else if (members.length === 0) {
    throw new LtrError('invalid-data', `${path}: the .npz archive holds no .npy arrays`, { path: 'npz' });
  } else {
    throw new LtrError(
      'invalid-option',
      `${path}: the .npz archive holds ${members.length} arrays (${listKeys(members)}); choose one with key, e.g. { key: ${JSON.stringify(members[0]!.key)} }`,
      { path: 'options.key' },
    );
  }
  const chosen = member;
  const inflateRaw = chosen.entry.method === 8 ? await nodeInflateRaw() : undefined;
  return withFile(path, () => npzMemberArray(buf, chosen, inflateRaw, { byteOrder }));
}

function listKeys(members: readonly NpzMember[]): string {
  if (members.length === 0) return 'none';
  const shown = members.slice(0, 20).map((m) => JSON.stringify(m.key));
  return shown.join(', ') + (members.length > 20 ? `, … (${members.length} in all)` : '');
}

async function readBytes(path: string): Promise<Uint8Array> {
  const fs = await nodeFs();
  try {
    return await fs.readFile(path);
  } catch (e) {
    throw new LtrError('invalid-option', `cannot read file ${JSON.stringify(path)}: ${(e as Error).message}`, {
      path: 'path',
      cause: e,
    });
  }
}

/** Run a parse step, prefixing its LtrError's message with the file name. */
function withFile<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (isLtrError(e)) throw new LtrError(e.code, `${path}: ${e.message}`, { path: e.path, cause: e });
    throw e;
  }
}

/**
 * Write an array as a `.npy` file (Node only), byte for byte what `numpy.save` writes. Replaces
 * an existing file.
 *
 * @throws LtrError as {@link encodeNpy} for an invalid array (nothing is written then);
 *   `invalid-option` (path `path`) when the file cannot be written.
 */
export async function writeNpy(path: string, array: NpyInput): Promise<void> {
  checkPath(path);
  const bytes = encodeNpy(array);
  const fs = await nodeFs();
  try {
    await fs.writeFile(path, bytes);
  } catch (e) {
    throw new LtrError('invalid-option', `cannot write .npy file ${JSON.stringify(path)}: ${(e as Error).message}`, {
      path: 'path',
      cause: e,
    });
  }
}

function checkPath(path: unknown): void {
  if (typeof path !== 'string' || path === '') {
    throw new LtrError('invalid-option', `path must be a non-empty file name string, got ${path === '' ? 'an empty string' : typeof path}`, {
      path: 'path',
    });
  }
}

/**
 * Make a tfjs tensor from an array (the caller owns and must dispose it; it never shares
 * memory with `array.data`). tfjs has no 64-bit types, so:
 *
 * - `float32`, `float64` → `float32` (float64 values are rounded to the nearest float32; a finite
 *   value beyond ±3.4e38, which would become ±Infinity, is refused);
 * - `int8`, `int16`, `int32`, `uint8`, `uint16` → `int32`;
 * - `uint32`, `int64`, `uint64` → `int32` when every value lies in [-2³¹, 2³¹), otherwise refused;
 * - `bool` → `bool`.
 *
 * NaN and ±Infinity already in the data are kept: refusing them is up to the function the
 * tensor is passed to.
 *
 * @throws LtrError `invalid-data` / `shape-mismatch` for an invalid array (as {@link encodeNpy}),
 *   or values the target tensor dtype cannot hold (path `array.data[i]`).
 */
export function npyToTensor(array: NpyInput): tf.Tensor {
  const { data, shape, dtype } = checkNpyInput(array);
  switch (dtype) {
    case 'float32':
      return tf.tensor(Float32Array.from(data), shape, 'float32');
    case 'float64': {
      const out = Float32Array.from(data);
      for (let i = 0; i < out.length; i++) {
        if (!Number.isFinite(out[i]!) && Number.isFinite(data[i]!)) {
          throw new LtrError(
            'invalid-data',
            `array.data[${i}] = ${data[i]} is beyond the float32 range (±3.4e38) of tfjs tensors; rescale the data first`,
            { path: `array.data[${i}]` },
          );
        }
      }
      return tf.tensor(out, shape, 'float32');
    }
    case 'bool':
      return tf.tensor(Uint8Array.from(data), shape, 'bool');
    case 'int8':
    case 'int16':
    case 'int32':
    case 'uint8':
    case 'uint16':
      return tf.tensor(Int32Array.from(data), shape, 'int32');
    case 'uint32':
    case 'int64':
    case 'uint64':
      return tf.tensor(toInt32(data, dtype), shape, 'int32');
  }
}

function toInt32(data: NpyData, dtype: string): Int32Array {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < INT32_MIN || v > INT32_MAX) {
      throw new LtrError(
        'invalid-data',
        `array.data[${i}] = ${v} does not fit the int32 tensors of tfjs (${dtype} data must lie in [-2^31, 2^31 - 1]); ` +
          'convert to float first, e.g. npyToTensor({ data: Float32Array.from(array.data), shape: array.shape }), ' +
          'accepting rounding above 2^24',
        { path: `array.data[${i}]` },
      );
    }
  }
  return Int32Array.from(data);
}

/**
 * Read a tensor's values into an {@link NpyArray} (a copy: later changes to either side do not
 * affect the other). `float32` → `float32`, `int32` → `int32`, `bool` → `bool`. Does not dispose
 * `t`. For a float64 file, write `{ data: Float64Array.from(a.data), shape: a.shape }` instead.
 *
 * @throws LtrError `invalid-data` when `t` is not a live tensor; `unsupported` for `complex64`
 *   and `string` tensors.
 */
export async function tensorToNpy(t: tf.Tensor): Promise<NpyArray> {
  if (!(t instanceof tf.Tensor)) {
    throw new LtrError('invalid-data', `tensorToNpy expects a tf.Tensor, got ${t === null ? 'null' : typeof t}`, { path: 't' });
  }
  if (t.isDisposed) throw new LtrError('invalid-data', 'tensorToNpy was given a disposed tensor', { path: 't' });
  const shape = [...t.shape];
  switch (t.dtype) {
    case 'float32':
      return { data: Float32Array.from((await t.data()) as Float32Array), shape, dtype: 'float32', fortranOrder: false };
    case 'int32':
      return { data: Int32Array.from((await t.data()) as Int32Array), shape, dtype: 'int32', fortranOrder: false };
    case 'bool':
      return { data: Uint8Array.from((await t.data()) as Uint8Array), shape, dtype: 'bool', fortranOrder: false };
    default:
      throw new LtrError('unsupported', `tensorToNpy cannot store a ${t.dtype} tensor; only float32, int32 and bool tensors map to .npy`, {
        path: 't',
      });
  }
}

// A variable specifier, so that browser bundlers do not try to resolve a Node built-in: the file
// functions are Node-only, the rest of the io layer works everywhere.
const FS_MODULE = 'node:fs/promises';
function nodeFs(): Promise<typeof import('node:fs/promises')> {
  return import(/* @vite-ignore */ /* webpackIgnore: true */ FS_MODULE) as Promise<typeof import('node:fs/promises')>;
}

const ZLIB_MODULE = 'node:zlib';
async function nodeInflateRaw(): Promise<InflateRaw> {
  const zlib = (await import(/* @vite-ignore */ /* webpackIgnore: true */ ZLIB_MODULE)) as typeof import('node:zlib');
  // maxOutputLength stops a corrupt or hostile member from inflating past its declared size.
  return (data, size) => {
    try {
      return zlib.inflateRawSync(data, { maxOutputLength: Math.max(1, size) });
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new Error(`it inflates to more than the ${size} bytes the directory declares`);
      throw e;
    }
  };
}
