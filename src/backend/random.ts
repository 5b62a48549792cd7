import * as tf from '@tensorflow/tfjs-core';
import { LtrError } from '../validate/errors';

/** Serializable state of an {@link Rng}: four 32-bit words and the cached spare normal. */
export interface RngState {
  algorithm: 'xoshiro128**';
  s: [number, number, number, number];
  spare: number | null;
}

/**
 * The library's one pseudo-random generator: xoshiro128** (Blackman & Vigna 2018), seeded through
 * splitmix32. 32-bit integer arithmetic only, so the stream is identical in every JavaScript
 * engine. Random tensors are drawn on the host and uploaded ({@link randomNormal}), which makes
 * them identical on every backend, unlike tfjs's own seeded ops.
 */
export class Rng {
  private s: Uint32Array;
  private spare: number | null = null;

  private constructor(s: Uint32Array) {
    this.s = s;
  }

  /** A generator seeded with any safe integer (negative and > 2³² seeds are fine). */
  static fromSeed(seed: number): Rng {
    if (!Number.isSafeInteger(seed)) {
      throw new LtrError('invalid-option', `seed must be a safe integer, got ${seed}.`, { path: 'seed' });
    }
    // Fold the high bits in so that seeds differing only above bit 32 give different streams.
    let x = (seed >>> 0) ^ Math.imul(Math.floor(seed / 4294967296) >>> 0, 0x9e3779b9);
    const s = new Uint32Array(4);
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1; // the all-zero state is a fixed point
    return new Rng(s);
  }

  /** Restores a generator from {@link Rng.getState} (for checkpoints). */
  static fromState(state: RngState): Rng {
    if (state?.algorithm !== 'xoshiro128**' || !Array.isArray(state.s) || state.s.length !== 4) {
      throw new LtrError('invalid-data', 'RNG state must come from Rng.getState() (algorithm xoshiro128**, four 32-bit words).', { path: 'state' });
    }
    const r = new Rng(Uint32Array.from(state.s));
    r.spare = state.spare;
    return r;
  }

  /** The state, as plain JSON. */
  getState(): RngState {
    return { algorithm: 'xoshiro128**', s: [this.s[0], this.s[1], this.s[2], this.s[3]], spare: this.spare };
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal deviate (Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 4294967296) {
      throw new LtrError('invalid-option', `Rng.int(n) needs an integer n in [1, 2^32], got ${n}.`, { path: 'n' });
    }
    const limit = 4294967296 - (4294967296 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** n standard-normal values scaled to mean and std. */
  normalArray(n: number, mean = 0, std = 1): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /** n uniform values in [min, max). */
  uniformArray(n: number, min = 0, max = 1): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = min + (max - min) * this.uniform();
    return out;
  }

  /** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** A 31-bit seed for a child generator or a tfjs op, drawn from this stream. */
  deriveSeed(): number {
    return this.nextUint32() >>> 1;
  }

  /** An independent child generator (seeded from this stream), e.g. one per restart. */
  fork(): Rng {
    return Rng.fromSeed(this.nextUint32() * 2097152 + (this.nextUint32() >>> 11));
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The library's seeded PRNG: `rng(0)` always yields the same stream. See {@link Rng}. */
export function rng(seed: number): Rng {
  return Rng.fromSeed(seed);
}

/** Where a random function takes its randomness: a seed or a generator to draw from. */
export type SeedOrRng = number | Rng;

/** Turns a seed into a fresh generator; passes a generator through. */
export function toRng(s: SeedOrRng): Rng {
  return s instanceof Rng ? s : Rng.fromSeed(s);
}

/**
 * A float32 tensor of normal deviates drawn on the host from `source` and uploaded, so that the
 * same seed gives the same values on every backend.
 */
export function randomNormal(shape: readonly number[], source: SeedOrRng, options: { mean?: number; std?: number } = {}): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = toRng(source).normalArray(n, options.mean ?? 0, options.std ?? 1);
  return tf.tensor(Float32Array.from(values), [...shape], 'float32');
}

/** A float32 tensor of uniform values in [min, max), drawn on the host like {@link randomNormal}. */
export function randomUniform(shape: readonly number[], source: SeedOrRng, options: { min?: number; max?: number } = {}): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = toRng(source).uniformArray(n, options.min ?? 0, options.max ?? 1);
  return tf.tensor(Float32Array.from(values), [...shape], 'float32');
}
