/**
 * The dense float64 matrix type of the linalg layer and its elementary helpers.
 *
 * A {@link Matrix} is a plain object `{ rows, cols, data }` with `data` row-major: entry (i, j)
 * lives at `data[i * cols + j]`. Plain objects (not a class) so that results serialize, cross
 * worker boundaries and compare in tests without ceremony.
 */
import { LtrError } from '../validate/errors';
import { checkMatrix, checkVector, mk, shapeOf } from './check';

/** A dense row-major float64 matrix: entry (i, j) is `data[i * cols + j]`. */
export interface Matrix {
  /** Number of rows (≥ 0). */
  readonly rows: number;
  /** Number of columns (≥ 0). */
  readonly cols: number;
  /** Row-major entries, length `rows * cols`. */
  readonly data: Float64Array;
}

/**
 * Builds a `rows × cols` matrix. `data` (row-major, length `rows * cols`) is copied; when
 * omitted the matrix is zero. Throws `invalid-data` on a bad size or a non-finite entry.
 */
export function matrix(rows: number, cols: number, data?: ArrayLike<number>): Matrix {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new LtrError('invalid-data', `matrix: rows and cols must be non-negative integers; got ${rows} and ${cols}.`, { path: 'rows' });
  }
  if (data === undefined) return mk(rows, cols, new Float64Array(rows * cols));
  if (data.length !== rows * cols) {
    throw new LtrError('shape-mismatch', `matrix: data has length ${data.length} but a ${rows}×${cols} matrix needs ${rows * cols} entries (row-major). Fix rows/cols or the data.`, { path: 'data' });
  }
  checkVector(data, 'data', 'matrix');
  return mk(rows, cols, Float64Array.from(data));
}

/** Builds a matrix from an array of equally long rows (`fromRows([[1, 2], [3, 4]])`). */
export function fromRows(rows: readonly (readonly number[])[]): Matrix {
  if (!Array.isArray(rows)) {
    throw new LtrError('invalid-data', `fromRows: expected an array of rows (number[][]); got ${typeof rows}.`, { path: 'rows' });
  }
  const r = rows.length;
  const c = r === 0 ? 0 : rows[0].length;
  const data = new Float64Array(r * c);
  for (let i = 0; i < r; i++) {
    const row = rows[i];
    if (!Array.isArray(row) || row.length !== c) {
      throw new LtrError('shape-mismatch', `fromRows: row ${i} has length ${Array.isArray(row) ? row.length : 'n/a'} but row 0 has length ${c}; every row must have the same length.`, { path: `rows[${i}]` });
    }
    for (let j = 0; j < c; j++) {
      const v = row[j];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new LtrError('invalid-data', `fromRows: rows[${i}][${j}] is ${String(v)}; entries must be finite numbers.`, { path: `rows[${i}][${j}]` });
      }
      data[i * c + j] = v;
    }
  }
  return mk(r, c, data);
}

/** The matrix as an array of rows (plain numbers), e.g. for printing or JSON. */
export function toRows(m: Matrix): number[][] {
  const a = checkMatrix(m, 'm', 'toRows');
  const out: number[][] = [];
  for (let i = 0; i < a.rows; i++) out.push(Array.from(a.data.subarray(i * a.cols, (i + 1) * a.cols)));
  return out;
}

/** The n×n identity. */
export function identity(n: number): Matrix {
  if (!Number.isInteger(n) || n < 0) {
    throw new LtrError('invalid-data', `identity: n must be a non-negative integer; got ${n}.`, { path: 'n' });
  }
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) d[i * n + i] = 1;
  return mk(n, n, d);
}

/** The rows×cols zero matrix. */
export function zeros(rows: number, cols: number): Matrix {
  return matrix(rows, cols);
}

/** @internal Unchecked transpose. */
export function transposeRaw(a: Matrix): Matrix {
  const { rows: m, cols: n, data: d } = a;
  const t = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const o = i * n;
    for (let j = 0; j < n; j++) t[j * m + i] = d[o + j];
  }
  return mk(n, m, t);
}

/** Aᵀ (a new matrix). */
export function transpose(a: Matrix): Matrix {
  return transposeRaw(checkMatrix(a, 'a', 'transpose'));
}

/** @internal Unchecked product, i-k-j order so the inner loop runs along rows of b and c. */
export function matmulRaw(a: Matrix, b: Matrix): Matrix {
  const m = a.rows;
  const p = a.cols;
  const n = b.cols;
  const ad = a.data;
  const bd = b.data;
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    const ai = i * p;
    for (let k = 0; k < p; k++) {
      const aik = ad[ai + k];
      if (aik === 0) continue;
      const bk = k * n;
      for (let j = 0; j < n; j++) c[ci + j] += aik * bd[bk + j];
    }
  }
  return mk(m, n, c);
}

/** The product A·B. Throws `shape-mismatch` unless `a.cols === b.rows`. */
export function matmul(a: Matrix, b: Matrix): Matrix {
  checkMatrix(a, 'a', 'matmul');
  checkMatrix(b, 'b', 'matmul');
  if (a.cols !== b.rows) {
    throw new LtrError('shape-mismatch', `matmul: a is ${shapeOf(a)} and b is ${shapeOf(b)}; a.cols (${a.cols}) must equal b.rows (${b.rows}). Transpose one of them or check the order of the arguments.`, { path: 'b' });
  }
  return matmulRaw(a, b);
}

/** The product A·x for a vector x (length `a.cols`); returns a new Float64Array of length `a.rows`. */
export function matvec(a: Matrix, x: ArrayLike<number>): Float64Array {
  checkMatrix(a, 'a', 'matvec');
  checkVector(x, 'x', 'matvec');
  if (x.length !== a.cols) {
    throw new LtrError('shape-mismatch', `matvec: a is ${shapeOf(a)} but x has length ${x.length}; x needs length a.cols = ${a.cols}.`, { path: 'x' });
  }
  const { rows: m, cols: n, data: d } = a;
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = 0;
    const o = i * n;
    for (let j = 0; j < n; j++) s += d[o + j] * x[j];
    y[i] = s;
  }
  return y;
}

function checkSameShape(a: Matrix, b: Matrix, fn: string): void {
  checkMatrix(a, 'a', fn);
  checkMatrix(b, 'b', fn);
  if (a.rows !== b.rows || a.cols !== b.cols) {
    throw new LtrError('shape-mismatch', `${fn}: a is ${shapeOf(a)} and b is ${shapeOf(b)}; both must have the same shape.`, { path: 'b' });
  }
}

/** The elementwise (Hadamard) product A ⊙ B of two equally shaped matrices. */
export function hadamard(a: Matrix, b: Matrix): Matrix {
  checkSameShape(a, b, 'hadamard');
  const out = new Float64Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = a.data[i] * b.data[i];
  return mk(a.rows, a.cols, out);
}

/** @internal Unchecked AᵀA, exactly symmetric (upper triangle accumulated, then mirrored). */
export function gramRaw(a: Matrix): Matrix {
  const { rows: m, cols: n, data: d } = a;
  const g = new Float64Array(n * n);
  // Sum of outer products of the rows: both loops run along contiguous memory.
  for (let r = 0; r < m; r++) {
    const o = r * n;
    for (let p = 0; p < n; p++) {
      const v = d[o + p];
      if (v === 0) continue;
      const gp = p * n;
      for (let q = p; q < n; q++) g[gp + q] += v * d[o + q];
    }
  }
  for (let p = 0; p < n; p++) for (let q = 0; q < p; q++) g[p * n + q] = g[q * n + p];
  return mk(n, n, g);
}

/** The Gram matrix AᵀA (`cols × cols`), exactly symmetric. */
export function gram(a: Matrix): Matrix {
  return gramRaw(checkMatrix(a, 'a', 'gram'));
}

/** @internal Unchecked Frobenius norm, scaled so that huge or tiny entries neither overflow nor underflow. */
export function frobeniusRaw(d: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < d.length; i++) scale = Math.max(scale, Math.abs(d[i]));
  if (scale === 0) return 0;
  let s = 0;
  for (let i = 0; i < d.length; i++) {
    const v = d[i] / scale;
    s += v * v;
  }
  return scale * Math.sqrt(s);
}

/** The Frobenius norm ‖A‖_F = sqrt(Σ a_ij²), computed without overflow. */
export function frobeniusNorm(a: Matrix): number {
  return frobeniusRaw(checkMatrix(a, 'a', 'frobeniusNorm').data);
}

/** max_ij |a_ij − b_ij| of two equally shaped matrices (handy in tests). */
export function maxAbsDiff(a: Matrix, b: Matrix): number {
  checkSameShape(a, b, 'maxAbsDiff');
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
  return m;
}

/** Column j of A as a new Float64Array. */
export function column(m: Matrix, j: number): Float64Array {
  const a = checkMatrix(m, 'm', 'column');
  if (!Number.isInteger(j) || j < 0 || j >= a.cols) {
    throw new LtrError('shape-mismatch', `column: j = ${j} is out of range for a ${shapeOf(a)} matrix; use 0 ≤ j < ${a.cols}.`, { path: 'j' });
  }
  const out = new Float64Array(a.rows);
  for (let i = 0; i < a.rows; i++) out[i] = a.data[i * a.cols + j];
  return out;
}

/** The main diagonal of a matrix, as a Float64Array of length min(rows, cols). */
export function diag(m: Matrix): Float64Array;
/** The square diagonal matrix with `v` on its diagonal. */
export function diag(v: ArrayLike<number>): Matrix;
export function diag(x: Matrix | ArrayLike<number>): Float64Array | Matrix {
  if (typeof x === 'object' && x !== null && 'rows' in x && 'cols' in x) {
    const a = checkMatrix(x, 'm', 'diag');
    const k = Math.min(a.rows, a.cols);
    const out = new Float64Array(k);
    for (let i = 0; i < k; i++) out[i] = a.data[i * a.cols + i];
    return out;
  }
  const v = checkVector(x, 'v', 'diag');
  const n = v.length;
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) d[i * n + i] = v[i];
  return mk(n, n, d);
}
