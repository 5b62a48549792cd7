/**
 * Internal validation helpers for the linalg layer (not exported from the package): shape and
 * finiteness checks that run at the boundary of every public routine, and the zod-to-LtrError
 * bridge for options objects. Inside the layer, routines call each other's unchecked kernels.
 */
import type { z } from 'zod';
import { LtrError } from '../validate/errors';
import type { Matrix } from './matrix';

/** Machine epsilon for float64 (2^-52). */
export const EPS = 2.220446049250313e-16;

/** Builds a Matrix without copying or checking; only for data this layer just computed. */
export function mk(rows: number, cols: number, data: Float64Array): Matrix {
  return { rows, cols, data };
}

/** `3×4`, the way every shape is printed in messages. */
export function shapeOf(m: { rows: number; cols: number }): string {
  return `${m.rows}×${m.cols}`;
}

/**
 * Checks that `m` is a well-formed {@link Matrix} with finite entries; throws `invalid-data`
 * naming `name` (and the offending entry) otherwise.
 */
export function checkMatrix(m: unknown, name: string, fn: string): Matrix {
  if (typeof m !== 'object' || m === null) {
    throw new LtrError('invalid-data', `${fn}: ${name} must be a Matrix ({ rows, cols, data: Float64Array }); got ${m === null ? 'null' : typeof m}. Build one with matrix(rows, cols, data) or fromRows(rows).`, { path: name });
  }
  const { rows, cols, data } = m as { rows: unknown; cols: unknown; data: unknown };
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || (rows as number) < 0 || (cols as number) < 0) {
    throw new LtrError('invalid-data', `${fn}: ${name}.rows and ${name}.cols must be non-negative integers; got ${String(rows)} and ${String(cols)}. Build the matrix with matrix(rows, cols, data) or fromRows(rows).`, { path: name });
  }
  if (!(data instanceof Float64Array)) {
    throw new LtrError('invalid-data', `${fn}: ${name}.data must be a Float64Array (row-major); got ${data === null ? 'null' : typeof data}. Build the matrix with matrix(rows, cols, data), which copies any array-like.`, { path: `${name}.data` });
  }
  const r = rows as number;
  const c = cols as number;
  if (data.length !== r * c) {
    throw new LtrError('invalid-data', `${fn}: ${name} is declared ${r}×${c} but ${name}.data has length ${data.length} (needs ${r * c}). Fix rows/cols or the data.`, { path: `${name}.data` });
  }
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) {
      const ri = c === 0 ? 0 : Math.floor(i / c);
      const ci = c === 0 ? 0 : i % c;
      throw new LtrError('invalid-data', `${fn}: ${name}[${ri}][${ci}] is ${v}; linear algebra needs finite numbers. Remove or impute NaN/Infinity before calling ${fn}.`, { path: `${name}[${ri}][${ci}]` });
    }
  }
  return m as Matrix;
}

/** Like {@link checkMatrix}, and also refuses empty (0-row or 0-column) matrices. */
export function checkNonEmpty(m: unknown, name: string, fn: string): Matrix {
  const a = checkMatrix(m, name, fn);
  if (a.rows === 0 || a.cols === 0) {
    throw new LtrError('invalid-data', `${fn}: ${name} is ${shapeOf(a)}, an empty matrix; ${fn} needs at least one row and one column.`, { path: name });
  }
  return a;
}

/** Like {@link checkNonEmpty}, and also requires a square matrix. */
export function checkSquare(m: unknown, name: string, fn: string): Matrix {
  const a = checkNonEmpty(m, name, fn);
  if (a.rows !== a.cols) {
    throw new LtrError('shape-mismatch', `${fn}: ${name} must be square but is ${shapeOf(a)}. Pass an n×n matrix${fn === 'cholesky' || fn === 'solveSpd' || fn === 'eigh' ? ' (for a non-square X, use gram(X) = XᵀX)' : ''}.`, { path: name });
  }
  return a;
}

/** Checks that `v` is an array-like of finite numbers (optionally of a given length). */
export function checkVector(v: unknown, name: string, fn: string, length?: number): ArrayLike<number> {
  const ok = v instanceof Float64Array || v instanceof Float32Array || Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
  if (!ok) {
    throw new LtrError('invalid-data', `${fn}: ${name} must be a number[] or a typed array; got ${v === null ? 'null' : typeof v}.`, { path: name });
  }
  const a = v as ArrayLike<unknown>;
  if (length !== undefined && a.length !== length) {
    throw new LtrError('shape-mismatch', `${fn}: ${name} has length ${a.length} but ${length} is needed here.`, { path: name });
  }
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new LtrError('invalid-data', `${fn}: ${name}[${i}] is ${String(x)}; linear algebra needs finite numbers. Remove or impute NaN/Infinity before calling ${fn}.`, { path: `${name}[${i}]` });
    }
  }
  return a as ArrayLike<number>;
}

/** Checks the symmetry of square `a` within `tol · max|a_ij|`; throws `errCode` with a fix. */
export function checkSymmetric(a: Matrix, tol: number, name: string, fn: string, hint: string): void {
  const n = a.rows;
  const d = a.data;
  let scale = 0;
  for (let i = 0; i < d.length; i++) scale = Math.max(scale, Math.abs(d[i]));
  const bound = tol * scale;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const diff = Math.abs(d[i * n + j] - d[j * n + i]);
      if (diff > bound) {
        throw new LtrError(
          fn === 'eigh' ? 'invalid-data' : 'not-positive-definite',
          `${fn}: ${name} is not symmetric: ${name}[${i}][${j}] = ${d[i * n + j]} but ${name}[${j}][${i}] = ${d[j * n + i]} (difference ${diff.toExponential(2)} > symmetryTolerance·max|${name}| = ${bound.toExponential(2)}). ${hint}`,
          { path: `${name}[${i}][${j}]` },
        );
      }
    }
  }
}

/** Parses an options object with `schema`; turns the first zod issue into an `invalid-option` LtrError. */
export function parseOptions<S extends z.ZodType>(schema: S, value: unknown, fn: string): z.output<S> {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  let field = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') field = issue.keys.join(', ');
  const path = field === '' ? 'options' : `options.${field}`;
  throw new LtrError('invalid-option', `${fn}: ${path}: ${issue.message}.`, { path });
}
