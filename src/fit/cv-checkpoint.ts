/**
 * A checkpoint file for `crossValidateRank`: the finished fits (`onEntry`) with what they were
 * made from (data shape and hash, backend, the options that change the numbers), so that a
 * resumed sweep can refuse a checkpoint of another sweep before passing its entries as
 * `completed`.
 */
import { z } from 'zod';
import { ready } from '../backend/use';
import { LtrError } from '../validate/errors';
import { parseOptions } from '../validate/options';
import { toTensor, type TensorLike } from '../validate/tensor';
import { crossValidateRankOptions, fitBackend, stripUndefined, type CrossValidateRankOptions } from './cv';
import { crossValidationCheckpointEntrySchema, type CrossValidationCheckpointEntry } from './cv-entry';
import { serializableOptions } from './fit';
import { fitLtrRNNOptions, type ParsedFitOptions } from './options';

/**
 * A resumable `crossValidateRank` sweep, as plain JSON: build it with
 * {@link crossValidationCheckpoint}, push each `onEntry` entry to `entries` (and write it out),
 * and on resume check it with {@link checkCrossValidationCheckpoint} and pass `entries` as
 * `completed`.
 */
export interface CrossValidationCheckpoint {
  format: 'ltr-rnn/cv-checkpoint';
  version: 1;
  /** time × trial × neuron. */
  dataShape: [number, number, number];
  /** Hash of the data's float32 values (`'h64:…'`); not a cryptographic hash. */
  dataHash: string;
  /** The backend the fits run on (the numbers differ between backends). */
  backend: string;
  /**
   * The options that change the fits' numbers, resolved (defaults filled): every fit option,
   * `ranks`, `latentDims`, `seeds`, the metadata arrays and the mask (`blockMask` options, or the
   * hashes of a given `mask`). Not: `rule`, `concurrency`, `workerModule`, `keepFits`, callbacks.
   */
  options: Record<string, unknown>;
  /** The finished fits, in the order they finished. */
  entries: CrossValidationCheckpointEntry[];
}

/** zod schema of {@link CrossValidationCheckpoint} (as written by `JSON.stringify`, NaN losses as `null`). */
export const crossValidationCheckpointSchema = z.strictObject({
  format: z.literal('ltr-rnn/cv-checkpoint'),
  version: z.literal(1),
  dataShape: z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]),
  dataHash: z.string(),
  backend: z.string().min(1),
  options: z.record(z.string(), z.unknown()),
  entries: z.array(crossValidationCheckpointEntrySchema),
});

/** Two 32-bit multiplicative lanes over the float32 bit patterns, with the length. */
function hashFloats(values: Float32Array): string {
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length);
  let a = 0x811c9dc5;
  let b = 0x9e3779b9 ^ values.length;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    a = Math.imul(a ^ w, 0x01000193);
    b = Math.imul(b ^ w, 0x85ebca77);
    b = (b << 13) | (b >>> 19);
  }
  const mix = (h: number): number => {
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  };
  return `h64:${mix(a).toString(16).padStart(8, '0')}${mix(b ^ a).toString(16).padStart(8, '0')}`;
}

async function hashTensor(input: TensorLike, name: string): Promise<{ shape: number[]; hash: string }> {
  const t = await toTensor(input, { name, rank: 3 });
  try {
    return { shape: [...t.shape], hash: hashFloats((await t.data()) as Float32Array) };
  } finally {
    t.dispose();
  }
}

/** JSON text with sorted keys (for comparing options). */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** What identifies a sweep: data shape and hash, backend, the options that change the numbers. */
async function describeSweep(data: TensorLike, options: CrossValidateRankOptions): Promise<Omit<CrossValidationCheckpoint, 'format' | 'version' | 'entries'>> {
  const o = parseOptions(crossValidateRankOptions, options);
  const { ranks, latentDims, seeds, rule, concurrency, workerModule, workerBackend, keepFits, onProgress, onEntry, completed, signal, ...rest } = o;
  void [rule, workerModule, keepFits, onProgress, onEntry, completed, signal];
  if (typeof rest.schedule === 'function') {
    throw new LtrError('invalid-option', 'options.schedule is a function, which a checkpoint cannot record; use a schedule object ({ type: … }) to checkpoint the sweep.', { path: 'options.schedule' });
  }
  const base = parseOptions(fitLtrRNNOptions, { ...stripUndefined(rest), rank: Math.min(...ranks) }) as ParsedFitOptions;
  const opts = serializableOptions(base, null);
  delete opts.rank;
  delete opts.seed;
  opts.ranks = ranks;
  opts.latentDims = latentDims ?? 'default';
  opts.seeds = seeds;
  for (const k of ['conditions', 'trialIds', 'epochs', 'times'] as const) {
    const v = base[k];
    if (v !== undefined) opts[k] = Array.from(v as ArrayLike<number | string>);
  }
  if (base.mask !== undefined) opts.mask = { train: await hashTensor(base.mask.train, 'options.mask.train'), test: await hashTensor(base.mask.test, 'options.mask.test') };
  const d = await hashTensor(data, 'data');
  return {
    dataShape: d.shape as [number, number, number],
    dataHash: d.hash,
    backend: fitBackend(concurrency, ranks.length * (latentDims?.length ?? 1) * seeds.length, workerBackend),
    options: JSON.parse(canonical(opts)) as Record<string, unknown>,
  };
}

/**
 * A new, empty checkpoint for `crossValidateRank(data, options)`: push the entries `onEntry`
 * receives to its `entries` and write it (`JSON.stringify`) as the sweep goes.
 *
 * @example
 * ```ts
 * const checkpoint = await crossValidationCheckpoint(x, options);
 * const cv = await crossValidateRank(x, { ...options, signal, onEntry: async (e) => {
 *   checkpoint.entries.push(e);
 *   await writeFile('cv-checkpoint.json', JSON.stringify(checkpoint));
 * } });
 * ```
 * @throws LtrError as `crossValidateRank` for bad options or data (it reads the data to hash
 * them), `invalid-option` for a `schedule` function (a checkpoint cannot record it).
 */
export async function crossValidationCheckpoint(data: TensorLike, options: CrossValidateRankOptions = {}): Promise<CrossValidationCheckpoint> {
  await ready();
  return { format: 'ltr-rnn/cv-checkpoint', version: 1, ...(await describeSweep(data, options)), entries: [] };
}

/**
 * Checks that `checkpoint` (a parsed checkpoint file) was made for these data, options and
 * backend, and returns it validated (NaN losses restored); pass its `entries` as
 * `crossValidateRank(data, { ...options, completed: checkpoint.entries })`. Options that do not
 * change the numbers (`rule`, `concurrency`, `keepFits`, callbacks) may differ.
 *
 * @example
 * ```ts
 * const checkpoint = await checkCrossValidationCheckpoint(JSON.parse(await readFile('cv-checkpoint.json', 'utf8')), x, options);
 * const cv = await crossValidateRank(x, { ...options, completed: checkpoint.entries, onEntry: … });
 * ```
 * @throws LtrError `invalid-data` naming the field when it is not a checkpoint (path
 * `checkpoint…`), `shape-mismatch` for data of another shape, `invalid-data` for other data of
 * the same shape (path `data`), `invalid-option` for another backend (`checkpoint.backend`) or
 * another value of an option (naming it: `options.iterations`).
 */
export async function checkCrossValidationCheckpoint(checkpoint: unknown, data: TensorLike, options: CrossValidateRankOptions = {}): Promise<CrossValidationCheckpoint> {
  await ready();
  const r = crossValidationCheckpointSchema.safeParse(checkpoint);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = ['checkpoint', ...issue.path.map(String)].join('.');
    throw new LtrError('invalid-data', `${path}: ${issue.message}. Expected a cross-validation checkpoint (format 'ltr-rnn/cv-checkpoint', made by crossValidationCheckpoint).`, { path });
  }
  const c = r.data as CrossValidationCheckpoint;
  const now = await describeSweep(data, options);
  if (c.dataShape.some((d, i) => d !== now.dataShape[i])) {
    throw new LtrError('shape-mismatch', `The checkpoint was made for data of shape [${c.dataShape.join(', ')}]; these data have [${now.dataShape.join(', ')}]. Resume with the data of the interrupted run, or start afresh.`, { path: 'data' });
  }
  if (c.dataHash !== now.dataHash) {
    throw new LtrError('invalid-data', `The checkpoint was made for other data of the same shape [${c.dataShape.join(', ')}] (data hash ${c.dataHash}, these data ${now.dataHash}). Resume with the data of the interrupted run, or start afresh.`, { path: 'data' });
  }
  if (c.backend !== now.backend) {
    throw new LtrError('invalid-option', `The checkpoint's fits ran on backend '${c.backend}' but this sweep would run on '${now.backend}'; the numbers differ between backends, so resume on '${c.backend}' (or start afresh).`, { path: 'checkpoint.backend' });
  }
  const keys = [...new Set([...Object.keys(c.options), ...Object.keys(now.options)])].sort();
  for (const k of keys) {
    const was = canonical(c.options[k]);
    const is = canonical(now.options[k]);
    if (was !== is) {
      const show = (o: Record<string, unknown>, s: string): string => (!(k in o) ? 'unset' : s.length > 80 ? `${s.slice(0, 77)}…` : s);
      throw new LtrError(
        'invalid-option',
        `The checkpoint was made with options.${k} = ${show(c.options, was)}, but these options give ${show(now.options, is)}. Resume with the options of the interrupted run, or start afresh.`,
        { path: `options.${k}` },
      );
    }
  }
  return c;
}
