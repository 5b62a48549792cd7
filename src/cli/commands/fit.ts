/**
 * `ltr-rnn fit <data.npy>`: cross-validates the rank of an ltrRNN fitted to the user's recording
 * (time × trial × neuron) with `crossValidateRank`, checkpointing every finished fit so that an
 * interrupted run continues with `--resume`.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { crossValidateRank, type CrossValidateRankOptions, type CrossValidationResult } from '../../fit/cv';
import { checkCrossValidationCheckpoint, crossValidationCheckpoint, type CrossValidationCheckpoint } from '../../fit/cv-checkpoint';
import type { CrossValidationCheckpointEntry } from '../../fit/cv-entry';
import { tensorToNpy, writeNpy } from '../../io/files';
import { methodsText } from '../../report/index';
import { LtrError, isLtrError } from '../../validate/errors';
import { UsageError, parseChoice, parseInteger, parseIntegerList, parseSeeds, type FlagValues } from '../args';
import type { Command, CommandContext, CommandResult } from '../context';
import { duration, num, toJSONText } from '../format';
import { asFloat32, asIntegers, asNumbers, asVector, isIntegerDtype, loadArray } from '../inputs';
import { cvTable } from '../tables';

const NAME = 'fit';
const EXIT_INTERRUPTED = 130;
const CHECKPOINT = 'checkpoint.json';

export const fitCommand: Command = {
  name: NAME,
  summary: "cross-validate an ltrRNN's rank on your recording (time × trial × neuron)",
  help: `Usage: ltr-rnn fit <data.npy|npz> [options]

Fits low-tensor-rank RNNs (ltrRNN) of every rank in --ranks, from every seed in --seeds, to the
recording on one train/test block mask, and selects the rank by the one-standard-error rule
(crossValidateRank). Data: a 3-D array time × trial × neuron (float, or integer spike counts,
which select the Poisson loss). Each finished fit is saved to <out>/checkpoint.json; after Ctrl-C
rerun the same command with --resume to continue where it stopped.

Writes to <out>: cv.json (table, selected rank, every fit's losses, provenance), best-fit.json
(the best fit at the selected rank, LtrFit JSON), trial-factors.npy (its trial factors, trials ×
rank), trial-factors-latent.npy (their smooth part), methods.md (a methods paragraph + BibTeX).

Options:
  --key K               the array to read from a .npz archive (or write data.npz:K)
  --conditions c.npy    condition id of each trial (integers)
  --trial-ids t.npy     trial number of each trial (for the trial prior; default 0 … K−1)
  --epochs e.npy        epoch label of each trial (numbers)
  --ranks LIST          ranks to fit: '1-6', '1,2,4' [1-6]
  --latent N[,N…]       latent units of the network [min(200, neurons)]
  --seeds N|LIST        N seeds from --seed, or the seeds themselves ('0,1,2') [3]
  --iterations n        training steps per fit (early stopping may end sooner) [3000]
  --learning-rate x     Adam learning rate [0.001]
  --loss L              auto | mse | poisson [auto: poisson for integer data, else mse]
  --concurrency n       fits in parallel, in worker threads [1]
  --out dir             output folder [ltr-rnn-fit]
  --resume              continue the interrupted run whose checkpoint is in <out>
  --seed s              first seed (with --seeds N) [0]

Arrays of a .npz archive can be named as file.npz:key for every input.

Examples:
  ltr-rnn fit recording.npy --conditions conditions.npy --ranks 1-6 --seeds 3 --out fit1
  ltr-rnn fit recording.npy --conditions conditions.npy --ranks 1-6 --seeds 3 --out fit1 --resume
`,
  flags: {
    key: { type: 'string' },
    conditions: { type: 'string' },
    'trial-ids': { type: 'string' },
    epochs: { type: 'string' },
    ranks: { type: 'string' },
    latent: { type: 'string' },
    seeds: { type: 'string' },
    iterations: { type: 'string' },
    'learning-rate': { type: 'string' },
    loss: { type: 'string' },
    concurrency: { type: 'string' },
    out: { type: 'string' },
    resume: { type: 'boolean' },
  },
  positionals: { min: 1, max: 1, names: ['data.npy'] },
  needsBackend: true,
  run: runFit,
};

/** `file.npz:key` → { path, key }; anything else → { path }. */
export function splitKey(arg: string): { path: string; key?: string } {
  const m = /^(.*\.npz):([^/\\:]+)$/i.exec(arg);
  return m ? { path: m[1], key: m[2] } : { path: arg };
}

async function readInput(ctx: CommandContext, arg: string, flag: string, key?: string) {
  const s = splitKey(arg);
  const k = key ?? s.key;
  return loadArray(ctx.path(s.path), { ...(k !== undefined ? { key: k } : {}), keyFlag: flag === 'data' ? '--key' : `${flag} (file.npz:key)` });
}

async function runFit(ctx: CommandContext, v: FlagValues, [file]: string[]): Promise<CommandResult> {
  const seed = ctx.globals.seed;
  const ranks = typeof v.ranks === 'string' ? parseIntegerList('--ranks', v.ranks, { min: 1, command: NAME }) : [1, 2, 3, 4, 5, 6];
  const seeds = typeof v.seeds === 'string' ? parseSeeds('--seeds', v.seeds, seed, NAME) : [seed, seed + 1, seed + 2];
  const latentDims = typeof v.latent === 'string' ? parseIntegerList('--latent', v.latent, { min: 1, command: NAME }) : undefined;
  const iterations = typeof v.iterations === 'string' ? parseInteger('--iterations', v.iterations, { min: 1, command: NAME }) : undefined;
  const concurrency = typeof v.concurrency === 'string' ? parseInteger('--concurrency', v.concurrency, { min: 1, max: 256, command: NAME }) : 1;
  const learningRate = typeof v['learning-rate'] === 'string' ? Number(v['learning-rate']) : undefined;
  if (learningRate !== undefined && !(learningRate > 0 && Number.isFinite(learningRate))) throw new UsageError(`--learning-rate must be a positive number, got '${v['learning-rate']}'`, NAME);
  const lossFlag = typeof v.loss === 'string' ? parseChoice('--loss', v.loss, ['auto', 'mse', 'poisson'] as const, NAME) : 'auto';
  const outDir = ctx.path(typeof v.out === 'string' ? v.out : 'ltr-rnn-fit');
  const checkpointPath = join(outDir, CHECKPOINT);
  const resume = v.resume === true;

  // ---- inputs
  ctx.progress.stage(`reading ${file}`);
  const a = await readInput(ctx, file, 'data', typeof v.key === 'string' ? v.key : undefined);
  if (a.shape.length !== 3) {
    throw new LtrError('shape-mismatch', `${file}: the data must be 3-D, time × trial × neuron; got shape (${a.shape.join(', ')})`, { path: 'data' });
  }
  const [T, K, D] = a.shape;
  const data = { data: asFloat32(a), shape: [T, K, D] };
  const loss = lossFlag === 'auto' ? (isIntegerDtype(a) ? 'poisson' : 'mse') : lossFlag;
  const meta: { conditions?: number[]; trialIds?: number[]; epochs?: number[] } = {};
  const perTrial = async (flag: string, arg: unknown, conv: (x: Awaited<ReturnType<typeof loadArray>>, what: string) => number[]): Promise<number[] | undefined> => {
    if (typeof arg !== 'string') return undefined;
    const arr = conv(await readInput(ctx, arg, flag), arg);
    if (arr.length !== K) throw new LtrError('shape-mismatch', `${arg}: ${flag} needs one value per trial (${K} trials in ${file}), got ${arr.length}`, { path: flag });
    return arr;
  };
  const conditions = await perTrial('--conditions', v.conditions, asIntegers);
  const trialIds = await perTrial('--trial-ids', v['trial-ids'], asNumbers);
  const epochs = await perTrial('--epochs', v.epochs, asVector);
  if (conditions) meta.conditions = conditions;
  if (trialIds) meta.trialIds = trialIds;
  if (epochs) meta.epochs = epochs;

  const options: CrossValidateRankOptions = {
    ranks,
    seeds,
    ...(latentDims ? { latentDims } : {}),
    ...(iterations !== undefined ? { iterations } : {}),
    ...(learningRate !== undefined ? { learningRate } : {}),
    loss,
    concurrency,
    ...(concurrency > 1 && ctx.io.workerModule ? { workerModule: ctx.io.workerModule } : {}),
    keepFits: 'json',
    ...meta,
  };
  const total = ranks.length * (latentDims?.length ?? 1) * seeds.length;

  // ---- checkpoint: a new one, or the interrupted run's
  await mkdir(outDir, { recursive: true });
  let checkpoint: CrossValidationCheckpoint;
  if (resume) {
    if (!existsSync(checkpointPath)) throw new LtrError('invalid-option', `--resume: there is no checkpoint at ${checkpointPath}; run without --resume to start the sweep.`, { path: '--resume' });
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(checkpointPath, 'utf8'));
    } catch (e) {
      throw new LtrError('invalid-data', `${checkpointPath} is not valid JSON (${(e as Error).message}); delete it and run without --resume.`, { path: '--resume', cause: e });
    }
    try {
      checkpoint = await checkCrossValidationCheckpoint(parsed, data, options);
    } catch (e) {
      if (isLtrError(e)) throw new LtrError(e.code, `cannot resume from ${checkpointPath}: ${flagNames(e.message)}`, { path: e.path, cause: e });
      throw e;
    }
    ctx.note(`ltr-rnn: resuming: ${checkpoint.entries.length} of ${total} fits already done (${checkpointPath})`);
  } else {
    if (existsSync(checkpointPath)) {
      throw new LtrError('invalid-option', `${checkpointPath} holds the checkpoint of an interrupted run: continue it with --resume, or delete it (or choose another --out) to start afresh.`, { path: '--resume' });
    }
    checkpoint = await crossValidationCheckpoint(data, options);
  }
  const completed = [...checkpoint.entries];
  let writes: Promise<void> = writeAtomic(checkpointPath, JSON.stringify(checkpoint));
  await writes;

  // ---- the sweep
  let finished = completed.length;
  ctx.progress.stage(`cross-validation, ${ranks.length} rank${ranks.length > 1 ? 's' : ''} × ${latentDims?.length ?? 1} latent size${(latentDims?.length ?? 1) > 1 ? 's' : ''} × ${seeds.length} seed${seeds.length > 1 ? 's' : ''}`, total, 'fits');
  const onEntry = async (e: CrossValidationCheckpointEntry): Promise<void> => {
    checkpoint.entries.push(e);
    finished++;
    writes = writes.then(() => writeAtomic(checkpointPath, JSON.stringify(checkpoint)));
    await writes;
    ctx.note(`ltr-rnn: fit ${finished}/${total} done: rank ${e.rank}, latent ${e.latentDim}, seed ${e.seed}: ${e.error === null ? `test loss ${num(e.testLoss)}, ${e.iterations} steps` : `diverged`}, ${duration(e.durationMs)}`);
  };
  let cv: CrossValidationResult;
  try {
    cv = await crossValidateRank(data, {
      ...options,
      ...(completed.length > 0 ? { completed } : {}),
      onEntry,
      signal: ctx.signal,
      onProgress: (p) => ctx.progress.update(p.done + (p.iterations > 0 ? Math.min(1, p.step / p.iterations) : 0), `rank ${p.rank} seed ${p.seed} step ${p.step}/${p.iterations}${p.testLoss !== null ? ` test ${num(p.testLoss, 3)}` : ''}`),
    });
  } catch (e) {
    await writes.catch(() => undefined);
    if (isLtrError(e) && e.code === 'aborted' && ctx.signal.aborted) {
      ctx.progress.end();
      const line = `interrupted: ${checkpoint.entries.length} of ${total} fits saved to ${checkpointPath}; rerun with --resume`;
      ctx.io.stderr.write(`ltr-rnn: ${line}\n`);
      return { exitCode: EXIT_INTERRUPTED, json: { command: NAME, interrupted: true, saved: checkpoint.entries.length, total, checkpoint: checkpointPath } };
    }
    // A sweep refused before any fit finished (bad options or data) leaves nothing to resume.
    if (checkpoint.entries.length === 0) await rm(checkpointPath, { force: true });
    throw e;
  }
  await writes;

  // ---- outputs
  try {
    ctx.progress.stage('writing results');
    const best = cv.best;
    let bestEntry: (typeof cv.entries)[number] | undefined;
    for (const e of cv.entries) {
      if (e.rank === cv.selected.rank && e.latentDim === cv.selected.latentDim && e.error === null && (bestEntry === undefined || e.testLoss < bestEntry.testLoss)) bestEntry = e;
    }
    const result = {
      format: 'ltr-rnn/cli-fit',
      version: 1,
      data: { file, ...(typeof v.key === 'string' ? { key: v.key } : {}), shape: [T, K, D], dtype: a.dtype },
      inputs: { conditions: v.conditions ?? null, trialIds: v['trial-ids'] ?? null, epochs: v.epochs ?? null },
      loss,
      selected: cv.selected,
      rule: cv.rule,
      table: cv.table,
      best: { rank: best.rank, latentDim: best.latentDim, seed: bestEntry?.seed ?? null, testLoss: best.losses.test, trainLoss: best.losses.train },
      entries: cv.entries.map((e) => ({ rank: e.rank, latentDim: e.latentDim, seed: e.seed, trainLoss: e.trainLoss, testLoss: e.testLoss, iterations: e.iterations, stoppedBy: e.stoppedBy, parameters: e.parameters, durationMs: e.durationMs, error: e.error })),
      resumedFits: completed.length,
      provenance: cv.provenance,
    };
    const files = {
      cv: join(outDir, 'cv.json'),
      bestFit: join(outDir, 'best-fit.json'),
      trialFactors: join(outDir, 'trial-factors.npy'),
      trialFactorsLatent: join(outDir, 'trial-factors-latent.npy'),
      methods: join(outDir, 'methods.md'),
    };
    await writeAtomic(files.cv, `${toJSONText(result)}\n`);
    await writeAtomic(files.bestFit, `${toJSONText(await best.toJSON())}\n`);
    if (best.factors) {
      await writeNpy(files.trialFactors, await tensorToNpy(best.factors.trial.observed));
      await writeNpy(files.trialFactorsLatent, await tensorToNpy(best.factors.trial.latent));
    }
    await writeAtomic(files.methods, `# Methods\n\n${methodsText(cv, { bibtex: true })}\n`);
    // The sweep is complete: its checkpoint is superseded by cv.json.
    await rm(checkpointPath, { force: true });
    ctx.progress.end();
    const text = [
      `${file}: ${T} time bins × ${K} trials × ${D} neurons (${a.dtype}), ${loss === 'poisson' ? 'Poisson' : 'MSE'} loss; ${total} fits${completed.length > 0 ? ` (${completed.length} from the checkpoint)` : ''}`,
      '',
      cvTable(cv.table, cv.selected, cv.rule.bestRank),
      '',
      `selected rank: ${cv.selected.rank} (latent ${cv.selected.latentDim}; ${cv.rule.name === 'oneStandardError' ? `smallest rank within one s.e. of the best mean, threshold ${num(cv.rule.threshold)}` : 'lowest mean test loss'})`,
      `wrote ${Object.values(files).filter((f) => best.factors || !f.includes('trial-factors')).join(', ')}`,
    ].join('\n');
    return {
      text,
      summary: `selected rank ${cv.selected.rank}; wrote ${outDir}`,
      json: { command: NAME, out: outDir, ...result },
    };
  } finally {
    cv.dispose();
  }
}

/** Writes `text` to `path` atomically: a temporary file in the same folder, then a rename. */
export async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}

/** The library's option names in checkpoint errors, as the flags that set them. */
function flagNames(message: string): string {
  const map: Record<string, string> = { ranks: '--ranks', seeds: '--seeds', latentDims: '--latent', iterations: '--iterations', learningRate: '--learning-rate', loss: '--loss', conditions: '--conditions', trialIds: '--trial-ids', epochs: '--epochs' };
  return message.replace(/options\.([A-Za-z]+)/g, (m, k: string) => (map[k] ? `${map[k]} (options.${k})` : m));
}
