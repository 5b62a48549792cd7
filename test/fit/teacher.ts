/**
 * Synthetic teacher data for the fit tests, the example and the benchmark: a low-tensor-rank
 * rate network (rank 3 by default) whose trial factors drift smoothly over learning and jump at
 * each epoch change, simulated in float64 on the host with the same Euler scheme the library
 * uses, read out by a random orthogonal map to D neurons with Gaussian noise (or Poisson counts).
 *
 * Self-contained (no library import), deterministic for a seed.
 */

/** Options of {@link makeTeacher}. */
export interface TeacherOptions {
  rank?: number;
  /** Latent units N (30). */
  latentDim?: number;
  /** Trials per epoch ([40, 40, 40]). */
  epochs?: number[];
  /** Time bins T (40). */
  bins?: number;
  /** Conditions (4), assigned to trials in rotation. */
  conditions?: number;
  /** Recorded neurons D (50). */
  neurons?: number;
  /** Simulated duration spanned by the bins (2, τ = 1): dt = duration / (T − 1). */
  duration?: number;
  /** Standard deviation of the Gaussian observation noise (0.05). */
  noise?: number;
  /** Poisson: baseline rate per bin and gain of the log-rate (3 and 2). */
  baseRate?: number;
  gain?: number;
  seed?: number;
}

/** What {@link makeTeacher} returns (all host arrays, row-major). */
export interface Teacher {
  /** Noisy data, T × K × D. */
  data: Float32Array;
  /** Noise-free signal Q tanh(x), T × K × D. */
  signal: Float32Array;
  /** Poisson counts drawn from exp(log(baseRate) + gain · signal), T × K × D (as Int32Array). */
  counts: Int32Array;
  shape: [number, number, number];
  /** Condition of each trial. */
  conditions: number[];
  /** Epoch label of each trial ('baseline', 'adaptation', 'washout', …). */
  epochs: string[];
  /** Trial factors C, K × R. */
  trialFactors: Float64Array;
  /** Column and row factors, N × R (unit-norm columns). */
  columnFactors: Float64Array;
  rowFactors: Float64Array;
  /** Signal-to-noise ratio of `data`: variance of the signal / noise variance. */
  snr: number;
  rank: number;
}

/** mulberry32 uniform generator with Box–Muller normals. */
function makeRng(seed: number): { uniform: () => number; normal: () => number } {
  let a = seed >>> 0 || 0x9e3779b9;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare: number | null = null;
  const normal = (): number => {
    if (spare !== null) {
      const v = spare;
      spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  return { uniform, normal };
}

/** Gram–Schmidt on the columns of an n × m row-major matrix (m ≤ n). */
function orthonormalColumns(x: Float64Array, n: number, m: number): Float64Array {
  const q = Float64Array.from(x);
  for (let j = 0; j < m; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        let d = 0;
        for (let i = 0; i < n; i++) d += q[i * m + j] * q[i * m + k];
        for (let i = 0; i < n; i++) q[i * m + j] -= d * q[i * m + k];
      }
    }
    let s = 0;
    for (let i = 0; i < n; i++) s += q[i * m + j] ** 2;
    const nrm = Math.sqrt(s);
    for (let i = 0; i < n; i++) q[i * m + j] /= nrm;
  }
  return q;
}

function poisson(lambda: number, u: () => number): number {
  // Knuth for small rates, normal approximation above 50 (not reached with the defaults).
  if (lambda > 50) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * (Math.sqrt(-2 * Math.log(u() || 1e-12)) * Math.cos(2 * Math.PI * u()))));
  const l = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= u();
  } while (p > l);
  return k - 1;
}

/**
 * Builds the teacher: modes A (orthonormal), B = orthonormalized A + 0.6·noise, trial factors
 * c_r(k) = base_r + smooth drift + an epoch-specific jump, one initial state per condition in
 * span(A) (plus a small orthogonal part), T bins of Euler dynamics x' = x + dt(−x + W⁽ᵏ⁾ tanh x).
 */
export function makeTeacher(options: TeacherOptions = {}): Teacher {
  const R = options.rank ?? 3;
  const N = options.latentDim ?? 30;
  const epochSizes = options.epochs ?? [40, 40, 40];
  const T = options.bins ?? 40;
  const nc = options.conditions ?? 4;
  const D = options.neurons ?? 50;
  const duration = options.duration ?? 2;
  const noiseStd = options.noise ?? 0.05;
  const baseRate = options.baseRate ?? 3;
  const gain = options.gain ?? 2;
  const rnd = makeRng(options.seed ?? 7);
  const K = epochSizes.reduce((a, b) => a + b, 0);
  const dt = duration / (T - 1);

  const gauss = (n: number): Float64Array => Float64Array.from({ length: n }, () => rnd.normal());
  const A = orthonormalColumns(gauss(N * R), N, R);
  const bRaw = new Float64Array(N * R);
  const noiseB = gauss(N * R);
  for (let i = 0; i < N * R; i++) bRaw[i] = A[i] + (0.6 * noiseB[i]) / Math.sqrt(N);
  const B = orthonormalColumns(bRaw, N, R);
  const Q = orthonormalColumns(gauss(D * N), D, N);

  // Trial factors: per component a base gain, a slow drift (different phase/period) and a jump per epoch.
  const C = new Float64Array(K * R);
  const epochs: string[] = [];
  const names = ['baseline', 'adaptation', 'washout', 'epoch4', 'epoch5', 'epoch6'];
  let k0 = 0;
  const jumps = epochSizes.map(() => Float64Array.from({ length: R }, () => 0.6 * (2 * rnd.uniform() - 1)));
  jumps[0].fill(0);
  const base = Float64Array.from({ length: R }, (_, r) => 1.4 + 0.3 * r);
  const period = Float64Array.from({ length: R }, () => 50 + 60 * rnd.uniform());
  const phase = Float64Array.from({ length: R }, () => 2 * Math.PI * rnd.uniform());
  epochSizes.forEach((size, e) => {
    for (let j = 0; j < size; j++) {
      const k = k0 + j;
      epochs.push(names[e] ?? `epoch${e + 1}`);
      for (let r = 0; r < R; r++) C[k * R + r] = base[r] + 0.35 * Math.sin((2 * Math.PI * k) / period[r] + phase[r]) + jumps[e][r];
    }
    k0 += size;
  });

  // Initial states per condition: along the modes, plus a small orthogonal part.
  const x0 = new Float64Array(nc * N);
  for (let c = 0; c < nc; c++) {
    const coef = Float64Array.from({ length: R }, (_, r) => 1.5 * Math.cos((2 * Math.PI * c) / nc + r));
    const extra = gauss(N);
    for (let i = 0; i < N; i++) {
      let v = 0.15 * extra[i];
      for (let r = 0; r < R; r++) v += coef[r] * A[i * R + r];
      x0[c * N + i] = v;
    }
  }
  const conditions = Array.from({ length: K }, (_, k) => k % nc);

  const signal = new Float32Array(T * K * D);
  const x = new Float64Array(N);
  const phi = new Float64Array(N);
  const proj = new Float64Array(R);
  for (let k = 0; k < K; k++) {
    x.set(x0.subarray(conditions[k] * N, conditions[k] * N + N));
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < N; i++) phi[i] = Math.tanh(x[i]);
      for (let d = 0; d < D; d++) {
        let s = 0;
        for (let i = 0; i < N; i++) s += Q[d * N + i] * phi[i];
        signal[(t * K + k) * D + d] = s;
      }
      if (t === T - 1) break;
      // x ← x + dt(−x + A diag(c_k) Bᵀ φ)
      for (let r = 0; r < R; r++) {
        let s = 0;
        for (let i = 0; i < N; i++) s += B[i * R + r] * phi[i];
        proj[r] = s * C[k * R + r];
      }
      for (let i = 0; i < N; i++) {
        let rec = 0;
        for (let r = 0; r < R; r++) rec += A[i * R + r] * proj[r];
        x[i] += dt * (-x[i] + rec);
      }
    }
  }
  const data = new Float32Array(signal.length);
  let mean = 0;
  for (let i = 0; i < signal.length; i++) mean += signal[i];
  mean /= signal.length;
  let v = 0;
  for (let i = 0; i < signal.length; i++) {
    v += (signal[i] - mean) ** 2;
    data[i] = signal[i] + noiseStd * rnd.normal();
  }
  v /= signal.length;
  const counts = new Int32Array(signal.length);
  for (let i = 0; i < signal.length; i++) counts[i] = poisson(baseRate * Math.exp(gain * signal[i]), rnd.uniform);
  return { data, signal, counts, shape: [T, K, D], conditions, epochs, trialFactors: C, columnFactors: A, rowFactors: B, snr: noiseStd > 0 ? v / noiseStd ** 2 : Infinity, rank: R };
}
