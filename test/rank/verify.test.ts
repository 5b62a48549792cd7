// tfjs-core first: a test whose first library import is a layer index would load the bundled
// gradient registrations before tfjs-core's own entry (see the lead's note in the report).
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/use';
import { formatBoundsTable, gradientDescentRankBounds, verifyBounds, type RankBoundSpec, type VerifyBoundsResult } from '../../src/rank';
import { TEST_BACKENDS, expectNoLeak } from '../helpers/backends';

/**
 * Random specs for the property tests: mostly small networks (N ≤ 16), one in four up to N = 60;
 * tiny T, few trials and updates, so that 50 trainings take a few seconds.
 */
const neurons = fc.oneof({ arbitrary: fc.integer({ min: 2, max: 16 }), weight: 3 }, { arbitrary: fc.integer({ min: 17, max: 60 }), weight: 1 });
function specArb(opts: { activation: fc.Arbitrary<'linear' | 'nonlinear'>; optimizer: fc.Arbitrary<'sgd' | 'momentum' | 'gd'>; updates: fc.Arbitrary<number>; zeroInit?: boolean }) {
  return fc
    .record({
      neurons,
      inputDim: fc.integer({ min: 0, max: 3 }),
      outputDim: fc.integer({ min: 1, max: 3 }),
      timeSteps: fc.integer({ min: 1, max: 4 }),
      trialsPerUpdate: fc.integer({ min: 1, max: 3 }),
      updates: opts.updates,
      activation: opts.activation,
      initRank: opts.zeroInit ? fc.constant(0) : fc.integer({ min: 0, max: 3 }),
      trainInput: fc.boolean(),
      trainOutput: fc.boolean(),
      optimizer: opts.optimizer,
      initialState: fc.constantFrom('zero' as const, 'learned' as const),
      bias: fc.boolean(),
      seed: fc.integer({ min: 0, max: 1_000_000 }),
    })
    .map((r) => {
      const spec: RankBoundSpec = {
        neurons: r.neurons,
        inputDim: r.inputDim,
        outputDim: r.outputDim,
        timeSteps: r.timeSteps,
        trialsPerUpdate: r.trialsPerUpdate,
        updates: r.updates,
        activation: r.activation,
        init: r.initRank === 0 ? 'zero' : { rank: Math.min(r.initRank, r.neurons) },
        trained: ['recurrent', ...(r.trainInput && r.inputDim > 0 ? (['input'] as const) : []), ...(r.trainOutput ? (['output'] as const) : [])],
        optimizer: r.optimizer,
        initialState: r.initialState,
        bias: r.bias,
      };
      return { spec, seed: r.seed };
    });
}

/** The statements' formulas, written out again here (independently of src/rank/bounds.ts). */
function formulas(spec: RankBoundSpec) {
  const N = spec.neurons;
  const T = spec.timeSteps;
  const P = spec.trialsPerUpdate;
  const eb = spec.bias ? 1 : 0;
  const ex = spec.initialState === 'learned' ? 1 : 0;
  const r0 = spec.init === 'zero' || spec.init === undefined ? 0 : spec.init.rank;
  // The rates that multiply W: φ(x_0) … φ(x_{T−1}); φ(x_0) = 0 when x_0 = 0 and φ is linear.
  const tEff = spec.activation === 'linear' && ex === 0 ? T - 1 : T;
  const b1 = Math.min(N, P * T);
  // Sharper B1: the trials share φ(x_0) (one term for t = 0, none when it is 0); without input they coincide.
  const b1Sharp = Math.min(N, (spec.inputDim > 0 ? P : 1) * (T - 1) + (tEff - (T - 1)));
  const b2 = Math.min(N, b1Sharp, ex * T + (T - 1) * (spec.inputDim + eb), tEff * spec.outputDim);
  const d = Math.min(N, spec.inputDim + spec.outputDim + eb + ex + 2 * r0);
  return { b1, b1Sharp, b2, d };
}

const failureReport = (spec: RankBoundSpec, seed: number, r: VerifyBoundsResult) => `${JSON.stringify(spec)} seed ${seed}\n${formatBoundsTable(r)}`;

describe.each(TEST_BACKENDS)('verifyBounds on %s: property tests (fast-check, 50 random specs each)', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('B1: the rank of every SGD gradient is ≤ min(N, P·T) — and ≤ the sharper min(N, P·(T−1) + 1) — any activation, any W₀', async () => {
    await fc.assert(
      fc.asyncProperty(specArb({ activation: fc.constantFrom('linear' as const, 'nonlinear' as const), optimizer: fc.constantFrom('sgd' as const, 'gd' as const), updates: fc.integer({ min: 1, max: 2 }) }), async ({ spec, seed }) => {
        const r = await verifyBounds(spec, { seed });
        const { b1, b1Sharp } = formulas(spec);
        const grads = r.measured.gradient as number[];
        expect(grads, failureReport(spec, seed, r)).toHaveLength(spec.updates);
        for (const g of grads) {
          expect(g, failureReport(spec, seed, r)).toBeLessThanOrEqual(b1);
          expect(g, failureReport(spec, seed, r)).toBeLessThanOrEqual(b1Sharp);
          expect(g, failureReport(spec, seed, r)).toBeLessThanOrEqual(r.bounds.gradient.value);
        }
        expect(r.bounds.gradient.value).toBeLessThanOrEqual(b1Sharp);
        expect(r.allExactHold, failureReport(spec, seed, r)).toBe(true);
      }),
      { numRuns: 50, seed: 20231, endOnFailure: true },
    );
  });

  it('B2: linear, any W₀ — the rank of every gradient is ≤ min(N, P·T, Krylov row bound, Krylov column bound)', async () => {
    await fc.assert(
      fc.asyncProperty(specArb({ activation: fc.constant('linear' as const), optimizer: fc.constantFrom('sgd' as const, 'gd' as const), updates: fc.integer({ min: 1, max: 2 }) }), async ({ spec, seed }) => {
        const r = await verifyBounds(spec, { seed });
        const { b2 } = formulas(spec);
        for (const g of r.measured.gradient as number[]) {
          expect(g, failureReport(spec, seed, r)).toBeLessThanOrEqual(b2);
          expect(g, failureReport(spec, seed, r)).toBeLessThanOrEqual(r.bounds.gradient.value);
        }
        expect(r.bounds.gradient.value).toBeLessThanOrEqual(b2);
        expect(r.allExactHold, failureReport(spec, seed, r)).toBe(true);
      }),
      { numRuns: 50, seed: 20232, endOnFailure: true },
    );
  });

  it('B3: linear, SGD / momentum / GD, any number of updates — rank W_k ≤ d, multilinear rank ≤ (min(K, d²), d, d)', async () => {
    await fc.assert(
      fc.asyncProperty(specArb({ activation: fc.constant('linear' as const), optimizer: fc.constantFrom('sgd' as const, 'momentum' as const, 'gd' as const), updates: fc.integer({ min: 1, max: 6 }) }), async ({ spec, seed }) => {
        const r = await verifyBounds(spec, { seed });
        const { d } = formulas(spec);
        const msg = failureReport(spec, seed, r);
        expect(r.bounds.subspaceDimension).toBe(d);
        for (const k of r.measured.weights.keys()) {
          expect(r.measured.weights[k], msg).toBeLessThanOrEqual(d);
          expect(r.measured.sumOfUpdates[k], msg).toBeLessThanOrEqual(d);
          expect(r.measured.update[k], msg).toBeLessThanOrEqual(d);
        }
        const [m1, m2, m3] = r.measured.multilinearRank;
        expect(m1, msg).toBeLessThanOrEqual(Math.min(spec.updates, d * d));
        expect(m2, msg).toBeLessThanOrEqual(d);
        expect(m3, msg).toBeLessThanOrEqual(d);
        expect(r.bounds.weights.value).toBeLessThanOrEqual(d);
        expect(r.allExactHold, msg).toBe(true);
      }),
      { numRuns: 50, seed: 20233, endOnFailure: true },
    );
  });
});

describe('verifyBounds: documented runs', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('B3 is attained: linear, W₀ = 0, SGD — rank W_k = d = d_in + d_out and the tensor has multilinear rank (K, d, d)', async () => {
    const spec: RankBoundSpec = { neurons: 40, inputDim: 2, outputDim: 2, timeSteps: 5, trialsPerUpdate: 3, updates: 10, activation: 'linear', optimizer: 'sgd' };
    const r = await expectNoLeak(() => verifyBounds(spec, { seed: 1 }));
    expect(r.bounds.subspaceDimension).toBe(4);
    expect(r.bounds.weights.value).toBe(4);
    expect(r.bounds.weights.statement).toBe('B3');
    // W_1 = −η G_1 has rank min(d_in, d_out) = 2 (errors in span W_outᵀ, rates in span W_in); then W fills
    // S ⊗ S: rank d = 4 (a direction can pass near zero on the way, as at k = 3 with this seed).
    expect(r.measured.weights[0]).toBe(2);
    expect(r.measured.weights[spec.updates - 1]).toBe(4);
    expect(r.measured.weights.filter((v) => v === 4).length).toBeGreaterThanOrEqual(8);
    expect(r.measured.multilinearRank).toEqual([10, 4, 4]);
    expect(r.bounds.multilinearRank.value).toEqual([10, 4, 4]);
    expect(r.table.find((row) => row.quantity === 'weights')).toMatchObject({ measured: 4, bound: 4, holds: true, tight: true });
    expect(r.allExactHold).toBe(true);
    expect(r.loss.last).toBeLessThan(r.loss.first);
  });

  it('B3 with the +1s: a bias and a learned x₀ that start non-zero each add a dimension, and it is attained (d = 1 + 1 + 1 + 1)', async () => {
    const spec: RankBoundSpec = { neurons: 60, inputDim: 1, outputDim: 1, timeSteps: 4, trialsPerUpdate: 2, updates: 12, activation: 'linear', bias: true, initialState: 'learned' };
    const r = await verifyBounds(spec, { seed: 1 });
    expect(r.bounds.subspaceDimension).toBe(4);
    expect(Math.max(...r.measured.weights)).toBe(4);
    expect(r.measured.multilinearRank.slice(1)).toEqual([4, 4]);
    expect(r.allExactHold).toBe(true);
  });

  it('Adam breaks B3: linear, W₀ = 0, and yet rank W_k ≫ d — the bound object says approximate / not guaranteed', async () => {
    const spec: RankBoundSpec = { neurons: 30, inputDim: 2, outputDim: 2, timeSteps: 5, trialsPerUpdate: 3, updates: 10, activation: 'linear', optimizer: 'adam' };
    const r = await verifyBounds(spec, { seed: 1 });
    const b = r.bounds;
    expect(b.weights.value).toBe(4);
    expect(b.weights.status).toBe('approximate');
    expect(b.weights.guaranteed).toBe(false);
    expect(b.weights.caveat).toMatch(/rotation-equivariant/);
    expect(b.weights.guaranteedValue).toBe(30);
    expect(b.multilinearRank.status).toBe('approximate');
    expect(b.gradient.status).toBe('exact'); // B1/B2 bound the gradient itself under any optimizer
    // Adam's first step is already far from rank d: m̂/√v̂ ≈ sign(G) entrywise.
    expect(r.measured.weights[0]).toBeGreaterThan(4);
    expect(Math.max(...r.measured.weights)).toBeGreaterThanOrEqual(20);
    const row = r.table.find((x) => x.quantity === 'weights');
    expect(row).toMatchObject({ status: 'approximate', holds: false, holdsGuaranteed: true });
    expect(r.allExactHold).toBe(true); // the violated bounds are not exact ones
    expect(r.allGuaranteedHold).toBe(true);
    expect(r.measured.gradient).toBeNull();
  });

  it('nonlinear (tanh): B1 holds per gradient and B4 bounds the tensor; the CP estimate is within the bound', async () => {
    const spec: RankBoundSpec = { neurons: 12, inputDim: 1, outputDim: 1, timeSteps: 2, trialsPerUpdate: 1, updates: 4, activation: 'nonlinear' };
    const r = await expectNoLeak(() => verifyBounds(spec, { seed: 2, cp: { maxRank: 6, restarts: 2, maxIter: 300 } }));
    // B1 with T = 2, P = 1: rank ≤ 2; tanh(0) = 0 makes the first rate vanish, so each gradient has rank 1.
    expect(r.bounds.gradient.value).toBe(2);
    expect(r.measured.gradient).toEqual([1, 1, 1, 1]);
    expect(r.bounds.cpRank).toMatchObject({ value: 8, statement: 'B4', status: 'exact' });
    expect(r.measured.cpRank).not.toBeNull();
    expect(r.measured.cpRank as number).toBeLessThanOrEqual(4);
    expect(r.measured.cpProfile?.ranks).toHaveLength(6);
    expect(r.allExactHold).toBe(true);
  });

  it('momentum: the k-th update combines k gradients, so its bound grows with k until B3 caps it', async () => {
    const spec: RankBoundSpec = { neurons: 24, inputDim: 1, outputDim: 1, timeSteps: 3, trialsPerUpdate: 1, updates: 5, activation: 'linear', optimizer: 'momentum', init: { rank: 2 } };
    const r = await verifyBounds(spec, { seed: 3 });
    const b = gradientDescentRankBounds(spec);
    expect(b.update.byUpdate).toEqual([2, 4, 6, 6, 6]);
    expect(r.measured.initialWeights).toBe(2);
    expect(r.measured.update.every((v, i) => v <= b.update.byUpdate[i])).toBe(true);
    expect(r.allExactHold).toBe(true);
  });

  it('refuses bad specs and options with LtrError naming the field', async () => {
    const ok: RankBoundSpec = { neurons: 5, inputDim: 1, outputDim: 1, timeSteps: 2, trialsPerUpdate: 1, updates: 1 };
    await expect(verifyBounds({ ...ok, outputDim: 0 })).rejects.toMatchObject({ name: 'LtrError', path: 'spec.outputDim' });
    await expect(verifyBounds(ok, { seed: 1.5 })).rejects.toMatchObject({ name: 'LtrError', path: 'options.seed' });
    await expect(verifyBounds(ok, { cp: { restarts: 0 } })).rejects.toMatchObject({ name: 'LtrError', path: 'options.cp.restarts' });
  });
});

describe.each(TEST_BACKENDS)('verifyBounds on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('measures the same ranks on every backend and leaks nothing', async () => {
    const spec: RankBoundSpec = { neurons: 20, inputDim: 2, outputDim: 1, timeSteps: 4, trialsPerUpdate: 2, updates: 6, activation: 'linear', bias: true };
    const before = tf.memory().numTensors;
    const r = await verifyBounds(spec, { seed: 5 });
    expect(tf.memory().numTensors).toBe(before);
    // d = d_in + d_out + 1 (b starts non-zero) = 4; W_1's columns lie in span(W_outᵀ): rank 1.
    expect(r.measured.weights).toEqual([1, 3, 4, 4, 4, 4]);
    expect(r.measured.multilinearRank).toEqual([6, 4, 4]);
    expect(r.allExactHold).toBe(true);
    expect(r.provenance.backend).toBe(backend);
  });
});
