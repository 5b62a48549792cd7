/**
 * The linear assignment problem (Hungarian algorithm, Kuhn 1955 / Munkres 1957), in the
 * shortest-augmenting-path form with row and column potentials: O(n²·m) for an n × m cost matrix
 * with n ≤ m. Used by {@link factorMatchScore} to pair components of two CP models.
 */
import { z } from 'zod';
import type { Matrix } from '../linalg/matrix';
import { LtrError } from '../validate/errors';
import { parseOptions } from '../validate/options';

/** Options of {@link linearSumAssignment}. */
export const linearSumAssignmentOptions = z.strictObject({
  /** Maximize the total instead of minimizing it (default false: minimize cost). */
  maximize: z.boolean().default(false),
});
/** Input type of {@link linearSumAssignmentOptions}. */
export type LinearSumAssignmentOptions = z.input<typeof linearSumAssignmentOptions>;

/** An optimal assignment. */
export interface Assignment {
  /**
   * `rowToCol[i]` is the column assigned to row `i`, or `-1` when row `i` is left unassigned
   * (only when there are more rows than columns).
   */
  rowToCol: number[];
  /** `colToRow[j]` is the row assigned to column `j`, or `-1` (only when there are more columns than rows). */
  colToRow: number[];
  /** Sum of the chosen entries of the ORIGINAL matrix (not negated when maximizing). */
  total: number;
}

/**
 * Solves the rectangular linear assignment problem: choose min(n, m) entries of the n × m matrix,
 * no two in one row or column, with the smallest (or, with `maximize`, largest) sum. Exact, in
 * O(min(n,m)²·max(n,m)) float64 operations.
 *
 * @param cost - `number[][]` (equal-length rows) or a linalg {@link Matrix}; finite entries.
 * @throws LtrError `invalid-data` (path `cost`) for ragged rows or non-finite entries;
 *   `invalid-option` for bad options.
 */
export function linearSumAssignment(cost: Matrix | readonly (readonly number[])[], options?: LinearSumAssignmentOptions): Assignment {
  const { maximize } = parseOptions(linearSumAssignmentOptions, options);
  const { rows, cols, data } = readCost(cost);
  if (rows === 0 || cols === 0) {
    return { rowToCol: new Array<number>(rows).fill(-1), colToRow: new Array<number>(cols).fill(-1), total: 0 };
  }
  const sign = maximize ? -1 : 1;
  // Solve with the smaller dimension as "rows" (the algorithm needs n ≤ m).
  const transposed = rows > cols;
  const n = transposed ? cols : rows;
  const m = transposed ? rows : cols;
  const at = transposed ? (i: number, j: number) => sign * data[j * cols + i] : (i: number, j: number) => sign * data[i * cols + j];
  const match = assignRows(n, m, at);
  const rowToCol = new Array<number>(rows).fill(-1);
  const colToRow = new Array<number>(cols).fill(-1);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const j = match[i];
    const r = transposed ? j : i;
    const c = transposed ? i : j;
    rowToCol[r] = c;
    colToRow[c] = r;
    total += data[r * cols + c];
  }
  return { rowToCol, colToRow, total };
}

/**
 * Core routine: n ≤ m, returns for every row its column. Potentials u (rows) and v (columns) keep
 * reduced costs a(i,j) − u_i − v_j ≥ 0; each row is added by a Dijkstra-like search for the
 * shortest augmenting path in reduced costs. Indices are 1-based inside, 0 being a virtual column.
 */
function assignRows(n: number, m: number, a: (i: number, j: number) => number): Int32Array {
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1); // p[j]: row (1-based) matched to column j, 0 = free
  const way = new Int32Array(m + 1);
  const minv = new Float64Array(m + 1);
  const used = new Uint8Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      let delta = Infinity;
      let j1 = -1;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = a(i0 - 1, j - 1) - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  const match = new Int32Array(n);
  for (let j = 1; j <= m; j++) if (p[j] !== 0) match[p[j] - 1] = j - 1;
  return match;
}

function readCost(cost: unknown): { rows: number; cols: number; data: Float64Array } {
  if (Array.isArray(cost)) {
    const rows = cost.length;
    const cols = rows === 0 ? 0 : Array.isArray(cost[0]) ? (cost[0] as unknown[]).length : -1;
    const data = new Float64Array(rows * Math.max(cols, 0));
    for (let i = 0; i < rows; i++) {
      const row = cost[i] as unknown;
      if (!Array.isArray(row) || row.length !== cols) {
        throw new LtrError('invalid-data', `cost[${i}] must be an array of ${Math.max(cols, 0)} numbers like every other row (a rectangular cost matrix).`, { path: `cost[${i}]` });
      }
      for (let j = 0; j < cols; j++) {
        const x = row[j] as unknown;
        if (typeof x !== 'number' || !Number.isFinite(x)) {
          throw new LtrError('invalid-data', `cost[${i}][${j}] must be a finite number (got ${String(x)}). Replace forbidden pairs by a large finite cost.`, { path: `cost[${i}][${j}]` });
        }
        data[i * cols + j] = x;
      }
    }
    return { rows, cols: Math.max(cols, 0), data };
  }
  const m = cost as Partial<Matrix> | null;
  if (m && typeof m === 'object' && Number.isInteger(m.rows) && Number.isInteger(m.cols) && m.data instanceof Float64Array && m.data.length === m.rows! * m.cols!) {
    for (let k = 0; k < m.data.length; k++) {
      if (!Number.isFinite(m.data[k])) {
        const i = Math.floor(k / m.cols!);
        throw new LtrError('invalid-data', `cost[${i}][${k - i * m.cols!}] must be a finite number (got ${m.data[k]}).`, { path: `cost[${i}][${k - i * m.cols!}]` });
      }
    }
    return { rows: m.rows!, cols: m.cols!, data: m.data };
  }
  throw new LtrError('invalid-data', 'cost must be a number[][] or a linalg Matrix { rows, cols, data: Float64Array }.', { path: 'cost' });
}
