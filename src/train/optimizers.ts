/**
 * The trainer's optimizers. The three built-ins (SGD, momentum, Adam) are written here rather than
 * taken from tfjs so that the learning rate can change every step (schedules), the state is a set
 * of named tensors that a checkpoint stores and restores exactly, and the same arithmetic runs on
 * every backend. A user `tf.Optimizer` is also accepted; it then owns its learning rate.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TensorJSON } from './checkpoint';

/** Names of the built-in optimizers. */
export const OPTIMIZER_NAMES = ['sgd', 'momentum', 'adam'] as const;
/** `'sgd' | 'momentum' | 'adam'`. */
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

/** Hyper-parameters of the built-in optimizers (resolved). */
export interface OptimizerHyper {
  /** momentum: μ. */
  momentum: number;
  /** momentum: Nesterov's variant. */
  nesterov: boolean;
  /** adam: β₁, β₂, ε. */
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** One optimizer slot in a checkpoint: a named tensor with its dtype. */
export interface SlotJSON extends TensorJSON {
  name: string;
  dtype: 'float32' | 'int32';
}

/** @internal One trainable tensor and its gradient for this step (null: not connected to the loss). */
export interface GradEntry {
  key: string;
  variable: tf.Variable;
  grad: tf.Tensor | null;
}

/** @internal What the train loop needs from an optimizer. */
export interface StepOptimizer {
  readonly type: OptimizerName | 'custom';
  /** Number of updates applied so far. */
  readonly iterations: number;
  /** Applies one update with learning rate `lr` (built-ins) to the variables. Runs inside a tidy. */
  apply(entries: GradEntry[], lr: number): void;
  /** The state, as JSON (async: reads tensors). */
  save(): Promise<{ iterations: number; slots: SlotJSON[] }>;
  /** Restores {@link StepOptimizer.save}'s output. */
  load(state: { iterations: number; slots: SlotJSON[] }): Promise<void>;
  /** Releases the state the trainer owns (built-ins: the slots; custom: nothing). */
  dispose(): void;
}

/**
 * SGD (θ ← θ − η g), momentum (v ← μ v + g; θ ← θ − η v, or θ ← θ − η (g + μ v) with Nesterov) and
 * Adam (Kingma & Ba 2015: m ← β₁ m + (1−β₁) g, v ← β₂ v + (1−β₂) g², θ ← θ − η m̂ / (√v̂ + ε) with
 * bias-corrected m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ)). Slots are plain tensors kept by this object and
 * named `<variable key>/<slot>` (`velocity`, `m`, `v`).
 */
export class BuiltinOptimizer implements StepOptimizer {
  private slots = new Map<string, tf.Tensor>();
  private t = 0;

  constructor(
    readonly type: OptimizerName,
    private readonly hyper: OptimizerHyper,
  ) {}

  get iterations(): number {
    return this.t;
  }

  apply(entries: GradEntry[], lr: number): void {
    const t = this.t + 1;
    const { momentum: mu, nesterov, beta1, beta2, epsilon } = this.hyper;
    const eta = tf.scalar(lr);
    for (const { key, variable, grad: g } of entries) {
      if (g === null) continue;
      let next: tf.Tensor;
      if (this.type === 'sgd') {
        next = tf.sub(variable, tf.mul(eta, g));
      } else if (this.type === 'momentum') {
        const prev = this.slots.get(`${key}/velocity`);
        const vel = prev === undefined ? g : tf.add(tf.mul(tf.scalar(mu), prev), g);
        this.setSlot(`${key}/velocity`, vel);
        const dir = nesterov ? tf.add(g, tf.mul(tf.scalar(mu), vel)) : vel;
        next = tf.sub(variable, tf.mul(eta, dir));
      } else {
        const m0 = this.slots.get(`${key}/m`);
        const v0 = this.slots.get(`${key}/v`);
        const m = tf.add(m0 === undefined ? tf.zerosLike(g) : tf.mul(tf.scalar(beta1), m0), tf.mul(tf.scalar(1 - beta1), g));
        const v = tf.add(v0 === undefined ? tf.zerosLike(g) : tf.mul(tf.scalar(beta2), v0), tf.mul(tf.scalar(1 - beta2), tf.square(g)));
        this.setSlot(`${key}/m`, m);
        this.setSlot(`${key}/v`, v);
        // Bias corrections in float64 on the host, applied as two scalars.
        const c1 = 1 - Math.pow(beta1, t);
        const c2 = 1 - Math.pow(beta2, t);
        const denom = tf.add(tf.div(tf.sqrt(v), tf.scalar(Math.sqrt(c2))), tf.scalar(epsilon));
        next = tf.sub(variable, tf.mul(tf.scalar(lr / c1), tf.div(m, denom)));
      }
      variable.assign(next);
    }
    this.t = t;
  }

  private setSlot(name: string, value: tf.Tensor): void {
    // A clone, so that the slot never aliases a gradient the train loop disposes.
    const old = this.slots.get(name);
    this.slots.set(name, tf.keep(tf.clone(value)));
    old?.dispose();
  }

  async save(): Promise<{ iterations: number; slots: SlotJSON[] }> {
    const slots: SlotJSON[] = [];
    for (const [name, tensor] of this.slots) {
      slots.push({ name, dtype: 'float32', shape: [...tensor.shape], values: Array.from(await tensor.data()) });
    }
    return { iterations: this.t, slots };
  }

  async load(state: { iterations: number; slots: SlotJSON[] }): Promise<void> {
    this.dispose();
    this.t = state.iterations;
    for (const s of state.slots) this.slots.set(s.name, tf.tensor(Float32Array.from(s.values), s.shape, 'float32'));
  }

  /** @internal Slot names present (for checks). */
  slotNames(): string[] {
    return [...this.slots.keys()];
  }

  dispose(): void {
    for (const t of this.slots.values()) t.dispose();
    this.slots.clear();
  }
}

/** A user `tf.Optimizer` behind the trainer's interface (its learning rate is its own). */
export class CustomOptimizer implements StepOptimizer {
  readonly type = 'custom' as const;
  private t = 0;

  constructor(private readonly optimizer: tf.Optimizer) {}

  get iterations(): number {
    return this.t;
  }

  apply(entries: GradEntry[]): void {
    const list: { name: string; tensor: tf.Tensor }[] = [];
    for (const e of entries) if (e.grad !== null) list.push({ name: e.variable.name, tensor: e.grad });
    this.optimizer.applyGradients(list);
    this.t++;
  }

  async save(): Promise<{ iterations: number; slots: SlotJSON[] }> {
    const weights = await this.optimizer.getWeights();
    const slots: SlotJSON[] = [];
    for (const w of weights) {
      slots.push({ name: w.name, dtype: w.tensor.dtype === 'int32' ? 'int32' : 'float32', shape: [...w.tensor.shape], values: Array.from(await w.tensor.data()) });
    }
    // getWeights returns a fresh iterations scalar that nobody else owns.
    for (const w of weights) if (w.name === 'iter') w.tensor.dispose();
    return { iterations: this.t, slots };
  }

  async load(state: { iterations: number; slots: SlotJSON[] }): Promise<void> {
    this.t = state.iterations;
    const named = state.slots.map((s) => ({ name: s.name, tensor: tf.tensor(s.dtype === 'int32' ? Int32Array.from(s.values) : Float32Array.from(s.values), s.shape, s.dtype) }));
    try {
      await this.optimizer.setWeights(named);
    } finally {
      for (const n of named) n.tensor.dispose();
    }
  }

  dispose(): void {
    // The user's optimizer and its slots belong to the user.
  }
}

/** True for a tfjs optimizer (checked structurally, as tfjs itself does, so any copy of tfjs passes). */
export function isTfOptimizer(v: unknown): v is tf.Optimizer {
  return typeof v === 'object' && v !== null && typeof (v as tf.Optimizer).applyGradients === 'function' && typeof (v as tf.Optimizer).getWeights === 'function' && typeof (v as tf.Optimizer).setWeights === 'function';
}
