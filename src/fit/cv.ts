/**
 * `crossValidateRank`: fits every (rank, latentDim, seed) on one block mask and selects the rank
 * by the one-standard-error rule — the paper's model selection.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { makeProvenance, type Provenance } from '../cp/result';
import { ready } from '../backend/use';
import type { HostTensor } from '../train/masks';
import { LtrError } from '../validate/errors';
import { parseOptions, schemas } from '../validate/options';
import type { TensorLike } from '../validate/tensor';
import { fitPrepared, prepareData, serializableOptions } from './fit';
import { LtrFit, type LtrFitJSON } from './ltr-fit';
import { fitShape, fitLtrRNNOptions, refineFit, type ParsedFitOptions } from './options';
import { runPool, type WorkerTask } from './workers';
import { crossValidationCheckpointEntrySchema, type CrossValidationCheckpointEntry, type CrossValidationFitOutcome } from './cv-entry';

/** Progress of {@link crossValidateRank}. */
export interface CrossValidationProgress {
  /** Fits finished. */
  done: number;
  /** Fits in the sweep. */
  total: number;
  /** The fit reporting (a worker's, with concurrency > 1). */
  rank: number;
  latentDim: number | null;
  seed: number;
  /** Its step and iterations, and latest normalized test loss. */
  step: number;
  iterations: number;
  testLoss: number | null;
}

const fitFields = fitShape();
const { rank: _rank, latentDim: _latentDim, seed: _seed, resumeFrom: _resume, checkpointEvery: _ce, onCheckpoint: _oc, onProgress: _op, ...sharedFields } = fitFields;
void [_rank, _latentDim, _seed, _resume, _ce, _oc, _op];

/**
 * Options of {@link crossValidateRank}: every option of `fitLtrRNN` except `rank`, `latentDim`,
 * `seed`, `resumeFrom`, checkpoints and `onProgress`, plus:
 * - `ranks` [[1, 2, 3, 4, 5, 6]], `latentDims` [[the fit default]], `seeds` [[0, 1, 2]];
 * - `rule` ['oneStandardError'] or `'minimum'` (the rank with the lowest mean test loss);
 * - `concurrency` (default 1): fits run in this many Node worker threads, each with its own backend
 *   (`workerBackend`, default the active backend) and its own copy of the library, imported from
 *   `workerModule` ['ltr-rnn'];
 * - `keepFits` ['all']: `'all'` keeps every fit (entries[i].fit), `'json'` keeps their JSON only
 *   (entries[i].json) and the best fit, `'best'` only the best fit;
 * - `onProgress`, `signal`;
 * - `onEntry(entry)`: called (and awaited) each time one fit finishes, diverged ones included,
 *   with a {@link CrossValidationCheckpointEntry} (plain JSON data, the fit's JSON included) —
 *   collect them to checkpoint the sweep;
 * - `completed`: entries from an earlier `onEntry` (same data and options); those fits are not
 *   run again and count as if just computed, so a resumed sweep returns exactly what an
 *   uninterrupted one does (on the same backend).
 * The mask (`mask`, or `blockMask` options) is built once and shared by every fit.
 */
export const crossValidateRankOptions = z
  .strictObject({
    ...sharedFields,
    rank: z.never({ error: 'is set per fit: use ranks' }).optional(),
    latentDim: z.never({ error: 'is set per fit: use latentDims' }).optional(),
    seed: z.never({ error: 'is set per fit: use seeds' }).optional(),
    ranks: z.array(schemas.positiveInt).min(1, 'needs at least one rank').default([1, 2, 3, 4, 5, 6]),
    latentDims: z.array(schemas.positiveInt).min(1, 'needs at least one latent size').optional(),
    seeds: z.array(schemas.seed).min(1, 'needs at least one seed').default([0, 1, 2]),
    rule: z.enum(['oneStandardError', 'minimum']).default('oneStandardError'),
    concurrency: schemas.positiveInt.default(1),
    workerModule: z.union([z.string().min(1), z.instanceof(URL)]).optional(),
    workerBackend: z.string().min(1).optional(),
    keepFits: z.enum(['all', 'json', 'best']).default('all'),
    onProgress: schemas.callback<(p: CrossValidationProgress) => void>().optional(),
    onEntry: schemas.callback<(entry: CrossValidationCheckpointEntry) => void | Promise<void>>().optional(),
    completed: z.array(crossValidationCheckpointEntrySchema).optional(),
  })
  .superRefine((o, ctx) => {
    const minLatent = o.latentDims === undefined ? undefined : Math.min(...o.latentDims);
    refineFit({ ...o, rank: Math.max(...o.ranks), latentDim: minLatent }, ctx);
  });
/** Input of {@link crossValidateRankOptions}. */
export type CrossValidateRankOptions = z.input<typeof crossValidateRankOptions>;

/** One fit of the sweep. */
export interface CrossValidationEntry extends CrossValidationFitOutcome {
  /** The fit (`keepFits: 'all'`), else null. */
  fit: LtrFit | null;
  /** Its JSON (`keepFits: 'json'`), else null. */
  json: LtrFitJSON | null;
}

/** One row of the table: a (rank, latentDim) over seeds. */
export interface CrossValidationRow {
  rank: number;
  latentDim: number;
  /** Mean normalized test loss over the seeds that did not diverge. */
  mean: number;
  /** Its standard error: sample standard deviation / √(seeds); 0 with one seed. */
  se: number;
  /** Test loss of each seed, in `seeds` order (NaN: diverged). */
  losses: number[];
  /** Mean normalized train loss. */
  trainMean: number;
  /** Trainable parameters of the model. */
  parameters: number;
}

/** What {@link crossValidateRank} returns. Owns the fits: call `dispose()`. */
export interface CrossValidationResult {
  /** Every fit, in sweep order (rank, then latentDim, then seed). */
  entries: CrossValidationEntry[];
  /** Mean ± s.e. per (rank, latentDim). */
  table: CrossValidationRow[];
  /** The selected rank and the latent size it was chosen at. */
  selected: { rank: number; latentDim: number };
  /** The rule that selected it, and the threshold (best mean + its s.e. for the one-s.e. rule). */
  rule: { name: 'oneStandardError' | 'minimum'; bestRank: number; threshold: number };
  /** The fit with the lowest test loss at the selected rank and latent size. */
  best: LtrFit;
  /** The shared masks (host). */
  mask: { train: HostTensor; test: HostTensor };
  provenance: Provenance;
  /** Disposes every fit held (best included). */
  dispose(): void;
}

function meanOf(xs: number[]): number {
  return xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/**
 * Chooses a rank from a table of mean ± s.e. test losses. With `oneStandardError`: the smallest
 * rank whose mean is within one standard error of the best mean (the best row's s.e.); with
 * `minimum`: the rank of the best mean. For several latent sizes, each rank is represented by its
 * best latent size.
 */
export function selectRank(table: readonly CrossValidationRow[], rule: 'oneStandardError' | 'minimum'): { rank: number; latentDim: number; bestRank: number; threshold: number } {
  const perRank = new Map<number, CrossValidationRow>();
  for (const row of table) {
    if (!Number.isFinite(row.mean)) continue;
    const have = perRank.get(row.rank);
    if (have === undefined || row.mean < have.mean) perRank.set(row.rank, row);
  }
  const rows = [...perRank.values()].sort((a, b) => a.rank - b.rank);
  if (rows.length === 0) throw new LtrError('diverged', 'crossValidateRank: every fit diverged; lower learningRate or set clipNorm.', { path: 'options.learningRate' });
  const best = rows.reduce((a, b) => (b.mean < a.mean ? b : a));
  const threshold = rule === 'minimum' ? best.mean : best.mean + best.se;
  const chosen = rule === 'minimum' ? best : (rows.find((r) => r.mean <= threshold) as CrossValidationRow);
  return { rank: chosen.rank, latentDim: chosen.latentDim, bestRank: best.rank, threshold };
}

/**
 * Cross-validates the rank of an ltrRNN (or a baseline, with `model`): fits every combination of
 * `ranks` × `latentDims` × `seeds` on the same train/test block mask, tabulates the normalized
 * test loss (mean ± standard error over seeds) and selects a rank by the one-standard-error rule
 * (the smallest rank within one s.e. of the best). Fits run one after the other, or in
 * `concurrency` worker threads (Node), each with its own backend.
 *
 * Resumable: `onEntry` receives every finished fit as plain data, and `completed` takes them back
 * (see {@link crossValidationCheckpoint} for a whole checkpoint file). On abort (`signal`) every
 * fit that finished before it has gone through `onEntry` (and its promise settled) when the
 * `aborted` error is thrown; the fits in flight stop before their next step.
 *
 * @example
 * ```ts
 * const cv = await crossValidateRank(x, { ranks: [1, 2, 3, 4, 5, 6], seeds: [0, 1, 2], latentDims: [30], conditions });
 * console.table(cv.table.map((r) => ({ rank: r.rank, mean: r.mean, se: r.se })));
 * console.log('selected rank', cv.selected.rank);
 * cv.dispose();
 * ```
 * @throws LtrError as {@link fitLtrRNN} (before any fit starts for bad data, options or masks),
 * `invalid-option` naming `options.completed[i]` for a completed entry that is not a fit of this
 * sweep (other rank, latent size, seed, model, loss, data shape or backend) or is given twice,
 * `unsupported` when workers cannot start, `aborted`, `diverged` when every fit diverged; an error
 * thrown by `onEntry` stops the sweep and is rethrown.
 */
export async function crossValidateRank(data: TensorLike, options: CrossValidateRankOptions = {}): Promise<CrossValidationResult> {
  await ready();
  const startedAt = Date.now();
  const o = parseOptions(crossValidateRankOptions, options);
  const { ranks, latentDims, seeds, rule, concurrency, workerModule, workerBackend, keepFits, onProgress, onEntry, completed, signal, ...rest } = o;
  if (concurrency > 1 && typeof rest.schedule === 'function') {
    throw new LtrError('invalid-option', 'options.schedule is a function, which cannot be sent to worker threads; use a schedule object ({ type: … }) or concurrency: 1.', { path: 'options.schedule' });
  }
  // The options every fit shares, parsed (defaults filled) once with a placeholder rank.
  const base = parseOptions(fitLtrRNNOptions, { ...stripUndefined(rest), rank: Math.min(...ranks) }) as ParsedFitOptions;
  const p = await prepareData(data, base);
  const entries: CrossValidationEntry[] = [];
  const jsons: (LtrFitJSON | null)[] = [];
  const keptFits: LtrFit[] = [];
  try {
    const [T, K, D] = p.shape;
    const dims = latentDims ?? [undefined];
    const tasks: WorkerTask[] = [];
    for (const rank of ranks) for (const latentDim of dims) for (const seed of seeds) tasks.push({ id: tasks.length, rank, latentDim, seed });
    // Resolve every task's options up front, so that impossible combinations fail before any fit.
    const taskOptions = tasks.map((t) => parseOptions(fitLtrRNNOptions, { ...stripUndefined(rest), rank: t.rank, ...(t.latentDim !== undefined ? { latentDim: t.latentDim } : {}), seed: t.seed }) as ParsedFitOptions);
    for (const to of taskOptions) {
      const latent = to.latentDim ?? Math.min(200, D);
      if (to.rank > latent) throw new LtrError('invalid-option', `options.ranks includes ${to.rank}, larger than latentDim ${latent}: rank ≤ latentDim.`, { path: 'options.ranks' });
    }
    for (const t of tasks) {
      entries.push({ rank: t.rank, latentDim: t.latentDim ?? Math.min(200, D), seed: t.seed, trainLoss: Number.NaN, testLoss: Number.NaN, iterations: 0, stoppedBy: '', parameters: null, durationMs: 0, error: null, fit: null, json: null });
      jsons.push(null);
    }
    let done = 0;
    const record = (id: number, fit: LtrFit | null, json: LtrFitJSON | null, durationMs: number): void => {
      const e = entries[id];
      const losses = fit?.losses ?? json?.losses;
      if (losses) {
        e.trainLoss = losses.train;
        e.testLoss = losses.test;
        e.iterations = losses.iterations;
        e.stoppedBy = losses.stoppedBy;
      }
      e.parameters = fit?.parameters ?? json?.parameters ?? null;
      e.latentDim = fit?.latentDim ?? json?.config.latentDim ?? e.latentDim;
      e.durationMs = durationMs;
      done++;
    };
    const entryOf = (id: number, json: LtrFitJSON | null): CrossValidationCheckpointEntry => {
      const e = entries[id];
      return { rank: e.rank, latentDim: e.latentDim, seed: e.seed, trainLoss: e.trainLoss, testLoss: e.testLoss, iterations: e.iterations, stoppedBy: e.stoppedBy, parameters: e.parameters, durationMs: e.durationMs, error: e.error, json };
    };

    // ---- fits finished by an earlier run
    const useWorkers = concurrency > 1 && tasks.length > 1;
    const backend = fitBackend(concurrency, tasks.length, workerBackend);
    const isDone = tasks.map(() => false);
    (completed ?? []).forEach((c, i) => {
      const path = `options.completed[${i}]`;
      const what = `a fit with rank ${c.rank}, latentDim ${c.latentDim}, seed ${c.seed}`;
      const id = tasks.findIndex((t) => t.rank === c.rank && t.seed === c.seed && entries[t.id].latentDim === c.latentDim);
      if (id < 0) {
        throw new LtrError(
          'invalid-option',
          `${path} is ${what}, which is not in this sweep (ranks [${ranks.join(', ')}], latentDims [${[...new Set(entries.map((e) => e.latentDim))].join(', ')}], seeds [${seeds.join(', ')}]). Resume with the options the entries were made with.`,
          { path },
        );
      }
      if (isDone[id]) throw new LtrError('invalid-option', `${path} is ${what}, which an earlier entry of options.completed already gives; give each fit once.`, { path });
      const j = c.json as LtrFitJSON | null;
      if (j !== null) {
        const mismatch = (field: string, got: unknown, want: unknown): LtrError =>
          new LtrError('invalid-option', `${path} is ${what} but its json has ${field} ${String(got)} where this sweep has ${String(want)}: the entry comes from another sweep (other data or options). Resume with the data and options it was made with.`, { path });
        if (j.config.rank !== c.rank) throw mismatch('rank', j.config.rank, c.rank);
        if (j.config.latentDim !== c.latentDim) throw mismatch('latentDim', j.config.latentDim, c.latentDim);
        if (j.config.seed !== c.seed) throw mismatch('seed', j.config.seed, c.seed);
        if (j.config.model !== base.model) throw mismatch('model', j.config.model, base.model);
        if (j.config.loss !== p.loss) throw mismatch('loss', j.config.loss, p.loss);
        const shape = j.metadata.dataShape;
        if (shape.some((d, k) => d !== p.shape[k])) throw mismatch('data shape', `[${shape.join(', ')}]`, `[${p.shape.join(', ')}]`);
        const b = j.provenance.backend;
        if (typeof b === 'string' && b !== backend) {
          throw new LtrError('invalid-option', `${path} was fitted on backend '${b}' but this sweep fits on '${backend}'; the numbers differ between backends, so resume on the backend the entries were made on.`, { path });
        }
      }
      isDone[id] = true;
      Object.assign(entries[id], { latentDim: c.latentDim, trainLoss: c.trainLoss, testLoss: c.testLoss, iterations: c.iterations, stoppedBy: c.stoppedBy, parameters: c.parameters, durationMs: c.durationMs, error: c.error });
      jsons[id] = j;
      done++;
    });
    const todo = tasks.filter((t) => !isDone[t.id]);

    const runWorkers = async (): Promise<void> => {
      const hostData = await p.y.data();
      const train = await p.train.data();
      const test = await p.test.data();
      const workerOptions = serializableOptions(base, null);
      delete workerOptions.blockMask;
      delete workerOptions.rank;
      delete workerOptions.seed;
      delete workerOptions.latentDim;
      workerOptions.loss = p.loss;
      const meta = p.metadata;
      workerOptions.conditions = meta.conditions;
      workerOptions.trialIds = meta.trialIds;
      if (meta.epochs !== null) workerOptions.epochs = meta.epochs;
      if (meta.times !== null) workerOptions.times = meta.times;
      // The pool stops on the user's abort, or when onEntry fails (its error is rethrown).
      const stop = new AbortController();
      const forward = (): void => stop.abort();
      if (signal?.aborted) stop.abort();
      else signal?.addEventListener('abort', forward, { once: true });
      let chain: Promise<void> = Promise.resolve();
      let entryError: { error: unknown } | null = null;
      const emit = (id: number, json: LtrFitJSON | null): void => {
        if (onEntry === undefined) return;
        const entry = entryOf(id, json);
        chain = chain
          .then(async () => {
            if (entryError === null) await onEntry(entry);
          })
          .catch((err: unknown) => {
            if (entryError === null) entryError = { error: err };
            stop.abort();
          });
      };
      let poolError: { error: unknown } | null = null;
      try {
        await runPool(
          {
            concurrency,
            module: workerModule === undefined ? 'ltr-rnn' : String(workerModule),
            backend,
            data: Float32Array.from(hostData),
            shape: [T, K, D],
            train: Float32Array.from(train),
            test: Float32Array.from(test),
            options: workerOptions,
            progressEvery: 10,
          },
          todo,
          {
            onProgress: (id, q) => onProgress?.({ done, total: tasks.length, rank: tasks[id].rank, latentDim: tasks[id].latentDim ?? null, seed: tasks[id].seed, step: q.step, iterations: q.total, testLoss: q.testLoss }),
            onDone: (id, json, ms) => {
              jsons[id] = json;
              record(id, null, json, ms);
              onProgress?.({ done, total: tasks.length, rank: tasks[id].rank, latentDim: tasks[id].latentDim ?? null, seed: tasks[id].seed, step: json.losses.iterations, iterations: json.losses.iterations, testLoss: json.losses.test });
              emit(id, json);
            },
            onDiverged: (id, message) => {
              entries[id].error = message;
              done++;
              emit(id, null);
            },
          },
          stop.signal,
        );
      } catch (err) {
        poolError = { error: err };
      } finally {
        signal?.removeEventListener('abort', forward);
      }
      // Every finished fit has been through onEntry before this returns or throws.
      await chain;
      if (entryError !== null) throw (entryError as { error: unknown }).error;
      if (poolError !== null) throw poolError.error;
    };

    if (useWorkers) {
      if (todo.length > 0) await runWorkers();
    } else {
      for (const t of todo) {
        if (signal?.aborted) throw new LtrError('aborted', 'crossValidateRank was aborted through options.signal.', { path: 'options.signal' });
        const to = taskOptions[t.id];
        const t0 = Date.now();
        let fit: LtrFit;
        try {
          fit = await fitPrepared(
            p,
            {
              ...to,
              ...(signal !== undefined ? { signal } : {}),
              ...(onProgress !== undefined ? { onProgress: (q) => onProgress({ done, total: tasks.length, rank: t.rank, latentDim: t.latentDim ?? null, seed: t.seed, step: q.step, iterations: q.total, testLoss: q.testLoss }) } : {}),
            },
            t0,
          );
        } catch (err) {
          if (err instanceof LtrError && err.code === 'diverged') {
            entries[t.id].error = err.message;
            entries[t.id].durationMs = Date.now() - t0;
            done++;
            if (onEntry !== undefined) await onEntry(entryOf(t.id, null));
            continue;
          }
          if (err instanceof LtrError && err.code === 'aborted') throw new LtrError('aborted', 'crossValidateRank was aborted through options.signal.', { path: 'options.signal', cause: err });
          throw err;
        }
        record(t.id, fit, null, Date.now() - t0);
        let json: LtrFitJSON | null = null;
        if (keepFits === 'all') {
          entries[t.id].fit = fit;
          keptFits.push(fit);
          if (onEntry !== undefined) json = await fit.toJSON();
        } else {
          try {
            json = await fit.toJSON();
          } finally {
            fit.dispose();
          }
          jsons[t.id] = json;
        }
        if (onEntry !== undefined) await onEntry(entryOf(t.id, json));
      }
    }

    // ---- table and selection
    const table: CrossValidationRow[] = [];
    for (const rank of ranks) {
      for (const latentDim of dims) {
        const rows = entries.filter((e, i) => tasks[i].rank === rank && tasks[i].latentDim === latentDim);
        const ok = rows.filter((e) => e.error === null && Number.isFinite(e.testLoss));
        const m = meanOf(ok.map((e) => e.testLoss));
        const sd = ok.length > 1 ? Math.sqrt(ok.reduce((s, e) => s + (e.testLoss - m) ** 2, 0) / (ok.length - 1)) : 0;
        table.push({
          rank,
          latentDim: rows[0].latentDim,
          mean: ok.length > 0 ? m : Number.POSITIVE_INFINITY,
          se: ok.length > 0 ? sd / Math.sqrt(ok.length) : 0,
          losses: rows.map((e) => (e.error === null ? e.testLoss : Number.NaN)),
          trainMean: meanOf(ok.map((e) => e.trainLoss)),
          parameters: rows.find((e) => e.parameters !== null)?.parameters?.total ?? Number.NaN,
        });
      }
    }
    const sel = selectRank(table, rule);
    let bestIdx = -1;
    entries.forEach((e, i) => {
      if (e.rank === sel.rank && e.latentDim === sel.latentDim && e.error === null && (bestIdx < 0 || e.testLoss < entries[bestIdx].testLoss)) bestIdx = i;
    });
    let best: LtrFit;
    if (entries[bestIdx].fit !== null) best = entries[bestIdx].fit as LtrFit;
    else {
      best = LtrFit.fromJSON(jsons[bestIdx]);
      keptFits.push(best);
    }
    if (keepFits === 'all') {
      // Fits that came as JSON (from workers, or from options.completed).
      entries.forEach((e, i) => {
        if (i === bestIdx || e.fit !== null || jsons[i] === null) return;
        e.fit = LtrFit.fromJSON(jsons[i]);
        keptFits.push(e.fit);
      });
      entries[bestIdx].fit = best;
    }
    if (keepFits === 'json') entries.forEach((e, i) => (e.json = jsons[i]));
    const trainHost = await p.train.data();
    const testHost = await p.test.data();
    const provenanceOptions = { ...serializableOptions(base, null), ranks, latentDims: latentDims ?? 'default', seeds, rule, concurrency };
    delete (provenanceOptions as Record<string, unknown>).rank;
    delete (provenanceOptions as Record<string, unknown>).seed;
    const result: CrossValidationResult = {
      entries,
      table,
      selected: { rank: sel.rank, latentDim: sel.latentDim },
      rule: { name: rule, bestRank: sel.bestRank, threshold: sel.threshold },
      best,
      mask: { train: { data: Float32Array.from(trainHost), shape: [T, K, D] }, test: { data: Float32Array.from(testHost), shape: [T, K, D] } },
      provenance: makeProvenance(seeds[0], provenanceOptions, startedAt),
      dispose() {
        for (const f of keptFits) f.dispose();
      },
    };
    return result;
  } catch (e) {
    for (const f of keptFits) f.dispose();
    throw e;
  } finally {
    p.dispose();
  }
}

/** @internal The backend the fits of a sweep run on: the workers' with concurrency > 1 and several fits, else the active one. */
export function fitBackend(concurrency: number, taskCount: number, workerBackend: string | undefined): string {
  return concurrency > 1 && taskCount > 1 ? (workerBackend ?? tf.getBackend()) : tf.getBackend();
}

/** @internal Drops the keys whose value is undefined. */
export function stripUndefined<T extends Record<string, unknown>>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}
