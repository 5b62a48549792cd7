/**
 * Reading the arrays a command is given (`.npy`, or one array of a `.npz`) and converting them to
 * what the library takes: float data, integer ids, labels.
 */
import { readArray } from '../io/files';
import type { NpyArray } from '../io/npy';
import { LtrError, isLtrError } from '../validate/errors';

/**
 * Reads a `.npy` file, or one array of a `.npz` archive (`key`; optional when it holds one).
 * Errors are one-line LtrErrors naming the file; those about the key name the flag `keyFlag`.
 * Big-endian files are refused with the fix (`arr.astype('<f4')`), as the command promises to
 * read files exactly as stored; the library's `readArray` converts them.
 */
export async function loadArray(path: string, o: { key?: string; keyFlag?: string } = {}): Promise<NpyArray> {
  try {
    return await readArray(path, { byteOrder: 'little', ...(o.key !== undefined ? { key: o.key } : {}) });
  } catch (e) {
    if (isLtrError(e) && e.path === 'options.key') {
      const flag = o.keyFlag ?? '--key';
      const message = e.message.replace(/options\.key/g, flag).replace(/choose one with key, e\.g\. \{ key: ("[^"]*") \}/, (_m, k: string) => `choose one with ${flag} ${JSON.parse(k) as string}`).replace(/; omit key$/, `; omit ${flag}`);
      throw new LtrError(e.code, message, { path: flag, cause: e });
    }
    throw e;
  }
}

/** The values as float32 (int and bool arrays are converted; float64 is rounded). */
export function asFloat32(a: NpyArray): Float32Array {
  return a.data instanceof Float32Array ? a.data : Float32Array.from(a.data);
}

/** The values as float64 (exact for every dtype read). */
export function asFloat64(a: NpyArray): Float64Array {
  return a.data instanceof Float64Array ? a.data : Float64Array.from(a.data);
}

/** True when the file's dtype is an integer or bool type. */
export function isIntegerDtype(a: NpyArray): boolean {
  return a.dtype !== 'float32' && a.dtype !== 'float64';
}

/** A 1-D array (or a K × 1 / 1 × K column or row) as plain numbers; `what` names it in errors. */
export function asVector(a: NpyArray, what: string): number[] {
  const nonUnit = a.shape.filter((d) => d !== 1);
  if (a.shape.length === 0 || nonUnit.length > 1) {
    throw new LtrError('shape-mismatch', `${what} must be a 1-D array (one value per trial), got shape (${a.shape.join(', ')})`, { path: what });
  }
  return Array.from(a.data as ArrayLike<number>);
}

/** Integer ids (conditions): integer dtypes, or floats that hold integers. */
export function asIntegers(a: NpyArray, what: string): number[] {
  const v = asVector(a, what);
  const bad = v.findIndex((x) => !Number.isInteger(x));
  if (bad >= 0) throw new LtrError('invalid-data', `${what}[${bad}] = ${v[bad]} is not an integer id`, { path: `${what}[${bad}]` });
  return v;
}

/** Finite numbers (trial ids, times). */
export function asNumbers(a: NpyArray, what: string): number[] {
  const v = asVector(a, what);
  const bad = v.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) throw new LtrError('invalid-data', `${what}[${bad}] = ${v[bad]} is not a finite number`, { path: `${what}[${bad}]` });
  return v;
}
