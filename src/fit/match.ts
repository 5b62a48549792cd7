/**
 * `trialFactorMatch`: how well two sets of trial factors (K × R, e.g. a fit's and the ground
 * truth's, or two seeds') agree, after the best one-to-one matching of their components.
 */
import { z } from 'zod';
import { ready } from '../backend/use';
import { linearSumAssignment } from '../cp/hungarian';
import type { Matrix } from '../linalg/matrix';
import { LtrError } from '../validate/errors';
import { parseOptions } from '../validate/options';
import { toTensor, type TensorLike } from '../validate/tensor';

/**
 * Options of {@link trialFactorMatch}.
 * - `center` (default true): compare the components' changes over trials (each column minus its
 *   mean), i.e. the similarity is |Pearson correlation|. Trial factors sit on an offset (gains near
 *   β), so uncentered cosines are close to 1 for any two sets and say little.
 */
export const trialFactorMatchOptions = z.strictObject({ center: z.boolean().default(true) });
/** Input of {@link trialFactorMatchOptions}. */
export type TrialFactorMatchOptions = z.input<typeof trialFactorMatchOptions>;

/** Result of {@link trialFactorMatch}. */
export interface TrialFactorMatch {
  /** Mean |similarity| of the matched components, in [0, 1]. */
  score: number;
  /** Columns of `a` in the order matched to `b`'s columns (then a's unmatched ones). */
  permutation: number[];
  /** Matched pairs in b's order. */
  pairs: { a: number; b: number; similarity: number }[];
  /** Ra × Rb matrix of |similarities|. */
  similarity: Matrix;
}

/**
 * Factor match score of two trial-factor matrices with the same number of trials K: the
 * |correlation| (or |cosine| with `center: false`) of every pair of columns, the matching that
 * maximizes their sum (Hungarian algorithm), and the mean over the min(Ra, Rb) matched pairs.
 * Sign and scale do not matter (a CP component's sign and scale can move between factors).
 *
 * @throws LtrError `shape-mismatch` when the trial counts differ; `invalid-data` for NaN or a
 * constant column with `center`.
 */
export async function trialFactorMatch(a: TensorLike, b: TensorLike, options?: TrialFactorMatchOptions): Promise<TrialFactorMatch> {
  await ready();
  const o = parseOptions(trialFactorMatchOptions, options);
  const read = async (x: TensorLike, name: string): Promise<{ k: number; r: number; v: Float64Array }> => {
    const t = await toTensor(x, { name, rank: 2 });
    try {
      return { k: t.shape[0], r: t.shape[1] as number, v: Float64Array.from(await t.data()) };
    } finally {
      t.dispose();
    }
  };
  const A = await read(a, 'a');
  const B = await read(b, 'b');
  if (A.k !== B.k) throw new LtrError('shape-mismatch', `a has ${A.k} trials (rows) but b has ${B.k}; trial factors are compared trial by trial.`, { path: 'b' });
  const columns = (m: { k: number; r: number; v: Float64Array }, name: string): Float64Array[] =>
    Array.from({ length: m.r }, (_, j) => {
      const col = Float64Array.from({ length: m.k }, (_, i) => m.v[i * m.r + j]);
      if (o.center) {
        const mean = col.reduce((s, x) => s + x, 0) / m.k;
        for (let i = 0; i < m.k; i++) col[i] -= mean;
      }
      const nrm = Math.sqrt(col.reduce((s, x) => s + x * x, 0));
      if (!(nrm > 0)) throw new LtrError('invalid-data', `${name}[:, ${j}] is ${o.center ? 'constant' : 'zero'}: it has no direction to compare${o.center ? ' (use center: false to compare offsets)' : ''}.`, { path: name });
      for (let i = 0; i < m.k; i++) col[i] /= nrm;
      return col;
    });
  const ca = columns(A, 'a');
  const cb = columns(B, 'b');
  const sim: Matrix = { rows: A.r, cols: B.r, data: new Float64Array(A.r * B.r) };
  for (let i = 0; i < A.r; i++) for (let j = 0; j < B.r; j++) sim.data[i * B.r + j] = Math.abs(ca[i].reduce((s, x, t) => s + x * cb[j][t], 0));
  const { colToRow, rowToCol } = linearSumAssignment(sim, { maximize: true });
  const pairs: TrialFactorMatch['pairs'] = [];
  for (let j = 0; j < B.r; j++) if (colToRow[j] >= 0) pairs.push({ a: colToRow[j], b: j, similarity: sim.data[colToRow[j] * B.r + j] });
  const permutation = pairs.map((p) => p.a);
  for (let i = 0; i < A.r; i++) if (rowToCol[i] < 0) permutation.push(i);
  return { score: pairs.reduce((s, p) => s + p.similarity, 0) / Math.min(A.r, B.r), permutation, pairs, similarity: sim };
}
