import * as tf from '@tensorflow/tfjs-core';
import { LtrError } from './errors';
import { ready } from '../backend/use';

/** Dense data in one of the forms every public function accepts. */
export type TensorLike =
  | tf.Tensor
  | number
  | NestedArray
  | { data: Float32Array | Float64Array | Int32Array | ArrayLike<number>; shape: readonly number[] };
/** Nested JavaScript arrays of numbers, e.g. `[[1, 2], [3, 4]]`. */
export type NestedArray = readonly (number | NestedArray)[];

/** What {@link toTensor} requires of the input. */
export interface ToTensorOptions {
  /** Name used in error messages and `LtrError.path`, e.g. `'data'` or `'options.mask'`. */
  name: string;
  /** Required number of dimensions. */
  rank?: number | readonly number[];
  /** Required shape; `-1` (or `null`) leaves a dimension free. */
  shape?: readonly (number | null)[];
  /** Allow NaN / ±Inf (default false: refused). */
  allowNonFinite?: boolean;
  /** Target dtype (default `'float32'`). */
  dtype?: 'float32' | 'int32' | 'bool';
}

/**
 * Converts user data to a new `tf.Tensor` the caller owns (a `tf.Tensor` input is cloned, which
 * shares its storage). Refuses ragged arrays, wrong rank or shape, zero-size dimensions and (by
 * default) NaN/Inf with an {@link LtrError} naming `options.name`.
 *
 * Async because checking a tensor already on a GPU for NaN needs an asynchronous read.
 */
export async function toTensor(input: TensorLike, options: ToTensorOptions): Promise<tf.Tensor> {
  await ready();
  const { name } = options;
  const dtype = options.dtype ?? 'float32';
  let t: tf.Tensor;
  if (input instanceof tf.Tensor) {
    checkShape(input.shape, options);
    t = input.dtype === dtype ? tf.clone(input) : tf.cast(input, dtype);
    if (!options.allowNonFinite && dtype === 'float32' && input.dtype === 'float32') {
      const bad = tf.tidy(() => tf.logicalNot(tf.all(tf.isFinite(t))));
      const anyBad = (await bad.data())[0];
      bad.dispose();
      if (anyBad) {
        t.dispose();
        throw new LtrError('invalid-data', `${name} contains NaN or Infinity. Remove or mask those entries (a mask marks observed entries with 1).`, { path: name });
      }
    }
    return t;
  }
  const { values, shape } = flatten(input, name);
  checkShape(shape, options);
  if (!options.allowNonFinite) {
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) {
        throw new LtrError('invalid-data', `${name} has a non-finite value (${values[i]}) at ${indexOf(i, shape)}. Remove it, or pass a mask with 0 there.`, { path: `${name}${indexOf(i, shape)}` });
      }
    }
  }
  const typed = dtype === 'int32' ? Int32Array.from(values) : dtype === 'bool' ? Uint8Array.from(values, (v) => (v ? 1 : 0)) : Float32Array.from(values);
  return tf.tensor(typed, [...shape], dtype);
}

function indexOf(flat: number, shape: readonly number[]): string {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(flat % shape[d]);
    flat = Math.floor(flat / shape[d]);
  }
  return idx.map((i) => `[${i}]`).join('');
}

function flatten(input: Exclude<TensorLike, tf.Tensor>, name: string): { values: ArrayLike<number>; shape: number[] } {
  if (typeof input === 'number') return { values: [input], shape: [] };
  if (Array.isArray(input)) {
    const shape: number[] = [];
    let level: unknown = input;
    while (Array.isArray(level)) {
      shape.push(level.length);
      level = level[0];
    }
    const out: number[] = [];
    const walk = (a: unknown, depth: number, at: string): void => {
      if (depth === shape.length) {
        if (typeof a !== 'number') {
          throw new LtrError('invalid-data', `${name}${at} is ${Array.isArray(a) ? 'an array' : typeof a}, expected a number: nested arrays must be rectangular.`, { path: `${name}${at}` });
        }
        out.push(a);
        return;
      }
      if (!Array.isArray(a) || a.length !== shape[depth]) {
        const got = Array.isArray(a) ? `length ${a.length}` : typeof a;
        throw new LtrError('invalid-data', `${name} is ragged: ${name}${at} has ${got} but ${name}${'[0]'.repeat(depth)} has length ${shape[depth]}. Every row must have the same length.`, { path: `${name}${at}` });
      }
      for (let i = 0; i < a.length; i++) walk(a[i], depth + 1, `${at}[${i}]`);
    };
    walk(input, 0, '');
    return { values: out, shape };
  }
  if (typeof input === 'object' && input !== null && 'data' in input && 'shape' in input) {
    const shape = [...input.shape];
    if (!shape.every((s) => Number.isInteger(s) && s >= 0)) {
      throw new LtrError('invalid-data', `${name}.shape must hold non-negative integers, got [${shape.join(', ')}].`, { path: `${name}.shape` });
    }
    const size = shape.reduce((a, b) => a * b, 1);
    if (input.data.length !== size) {
      throw new LtrError('shape-mismatch', `${name}.data has ${input.data.length} values but shape [${shape.join(', ')}] needs ${size}.`, { path: `${name}.data` });
    }
    return { values: input.data, shape };
  }
  throw new LtrError('invalid-data', `${name} must be a tf.Tensor, a number, nested arrays of numbers or { data, shape }; got ${input === null ? 'null' : typeof input}.`, { path: name });
}

function checkShape(shape: readonly number[], options: ToTensorOptions): void {
  const { name, rank, shape: want } = options;
  if (rank !== undefined) {
    const ranks = typeof rank === 'number' ? [rank] : rank;
    if (!ranks.includes(shape.length)) {
      throw new LtrError('shape-mismatch', `${name} must have ${ranks.join(' or ')} dimensions, got ${shape.length} (shape [${shape.join(', ')}]).`, { path: name });
    }
  }
  if (want !== undefined) {
    const ok = want.length === shape.length && want.every((w, i) => w === null || w === -1 || w === shape[i]);
    if (!ok) {
      const wanted = want.map((w) => (w === null || w === -1 ? '*' : String(w))).join(', ');
      throw new LtrError('shape-mismatch', `${name} must have shape [${wanted}], got [${shape.join(', ')}].`, { path: name });
    }
  }
  const zero = shape.indexOf(0);
  if (zero >= 0) {
    throw new LtrError('invalid-data', `${name} has an empty dimension (shape [${shape.join(', ')}], dimension ${zero} is 0). Pass at least one entry along every dimension.`, { path: name });
  }
}
