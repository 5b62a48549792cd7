/**
 * Text tables shared by several commands: the rank bounds of a training setting (`bounds`,
 * `demo`) and the cross-validation table (`fit`, `demo`).
 */
import type { CrossValidationRow } from '../fit/cv';
import type { GradientDescentRankBounds, RankBound } from '../rank/bounds';
import { num, table } from './format';

/** The bounds of a setting as an aligned table: quantity, bound, guaranteed bound, status, statement. */
export function boundsTable(b: GradientDescentRankBounds): string {
  const K = b.spec.updates;
  const row = (label: string, r: RankBound<number | [number, number, number]>): string[] => [
    label,
    fmt(r.value),
    fmt(r.guaranteedValue),
    r.status,
    r.statement === r.guaranteedStatement ? r.statement : `${r.statement} (${r.guaranteedStatement})`,
  ];
  return table(
    ['quantity', 'bound', 'guaranteed', 'status', 'from'],
    [
      row('rank of one gradient ∇_W L', b.gradient),
      row(`rank of one update ΔW_k (k = ${K})`, b.update),
      row(`rank of W_${K} − W_0 (${K} updates)`, b.sumOfUpdates),
      row(`rank of W_${K}`, b.weights),
      row(`multilinear rank of the ${K} × N × N tensor`, b.multilinearRank),
      row(`CP rank of the ${K} × N × N tensor`, b.cpRank),
    ],
  );
}

function fmt(v: number | [number, number, number]): string {
  return Array.isArray(v) ? `(${v.join(', ')})` : String(v);
}

/** The lines under the bounds table: the setting, d = dim S, caveats and the statements cited. */
export function boundsNotes(b: GradientDescentRankBounds, o: { statements?: boolean } = {}): string[] {
  const s = b.spec;
  const lines = [
    `setting: N = ${s.neurons}, d_in = ${s.inputDim}, d_out = ${s.outputDim}, T = ${s.timeSteps}, P = ${s.trialsPerUpdate} trial(s) per update, K = ${s.updates} updates, ` +
      `${s.activation} activation, ${s.optimizer}, W_0 ${s.init === 'zero' ? '= 0' : `of rank ${s.init.rank}`}, trained: ${s.trained.join(', ')}` +
      `${s.bias ? ', bias' : ''}${s.initialState === 'learned' ? ', learned x_0' : ''}`,
    `outer products in one gradient: ${b.outerProducts}; effective steps: ${b.effectiveSteps}` +
      (b.subspaceDimension !== null ? `; d = dim S = ${b.subspaceDimension} (B3)` : ''),
  ];
  const caveat = [b.gradient, b.update, b.cpRank].find((r) => r.caveat !== null)?.caveat;
  if (caveat) lines.push(`caveat: ${caveat}`);
  if (o.statements) {
    const cited = new Set([b.gradient, b.update, b.sumOfUpdates, b.weights, b.multilinearRank, b.cpRank].flatMap((r) => [r.statement, r.guaranteedStatement]));
    for (const k of ['B1', 'B2', 'B3', 'B4', 'trivial', 'untrained'] as const) if (cited.has(k)) lines.push(`${b.statements[k]}`);
  }
  return lines;
}

/** The cross-validation table: rank, latent size, test loss mean ± s.e., per-seed losses, train loss, parameters, and the selection mark. */
export function cvTable(rows: readonly CrossValidationRow[], selected: { rank: number; latentDim: number }, bestRank?: number): string {
  return table(
    ['rank', 'latent', 'test loss', '± s.e.', 'per seed', 'train loss', 'parameters', ''],
    rows.map((r) => [
      String(r.rank),
      String(r.latentDim),
      num(r.mean),
      num(r.se, 2),
      r.losses.map((l) => num(l, 3)).join(' '),
      num(r.trainMean),
      num(r.parameters),
      r.rank === selected.rank && r.latentDim === selected.latentDim ? '← selected' : r.rank === bestRank ? '(lowest mean)' : '',
    ]),
  );
}
