/**
 * Executable rank bounds for recurrent networks trained by gradient descent: given a training
 * spec, the largest matrix rank one update, a sum of updates and each W_k can have, and the largest
 * multilinear and CP rank of the updates × N × N weight tensor — each with the statement it comes
 * from (B1–B4, proved in docs/rank.md) and whether it is exact or only approximate under the spec.
 */
import { z } from 'zod';
import { LtrError } from '../validate/errors';
import { parseOptions, schemas } from '../validate/options';

/** Optimizers the bounds know: `sgd`, `momentum` (heavy ball), `gd` (full batch) and `adam`. */
export const BOUND_OPTIMIZERS = ['sgd', 'momentum', 'gd', 'adam'] as const;
/** Parameter groups a spec may train. */
export const TRAINED_PARAMETERS = ['recurrent', 'input', 'output'] as const;

/**
 * The training spec of {@link gradientDescentRankBounds} and `verifyBounds`:
 *
 * | field | default | meaning |
 * |---|---|---|
 * | `neurons` | required | N, recurrent units (≥ 1) |
 * | `inputDim` | required | d_in, input dimension (≥ 0) |
 * | `outputDim` | required | d_out, readout dimension (≥ 1) |
 * | `timeSteps` | required | T, steps per trial (≥ 1) |
 * | `trialsPerUpdate` | required | P, trials in the batch of one update (≥ 1) |
 * | `updates` | required | K, gradient updates (≥ 1); the tensor is K × N × N (W after each update) |
 * | `activation` | `'nonlinear'` | `'linear'` (φ = identity) or `'nonlinear'` (any φ) |
 * | `init` | `'zero'` | W₀: `'zero'` or `{ rank: r }` (1 ≤ r ≤ N) |
 * | `trained` | all of `['recurrent', 'input', 'output']` (input only when d_in ≥ 1) | which of W, W_in, W_out gradient descent changes |
 * | `optimizer` | `'sgd'` | `'sgd'`, `'momentum'`, `'gd'` (full batch) or `'adam'` |
 * | `initialState` | `'zero'` | x₀: `'zero'` or `'learned'` (trainable, may be non-zero) |
 * | `bias` | false | whether the network has a (trainable) bias b |
 */
export const rankBoundSpec = z
  .strictObject({
    neurons: schemas.positiveInt,
    inputDim: schemas.nonNegativeInt,
    outputDim: schemas.positiveInt,
    timeSteps: schemas.positiveInt,
    trialsPerUpdate: schemas.positiveInt,
    updates: schemas.positiveInt,
    activation: z.enum(['linear', 'nonlinear']).default('nonlinear'),
    init: z.union([z.literal('zero'), z.strictObject({ rank: schemas.positiveInt })], { error: "must be 'zero' or { rank: r } with r ≥ 1" }).default('zero'),
    trained: z
      .array(z.enum(TRAINED_PARAMETERS))
      .min(1, 'must list at least one of recurrent, input, output')
      .refine((t) => new Set(t).size === t.length, 'must not repeat a parameter')
      .optional(),
    optimizer: z.enum(BOUND_OPTIMIZERS).default('sgd'),
    initialState: z.enum(['zero', 'learned']).default('zero'),
    bias: z.boolean().default(false),
  })
  .superRefine((s, ctx) => {
    if (s.init !== 'zero' && s.init.rank > s.neurons) {
      ctx.addIssue({ code: 'custom', path: ['init', 'rank'], message: `is ${s.init.rank} but an N×N matrix with N = ${s.neurons} has rank at most ${s.neurons}` });
    }
    if (s.trained?.includes('input') && s.inputDim === 0) {
      ctx.addIssue({ code: 'custom', path: ['trained'], message: "includes 'input' but inputDim is 0 (there are no input weights to train)" });
    }
  });
/** A spec as a caller writes it. */
export type RankBoundSpec = z.input<typeof rankBoundSpec>;
/** A spec with defaults filled in. */
export type ResolvedRankBoundSpec = Omit<z.output<typeof rankBoundSpec>, 'trained'> & { trained: (typeof TRAINED_PARAMETERS)[number][] };

/** Which statement a bound comes from (see {@link BOUND_STATEMENTS}). */
export type BoundStatement = 'B1' | 'B2' | 'B3' | 'B4' | 'trivial' | 'untrained';

/** The statements, as the bound objects cite them (proofs in docs/rank.md). */
export const BOUND_STATEMENTS: Readonly<Record<BoundStatement, string>> = Object.freeze({
  B1:
    'B1 (any activation, one gradient): ∇_W L = Σ_{trials p} Σ_{t<T} δ_{p,t+1} φ(x_{p,t})ᵀ is a sum of at most P·T outer products, so rank ≤ min(N, P·T). ' +
    'Sharper: φ(x₀) is shared by the P trials, so the t = 0 terms merge into one (P·(T−1) + 1), or vanish when x₀ = 0 and φ is linear (P·(T−1)); ' +
    'with no input (d_in = 0) the trials coincide (P → 1). Sums of k gradients have rank ≤ k times that.',
  B2:
    'B2 (linear φ, one gradient, any W): the rates lie in the Krylov space of A = W (A = (1−h)I + hW for a leaky cell) spanned by x₀ and by W_in, b ' +
    '(row space ≤ [x₀ learned]·T + (T−1)·(d_in + [bias])), the errors in K_T(Aᵀ, W_outᵀ) (column space ≤ T·d_out, T−1 when x₀ = 0); ' +
    'rank ≤ min(N, P·T, row bound, column bound).',
  B3:
    'B3 (linear φ, SGD / momentum / full-batch GD / gradient flow, any number of updates, any of W, W_in, W_out trained): every iterate lies in S ⊗ S with ' +
    'S = span(W_in) + span(W_outᵀ) + span(x₀) + span(b) (+ col(W₀) + row(W₀) when W₀ ≠ 0), d = dim S ≤ d_in + d_out + [bias] + [x₀ learned] + 2·rank(W₀). ' +
    'Hence rank(W_k) ≤ d, the K × N × N tensor has multilinear rank ≤ (min(K, d²), d, d) and CP rank ≤ min(d², K·d) — independent of N and T.',
  B4:
    'B4 (W₀ ≠ 0, SGD-type optimizers): the tensor is 1_K ∘ W₀ + Δ𝒲 with Δ𝒲 = Σ_j c_j ∘ G_j (G_j the j-th gradient, c_j its coefficients over k), so ' +
    'CP rank ≤ rank(W₀) + Σ_j rank(G_j) ≤ rank(W₀) + K·(B1 or B2). Weak: it grows with K.',
  trivial: 'Trivial: an N×N matrix has rank ≤ N; a K × N × N tensor has multilinear rank ≤ (min(K, N²), N, N) and CP rank ≤ min(K·N, N²).',
  untrained: 'W is not trained: every update of W is 0 and W_k = W₀.',
});

/** 'exact': a theorem under the spec; 'approximate': the spec breaks an assumption (Adam). */
export type BoundStatus = 'exact' | 'approximate';

/** A rank bound with its provenance. */
export interface RankBound<V = number> {
  /** The bound the statements give (for an approximate bound: what they give if the assumptions held). */
  value: V;
  /** `'exact'`: measured ≤ value for every run that matches the spec; `'approximate'`: not guaranteed. */
  status: BoundStatus;
  /** `status === 'exact'`. */
  guaranteed: boolean;
  /** The statement `value` comes from. */
  statement: BoundStatement;
  /** The tightest bound that is guaranteed under the spec (= value when exact; often trivial otherwise). */
  guaranteedValue: V;
  guaranteedStatement: BoundStatement;
  /** Why the bound is approximate; null when exact. */
  caveat: string | null;
}

/** A bound that depends on the update count k = 1 … K (`value` is the one at k = K, the largest). */
export interface RankBoundSeries extends RankBound<number> {
  /** The bound after k updates, k = 1 … K. */
  byUpdate: number[];
  /** The guaranteed bound after k updates. */
  guaranteedByUpdate: number[];
  /** The statement of each `byUpdate` entry. */
  statementByUpdate: BoundStatement[];
}

/** Result of {@link gradientDescentRankBounds}. */
export interface GradientDescentRankBounds {
  /** The spec with defaults filled in. */
  spec: ResolvedRankBoundSpec;
  /**
   * d = dim S of B3 (linear activation; exact for sgd / momentum / gd, approximate for adam);
   * null for a nonlinear activation.
   */
  subspaceDimension: number | null;
  /** Steps whose rates feed ∇_W: T, or T − 1 when x₀ = 0 and φ is linear (φ(x₀) = 0). */
  effectiveSteps: number;
  /**
   * Distinct outer products in one gradient (B1): P·(T − 1) + 1 — the first rate φ(x₀) is shared by
   * all trials — or P·(T − 1) when φ(x₀) = 0; with no input (d_in = 0) the P trials coincide: T − 1 + 1.
   */
  outerProducts: number;
  /** Rank of one gradient ∇_W L (B1, B2): exact for every optimizer. */
  gradient: RankBound;
  /** Rank of the k-th update ΔW_k = W_k − W_{k−1}. */
  update: RankBoundSeries;
  /** Rank of the sum of the first k updates, W_k − W₀. */
  sumOfUpdates: RankBoundSeries;
  /** Rank of W_k itself. */
  weights: RankBoundSeries;
  /** Multilinear rank of the K × N × N tensor of W_1 … W_K (mode 1: updates, 2: post, 3: pre). */
  multilinearRank: RankBound<[number, number, number]>;
  /** CP rank of the same tensor. */
  cpRank: RankBound;
  /** The assumptions every exact bound rests on. */
  assumptions: string[];
  /** The text of every statement cited. */
  statements: Readonly<Record<BoundStatement, string>>;
}

type Candidate = [number, BoundStatement];

/** The smallest candidate (first one on ties). */
function tightest(cands: Candidate[]): Candidate {
  let best = cands[0];
  for (const c of cands) if (c[0] < best[0]) best = c;
  return best;
}

const ADAM_CAVEAT =
  'Adam divides each coordinate of the update by its own running RMS: the update is not a linear combination of gradients and the method is not ' +
  'rotation-equivariant, so it leaves S ⊗ S and its updates are not low rank in general. The value is what B1–B4 give for SGD; only the trivial bound is guaranteed.';

/**
 * The rank bounds that gradient descent obeys under `spec` (see {@link rankBoundSpec}): for the
 * recurrent weights, one gradient, one update ΔW_k, the sum of k updates W_k − W₀, each W_k, and the
 * multilinear and CP rank of the K × N × N tensor of W_1 … W_K. Every bound names the statement
 * (B1–B4, or trivial) it comes from and whether it is exact (a theorem under the spec) or
 * approximate (Adam: not guaranteed — the guaranteed fallback is given beside it).
 *
 * Pure arithmetic on the spec: synchronous, nothing is trained (see `verifyBounds` for that).
 *
 * @example
 * ```ts
 * const b = gradientDescentRankBounds({ neurons: 500, inputDim: 2, outputDim: 1, timeSteps: 50,
 *   trialsPerUpdate: 16, updates: 200, activation: 'linear', optimizer: 'sgd' });
 * b.weights.value;          // 3 = d_in + d_out (B3), whatever N and T
 * b.multilinearRank.value;  // [9, 3, 3]
 * ```
 * @throws LtrError `invalid-option` naming the field (`spec.outputDim`, `spec.optimizer`, `spec.init.rank`, …).
 */
export function gradientDescentRankBounds(spec: RankBoundSpec): GradientDescentRankBounds {
  const s = resolveSpec(spec);
  const { neurons: N, inputDim: dIn, outputDim: dOut, timeSteps: T, trialsPerUpdate: P, updates: K } = s;
  const linear = s.activation === 'linear';
  const r0 = s.init === 'zero' ? 0 : s.init.rank;
  const eb = s.bias ? 1 : 0;
  const ex = s.initialState === 'learned' ? 1 : 0;
  const sgdLike = s.optimizer !== 'adam';
  const trainedW = s.trained.includes('recurrent');
  // The rates that multiply W are φ(x_0) … φ(x_{T−1}). φ(x_0) is the same in every trial (x₀ is
  // shared) and is 0 when x₀ = 0 and φ is linear; without input every trial follows the same path.
  const z0 = linear && ex === 0 ? 0 : 1;
  const tEff = T - 1 + z0;
  const outer = (dIn > 0 ? P : 1) * (T - 1) + z0; // distinct outer products in ∇_W L

  // ---- one gradient (B1, B2): exact for every optimizer. Candidates are left uncapped and the
  // trivial N competes with them, so that a bound equal to N is credited to the trivial statement.
  const trivialN: Candidate = [N, 'trivial'];
  let g: Candidate = tightest([[outer, 'B1'], trivialN]);
  let colSpace = g[0];
  let rowSpace = g[0];
  if (linear) {
    const rows = ex * T + (T - 1) * (dIn + eb);
    const cols = tEff * dOut;
    g = tightest([[outer, 'B1'], [Math.min(outer, rows, cols), 'B2'], trivialN]);
    colSpace = Math.min(N, outer, cols);
    rowSpace = Math.min(N, outer, rows);
  }
  const d = linear ? Math.min(N, dIn + dOut + eb + ex + 2 * r0) : null;
  const b3 = linear; // B3's invariance, exact for SGD-type optimizers
  // Under B3 every gradient lies in S ⊗ S too (not under Adam, whose W leaves S ⊗ S).
  const gradient: RankBound = exact(!trainedW ? [0, 'untrained'] : linear && sgdLike && d !== null ? tightest([g, [d, 'B3']]) : g);

  // ---- per update k = 1 … K.
  const series = (f: (k: number) => Candidate, guaranteed: (k: number) => Candidate): RankBoundSeries => {
    const by = Array.from({ length: K }, (_, i) => f(i + 1));
    const gby = Array.from({ length: K }, (_, i) => guaranteed(i + 1));
    const last = by[K - 1];
    const glast = gby[K - 1];
    return {
      value: last[0],
      status: sgdLike || !trainedW ? 'exact' : 'approximate',
      guaranteed: sgdLike || !trainedW,
      statement: last[1],
      guaranteedValue: glast[0],
      guaranteedStatement: glast[1],
      caveat: sgdLike || !trainedW ? null : ADAM_CAVEAT,
      byUpdate: by.map((c) => c[0]),
      guaranteedByUpdate: gby.map((c) => c[0]),
      statementByUpdate: by.map((c) => c[1]),
    };
  };
  const withB3 = (c: Candidate[]): Candidate[] => (b3 && d !== null ? [...c, [d, 'B3']] : c);
  const gk = (k: number): number => k * g[0];
  const gradLabel = g[1] === 'trivial' ? 'B1' : g[1];

  let update: RankBoundSeries;
  let sumOfUpdates: RankBoundSeries;
  let weights: RankBoundSeries;
  if (!trainedW) {
    update = series(() => [0, 'untrained'], () => [0, 'untrained']);
    sumOfUpdates = series(() => [0, 'untrained'], () => [0, 'untrained']);
    weights = series(() => [r0, 'untrained'], () => [r0, 'untrained']);
  } else {
    // SGD / GD: ΔW_k = −η G_k. Momentum: ΔW_k = −η Σ_{j≤k} μ^{k−j} G_j. Adam: approximate, as SGD.
    const upd = (k: number): Candidate => tightest(withB3([[s.optimizer === 'momentum' ? gk(k) : g[0], gradLabel], trivialN]));
    const sum = (k: number): Candidate => tightest(withB3([[gk(k), gradLabel], trivialN]));
    const w = (k: number): Candidate => tightest(withB3([[r0 + k * g[0], gradLabel], trivialN]));
    const fallback = sgdLike ? null : (): Candidate => trivialN;
    update = series(upd, fallback ?? upd);
    sumOfUpdates = series(sum, fallback ?? sum);
    weights = series(w, fallback ?? w);
  }

  // ---- the K × N × N tensor of W_1 … W_K.
  const trivialML: [number, number, number] = [Math.min(K, N * N), N, N];
  const trivialCp = Math.min(K * N, N * N);
  let ml: [number, number, number];
  let mlStatement: BoundStatement;
  let cp: Candidate;
  if (!trainedW) {
    ml = r0 === 0 ? [0, 0, 0] : [1, r0, r0];
    mlStatement = 'untrained';
    cp = [r0, 'untrained'];
  } else {
    const m2c = tightest(withB3([[r0 + K * colSpace, gradLabel], trivialN]));
    const m3c = tightest(withB3([[r0 + K * rowSpace, gradLabel], trivialN]));
    const m1 = Math.min(K, m2c[0] * m3c[0]);
    ml = [m1, m2c[0], m3c[0]];
    mlStatement = m2c[1] === 'B3' || m3c[1] === 'B3' ? 'B3' : ml[1] === N && ml[2] === N ? 'trivial' : gradLabel;
    const fromMl = Math.min(ml[0] * ml[1], ml[0] * ml[2], ml[1] * ml[2]);
    cp = tightest([
      [fromMl, mlStatement],
      [r0 + K * g[0], 'B4'],
      [trivialCp, 'trivial'],
    ]);
  }
  const tensorExact = sgdLike || !trainedW;
  const multilinearRank: RankBound<[number, number, number]> = {
    value: ml,
    status: tensorExact ? 'exact' : 'approximate',
    guaranteed: tensorExact,
    statement: mlStatement,
    guaranteedValue: tensorExact ? ml : trivialML,
    guaranteedStatement: tensorExact ? mlStatement : 'trivial',
    caveat: tensorExact ? null : ADAM_CAVEAT,
  };
  const cpRank: RankBound = {
    value: cp[0],
    status: tensorExact ? 'exact' : 'approximate',
    guaranteed: tensorExact,
    statement: cp[1],
    guaranteedValue: tensorExact ? cp[0] : trivialCp,
    guaranteedStatement: tensorExact ? cp[1] : 'trivial',
    caveat: tensorExact ? null : ADAM_CAVEAT,
  };

  return {
    spec: s,
    subspaceDimension: d,
    effectiveSteps: tEff,
    outerProducts: outer,
    gradient,
    update,
    sumOfUpdates,
    weights,
    multilinearRank,
    cpRank,
    assumptions: assumptionsFor(s, d),
    statements: BOUND_STATEMENTS,
  };
}

function exact(c: Candidate): RankBound {
  return { value: c[0], status: 'exact', guaranteed: true, statement: c[1], guaranteedValue: c[0], guaranteedStatement: c[1], caveat: null };
}

/** @internal Parses a spec, filling in defaults (`trained` resolved against inputDim). */
export function resolveSpec(spec: RankBoundSpec): ResolvedRankBoundSpec {
  if (spec === undefined || spec === null || typeof spec !== 'object') {
    throw new LtrError('invalid-option', 'spec must be an object { neurons, inputDim, outputDim, timeSteps, trialsPerUpdate, updates, … }.', { path: 'spec' });
  }
  const s = parseOptions(rankBoundSpec, spec, 'spec');
  const trained = s.trained ?? (s.inputDim > 0 ? ['recurrent', 'input', 'output'] : ['recurrent', 'output']);
  return { ...s, trained: [...trained] };
}

function assumptionsFor(s: ResolvedRankBoundSpec, d: number | null): string[] {
  const out = [
    'Network x_{t+1} = W φ(x_t) + W_in u_t (+ b), y_t = W_out φ(x_t) (+ b_out), t = 0 … T−1, scored at t = 1 … T. A leaky (Euler) cell x_{t+1} = (1−h)x_t + h(W φ(x_t) + W_in u_t + b) obeys the same bounds (A = (1−h)I + hW has the Krylov spaces of W).',
    'The loss depends on the network only through the outputs y_t (e.g. MSE on y): no penalty on the rates, no weight decay, no noise added to the states.',
    'Each update uses the gradient of one batch of P trials (rescaling by a learning rate, a schedule or global-norm clipping changes no rank).',
    'Ranks are those of exact arithmetic: ranks measured on float32 training need a tolerance above round-off (verifyBounds explains its own).',
  ];
  if (s.activation === 'linear' && d !== null) {
    out.push(
      `B3: S = span(W_in) + span(W_outᵀ)${s.bias ? ' + span(b)' : ''}${s.initialState === 'learned' ? ' + span(x₀)' : ''}${s.init !== 'zero' ? ' + col(W₀) + row(W₀)' : ''} at the start of training, d = ${d}. ` +
        'b and a learned x₀ each add 1 to d only when they start non-zero (the library’s cells start them at 0, which adds nothing).',
    );
  } else {
    out.push('Nonlinear φ: only B1 (and B4 through it) hold exactly; the paper’s low-tensor-rank observation for nonlinear networks is empirical, not a bound.');
  }
  if (s.optimizer === 'momentum') out.push('Momentum (heavy ball or Nesterov): the k-th update is a combination of the first k gradients, so its rank bound grows with k (until B3 caps it).');
  if (s.optimizer === 'adam') out.push('Adam: per-coordinate scaling breaks B1 for updates and B3 entirely; only the gradient bound and the trivial bounds are guaranteed.');
  return out;
}
