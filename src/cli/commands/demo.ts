/**
 * `ltr-rnn demo`: the paper's learning experiment on this machine (`learningExperiment`): a
 * summary table on stdout and the HTML report in `ltr-rnn-report/`.
 */
import { learningExperiment, type LearningExperimentOptions } from '../../tasks/experiment';
import type { LearningExperimentResult } from '../../tasks/experiment-result';
import { reportSummary, resultsJSON, writeReport } from '../../report/index';
import { atGridEdge } from '../../report/html';
import { parseChoice, type FlagValues } from '../args';
import type { Command, CommandContext, CommandResult } from '../context';
import { duration, num, pct, table } from '../format';
import { boundsTable, cvTable } from '../tables';

const NAME = 'demo';

/**
 * The `--quick` configuration: a small network and few trials, fits and restarts, for tests and a
 * first look (seconds, not minutes). Not a reproduction of the paper.
 */
export const QUICK_DEMO: LearningExperimentOptions = {
  neurons: 32,
  pretrain: { updates: 150, batchSize: 8 },
  trials: { baseline: 6, curl: 12, washout: 12 },
  learningRate: 0.01,
  cp: { maxRank: 3, restarts: 1, maxIter: 60 },
  crossValidation: { ranks: [1, 2], seeds: [0], iterations: 40, latentDim: 6, binStride: 3 },
};

const STAGE_LABELS: Record<string, string> = {
  pretraining: 'pre-training on the baseline task',
  learning: 'learning trials (baseline, curl field, washout)',
  deltaRanks: 'matrix ranks of ΔW',
  cpProfile: 'CP rank profile of the ΔW tensor',
  crossValidation: 'cross-validated ltrRNN rank',
};
const STAGE_UNITS: Record<string, string> = { pretraining: 'updates', learning: 'trials', crossValidation: 'fits' };

export const demoCommand: Command = {
  name: NAME,
  summary: "the paper's curl-field learning experiment: summary table + HTML report",
  help: `Usage: ltr-rnn demo [options]

Runs the paper's experiment (learningExperiment): a rate RNN pre-trained on center-out reaching
keeps learning with SGD, one update per trial, through baseline, curl-field and washout trials;
then the weight changes ΔW are analysed (matrix ranks, CP rank profile of the updates × N × N
tensor, the rank bounds of the setting) and an ltrRNN is fitted to the recorded activity with
cross-validated rank. Prints a summary and writes the HTML report (index.html, results.json,
methods.md) to --out. A few minutes with the default backend.

Options:
  --out dir        report folder [ltr-rnn-report]
  --neurons N      100 or 200 (the paper's size; slower) [100]
  --quick          a much smaller configuration (N = 32, 30 trials; seconds, for tests and a
                   first look — not the paper's numbers)
  --seed s         seed of the network, the trials and the analyses [0]

Example:
  ltr-rnn demo
  ltr-rnn demo --neurons 200 --out report-200
`,
  flags: { out: { type: 'string' }, neurons: { type: 'string' }, quick: { type: 'boolean' } },
  positionals: { min: 0, max: 0, names: [] },
  needsBackend: true,
  run: async (ctx: CommandContext, v: FlagValues): Promise<CommandResult> => {
    const neurons = typeof v.neurons === 'string' ? Number(parseChoice('--neurons', v.neurons, ['100', '200'] as const, NAME)) : 100;
    const outDir = ctx.path(typeof v.out === 'string' ? v.out : 'ltr-rnn-report');
    const base: LearningExperimentOptions = v.quick === true ? { ...QUICK_DEMO, ...(typeof v.neurons === 'string' ? { neurons } : {}) } : { neurons };
    let stage = '';
    const result = await learningExperiment({
      ...base,
      seed: ctx.globals.seed,
      signal: ctx.signal,
      onProgress: (p) => {
        if (p.stage !== stage) {
          stage = p.stage;
          ctx.progress.stage(STAGE_LABELS[p.stage] ?? p.stage, p.total > 1 ? p.total : 0, STAGE_UNITS[p.stage] ?? '');
        }
        ctx.progress.update(p.done, p.message ?? '', p.total > 1 ? p.total : undefined);
      },
    });
    ctx.progress.stage('writing the report');
    await writeReport(result, outDir);
    ctx.progress.end();
    const text = [...summaryLines(result), '', `report: ${outDir}/index.html (with results.json and methods.md)`].join('\n');
    const cv = result.crossValidation;
    return {
      text,
      summary: `${cv ? `ltrRNN rank ${cv.selectedRank}; ` : ''}CP rank for 95 %: ${result.cpProfile?.rankFor95 ?? '—'}; report: ${outDir}/index.html`,
      json: { command: NAME, out: outDir, report: `${outDir}/index.html`, result: resultsJSON(result) },
    };
  },
};

/**
 * The demo's summary: the report's headline rows (ΔW ranks, CP rank for 90 % / 95 %, bounds,
 * selected ltrRNN rank, reach error by epoch), then the details: adaptation by epoch, the CP
 * profile and the cross-validation table.
 */
export function summaryLines(r: LearningExperimentResult): string[] {
  const n = r.network;
  const lines: string[] = [
    `Network: N = ${n.neurons} ${n.activation} units, τ = ${n.tau} s, dt = ${n.dt} s, T = ${n.steps} steps, ${n.inputSize} inputs, ${n.outputSize} outputs; ` +
      `pre-trained ${r.pretraining.updates} updates (${r.pretraining.optimizer}), then SGD (lr ${r.learning.learningRate}), one update per trial.`,
    '',
    table(
      ['summary', ''],
      reportSummary(r).map((row) => [row.label, row.value]),
    ),
    '',
    `Reach error by epoch (mean of the first / last ${r.epochSummary[0]?.window ?? ''} trials of each epoch):`,
    table(
      ['epoch', 'trials', 'curl k', 'error first', 'error last', 'lateral first', 'lateral last'],
      r.epochSummary.map((e) => {
        const span = r.epochs.find((s) => s.name === e.name);
        return [e.name, span ? `${span.start}–${span.end - 1}` : '', span ? num(span.curl, 3) : '', num(e.first, 3), num(e.last, 3), num(e.firstLateral, 3), num(e.lastLateral, 3)];
      }),
    ),
  ];
  if (r.cpProfile) {
    const K = r.trials.reachError.length;
    lines.push(
      '',
      `CP rank profile of the ${K} × ${n.neurons} × ${n.neurons} tensor of ΔW_k = W_k − W_0 (${r.cpProfile.restarts} start${r.cpProfile.restarts > 1 ? 's' : ''} per rank):`,
      table(
        ['rank', 'rel. error', 'explained', 'CORCONDIA'],
        r.cpProfile.rows.map((row) => [String(row.rank), num(row.relError), pct(row.explainedVariance, 1), num(row.coreConsistency, 3)]),
      ),
      `CP rank for 90 % of the update variance: ${r.cpProfile.rankFor90 ?? `> ${r.cpProfile.rows.length}`}; for 95 %: ${r.cpProfile.rankFor95 ?? `> ${r.cpProfile.rows.length}`}`,
    );
  }
  lines.push('', `Rank bounds for the setting (${r.bounds.spec.optimizer}, ${r.bounds.spec.trialsPerUpdate} trial per update, ${r.bounds.spec.activation}):`, boundsTable(r.bounds));
  const cv = r.crossValidation;
  if (cv) {
    lines.push(
      '',
      `ltrRNN fitted to the recorded activity (${cv.bins} time bins, ${cv.binStride === 1 ? 'every step' : `every ${ordinal(cv.binStride)} step`}; seed${cv.seeds.length > 1 ? 's' : ''} ${cv.seeds.join(', ')}):`,
      cvTable(cv.table, { rank: cv.selectedRank, latentDim: cv.table.find((t) => t.rank === cv.selectedRank)?.latentDim ?? 0 }, cv.bestRank),
      `ltrRNN rank selected by cross-validation: ${cv.selectedRank} (${cv.rule === 'oneStandardError' ? 'one-standard-error rule' : 'lowest mean'})${atGridEdge(cv) ? '; the largest rank tried: the test loss was still falling' : ''}`,
    );
  }
  lines.push('', `Timings: ${Object.entries(r.timings).map(([k, ms]) => `${k} ${duration(ms)}`).join(', ')}; backend ${r.provenance.backend}.`);
  return lines;
}

function ordinal(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}
