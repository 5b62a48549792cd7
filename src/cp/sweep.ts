/**
 * Rank sweeps: fit CP models of several ranks from several random starts, and summarize what a
 * user needs to choose the rank — the error of every start (tensortools' objective plot), how
 * similar the starts' solutions are to the best one (its similarity plot), and the core
 * consistency of the best model.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { rng } from '../backend/random';
import { ready } from '../backend/use';
import { LtrError } from '../validate/errors';
import { parseOptions, schemas } from '../validate/options';
import type { TensorLike } from '../validate/tensor';
import { cpAls } from './als';
import type { CPTensor, CPTensorHost } from './cp-tensor';
import { coreConsistency, matchHost } from './diagnostics';
import { prepareData } from './restarts';
import { cpNonneg } from './nonneg';
import { cpOpt } from './opt';
import { checkRank } from './options';
import { makeProvenance, type DecompositionResult, type Provenance } from './result';

/** What {@link rankSweep}'s `onProgress` receives after each fit. */
export interface RankSweepProgress {
  rank: number;
  /** 0-based index of the start within this rank. */
  restart: number;
  relError: number;
  /** Fits done so far and in total. */
  done: number;
  total: number;
}

const tensorLike = z.custom<TensorLike>((v) => v !== undefined && v !== null, 'must be a tensor-like 0/1 mask');

/**
 * Options of {@link rankSweep}:
 *
 * | field | default | meaning |
 * |---|---|---|
 * | `ranks` | required | the ranks to fit, distinct positive integers (e.g. `[1, 2, 3, 4, 5, 6]`) |
 * | `restarts` | 3 | random starts per rank (each a separate fit with its own seed) |
 * | `seed` | 0 | start k uses the k-th seed derived from this (the same seeds at every rank) |
 * | `method` | `'als'` | `'als'` (cpAls), `'nonneg'` (cpNonneg) or `'opt'` (cpOpt) |
 * | `maxIter` | 500 | per fit |
 * | `tol` | 1e-8 | per fit (relative change of the fit) |
 * | `mask` | none | 0/1, 1 = observed; passed to every fit |
 * | `ignoreWeights` | true | similarity without the weight penalty, as tensortools' `kruskal_align` |
 * | `keepModels` | false | keep each rank's best CP tensor in the result (the caller disposes them) |
 * | `onProgress` | none | called after every fit |
 * | `signal` | none | AbortSignal: stops between fits with `LtrError('aborted')` |
 */
export const rankSweepOptions = z.strictObject({
  ranks: z
    .array(schemas.positiveInt)
    .min(1, 'must list at least one rank')
    .refine((r) => new Set(r).size === r.length, 'must not repeat a rank'),
  restarts: schemas.positiveInt.default(3),
  seed: schemas.seed.default(0),
  method: z.enum(['als', 'nonneg', 'opt']).default('als'),
  maxIter: schemas.positiveInt.default(500),
  tol: schemas.nonNegative.default(1e-8),
  mask: tensorLike.optional(),
  ignoreWeights: z.boolean().default(true),
  keepModels: z.boolean().default(false),
  onProgress: schemas.callback<(p: RankSweepProgress) => void>().optional(),
  signal: schemas.signal.optional(),
});
/** Options of {@link rankSweep} as a caller writes them. */
export type RankSweepOptions = z.input<typeof rankSweepOptions>;

/** One rank of a {@link RankSweepResult}. */
export interface RankSweepEntry {
  rank: number;
  /** Relative error of every start, ascending (the first is the best). */
  relErrors: number[];
  /**
   * Factor match score of every start to the best one, in the order of `relErrors` (the first is
   * 1). Near 1 for all starts means the rank-R solution is unique and found reliably.
   */
  similarities: number[];
  /** Seed of every start, in the order of `relErrors`. */
  seeds: number[];
  /** Iterations and convergence of every start, in the order of `relErrors`. */
  iterations: number[];
  converged: boolean[];
  /** CORCONDIA of the best model (see `coreConsistency`); with a mask, on the data completed by that model. */
  coreConsistency: number;
  /** The best model (only with `keepModels: true`; the caller owns and disposes it). */
  cp?: CPTensor;
}

/** Result of {@link rankSweep}. */
export interface RankSweepResult {
  /** One entry per requested rank, in the order given. */
  ranks: RankSweepEntry[];
  provenance: Provenance;
}

/**
 * Fits CP models at each rank in `ranks` from `restarts` random starts (cpAls, cpNonneg or cpOpt),
 * and reports per rank the sorted errors, each start's factor match score to the best start, and
 * the best model's core consistency. How to read it: choose the smallest rank after which the
 * best error stops dropping sharply, whose starts agree (similarities ≈ 1) and whose core
 * consistency is still high (> ~80–90); beyond the true rank similarities fall and CORCONDIA drops.
 *
 * @throws LtrError `invalid-option` (`options.ranks`, `options.ranks.<i>` for an impossible rank,
 *   `options.method`, …), the decompositions' errors, `aborted`.
 *
 * @example
 * ```ts
 * const sweep = await rankSweep(x, { ranks: [1, 2, 3, 4, 5], restarts: 5 });
 * for (const r of sweep.ranks) console.log(r.rank, r.relErrors[0], Math.min(...r.similarities), r.coreConsistency);
 * ```
 */
export async function rankSweep(x: TensorLike, options: RankSweepOptions): Promise<RankSweepResult> {
  await ready();
  const startedAt = Date.now();
  const o = parseOptions(rankSweepOptions, options, 'options');
  const owned: tf.Tensor[] = [];
  const kept: CPTensor[] = [];
  try {
    const data = await prepareData(x, o.mask, owned);
    o.ranks.forEach((r, i) => checkRank(r, data.shape, `options.ranks.${i}`));
    const seeder = rng(o.seed);
    const seeds = [o.seed];
    for (let k = 1; k < o.restarts; k++) seeds.push(seeder.deriveSeed());
    const fit = o.method === 'als' ? cpAls : o.method === 'nonneg' ? cpNonneg : cpOpt;
    const total = o.ranks.length * o.restarts;
    let done = 0;
    const entries: RankSweepEntry[] = [];
    for (const rank of o.ranks) {
      const runs: { res: DecompositionResult; seed: number }[] = [];
      let keptCp: CPTensor | null = null;
      try {
        for (let k = 0; k < o.restarts; k++) {
          if (o.signal?.aborted) throw new LtrError('aborted', 'rankSweep was aborted through options.signal.', { path: 'options.signal' });
          const res = await fit(data.x, {
            rank,
            seed: seeds[k],
            restarts: 1,
            maxIter: o.maxIter,
            tol: o.tol,
            ...(data.mask ? { mask: data.mask } : {}),
            ...(o.signal ? { signal: o.signal } : {}),
          });
          runs.push({ res, seed: seeds[k] });
          done++;
          o.onProgress?.({ rank, restart: k, relError: res.relError, done, total });
        }
        runs.sort((a, b) => a.res.relError - b.res.relError);
        const hosts: CPTensorHost[] = [];
        for (const r of runs) hosts.push(await r.res.cp.toHost());
        const similarities = hosts.map((h, i) => (i === 0 ? 1 : matchHost(hosts[0], h, !o.ignoreWeights).score));
        const best = runs[0].res.cp;
        let cc: number;
        if (data.mask) {
          const mask = data.mask;
          const completed = tf.tidy(() => {
            const model = best.full();
            return tf.add(data.x, tf.mul(tf.sub(1, mask), model));
          });
          try {
            cc = await coreConsistency(completed, best);
          } finally {
            completed.dispose();
          }
        } else {
          cc = await coreConsistency(data.x, best);
        }
        const entry: RankSweepEntry = {
          rank,
          relErrors: runs.map((r) => r.res.relError),
          similarities,
          seeds: runs.map((r) => r.seed),
          iterations: runs.map((r) => r.res.iterations),
          converged: runs.map((r) => r.res.converged),
          coreConsistency: cc,
        };
        if (o.keepModels) {
          entry.cp = best;
          kept.push(best);
          keptCp = best;
        }
        entries.push(entry);
      } finally {
        for (const r of runs) if (r.res.cp !== keptCp) r.res.cp.dispose();
      }
    }
    return { ranks: entries, provenance: makeProvenance(o.seed, { function: 'rankSweep', ...o }, startedAt) };
  } catch (e) {
    for (const cp of kept) cp.dispose();
    throw e;
  } finally {
    for (const t of owned) t.dispose();
  }
}
