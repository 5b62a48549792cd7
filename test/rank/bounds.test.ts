import '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BOUND_STATEMENTS, gradientDescentRankBounds, type RankBoundSpec } from '../../src/rank';

const base: RankBoundSpec = { neurons: 100, inputDim: 2, outputDim: 1, timeSteps: 10, trialsPerUpdate: 4, updates: 20 };

describe('gradientDescentRankBounds: values worked out by hand', () => {
  it('B1, nonlinear, SGD: one gradient ≤ min(N, P·(T−1) + 1) = 37 (≤ P·T = 40); W_k ≤ min(N, k·37); tensor via B4', () => {
    const b = gradientDescentRankBounds({ ...base, activation: 'nonlinear' });
    expect(b.spec.trained).toEqual(['recurrent', 'input', 'output']);
    expect(b.effectiveSteps).toBe(10);
    // The P trials share φ(x₀): 4·9 outer products for t ≥ 1, one for t = 0.
    expect(b.outerProducts).toBe(37);
    expect(b.gradient).toMatchObject({ value: 37, statement: 'B1', status: 'exact', guaranteed: true, caveat: null });
    expect(b.update.byUpdate).toEqual(Array(20).fill(37));
    expect(b.sumOfUpdates.byUpdate.slice(0, 4)).toEqual([37, 74, 100, 100]);
    expect(b.sumOfUpdates.statementByUpdate.slice(0, 3)).toEqual(['B1', 'B1', 'trivial']);
    expect(b.weights.value).toBe(100);
    expect(b.subspaceDimension).toBeNull();
    expect(b.multilinearRank.value).toEqual([20, 100, 100]);
    // min(K·N, N²) = 2000 trivially; B4: 0 + 20·37 = 740.
    expect(b.cpRank).toMatchObject({ value: 740, statement: 'B4', status: 'exact' });
    // No input: every trial follows the same trajectory, P → 1: 9 + 1 = 10.
    expect(gradientDescentRankBounds({ ...base, inputDim: 0 }).gradient.value).toBe(10);
  });

  it('B2, linear, W₀ of rank 3, x₀ = 0: T−1 rates, row space ≤ (T−1)·d_in, column space ≤ (T−1)·d_out', () => {
    const b = gradientDescentRankBounds({ ...base, activation: 'linear', init: { rank: 3 } });
    expect(b.effectiveSteps).toBe(9);
    // min(N, P·(T−1) = 36, rows (T−1)·2 = 18, cols (T−1)·1 = 9) = 9 — but B3 with W₀: d = 2 + 1 + 2·3 = 9 too.
    expect(b.gradient.value).toBe(9);
    expect(b.subspaceDimension).toBe(9);
    expect(b.weights).toMatchObject({ value: 9, statement: 'B3' });
    expect(b.multilinearRank.value).toEqual([20, 9, 9]);
  });

  it('B2 binds before B3 with a learned x₀ and a bias on a short trial (T = 2)', () => {
    const b = gradientDescentRankBounds({ ...base, timeSteps: 2, inputDim: 5, outputDim: 4, activation: 'linear', bias: true, initialState: 'learned' });
    // outer products P·(T−1) + 1 = 5; rows: T·1 + (T−1)(d_in + 1) = 8; cols: T·d_out = 8; d = 11.
    expect(b.gradient).toMatchObject({ value: 5, statement: 'B1' });
    const b2 = gradientDescentRankBounds({ ...base, timeSteps: 2, inputDim: 5, outputDim: 2, trialsPerUpdate: 8, activation: 'linear', bias: true, initialState: 'learned' });
    // cols = 2·2 = 4 < P·(T−1) + 1 = 9, rows = 8, d = 9.
    expect(b2.gradient).toMatchObject({ value: 4, statement: 'B2' });
    expect(b2.weights).toMatchObject({ value: 9, statement: 'B3' });
    expect(b2.sumOfUpdates.byUpdate.slice(0, 3)).toEqual([4, 8, 9]);
  });

  it('B3: independent of N and T — the same d, multilinear rank and CP bound for N = 50 and N = 5000, T = 5 and T = 500', () => {
    const spec: RankBoundSpec = { ...base, activation: 'linear', inputDim: 3, outputDim: 2, updates: 40 };
    const ref = gradientDescentRankBounds(spec);
    expect(ref.subspaceDimension).toBe(5);
    expect(ref.multilinearRank.value).toEqual([25, 5, 5]);
    expect(ref.cpRank).toMatchObject({ value: 25, statement: 'B3' }); // min(d², K·d) = min(25, 200)
    for (const neurons of [50, 5000]) {
      for (const timeSteps of [5, 500]) {
        const b = gradientDescentRankBounds({ ...spec, neurons, timeSteps });
        expect(b.weights.value).toBe(5);
        expect(b.multilinearRank.value).toEqual([25, 5, 5]);
        expect(b.cpRank.value).toBe(25);
      }
    }
    // Few updates: CP ≤ K·d.
    expect(gradientDescentRankBounds({ ...spec, updates: 3 }).cpRank.value).toBe(15);
  });

  it('momentum: update k combines k gradients (rank ≤ k·g) until B3 caps it; sgd and gd: one gradient', () => {
    const spec: RankBoundSpec = { ...base, neurons: 30, activation: 'linear', timeSteps: 3, trialsPerUpdate: 1, inputDim: 1, outputDim: 1, init: { rank: 2 }, updates: 5 };
    expect(gradientDescentRankBounds({ ...spec, optimizer: 'momentum' }).update.byUpdate).toEqual([2, 4, 6, 6, 6]);
    expect(gradientDescentRankBounds({ ...spec, optimizer: 'sgd' }).update.byUpdate).toEqual([2, 2, 2, 2, 2]);
    expect(gradientDescentRankBounds({ ...spec, optimizer: 'gd' }).update.byUpdate).toEqual([2, 2, 2, 2, 2]);
    expect(gradientDescentRankBounds({ ...spec, optimizer: 'momentum', activation: 'nonlinear' }).update.byUpdate).toEqual([3, 6, 9, 12, 15]);
  });

  it('Adam: the SGD values, marked approximate, with the trivial bounds as the guaranteed ones', () => {
    const b = gradientDescentRankBounds({ ...base, activation: 'linear', optimizer: 'adam' });
    expect(b.gradient.status).toBe('exact');
    for (const q of [b.update, b.sumOfUpdates, b.weights]) {
      expect(q.status).toBe('approximate');
      expect(q.guaranteed).toBe(false);
      expect(q.guaranteedValue).toBe(100);
      expect(q.guaranteedStatement).toBe('trivial');
      expect(q.caveat).toMatch(/Adam/);
    }
    expect(b.weights.value).toBe(3);
    expect(b.multilinearRank).toMatchObject({ value: [9, 3, 3], status: 'approximate', guaranteedValue: [20, 100, 100] });
    expect(b.cpRank).toMatchObject({ value: 9, status: 'approximate', guaranteedValue: 2000 });
    expect(b.assumptions.some((a) => a.startsWith('Adam'))).toBe(true);
  });

  it('B4 with W₀ ≠ 0 and a nonlinear network: CP ≤ rank(W₀) + K·(B1)', () => {
    const b = gradientDescentRankBounds({ ...base, neurons: 1000, timeSteps: 3, trialsPerUpdate: 2, updates: 10, init: { rank: 5 } });
    expect(b.gradient.value).toBe(5); // 2·2 + 1
    expect(b.weights.byUpdate.slice(0, 2)).toEqual([10, 15]);
    expect(b.multilinearRank.value).toEqual([10, 55, 55]);
    expect(b.cpRank).toMatchObject({ value: 55, statement: 'B4' });
  });

  it('edge cases: T = 1 with x₀ = 0 (linear) never uses W; d_in = 0 without bias or x₀ leaves the network silent; W untrained', () => {
    const t1 = gradientDescentRankBounds({ ...base, timeSteps: 1, activation: 'linear' });
    expect(t1.gradient.value).toBe(0);
    expect(t1.weights.value).toBe(0);
    expect(t1.multilinearRank.value).toEqual([0, 0, 0]);
    expect(t1.cpRank.value).toBe(0);
    expect(gradientDescentRankBounds({ ...base, inputDim: 0, activation: 'linear' }).weights.value).toBe(0);
    const frozen = gradientDescentRankBounds({ ...base, trained: ['input', 'output'], init: { rank: 4 } });
    expect(frozen.update.value).toBe(0);
    expect(frozen.weights).toMatchObject({ value: 4, statement: 'untrained' });
    expect(frozen.multilinearRank.value).toEqual([1, 4, 4]);
    expect(frozen.cpRank.value).toBe(4);
    expect(gradientDescentRankBounds({ ...base, trained: ['output'], optimizer: 'adam' }).weights.status).toBe('exact');
  });

  it('cites its statements and assumptions', () => {
    const b = gradientDescentRankBounds({ ...base, activation: 'linear', bias: true });
    expect(b.statements).toBe(BOUND_STATEMENTS);
    expect(Object.keys(b.statements)).toEqual(['B1', 'B2', 'B3', 'B4', 'trivial', 'untrained']);
    expect(b.assumptions.join(' ')).toMatch(/only through the outputs/);
    expect(b.assumptions.join(' ')).toMatch(/span\(b\)/);
  });
});

describe('gradientDescentRankBounds: bad specs', () => {
  const cases: [string, unknown, string][] = [
    ['negative neurons', { ...base, neurons: -3 }, 'spec.neurons'],
    ['negative inputDim', { ...base, inputDim: -1 }, 'spec.inputDim'],
    ['outputDim 0', { ...base, outputDim: 0 }, 'spec.outputDim'],
    ['fractional timeSteps', { ...base, timeSteps: 2.5 }, 'spec.timeSteps'],
    ['unknown optimizer', { ...base, optimizer: 'rmsprop' }, 'spec.optimizer'],
    ['unknown activation', { ...base, activation: 'relu' }, 'spec.activation'],
    ['init rank above N', { ...base, init: { rank: 101 } }, 'spec.init.rank'],
    ['bad init', { ...base, init: 'random' }, 'spec.init'],
    ["'input' trained without inputs", { ...base, inputDim: 0, trained: ['recurrent', 'input'] }, 'spec.trained'],
    ['repeated trained', { ...base, trained: ['recurrent', 'recurrent'] }, 'spec.trained'],
    ['empty trained', { ...base, trained: [] }, 'spec.trained'],
    ['missing updates', { ...base, updates: undefined }, 'spec.updates'],
    ['unknown field', { ...base, lr: 0.1 }, 'spec'],
    ['not an object', 42, 'spec'],
  ];
  it.each(cases)('%s → LtrError naming %s', (_name, spec, path) => {
    let err: unknown;
    try {
      gradientDescentRankBounds(spec as RankBoundSpec);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ name: 'LtrError', code: 'invalid-option', path });
    expect((err as Error).message).toContain(path);
  });
});
