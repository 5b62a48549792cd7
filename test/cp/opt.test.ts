import { beforeAll, describe, expect, it } from 'vitest';
import { rng, type Rng } from '../../src/backend/random';
import { useBackend } from '../../src/backend/use';
import type { Matrix } from '../../src/linalg';
import { CPTensor, cpAls, cpOpt, factorMatchScore } from '../../src/cp';
import { TEST_BACKENDS, expectNoLeak } from '../helpers/backends';

function randFactors(g: Rng, shape: number[], r: number): Matrix[] {
  return shape.map((d) => ({ rows: d, cols: r, data: g.normalArray(d * r) }));
}

async function denseOf(cp: CPTensor): Promise<Float32Array> {
  const t = cp.full();
  const d = (await t.data()) as Float32Array;
  t.dispose();
  return d;
}

/** A planted rank-3 problem with noise and 30 % of entries held out. */
function missingProblem(seed: number) {
  const g = rng(seed);
  const shape = [20, 16, 12];
  const truth = CPTensor.fromArrays([3, 2, 1], randFactors(g, shape, 3));
  return { g, shape, truth };
}

const byBackend: Record<string, CPTensor> = {};

describe.each(TEST_BACKENDS)('cpOpt (CP-WOPT) on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('noise 0, no mask: relError < 1e-4 and FMS > 0.999', async () => {
    const g = rng(7);
    const shape = [15, 12, 10];
    const truth = CPTensor.fromArrays([2, 1, 1], randFactors(g, shape, 3));
    const x = { data: await denseOf(truth), shape };
    const res = await expectNoLeak(() => cpOpt(x, { rank: 3, seed: 0, restarts: 2, maxIter: 500 }), 4);
    expect(res.relError).toBeLessThan(1e-4);
    expect((await factorMatchScore(res.cp, truth)).score).toBeGreaterThan(0.999);
    expect(res.provenance.options.method).toBe('cpOpt');
    expect(res.history.length).toBe(res.iterations);
    byBackend[backend] = res.cp;
    truth.dispose();
  });

  it('30 % missing with noise: held-out entries predicted to within the noise level (and masked cpAls agrees)', async () => {
    const { g, shape, truth } = missingProblem(17);
    const clean = await denseOf(truth);
    let ss = 0;
    for (const v of clean) ss += v * v;
    const sigma = 0.1 * Math.sqrt(ss / clean.length);
    const noise = g.normalArray(clean.length, 0, sigma);
    const noisy = clean.map((v, i) => v + noise[i]);
    const mask = new Float32Array(clean.length);
    for (let i = 0; i < mask.length; i++) mask[i] = g.uniform() < 0.7 ? 1 : 0;
    const observed = noisy.map((v, i) => (mask[i] ? v : NaN));
    const opts = { rank: 3, seed: 0, mask: { data: mask, shape } };
    const res = await expectNoLeak(() => cpOpt({ data: observed, shape }, { ...opts, maxIter: 400 }), 4);
    const als = await cpAls({ data: observed, shape }, { ...opts, maxIter: 400 });
    for (const [name, cp] of [['cpOpt', res.cp], ['cpAls', als.cp]] as const) {
      const pred = await denseOf(cp);
      let seNoisy = 0;
      let seClean = 0;
      let n = 0;
      for (let i = 0; i < pred.length; i++) {
        if (mask[i]) continue;
        seNoisy += (pred[i] - noisy[i]) ** 2;
        seClean += (pred[i] - clean[i]) ** 2;
        n++;
      }
      const rmseNoisy = Math.sqrt(seNoisy / n);
      const rmseClean = Math.sqrt(seClean / n);
      // Best possible against the noisy values is σ; against the truth, well below σ.
      expect(rmseNoisy, name).toBeLessThan(1.1 * sigma);
      expect(rmseClean, name).toBeLessThan(0.5 * sigma);
      expect((await factorMatchScore(cp, truth)).score, name).toBeGreaterThan(0.95);
    }
    // The observed-entry error is at the noise level (≈ 0.1, minus what the model absorbs).
    expect(res.relError).toBeGreaterThan(0.08);
    expect(res.relError).toBeLessThan(0.105);
    for (const t of [res.cp, als.cp, truth]) t.dispose();
  });

  it("optimizer 'adam' fits too; init 'svd' and a CPTensor; onProgress; abort", async () => {
    const g = rng(9);
    const shape = [10, 9, 8];
    const truth = CPTensor.fromArrays([2, 1], randFactors(g, shape, 2));
    const x = { data: await denseOf(truth), shape };
    const adam = await expectNoLeak(() => cpOpt(x, { rank: 2, optimizer: 'adam', learningRate: 0.05, maxIter: 600, seed: 1 }), 4);
    expect(adam.relError).toBeLessThan(2e-2);
    expect((await factorMatchScore(adam.cp, truth)).score).toBeGreaterThan(0.99);
    const svd = await cpOpt(x, { rank: 2, init: 'svd', maxIter: 300 });
    expect(svd.relError).toBeLessThan(1e-4);
    const seen: number[] = [];
    const warm = await cpOpt(x, { rank: 2, init: adam.cp, maxIter: 50, onProgress: (p) => seen.push(p.iteration) });
    expect(seen).toEqual(Array.from({ length: warm.iterations }, (_, i) => i + 1));
    expect(warm.relError).toBeLessThan(adam.relError);
    const ac = new AbortController();
    ac.abort();
    await expectNoLeak(() => expect(cpOpt(x, { rank: 2, signal: ac.signal })).rejects.toMatchObject({ code: 'aborted' }));
    for (const t of [adam.cp, svd.cp, warm.cp, truth]) t.dispose();
  });

  it('refuses bad input with LtrError naming the field', async () => {
    const x = [[[1, 2], [3, 4]], [[5, 6], [7, 8]]];
    await expectNoLeak(async () => {
      await expect(cpOpt(x, { rank: 0 })).rejects.toMatchObject({ code: 'invalid-option', path: 'options.rank' });
      await expect(cpOpt(x, { rank: 2.5 })).rejects.toMatchObject({ path: 'options.rank' });
      await expect(cpOpt(x, { rank: 1, learningRate: 0 })).rejects.toMatchObject({ path: 'options.learningRate' });
      await expect(cpOpt(x, { rank: 1, optimizer: 'sgd' } as never)).rejects.toMatchObject({ path: 'options.optimizer' });
      await expect(cpOpt(x, { rank: 1, memory: 0 })).rejects.toMatchObject({ path: 'options.memory' });
      await expect(cpOpt(x, { rank: 1, mask: [[[0, 0], [0, 0]], [[0, 0], [0, 0]]] })).rejects.toMatchObject({ code: 'invalid-data', path: 'options.mask' });
      await expect(cpOpt(x, { rank: 1, mask: [1, 0] })).rejects.toMatchObject({ path: 'options.mask' });
      await expect(cpOpt([[[1, NaN], [3, 4]], [[5, 6], [7, 8]]], { rank: 1 })).rejects.toMatchObject({ code: 'invalid-data' });
      // NaN at an observed entry is refused even with a mask.
      await expect(cpOpt([[[1, NaN], [3, 4]], [[5, 6], [7, 8]]], { rank: 1, mask: [[[1, 1], [1, 1]], [[1, 1], [1, 1]]] })).rejects.toMatchObject({ code: 'invalid-data', path: 'x' });
      const wrong = CPTensor.fromArrays([1], [[[1], [1], [1]], [[1], [1]], [[1], [1]]]);
      await expect(cpOpt(x, { rank: 1, init: wrong })).rejects.toMatchObject({ code: 'shape-mismatch', path: 'options.init' });
      wrong.dispose();
    });
  });
});

describe('cpOpt: cpu and wasm agree', () => {
  it('FMS > 0.999 between the backends from the same seed', async () => {
    const [a, b] = TEST_BACKENDS.map((n) => byBackend[n]);
    expect((await factorMatchScore(a, b)).score).toBeGreaterThan(0.999);
    a.dispose();
    b.dispose();
  });
});
