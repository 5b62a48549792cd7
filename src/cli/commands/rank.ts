/**
 * `ltr-rnn rank <tensor.npy>`: rank estimates of a matrix (numerical, effective, participation
 * ratio, stable rank, rank for a share of the variance) or of a tensor (multilinear rank and a CP
 * rank profile).
 */
import { cpRankProfile, multilinearRank, trivialCpRankBound } from '../../rank/tensor';
import { effectiveRank, matrixRank, participationRatio, rankForVariance, singularValues, stableRank } from '../../rank/matrix';
import { LtrError } from '../../validate/errors';
import { parseInteger, type FlagValues } from '../args';
import type { Command, CommandContext, CommandResult } from '../context';
import { num, pct, table } from '../format';
import { asFloat32, asFloat64, loadArray } from '../inputs';

const NAME = 'rank';
const FRACTIONS = [0.9, 0.95, 0.99] as const;

export const rankCommand: Command = {
  name: NAME,
  summary: 'matrix rank (2-D) or multilinear rank and CP rank profile (3-D+) of an array',
  help: `Usage: ltr-rnn rank <tensor.npy|npz> [options]

For a matrix (2-D): singular values, numerical rank (NumPy's rule, with the ε of the file's
precision), effective rank, participation ratio, stable rank, and the rank holding 90/95/99 % of
the sum of squares. For a tensor (3-D or more): the multilinear rank (numerical rank of every
unfolding) and a CP rank profile (CP-ALS at ranks 1 … max-rank from several random starts: error,
explained variance, CORCONDIA, agreement of the starts) with the rank estimates it gives.

Options:
  --key K          the array to read from a .npz archive
  --max-rank R     CP profile up to rank R [min(8, trivial bound)]; 0 skips the profile
  --restarts n     random starts per rank of the profile [3]
  --max-iter n     CP-ALS iterations per start [500]
  --seed s         seed of the starts [0]
  --json           print the results as JSON

Example:
  ltr-rnn rank weights.npy --max-rank 6
`,
  flags: { key: { type: 'string' }, 'max-rank': { type: 'string' }, restarts: { type: 'string' }, 'max-iter': { type: 'string' } },
  positionals: { min: 1, max: 1, names: ['tensor.npy'] },
  needsBackend: true,
  run: async (ctx: CommandContext, v: FlagValues, [file]: string[]): Promise<CommandResult> => {
    const path = ctx.path(file);
    const restarts = typeof v.restarts === 'string' ? parseInteger('--restarts', v.restarts, { min: 1, command: NAME }) : 3;
    const maxIter = typeof v['max-iter'] === 'string' ? parseInteger('--max-iter', v['max-iter'], { min: 1, command: NAME }) : 500;
    const maxRankFlag = typeof v['max-rank'] === 'string' ? parseInteger('--max-rank', v['max-rank'], { min: 0, command: NAME }) : null;
    ctx.progress.stage(`reading ${file}`);
    const a = await loadArray(path, typeof v.key === 'string' ? { key: v.key } : {});
    const shape = [...a.shape];
    if (shape.length < 2) {
      throw new LtrError('shape-mismatch', `${file}: rank needs a matrix (2-D) or a tensor (3-D or more), got shape (${shape.join(', ')})`, { path: 'tensor' });
    }
    if (shape.some((d) => d === 0)) throw new LtrError('invalid-data', `${file}: the array is empty (shape (${shape.join(', ')}))`, { path: 'tensor' });
    // float32 files keep their precision (it sets the default tolerance); everything else is exact in float64.
    const host = { data: a.dtype === 'float32' ? asFloat32(a) : asFloat64(a), shape };
    const header = `${file}: shape (${shape.join(', ')}), ${a.dtype}`;

    if (shape.length === 2) {
      ctx.progress.stage('singular values');
      const s = singularValues(host);
      const r = {
        numericalRank: matrixRank(host),
        effectiveRank: effectiveRank(host),
        participationRatio: participationRatio(host),
        stableRank: stableRank(host),
        rankFor: Object.fromEntries(FRACTIONS.map((f) => [String(f), rankForVariance(host, f)])),
      };
      ctx.progress.end();
      const shown = Array.from(s.slice(0, 12), (x) => num(x)).join(', ') + (s.length > 12 ? `, … (${s.length})` : '');
      const text = [
        header,
        '',
        table(
          ['measure', 'value'],
          [
            ['numerical rank', String(r.numericalRank)],
            ['effective rank (entropy)', num(r.effectiveRank)],
            ['participation ratio', num(r.participationRatio)],
            ['stable rank', num(r.stableRank)],
            ...FRACTIONS.map((f) => [`rank for ${pct(f, 0)} of Σσ²`, String(r.rankFor[String(f)])]),
          ],
        ),
        '',
        `singular values: ${shown}`,
      ].join('\n');
      return {
        text,
        summary: `${file}: matrix rank ${r.numericalRank} of ${Math.min(shape[0], shape[1])}`,
        json: { command: NAME, file, shape, dtype: a.dtype, kind: 'matrix', singularValues: Array.from(s), ...r },
      };
    }

    ctx.progress.stage('multilinear rank');
    const ml = multilinearRank(host);
    const bound = trivialCpRankBound(shape);
    const maxRank = maxRankFlag ?? Math.min(8, bound);
    let profile = null;
    if (maxRank > 0) {
      ctx.progress.stage(`CP rank profile, ranks 1–${maxRank} × ${restarts} starts`, 0);
      profile = await cpRankProfile(host, { maxRank, restarts, maxIter, seed: ctx.globals.seed });
    }
    ctx.progress.end();
    const estimates = profile
      ? {
          byVariance: Object.fromEntries([...FRACTIONS, 0.999].map((f) => [String(f), profile.estimate.byVariance(f)])),
          byCoreConsistency90: profile.estimate.byCoreConsistency(90),
        }
      : null;
    const lines = [header, '', `multilinear rank (numerical rank of each unfolding): (${ml.join(', ')})`, `trivial CP rank bound (∏ dims / max dim): ${bound}`];
    if (profile && estimates) {
      lines.push(
        '',
        `CP rank profile (CP-ALS, ${restarts} start${restarts > 1 ? 's' : ''} per rank, seed ${ctx.globals.seed}):`,
        table(
          ['rank', 'rel. error', 'explained', 'CORCONDIA', 'min FMS of starts'],
          profile.ranks.map((e) => [String(e.rank), num(e.relError), pct(e.explainedVariance, 2), num(e.coreConsistency, 3), num(e.similarity, 3)]),
        ),
        '',
        `CP rank estimates: ${[...FRACTIONS, 0.999].map((f) => `${pct(f, f === 0.999 ? 1 : 0)} of ‖x‖² → ${estimates.byVariance[String(f)] ?? `> ${maxRank}`}`).join('; ')}; ` +
          `CORCONDIA ≥ 90 → ${estimates.byCoreConsistency90}`,
        profile.note,
      );
    }
    return {
      text: lines.join('\n'),
      summary: `${file}: multilinear rank (${ml.join(', ')})${estimates ? `; CP rank for 95 % ≈ ${estimates.byVariance['0.95'] ?? `> ${maxRank}`}` : ''}`,
      json: {
        command: NAME,
        file,
        shape,
        dtype: a.dtype,
        kind: 'tensor',
        multilinearRank: ml,
        trivialCpRankBound: bound,
        cpProfile: profile ? { ranks: profile.ranks, estimates, note: profile.note, provenance: profile.provenance } : null,
      },
    };
  },
};
