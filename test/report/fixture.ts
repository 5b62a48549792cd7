/**
 * A small synthetic LearningExperimentResult (K = 30 trials: 10 baseline, 10 curl, 10 washout;
 * N = 8 units; T = 5 steps) with made-up but consistent numbers: the weights W_0 … W_K are built
 * from a few fixed rank-one directions (baseline: 1, curl: 2, washout: 1, total: 4 — all distinct),
 * the ΔW ranks are measured from them with the library's host rank functions, the epoch summary is
 * computed from the per-trial errors, the rank is selected from the CV table by `selectRank`, and
 * the bounds come from the real `gradientDescentRankBounds`.
 */
import { expect } from 'vitest';
import { LtrError } from '../../src/validate/errors';
import { rng } from '../../src/backend/random';
import { selectRank, type CrossValidationRow } from '../../src/fit/cv';
import { gradientDescentRankBounds } from '../../src/rank/bounds';
import { matrixRank, rankForVariance, singularValues } from '../../src/rank/matrix';
import type { DeltaRank, EpochSummary, ExperimentEpoch, LearningExperimentResult } from '../../src/tasks/experiment-result';
import { VERSION } from '../../src/version';

export const FIX = { K: 30, N: 8, T: 5, epochLength: 10, window: 3, curl: 2, seed: 7 } as const;

/** The fixture; `size` scales it (e.g. { epochLength: 100, N: 100, T: 60 } for timings). */
export function makeFixture(size: { epochLength?: number; N?: number; T?: number } = {}): LearningExperimentResult {
  const L = size.epochLength ?? FIX.epochLength;
  const N = size.N ?? FIX.N;
  const T = size.T ?? FIX.T;
  const K = 3 * L;
  const w = FIX.window;
  const r = rng(11);
  const epochs = (['baseline', 'curl', 'washout'] as const).map((name, i) => ({ name, start: i * L, end: (i + 1) * L, curl: name === 'curl' ? FIX.curl : 0 }));
  const epochOf = (k: number): ExperimentEpoch => epochs[Math.floor(k / L)].name;

  // Weights: W_0 random; each update is a combination of the epoch's rank-one directions.
  const dirs = Array.from({ length: 4 }, () => ({ a: r.normalArray(N), b: r.normalArray(N) }));
  const useDirs: Record<ExperimentEpoch, number[]> = { baseline: [0], curl: [1, 2], washout: [3] };
  const weights = new Float32Array((K + 1) * N * N);
  const w0 = r.normalArray(N * N).map((x) => x / Math.sqrt(N));
  weights.set(w0, 0);
  for (let k = 0; k < K; k++) {
    const prev = weights.subarray(k * N * N, (k + 1) * N * N);
    const next = weights.subarray((k + 1) * N * N, (k + 2) * N * N);
    next.set(prev);
    for (const d of useDirs[epochOf(k)]) {
      const g = 0.02 * (1 + 0.5 * Math.sin(k + d));
      for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) next[i * N + j] += g * dirs[d].a[i] * dirs[d].b[j];
    }
  }
  const delta = (from: number, to: number): Float64Array => {
    const out = new Float64Array(N * N);
    for (let i = 0; i < N * N; i++) out[i] = weights[to * N * N + i] - weights[from * N * N + i];
    return out;
  };
  const deltaRank = (name: DeltaRank['name'], from: number, to: number): DeltaRank => {
    const m = { data: delta(from, to), shape: [N, N] };
    return {
      name,
      singularValues: Array.from(singularValues(m)),
      numericalRank: matrixRank(m, { precision: 'float32' }),
      rankFor90: rankForVariance(m, 0.9),
      rankFor95: rankForVariance(m, 0.95),
    };
  };
  const deltaRanks = [deltaRank('total', 0, K), ...epochs.map((e) => deltaRank(e.name, e.start, e.end))];

  // Per-trial behaviour: error jumps at curl onset and at washout, and falls within each epoch.
  const reachError: number[] = [];
  const lateral: number[] = [];
  for (let k = 0; k < K; k++) {
    const e = epochOf(k);
    const i = k % L;
    const noise = 0.005 * r.normal();
    if (e === 'baseline') {
      reachError.push(0.05 + noise);
      lateral.push(0.01 * r.normal());
    } else if (e === 'curl') {
      reachError.push(0.05 + 0.4 * Math.exp(-i / 4) + noise);
      lateral.push(0.3 * Math.exp(-i / 4));
    } else {
      reachError.push(0.05 + 0.25 * Math.exp(-i / 3) + noise);
      lateral.push(-0.2 * Math.exp(-i / 3));
    }
  }
  const mean = (a: number[]): number => a.reduce((s, x) => s + x, 0) / a.length;
  const epochSummary: EpochSummary[] = epochs.map((e) => ({
    name: e.name,
    first: mean(reachError.slice(e.start, e.start + w)),
    last: mean(reachError.slice(e.end - w, e.end)),
    firstLateral: mean(lateral.slice(e.start, e.start + w)),
    lastLateral: mean(lateral.slice(e.end - w, e.end)),
    window: w,
  }));

  // Activity T × K × N.
  const activity = new Float32Array(T * K * N);
  for (let t = 0; t < T; t++) for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) activity[(t * K + k) * N + n] = Math.tanh(Math.sin(0.3 * t + 0.7 * n) * (1 + k / K));

  // CP profile: explained variance 1 − relErr²; 90 % at R = 2, 95 % at R = 3.
  const relErrors = [0.5, 0.3, 0.15, 0.1];
  const rows = relErrors.map((e, i) => ({ rank: i + 1, relError: e, explainedVariance: 1 - e * e, coreConsistency: [100, 97.5, 80.2, 41][i] }));

  // Cross-validation: ranks 1–4, two seeds; the one-s.e. rule picks 2, the minimum is at 3.
  const table: CrossValidationRow[] = [
    [0.6, 0.02],
    [0.34, 0.01],
    [0.33, 0.015],
    [0.335, 0.01],
  ].map(([m, se], i) => ({ rank: i + 1, latentDim: 6, mean: m, se, losses: [m - se, m + se], trainMean: m - 0.05, parameters: 100 + 20 * i }));
  const sel = selectRank(table, 'oneStandardError');
  const trialFactors = Array.from({ length: K }, (_, k) => Array.from({ length: sel.rank }, (_, j) => (j === 0 ? 1 + 0.01 * k : epochOf(k) === 'curl' ? 0.8 * (1 - Math.exp(-(k % L) / 3)) : epochOf(k) === 'washout' ? 0.8 * Math.exp(-(k % L) / 3) : 0)));

  const bounds = gradientDescentRankBounds({ neurons: N, inputDim: 3, outputDim: 2, timeSteps: T, trialsPerUpdate: 1, updates: K, activation: 'nonlinear', init: { rank: N }, optimizer: 'sgd', bias: true });

  const options = { neurons: N, seed: FIX.seed, pretrain: { updates: 40, batchSize: 4, learningRate: 0.01 }, trials: { baseline: L, curl: L, washout: L }, curl: FIX.curl, learningRate: 0.05 };
  return {
    format: 'ltr-rnn/learning-experiment',
    version: 1,
    options,
    network: { neurons: N, steps: T, dt: 0.05, tau: 0.1, inputSize: 3, outputSize: 2, activation: 'tanh' },
    pretraining: { updates: 40, batchSize: 4, optimizer: 'adam', learningRate: 0.01, finalLoss: 0.0123, finalReachError: 0.048, durationMs: 1500 },
    learning: { optimizer: 'sgd', learningRate: 0.05, trialsPerUpdate: 1, durationMs: 900 },
    epochs,
    trials: {
      epoch: Array.from({ length: K }, (_, k) => epochOf(k)),
      target: Array.from({ length: K }, (_, k) => k % 8),
      curl: Array.from({ length: K }, (_, k) => (epochOf(k) === 'curl' ? FIX.curl : 0)),
      reachError,
      lateralDeviation: lateral,
      loss: reachError.map((e) => e * e),
    },
    epochSummary,
    deltaRanks,
    cpProfile: { rows, rankFor90: 2, rankFor95: 3, restarts: 2, maxIter: 200 },
    bounds,
    crossValidation: {
      table,
      selectedRank: sel.rank,
      rule: 'oneStandardError',
      bestRank: sel.bestRank,
      trialFactors,
      options: { iterations: 50, learningRate: 0.01, latentDim: 6, ranks: [1, 2, 3, 4], times: 'go-aligned', conditions: 'target', epochs: 'epoch' },
      seeds: [0, 1],
      bins: Math.ceil(T / 2),
      binStride: 2,
    },
    activity: { data: activity, shape: [T, K, N] },
    weights: { data: weights, shape: [K + 1, N, N] },
    timings: { pretraining: 1500, learning: 900, deltaRanks: 20, cpProfile: 300, crossValidation: 4000, total: 6720 },
    provenance: { library: 'ltr-rnn', version: VERSION, backend: 'cpu', seed: FIX.seed, options, startedAt: '2026-01-02T03:04:05.000Z', durationMs: 6720 },
  };
}

/**
 * A minimal XML well-formedness check (enough for the SVG this layer writes): tags nest and close,
 * attributes are quoted, `&` starts an entity, no `<` inside text or attributes.
 * Returns null when well-formed, else what is wrong.
 */
export function xmlProblem(xml: string): string | null {
  const stack: string[] = [];
  let i = 0;
  const entity = /^&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/;
  while (i < xml.length) {
    const c = xml[i];
    if (c === '<') {
      const end = xml.indexOf('>', i);
      if (end < 0) return `unclosed tag at ${i}`;
      const tag = xml.slice(i + 1, end);
      if (tag.startsWith('/')) {
        const name = tag.slice(1).trim();
        const open = stack.pop();
        if (open !== name) return `</${name}> closes <${open ?? 'nothing'}> at ${i}`;
      } else {
        const selfClosing = tag.endsWith('/');
        const body = selfClosing ? tag.slice(0, -1) : tag;
        const m = /^([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*$/.exec(body);
        if (m === null) return `malformed tag <${tag.slice(0, 60)}> at ${i}`;
        for (const v of m[2].matchAll(/="([^"]*)"/g)) {
          const bad = v[1].replace(/&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/g, '');
          if (bad.includes('&')) return `bare & in an attribute of <${m[1]}>`;
        }
        if (!selfClosing) stack.push(m[1]);
      }
      i = end + 1;
    } else if (c === '&') {
      if (!entity.test(xml.slice(i, i + 12))) return `bare & at ${i}`;
      i++;
    } else if (c === '>') {
      return `bare > at ${i}`;
    } else i++;
  }
  return stack.length === 0 ? null : `unclosed <${stack.join('>, <')}>`;
}

/** Every `<svg …>…</svg>` in a document. */
export function svgsOf(html: string): string[] {
  return [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]);
}

/** The svg with `data-figure="id"` (or undefined). */
export function figureOf(html: string, id: string): string | undefined {
  return svgsOf(html).find((s) => new RegExp(`^<svg[^>]*data-figure="${id}"`).test(s));
}

/** The `data-points` of each series in an svg, by series name. */
export function seriesPoints(svg: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of svg.matchAll(/<g class="series" data-series="([^"]*)" data-points="(\d+)">/g)) out[m[1]] = (out[m[1]] ?? 0) + Number(m[2]);
  return out;
}

/** Count of an exact substring. */
export function count(s: string, what: string): number {
  return s.split(what).length - 1;
}

/** The axis ranges an svg declares (first panel's, or all with `all`). */
export function axes(svg: string): { x: [number, number][]; y: [number, number][] } {
  const get = (which: 'x' | 'y'): [number, number][] => [...svg.matchAll(new RegExp(`class="axis ${which}-axis" data-scale="\\w+" data-min="([^"]+)" data-max="([^"]+)"`, 'g'))].map((m) => [Number(m[1]), Number(m[2])]);
  return { x: get('x'), y: get('y') };
}

/** The LtrError `fn` throws (fails the test when it throws something else or nothing). */
export function errorOf(fn: () => unknown): LtrError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(LtrError);
    return e as LtrError;
  }
  throw new Error('expected an LtrError');
}
