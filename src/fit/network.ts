/**
 * The fitted network: a low-tensor-rank cell whose trial factors come from the smoothness prior
 * (C = L Z + β), condition-specific inputs on a temporal basis, a learned initial state per
 * condition, and a decoder from the latent rates to the recorded neurons. The two baselines
 * (`lowRankPerTrial`, `static`) reuse everything but the recurrent weights.
 *
 * The cell is a {@link LowTensorRankCell} subclass that computes its recurrent drive from the
 * fit's own parameters (Z, β or per-trial factors) inside the caller's tape, so that `simulate`
 * runs it and autodiff reaches those parameters. After training its `trialFactors` variable is
 * set to the observed trial factors, so `weightTensor(cell)` and `cell.toJSON()` describe the fit.
 */
import * as tf from '@tensorflow/tfjs-core';
import { rng } from '../backend/random';
import { matrix, type Matrix } from '../linalg/matrix';
import { LowTensorRankCell, type LowTensorRankCellOptions } from '../rnn/cells';
import { qr } from '../linalg/qr';
import { svd } from '../linalg/svd';
import type { ActivationName } from '../rnn/activation';
import { trialPriorFactors } from './kernel';
import { makeSelectors, unrollFactored, type Selectors } from './unroll';
import type { FitModel } from './options';

/** Everything that fixes the network's architecture (plain data; stored in the fit's JSON). */
export interface NetworkConfig {
  model: FitModel;
  rank: number;
  latentDim: number;
  /** Recorded neurons D. */
  neurons: number;
  /** Time bins T (the network runs T − 1 steps from its initial state). */
  bins: number;
  /** Trials K. */
  trials: number;
  /** Distinct conditions. */
  conditions: number;
  tau: number;
  dt: number;
  activation: ActivationName;
  noise: number;
  bias: boolean;
  method: 'euler' | 'heun';
  decoder: 'orthogonal' | 'linear';
  decoderBias: boolean;
  decoderScale: boolean;
  kernel: 'rationalQuadratic' | 'none';
  lengthScale: number;
  sigma: number;
  alpha: number;
  sigmaObservation: number;
  discontinuousAtEpochs: boolean;
  /** Input dimension (0: no inputs). */
  inputDim: number;
  inputInSpan: boolean;
  /** Steps (0..T−2) during which the inputs are on. */
  inputSteps: number[];
  /** Basis functions per input time course (≤ inputSteps.length). */
  basisSize: number;
  initialStateScale: number;
  loss: 'mse' | 'poisson';
  seed: number;
}

/** Per-trial metadata the network needs (resolved, one entry per trial). */
export interface NetworkMetadata {
  /** Condition index (0..conditions−1) of each trial. */
  conditionIndex: Int32Array;
  /** Trial ids (kernel abscissae). */
  trialIds: Float64Array;
  /** Epoch index of each trial, or null. */
  epochIndex: Int32Array | null;
}

/** Counts of trainable numbers (the orthogonal decoder counted by its manifold dimension). */
export interface ParameterCounts {
  /** Everything trained. */
  total: number;
  /** Recurrent weights: (2N + K)·R (+R) for ltr, 2·K·N·R for lowRankPerTrial, 2·N·R + R for static. */
  recurrent: number;
  /** Decoder (map, bias, scale). */
  decoder: number;
  /** Input courses and input map. */
  inputs: number;
  /** Initial states (one per condition) and bias. */
  other: number;
}

type TrialSel = { indices: Int32Array; identity: boolean };
type Drive = (rates: tf.Tensor2D) => tf.Tensor2D;
type DriveOverride = (sel: TrialSel, scale: number) => Drive;

function oneHotMatrix(indices: ArrayLike<number>, classes: number): tf.Tensor2D {
  const m = new Float32Array(indices.length * classes);
  for (let i = 0; i < indices.length; i++) m[i * classes + indices[i]] = 1;
  return tf.tensor2d(m, [indices.length, classes]);
}

/** @internal An LTR cell whose recurrent drive may come from outside parameters. */
export class FitCell extends LowTensorRankCell {
  /** When set, replaces the cell's own drive (trial factors from the prior, or a baseline's weights). */
  driveOverride: DriveOverride | null = null;

  constructor(options: LowTensorRankCellOptions) {
    super(options);
  }

  /** @internal */
  override recurrentDrive(sel: TrialSel, mode: 'factored' | 'dense', maxDenseElements: number, scale = 1): Drive {
    if (this.driveOverride === null) return super.recurrentDrive(sel, mode, maxDenseElements, scale);
    return this.driveOverride(sel, scale);
  }
}

/**
 * y = r Wᵀ for rates r (rows) and a decoder W (D × N), with a hand-written gradient that uses only
 * untransposed matMuls (tfjs-wasm's transposed matMul of a tall operand is ~10× slower than the
 * plain one at these sizes): ∂r = ∂y W, ∂W = ((rᵀ) ∂y)ᵀ.
 */
function decode(r: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  const op = tf.customGrad((...args: (tf.Tensor | ((t: tf.Tensor[]) => void))[]) => {
    const [rt, wt] = args as tf.Tensor2D[];
    const save = args[2] as (t: tf.Tensor[]) => void;
    save([rt, wt]);
    return {
      value: tf.matMul(rt, tf.transpose(wt)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sr, sw] = saved as tf.Tensor2D[];
        return [tf.matMul(dy as tf.Tensor2D, sw), tf.transpose(tf.matMul(tf.transpose(sr), dy as tf.Tensor2D))];
      },
    };
  });
  return (op as unknown as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor2D)(r, w);
}

/** Gaussian bumps over the input steps: a (T−1) × basisSize matrix, zero outside the window. */
export function inputBasis(steps: number, inputSteps: readonly number[], basisSize: number): Float32Array {
  const out = new Float32Array(steps * basisSize);
  const w = inputSteps.length;
  if (w === 0) return out;
  if (basisSize >= w) {
    inputSteps.forEach((s, j) => (out[s * basisSize + j] = 1));
    return out;
  }
  const first = inputSteps[0];
  const last = inputSteps[w - 1];
  const spacing = basisSize > 1 ? (last - first) / (basisSize - 1) : Math.max(1, last - first);
  for (const s of inputSteps) {
    for (let b = 0; b < basisSize; b++) {
      const centre = basisSize > 1 ? first + b * spacing : (first + last) / 2;
      out[s * basisSize + b] = basisSize > 1 ? Math.exp(-((s - centre) ** 2) / (2 * spacing * spacing)) : 1;
    }
  }
  return out;
}

/** What one forward pass returns (tensors in the caller's tape). */
export interface ForwardResult {
  /** Decoder output, T × K × D: the prediction (mse) or the log-rate (poisson). */
  output: tf.Tensor3D;
  /** Latent states x_0 … x_{T−1}: T × K × N. */
  states: tf.Tensor3D;
  /** Latent rates φ(x). */
  rates: tf.Tensor3D;
  /** Inputs, (T − 1) × K × d, when asked for (predict), else null. */
  inputs: tf.Tensor3D | null;
}

/**
 * @internal The network of a fit: owns its cell, decoder, extra variables and constants.
 */
export class FitNetwork {
  readonly config: NetworkConfig;
  readonly meta: NetworkMetadata;
  readonly cell: FitCell;
  private readonly own = new Map<string, tf.Variable>();
  private readonly constants: tf.Tensor[] = [];
  private readonly priorObserved: tf.Tensor2D | null = null;
  private readonly priorLatent: tf.Tensor2D | null = null;
  private readonly basis: tf.Tensor2D | null = null;
  private readonly conditionOneHot: tf.Tensor2D;
  /** One-hot selectors that place and read rows of T × (K·N) matrices. */
  private readonly selectors: Selectors;
  /** For each step, whether the input basis is nonzero there. */
  private readonly inputRows: boolean[] | null = null;
  /** @internal Tests: run the plain autodiff unroll even where the custom gradient applies. */
  forceAutodiff = false;
  /** Host float64 kernel factors (for reports). */
  readonly priorFactors: { observed: Matrix; latent: Matrix } | null = null;

  /**
   * @param init - optional initial decoder bias (per-neuron mean, or log mean count for Poisson).
   */
  constructor(config: NetworkConfig, meta: NetworkMetadata, init: { decoderBias?: Float32Array; decoderWeight?: Float32Array; initialStates?: Float32Array } = {}) {
    this.config = config;
    this.meta = meta;
    const c = config;
    const r = rng(c.seed);
    const cellSeed = r.deriveSeed();
    const decoderSeed = r.deriveSeed();
    const ownRng = r.fork();
    this.cell = new FitCell({
      size: c.latentDim,
      trials: c.trials,
      rank: c.rank,
      inputSize: c.inputDim,
      outputSize: 0,
      tau: c.tau,
      dt: c.dt,
      activation: c.activation,
      bias: c.bias,
      biasInSpan: c.bias,
      inputInSpan: c.inputDim > 0 && c.inputInSpan,
      trainInput: true,
      initialState: { type: 'per-condition', conditions: c.conditions, scale: c.initialStateScale },
      unitNormColumns: true,
      seed: cellSeed,
    });
    try {
      const k = c.trials;
      const rk = c.rank;
      const n = c.latentDim;
      this.conditionOneHot = this.constant(oneHotMatrix(meta.conditionIndex, c.conditions));
      this.selectors = makeSelectors(c.bins);
      for (const list of [this.selectors.placeT, this.selectors.rowT, this.selectors.placeS, this.selectors.rowS]) for (const t of list) this.constant(t);
      // Decoder D × N: starts with random orthonormal columns; 'orthogonal' keeps them
      // orthonormal by a polar retraction after every update (retractDecoder).
      // (With more latent units than neurons — linear decoder only — N(0, 1/N) entries instead.)
      const dr = rng(decoderSeed);
      const gaussian = dr.normalArray(c.neurons * c.latentDim);
      const start = c.latentDim <= c.neurons ? qr(matrix(c.neurons, c.latentDim, gaussian)).q.data : gaussian.map((v) => v / Math.sqrt(c.latentDim));
      this.addOwn('decoderWeight', [c.neurons, c.latentDim], init.decoderWeight ?? Float32Array.from(start));
      if (init.initialStates !== undefined) {
        const x0 = init.initialStates;
        tf.tidy(() => this.cell.namedVariables().initialState.assign(tf.tensor2d(x0, [c.conditions, c.latentDim])));
      }
      if (c.decoderBias) this.addOwn('decoderBias', [c.neurons], init.decoderBias ?? new Float32Array(c.neurons));
      if (c.decoderScale) this.addOwn('decoderScale', [1], Float32Array.of(1));
      if (c.inputDim > 0) {
        const basisValues = inputBasis(c.bins - 1, c.inputSteps, c.basisSize);
        this.basis = this.constant(tf.tensor2d(basisValues, [c.bins - 1, c.basisSize]));
        this.inputRows = Array.from({ length: c.bins - 1 }, (_, t) => basisValues.subarray(t * c.basisSize, (t + 1) * c.basisSize).some((v) => v !== 0));
        this.addOwn('inputCourses', [c.basisSize, c.conditions * c.inputDim], Float32Array.from(ownRng.normalArray(c.basisSize * c.conditions * c.inputDim, 0, 0.1)));
      }
      if (c.model === 'ltr' && c.kernel === 'rationalQuadratic') {
        const f = trialPriorFactors(meta.trialIds, { lengthScale: c.lengthScale, sigma: c.sigma, alpha: c.alpha, sigmaObservation: c.sigmaObservation }, c.discontinuousAtEpochs ? meta.epochIndex : null);
        this.priorFactors = { observed: f.observed, latent: f.latent };
        this.priorObserved = this.constant(tf.tensor2d(Float32Array.from(f.observed.data), [k, k]));
        this.priorLatent = f.latent === f.observed ? this.priorObserved : this.constant(tf.tensor2d(Float32Array.from(f.latent.data), [k, k]));
        this.addOwn('trialLatent', [k, rk], Float32Array.from(ownRng.normalArray(k * rk)));
        this.addOwn('trialOffset', [rk], new Float32Array(rk).fill(1));
        const lObs = this.priorObserved;
        this.cell.driveOverride = (sel, scale) => this.ltrDrive(sel, scale, () => tf.add(tf.matMul(lObs, this.own.get('trialLatent') as tf.Tensor2D), this.own.get('trialOffset') as tf.Tensor) as tf.Tensor2D);
      } else if (c.model === 'static') {
        this.addOwn('trialOffset', [rk], new Float32Array(rk).fill(1));
        this.cell.driveOverride = (sel, scale) => this.ltrDrive(sel, scale, () => tf.tile(tf.reshape(this.own.get('trialOffset') as tf.Tensor, [1, rk]), [k, 1]) as tf.Tensor2D);
      } else if (c.model === 'lowRankPerTrial') {
        // W_k = M_k N_kᵀ, initialized like the ltr cell: unit-norm random modes, B = A, gains ≈ 1.
        const a = ownRng.normalArray(n * rk, 0, 1 / Math.sqrt(n));
        for (let j = 0; j < rk; j++) {
          let s = 0;
          for (let i = 0; i < n; i++) s += a[i * rk + j] ** 2;
          const nrm = Math.sqrt(s) || 1;
          for (let i = 0; i < n; i++) a[i * rk + j] /= nrm;
        }
        const left = new Float32Array(k * n * rk);
        const right = new Float32Array(k * n * rk);
        for (let t = 0; t < k; t++) {
          const gains = Array.from({ length: rk }, () => 1 + (0.2 * (2 * ownRng.uniform() - 1)) / Math.sqrt(rk));
          for (let i = 0; i < n; i++) {
            for (let j = 0; j < rk; j++) {
              left[(t * n + i) * rk + j] = a[i * rk + j] * gains[j];
              right[(t * n + i) * rk + j] = a[i * rk + j];
            }
          }
        }
        this.addOwn('perTrialLeft', [k, n, rk], left);
        this.addOwn('perTrialRight', [k, n, rk], right);
        this.cell.driveOverride = (sel, scale) => this.perTrialDrive(sel, scale);
      }
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  private constant<T extends tf.Tensor>(t: T): T {
    this.constants.push(t);
    return t;
  }

  private addOwn(name: string, shape: number[], values: Float32Array): void {
    this.own.set(name, tf.tidy(() => tf.variable(tf.tensor(values, shape, 'float32'), true, undefined, 'float32')));
  }

  /** r ↦ scale · Â (C_sel ⊙ (r B̂))ᵀ with C from `trial()`. */
  private ltrDrive(sel: TrialSel, scale: number, trial: () => tf.Tensor2D): Drive {
    const f = this.cell.factors();
    f.trialFactors.dispose();
    const a = scale === 1 ? f.columnFactors : (tf.mul(f.columnFactors, scale) as tf.Tensor2D);
    const b = f.rowFactors;
    const cAll = trial();
    const c = sel.identity ? cAll : (tf.matMul(oneHotMatrix(sel.indices, this.config.trials), cAll) as tf.Tensor2D);
    return (r) => tf.matMul(tf.mul(tf.matMul(r, b), c), a, false, true);
  }

  /** r_k ↦ scale · M_k (N_kᵀ r_k) for each trial of the batch (batched matMuls, O(K·N·R)). */
  private perTrialDrive(sel: TrialSel, scale: number): Drive {
    const { trials: k, latentDim: n, rank: rk } = this.config;
    let m = this.own.get('perTrialLeft') as tf.Tensor3D;
    let nn = this.own.get('perTrialRight') as tf.Tensor3D;
    if (!sel.identity) {
      const oh = oneHotMatrix(sel.indices, k);
      m = tf.reshape(tf.matMul(oh, tf.reshape(m, [k, n * rk])), [sel.indices.length, n, rk]);
      nn = tf.reshape(tf.matMul(oh, tf.reshape(nn, [k, n * rk])), [sel.indices.length, n, rk]);
    }
    const ms = scale === 1 ? m : (tf.mul(m, scale) as tf.Tensor3D);
    return (r) => {
      const b = r.shape[0];
      const s = tf.matMul(tf.reshape(r, [b, 1, n]) as tf.Tensor3D, nn); // b × 1 × R
      return tf.reshape(tf.matMul(s, ms, false, true), [b, n]) as tf.Tensor2D;
    };
  }

  /** Trainable variables by stable name (checkpoint keys). */
  trainableVariables(): Record<string, tf.Variable> {
    const out: Record<string, tf.Variable> = {};
    const cellVars = this.cell.namedVariables();
    const skip = new Set<string>();
    if (this.config.model === 'lowRankPerTrial') ['columnFactors', 'rowFactors', 'trialFactors'].forEach((s) => skip.add(s));
    else if (!(this.config.model === 'ltr' && this.config.kernel === 'none')) skip.add('trialFactors');
    for (const [name, v] of Object.entries(cellVars)) if (v.trainable && !skip.has(name)) out[`cell.${name}`] = v;
    for (const [name, v] of this.own) out[name] = v;
    return out;
  }

  /** Every variable (trainable or not) by name: what the fit's JSON stores. */
  allVariables(): Record<string, tf.Variable> {
    const out: Record<string, tf.Variable> = {};
    for (const [name, v] of Object.entries(this.cell.namedVariables())) out[`cell.${name}`] = v;
    for (const [name, v] of this.own) out[name] = v;
    return out;
  }

  /** Observed and latent trial factors (K × R, caller's tape); null for lowRankPerTrial. */
  trialFactors(): { observed: tf.Tensor2D; latent: tf.Tensor2D } | null {
    const c = this.config;
    if (c.model === 'lowRankPerTrial') return null;
    return tf.tidy(() => {
      if (c.model === 'static') {
        const t = tf.tile(tf.reshape(this.own.get('trialOffset') as tf.Tensor, [1, c.rank]), [c.trials, 1]) as tf.Tensor2D;
        return { observed: t, latent: tf.clone(t) };
      }
      if (c.kernel === 'none') {
        const t = tf.clone(this.cell.namedVariables().trialFactors) as tf.Tensor2D;
        return { observed: t, latent: tf.clone(t) };
      }
      const z = this.own.get('trialLatent') as tf.Tensor2D;
      const beta = this.own.get('trialOffset') as tf.Tensor;
      return {
        observed: tf.add(tf.matMul(this.priorObserved as tf.Tensor2D, z), beta) as tf.Tensor2D,
        latent: tf.add(tf.matMul(this.priorLatent as tf.Tensor2D, z), beta) as tf.Tensor2D,
      };
    });
  }

  /** Writes the observed trial factors into the cell's `trialFactors` (so the cell alone describes W⁽ᵏ⁾). */
  syncCellTrialFactors(): void {
    const c = this.config;
    if (c.model === 'lowRankPerTrial' || (c.model === 'ltr' && c.kernel === 'none')) return;
    tf.tidy(() => {
      const f = this.trialFactors();
      if (f !== null) this.cell.namedVariables().trialFactors.assign(f.observed);
    });
  }

  /** Inputs (T−1) × K × d from the learned courses, or null (caller's tape). */
  inputs(): tf.Tensor3D | null {
    const c = this.config;
    if (c.inputDim === 0 || this.basis === null) return null;
    const steps = c.bins - 1;
    const d = c.inputDim;
    const nc = c.conditions;
    return tf.tidy(() => {
      const perCondition = tf.matMul(this.basis as tf.Tensor2D, this.own.get('inputCourses') as tf.Tensor2D); // steps × (nc·d)
      const byCondition = tf.reshape(tf.transpose(tf.reshape(perCondition, [steps, nc, d]), [1, 0, 2]), [nc, steps * d]);
      const byTrial = tf.matMul(this.conditionOneHot, byCondition); // K × (steps·d)
      return tf.transpose(tf.reshape(byTrial, [c.trials, steps, d]), [1, 0, 2]) as tf.Tensor3D;
    });
  }

  /**
   * One forward pass over all trials (in the caller's tape): the unroll from each condition's
   * initial state with the condition's inputs, then the decoder on every bin at once.
   *
   * Euler unrolls of the factored models (ltr, static) run through {@link unrollFactored} (a
   * custom gradient with half the ops of autodiff); Heun and the per-trial baseline through the
   * plain autodiff loop below. Each step's state is placed into the T × (K·N) result by a one-hot
   * matMul instead of `tf.stack`, whose gradient (T slices) is slow on wasm.
   */
  forward(noiseSeed = 0): ForwardResult {
    const c = this.config;
    const { trials: k, latentDim: n, bins: tt } = c;
    return tf.tidy(() => {
      const initial = tf.matMul(this.conditionOneHot, this.cell.namedVariables().initialState as tf.Tensor2D);
      const flat = c.method === 'euler' && c.model !== 'lowRankPerTrial' && !this.forceAutodiff ? this.unrollFast(initial as tf.Tensor2D, noiseSeed) : this.unrollAutodiff(initial as tf.Tensor2D, noiseSeed);
      const states = tf.reshape(flat, [tt, k, n]) as tf.Tensor3D;
      const rates = this.cell.activation(states) as tf.Tensor3D;
      let output = tf.reshape(decode(tf.reshape(rates, [tt * k, n]) as tf.Tensor2D, this.own.get('decoderWeight') as tf.Tensor2D), [tt, k, c.neurons]) as tf.Tensor3D;
      if (c.decoderScale) output = tf.mul(output, this.own.get('decoderScale') as tf.Tensor) as tf.Tensor3D;
      if (c.decoderBias) output = tf.add(output, this.own.get('decoderBias') as tf.Tensor) as tf.Tensor3D;
      const out: ForwardResult = { output, states, rates, inputs: null };
      return out as unknown as tf.TensorContainer;
    }) as unknown as ForwardResult;
  }

  /** The trial factors the network runs with (K × R, caller's tape); ltr and static only. */
  private trialMatrix(): tf.Tensor2D {
    const c = this.config;
    if (c.model === 'static') return tf.tile(tf.reshape(this.own.get('trialOffset') as tf.Tensor, [1, c.rank]), [c.trials, 1]) as tf.Tensor2D;
    if (c.kernel === 'none') return tf.clone(this.cell.namedVariables().trialFactors) as tf.Tensor2D;
    return tf.add(tf.matMul(this.priorObserved as tf.Tensor2D, this.own.get('trialLatent') as tf.Tensor2D), this.own.get('trialOffset') as tf.Tensor) as tf.Tensor2D;
  }

  /**
   * The external drive h·(W_in u_t + b) + noise of every step as a (T−1) × (K·N) matrix (caller's
   * tape), and which rows are nonzero (null: all); null when there is none.
   */
  private externalDrive(noiseSeed: number): { drive: tf.Tensor2D; rows: boolean[] | null } | null {
    const c = this.config;
    const { trials: k, latentDim: n } = c;
    const steps = c.bins - 1;
    const h = c.dt / c.tau;
    const parts: tf.Tensor2D[] = [];
    let rows: boolean[] | null = null;
    if (c.inputDim > 0 && this.basis !== null) {
      const nb = c.basisSize;
      const nc = c.conditions;
      const w = this.cell.inputMatrix() as tf.Tensor2D; // N × d
      const g = tf.reshape(this.own.get('inputCourses') as tf.Tensor, [nb * nc, c.inputDim]) as tf.Tensor2D;
      const perBasis = tf.matMul(g, tf.mul(w, h) as tf.Tensor2D, false, true); // (nb·Cn) × N
      const byCondition = tf.reshape(tf.transpose(tf.reshape(perBasis, [nb, nc, n]), [1, 0, 2]), [nc, nb * n]) as tf.Tensor2D;
      const byTrial = tf.matMul(this.conditionOneHot, byCondition); // K × (nb·N)
      const basisDrive = tf.reshape(tf.transpose(tf.reshape(byTrial, [k, nb, n]), [1, 0, 2]), [nb, k * n]) as tf.Tensor2D;
      parts.push(tf.matMul(this.basis, basisDrive));
      rows = this.inputRows;
    }
    const bias = this.cell.biasVector();
    if (bias !== null) {
      parts.push(tf.tile(tf.reshape(tf.tile(tf.reshape(tf.mul(bias, h), [1, n]), [k, 1]), [1, k * n]), [steps, 1]) as tf.Tensor2D);
      rows = null;
    }
    if (c.noise > 0) {
      const std = c.noise * Math.sqrt(h);
      parts.push(tf.tensor2d(Float32Array.from(rng(noiseSeed).normalArray(steps * k * n, 0, std)), [steps, k * n]));
      rows = null;
    }
    if (parts.length === 0) return null;
    return { drive: (parts.length === 1 ? parts[0] : tf.addN(parts)) as tf.Tensor2D, rows };
  }

  private unrollFast(initial: tf.Tensor2D, noiseSeed: number): tf.Tensor2D {
    const c = this.config;
    const h = c.dt / c.tau;
    const f = this.cell.factors();
    f.trialFactors.dispose();
    const ext = this.externalDrive(noiseSeed);
    return unrollFactored(initial, tf.mul(f.columnFactors, h) as tf.Tensor2D, f.rowFactors, this.trialMatrix(), ext?.drive ?? null, {
      steps: c.bins - 1,
      lambda: 1 - h,
      activation: c.activation,
      externalRows: ext?.rows ?? null,
      selectors: this.selectors,
    });
  }

  /** The plain autodiff unroll (Heun, the per-trial baseline; and the reference for tests). */
  unrollAutodiff(initial: tf.Tensor2D, noiseSeed: number): tf.Tensor2D {
    const c = this.config;
    const { trials: k, latentDim: n, bins: tt } = c;
    const h = c.dt / c.tau;
    return tf.tidy(() => {
      const sel = { indices: Int32Array.from({ length: k }, (_, i) => i), identity: true };
      const rec = this.cell.recurrentDrive(sel, 'factored', Infinity, h);
      const ext = this.externalDrive(noiseSeed);
      const leak = tf.scalar(1 - h);
      const sels = this.selectors;
      const euler = (x: tf.Tensor2D, r: tf.Tensor2D, external: tf.Tensor2D | null): tf.Tensor2D => {
        const terms: tf.Tensor2D[] = [rec(r), tf.mul(x, leak) as tf.Tensor2D];
        if (external !== null) terms.push(external);
        return tf.addN(terms) as tf.Tensor2D;
      };
      let x = initial;
      let r = this.cell.activation(x) as tf.Tensor2D;
      const pieces: tf.Tensor2D[] = [tf.matMul(sels.placeT[0], tf.reshape(x, [1, k * n]) as tf.Tensor2D)];
      for (let t = 0; t < tt - 1; t++) {
        [x, r] = tf.tidy(() => {
          const external = ext !== null && (ext.rows === null || ext.rows[t]) ? (tf.reshape(tf.matMul(sels.rowS[t], ext.drive), [k, n]) as tf.Tensor2D) : null;
          let next = euler(x, r, external);
          if (c.method === 'heun') next = tf.mul(tf.addN([x, euler(next, this.cell.activation(next) as tf.Tensor2D, external)]), 0.5) as tf.Tensor2D;
          return [next, this.cell.activation(next) as tf.Tensor2D];
        }) as [tf.Tensor2D, tf.Tensor2D];
        pieces.push(tf.matMul(sels.placeT[t + 1], tf.reshape(x, [1, k * n]) as tf.Tensor2D));
      }
      return tf.addN(pieces) as tf.Tensor2D;
    });
  }

  /**
   * Activity penalty of the inputs without building them per trial: mean over the kept trials,
   * steps and input dimensions of f(u), from the per-condition courses weighted by the number of
   * kept trials of each condition (`keptPerCondition`). Caller's tape.
   */
  inputPenalty(keptPerCondition: Float32Array, kept: number, fn: 'square' | 'abs'): tf.Scalar | null {
    const c = this.config;
    if (c.inputDim === 0 || this.basis === null) return null;
    return tf.tidy(() => {
      const u = tf.matMul(this.basis as tf.Tensor2D, this.own.get('inputCourses') as tf.Tensor2D); // steps × (Cn·d)
      const f = fn === 'abs' ? tf.abs(u) : tf.square(u);
      const perCondition = tf.sum(tf.reshape(f, [c.bins - 1, c.conditions, c.inputDim]), [0, 2]); // Cn
      return tf.div(tf.sum(tf.mul(perCondition, tf.tensor1d(keptPerCondition))), kept * (c.bins - 1) * c.inputDim) as tf.Scalar;
    });
  }

  /** The effective decoder D × N (with its scale) and bias (caller owns). */
  decoderMatrices(): { weight: tf.Tensor2D; bias: tf.Tensor1D | null } {
    return tf.tidy(() => {
      let w = tf.clone(this.own.get('decoderWeight') as tf.Tensor2D);
      if (this.config.decoderScale) w = tf.mul(w, this.own.get('decoderScale') as tf.Tensor) as tf.Tensor2D;
      const bias = this.config.decoderBias ? (tf.clone(this.own.get('decoderBias') as tf.Tensor) as tf.Tensor1D) : null;
      return { weight: w, bias } as unknown as tf.TensorContainer;
    }) as unknown as { weight: tf.Tensor2D; bias: tf.Tensor1D | null };
  }

  /** Trainable numbers by part (the orthogonal decoder counted by its manifold dimension N·D − N(N+1)/2). */
  parameterCounts(): ParameterCounts {
    const c = this.config;
    const size = (v: tf.Variable): number => v.size;
    const vars = this.trainableVariables();
    let recurrent = 0;
    let decoder = 0;
    let inputs = 0;
    let other = 0;
    for (const [name, v] of Object.entries(vars)) {
      if (name === 'decoderWeight' && c.decoder === 'orthogonal') decoder += c.latentDim * c.neurons - (c.latentDim * (c.latentDim + 1)) / 2;
      else if (name.startsWith('decoder')) decoder += size(v);
      else if (['cell.columnFactors', 'cell.rowFactors', 'cell.trialFactors', 'trialLatent', 'trialOffset', 'perTrialLeft', 'perTrialRight'].includes(name)) recurrent += size(v);
      else if (name === 'inputCourses' || name === 'cell.input' || name === 'cell.inputCoefficients') inputs += size(v);
      else other += size(v);
    }
    return { total: recurrent + decoder + inputs + other, recurrent, decoder, inputs, other };
  }

  /**
   * Orthogonal decoder: replaces W (D × N) by its polar factor U Vᵀ (W = U S Vᵀ, float64 SVD on
   * the host), the orthonormal-column matrix nearest to W — a retraction onto the Stiefel manifold
   * after each optimizer update (projected Adam). No-op for the linear decoder.
   */
  async retractDecoder(): Promise<void> {
    if (this.config.decoder !== 'orthogonal') return;
    const w = this.own.get('decoderWeight') as tf.Variable;
    const values = await w.data();
    const [d, n] = w.shape;
    const { u, v } = svd(matrix(d, n, Float64Array.from(values)));
    const q = new Float32Array(d * n);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let l = 0; l < n; l++) s += u.data[i * u.cols + l] * v.data[j * v.cols + l];
        q[i * n + j] = s;
      }
    }
    tf.tidy(() => w.assign(tf.tensor2d(q, [d, n])));
  }

  /** Releases every tensor. Safe to call twice. */
  dispose(): void {
    this.cell.dispose();
    for (const v of this.own.values()) if (!v.isDisposed) v.dispose();
    for (const t of this.constants) if (!t.isDisposed) t.dispose();
  }
}
