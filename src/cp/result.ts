/**
 * The one result shape every CP decomposition returns, and its provenance record.
 */
import * as tf from '@tensorflow/tfjs-core';
import { VERSION } from '../version';
import { CPTensor } from './cp-tensor';

/** Where a result came from: enough to write a methods section and to repeat the run. */
export interface Provenance {
  library: 'ltr-rnn';
  /** Package version. */
  version: string;
  /** tfjs backend the computation ran on. */
  backend: string;
  /** The seed the run was started from. */
  seed: number;
  /** Resolved options (defaults filled in), JSON-safe: tensors and CP tensors are summarized, functions and signals dropped. */
  options: Record<string, unknown>;
  /** ISO time the run started. */
  startedAt: string;
  /** Wall time of the run, milliseconds. */
  durationMs: number;
}

/** One restart's outcome, as reported in {@link DecompositionResult.restarts}. */
export interface RestartSummary {
  relError: number;
  iterations: number;
  converged: boolean;
  /** The seed this restart was initialized from. */
  seed: number;
}

/** What every decomposition (`cpAls`, `cpNonneg`, `cpOpt`) returns. The caller owns `cp`. */
export interface DecompositionResult {
  /** The fitted CP tensor, arranged (unit-norm columns, components by descending weight). */
  cp: CPTensor;
  /** Final relative error ‖x − cp‖ / ‖x‖ (over observed entries when a mask was given). */
  relError: number;
  /** Iterations run by the returned (best) restart. */
  iterations: number;
  /** Whether the best restart met the tolerance before `maxIter`. */
  converged: boolean;
  /** Relative error after each iteration of the best restart. */
  history: number[];
  /** Every restart's outcome, in the order run (present when `restarts` ≥ 1 was resolved). */
  restarts?: RestartSummary[];
  provenance: Provenance;
}

/**
 * Builds a {@link Provenance} at the end of a run.
 *
 * @param seed - the run's seed.
 * @param options - resolved options; made JSON-safe here (tensors → `{ tensor: shape }`,
 *   CP tensors → `{ cpTensor: { shape, rank } }`, functions and AbortSignals dropped).
 * @param startedAt - `Date.now()` (or a `Date`) taken when the run started.
 */
export function makeProvenance(seed: number, options: Record<string, unknown>, startedAt: number | Date): Provenance {
  const t0 = typeof startedAt === 'number' ? startedAt : startedAt.getTime();
  return {
    library: 'ltr-rnn',
    version: VERSION,
    backend: tf.getBackend(),
    seed,
    options: sanitize(options),
    startedAt: new Date(t0).toISOString(),
    durationMs: Date.now() - t0,
  };
}

function sanitize(options: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) {
    const s = sanitizeValue(v);
    if (s !== undefined) out[k] = s;
  }
  return out;
}

function sanitizeValue(v: unknown): unknown {
  if (v === undefined || typeof v === 'function') return undefined;
  if (v instanceof tf.Tensor) return { tensor: [...v.shape] };
  if (typeof v === 'object' && v !== null) {
    if ('aborted' in v && 'addEventListener' in v) return undefined; // AbortSignal
    if (v instanceof CPTensor) return { cpTensor: { shape: v.shape, rank: v.rank } };
    if ('data' in v && 'shape' in v) return { tensor: [...(v as { shape: number[] }).shape] };
    if (Array.isArray(v)) return v.length > 64 ? { array: v.length } : v.map(sanitizeValue);
    return sanitize(v as Record<string, unknown>);
  }
  return v;
}
