/**
 * `centerOutReach`: the center-out reaching task with a curl force field, the task the paper's
 * network learns and adapts to. The network's 2-D output is a force on a point-mass hand; the hand
 * should stay at the centre through a preparatory delay and, after the go cue, reach the cued
 * target along a minimum-jerk path (bell-shaped speed).
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { Rng } from '../backend/random';
import { ready } from '../backend/use';
import { LtrError } from '../validate/errors';
import { parseOptions, schemas } from '../validate/options';
import { handMatrix, inverseHand, minimumJerk, type PlantConstants } from './plant';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

/**
 * Options of {@link centerOutReach}. Times are in network steps of `dt` seconds (the cell's `dt`,
 * e.g. `new FullRankCell({ dt: 0.02, tau: 0.1, … })`); lengths are in units of `radius`.
 *
 * | option | default | meaning |
 * | --- | --- | --- |
 * | `targets` | 8 | number of targets (≥ 2), at angles 2πj/targets on a circle around the start |
 * | `radius` | 1 | distance of the targets from the start (length unit of the task) |
 * | `steps` | 60 | steps per trial T (1.2 s at the default dt) |
 * | `dt` | 0.02 | seconds per step; must equal the cell's `dt` |
 * | `goRange` | `[10, 20]` | range [min, max] of the go-cue step drawn for a trial (uniform integer, inclusive): a 0.2–0.4 s preparatory delay |
 * | `reactionSteps` | 5 | steps from the go cue to movement onset of the desired path (0.1 s) |
 * | `reachSteps` | 25 | duration of the desired reach, in steps (0.5 s) |
 * | `mass` | 0.02 | mass m of the hand |
 * | `viscosity` | 0.2 | viscosity b of the hand (m/b = 0.1 s: the hand moves about as fast as the force commands, like a damped arm) |
 * | `curl` | 0.06 | the field's nominal gain k (k/b = 0.3: a controller that ignores the field misses by ≈ 27 % of the radius, clockwise); trials take their own k, this is the value experiments use |
 * | `velocityWeight` | 0.01 | weight w_v (s²) of the velocity term of {@link CenterOutReach.loss} |
 * | `scorePreparation` | true | the loss also scores the preparatory delay (the hand must stay at the start): the mask is 1 on every step. false: 1 from the go step on |
 *
 * Refused: `goRange[0] > goRange[1]`, and a latest go step so late that the reach cannot end within
 * the trial (`goRange[1] + reactionSteps + reachSteps > steps`).
 */
export const centerOutReachOptions = z
  .strictObject({
    targets: z.number().int('must be an integer').min(2, 'must be ≥ 2').default(8),
    radius: schemas.positive.default(1),
    steps: schemas.positiveInt.default(60),
    dt: schemas.positive.default(0.02),
    goRange: z.tuple([schemas.nonNegativeInt, schemas.nonNegativeInt], { error: 'must be [min, max], two integers ≥ 0' }).default([10, 20]),
    reactionSteps: schemas.nonNegativeInt.default(5),
    reachSteps: schemas.positiveInt.default(25),
    mass: schemas.positive.default(0.02),
    viscosity: schemas.nonNegative.default(0.2),
    curl: finite.default(0.06),
    velocityWeight: schemas.nonNegative.default(0.01),
    scorePreparation: z.boolean().default(true),
  })
  .superRefine((o, ctx) => {
    const [min, max] = o.goRange;
    if (min > max) ctx.addIssue({ code: 'custom', path: ['goRange', 1], message: `must be ≥ goRange[0] = ${min}` });
    const last = o.steps - o.reactionSteps - o.reachSteps;
    if (max > last) {
      ctx.addIssue({
        code: 'custom',
        path: ['goRange', 1],
        message: `is ${max} but a reach that starts reactionSteps = ${o.reactionSteps} after the go cue and lasts reachSteps = ${o.reachSteps} must end within steps = ${o.steps}, so the go step can be at most ${last}; lower goRange[1], reactionSteps or reachSteps, or raise steps`,
      });
    }
  });
/** Input of {@link centerOutReachOptions}. */
export type CenterOutReachOptions = z.input<typeof centerOutReachOptions>;
/** Resolved options of {@link centerOutReach}. */
export type CenterOutReachResolved = z.output<typeof centerOutReachOptions>;

/** One trial: which target, the curl gain k (default 0 = no field), the go-cue step (default drawn). */
export interface ReachTrialSpec {
  /** Target index 0..targets−1 (target j sits at angle 2πj/targets). */
  target: number;
  /** Curl gain k of the force field F = k·[[0, 1], [−1, 0]]·v (default 0). k > 0 pushes the hand clockwise. */
  curl?: number;
  /** Step of the go cue, 0..steps − reactionSteps − reachSteps (default: drawn from `goRange`). */
  goStep?: number;
}

/**
 * A batch of trials, shaped time × trial × channel. The caller owns the tensors: {@link ReachBatch.dispose}.
 */
export interface ReachBatch {
  /** T × B × 3: (cos θ, sin θ) of the target on every step, and the go cue (1 from goStep on, 0 before). */
  inputs: tf.Tensor3D;
  /**
   * T × B × 2: desired hand position at the end of each step: the start (origin) until
   * goStep + reactionSteps, then a minimum-jerk reach of reachSteps steps to the target, then the target.
   */
  desired: tf.Tensor3D;
  /** T × B × 2: desired hand velocity, (desired_t − desired_{t−1})/dt: what the hand's velocity is when it follows `desired` exactly. */
  desiredVelocity: tf.Tensor3D;
  /** T × B × 1: 1 where the loss counts (every step with `scorePreparation`, else from the go step on). */
  mask: tf.Tensor3D;
  /** Target index of each trial. */
  targets: number[];
  /** Curl gain k of each trial. */
  curl: number[];
  /** Go-cue step of each trial. */
  goSteps: number[];
  /** Disposes the four tensors. */
  dispose(): void;
}

/** What {@link CenterOutReach.evaluate} returns: one number per trial. */
export interface ReachEvaluation {
  /** RMS distance between hand and desired position over the steps from the go cue on. */
  reachError: number[];
  /**
   * Signed largest perpendicular distance of the hand from the straight start → target line over
   * the steps from the go cue on; positive = counter-clockwise (left of the reach direction).
   */
  lateralDeviation: number[];
  /** Distance from the hand to the target at the last step. */
  endpointError: number[];
}

/**
 * The center-out reaching task (see {@link centerOutReach}): makes batches, drives the hand with
 * the network's outputs, scores them.
 */
export interface CenterOutReach {
  /** The resolved options. */
  readonly options: Readonly<CenterOutReachResolved>;
  /** Steps per trial T. */
  readonly steps: number;
  /** Seconds per step; must equal the cell's `dt`. */
  readonly dt: number;
  /** Input channels: cos θ, sin θ, go cue. */
  readonly inputSize: 3;
  /** Output channels: the force (x, y). */
  readonly outputSize: 2;
  /** Number of targets. */
  readonly targets: number;
  /** Latest allowed go step: steps − reactionSteps − reachSteps. */
  readonly lastGoStep: number;
  /** Position (x, y) of target j. */
  targetPosition(target: number): [number, number];
  /**
   * Builds the tensors of `trials`. `rng` draws the go steps the specs leave out (uniform in
   * `goRange`); without `rng` those trials get the middle of the range, ⌊(min + max)/2⌋.
   * @throws LtrError `invalid-option` naming the bad spec (`trials[2].target`).
   */
  batch(trials: ReachTrialSpec[], rng?: Rng): ReachBatch;
  /** `count` trials with random targets, and go steps drawn from `goRange` unless `spec.goStep` is given; curl `spec.curl` (default 0). */
  randomTrials(count: number, rng: Rng, spec?: { curl?: number; goStep?: number }): ReachTrialSpec[];
  /** One trial per target, in order 0..targets−1 (go step `spec.goStep`, default the middle of `goRange`). */
  everyTarget(spec?: { curl?: number; goStep?: number }): ReachTrialSpec[];
  /**
   * The hand driven by `outputs` (T × B × 2 forces) under curl gain(s) `curl` (one k, or one per
   * trial): position and velocity, T × B × 2. Differentiable; one batched matMul with the hand's
   * precomputed linear map (cached per distinct k), not a loop over steps.
   * @throws LtrError `shape-mismatch` / `invalid-option`.
   */
  hand(outputs: tf.Tensor3D, curl: number | ArrayLike<number>): { position: tf.Tensor3D; velocity: tf.Tensor3D };
  /**
   * Σ mask · (‖p − p*‖² + w_v ‖v − v*‖²) / Σ mask: the masked mean, over steps and trials, of
   * the squared hand-to-desired distance plus `velocityWeight` times the squared velocity error.
   * Differentiable (a scalar for `tf.variableGrads`).
   */
  loss(outputs: tf.Tensor3D, batch: ReachBatch): tf.Scalar;
  /** Reach error, lateral deviation and endpoint error of each trial, on the host. */
  evaluate(outputs: tf.Tensor, batch: ReachBatch): Promise<ReachEvaluation>;
  /**
   * The forces (T × B × 2) that move the hand exactly along `batch.desired` under curl `curl`
   * (default each trial's own k): inverse dynamics on the host in float64. `curl: 0` gives the
   * controller that ignores the field.
   */
  desiredForces(batch: ReachBatch, curl?: number | ArrayLike<number>): tf.Tensor3D;
}

/** Distinct-k count up to which {@link CenterOutReach.hand} sums one matMul per k; above it, one batched matMul with a matrix per trial. */
const MASKED_SUM_MAX = 3;
/** Hand matrices kept per task (one per distinct k). */
const CACHE_SIZE = 64;

/**
 * The center-out reaching task with a curl force field.
 *
 * **Trial.** `targets` targets (default 8) on a circle of `radius` around the start. The inputs
 * give the target's direction (cos θ, sin θ) from the first step and a go cue from the go step
 * (drawn uniformly in `goRange`, default steps 10–20 = 0.2–0.4 s) to the end. The desired hand path
 * stays at the start until `reactionSteps` after the go cue, then follows a minimum-jerk path
 * s(τ) = 10τ³ − 15τ⁴ + 6τ⁵ to the target over `reachSteps` steps (speed zero at both ends, one
 * peak in the middle), and holds there.
 *
 * **Hand.** The network's output u_t (T × B × 2) is a force on a point mass with viscosity:
 *
 *     m dv/dt = u − b v + F_curl,   F_curl = k · [[0, 1], [−1, 0]] · v,   dp/dt = v,
 *
 * starting at rest at the origin. F_curl is perpendicular to the velocity and turns it clockwise
 * for k > 0 (anti-clockwise for k < 0). Output y_t — the readout after network step t, at time
 * (t+1)·dt — is held as the force over hand step t, which ends at the same time (t+1)·dt.
 * Discretization, with λ = (b + ik)/m on velocities as complex numbers (J v = −i v) and z = λ·dt:
 * the velocity step is exact for the held force, v_t = e^{−z} v_{t−1} + (dt/m)·(1 − e^{−z})/z · u_t,
 * and the position follows by the rectangle rule p_t = p_{t−1} + dt·v_t. The map forces → hand is
 * linear for fixed k, so {@link CenterOutReach.hand} applies it as a precomputed 2T × 4T matrix
 * (float64 on the host, uploaded as float32, cached per distinct k).
 *
 * **Defaults.** m = 0.02, b = 0.2 (hand time constant m/b = 0.1 s), radius 1, reach 0.5 s: the
 * exact force of the baseline reach peaks near 0.95, so outputs of order 1 suffice. The nominal
 * curl gain k = 0.06 (k/b = 0.3) makes a controller that ignores the field end ≈ 0.27 radius to
 * the right of the target (clockwise), the curl's signature the network must learn to cancel.
 * The hand has no feedback: the network only sees the target and the go cue, so adaptation happens
 * by learning.
 *
 * @example
 * ```ts
 * const task = centerOutReach();                                   // dt = 0.02 s
 * const cell = new FullRankCell({ size: 100, inputSize: 3, outputSize: 2, dt: task.dt, tau: 0.1 });
 * const b = task.batch(task.randomTrials(16, rng(0), { curl: task.options.curl }), rng(1));
 * const loss = () => task.loss(simulate(cell, { inputs: b.inputs }).outputs!, b);
 * ```
 * @throws LtrError `invalid-option` naming the field.
 */
export function centerOutReach(options?: CenterOutReachOptions): CenterOutReach {
  const o = parseOptions(centerOutReachOptions, options, 'options');
  return new CenterOutReachTask(o);
}

class CenterOutReachTask implements CenterOutReach {
  readonly options: Readonly<CenterOutReachResolved>;
  readonly steps: number;
  readonly dt: number;
  readonly inputSize = 3 as const;
  readonly outputSize = 2 as const;
  readonly targets: number;
  readonly lastGoStep: number;
  private readonly plant: PlantConstants;
  private readonly cache = new Map<number, Float32Array>();

  constructor(o: CenterOutReachResolved) {
    this.options = Object.freeze({ ...o, goRange: Object.freeze([o.goRange[0], o.goRange[1]]) as unknown as [number, number] });
    this.steps = o.steps;
    this.dt = o.dt;
    this.targets = o.targets;
    this.lastGoStep = o.steps - o.reactionSteps - o.reachSteps;
    this.plant = { mass: o.mass, viscosity: o.viscosity, dt: o.dt, steps: o.steps };
  }

  targetPosition(target: number): [number, number] {
    this.checkTarget(target, 'target');
    const a = (2 * Math.PI * target) / this.targets;
    return [this.options.radius * Math.cos(a), this.options.radius * Math.sin(a)];
  }

  batch(trials: ReachTrialSpec[], rng?: Rng): ReachBatch {
    if (!Array.isArray(trials) || trials.length === 0) throw new LtrError('invalid-option', 'trials must be a non-empty array of { target, curl?, goStep? }.', { path: 'trials' });
    if (rng !== undefined && !(rng instanceof Rng)) throw new LtrError('invalid-option', 'rng must be an Rng (from rng(seed)) or left out.', { path: 'rng' });
    const B = trials.length;
    const T = this.steps;
    const specs = trials.map((s, i) => this.resolveSpec(s, `trials[${i}]`, rng));
    const inputs = new Float32Array(T * B * 3);
    const desired = new Float32Array(T * B * 2);
    const velocity = new Float32Array(T * B * 2);
    const mask = new Float32Array(T * B);
    for (let b = 0; b < B; b++) {
      const { target, goStep } = specs[b];
      const a = (2 * Math.PI * target) / this.targets;
      const path = this.desiredPath(target, goStep);
      for (let t = 0; t < T; t++) {
        const i = t * B + b;
        inputs[3 * i] = Math.cos(a);
        inputs[3 * i + 1] = Math.sin(a);
        inputs[3 * i + 2] = t >= goStep ? 1 : 0;
        for (let c = 0; c < 2; c++) {
          desired[2 * i + c] = path[2 * t + c];
          velocity[2 * i + c] = (path[2 * t + c] - (t > 0 ? path[2 * (t - 1) + c] : 0)) / this.dt;
        }
        mask[i] = this.options.scorePreparation || t >= goStep ? 1 : 0;
      }
    }
    const tensors = [tf.tensor3d(inputs, [T, B, 3]), tf.tensor3d(desired, [T, B, 2]), tf.tensor3d(velocity, [T, B, 2]), tf.tensor3d(mask, [T, B, 1])] as const;
    return {
      inputs: tensors[0],
      desired: tensors[1],
      desiredVelocity: tensors[2],
      mask: tensors[3],
      targets: specs.map((s) => s.target),
      curl: specs.map((s) => s.curl),
      goSteps: specs.map((s) => s.goStep),
      dispose: () => {
        for (const t of tensors) t.dispose();
      },
    };
  }

  randomTrials(count: number, rng: Rng, spec: { curl?: number; goStep?: number } = {}): ReachTrialSpec[] {
    if (!Number.isInteger(count) || count < 1) throw new LtrError('invalid-option', `count must be an integer ≥ 1, got ${String(count)}.`, { path: 'count' });
    if (!(rng instanceof Rng)) throw new LtrError('invalid-option', 'rng must be an Rng (from rng(seed)).', { path: 'rng' });
    const base = this.resolveSpec({ target: 0, ...this.commonSpec(spec) }, 'spec');
    const out: ReachTrialSpec[] = [];
    for (let i = 0; i < count; i++) {
      const target = rng.int(this.targets);
      out.push({ target, curl: base.curl, goStep: spec.goStep ?? this.drawGo(rng) });
    }
    return out;
  }

  everyTarget(spec: { curl?: number; goStep?: number } = {}): ReachTrialSpec[] {
    const base = this.resolveSpec({ target: 0, ...this.commonSpec(spec) }, 'spec');
    return Array.from({ length: this.targets }, (_, target) => ({ target, curl: base.curl, goStep: base.goStep }));
  }

  hand(outputs: tf.Tensor3D, curl: number | ArrayLike<number>): { position: tf.Tensor3D; velocity: tf.Tensor3D } {
    const B = this.checkOutputs(outputs, null);
    const ks = this.curlArray(curl, B, 'curl');
    return this.handOf(outputs, ks);
  }

  loss(outputs: tf.Tensor3D, batch: ReachBatch): tf.Scalar {
    this.checkBatch(batch);
    this.checkOutputs(outputs, batch.targets.length);
    const w = this.options.velocityWeight;
    return tf.tidy(() => {
      const { position, velocity } = this.handOf(outputs, batch.curl);
      let err = tf.sum(tf.square(tf.sub(position, batch.desired)), 2, true);
      if (w > 0) err = tf.add(err, tf.mul(w, tf.sum(tf.square(tf.sub(velocity, batch.desiredVelocity)), 2, true)));
      return tf.div(tf.sum(tf.mul(err, batch.mask)), tf.sum(batch.mask)) as tf.Scalar;
    });
  }

  async evaluate(outputs: tf.Tensor, batch: ReachBatch): Promise<ReachEvaluation> {
    await ready();
    this.checkBatch(batch);
    const B = this.checkOutputs(outputs, batch.targets.length);
    const T = this.steps;
    const pos = tf.tidy(() => this.handOf(outputs as tf.Tensor3D, batch.curl).position);
    let p: Float32Array;
    try {
      p = (await pos.data()) as Float32Array;
    } finally {
      pos.dispose();
    }
    const reachError: number[] = [];
    const lateralDeviation: number[] = [];
    const endpointError: number[] = [];
    for (let b = 0; b < B; b++) {
      const target = batch.targets[b];
      const go = batch.goSteps[b];
      const path = this.desiredPath(target, go);
      const a = (2 * Math.PI * target) / this.targets;
      const ex = Math.cos(a);
      const ey = Math.sin(a);
      let sq = 0;
      let lat = 0;
      for (let t = go; t < T; t++) {
        const x = p[2 * (t * B + b)];
        const y = p[2 * (t * B + b) + 1];
        sq += (x - path[2 * t]) ** 2 + (y - path[2 * t + 1]) ** 2;
        const perp = ex * y - ey * x;
        if (Math.abs(perp) > Math.abs(lat)) lat = perp;
      }
      reachError.push(Math.sqrt(sq / (T - go)));
      lateralDeviation.push(lat);
      const last = 2 * ((T - 1) * B + b);
      endpointError.push(Math.hypot(p[last] - this.options.radius * ex, p[last + 1] - this.options.radius * ey));
    }
    return { reachError, lateralDeviation, endpointError };
  }

  desiredForces(batch: ReachBatch, curl?: number | ArrayLike<number>): tf.Tensor3D {
    this.checkBatch(batch);
    const B = batch.targets.length;
    const ks = curl === undefined ? batch.curl : this.curlArray(curl, B, 'curl');
    const T = this.steps;
    const u = new Float32Array(T * B * 2);
    for (let b = 0; b < B; b++) {
      const f = inverseHand(this.plant, ks[b], this.desiredPath(batch.targets[b], batch.goSteps[b]));
      for (let t = 0; t < T; t++) {
        u[2 * (t * B + b)] = f[2 * t];
        u[2 * (t * B + b) + 1] = f[2 * t + 1];
      }
    }
    return tf.tensor3d(u, [T, B, 2]);
  }

  // ---- internals

  /** Desired positions of one trial, float64, T × 2 flattened (2t + c). */
  private desiredPath(target: number, goStep: number): Float64Array {
    const T = this.steps;
    const a = (2 * Math.PI * target) / this.targets;
    const r = this.options.radius;
    const onset = goStep + this.options.reactionSteps;
    const out = new Float64Array(2 * T);
    for (let t = 0; t < T; t++) {
      const s = r * minimumJerk((t + 1 - onset) / this.options.reachSteps);
      out[2 * t] = s * Math.cos(a);
      out[2 * t + 1] = s * Math.sin(a);
    }
    return out;
  }

  private handOf(outputs: tf.Tensor3D, ks: readonly number[]): { position: tf.Tensor3D; velocity: tf.Tensor3D } {
    const T = this.steps;
    const B = outputs.shape[1];
    const n = 2 * T;
    const distinct = [...new Set(ks)];
    return tf.tidy(() => {
      const x = tf.reshape(tf.transpose(outputs, [1, 0, 2]), [B, n]) as tf.Tensor2D;
      let y: tf.Tensor2D;
      if (distinct.length === 1) {
        y = tf.matMul(x, tf.tensor2d(this.matrix(distinct[0]), [n, 2 * n]));
      } else if (distinct.length <= MASKED_SUM_MAX) {
        const parts = distinct.map((k) => {
          const sel = tf.tensor2d(Float32Array.from(ks, (v) => (v === k ? 1 : 0)), [B, 1]);
          return tf.matMul(tf.mul(x, sel), tf.tensor2d(this.matrix(k), [n, 2 * n]));
        });
        y = tf.addN(parts) as tf.Tensor2D;
      } else {
        const stack = new Float32Array(B * n * 2 * n);
        for (let b = 0; b < B; b++) stack.set(this.matrix(ks[b]), b * n * 2 * n);
        y = tf.reshape(tf.matMul(tf.reshape(x, [B, 1, n]), tf.tensor3d(stack, [B, n, 2 * n])), [B, 2 * n]);
      }
      const back = (from: number): tf.Tensor3D => tf.transpose(tf.reshape(tf.slice(y, [0, from], [B, n]), [B, T, 2]), [1, 0, 2]);
      return { position: back(0), velocity: back(n) };
    });
  }

  private matrix(k: number): Float32Array {
    const key = k === 0 ? 0 : k; // −0 and 0 share an entry
    let m = this.cache.get(key);
    if (m === undefined) {
      m = handMatrix(this.plant, key);
      if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as number);
      this.cache.set(key, m);
    }
    return m;
  }

  private drawGo(rng: Rng): number {
    const [min, max] = this.options.goRange;
    return min + rng.int(max - min + 1);
  }

  private commonSpec(spec: { curl?: number; goStep?: number }): { curl?: number; goStep?: number } {
    if (spec === null || typeof spec !== 'object') throw new LtrError('invalid-option', 'spec must be an object { curl?, goStep? }.', { path: 'spec' });
    const extra = Object.keys(spec).filter((k) => k !== 'curl' && k !== 'goStep');
    if (extra.length > 0) throw new LtrError('invalid-option', `spec.${extra[0]} is not an option here (only curl and goStep).`, { path: `spec.${extra[0]}` });
    return spec;
  }

  private checkTarget(target: unknown, path: string): asserts target is number {
    if (typeof target !== 'number' || !Number.isInteger(target) || target < 0 || target >= this.targets) {
      throw new LtrError('invalid-option', `${path} must be an integer target index in 0..${this.targets - 1}, got ${String(target)}.`, { path });
    }
  }

  private resolveSpec(s: ReachTrialSpec, path: string, rng?: Rng): { target: number; curl: number; goStep: number } {
    if (s === null || typeof s !== 'object') throw new LtrError('invalid-option', `${path} must be an object { target, curl?, goStep? }.`, { path });
    const extra = Object.keys(s).filter((k) => k !== 'target' && k !== 'curl' && k !== 'goStep');
    if (extra.length > 0) throw new LtrError('invalid-option', `${path}.${extra[0]} is not a field of a trial (target, curl, goStep).`, { path: `${path}.${extra[0]}` });
    this.checkTarget(s.target, `${path}.target`);
    const curl = s.curl ?? 0;
    if (typeof curl !== 'number' || !Number.isFinite(curl)) throw new LtrError('invalid-option', `${path}.curl must be a finite number (the curl gain k; 0 = no field), got ${String(curl)}.`, { path: `${path}.curl` });
    let goStep: number;
    if (s.goStep === undefined) {
      const [min, max] = this.options.goRange;
      goStep = rng !== undefined ? this.drawGo(rng) : Math.floor((min + max) / 2);
    } else {
      goStep = s.goStep;
      if (typeof goStep !== 'number' || !Number.isInteger(goStep) || goStep < 0 || goStep > this.lastGoStep) {
        throw new LtrError(
          'invalid-option',
          `${path}.goStep must be an integer in 0..${this.lastGoStep} (a later go cue leaves no time for the reactionSteps = ${this.options.reactionSteps} + reachSteps = ${this.options.reachSteps} steps of the reach within steps = ${this.steps}), got ${String(goStep)}.`,
          { path: `${path}.goStep` },
        );
      }
    }
    return { target: s.target, curl: curl === 0 ? 0 : curl, goStep };
  }

  private curlArray(curl: number | ArrayLike<number>, B: number, path: string): number[] {
    let ks: number[];
    if (typeof curl === 'number') ks = new Array<number>(B).fill(curl);
    else if (curl !== null && typeof curl === 'object' && typeof (curl as ArrayLike<number>).length === 'number') {
      ks = Array.from(curl as ArrayLike<number>);
      if (ks.length !== B) throw new LtrError('shape-mismatch', `${path} has ${ks.length} values but the outputs have ${B} trials; give one k per trial or a single number.`, { path });
    } else {
      throw new LtrError('invalid-option', `${path} must be a number or an array of numbers (one curl gain per trial).`, { path });
    }
    for (let i = 0; i < ks.length; i++) {
      if (typeof ks[i] !== 'number' || !Number.isFinite(ks[i])) throw new LtrError('invalid-option', `${path}[${i}] must be a finite number, got ${String(ks[i])}.`, { path: `${path}[${i}]` });
    }
    return ks.map((k) => (k === 0 ? 0 : k));
  }

  /** Checks outputs are T × B × 2 (B = `batch` when given); returns B. */
  private checkOutputs(outputs: tf.Tensor, batch: number | null): number {
    if (!(outputs instanceof tf.Tensor)) throw new LtrError('invalid-option', 'outputs must be a tf.Tensor (time × trials × 2 forces), e.g. simulate(cell, …).outputs.', { path: 'outputs' });
    if (outputs.isDisposed) throw new LtrError('invalid-data', 'outputs has been disposed.', { path: 'outputs' });
    const s = outputs.shape;
    if (s.length !== 3 || s[0] !== this.steps || s[2] !== 2 || (batch !== null && s[1] !== batch) || s[1] === 0) {
      const want = `[${this.steps}, ${batch ?? 'B'}, 2]`;
      throw new LtrError('shape-mismatch', `outputs must be time × trials × 2 = ${want}${batch !== null ? ' (the batch’s trial count)' : ''}, got [${s.join(', ')}]. The cell needs outputSize 2 and the task's steps.`, { path: 'outputs' });
    }
    if (outputs.dtype !== 'float32') throw new LtrError('invalid-data', `outputs must be float32, got ${outputs.dtype}.`, { path: 'outputs' });
    return s[1];
  }

  private checkBatch(batch: ReachBatch): void {
    if (batch === null || typeof batch !== 'object' || !Array.isArray(batch.targets) || !Array.isArray(batch.curl) || !Array.isArray(batch.goSteps)) {
      throw new LtrError('invalid-option', 'batch must come from task.batch(…).', { path: 'batch' });
    }
    const B = batch.targets.length;
    if (batch.curl.length !== B || batch.goSteps.length !== B) throw new LtrError('shape-mismatch', 'batch.targets, batch.curl and batch.goSteps must have one entry per trial.', { path: 'batch' });
    for (const [name, t, d] of [['desired', batch.desired, 2], ['desiredVelocity', batch.desiredVelocity, 2], ['mask', batch.mask, 1]] as const) {
      if (!(t instanceof tf.Tensor)) throw new LtrError('invalid-option', `batch.${name} must be a tf.Tensor: pass a batch from task.batch(…).`, { path: `batch.${name}` });
      if (t.isDisposed) throw new LtrError('invalid-data', `batch.${name} has been disposed (batch.dispose() was called).`, { path: `batch.${name}` });
      const s = t.shape;
      if (s.length !== 3 || s[0] !== this.steps || s[1] !== B || s[2] !== d) {
        throw new LtrError('shape-mismatch', `batch.${name} must be [${this.steps}, ${B}, ${d}], got [${s.join(', ')}]: the batch was made by another task.`, { path: `batch.${name}` });
      }
    }
    for (let b = 0; b < B; b++) {
      this.resolveSpec({ target: batch.targets[b], curl: batch.curl[b], goStep: batch.goSteps[b] }, `batch[${b}]`);
    }
  }
}
