/**
 * `.npy` files on disk (Node only, loaded lazily so that importing this module stays
 * browser-safe) and conversion between {@link NpyArray} and tfjs tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LtrError, isLtrError } from '../validate/errors';
import { checkNpyInput, encodeNpy, parseNpy, type NpyArray, type NpyData, type NpyInput } from './npy';

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
