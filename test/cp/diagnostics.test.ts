import { beforeAll, describe, expect, it } from 'vitest';
import { rng, type Rng } from '../../src/backend/random';
import { useBackend } from '../../src/backend/use';
import { solveSpd } from '../../src/linalg';
import type { Matrix } from '../../src/linalg';
import {
  CPTensor,
  congruence,
  coreConsistency,
  cpAls,
  explainedVariance,
  factorMatchScore,
  linearSumAssignment,
  relativeError,
} from '../../src/cp';
import { LtrError } from '../../src/validate/errors';
import { TEST_BACKENDS, expectNoLeak } from '../helpers/backends';

// ---------------------------------------------------------------------------------------------
// Host (float64) references, written independently of the library code.

function randMatrix(g: Rng, rows: number, cols: number): Matrix {
  return { rows, cols, data: g.normalArray(rows * cols) };
}

/** Dense C-order tensor Σ_r λ_r a_r ∘ b_r ∘ … in float64. */
function denseHost(weights: ArrayLike<number>, factors: Matrix[]): Float64Array {
  const shape = factors.map((f) => f.rows);
  const size = shape.reduce((a, b) => a * b, 1);
  const r = weights.length;
  const out = new Float64Array(size);
  const idx = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < size; flat++) {
    let rest = flat;
    for (let m = shape.length - 1; m >= 0; m--) {
      idx[m] = rest % shape[m];
      rest = Math.floor(rest / shape[m]);
    }
    let s = 0;
    for (let k = 0; k < r; k++) {
      let p = weights[k];
      for (let m = 0; m < shape.length; m++) p *= factors[m].data[idx[m] * r + k];
      s += p;
    }
    out[flat] = s;
  }
  return out;
}

/** Brute-force assignment: best sum over all injective maps from the smaller side. */
function bruteForce(cost: number[][], maximize: boolean): number {
  const n = cost.length;
  const m = cost[0].length;
  const small = Math.min(n, m);
  const big = Math.max(n, m);
  const at = (i: number, j: number) => (n <= m ? cost[i][j] : cost[j][i]);
  let best = maximize ? -Infinity : Infinity;
  const used = new Array<boolean>(big).fill(false);
  const rec = (i: number, acc: number) => {
    if (i === small) {
      best = maximize ? Math.max(best, acc) : Math.min(best, acc);
      return;
    }
    for (let j = 0; j < big; j++) {
      if (used[j]) continue;
      used[j] = true;
      rec(i + 1, acc + at(i, j));
      used[j] = false;
    }
  };
  rec(0, 0);
  return best;
}

// ---------------------------------------------------------------------------------------------

describe('linearSumAssignment (Hungarian)', () => {
  it('matches brute force on random square and rectangular matrices', () => {
    const g = rng(11);
    let cases = 0;
    for (let n = 1; n <= 6; n++) {
      for (let m = 1; m <= 6; m++) {
        for (let rep = 0; rep < 4; rep++) {
          // Mix continuous costs and small integers (many ties).
          const cost = Array.from({ length: n }, () => Array.from({ length: m }, () => (rep % 2 === 0 ? g.normal() * 10 : g.int(4))));
          for (const maximize of [false, true]) {
            const res = linearSumAssignment(cost, { maximize });
            // A valid matching of min(n, m) pairs, consistent both ways.
            const pairs = res.rowToCol.map((j, i) => [i, j]).filter(([, j]) => j >= 0);
            expect(pairs.length).toBe(Math.min(n, m));
            expect(new Set(pairs.map(([, j]) => j)).size).toBe(pairs.length);
            for (const [i, j] of pairs) expect(res.colToRow[j]).toBe(i);
            const total = pairs.reduce((s, [i, j]) => s + cost[i][j], 0);
            expect(res.total).toBeCloseTo(total, 10);
            expect(res.total).toBeCloseTo(bruteForce(cost, maximize), 9);
            cases++;
          }
        }
      }
    }
    expect(cases).toBe(288);
  });

  it('accepts a linalg Matrix, and an empty matrix', () => {
    const res = linearSumAssignment({ rows: 2, cols: 3, data: Float64Array.from([4, 1, 3, 2, 0, 5]) });
    expect(res.rowToCol).toEqual([1, 0]);
    expect(res.total).toBe(3);
    expect(linearSumAssignment([]).total).toBe(0);
  });

  it('refuses ragged rows, non-finite entries and bad options', () => {
    expect(() => linearSumAssignment([[1, 2], [3]])).toThrow(expect.objectContaining({ code: 'invalid-data', path: 'cost[1]' }));
    expect(() => linearSumAssignment([[1, NaN]])).toThrow(expect.objectContaining({ path: 'cost[0][1]' }));
    expect(() => linearSumAssignment([[1, Infinity]])).toThrow(LtrError);
    expect(() => linearSumAssignment([[1]], { maximize: 'yes' } as never)).toThrow(expect.objectContaining({ code: 'invalid-option', path: 'options.maximize' }));
    expect(() => linearSumAssignment('x' as never)).toThrow(expect.objectContaining({ path: 'cost' }));
  });
});

describe.each(TEST_BACKENDS)('CP diagnostics on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('relativeError and explainedVariance agree with a float64 host computation', async () => {
    const g = rng(3);
    const shape = [6, 5, 4];
    const fa = shape.map((d) => randMatrix(g, d, 2));
    const fb = shape.map((d) => randMatrix(g, d, 2));
    const dense = denseHost([1, 1], fa);
    const noise = g.normalArray(dense.length, 0, 0.3);
    const xData = dense.map((v, i) => v + noise[i]);
    const x = { data: Float32Array.from(xData), shape };
    const xr = Float64Array.from(Float32Array.from(xData)); // what the library sees
    const cp = CPTensor.fromArrays([1.5, -0.5], fb);
    const h = await cp.toHost();
    const model = denseHost(h.weights, h.factors);
    let sse = 0;
    let ss = 0;
    let sum = 0;
    for (let i = 0; i < xr.length; i++) {
      sse += (xr[i] - model[i]) ** 2;
      ss += xr[i] ** 2;
      sum += xr[i];
    }
    const centeredSS = ss - (sum * sum) / xr.length;
    await expectNoLeak(async () => {
      expect(await relativeError(x, cp)).toBeCloseTo(Math.sqrt(sse / ss), 5);
      expect(await explainedVariance(x, cp)).toBeCloseTo(1 - sse / ss, 5);
      expect(await explainedVariance(x, cp, { centered: true })).toBeCloseTo(1 - sse / centeredSS, 5);
    });

    // Masked: only observed entries count; NaN allowed where the mask is 0.
    const maskData = new Float32Array(xr.length);
    const xNaN = Float32Array.from(xr);
    let msse = 0;
    let mss = 0;
    for (let i = 0; i < xr.length; i++) {
      maskData[i] = g.uniform() < 0.6 ? 1 : 0;
      if (maskData[i]) {
        msse += (xr[i] - model[i]) ** 2;
        mss += xr[i] ** 2;
      } else xNaN[i] = NaN;
    }
    await expectNoLeak(async () => {
      const e = await relativeError({ data: xNaN, shape }, cp, { mask: { data: maskData, shape } });
      expect(e).toBeCloseTo(Math.sqrt(msse / mss), 5);
    });
    cp.dispose();
  });

  it('congruence: known values from hand-built factors', async () => {
    // a: one component, e1 in every mode. b: two components, cosines to a per mode:
    //   comp 0: (1/√2, 1, −1/2)   → product −1/(2√2)
    //   comp 1: (0.6, 0.8, 1)     → product 0.48
    const s = Math.SQRT1_2;
    const a = CPTensor.fromArrays([2], [[[1], [0]], [[1], [0], [0]], [[1], [0]]]);
    const b = CPTensor.fromArrays([3, -1], [
      [[s * 5, 0.6], [s * 5, 0.8]], // scaled columns: cosine ignores scale
      [[2, 0.8], [0, 0.6], [0, 0]],
      [[-0.5, 7], [Math.sqrt(3) / 2, 0]],
    ]);
    await expectNoLeak(async () => {
      const c = await congruence(a, b);
      expect(c.rows).toBe(1);
      expect(c.cols).toBe(2);
      expect(c.data[0]).toBeCloseTo(-1 / (2 * Math.SQRT2), 6);
      // λ_b1 = −1 makes the signed product negative.
      expect(c.data[1]).toBeCloseTo(-0.48, 6);
      const abs = await congruence(a, b, { absolute: true });
      expect(abs.data[0]).toBeCloseTo(1 / (2 * Math.SQRT2), 6);
      expect(abs.data[1]).toBeCloseTo(0.48, 6);
      // Weight penalty: magnitudes a: 2; b0: 3·5·2·1 = 30, b1: 1·1·1·7 = 7.
      const w = await congruence(a, b, { weights: true, absolute: true });
      expect(w.data[0]).toBeCloseTo((1 / (2 * Math.SQRT2)) * (1 - 28 / 30), 6);
      expect(w.data[1]).toBeCloseTo(0.48 * (1 - 5 / 7), 6);
    });
    a.dispose();
    b.dispose();
  });

  it('factorMatchScore = 1 for a permuted, sign-flipped, rescaled copy; small for unrelated factors', async () => {
    const g = rng(5);
    const shape = [30, 20, 10];
    const R = 4;
    const f = shape.map((d) => randMatrix(g, d, R));
    const w = [3, 2, 1.5, 1];
    const a = CPTensor.fromArrays(w, f);
    // b: components in order perm, mode 0 scaled by c_r and sign-flipped, mode 1 scaled by 1/c_r
    // and sign-flipped, mode 2 unchanged: the same rank-one tensors.
    const perm = [2, 0, 3, 1];
    const c = [0.5, 4, -2, 10];
    const fb = f.map((m, n) => {
      const out = new Float64Array(m.rows * R);
      for (let i = 0; i < m.rows; i++) {
        for (let k = 0; k < R; k++) {
          const src = m.data[i * R + perm[k]];
          out[i * R + k] = n === 0 ? -src * c[k] : n === 1 ? -src / c[k] : src;
        }
      }
      return { rows: m.rows, cols: R, data: out };
    });
    const b = CPTensor.fromArrays(perm.map((p) => w[p]), fb);
    await expectNoLeak(async () => {
      const res = await factorMatchScore(a, b);
      expect(res.score).toBeCloseTo(1, 5);
      // a.permute(permutation) lines a up with b: permutation[k] = perm[k].
      expect(res.permutation).toEqual(perm);
      expect(res.pairs.map((p) => p.a)).toEqual(perm);
      expect(res.similarity.rows).toBe(R);
      const back = await factorMatchScore(b, a);
      expect(back.score).toBeCloseTo(1, 5);
    });

    // Different weights: the penalty lowers the score unless ignored.
    const bw = CPTensor.fromArrays(perm.map((p) => 2 * w[p]), fb); // every component's weight doubled
    const pen = await factorMatchScore(a, bw);
    expect(pen.score).toBeCloseTo(0.5, 4); // 1 − |λ − 2λ| / 2λ = 1/2 for every pair
    expect((await factorMatchScore(a, bw, { ignoreWeights: true })).score).toBeCloseTo(1, 5);

    // Unrelated random factors: cosines ~ 1/√dim, products tiny.
    const u = CPTensor.fromArrays(w, shape.map((d) => randMatrix(g, d, R)));
    const unrel = await factorMatchScore(a, u, { ignoreWeights: true });
    expect(unrel.score).toBeLessThan(0.05);

    // Rank mismatch: b2 holds 2 of a's 4 components → score 1 over the matched pairs.
    const sub = f.map((m) => {
      const out = new Float64Array(m.rows * 2);
      for (let i = 0; i < m.rows; i++) {
        out[i * 2] = m.data[i * R + 3];
        out[i * 2 + 1] = m.data[i * R + 1];
      }
      return { rows: m.rows, cols: 2, data: out };
    });
    const b2 = CPTensor.fromArrays([w[3], w[1]], sub);
    const r1 = await factorMatchScore(a, b2);
    expect(r1.score).toBeCloseTo(1, 5);
    expect(r1.pairs).toHaveLength(2);
    expect(r1.permutation.slice(0, 2)).toEqual([3, 1]);
    expect([...r1.permutation].sort()).toEqual([0, 1, 2, 3]);
    const r2 = await factorMatchScore(b2, a);
    expect(r2.score).toBeCloseTo(1, 5);
    expect(r2.pairs.map((p) => [p.a, p.b])).toEqual([[1, 1], [0, 3]]);
    for (const t of [a, b, bw, u, b2]) t.dispose();
  });

  it('coreConsistency matches an independent float64 computation, is 100 for the true model and drops when overfactored', async () => {
    const g = rng(21);
    const shape = [7, 6, 5];
    const R = 2;
    // Factors with equal column norms across modes and λ = 1, so that the library's rescaling
    // (unit columns, magnitude shared equally) leaves them unchanged.
    const raw = shape.map((d) => randMatrix(g, d, R));
    for (let k = 0; k < R; k++) {
      const norms = raw.map((m) => Math.sqrt(Array.from({ length: m.rows }, (_, i) => m.data[i * R + k] ** 2).reduce((s, v) => s + v, 0)));
      const geo = Math.cbrt(norms[0] * norms[1] * norms[2]);
      raw.forEach((m, n) => {
        for (let i = 0; i < m.rows; i++) m.data[i * R + k] *= geo / norms[n];
      });
    }
    const dense = denseHost([1, 1], raw);
    const noise = g.normalArray(dense.length, 0, 0.5);
    const xr = Float64Array.from(Float32Array.from(dense.map((v, i) => v + noise[i])));
    const factors32 = raw.map((m) => ({ ...m, data: Float64Array.from(Float32Array.from(m.data)) }));
    // Independent core: pinv by normal equations, G_pqr = Σ x_ijk A⁺_pi B⁺_qj C⁺_rk.
    const pinvs = factors32.map((m) => {
      const gram = { rows: R, cols: R, data: new Float64Array(R * R) };
      for (let a = 0; a < R; a++) for (let b = 0; b < R; b++) for (let i = 0; i < m.rows; i++) gram.data[a * R + b] += m.data[i * R + a] * m.data[i * R + b];
      const mt = { rows: R, cols: m.rows, data: new Float64Array(R * m.rows) };
      for (let i = 0; i < m.rows; i++) for (let a = 0; a < R; a++) mt.data[a * m.rows + i] = m.data[i * R + a];
      return solveSpd(gram, mt);
    });
    let misfit = 0;
    let coreSS = 0;
    const [I, J, K] = shape;
    for (let p = 0; p < R; p++) {
      for (let q = 0; q < R; q++) {
        for (let r = 0; r < R; r++) {
          let gpqr = 0;
          for (let i = 0; i < I; i++) for (let j = 0; j < J; j++) for (let k = 0; k < K; k++) gpqr += xr[(i * J + j) * K + k] * pinvs[0].data[p * I + i] * pinvs[1].data[q * J + j] * pinvs[2].data[r * K + k];
          const t = p === q && q === r ? 1 : 0;
          misfit += (gpqr - t) ** 2;
          coreSS += gpqr ** 2;
        }
      }
    }
    const expected = 100 * (1 - misfit / R);
    const x = { data: Float32Array.from(xr), shape };
    const cp = CPTensor.fromArrays([1, 1], factors32);
    await expectNoLeak(async () => {
      const cc = await coreConsistency(x, cp);
      expect(cc).toBeCloseTo(expected, 2);
      expect(expected).toBeLessThan(99.9); // noisy: not trivially 100
      expect(await coreConsistency(x, cp, { divisor: 'core' })).toBeCloseTo(100 * (1 - misfit / coreSS), 2);
    });
    cp.dispose();

    // Exact planted rank-3 tensor, 4-way, with its true factors: CC = 100.
    const shape4 = [8, 7, 6, 5];
    const f4 = shape4.map((d) => randMatrix(g, d, 3));
    const exact = denseHost([2, 1, 0.5], f4);
    const cp4 = CPTensor.fromArrays([2, 1, 0.5], f4);
    const x4 = { data: Float32Array.from(exact), shape: shape4 };
    expect(await coreConsistency(x4, cp4)).toBeCloseTo(100, 1);
    cp4.dispose();
  });

  it('coreConsistency: ~100 for a rank-3 fit of a planted rank-3 tensor, clearly lower at rank 4', async () => {
    const g = rng(8);
    const shape = [12, 11, 10];
    const f = shape.map((d) => randMatrix(g, d, 3));
    const dense = denseHost([1, 1, 1], f);
    let ss = 0;
    for (const v of dense) ss += v * v;
    const sd = 0.05 * Math.sqrt(ss / dense.length);
    const noise = g.normalArray(dense.length, 0, sd);
    const x = { data: Float32Array.from(dense.map((v, i) => v + noise[i])), shape };
    const fit3 = await cpAls(x, { rank: 3, seed: 1, restarts: 2, maxIter: 300 });
    const fit4 = await cpAls(x, { rank: 4, seed: 1, restarts: 2, maxIter: 300 });
    const cc3 = await expectNoLeak(() => coreConsistency(x, fit3.cp));
    const cc4 = await coreConsistency(x, fit4.cp);
    expect(cc3).toBeGreaterThan(99);
    expect(cc4).toBeLessThan(cc3 - 20);
    fit3.cp.dispose();
    fit4.cp.dispose();
  });

  it('refuses bad input with LtrError naming the field', async () => {
    const cp = CPTensor.fromArrays([1], [[[1], [2]], [[1], [1], [1]]]);
    const x = [[1, 2, 3], [2, 4, 6]];
    await expectNoLeak(async () => {
      await expect(relativeError(x, 'cp' as never)).rejects.toMatchObject({ code: 'invalid-option', path: 'cp' });
      await expect(relativeError([[1, 2], [3, 4]], cp)).rejects.toMatchObject({ code: 'shape-mismatch', path: 'x' });
      await expect(relativeError([[1, NaN, 3], [2, 4, 6]], cp)).rejects.toMatchObject({ code: 'invalid-data' });
      await expect(relativeError(x, cp, { mask: [[0, 0, 0], [0, 0, 0]] })).rejects.toMatchObject({ path: 'options.mask' });
      await expect(relativeError(x, cp, { mask: [[1, 1], [1, 1]] })).rejects.toMatchObject({ code: 'shape-mismatch', path: 'options.mask' });
      await expect(explainedVariance(x, cp, { centered: 1 } as never)).rejects.toMatchObject({ code: 'invalid-option', path: 'options.centered' });
      await expect(coreConsistency(x, cp, { divisor: 'x' } as never)).rejects.toMatchObject({ path: 'options.divisor' });
      await expect(coreConsistency([[1, 2], [3, 4]], cp)).rejects.toMatchObject({ code: 'shape-mismatch', path: 'x' });
      await expect(factorMatchScore(cp, {} as never)).rejects.toMatchObject({ path: 'b' });
      await expect(factorMatchScore(cp, cp, { ignoreWeights: 'no' } as never)).rejects.toMatchObject({ path: 'options.ignoreWeights' });
      const other = CPTensor.fromArrays([1], [[[1], [2]], [[1], [1]]]);
      await expect(congruence(cp, other)).rejects.toMatchObject({ code: 'shape-mismatch', path: 'b' });
      other.dispose();
    });
    cp.dispose();
  });
});
