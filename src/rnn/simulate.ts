/**
 * `simulate`: one batched, differentiable unroll of a cell over time for many trials at once.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { rng, randomNormal } from '../backend/random';
import { LtrError } from '../validate/errors';
import { parseOptions, schemas } from '../validate/options';
import type { TensorLike } from '../validate/tensor';
import { RnnCell } from './cell';

/** Default of `maxDenseElements`: 2²⁷ numbers (512 MiB as float32). */
export const DEFAULT_MAX_DENSE_ELEMENTS = 2 ** 27;

const isArrayLike = (v: unknown): boolean => Array.isArray(v) || ArrayBuffer.isView(v);
const tensorLike = z.custom<TensorLike>((v) => v instanceof tf.Tensor || Array.isArray(v) || (typeof v === 'object' && v !== null && 'data' in v && 'shape' in v), 'must be a tf.Tensor, nested arrays of numbers or { data, shape }');
const indexArray = z.custom<ArrayLike<number>>(isArrayLike, 'must be an array of non-negative integers');

/**
 * Options of {@link simulate}.
 * - `inputs` (required when the cell has inputs): time × trials × d_in; `inputs[t]` is held
 *   constant over step t (from x_t to x_{t+1}).
 * - `steps`: number of steps T (default: `inputs`' time length; required without inputs).
 * - `trials`: for each simulated trial, its index into the LTR cell's K trials (default 0..K−1,
 *   which needs a batch of K). Other cells: optional (sets the batch size).
 * - `conditions`: a condition id per simulated trial (required by a `per-condition` initial state
 *   unless `x0` is given).
 * - `batch`: number of trials when nothing else says it (default: K for the LTR cell, else 1).
 * - `x0`: initial states, N or trials × N, overriding the cell's `initialState`.
 * - `noise`: `{ sigma (default 0), seed (default 0) }`: white noise σ ξ(t), drawn on the host
 *   from the seed (identical on every backend; the same seed gives the same noise).
 * - `method`: `'euler'` (default) or `'heun'` (stochastic Heun / RK2, same noise in both stages).
 * - `drive`: `'factored'` (default; never forms W⁽ᵏ⁾) or `'dense'` (materializes W⁽ᵏ⁾ for every
 *   trial of the batch and uses batched matMuls — for comparisons), refused with `limit-exceeded`
 *   above `maxDenseElements` numbers (default 2²⁷ = 134M, i.e. 512 MiB of float32).
 */
export const simulateOptions = z.strictObject({
  inputs: tensorLike.optional(),
  steps: schemas.positiveInt.optional(),
  trials: indexArray.optional(),
  conditions: indexArray.optional(),
  batch: schemas.positiveInt.optional(),
  x0: tensorLike.optional(),
  noise: z.strictObject({ sigma: schemas.nonNegative.default(0), seed: schemas.seed.default(0) }).default({ sigma: 0, seed: 0 }),
  method: z.enum(['euler', 'heun']).default('euler'),
  drive: z.enum(['factored', 'dense']).default('factored'),
  maxDenseElements: schemas.positiveInt.default(DEFAULT_MAX_DENSE_ELEMENTS),
});
/** Input type of {@link simulateOptions}. */
export type SimulateOptions = z.input<typeof simulateOptions>;

/** What {@link simulate} returns; the caller owns the tensors ({@link SimulationResult.dispose}). */
export interface SimulationResult {
  /** x_1 … x_T: time × trials × N (the initial state is not included; see `initialState`). */
  states: tf.Tensor3D;
  /** φ(x_1) … φ(x_T): time × trials × N. */
  rates: tf.Tensor3D;
  /** y_t = W_out φ(x_t) + b_out: time × trials × D; null when the cell has no readout. */
  outputs: tf.Tensor3D | null;
  /** x_0: trials × N. */
  initialState: tf.Tensor2D;
  /** Disposes the four tensors. */
  dispose(): void;
}

/**
 * Simulates `cell` for `steps` steps of dt on a batch of trials, all trials at once:
 *
 *     x_{t+1} = x_t + (dt/τ)·(−x_t + W⁽ᵏ⁾ φ(x_t) + W_in u_t + b) + σ √(dt/τ) ξ_t,   ξ_t ~ N(0, I)
 *
 * (Euler–Maruyama of τ dx = (−x + W φ(x) + W_in u + b) dt + σ √τ dB_t, so that σ² / 2 is the
 * stationary variance of the noise-driven leak whatever τ and dt; Heun averages the slopes at x_t
 * and at the Euler prediction, with the same ξ_t). One recurrent drive function is built per call
 * (the LTR cell's trial gains are selected once), then the loop keeps only the tensors autodiff
 * needs and stacks states and rates at the end; outputs are one batched matMul over all steps.
 *
 * Synchronous and differentiable: call it inside `tf.variableGrads(() => loss(simulate(…)))`.
 * Tensor inputs are used as given (not scanned for NaN — that needs an asynchronous read; use
 * `toTensor` once to check them); array inputs are checked here.
 *
 * @example
 * ```ts
 * const cell = new LowTensorRankCell({ size: 100, trials: 50, rank: 3, inputSize: 2, outputSize: 1 });
 * const res = simulate(cell, { inputs, noise: { sigma: 0.05, seed: 1 } }); // inputs: T × 50 × 2
 * res.dispose();
 * ```
 * @throws LtrError `invalid-option` / `shape-mismatch` / `invalid-data` naming the option, and
 * `limit-exceeded` for a dense drive above `maxDenseElements`.
 */
export function simulate(cell: RnnCell, options: SimulateOptions): SimulationResult {
  if (!(cell instanceof RnnCell)) throw new LtrError('invalid-option', 'simulate: cell must be a FullRankCell, LowRankCell or LowTensorRankCell.', { path: 'cell' });
  if (cell.isDisposed) throw new LtrError('invalid-data', 'simulate: the cell has been disposed.', { path: 'cell' });
  const o = parseOptions(simulateOptions, options, 'options');
  const n = cell.size;
  const dIn = cell.inputSize;
  const owned: tf.Tensor[] = [];
  try {
    // ---- inputs and sizes
    let inputs: tf.Tensor3D | null = null;
    if (o.inputs !== undefined) {
      if (dIn === 0) throw new LtrError('shape-mismatch', 'options.inputs given but the cell has no input (inputSize 0). Create the cell with inputSize = d_in.', { path: 'options.inputs' });
      inputs = asTensor(o.inputs, 'options.inputs', owned) as tf.Tensor3D;
      if (inputs.rank !== 3) throw new LtrError('shape-mismatch', `options.inputs must be time × trials × d_in (3 dimensions), got shape [${inputs.shape.join(', ')}].`, { path: 'options.inputs' });
      if (inputs.shape[2] !== dIn) {
        throw new LtrError('shape-mismatch', `options.inputs has input dimension ${inputs.shape[2]} (last axis) but the cell's inputSize d_in is ${dIn}.`, { path: 'options.inputs' });
      }
    } else if (dIn > 0) {
      throw new LtrError('invalid-option', `options.inputs is required: the cell has inputSize ${dIn}. Pass a time × trials × ${dIn} tensor.`, { path: 'options.inputs' });
    }
    const steps = o.steps ?? inputs?.shape[0];
    if (steps === undefined) throw new LtrError('invalid-option', 'options.steps is required when there are no inputs.', { path: 'options.steps' });
    if (inputs !== null && steps !== inputs.shape[0]) {
      throw new LtrError('shape-mismatch', `options.steps is ${steps} but options.inputs has ${inputs.shape[0]} time steps.`, { path: 'options.steps' });
    }
    let x0: tf.Tensor | null = null;
    if (o.x0 !== undefined) {
      x0 = asTensor(o.x0, 'options.x0', owned);
      if ((x0.rank !== 1 && x0.rank !== 2) || x0.shape[x0.rank - 1] !== n) {
        throw new LtrError('shape-mismatch', `options.x0 must have shape [N = ${n}] or [trials, ${n}], got [${x0.shape.join(', ')}].`, { path: 'options.x0' });
      }
    }
    const sources: [string, number][] = [];
    if (inputs !== null) sources.push(['options.inputs (axis 1)', inputs.shape[1]]);
    if (o.trials !== undefined) sources.push(['options.trials', o.trials.length]);
    if (o.conditions !== undefined) sources.push(['options.conditions', o.conditions.length]);
    if (x0 !== null && x0.rank === 2) sources.push(['options.x0 (axis 0)', x0.shape[0]]);
    if (o.batch !== undefined) sources.push(['options.batch', o.batch]);
    for (const [name, b] of sources.slice(1)) {
      if (b !== sources[0][1]) {
        throw new LtrError('shape-mismatch', `Trial count mismatch: ${sources[0][0]} has ${sources[0][1]} trials but ${name} has ${b}.`, { path: name.split(' ')[0] });
      }
    }
    const batch = sources.length > 0 ? sources[0][1] : (cell.trials ?? 1);
    const sel = cell.selectTrials(o.trials, batch, 'options.trials');
    let conditions: Int32Array | null = null;
    const nc = cell.conditions;
    if (nc !== null && x0 === null) {
      if (o.conditions === undefined) {
        throw new LtrError('invalid-option', `options.conditions is required: the cell learns one initial state per condition (${nc} conditions); give each trial its condition id.`, { path: 'options.conditions' });
      }
      conditions = new Int32Array(batch);
      for (let i = 0; i < batch; i++) {
        const c = o.conditions[i];
        if (!Number.isInteger(c) || c < 0 || c >= nc) {
          throw new LtrError('invalid-option', `options.conditions[${i}] = ${c} is not a condition id in 0..${nc - 1}.`, { path: `options.conditions[${i}]` });
        }
        conditions[i] = c;
      }
    }
    const noiseStd = o.noise.sigma * Math.sqrt(cell.dt / cell.tau);
    const noiseRng = o.noise.sigma > 0 ? rng(o.noise.seed) : null;
    const h = cell.dt / cell.tau;
    const heun = o.method === 'heun';

    // ---- the unroll
    const out = tf.tidy(() => {
      // One Euler step is x' = (1 − h)·x + h·W φ(x) + h·(W_in u + b) + η with h = dt/τ. h is folded
      // into the smallest factor of W and into [W_in, b] once, and the terms are summed with addN,
      // whose gradient saves nothing: per step the tape keeps only x, φ(x) and what the recurrent
      // product needs (the backends' Add/Mul gradients save both operands, which wasm copies).
      const rec = cell.recurrentDrive(sel, o.drive, o.maxDenseElements, h);
      const win = cell.inputMatrix();
      const bias = cell.biasVector();
      let inputSteps: tf.Tensor2D[] | null = null;
      let inputMap: tf.Tensor2D | null = null; // h·[W_in, b], N × (d_in [+ 1])
      let constant: tf.Tensor2D | null = null; // h·b for every trial, when there is no input
      if (inputs !== null && win !== null) {
        const withOnes = bias === null ? inputs : tf.concat([inputs, tf.ones([steps, batch, 1])], 2);
        inputSteps = tf.unstack(withOnes) as tf.Tensor2D[];
        inputMap = tf.mul(bias === null ? win : tf.concat([win, tf.reshape(bias, [n, 1])], 1), h) as tf.Tensor2D;
      } else if (bias !== null) {
        constant = tf.tile(tf.reshape(tf.mul(bias, h), [1, n]), [batch, 1]) as tf.Tensor2D;
      }
      const leak = 1 - h;
      /** (1 − h)·x + h·W φ(x) + h·(W_in u_t + b) + η. */
      const euler = (x: tf.Tensor2D, r: tf.Tensor2D, external: tf.Tensor2D | null, noise: tf.Tensor2D | null): tf.Tensor2D => {
        const terms: tf.Tensor2D[] = [rec(r)];
        if (leak !== 0) terms.push(tf.mul(x, leak));
        if (external !== null) terms.push(external);
        if (noise !== null) terms.push(noise);
        return terms.length === 1 ? terms[0] : (tf.addN(terms) as tf.Tensor2D);
      };
      let x: tf.Tensor2D = x0 === null ? cell.initialStates(batch, conditions) : x0.rank === 1 ? tf.tile(tf.reshape(x0, [1, n]), [batch, 1]) : tf.clone(x0 as tf.Tensor2D);
      const initial = x;
      let r = cell.activation(x) as tf.Tensor2D;
      const states: tf.Tensor2D[] = [];
      const rates: tf.Tensor2D[] = [];
      for (let t = 0; t < steps; t++) {
        // Each step in its own scope: intermediates the tape does not need are freed at once.
        [x, r] = tf.tidy(() => {
          const external: tf.Tensor2D | null = inputSteps !== null ? (tf.matMul(inputSteps[t], inputMap as tf.Tensor2D, false, true) as tf.Tensor2D) : constant;
          const noise = noiseRng !== null ? (randomNormal([batch, n], noiseRng, { std: noiseStd }) as tf.Tensor2D) : null;
          let next = euler(x, r, external, noise);
          if (heun) {
            // Stochastic Heun: x̃ = x + h f(x) + η (the Euler step above), then
            // x' = x + (h/2)(f(x) + f(x̃)) + η = ½·(x + [(1 − h)·x̃ + h·W φ(x̃) + h·(W_in u_t + b) + η]).
            next = tf.mul(tf.addN([x, euler(next, cell.activation(next) as tf.Tensor2D, external, noise)]), 0.5) as tf.Tensor2D;
          }
          return [next, cell.activation(next) as tf.Tensor2D];
        }) as [tf.Tensor2D, tf.Tensor2D];
        states.push(x);
        rates.push(r);
      }
      const s = tf.stack(states) as tf.Tensor3D;
      const rt = tf.stack(rates) as tf.Tensor3D;
      const result: tf.Tensor[] = [s, rt, initial];
      if (cell.readout !== null) result.push(cell.readout.applyWith(cell.readout.matrix(), rt));
      return result;
    });
    const [states, rates, initialState, outputs] = out as [tf.Tensor3D, tf.Tensor3D, tf.Tensor2D, tf.Tensor3D | undefined];
    return {
      states,
      rates,
      initialState,
      outputs: outputs ?? null,
      dispose() {
        states.dispose();
        rates.dispose();
        initialState.dispose();
        outputs?.dispose();
      },
    };
  } finally {
    for (const t of owned) t.dispose();
  }
}

/** A tf.Tensor as is (float32), or host data checked (rectangular, finite) and uploaded. */
function asTensor(v: TensorLike, name: string, owned: tf.Tensor[]): tf.Tensor {
  if (v instanceof tf.Tensor) {
    if (v.isDisposed) throw new LtrError('invalid-data', `${name} has been disposed.`, { path: name });
    if (v.dtype === 'float32') return v;
    const c = tf.cast(v, 'float32');
    owned.push(c);
    return c;
  }
  const { values, shape } = hostValues(v, name);
  const t = tf.tensor(values, shape, 'float32');
  owned.push(t);
  return t;
}

function hostValues(v: Exclude<TensorLike, tf.Tensor>, name: string): { values: Float32Array; shape: number[] } {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new LtrError('invalid-data', `${name} is not finite (${v}).`, { path: name });
    return { values: Float32Array.of(v), shape: [] };
  }
  if (Array.isArray(v)) {
    const shape: number[] = [];
    for (let level: unknown = v; Array.isArray(level); level = level[0]) shape.push(level.length);
    const size = shape.reduce((a, b) => a * b, 1);
    if (size === 0) throw new LtrError('invalid-data', `${name} is empty (shape [${shape.join(', ')}]).`, { path: name });
    const values = new Float32Array(size);
    let k = 0;
    const walk = (a: unknown, depth: number, at: string): void => {
      if (depth === shape.length) {
        if (typeof a !== 'number' || !Number.isFinite(a)) throw new LtrError('invalid-data', `${name}${at} must be a finite number, got ${Array.isArray(a) ? 'an array (ragged nesting)' : String(a)}.`, { path: `${name}${at}` });
        values[k++] = a;
        return;
      }
      if (!Array.isArray(a) || a.length !== shape[depth]) throw new LtrError('invalid-data', `${name} is ragged at ${name}${at}: every row must have the same length.`, { path: `${name}${at}` });
      for (let i = 0; i < a.length; i++) walk(a[i], depth + 1, `${at}[${i}]`);
    };
    walk(v, 0, '');
    return { values, shape };
  }
  const obj = v as { data: ArrayLike<number>; shape: readonly number[] };
  const shape = [...obj.shape];
  const size = shape.reduce((a, b) => a * b, 1);
  if (obj.data.length !== size) throw new LtrError('shape-mismatch', `${name}.data has ${obj.data.length} values but shape [${shape.join(', ')}] needs ${size}.`, { path: `${name}.data` });
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const x = obj.data[i];
    if (!Number.isFinite(x)) throw new LtrError('invalid-data', `${name}.data[${i}] is not finite (${x}).`, { path: `${name}.data[${i}]` });
    values[i] = x;
  }
  return { values, shape };
}
