/**
 * What every CP decomposition shares around its own iteration: validating and converting the data
 * (with an optional mask), checking `init` and the abort signal, and running the restarts and
 * returning the best as a {@link DecompositionResult}.
 */
import * as tf from '@tensorflow/tfjs-core';
import { rng, type Rng } from '../backend/random';
import { eigh } from '../linalg/eigh';
import type { Matrix } from '../linalg/matrix';
import { LtrError } from '../validate/errors';
import { toTensor, type TensorLike } from '../validate/tensor';
import { unfold } from './algebra';
import { CPTensor, sumSquares } from './cp-tensor';
import { checkMask, checkRank, type DecompositionInit, type ResolvedDecompositionOptions } from './options';
import { makeProvenance, type DecompositionResult, type RestartSummary } from './result';
import { eventLoopTurns } from '../backend/macrotask';

/** The data of a decomposition after validation (see {@link prepareData}). */
export interface PreparedData {
  /** The data, float32; missing entries (mask 0) set to 0. */
  x: tf.Tensor;
  shape: number[];
  /** 0/1 float32 mask, or null when every entry is observed. */
  mask: tf.Tensor | null;
  /** Number of observed entries. */
  observed: number;
  /** ‖x‖² over observed entries, float64. */
  xx: number;
  /** Mean of the observed entries. */
  mean: number;
}

/**
 * Validates and converts decomposition data (internal, shared by cpNonneg, cpOpt and rankSweep):
 * at least 2 modes, finite at observed entries (mask 0 entries may be NaN), not all zero. The
 * returned tensors are pushed onto `owned` for the caller to dispose.
 */
export async function prepareData(
  input: TensorLike,
  maskInput: TensorLike | undefined,
  owned: tf.Tensor[],
  options: { name?: string; privateCopy?: boolean } = {},
): Promise<PreparedData> {
  const name = options.name ?? 'x';
  const given = await toTensor(input, { name, allowNonFinite: maskInput !== undefined });
  owned.push(given);
  // cpAls asks for storage of its own when the input was a tensor: tfjs-backend-wasm caches matMul
  // operands by storage, so the user's tensor must not be the one reshaped there (see mttkrpOwned).
  const raw = options.privateCopy && input instanceof tf.Tensor ? tf.mul(given, 1) : given;
  if (raw !== given) owned.push(raw);
  if (raw.rank < 2) {
    throw new LtrError('shape-mismatch', `${name} must have at least 2 modes for a CP decomposition, got shape [${raw.shape.join(', ')}].`, { path: name });
  }
  if (maskInput === undefined) {
    const xx = await sumSquares(raw);
    if (!(xx > 0)) throw new LtrError('invalid-data', `${name} is all zero: there is nothing to decompose.`, { path: name });
    const s = tf.sum(raw);
    const sum = (await s.data())[0];
    s.dispose();
    return { x: raw, shape: raw.shape, mask: null, observed: raw.size, xx, mean: sum / raw.size };
  }
  const { mask, observed } = await checkMask(maskInput, raw.shape, 'options.mask');
  owned.push(mask);
  const bad = tf.tidy(() => tf.sum(tf.mul(tf.cast(tf.logicalNot(tf.isFinite(raw)), 'float32'), mask)));
  const nBad = (await bad.data())[0];
  bad.dispose();
  if (nBad > 0) {
    throw new LtrError('invalid-data', `${name} has ${nBad} NaN/Infinity value(s) at observed entries (mask 1). Set the mask to 0 there, or fix the data.`, { path: name });
  }
  const x = tf.tidy(() => tf.where(tf.greater(mask, 0.5), raw, tf.zerosLike(raw)));
  owned.push(x);
  const xx = await sumSquares(x);
  if (!(xx > 0)) throw new LtrError('invalid-data', `${name} is all zero at the observed entries: there is nothing to decompose.`, { path: name });
  const s = tf.sum(x);
  const sum = (await s.data())[0];
  s.dispose();
  return { x, shape: x.shape, mask, observed, xx, mean: sum / observed };
}

/** Shared with cpOpt: the init CPTensor must match the data's shape and the rank. */
export function checkInit(init: CPTensor, shape: readonly number[], rank: number): void {
  if (init.isDisposed) throw new LtrError('invalid-option', 'options.init: the CPTensor has been disposed.', { path: 'options.init' });
  const s = init.shape;
  if (s.length !== shape.length || s.some((v, i) => v !== shape[i]) || init.rank !== rank) {
    throw new LtrError(
      'shape-mismatch',
      `options.init: the CPTensor has shape [${s.join(', ')}] and rank ${init.rank}, but the data has shape [${shape.join(', ')}] and options.rank is ${rank}. Pass a CPTensor of the data's shape and rank.`,
      { path: 'options.init' },
    );
  }
}

/** Throws LtrError 'aborted' when the signal has fired. */
export function checkAborted(signal: AbortSignal | undefined, fn: string): void {
  if (signal?.aborted) throw new LtrError('aborted', `${fn} was aborted through options.signal.`, { path: 'options.signal' });
}

/**
 * The check an iteration loop awaits before each iteration: it lets the event loop turn every
 * 20 ms (so that a timer or SIGINT handler can fire the signal mid-run; the backends' reads never
 * yield) and then throws `aborted` if the signal fired.
 */
export function iterationGuard(signal: AbortSignal | undefined, fn: string): () => Promise<void> {
  const letEventsRun = eventLoopTurns();
  return async () => {
    await letEventsRun();
    checkAborted(signal, fn);
  };
}


/** One restart's outcome, as each method's inner loop returns it. */
export interface RunResult {
  /** Component weights; all ones when the method keeps the scale in the factors. */
  weights?: Float64Array;
  factors: Matrix[];
  relError: number;
  iterations: number;
  converged: boolean;
  history: number[];
}

/**
 * Checks rank, init and abort, runs `runOne` for every restart (the first from `options.init`, the
 * others from random factors, seeds derived from `options.seed`) and returns the best restart,
 * arranged, with every restart summarized and the provenance.
 */
export async function runRestarts<D extends { shape: number[] }>(
  method: 'cpAls' | 'cpNonneg' | 'cpOpt',
  data: D,
  o: ResolvedDecompositionOptions,
  startedAt: number,
  runOne: (data: D, init: DecompositionInit, gen: Rng, restart: number) => Promise<RunResult>,
): Promise<DecompositionResult> {
  checkRank(o.rank, data.shape);
  if (o.init instanceof CPTensor) checkInit(o.init, data.shape, o.rank);
  checkAborted(o.signal, method);
  const seeder = rng(o.seed);
  const seeds = [o.seed];
  for (let k = 1; k < o.restarts; k++) seeds.push(seeder.deriveSeed());
  const results: RunResult[] = [];
  let best = -1;
  for (let k = 0; k < o.restarts; k++) {
    const res = await runOne(data, k === 0 ? o.init : 'random', rng(seeds[k]), k);
    results.push(res);
    if (best < 0 || res.relError < results[best].relError) best = k;
  }
  const b = results[best];
  const raw = CPTensor.fromArrays(b.weights ?? new Float64Array(o.rank).fill(1), b.factors);
  const cp = raw.arrange();
  raw.dispose();
  const restarts: RestartSummary[] = results.map((r, k) => ({ relError: r.relError, iterations: r.iterations, converged: r.converged, seed: seeds[k] }));
  return {
    cp,
    relError: b.relError,
    iterations: b.iterations,
    converged: b.converged,
    history: b.history,
    restarts,
    provenance: makeProvenance(o.seed, { method, ...o }, startedAt),
  };
}

/**
 * Eigenvectors (columns, by descending eigenvalue) of unfold(x, mode)·unfold(x, mode)ᵀ — the left
 * singular vectors of the unfolding — computed on the host in float64 from the I × I Gram matrix
 * (symmetrized, since the backend's float32 product is not exactly symmetric). The 'svd' start.
 */
export async function unfoldingEigenvectors(x: tf.Tensor, mode: number): Promise<Matrix> {
  const g = tf.tidy(() => {
    const u = unfold(x, mode);
    return tf.matMul(u, u, false, true);
  });
  const gd = await g.data();
  g.dispose();
  const im = x.shape[mode];
  const sym = new Float64Array(im * im);
  for (let i = 0; i < im; i++) for (let j = 0; j < im; j++) sym[i * im + j] = 0.5 * (gd[i * im + j] + gd[j * im + i]);
  return eigh({ rows: im, cols: im, data: sym }).vectors;
}
