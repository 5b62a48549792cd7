/**
 * `ltr-rnn cp <tensor.npy> --rank R`: a CP decomposition (CP-ALS, or non-negative with --nonneg;
 * with missing entries when --mask is given) from one or several random starts, with the fit, the
 * agreement of the starts (factor match score) and CORCONDIA; factors written as `.npy`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rankSweep } from '../../cp/sweep';
import { writeNpy, tensorToNpy } from '../../io/files';
import { LtrError, isLtrError } from '../../validate/errors';
import { VERSION } from '../../version';
import { UsageError, parseInteger, type FlagValues } from '../args';
import type { Command, CommandContext, CommandResult } from '../context';
import { num, pct, table, toJSONText } from '../format';
import { asFloat32, loadArray } from '../inputs';

const NAME = 'cp';

export const cpCommand: Command = {
  name: NAME,
  summary: 'CP decomposition of a tensor (ALS or non-negative, optional mask), factors as .npy',
  help: `Usage: ltr-rnn cp <tensor.npy|npz> --rank R [options]

Fits a rank-R CP model (CANDECOMP/PARAFAC) to the tensor from --restarts random starts (each a
separate CP-ALS or non-negative CP fit; start k uses the k-th seed derived from --seed, start 0
--seed itself) and keeps the best. Prints its relative error, fit, explained variance, the factor
match score of every start to the best one (near 1: the solution is unique and found reliably)
and CORCONDIA (core consistency; ≈100 = trilinear, ≤ 0 = too many components). Writes
<out>/factor-<mode>.npy (I_mode × R, unit-norm columns, components by descending weight),
<out>/weights.npy (R) and <out>/cp.json.

Options:
  --rank R         number of components (required)
  --nonneg         non-negative CP (cpNonneg) instead of CP-ALS (cpAls)
  --mask m.npy     0/1 array of the tensor's shape, 1 = observed; missing entries are ignored
  --key K          the array to read from a .npz archive (the tensor)
  --restarts n     random starts [1]
  --max-iter n     iterations per start [500]
  --seed s         seed of the first start [0]
  --out dir        output folder [ltr-rnn-cp]
  --json           print the results as JSON

Example:
  ltr-rnn cp weights.npy --rank 4 --restarts 5 --out cp-rank4
`,
  flags: { rank: { type: 'string' }, nonneg: { type: 'boolean' }, mask: { type: 'string' }, key: { type: 'string' }, restarts: { type: 'string' }, 'max-iter': { type: 'string' }, out: { type: 'string' } },
  positionals: { min: 1, max: 1, names: ['tensor.npy'] },
  needsBackend: true,
  run: async (ctx: CommandContext, v: FlagValues, [file]: string[]): Promise<CommandResult> => {
    if (typeof v.rank !== 'string') throw new UsageError("'ltr-rnn cp' needs --rank R", NAME);
    const rank = parseInteger('--rank', v.rank, { min: 1, command: NAME });
    const restarts = typeof v.restarts === 'string' ? parseInteger('--restarts', v.restarts, { min: 1, command: NAME }) : 1;
    const maxIter = typeof v['max-iter'] === 'string' ? parseInteger('--max-iter', v['max-iter'], { min: 1, command: NAME }) : 500;
    const method = v.nonneg === true ? 'nonneg' : 'als';
    const outDir = ctx.path(typeof v.out === 'string' ? v.out : 'ltr-rnn-cp');

    ctx.progress.stage(`reading ${file}`);
    const a = await loadArray(ctx.path(file), typeof v.key === 'string' ? { key: v.key } : {});
    const x = { data: asFloat32(a), shape: [...a.shape] };
    let mask: { data: Float32Array; shape: number[] } | undefined;
    if (typeof v.mask === 'string') {
      const m = await loadArray(ctx.path(v.mask));
      mask = { data: asFloat32(m), shape: [...m.shape] };
    }

    ctx.progress.stage(`${method === 'als' ? 'CP-ALS' : 'non-negative CP'}, rank ${rank}`, restarts, restarts > 1 ? 'starts' : 'start');
    const sweep = await rankSweep(x, {
      ranks: [rank],
      restarts,
      seed: ctx.globals.seed,
      method,
      maxIter,
      keepModels: true,
      ...(mask ? { mask } : {}),
      signal: ctx.signal,
      onProgress: (p) => ctx.progress.update(p.done, `start ${p.restart + 1}: rel. error ${num(p.relError)}`),
    }).catch((e: unknown) => {
      // rankSweep names the rank options.ranks.0 and the mask options.mask: name the flags.
      if (isLtrError(e) && /^options\.(ranks\.0|mask)/.test(e.path)) {
        throw new LtrError(e.code, e.message.replace(/options\.ranks\.0/g, '--rank').replace(/options\.mask/g, '--mask'), { path: e.path, cause: e });
      }
      throw e;
    });
    ctx.progress.end();
    const e = sweep.ranks[0];
    const cp = e.cp!;
    try {
      await mkdir(outDir, { recursive: true });
      const files: string[] = [];
      for (let n = 0; n < cp.order; n++) {
        const f = join(outDir, `factor-${n}.npy`);
        await writeNpy(f, await tensorToNpy(cp.factors[n]));
        files.push(f);
      }
      const wf = join(outDir, 'weights.npy');
      await writeNpy(wf, await tensorToNpy(cp.weights));
      files.push(wf);
      const relError = e.relErrors[0];
      const result = {
        format: 'ltr-rnn/cli-cp',
        version: 1,
        file,
        shape: x.shape,
        dtype: a.dtype,
        rank,
        method: method === 'als' ? 'cpAls' : 'cpNonneg',
        masked: mask !== undefined,
        relError,
        fit: 1 - relError,
        explainedVariance: 1 - relError ** 2,
        coreConsistency: e.coreConsistency,
        starts: e.relErrors.map((r, i) => ({ seed: e.seeds[i], relError: r, factorMatchScore: e.similarities[i], iterations: e.iterations[i], converged: e.converged[i] })),
        cp: await cp.toJSON(),
        provenance: { ...sweep.provenance, library: 'ltr-rnn', version: VERSION },
      };
      const jf = join(outDir, 'cp.json');
      await writeFile(jf, `${toJSONText(result)}\n`);
      files.push(jf);
      const text = [
        `${file}: shape (${x.shape.join(', ')}), ${a.dtype}; rank ${rank}, ${result.method}${mask ? ' with mask' : ''}, ${restarts} start${restarts > 1 ? 's' : ''}`,
        '',
        table(
          ['measure', 'value'],
          [
            ['relative error', num(relError)],
            ['fit (1 − rel. error)', num(1 - relError)],
            ['explained variance', pct(result.explainedVariance, 2)],
            ['CORCONDIA', num(e.coreConsistency, 3)],
            ['min FMS of the starts to the best', restarts > 1 ? num(Math.min(...e.similarities), 3) : '— (one start)'],
          ],
        ),
        ...(restarts > 1
          ? ['', table(['start', 'seed', 'rel. error', 'FMS to best', 'iterations', 'converged'], result.starts.map((s, i) => [String(i + 1), String(s.seed), num(s.relError), num(s.factorMatchScore, 3), String(s.iterations), s.converged ? 'yes' : 'no']))]
          : []),
        '',
        `wrote ${files.join(', ')}`,
      ].join('\n');
      return {
        text,
        summary: `rank ${rank}: relative error ${num(relError)}, CORCONDIA ${num(e.coreConsistency, 3)}; wrote ${outDir}`,
        json: { command: NAME, ...result, out: outDir, files },
      };
    } finally {
      cp.dispose();
    }
  },
};
