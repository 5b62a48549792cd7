/**
 * Tensor algebra for CP: unfoldings, Khatri–Rao products, MTTKRP, and building dense tensors from
 * factors. Pure tfjs ops (matMul, reshape, transpose, broadcasting multiplies), synchronous, on
 * the active backend; every function returns a new tensor the caller owns and leaks nothing.
 *
 * Index conventions (used everywhere in `src/cp/`):
 * - `unfold(x, m)` has shape `[I_m, ∏_{n≠m} I_n]`; its columns run over the remaining modes in
 *   increasing order with the LAST one varying fastest (C order), i.e. it is
 *   `transpose(x, [m, 0, …, m−1, m+1, …]).reshape([I_m, -1])`.
 * - `khatriRao([A, B, …])` has rows `(i, j, …)` with the FIRST matrix's index varying slowest,
 *   so that `unfold(cpToTensor(λ, F), m) = F_m · diag(λ) · khatriRao(F without F_m)ᵀ`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LtrError } from '../validate/errors';

function checkMode(mode: number, order: number, path = 'mode'): void {
  if (!Number.isInteger(mode) || mode < 0 || mode >= order) {
    throw new LtrError('invalid-option', `${path} must be an integer in [0, ${order - 1}] for a ${order}-way tensor, got ${mode}.`, { path });
  }
}

function checkTensor(x: unknown, name: string, minRank = 1): asserts x is tf.Tensor {
  if (!(x instanceof tf.Tensor)) {
    throw new LtrError('invalid-data', `${name} must be a tf.Tensor (use toTensor for arrays).`, { path: name });
  }
  if (x.isDisposed) throw new LtrError('invalid-data', `${name} has been disposed.`, { path: name });
  if (x.rank < minRank) {
    throw new LtrError('shape-mismatch', `${name} must have at least ${minRank} dimensions, got shape [${x.shape.join(', ')}].`, { path: name });
  }
}

function checkFactors(factors: readonly tf.Tensor[], name: string, minCount = 1): number {
  if (!Array.isArray(factors) || factors.length < minCount) {
    throw new LtrError('invalid-data', `${name} must be an array of at least ${minCount} matrices.`, { path: name });
  }
  let r = -1;
  factors.forEach((f, i) => {
    checkTensor(f, `${name}[${i}]`);
    if (f.rank !== 2) {
      throw new LtrError('shape-mismatch', `${name}[${i}] must be a matrix (dim × R), got shape [${f.shape.join(', ')}].`, { path: `${name}[${i}]` });
    }
    const c = f.shape[1] as number;
    if (r < 0) r = c;
    else if (c !== r) {
      throw new LtrError('shape-mismatch', `${name}[${i}] has ${f.shape[1]} columns but ${name}[0] has ${r}; every factor must have R columns.`, { path: `${name}[${i}]` });
    }
  });
  return r;
}

/**
 * Mode-`mode` unfolding (matricization) of `x`: shape `[I_mode, ∏ others]`, the other modes in
 * increasing order with the last varying fastest. Mode 0 is a free reshape; other modes transpose.
 */
export function unfold(x: tf.Tensor, mode: number): tf.Tensor2D {
  checkTensor(x, 'x');
  checkMode(mode, x.rank);
  const shape = x.shape;
  if (mode === 0) return tf.reshape(x, [shape[0], -1]);
  const perm = [mode, ...shape.map((_, i) => i).filter((i) => i !== mode)];
  return tf.tidy(() => tf.reshape(tf.transpose(x, perm), [shape[mode], -1]));
}

/** Inverse of {@link unfold}: folds an `[I_mode, ∏ others]` matrix back into a tensor of `shape`. */
export function fold(m: tf.Tensor2D, mode: number, shape: readonly number[]): tf.Tensor {
  checkTensor(m, 'm');
  checkMode(mode, shape.length);
  const size = shape.reduce((a, b) => a * b, 1);
  if (m.rank !== 2 || m.shape[0] !== shape[mode] || m.size !== size) {
    throw new LtrError('shape-mismatch', `fold: m has shape [${m.shape.join(', ')}] but unfolding mode ${mode} of [${shape.join(', ')}] has shape [${shape[mode]}, ${size / shape[mode]}].`, { path: 'm' });
  }
  if (mode === 0) return tf.reshape(m, [...shape]);
  const others = shape.filter((_, i) => i !== mode);
  // The unfolded layout is [I_mode, others…]; move axis 0 back to position `mode`.
  const inv: number[] = [];
  for (let i = 0; i < shape.length; i++) inv.push(i < mode ? i + 1 : i === mode ? 0 : i);
  return tf.tidy(() => tf.transpose(tf.reshape(m, [shape[mode], ...others]), inv));
}

/**
 * Khatri–Rao (column-wise Kronecker) product of matrices with a common number of columns R:
 * shape `[∏ rows, R]`, row `(i, j, …)` at `i·(J·…) + j·… + …` (first matrix slowest).
 */
export function khatriRao(mats: readonly tf.Tensor2D[]): tf.Tensor2D {
  const r = checkFactors(mats, 'mats');
  return tf.tidy(() => {
    let acc: tf.Tensor2D = mats[0];
    for (let i = 1; i < mats.length; i++) {
      const b = mats[i];
      acc = tf.reshape(tf.mul(tf.reshape(acc, [acc.shape[0], 1, r]), tf.reshape(b, [1, b.shape[0], r])), [-1, r]);
    }
    return acc === mats[0] ? tf.clone(acc) : acc;
  });
}

/**
 * How {@link mttkrp} computes: `'khatri-rao'` forms the Khatri–Rao product of the other factors
 * and multiplies the unfolding by it (modes > 0 transpose `x`); `'contraction'` never forms the
 * full product nor transposes `x` (see `mttkrp`); `'auto'` (default) uses, per mode, what measured
 * faster on the default (wasm) backend: the contraction for every mode but the last, and
 * `'khatri-rao'` for the last (docs/cp.md, "MTTKRP").
 */
export type MttkrpMethod = 'auto' | 'khatri-rao' | 'contraction';

/**
 * Matricized-tensor times Khatri–Rao product: `unfold(x, mode) · khatriRao(factors without mode)`,
 * shape `[I_mode, R]`. `factors` holds one `I_n × R` matrix per mode of `x` (the one at `mode` is
 * not used, only its shape checked).
 *
 * The contraction does not form the `∏_{n≠m} I_n × R` Khatri–Rao matrix nor transpose `x`: with
 * `L = ∏_{n<m} I_n` and `T = ∏_{n>m} I_n` it views `x` as `[L·I_m, T]`, multiplies by the (small)
 * Khatri–Rao product of the trailing factors, then contracts the leading modes with the
 * Khatri–Rao product of the leading factors by a broadcast multiply and a sum (for the last mode:
 * one matMul with `x` transposed on the fly) — two steps, no copy of `x`.
 */
export function mttkrp(x: tf.Tensor, factors: readonly tf.Tensor2D[], mode: number, method: MttkrpMethod = 'auto'): tf.Tensor2D {
  checkTensor(x, 'x', 2);
  checkMode(mode, x.rank);
  checkFactors(factors, 'factors', x.rank);
  if (factors.length !== x.rank) {
    throw new LtrError('shape-mismatch', `mttkrp: x has ${x.rank} modes but ${factors.length} factors were given.`, { path: 'factors' });
  }
  factors.forEach((f, i) => {
    if (f.shape[0] !== x.shape[i]) {
      throw new LtrError('shape-mismatch', `mttkrp: factors[${i}] has ${f.shape[0]} rows but mode ${i} of x has size ${x.shape[i]}.`, { path: `factors[${i}]` });
    }
  });
  if (!['auto', 'khatri-rao', 'contraction'].includes(method)) {
    throw new LtrError('invalid-option', `mttkrp: method must be 'auto', 'khatri-rao' or 'contraction', got ${String(method)}.`, { path: 'method' });
  }
  const last = mode === x.rank - 1;
  if (method === 'khatri-rao' || (method === 'auto' && last && mode > 0)) {
    return tf.tidy(() => tf.matMul(unfold(x, mode), khatriRao(factors.filter((_, i) => i !== mode))));
  }
  return mttkrpContraction(x, factors, mode, 'transpose-a');
}

/**
 * @internal MTTKRP by contraction for a tensor `x` whose storage only the caller uses (a private
 * copy): the last mode is computed as `(khatriRao(leading)ᵀ · x_[L, I])ᵀ`, with `x` as matMul's
 * right operand, the fastest form on wasm. Not safe on a user's tensor: tfjs-backend-wasm 4.22
 * caches the packed right operand of a matMul by storage id, ignoring its shape, so the same
 * storage used as a right operand in two different shapes gives wrong results. No checks.
 */
export function mttkrpOwned(x: tf.Tensor, factors: readonly tf.Tensor2D[], mode: number): tf.Tensor2D {
  return mttkrpContraction(x, factors, mode, 'right-operand');
}

/**
 * @internal First step of a dimension tree: `x ×_{N−1} F_{N−1}`, i.e. `x` viewed as
 * `[∏_{n<N−1} I_n, I_{N−1}]` times the last factor, shape `[∏_{n<N−1} I_n, R]` (`x` is the left
 * operand). Every MTTKRP of modes 0 … N−2 follows from it by {@link mttkrpFromPartial} without
 * another pass over `x`, as long as the last factor has not changed. No checks.
 */
export function contractLastMode(x: tf.Tensor, last: tf.Tensor2D): tf.Tensor2D {
  const im = x.shape[x.rank - 1];
  return tf.tidy(() => tf.matMul(tf.reshape(x, [x.size / im, im]), last));
}

/**
 * @internal MTTKRP of mode `mode` < N−1 from `y = contractLastMode(x, factors[N−1])`: multiplies
 * `y` (viewed as `[I_0, …, I_{N−2}, R]`) by the other leading factors and sums them out. Costs
 * O(|y|) = O(|x|·R / I_{N−1}) per mode instead of O(|x|·R). No checks.
 */
export function mttkrpFromPartial(y: tf.Tensor2D, shape: readonly number[], factors: readonly tf.Tensor2D[], mode: number): tf.Tensor2D {
  const lead = shape.slice(0, -1);
  const r = y.shape[1];
  return tf.tidy(() => {
    let t: tf.Tensor = tf.reshape(y, [...lead, r]);
    // Contract the leading modes other than `mode` from the highest down, so that the axis of
    // mode n is still at position n when it is reached.
    for (let n = lead.length - 1; n >= 0; n--) {
      if (n === mode) continue;
      const bshape = new Array<number>(t.rank).fill(1);
      bshape[n] = lead[n];
      bshape[t.rank - 1] = r;
      t = tf.sum(tf.mul(t, tf.reshape(factors[n], bshape)), n);
    }
    return tf.reshape(t, [lead[mode], r]) as tf.Tensor2D;
  });
}

function mttkrpContraction(x: tf.Tensor, factors: readonly tf.Tensor2D[], mode: number, lastMode: 'transpose-a' | 'right-operand'): tf.Tensor2D {
  const r = factors[0].shape[1];
  return tf.tidy((): tf.Tensor2D => {
    const shape = x.shape;
    const im = shape[mode];
    const lead = shape.slice(0, mode).reduce((a, b) => a * b, 1);
    const trail = shape.slice(mode + 1).reduce((a, b) => a * b, 1);
    if (mode === 0) {
      // [I_0, T] · KR(trailing) → [I_0, R]
      return tf.matMul(tf.reshape(x, [im, trail]), khatriRaoOrSelf(factors.slice(1)));
    }
    if (mode === x.rank - 1) {
      const kl = khatriRaoOrSelf(factors.slice(0, mode));
      // [L, I_m]ᵀ · KR(leading) → [I_m, R]
      if (lastMode === 'transpose-a') return tf.matMul(tf.reshape(x, [lead, im]), kl, true, false);
      return tf.transpose(tf.matMul(tf.transpose(kl), tf.reshape(x, [lead, im]))) as tf.Tensor2D;
    }
    // Step 1: [L·I_m, T] · KR(trailing) → [L, I_m, R]; step 2: weight by KR(leading) and sum over L.
    const y = tf.reshape(tf.matMul(tf.reshape(x, [lead * im, trail]), khatriRaoOrSelf(factors.slice(mode + 1))), [lead, im, r]);
    const kl = tf.reshape(khatriRaoOrSelf(factors.slice(0, mode)), [lead, 1, r]);
    return tf.sum(tf.mul(y, kl), 0) as tf.Tensor2D;
  });
}

function khatriRaoOrSelf(mats: readonly tf.Tensor2D[]): tf.Tensor2D {
  return mats.length === 1 ? mats[0] : khatriRao(mats);
}

/**
 * Dense tensor `Σ_r λ_r f⁽⁰⁾_r ∘ f⁽¹⁾_r ∘ …` of shape `[I_0, I_1, …]` from weights (length R) and
 * one `I_n × R` factor per mode, computed as `F_0 · diag(λ) · khatriRao(F_1, …)ᵀ` (one matMul).
 */
export function cpToTensor(weights: tf.Tensor1D, factors: readonly tf.Tensor2D[]): tf.Tensor {
  const r = checkFactors(factors, 'factors', 1);
  checkTensor(weights, 'weights');
  if (weights.rank !== 1 || weights.shape[0] !== r) {
    throw new LtrError('shape-mismatch', `weights must have shape [${r}] (one per component), got [${weights.shape.join(', ')}].`, { path: 'weights' });
  }
  const shape = factors.map((f) => f.shape[0]);
  return tf.tidy(() => {
    const first = tf.mul(factors[0], tf.reshape(weights, [1, r]));
    if (factors.length === 1) return tf.sum(first, 1);
    const rest = khatriRaoOrSelf(factors.slice(1));
    return tf.reshape(tf.matMul(first, rest, false, true), shape);
  });
}

/** Outer product `v₀ ∘ v₁ ∘ …` of vectors: a tensor of shape `[len(v₀), len(v₁), …]`. */
export function outer(vectors: readonly tf.Tensor1D[]): tf.Tensor {
  if (!Array.isArray(vectors) || vectors.length < 1) {
    throw new LtrError('invalid-data', 'outer: vectors must be a non-empty array of 1-D tensors.', { path: 'vectors' });
  }
  vectors.forEach((v, i) => {
    checkTensor(v, `vectors[${i}]`);
    if (v.rank !== 1) throw new LtrError('shape-mismatch', `vectors[${i}] must be 1-D, got shape [${v.shape.join(', ')}].`, { path: `vectors[${i}]` });
  });
  return tf.tidy(() => {
    let acc: tf.Tensor = vectors[0];
    for (let i = 1; i < vectors.length; i++) {
      const v = vectors[i];
      acc = tf.mul(tf.reshape(acc, [...acc.shape, 1]), tf.reshape(v, [...new Array<number>(acc.rank).fill(1), v.shape[0]]));
    }
    return acc === vectors[0] ? tf.clone(acc) : acc;
  });
}
