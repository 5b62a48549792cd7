/**
 * Host inputs of the rank layer: matrices and tensors in the forms users hold them, read into
 * float64 on the host together with the precision their values were stored in (which sets the
 * default rank tolerance).
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ready } from '../backend/use';
import type { Matrix } from '../linalg/matrix';
import { LtrError } from '../validate/errors';

/** float32 machine epsilon, 2⁻²³ (the spacing of floats just above 1). */
export const EPS32 = 2 ** -23;
/** float64 machine epsilon, 2⁻⁵². */
export const EPS64 = 2 ** -52;

/** The precision values were stored in: decides ε in the default rank tolerance. */
export type Precision = 'float32' | 'float64';

/** zod schema of {@link Precision}. */
export const precisionSchema = z.enum(['float32', 'float64']);

/**
 * A matrix on the host, in any of the forms the rank functions accept synchronously: a linalg
 * {@link Matrix} (`{ rows, cols, data: Float64Array }`), nested arrays (`number[][]`), or
 * `{ data, shape: [rows, cols] }` (row-major; `Float32Array` data count as float32 precision).
 * A 2-D `tf.Tensor` is accepted too, by the asynchronous overloads.
 */
export type MatrixLike =
  | Matrix
  | readonly (readonly number[])[]
  | { data: Float32Array | Float64Array | Int32Array | ArrayLike<number>; shape: readonly number[] };

/**
 * A tensor on the host: nested arrays, or `{ data, shape }` (row-major). A `tf.Tensor` is accepted
 * by the asynchronous overloads.
 */
export type HostTensorLike = readonly unknown[] | { data: Float32Array | Float64Array | Int32Array | ArrayLike<number>; shape: readonly number[] };

/** @internal A dense float64 tensor on the host with the precision of its source. */
export interface HostArray {
  data: Float64Array;
  shape: number[];
  precision: Precision;
}

/** @internal True for a linalg Matrix. */
function isMatrix(m: unknown): m is Matrix {
  return typeof m === 'object' && m !== null && 'rows' in m && 'cols' in m && 'data' in m;
}

/** @internal ε of a precision. */
export function epsOf(p: Precision): number {
  return p === 'float32' ? EPS32 : EPS64;
}

function checkFinite(data: ArrayLike<number>, shape: readonly number[], name: string): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      let rest = i;
      const idx: number[] = [];
      for (let d = shape.length - 1; d >= 0; d--) {
        idx.unshift(rest % shape[d]);
        rest = Math.floor(rest / shape[d]);
      }
      const at = idx.map((j) => `[${j}]`).join('');
      throw new LtrError('invalid-data', `${name}${at} is ${String(v)}; ranks need finite numbers. Remove or impute NaN/Infinity first.`, { path: `${name}${at}` });
    }
  }
}

function checkShape(shape: readonly number[], name: string, order: number | null): void {
  if (order !== null && shape.length !== order) {
    throw new LtrError('shape-mismatch', `${name} must have ${order} dimensions, got ${shape.length} (shape [${shape.join(', ')}]).`, { path: name });
  }
  if (order === null && shape.length < 2) {
    throw new LtrError('shape-mismatch', `${name} must have at least 2 dimensions, got ${shape.length} (shape [${shape.join(', ')}]).`, { path: name });
  }
  const zero = shape.findIndex((s) => !(Number.isInteger(s) && s > 0));
  if (zero >= 0) {
    throw new LtrError('invalid-data', `${name} has an empty or invalid dimension (shape [${shape.join(', ')}], dimension ${zero}). Pass at least one entry along every dimension.`, { path: name });
  }
}

function flattenNested(input: readonly unknown[], name: string): { data: Float64Array; shape: number[] } {
  const shape: number[] = [];
  let level: unknown = input;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  const size = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(size);
  let k = 0;
  const walk = (a: unknown, depth: number, at: string): void => {
    if (depth === shape.length) {
      if (typeof a !== 'number') {
        throw new LtrError('invalid-data', `${name}${at} is ${Array.isArray(a) ? 'an array' : typeof a}, expected a number: nested arrays must be rectangular.`, { path: `${name}${at}` });
      }
      if (!Number.isFinite(a)) throw new LtrError('invalid-data', `${name}${at} is ${a}; ranks need finite numbers. Remove or impute NaN/Infinity first.`, { path: `${name}${at}` });
      out[k++] = a;
      return;
    }
    if (!Array.isArray(a) || a.length !== shape[depth]) {
      throw new LtrError('invalid-data', `${name} is ragged at ${name}${at}: every row must have length ${shape[depth]}.`, { path: `${name}${at}` });
    }
    for (let i = 0; i < a.length; i++) walk(a[i], depth + 1, `${at}[${i}]`);
  };
  walk(input, 0, '');
  return { data: out, shape };
}

/**
 * @internal Reads host data (not a tf.Tensor) into float64. `order` fixes the number of
 * dimensions (2 for matrices), `null` accepts any order ≥ 2.
 */
export function hostArray(input: unknown, name: string, order: number | null, precision?: Precision): HostArray {
  if (input instanceof tf.Tensor) throw new Error('internal: tensor passed to hostArray');
  if (isMatrix(input)) {
    const { rows, cols, data } = input;
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || !(data instanceof Float64Array) || data.length !== rows * cols) {
      throw new LtrError('invalid-data', `${name} is not a valid Matrix: need integer rows and cols and data: Float64Array of length rows·cols.`, { path: name });
    }
    const shape = [rows, cols];
    checkShape(shape, name, order);
    checkFinite(data, shape, name);
    return { data: Float64Array.from(data), shape, precision: precision ?? 'float64' };
  }
  if (Array.isArray(input)) {
    const { data, shape } = flattenNested(input, name);
    checkShape(shape, name, order);
    return { data, shape, precision: precision ?? 'float64' };
  }
  if (typeof input === 'object' && input !== null && 'data' in input && 'shape' in input) {
    const { data, shape: s } = input as { data: ArrayLike<number>; shape: readonly number[] };
    if (!Array.isArray(s) || (data === null || typeof data !== 'object' || typeof data.length !== 'number')) {
      throw new LtrError('invalid-data', `${name} must be { data: array of numbers, shape: number[] }.`, { path: name });
    }
    const shape = [...s];
    checkShape(shape, name, order);
    const size = shape.reduce((a, b) => a * b, 1);
    if (data.length !== size) {
      throw new LtrError('shape-mismatch', `${name}.data has ${data.length} values but shape [${shape.join(', ')}] needs ${size}.`, { path: `${name}.data` });
    }
    checkFinite(data, shape, name);
    return { data: Float64Array.from(data), shape, precision: precision ?? (data instanceof Float32Array ? 'float32' : 'float64') };
  }
  throw new LtrError(
    'invalid-data',
    `${name} must be a linalg Matrix, nested arrays of numbers, { data, shape } or a tf.Tensor; got ${input === null ? 'null' : typeof input}.`,
    { path: name },
  );
}

/** @internal Reads a tf.Tensor into float64 on the host (float32 precision). */
export async function tensorArray(t: tf.Tensor, name: string, order: number | null, precision?: Precision): Promise<HostArray> {
  await ready();
  if (t.isDisposed) throw new LtrError('invalid-data', `${name} has been disposed.`, { path: name });
  const shape = [...t.shape];
  checkShape(shape, name, order);
  const values = await t.data();
  const data = Float64Array.from(values as ArrayLike<number>);
  checkFinite(data, shape, name);
  return { data, shape, precision: precision ?? 'float32' };
}

/** @internal A HostArray of order 2 as a linalg Matrix (shares the data). */
export function asMatrix(h: HostArray): Matrix {
  return { rows: h.shape[0], cols: h.shape[1], data: h.data };
}
