/**
 * The learning experiment's report: one self-contained HTML page (inline CSS and SVG, no script,
 * no network), its summary rows, and the JSON that goes beside it.
 */
import { z } from 'zod';
import type { BoundStatement, RankBound } from '../rank/bounds';
import type { CrossValidationRow } from '../fit/cv';
import type { DeltaRank, ExperimentEpoch, LearningExperimentResult } from '../tasks/experiment-result';
import { parseOptions } from '../validate/options';
import { VERSION } from '../version';
import { checkExperimentResult } from './check';
import { escapeXml as esc, formatDuration, formatNumber, formatPercent } from './format';
import { BIBTEX, methodsText } from './methods';
import { barChart, EPOCH_COLORS, lineChart, smallMultiples, type LineSeries } from './svg';

/** The `data-figure` ids of the report's figures, in page order (`bounds` is a table). */
export const REPORT_FIGURES = ['reach-error', 'lateral-deviation', 'epoch-summary', 'singular-spectra', 'cp-variance', 'bounds', 'cv-loss', 'trial-factors'] as const;
/** A report figure id. */
export type ReportFigure = (typeof REPORT_FIGURES)[number];

/**
 * Options of {@link renderReport}:
 * - `title` (default 'Low-tensor-rank learning in a curl-field reaching task');
 * - `generatedAt` (default: now): the time printed as "generated" (ISO string or Date);
 * - `bibtex` (default true): print the BibTeX entries under the methods paragraph;
 * - `files` (default none): names of files written beside the page (linked by relative URL, e.g. `results.json`).
 */
export const renderReportOptions = z.strictObject({
  title: z.string().min(1, 'must not be empty').default('Low-tensor-rank learning in a curl-field reaching task'),
  generatedAt: z.union([z.string().min(1), z.date()]).optional(),
  bibtex: z.boolean().default(true),
  files: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be plain file names (letters, digits, . _ -)')).default([]),
});
/** Input of {@link renderReportOptions}. */
export type RenderReportOptions = z.input<typeof renderReportOptions>;

/** One line of the summary: a stable key, a label and the value as text. */
export interface SummaryRow {
  /** Stable key: `network`, `trials`, `deltaRank.total`, `deltaRank.<epoch>`, `cpRank`, `bound.update`, `bound.sumOfUpdates`, `bound.cpRank`, `cvRank`, `reachError.<epoch>`. */
  key: string;
  label: string;
  value: string;
}

const EPOCH_LABEL: Record<ExperimentEpoch, string> = { baseline: 'baseline', curl: 'curl field', washout: 'washout' };
const epochColor = (e: ExperimentEpoch): string => EPOCH_COLORS[e];

function deltaText(d: DeltaRank): string {
  return `${d.numericalRank} (90 %: ${d.rankFor90}, 95 %: ${d.rankFor95})`;
}

/**
 * The headline numbers of an experiment as label/value rows — what the demo prints and the report
 * shows at the top: network and trials, ΔW matrix ranks, the CP rank for 90 % / 95 % of the
 * weight-tensor update variance, the bounds for the setting, the rank selected by
 * cross-validation, and the reach error at the start and end of each epoch.
 * @throws LtrError `invalid-data` / `shape-mismatch` naming the field of a malformed result.
 */
export function reportSummary(result: LearningExperimentResult): SummaryRow[] {
  checkExperimentResult(result);
  const r = result;
  const K = r.trials.reachError.length;
  const rows: SummaryRow[] = [
    { key: 'network', label: 'Network', value: `N = ${r.network.neurons} ${r.network.activation} units, T = ${r.network.steps} steps per trial` },
    { key: 'trials', label: 'Learning trials', value: `${K} (${r.epochs.map((e) => `${e.end - e.start} ${EPOCH_LABEL[e.name]}`).join(', ')}), one SGD update per trial` },
  ];
  for (const d of r.deltaRanks) {
    rows.push({ key: `deltaRank.${d.name}`, label: d.name === 'total' ? 'ΔW rank, all trials' : `ΔW rank, ${EPOCH_LABEL[d.name]}`, value: deltaText(d) });
  }
  rows.push({
    key: 'cpRank',
    label: 'CP rank for 90 % / 95 % of the ΔW tensor',
    value: r.cpProfile === null ? 'not computed' : `${r.cpProfile.rankFor90 ?? `> ${Math.max(...r.cpProfile.rows.map((x) => x.rank))}`} / ${r.cpProfile.rankFor95 ?? `> ${Math.max(...r.cpProfile.rows.map((x) => x.rank))}`}`,
  });
  const b = r.bounds;
  rows.push({ key: 'bound.update', label: 'Bound: rank of one update', value: `≤ ${b.update.value} (${b.update.statement}, ${b.update.status})` });
  rows.push({ key: 'bound.sumOfUpdates', label: 'Bound: rank of W_K − W_0', value: `≤ ${b.sumOfUpdates.value} (${b.sumOfUpdates.statement}, ${b.sumOfUpdates.status})` });
  rows.push({ key: 'bound.cpRank', label: 'Bound: CP rank of the weight tensor', value: `≤ ${b.cpRank.value} (${b.cpRank.statement}, ${b.cpRank.status})` });
  const cv = r.crossValidation;
  rows.push({ key: 'cvRank', label: 'ltrRNN rank selected by cross-validation', value: cv === null ? 'not run' : `${cv.selectedRank} (${cv.rule === 'minimum' ? 'lowest test loss' : 'one-s.e. rule'}; lowest mean at rank ${cv.bestRank})${atGridEdge(cv) ? ' — the largest rank tried: the test loss was still falling' : ''}` });
  for (const e of r.epochSummary) {
    rows.push({ key: `reachError.${e.name}`, label: `Reach error, ${EPOCH_LABEL[e.name]}`, value: `${formatNumber(e.first)} → ${formatNumber(e.last)} (first → last ${e.window} trials)` });
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// JSON

function jsonSafe(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'bigint') return Number(v);
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>, (x) => jsonSafe(Number(x)));
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined || typeof x === 'function') continue;
      out[k] = jsonSafe(x);
    }
    return out;
  }
  return v;
}

/**
 * What `results.json` holds: the result without the two large host arrays (`activity`, T × K × N,
 * and `weights`, (K + 1) × N × N), which are described under `arrays` (their shape, dtype and the
 * `.npy` file {@link writeReport} puts them in). Plain JSON data: typed arrays become arrays and
 * non-finite numbers become null.
 * @throws LtrError `invalid-data` / `shape-mismatch` naming the field of a malformed result.
 */
export function resultsJSON(result: LearningExperimentResult): Record<string, unknown> {
  checkExperimentResult(result);
  const { activity, weights, ...rest } = result;
  const out = jsonSafe(rest) as Record<string, unknown>;
  out.arrays = {
    activity: { file: 'activity.npy', dtype: 'float32', shape: [...(activity?.shape ?? [])], axes: ['time', 'trial', 'neuron'] },
    weights: { file: 'weights.npy', dtype: 'float32', shape: [...(weights?.shape ?? [])], axes: ['W_k (k = 0 … K)', 'post', 'pre'] },
  };
  return out;
}

// ---------------------------------------------------------------------------------------------
// Figures

function epochDecorations(r: LearningExperimentResult, withBands: boolean): { vLines: { value: number; label?: string }[]; bands: { from: number; to: number; label: string; color: string }[] } {
  const vLines = r.epochs.slice(1).map((e) => ({ value: e.start - 0.5, ...(withBands ? {} : { label: `${EPOCH_LABEL[e.name]} from trial ${e.start}` }) }));
  const bands = withBands ? r.epochs.map((e) => ({ from: e.start - 0.5, to: e.end - 0.5, label: EPOCH_LABEL[e.name], color: epochColor(e.name) })) : [];
  return { vLines, bands };
}

function perEpochSeries(r: LearningExperimentResult, values: ArrayLike<number>, legend = true): LineSeries[] {
  return r.epochs.map((e) => ({
    name: EPOCH_LABEL[e.name],
    x: Array.from({ length: e.end - e.start }, (_, i) => e.start + i),
    y: Array.from({ length: e.end - e.start }, (_, i) => values[e.start + i]),
    color: epochColor(e.name),
    dash: '',
    marker: e.end - e.start <= 40 ? 'circle' : 'none',
    legend,
  }));
}

/**
 * Moving mean over `w` trials inside each epoch (never across a boundary), as x/y with a gap
 * (NaN at the boundary) between epochs.
 */
function movingMean(r: LearningExperimentResult, values: ArrayLike<number>, w: number): { x: number[]; y: number[] } {
  const x: number[] = [];
  const y: number[] = [];
  for (const e of r.epochs) {
    if (e.start > 0) {
      x.push(e.start - 0.5);
      y.push(Number.NaN);
    }
    for (let k = e.start; k < e.end; k++) {
      const b = Math.min(e.end, Math.max(e.start, k - Math.floor(w / 2)) + w);
      const a = Math.max(e.start, b - w);
      let s = 0;
      let n = 0;
      for (let j = a; j < b; j++) {
        if (!Number.isFinite(values[j])) continue;
        s += values[j];
        n++;
      }
      x.push(k);
      y.push(n > 0 ? s / n : Number.NaN);
    }
  }
  return { x, y };
}

function reachErrorFigure(r: LearningExperimentResult): string {
  const w = Math.max(1, r.epochSummary[0]?.window ?? 5);
  const mm = movingMean(r, r.trials.reachError, w);
  const series: LineSeries[] = [...perEpochSeries(r, r.trials.reachError), { name: `mean of ${w} trials`, x: mm.x, y: mm.y, color: '#000000', dash: '', marker: 'none' }];
  return lineChart({
    id: 'reach-error',
    title: 'Reach error over learning trials',
    description: `Reach error (RMS distance from the desired trajectory after the go cue) of each of ${r.trials.reachError.length} learning trials, coloured by epoch, with epoch boundaries marked.`,
    xLabel: 'learning trial',
    yLabel: 'reach error',
    xInteger: true,
    series,
    ...epochDecorations(r, true),
  });
}

function lateralFigure(r: LearningExperimentResult): string {
  return lineChart({
    id: 'lateral-deviation',
    title: 'Lateral deviation of the hand path',
    description: 'Signed largest perpendicular deviation from the straight path (positive = counter-clockwise) of each trial, coloured by epoch: the curl field pushes one way, the after-effect in washout the other.',
    xLabel: 'learning trial',
    yLabel: 'lateral deviation',
    xInteger: true,
    height: 300,
    series: perEpochSeries(r, r.trials.lateralDeviation),
    hLines: [{ value: 0, color: '#888888', dash: '2 2' }],
    ...epochDecorations(r, true),
  });
}

function epochSummaryFigure(r: LearningExperimentResult): string {
  const w = r.epochSummary[0]?.window ?? 0;
  return barChart({
    id: 'epoch-summary',
    title: 'Reach error at the start and end of each epoch',
    description: `Mean reach error of the first and the last ${w} trials of each epoch.`,
    categories: r.epochSummary.map((e) => EPOCH_LABEL[e.name]),
    series: [
      { name: `first ${w} trials`, values: r.epochSummary.map((e) => e.first), color: '#E69F00' },
      { name: `last ${w} trials`, values: r.epochSummary.map((e) => e.last), color: '#56B4E9' },
    ],
    yLabel: 'mean reach error',
    height: 300,
  });
}

function spectraFigure(r: LearningExperimentResult): string {
  const series: LineSeries[] = r.deltaRanks.map((d) => ({
    name: `${d.name === 'total' ? 'all trials' : EPOCH_LABEL[d.name]} (rank ${d.numericalRank})`,
    x: d.singularValues.map((_, i) => i + 1),
    y: d.singularValues,
    color: d.name === 'total' ? '#000000' : epochColor(d.name),
    dash: d.name === 'total' ? '' : d.name === 'baseline' ? '6 3' : d.name === 'curl' ? '2 3' : '8 3 2 3',
    marker: d.singularValues.length <= 40 ? (d.name === 'total' ? 'circle' : d.name === 'baseline' ? 'square' : d.name === 'curl' ? 'triangle' : 'diamond') : 'none',
  }));
  const total = r.deltaRanks.find((d) => d.name === 'total');
  return lineChart({
    id: 'singular-spectra',
    title: 'Singular values of the weight changes ΔW',
    description: 'Singular values (log scale) of ΔW over all learning trials and over each epoch; the numerical rank of each is in the legend.',
    xLabel: 'index i',
    yLabel: 'singular value σ_i',
    yScale: 'log',
    xInteger: true,
    series,
    vLines: total === undefined ? [] : [{ value: total.numericalRank + 0.5, label: `numerical rank ${total.numericalRank}` }],
  });
}

function cpVarianceFigure(r: LearningExperimentResult): string {
  const c = r.cpProfile;
  if (c === null) return '';
  const ranks = c.rows.map((x) => x.rank);
  const ev = c.rows.map((x) => x.explainedVariance);
  const marks = [];
  if (c.rankFor90 !== null) marks.push({ x: c.rankFor90, y: ev[ranks.indexOf(c.rankFor90)] ?? 0.9, label: `90 %: R = ${c.rankFor90}`, color: '#0072B2' });
  if (c.rankFor95 !== null && c.rankFor95 !== c.rankFor90) marks.push({ x: c.rankFor95, y: ev[ranks.indexOf(c.rankFor95)] ?? 0.95, label: `95 %: R = ${c.rankFor95}`, color: '#D55E00' });
  const lo = Math.min(0, ...ev.filter(Number.isFinite));
  return lineChart({
    id: 'cp-variance',
    title: 'CP explained variance of the weight-change tensor',
    description: `Explained variance 1 − relative error² of rank-R CP models of the K × N × N tensor of W_k − W_0, for R = ${ranks.join(', ')}, with 90 % and 95 % lines.`,
    xLabel: 'CP rank R',
    yLabel: 'explained variance',
    xInteger: true,
    yDomain: [lo, 1.02],
    series: [{ name: 'explained variance', x: ranks, y: ev, color: '#000000', marker: 'circle' }],
    hLines: [
      { value: 0.9, label: '90 %', color: '#0072B2' },
      { value: 0.95, label: '95 %', color: '#D55E00' },
    ],
    marks,
    legend: false,
  });
}

function cvLossFigure(r: LearningExperimentResult): string {
  const cv = r.crossValidation;
  if (cv === null) return '';
  const latents = [...new Set(cv.table.map((x) => x.latentDim))];
  const series: LineSeries[] = [];
  latents.forEach((n, i) => {
    const rows = cv.table.filter((x) => x.latentDim === n).sort((a, b) => a.rank - b.rank);
    const tag = latents.length > 1 ? ` (N = ${n})` : '';
    series.push({ name: `test loss${tag}`, x: rows.map((x) => x.rank), y: rows.map((x) => x.mean), error: rows.map((x) => x.se), marker: 'circle', color: ['#000000', '#0072B2', '#D55E00', '#009E73'][i % 4], dash: '' });
    series.push({ name: `train loss${tag}`, x: rows.map((x) => x.rank), y: rows.map((x) => x.trainMean), marker: 'square', color: '#888888', dash: ['6 3', '2 3', '8 3 2 3'][i % 3] });
  });
  const finiteRows = cv.table.filter((x) => Number.isFinite(x.mean));
  const best = finiteRows.reduce<CrossValidationRow | null>((a, b) => (a === null || b.mean < a.mean ? b : a), null);
  const sel = finiteRows.filter((x) => x.rank === cv.selectedRank).sort((a, b) => a.mean - b.mean)[0];
  return lineChart({
    id: 'cv-loss',
    title: 'Cross-validated test loss of ltrRNN fits by rank',
    description: `Normalized test loss (mean ± standard error over ${cv.seeds.length} seed${cv.seeds.length === 1 ? '' : 's'}) of ltrRNN fits at ranks ${[...new Set(cv.table.map((x) => x.rank))].join(', ')}; selected rank ${cv.selectedRank} ringed.`,
    xLabel: 'rank R',
    yLabel: 'normalized loss',
    xInteger: true,
    series,
    hLines: cv.rule === 'oneStandardError' && best !== null && best.se > 0 ? [{ value: best.mean + best.se, label: 'lowest mean + 1 s.e.', color: '#555555' }] : [],
    marks: sel === undefined ? [] : [{ x: sel.rank, y: sel.mean, label: `selected R = ${sel.rank}`, color: '#D55E00' }],
  });
}

function trialFactorsFigure(r: LearningExperimentResult): string {
  const cv = r.crossValidation;
  if (cv === null || cv.trialFactors.length === 0) return '';
  const K = cv.trialFactors.length;
  const R = Math.max(...cv.trialFactors.map((row) => row.length));
  const matches = K === r.trials.reachError.length;
  const deco = matches ? epochDecorations(r, false) : { vLines: [], bands: [] };
  const panels = Array.from({ length: R }, (_, j) => {
    const col = cv.trialFactors.map((row) => (j < row.length ? row[j] : Number.NaN));
    const series: LineSeries[] = matches
      ? perEpochSeries(r, col, false).map((s) => ({ ...s, marker: 'none' as const }))
      : [{ name: 'gain', y: col, color: '#000000', marker: 'none' as const, legend: false }];
    return { title: `component ${j + 1}`, xLabel: 'trial', yLabel: j % 3 === 0 ? 'gain c_kr' : '', xInteger: true, series, vLines: deco.vLines.map((v) => ({ value: v.value })), hLines: [{ value: 0, color: '#aaaaaa', dash: '2 2' }] };
  });
  return smallMultiples({
    id: 'trial-factors',
    title: `Trial factors of the selected ltrRNN (rank ${R})`,
    description: `Trial factors c_kr (gain of each of ${R} components over ${K} trials) of the selected fit, coloured by epoch.`,
    panels,
    columns: Math.min(3, R),
    panelHeight: 190,
    legendItems: matches ? r.epochs.map((e) => ({ name: EPOCH_LABEL[e.name], color: epochColor(e.name) })) : undefined,
    legend: matches,
  });
}

// ---------------------------------------------------------------------------------------------
// Bounds table

const QUANTITY: Record<string, string> = {
  gradient: 'rank of one gradient ∇_W L',
  update: 'rank of one update ΔW_k',
  sumOfUpdates: 'rank of the sum of K updates, W_K − W_0',
  weights: 'rank of W_K',
  multilinearRank: 'multilinear rank of the K × N × N tensor',
  cpRank: 'CP rank of the K × N × N tensor',
};

function boundValue(v: number | number[]): string {
  return Array.isArray(v) ? `(${v.join(', ')})` : String(v);
}

function boundsTable(r: LearningExperimentResult): string {
  const b = r.bounds;
  const K = b.spec.updates;
  const total = r.deltaRanks.find((d) => d.name === 'total');
  const c = r.cpProfile;
  const cpMeasured = c === null ? 'not computed' : `${c.rankFor90 ?? `> ${Math.max(...c.rows.map((x) => x.rank))}`} for 90 %, ${c.rankFor95 ?? `> ${Math.max(...c.rows.map((x) => x.rank))}`} for 95 % (CP-ALS estimate)`;
  const rows: { q: string; bound: RankBound<number | [number, number, number]>; measured: string; boundOverride?: string }[] = [
    { q: QUANTITY.gradient, bound: b.gradient, measured: '—' },
    { q: QUANTITY.update, bound: b.update, measured: '—' },
    { q: QUANTITY.sumOfUpdates, bound: b.sumOfUpdates, measured: total === undefined ? '—' : `${total.numericalRank} (90 %: ${total.rankFor90}, 95 %: ${total.rankFor95})` },
  ];
  // The epochs: a sum of (end − start) consecutive updates has the bound of that many updates.
  for (const e of r.epochs) {
    const d = r.deltaRanks.find((x) => x.name === e.name);
    const k = e.end - e.start;
    const by = b.sumOfUpdates.byUpdate;
    if (d === undefined || k < 1 || k > by.length) continue;
    rows.push({
      q: `rank of ΔW over the ${EPOCH_LABEL[e.name]} epoch (${k} updates)`,
      bound: { ...b.sumOfUpdates, value: by[k - 1], statement: b.sumOfUpdates.statementByUpdate[k - 1] },
      measured: deltaText(d),
    });
  }
  rows.push({ q: QUANTITY.weights, bound: b.weights, measured: '—' });
  rows.push({ q: QUANTITY.multilinearRank, bound: b.multilinearRank, measured: '—' });
  rows.push({ q: QUANTITY.cpRank, bound: b.cpRank, measured: cpMeasured });
  const statementTitle = (s: BoundStatement): string => b.statements?.[s] ?? '';
  const body = rows
    .map((row) => {
      const bd = row.bound;
      const guaranteed = bd.status === 'approximate' ? `<br><span class="small">guaranteed: ${esc(boundValue(bd.guaranteedValue))} (${esc(bd.guaranteedStatement)})</span>` : '';
      return (
        `<tr><th scope="row">${esc(row.q)}</th><td class="num">≤ ${esc(boundValue(bd.value))}${guaranteed}</td>` +
        `<td><abbr title="${esc(statementTitle(bd.statement))}">${esc(bd.statement)}</abbr></td><td class="status-${esc(bd.status)}">${esc(bd.status)}</td><td class="num">${esc(row.measured)}</td></tr>`
      );
    })
    .join('\n');
  const s = b.spec;
  const spec = `N = ${s.neurons}, d_in = ${s.inputDim}, d_out = ${s.outputDim}, T = ${s.timeSteps}, ${s.trialsPerUpdate} trial${s.trialsPerUpdate === 1 ? '' : 's'} per update, K = ${K} updates, ${s.activation} activation, optimizer ${s.optimizer}, W_0 ${s.init === 'zero' ? '= 0' : `of rank ${s.init.rank}`}`;
  const cited = [...new Set(rows.map((x) => x.bound.statement))].filter((x) => b.statements?.[x] !== undefined);
  return (
    `<table data-figure="bounds" class="bounds"><caption>Rank bounds for the setting (${esc(spec)}) beside the measured values</caption>\n` +
    `<thead><tr><th scope="col">quantity</th><th scope="col">bound</th><th scope="col">statement</th><th scope="col">status</th><th scope="col">measured</th></tr></thead>\n<tbody>\n${body}\n</tbody></table>\n` +
    `<details><summary>Statements and assumptions</summary><dl>${cited.map((x) => `<dt>${esc(x)}</dt><dd>${esc(b.statements[x])}</dd>`).join('')}</dl>` +
    `<ul>${(b.assumptions ?? []).map((a) => `<li>${esc(a)}</li>`).join('')}</ul></details>`
  );
}

// ---------------------------------------------------------------------------------------------
// The page

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif; color: #222; background: #fff; line-height: 1.45; }
main { max-width: 980px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 1.6rem; margin: 0 0 4px; }
h2 { font-size: 1.25rem; margin: 32px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 1.05rem; margin: 20px 0 6px; }
.lede { color: #555; margin: 0 0 16px; }
figure { margin: 16px 0 24px; break-inside: avoid; page-break-inside: avoid; }
figure svg { display: block; width: 100%; height: auto; max-width: 900px; }
figcaption { color: #444; font-size: 0.9rem; margin-top: 4px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 0.92rem; break-inside: avoid; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 4px 10px 4px 0; text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid #999; }
caption { text-align: left; color: #444; font-size: 0.9rem; padding-bottom: 4px; }
td.num { font-variant-numeric: tabular-nums; }
.status-approximate { color: #a33; font-weight: 600; }
.small { font-size: 0.82rem; color: #555; }
.note { background: #f6f6f6; border-left: 4px solid #999; padding: 8px 12px; }
pre { background: #f6f6f6; padding: 10px 12px; overflow-x: auto; font-size: 0.85rem; white-space: pre-wrap; word-break: break-word; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace; }
.methods { text-align: justify; }
dl.prov { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; }
dl.prov dt { font-weight: 600; }
dl.prov dd { margin: 0; }
abbr { text-decoration: underline dotted; cursor: help; }
@media print { main { max-width: none; padding: 0; } h2 { break-after: avoid; } details { display: block; } }
`;

function figure(svg: string, caption: string): string {
  return `<figure>${svg}<figcaption>${esc(caption)}</figcaption></figure>`;
}

function note(id: string, text: string): string {
  return `<p class="note" data-note="${esc(id)}">${esc(text)}</p>`;
}

/**
 * The whole report as one HTML document (`index.html`): inline CSS and SVG figures, no script, no
 * fonts, no network requests. Sections: summary ({@link reportSummary}); learning (reach error
 * `reach-error`, lateral deviation `lateral-deviation`, start/end of each epoch `epoch-summary`);
 * weight changes (singular spectra `singular-spectra`, CP explained variance `cp-variance`); the
 * bounds table (`bounds`); the ltrRNN fit (cross-validated loss `cv-loss`, trial factors
 * `trial-factors`); methods ({@link methodsText} and BibTeX); provenance. A figure whose data the
 * result lacks (`cpProfile` or `crossValidation` null) is replaced by a note saying so. Every text
 * taken from the result or the options is escaped.
 *
 * @example
 * ```ts
 * const result = await learningExperiment({ neurons: 50 });
 * const html = renderReport(result, { title: 'My run' });
 * ```
 * @throws LtrError `invalid-data` / `shape-mismatch` naming the field of a malformed result;
 * `invalid-option` for a bad option.
 */
export function renderReport(result: LearningExperimentResult, options: RenderReportOptions = {}): string {
  const o = parseOptions(renderReportOptions, options);
  checkExperimentResult(result);
  const r = result;
  const generated = o.generatedAt === undefined ? new Date().toISOString() : o.generatedAt instanceof Date ? o.generatedAt.toISOString() : o.generatedAt;
  const K = r.trials.reachError.length;
  const p = r.provenance;
  const parts: string[] = [];
  parts.push(`<header><h1>${esc(o.title)}</h1><p class="lede">ltr-rnn ${esc(p.version ?? VERSION)} · ${esc(r.network.neurons)}-unit network · ${esc(K)} learning trials · backend ${esc(p.backend)} · seed ${esc(p.seed)} · generated ${esc(generated)}</p></header>`);

  const summary = reportSummary(r)
    .map((row) => `<tr data-key="${esc(row.key)}"><th scope="row">${esc(row.label)}</th><td>${esc(row.value)}</td></tr>`)
    .join('\n');
  parts.push(`<section id="summary"><h2>Summary</h2><table class="summary"><tbody>\n${summary}\n</tbody></table></section>`);

  const curl = r.epochs.find((e) => e.curl !== 0);
  parts.push(
    `<section id="learning"><h2>Learning</h2>` +
      figure(reachErrorFigure(r), `Reach error of every learning trial, by epoch (shaded); the black line is a running mean within each epoch.${curl !== undefined ? ` The curl field (k = ${formatNumber(curl.curl)}) is on from trial ${curl.start} to ${curl.end - 1}.` : ''}`) +
      figure(lateralFigure(r), 'Signed lateral deviation of the hand from the straight path: the field deflects the reach, learning straightens it, and washout shows the after-effect with the opposite sign.') +
      figure(epochSummaryFigure(r), 'Mean reach error at the start and at the end of each epoch.') +
      `</section>`,
  );

  const cpPart =
    r.cpProfile === null
      ? note('cp-variance', 'The CP profile of the weight-change tensor was not computed for this run (cp: false), so the CP explained-variance figure is omitted.')
      : figure(cpVarianceFigure(r), `Share of the squared norm of the K × N × N tensor of W_k − W_0 explained by rank-R CP models (best of ${r.cpProfile.restarts} restart${r.cpProfile.restarts === 1 ? '' : 's'}, at most ${r.cpProfile.maxIter} iterations); dashed lines at 90 % and 95 %.`) +
        `<table class="cp-profile"><caption>CP profile</caption><thead><tr><th scope="col">rank</th><th scope="col">relative error</th><th scope="col">explained variance</th><th scope="col">core consistency</th></tr></thead><tbody>` +
        r.cpProfile.rows.map((x) => `<tr><td class="num">${esc(x.rank)}</td><td class="num">${esc(formatNumber(x.relError))}</td><td class="num">${esc(formatPercent(x.explainedVariance, 1))}</td><td class="num">${esc(formatNumber(x.coreConsistency))}</td></tr>`).join('') +
        `</tbody></table>`;
  parts.push(
    `<section id="weights"><h2>Weight changes</h2>` +
      figure(spectraFigure(r), 'Singular values of ΔW over all learning trials (black) and over each epoch, on a log scale; the dashed line marks the numerical rank of the total change.') +
      cpPart +
      `</section>`,
  );

  parts.push(`<section id="bounds-section"><h2>Rank bounds</h2>${boundsTable(r)}</section>`);

  const cv = r.crossValidation;
  const cvPart =
    cv === null
      ? note('cv-loss', 'No ltrRNN was fitted to the recorded activity in this run (crossValidation: false), so the cross-validation and trial-factor figures are omitted.')
      : figure(cvLossFigure(r), `Normalized test loss (${cv.seeds.length > 1 ? `mean ± s.e. over seeds ${cv.seeds.join(', ')}` : `one seed, ${cv.seeds[0]}`}) and train loss of ltrRNN fits to the recorded activity (${cv.bins} time bins, every ${cv.binStride} steps), by rank; the selected rank (${cv.rule === 'minimum' ? 'lowest mean' : 'one-standard-error rule'}) is ringed.`) +
        (cv.trialFactors.length > 0
          ? figure(trialFactorsFigure(r), `Trial factors of the selected rank-${cv.selectedRank} fit: the gain of each component over trials, coloured by epoch.`)
          : note('trial-factors', 'The cross-validation kept no trial factors.'));
  parts.push(`<section id="ltrrnn"><h2>ltrRNN fit to the activity</h2>${cvPart}</section>`);

  parts.push(
    `<section id="methods"><h2>Methods</h2><p class="methods">${esc(methodsText(r))}</p>` +
      (o.bibtex ? `<h3>BibTeX</h3><pre>${esc(BIBTEX.package)}\n\n${esc(BIBTEX.paper)}</pre>` : '') +
      `</section>`,
  );

  const timings = Object.entries(r.timings)
    .map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td class="num">${esc(formatDuration(v))}</td></tr>`)
    .join('');
  parts.push(
    `<section id="provenance"><h2>Provenance</h2><dl class="prov">` +
      `<dt>library</dt><dd>${esc(p.library ?? 'ltr-rnn')} ${esc(p.version)}</dd>` +
      `<dt>backend</dt><dd>${esc(p.backend)}</dd>` +
      `<dt>seed</dt><dd>${esc(p.seed)}</dd>` +
      `<dt>started</dt><dd>${esc(p.startedAt)}</dd>` +
      `<dt>duration</dt><dd>${esc(formatDuration(p.durationMs))}</dd>` +
      `<dt>report generated</dt><dd>${esc(generated)} (ltr-rnn ${esc(VERSION)})</dd>` +
      `</dl><table class="timings"><caption>Wall time of each stage</caption><tbody>${timings}</tbody></table>` +
      `<details><summary>Resolved options</summary><pre>${esc(JSON.stringify(jsonSafe(r.options), null, 2))}</pre></details>` +
      (o.files.length > 0 ? `<h3>Files</h3><ul class="files">${o.files.map((f) => `<li><a href="${esc(f)}">${esc(f)}</a></li>`).join('')}</ul>` : '') +
      `</section>`,
  );

  return (
    `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
    `<meta name="generator" content="ltr-rnn ${esc(VERSION)}">\n<title>${esc(o.title)}</title>\n<style>${CSS}</style>\n</head>\n<body>\n<main>\n${parts.join('\n')}\n</main>\n</body>\n</html>\n`
  );
}

/** Whether cross-validation chose the largest rank of its grid (the true optimum may lie beyond it). */
export function atGridEdge(cv: { selectedRank: number; table: readonly { rank: number }[] }): boolean {
  return cv.table.length > 1 && cv.selectedRank === Math.max(...cv.table.map((t) => t.rank));
}
