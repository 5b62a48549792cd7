/**
 * `verifyBounds`: trains a random network that matches a bound spec with the library's trainer,
 * records W after every update, measures the ranks and lays them beside the bounds.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { rng, type Rng } from '../backend/random';
import { ready } from '../backend/use';
import { makeProvenance, type Provenance } from '../cp/result';
import { singularValuesOnly } from '../linalg/svd';
import type { Matrix } from '../linalg/matrix';
import { FullRankCell } from '../rnn/cells';
import { trainTask, type TaskBatch } from '../train/task';
import type { TrainProgress } from '../train/train';
import { LtrError } from '../validate/errors';
import { parseOptions, schemas } from '../validate/options';
import { gradientDescentRankBounds, resolveSpec, type BoundStatement, type BoundStatus, type GradientDescentRankBounds, type RankBoundSpec } from './bounds';
import { EPS32 } from './input';
import { countAbove, varianceFraction } from './matrix';
import { cpRankProfile, unfoldHost, type CpRankProfile } from './tensor';

/**
 * Options of {@link verifyBounds}:
 *
 * | field | default | meaning |
 * |---|---|---|
 * | `seed` | 0 | network, task and training (every random choice) |
 * | `learningRate` | sgd/gd 0.25/N, momentum 0.025/N, adam 0.1/N | step size η (the curvature of the loss in W_out grows like N) |
 * | `rtol` | 2⁻²³ (float32 ε) | measurement tolerance per unit of size and scale, see below |
 * | `cp` | false | also estimate the CP rank of the tensor: `true` or `{ maxRank, restarts = 2, maxIter = 300, fraction = 1 − 10⁻⁶ }` |
 * | `onProgress` | — | the trainer's progress callback |
 * | `signal` | — | AbortSignal: training stops (`LtrError('aborted')`) |
 *
 * Measured ranks count singular values above `rtol · max(M, N) · σ_ref`, where σ_ref is the largest
 * singular value among the matrix itself and the recorded snapshots W_j it is computed from
 * (for an unfolding of the tensor: the unfolding's). This is NumPy's `matrix_rank` rule with
 * float32 ε, with one change: an update ΔW_k = W_k − W_{k−1} is a difference of two float32
 * snapshots, each rounded entrywise by up to 2⁻²⁴·|W_ij|, so its round-off floor is set by ‖W‖,
 * not by ‖ΔW‖ (which can be far smaller).
 */
export const verifyBoundsOptions = z.strictObject({
  seed: schemas.seed.default(0),
  learningRate: schemas.positive.optional(),
  rtol: schemas.positive.default(EPS32),
  cp: z
    .union([
      z.boolean(),
      z.strictObject({
        maxRank: schemas.positiveInt.optional(),
        restarts: schemas.positiveInt.default(2),
        maxIter: schemas.positiveInt.default(300),
        fraction: varianceFraction.default(1 - 1e-6),
      }),
    ])
    .default(false),
  onProgress: schemas.callback<(p: TrainProgress) => void>().optional(),
  signal: schemas.signal.optional(),
});
/** Options of {@link verifyBounds} as a caller writes them. */
export type VerifyBoundsOptions = z.input<typeof verifyBoundsOptions>;

/** Which quantity a row of the table is about. */
export type VerifiedQuantity = 'gradient' | 'update' | 'sumOfUpdates' | 'weights' | 'tensorMode1' | 'tensorMode2' | 'tensorMode3' | 'tensorCp';

/** One row of {@link VerifyBoundsResult.table}. */
export interface VerifyBoundsRow {
  quantity: VerifiedQuantity;
  /** Human-readable name, e.g. `'rank ΔW_k (one update)'`. */
  label: string;
  /** Measured rank (for per-update quantities: the largest over k); null when not measurable (Adam's gradient, CP skipped). */
  measured: number | null;
  /** The bound (per-update quantities: at k = K). */
  bound: number;
  /** The guaranteed bound (= bound when exact). */
  guaranteedBound: number;
  status: BoundStatus;
  statement: BoundStatement;
  /** measured ≤ bound (at every k for per-update quantities); null when not measured. */
  holds: boolean | null;
  /** measured ≤ guaranteedBound (at every k); null when not measured. */
  holdsGuaranteed: boolean | null;
  /** measured = bound (at some k for per-update quantities). */
  tight: boolean | null;
  /** True for the CP row: the measured value is an estimate (smallest rank fitting to `cp.fraction`). */
  estimate: boolean;
}

/** Result of {@link verifyBounds}. */
export interface VerifyBoundsResult {
  bounds: GradientDescentRankBounds;
  measured: {
    /** Rank of each gradient (sgd/gd: every update; momentum: the first; adam: null). */
    gradient: number[] | null;
    /** Rank of ΔW_k, W_k − W₀ and W_k for k = 1 … K. */
    update: number[];
    sumOfUpdates: number[];
    weights: number[];
    /** rank(W₀). */
    initialWeights: number;
    /** Multilinear rank of the K × N × N tensor of W_1 … W_K. */
    multilinearRank: [number, number, number];
    /** CP rank estimate (smallest R with explained variance ≥ cp.fraction; null if none ≤ maxRank or CP skipped). */
    cpRank: number | null;
    /** The CP profile (with `cp` on). */
    cpProfile: CpRankProfile | null;
  };
  table: VerifyBoundsRow[];
  /** Every exact bound holds (the CP estimate excluded). */
  allExactHold: boolean;
  /** Every measured rank is within its guaranteed bound (the CP estimate excluded). */
  allGuaranteedHold: boolean;
  /**
   * The spectra behind the last measurements, to judge the tolerance: singular values of W_K and of
   * ΔW_K (descending) and the thresholds they were compared with. A clean measurement has a gap of
   * orders of magnitude around the threshold.
   */
  finalSpectrum: { weights: number[]; weightsThreshold: number; update: number[]; updateThreshold: number };
  /** Training loss before the first and the last update. */
  loss: { first: number; last: number };
  /** How ranks were measured. */
  tolerance: { rtol: number; rule: string };
  provenance: Provenance;
}

const LABELS: Record<VerifiedQuantity, string> = {
  gradient: 'rank ∇_W L (one gradient)',
  update: 'rank ΔW_k (one update)',
  sumOfUpdates: 'rank W_k − W₀ (sum of k updates)',
  weights: 'rank W_k',
  tensorMode1: 'tensor mode-1 rank (updates)',
  tensorMode2: 'tensor mode-2 rank (post)',
  tensorMode3: 'tensor mode-3 rank (pre)',
  tensorCp: 'tensor CP rank (estimate)',
};

function matrixAt(data: Float32Array, k: number, n: number): Matrix {
  return { rows: n, cols: n, data: Float64Array.from(data.subarray(k * n * n, (k + 1) * n * n)) };
}

function diff(a: Matrix, b: Matrix): Matrix {
  const d = new Float64Array(a.data.length);
  for (let i = 0; i < d.length; i++) d[i] = a.data[i] - b.data[i];
  return { rows: a.rows, cols: a.cols, data: d };
}

/**
 * Builds a random network and task that match `spec`, trains it with `trainTask` (recording W
 * before training and after every update), measures the ranks of every gradient, update, sum of
 * updates, W_k and of the K × N × N tensor (multilinear rank; CP rank estimate with `cp`), and
 * returns them beside {@link gradientDescentRankBounds}' bounds as a table.
 *
 * The network: a `FullRankCell` with dt = τ (so x_{t+1} = W φ(x_t) + W_in u_t + b exactly),
 * φ = identity (linear) or tanh (nonlinear), no readout bias; W₀ = 0 or a random rank-r matrix of
 * spectral radius ≈ 0.8; b and a learned x₀ start random (N(0, 1/N) entries) so that the
 * bounds' worst case is reachable. The task: inputs and targets N(0, 1), a fresh batch of P trials
 * per update (`gd`: the same batch every update). Optimizers: sgd and gd → SGD, momentum → heavy
 * ball (μ = 0.9), adam → Adam.
 *
 * @example
 * ```ts
 * const r = await verifyBounds({ neurons: 40, inputDim: 2, outputDim: 1, timeSteps: 5,
 *   trialsPerUpdate: 2, updates: 8, activation: 'linear' }, { seed: 1 });
 * console.log(formatBoundsTable(r));
 * ```
 * @throws LtrError `invalid-option` naming the field (spec or options), `diverged` when training
 * diverges (lower `learningRate`), `aborted`.
 */
export async function verifyBounds(spec: RankBoundSpec, options?: VerifyBoundsOptions): Promise<VerifyBoundsResult> {
  await ready();
  const startedAt = Date.now();
  const s = resolveSpec(spec);
  const o = parseOptions(verifyBoundsOptions, options);
  const bounds = gradientDescentRankBounds(s);
  const { neurons: N, inputDim: dIn, outputDim: dOut, timeSteps: T, trialsPerUpdate: P, updates: K } = s;
  const linear = s.activation === 'linear';
  const lr = o.learningRate ?? (s.optimizer === 'sgd' || s.optimizer === 'gd' ? 0.25 : s.optimizer === 'momentum' ? 0.025 : 0.1) / N;
  const master = rng(o.seed);
  const netSeed = master.deriveSeed();
  const taskSeed = master.deriveSeed();
  const trainSeed = master.deriveSeed();
  const initRng = master.fork();

  const cell = new FullRankCell({
    size: N,
    inputSize: dIn,
    outputSize: dOut,
    outputBias: false,
    tau: 1,
    dt: 1,
    activation: linear ? 'identity' : 'tanh',
    bias: s.bias,
    trainInput: s.trained.includes('input'),
    initialState: s.initialState === 'learned' ? { type: 'learned', scale: 1 / Math.sqrt(N) } : 'zero',
    gain: 0,
    seed: netSeed,
  });
  let recorder: Awaited<ReturnType<typeof trainTask>>['recorder'] = null;
  let lossFirst = NaN;
  let lossLast = NaN;
  let snapshots: Float32Array;
  try {
    const named = cell.namedVariables();
    if (s.init !== 'zero') assignLowRank(named.recurrent, N, s.init.rank, initRng);
    if (s.bias) {
      const b = tf.tensor1d(Float32Array.from(initRng.normalArray(N, 0, 1 / Math.sqrt(N))));
      named.bias.assign(b);
      b.dispose();
    }
    const parameters: string[] = [];
    if (s.trained.includes('recurrent')) parameters.push('recurrent');
    if (s.trained.includes('input')) parameters.push('input');
    if (s.trained.includes('output')) parameters.push('readout.weight');
    if (s.bias) parameters.push('bias');
    if (s.initialState === 'learned') parameters.push('initialState');

    const makeBatch = (r: Rng): TaskBatch => {
      const batch: TaskBatch = { targets: { data: Float32Array.from(r.normalArray(T * P * dOut)), shape: [T, P, dOut] } };
      if (dIn > 0) batch.inputs = { data: Float32Array.from(r.normalArray(T * P * dIn)), shape: [T, P, dIn] };
      return batch;
    };
    const fixed = s.optimizer === 'gd' ? makeBatch(rng(taskSeed)) : null;
    const result = await trainTask(cell, (_index, r) => fixed ?? makeBatch(r), {
      updates: K,
      optimizer: s.optimizer === 'gd' ? 'sgd' : s.optimizer,
      learningRate: lr,
      ...(s.optimizer === 'momentum' ? { momentum: 0.9 } : {}),
      parameters,
      seed: trainSeed,
      record: { storage: 'dense' },
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    recorder = result.recorder;
    if (result.stoppedBy === 'aborted') throw new LtrError('aborted', 'verifyBounds was aborted through options.signal.', { path: 'options.signal' });
    lossFirst = result.history.loss[0];
    lossLast = result.history.loss[result.history.loss.length - 1];
    snapshots = (recorder as NonNullable<typeof recorder>).toHost().data;
  } finally {
    recorder?.dispose();
    cell.dispose();
  }

  // ---- measure (host, float64).
  const w: Matrix[] = Array.from({ length: K + 1 }, (_, k) => matrixAt(snapshots, k, N));
  const sw = w.map((m) => singularValuesOnly(m));
  const smax = sw.map((x) => x[0]);
  const thresholdOf = (sv: Float64Array, ref: number): number => o.rtol * N * Math.max(ref, sv[0]);
  const rankOf = (m: Matrix, ref: number, own?: Float64Array): number => {
    const sv = own ?? singularValuesOnly(m);
    return countAbove(sv, thresholdOf(sv, ref));
  };
  const maxRef = (k: number): number => Math.max(...smax.slice(0, k + 1));
  const update: number[] = [];
  const sumOfUpdates: number[] = [];
  const weights: number[] = [];
  for (let k = 1; k <= K; k++) {
    update.push(rankOf(diff(w[k], w[k - 1]), Math.max(smax[k], smax[k - 1])));
    sumOfUpdates.push(rankOf(diff(w[k], w[0]), maxRef(k)));
    weights.push(rankOf(w[k], maxRef(k), sw[k]));
  }
  const initialWeights = rankOf(w[0], smax[0], sw[0]);
  const lastUpdate = singularValuesOnly(diff(w[K], w[K - 1]));
  const finalSpectrum = {
    weights: Array.from(sw[K]),
    weightsThreshold: thresholdOf(sw[K], maxRef(K)),
    update: Array.from(lastUpdate),
    updateThreshold: thresholdOf(lastUpdate, Math.max(smax[K], smax[K - 1])),
  };
  const gradient = s.optimizer === 'sgd' || s.optimizer === 'gd' ? [...update] : s.optimizer === 'momentum' ? [update[0]] : null;

  // The tensor of W_1 … W_K.
  const tensorData = new Float64Array(K * N * N);
  for (let k = 1; k <= K; k++) tensorData.set(w[k].data, (k - 1) * N * N);
  const shape = [K, N, N];
  const ml = shape.map((_, n) => {
    const u = unfoldHost(tensorData, shape, n);
    const sv = singularValuesOnly(u);
    return countAbove(sv, o.rtol * Math.max(u.rows, u.cols) * sv[0]);
  }) as [number, number, number];

  let cpRank: number | null = null;
  let cpProfile: CpRankProfile | null = null;
  if (o.cp !== false) {
    const cpo = o.cp === true ? { restarts: 2, maxIter: 300, fraction: 1 - 1e-6, maxRank: undefined } : o.cp;
    const allZero = tensorData.every((v) => v === 0);
    if (allZero) {
      cpRank = 0;
    } else {
      const trivial = Math.min(K * N, N * N);
      const maxRank = Math.min(cpo.maxRank ?? Math.min(bounds.cpRank.value + 1, 10), trivial);
      cpProfile = await cpRankProfile({ data: Float32Array.from(tensorData), shape }, { maxRank, restarts: cpo.restarts, maxIter: cpo.maxIter, seed: o.seed });
      cpRank = cpProfile.estimate.byVariance(cpo.fraction);
    }
  }

  // ---- the table.
  const b = bounds;
  const seriesRow = (q: 'update' | 'sumOfUpdates' | 'weights', m: number[]): VerifyBoundsRow => {
    const bs = b[q];
    return {
      quantity: q,
      label: LABELS[q],
      measured: Math.max(...m),
      bound: bs.value,
      guaranteedBound: bs.guaranteedValue,
      status: bs.status,
      statement: bs.statement,
      holds: m.every((v, i) => v <= bs.byUpdate[i]),
      holdsGuaranteed: m.every((v, i) => v <= bs.guaranteedByUpdate[i]),
      tight: m.some((v, i) => v === bs.byUpdate[i]),
      estimate: false,
    };
  };
  const scalarRow = (q: VerifiedQuantity, m: number | null, bound: number, gBound: number, status: BoundStatus, statement: BoundStatement, estimate = false): VerifyBoundsRow => ({
    quantity: q,
    label: LABELS[q],
    measured: m,
    bound,
    guaranteedBound: gBound,
    status,
    statement,
    holds: m === null ? null : m <= bound,
    holdsGuaranteed: m === null ? null : m <= gBound,
    tight: m === null ? null : m === bound,
    estimate,
  });
  const table: VerifyBoundsRow[] = [
    scalarRow('gradient', gradient === null ? null : Math.max(...gradient), b.gradient.value, b.gradient.guaranteedValue, b.gradient.status, b.gradient.statement),
    seriesRow('update', update),
    seriesRow('sumOfUpdates', sumOfUpdates),
    seriesRow('weights', weights),
    ...([0, 1, 2] as const).map((n) =>
      scalarRow((['tensorMode1', 'tensorMode2', 'tensorMode3'] as const)[n], ml[n], b.multilinearRank.value[n], b.multilinearRank.guaranteedValue[n], b.multilinearRank.status, b.multilinearRank.statement),
    ),
    scalarRow('tensorCp', cpRank, b.cpRank.value, b.cpRank.guaranteedValue, b.cpRank.status, b.cpRank.statement, true),
  ];
  const measuredRows = table.filter((r) => !r.estimate && r.measured !== null);
  return {
    bounds,
    measured: { gradient, update, sumOfUpdates, weights, initialWeights, multilinearRank: ml, cpRank, cpProfile },
    table,
    allExactHold: measuredRows.filter((r) => r.status === 'exact').every((r) => r.holds === true),
    allGuaranteedHold: measuredRows.every((r) => r.holdsGuaranteed === true),
    finalSpectrum,
    loss: { first: lossFirst, last: lossLast },
    tolerance: {
      rtol: o.rtol,
      rule: 'singular values > rtol · max(rows, cols) · σ_ref count, σ_ref = the largest σ of the matrix and of the snapshots W_j it is computed from (float32 round-off of W_j sets the floor)',
    },
    provenance: makeProvenance(o.seed, { function: 'verifyBounds', spec: s, ...o, learningRate: lr }, startedAt),
  };
}

/** W ← c · U Vᵀ with U, V ∈ ℝ^{N×r} standard normal and c = 0.8/√(N r) (spectral radius ≈ 0.8). */
function assignLowRank(v: tf.Variable, n: number, r: number, g: Rng): void {
  const u = g.normalArray(n * r);
  const vv = g.normalArray(n * r);
  const c = 0.8 / Math.sqrt(n * r);
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let k = 0; k < r; k++) acc += u[i * r + k] * vv[j * r + k];
      out[i * n + j] = c * acc;
    }
  }
  const t = tf.tensor2d(out, [n, n]);
  v.assign(t);
  t.dispose();
}

/**
 * The table of a {@link verifyBounds} result as aligned text: quantity, measured, bound,
 * guaranteed bound, status, statement and whether it holds / is tight.
 */
export function formatBoundsTable(result: VerifyBoundsResult): string {
  const head = ['quantity', 'measured', 'bound', 'guaranteed', 'status', 'from', 'holds', 'tight'];
  const rows = result.table.map((r) => [
    r.label,
    r.measured === null ? '—' : String(r.measured),
    String(r.bound),
    String(r.guaranteedBound),
    r.status,
    r.statement,
    r.holds === null ? '—' : r.holds ? 'yes' : 'NO',
    r.tight === null ? '—' : r.tight ? 'yes' : 'no',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
