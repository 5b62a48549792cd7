/**
 * The smoothness prior on trial factors: a rational-quadratic kernel over trial ids, optionally
 * zeroed between epochs, and the Cholesky factors that turn white latent coefficients Z into
 * smooth trial factors C = L Z + β. Host float64 (a K×K problem, done once per fit).
 */
import { cholesky } from '../linalg/cholesky';
import type { Matrix } from '../linalg/matrix';
import { LtrError } from '../validate/errors';

/** Parameters of the rational-quadratic trial kernel. */
export interface TrialKernelParams {
  /** Length scale ℓ, in trials (units of `trialIds`). */
  lengthScale: number;
  /** Magnitude σ: the prior standard deviation of the smooth part of each trial factor. */
  sigma: number;
  /** Shape α of the rational quadratic (α → ∞ gives the squared exponential). */
  alpha: number;
  /** σ_obs: standard deviation of the non-smooth (trial-to-trial) part. */
  sigmaObservation: number;
}

/** Jitter the reference implementation adds to the kernel for the latent (noise-free) factor. */
export const LATENT_JITTER = 1e-6;

/**
 * The K×K kernel k(i, j) = σ² (1 + d²/(2αℓ²))^(−α), d = trialIds[i] − trialIds[j], set to 0 for
 * pairs in different epochs when `epochs` is given (so that trial factors may jump at an epoch
 * change), row-major float64.
 */
export function rationalQuadraticKernel(trialIds: ArrayLike<number>, p: Pick<TrialKernelParams, 'lengthScale' | 'sigma' | 'alpha'>, epochs: ArrayLike<number> | null): Matrix {
  const k = trialIds.length;
  const data = new Float64Array(k * k);
  const s2 = p.sigma * p.sigma;
  const denom = 2 * p.alpha * p.lengthScale * p.lengthScale;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      const d = trialIds[i] - trialIds[j];
      const v = epochs !== null && epochs[i] !== epochs[j] ? 0 : s2 * Math.pow(1 + (d * d) / denom, -p.alpha);
      data[i * k + j] = v;
      data[j * k + i] = v;
    }
  }
  return { rows: k, cols: k, data };
}

/**
 * Lower Cholesky factor of kernel + `diagonal`·I. The diagonal is raised (×10 each time, at most
 * 8 times) when the matrix is numerically singular, e.g. with duplicate trial ids and σ_obs = 0.
 * @throws LtrError `not-positive-definite` when even that fails.
 */
export function kernelCholesky(kernel: Matrix, diagonal: number): { factor: Matrix; diagonal: number } {
  let d = diagonal;
  for (let attempt = 0; attempt < 9; attempt++) {
    const a: Matrix = { rows: kernel.rows, cols: kernel.cols, data: Float64Array.from(kernel.data) };
    for (let i = 0; i < a.rows; i++) a.data[i * a.cols + i] += d;
    try {
      return { factor: cholesky(a), diagonal: d };
    } catch (err) {
      if (!(err instanceof LtrError) || err.code !== 'not-positive-definite') throw err;
      d = d > 0 ? d * 10 : 1e-9;
    }
  }
  throw new LtrError('not-positive-definite', `The trial kernel is not positive definite even with ${d.toExponential(1)} added to its diagonal. Check options.trialIds (finite numbers) and the kernel parameters.`, { path: 'options.lengthScale' });
}

/**
 * The two factors of the trial prior: `observed` = chol(k + σ_obs² I) (the factors the network
 * runs with) and `latent` = chol(k + 10⁻⁶ I) (the smooth part alone), as in the reference
 * implementation. With σ_obs = 0 both are the same matrix.
 */
export function trialPriorFactors(trialIds: ArrayLike<number>, p: TrialKernelParams, epochs: ArrayLike<number> | null): { observed: Matrix; latent: Matrix; kernel: Matrix } {
  const kernel = rationalQuadraticKernel(trialIds, p, epochs);
  const latent = kernelCholesky(kernel, LATENT_JITTER).factor;
  const obsVar = p.sigmaObservation * p.sigmaObservation;
  const observed = obsVar <= LATENT_JITTER ? latent : kernelCholesky(kernel, obsVar).factor;
  return { observed, latent, kernel };
}

/**
 * Roughness of each column of a K×R matrix of trial factors (row-major): the mean squared second
 * difference divided by the column's variance (0 for a straight line; ≈ 6 for white noise). Used to
 * check that a longer length scale gives smoother factors.
 */
export function roughness(values: ArrayLike<number>, rows: number, cols: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < cols; r++) {
    let mean = 0;
    for (let k = 0; k < rows; k++) mean += values[k * cols + r];
    mean /= rows;
    let v = 0;
    for (let k = 0; k < rows; k++) v += (values[k * cols + r] - mean) ** 2;
    v /= rows;
    let d2 = 0;
    for (let k = 1; k + 1 < rows; k++) d2 += (values[(k + 1) * cols + r] - 2 * values[k * cols + r] + values[(k - 1) * cols + r]) ** 2;
    d2 /= Math.max(1, rows - 2);
    out.push(v > 0 ? d2 / v : 0);
  }
  return out;
}
