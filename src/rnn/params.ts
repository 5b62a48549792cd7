/**
 * Named parameter store shared by the cells and the readout: tf.Variables created either from a
 * seeded initializer or from saved values (JSON), with shape checks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { LtrError } from '../validate/errors';

/** Saved values of one parameter: shape and row-major values. */
export interface ParameterJSON {
  shape: number[];
  values: number[];
}

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

/** zod schema of {@link ParameterJSON} (values count must match the shape). */
export const parameterJSONSchema = z
  .strictObject({ shape: z.array(z.number().int().nonnegative()), values: z.array(finite) })
  .refine((p) => p.values.length === p.shape.reduce((a, b) => a * b, 1), { message: 'values must have as many entries as the shape holds', path: ['values'] });

/** @internal Values to load instead of initializing, keyed by parameter name. */
export type SavedValues = Record<string, ParameterJSON>;

/** @internal An ordered set of named tf.Variables. */
export class ParameterStore {
  private readonly vars = new Map<string, tf.Variable>();

  constructor(
    private readonly saved: SavedValues | undefined,
    private readonly where: string,
  ) {}

  /**
   * Adds parameter `name` of `shape`: from the saved values if any (shape-checked), else from
   * `init()` (host values, row-major).
   */
  add(name: string, shape: number[], trainable: boolean, init: () => ArrayLike<number>): tf.Variable {
    let values: ArrayLike<number>;
    if (this.saved !== undefined) {
      const s = this.saved[name];
      const path = `${this.where}.${name}`;
      if (s === undefined) throw new LtrError('invalid-data', `${path} is missing: this model needs a parameter '${name}' of shape [${shape.join(', ')}].`, { path });
      if (s.shape.length !== shape.length || s.shape.some((v, i) => v !== shape[i])) {
        throw new LtrError('shape-mismatch', `${path} has shape [${s.shape.join(', ')}] but the model's options need [${shape.join(', ')}].`, { path });
      }
      values = s.values;
    } else {
      values = init();
    }
    const v = tf.tidy(() => tf.variable(tf.tensor(Float32Array.from(values), shape, 'float32'), trainable));
    this.vars.set(name, v);
    return v;
  }

  /** Throws if saved values hold a parameter the model does not have. */
  checkNoExtra(): void {
    if (this.saved === undefined) return;
    for (const k of Object.keys(this.saved)) {
      if (!this.vars.has(k)) {
        throw new LtrError('invalid-data', `${this.where}.${k} is not a parameter of this model (it has ${[...this.vars.keys()].join(', ')}).`, { path: `${this.where}.${k}` });
      }
    }
  }

  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (v === undefined) throw new Error(`internal: no parameter ${name}`);
    return v;
  }

  has(name: string): boolean {
    return this.vars.has(name);
  }

  entries(): [string, tf.Variable][] {
    return [...this.vars.entries()];
  }

  isDisposed(): boolean {
    return [...this.vars.values()].some((v) => v.isDisposed);
  }

  async toJSON(): Promise<Record<string, ParameterJSON>> {
    const out: Record<string, ParameterJSON> = {};
    for (const [k, v] of this.vars) out[k] = { shape: [...v.shape], values: Array.from(await v.data()) };
    return out;
  }

  dispose(): void {
    for (const v of this.vars.values()) if (!v.isDisposed) v.dispose();
  }
}
