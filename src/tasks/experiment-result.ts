/**
 * The plain-data result of `learningExperiment`: everything the CLI prints, the report draws and
 * `methodsText` describes, with no tensors in it (it round-trips through JSON, except the two
 * large host arrays, which the report writes as `.npy`).
 */
import type { CrossValidationRow } from '../fit/cv';
import type { GradientDescentRankBounds } from '../rank/bounds';
import type { Provenance } from '../cp/result';

/** The three epochs of the experiment, in order. */
export const EXPERIMENT_EPOCHS = ['baseline', 'curl', 'washout'] as const;
/** An epoch name. */
export type ExperimentEpoch = (typeof EXPERIMENT_EPOCHS)[number];

/** A dense host array in C order. */
export interface HostArray {
  data: Float32Array;
  shape: number[];
}

/** One epoch's trials: `[start, end)` indices into the learning trials. */
export interface EpochSpan {
  name: ExperimentEpoch;
  start: number;
  end: number;
  /** Curl gain k of the force field in this epoch (0 = off). */
  curl: number;
}

/** Reach error at the start and end of an epoch (means over `window` trials). */
export interface EpochSummary {
  name: ExperimentEpoch;
  /** Mean reach error of the first `window` trials of the epoch. */
  first: number;
  /** Mean reach error of the last `window` trials of the epoch. */
  last: number;
  /** Mean signed lateral deviation of the first / last `window` trials (curl: one sign, after-effect: the other). */
  firstLateral: number;
  lastLateral: number;
  window: number;
}

/** Ranks of a weight change ΔW (N × N), from its singular values. */
export interface DeltaRank {
  /** Which change: `total` = W_end − W_start of the learning trials; otherwise one epoch's change. */
  name: 'total' | ExperimentEpoch;
  /** Singular values, descending. */
  singularValues: number[];
  /** Numerical rank (singular values above max(N) · ε_float32 · σ_max). */
  numericalRank: number;
  /** Smallest r whose leading singular values hold ≥ 90 % / 95 % of ‖ΔW‖²_F. */
  rankFor90: number;
  rankFor95: number;
}

/** One rank of the CP profile of the updates × N × N tensor of ΔW_k = W_k − W_0. */
export interface CpProfileRow {
  rank: number;
  relError: number;
  /** 1 − relError²: share of the tensor's squared norm the rank-R model explains. */
  explainedVariance: number;
  coreConsistency: number;
}

/** Cross-validation of an ltrRNN fitted to the recorded activity (`crossValidateRank`). */
export interface ExperimentCrossValidation {
  table: CrossValidationRow[];
  selectedRank: number;
  rule: 'oneStandardError' | 'minimum';
  bestRank: number;
  /** Trial factors of the selected fit: K × R (row k = trial k's gains), and the epoch of each trial. */
  trialFactors: number[][];
  /** The fit options used (plain data), for the methods text. */
  options: Record<string, unknown>;
  seeds: number[];
  /** Time bins used by the fit (the activity downsampled by `binStride`). */
  bins: number;
  binStride: number;
}

/** What `learningExperiment` returns. */
export interface LearningExperimentResult {
  format: 'ltr-rnn/learning-experiment';
  version: 1;
  /** The resolved options (plain data). */
  options: Record<string, unknown>;
  /** N, steps per trial T, dt, and the task's input/output sizes. */
  network: { neurons: number; steps: number; dt: number; tau: number; inputSize: number; outputSize: number; activation: string };
  pretraining: { updates: number; batchSize: number; optimizer: string; learningRate: number; finalLoss: number; finalReachError: number; durationMs: number };
  learning: { optimizer: 'sgd'; learningRate: number; trialsPerUpdate: 1; durationMs: number };
  epochs: EpochSpan[];
  /** Per learning trial (length K = sum of epoch lengths). */
  trials: {
    epoch: ExperimentEpoch[];
    target: number[];
    curl: number[];
    /** RMS distance between hand and the desired trajectory after the go cue. */
    reachError: number[];
    /** Signed largest perpendicular deviation from the straight path (positive = counter-clockwise). */
    lateralDeviation: number[];
    loss: number[];
  };
  epochSummary: EpochSummary[];
  /** Matrix ranks of ΔW over all learning trials and per epoch. */
  deltaRanks: DeltaRank[];
  /** CP profile of the K × N × N tensor of W_k − W_0, or null when skipped. */
  cpProfile: { rows: CpProfileRow[]; rankFor90: number | null; rankFor95: number | null; restarts: number; maxIter: number } | null;
  /** The bounds for the setting (SGD, one trial per update, tanh). */
  bounds: GradientDescentRankBounds;
  crossValidation: ExperimentCrossValidation | null;
  /** Activity (rates) of every learning trial: T × K × N. Not in `toJSON` output. */
  activity: HostArray;
  /** W_0 … W_K of the learning trials: (K + 1) × N × N. Not in `toJSON` output. */
  weights: HostArray;
  /** Wall time of each stage, ms. */
  timings: Record<'pretraining' | 'learning' | 'deltaRanks' | 'cpProfile' | 'crossValidation' | 'total', number>;
  provenance: Provenance;
}
