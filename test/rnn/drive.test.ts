/**
 * The factored LTR drive Â·(C ⊙ (φ(X) B̂)) against the dense W⁽ᵏ⁾ φ(x) built from
 * `weightTensor(cell).full()` (K × N × N) and against a float64 host computation; the other
 * cells' drives against their dense matrices; the dense simulation mode against the factored one.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { randomNormal, useBackend } from '../../src/backend';
import { matrix, singularValuesOnly } from '../../src/linalg';
import { CPTensor } from '../../src/cp';
import { FullRankCell, LowRankCell, LowTensorRankCell, simulate, weightTensor } from '../../src/rnn';
import { expectNoLeak, TEST_BACKENDS } from '../helpers/backends';

function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

describe.each(TEST_BACKENDS)('drive on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it.each([
    [3, 5, 1],
    [7, 16, 3],
    [20, 40, 6],
    [4, 9, 9],
  ])('LTR factored drive = dense W⁽ᵏ⁾φ(x) from weightTensor().full(), K=%i N=%i R=%i', async (k, n, r) => {
    const cell = new LowTensorRankCell({ size: n, trials: k, rank: r, inputSize: 2, seed: 10 + k });
    // Move away from the initialization (B = A, C ≈ 1) so that every factor matters.
    const vars = cell.namedVariables();
    tf.tidy(() => {
      vars.rowFactors.assign(randomNormal([n, r], 3));
      vars.trialFactors.assign(randomNormal([k, r], 4));
      vars.bias.assign(randomNormal([n], 5));
    });
    const trials = Array.from({ length: 2 * k }, (_, i) => (i * 5 + 1) % k); // repeats and reorders
    const x = randomNormal([trials.length, n], 6) as tf.Tensor2D;
    const u = randomNormal([trials.length, 2], 7) as tf.Tensor2D;

    const drive = await expectNoLeak(() => cell.stepDrive(x, u, trials), 1);
    const cp = await expectNoLeak(() => weightTensor(cell), 4);
    expect(cp).toBeInstanceOf(CPTensor);
    expect(cp.shape).toEqual([k, n, n]);
    expect(cp.rank).toBe(r);
    const dense = cp.full(); // K × N × N, trial × post × pre
    const expected = tf.tidy(() => {
      const w = tf.gather(dense, tf.tensor1d(trials, 'int32')); // trials × N × N
      const rec = tf.squeeze(tf.matMul(w, tf.expandDims(tf.tanh(x), 2)), [2]);
      return tf.add(tf.add(rec, tf.matMul(u, cell.inputMatrix()!, false, true)), cell.biasVector()!);
    });
    const got = await drive.data();
    expect(relDiff(got, await expected.data())).toBeLessThan(1e-5);

    // Independent float64 host computation from the factors.
    const host = await cp.toHost();
    const [cF, aF, bF] = host.factors;
    const xv = await x.data();
    const uv = await u.data();
    const win = cell.inputMatrix()!;
    const bias = cell.biasVector()!;
    const wv = await win.data();
    const bv = await bias.data();
    const ref = new Float64Array(trials.length * n);
    for (let t = 0; t < trials.length; t++) {
      const kk = trials[t];
      for (let i = 0; i < n; i++) {
        let s = bv[i];
        for (let d = 0; d < 2; d++) s += wv[i * 2 + d] * uv[t * 2 + d];
        for (let j = 0; j < n; j++) {
          let wij = 0;
          for (let q = 0; q < r; q++) wij += cF.data[kk * r + q] * aF.data[i * r + q] * bF.data[j * r + q];
          s += wij * Math.tanh(xv[t * n + j]);
        }
        ref[t * n + i] = s;
      }
    }
    expect(relDiff(got, ref)).toBeLessThan(1e-5);
    // Unit-norm columns: the scale lives in C.
    for (const f of [aF, bF]) {
      for (let q = 0; q < r; q++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += f.data[i * r + q] ** 2;
        expect(Math.sqrt(s)).toBeCloseTo(1, 5);
      }
    }
    // weightsFor(k) is the k-th slice of the CP tensor.
    const w2 = cell.weightsFor(trials[1]);
    const slice = tf.tidy(() => tf.squeeze(tf.slice(dense, [trials[1], 0, 0], [1, n, n]), [0]));
    expect(relDiff(await w2.data(), await slice.data())).toBeLessThan(1e-6);
    tf.dispose([drive, dense, expected, x, u, win, bias, w2, slice]);
    cp.dispose();
    cell.dispose();
  });

  it('input weights and bias confined to span(A) lie in span(A)', async () => {
    const n = 12;
    const r = 3;
    const cell = new LowTensorRankCell({ size: n, trials: 4, rank: r, inputSize: 2, inputInSpan: true, biasInSpan: true, seed: 2 });
    cell.namedVariables().biasCoefficients.assign(tf.tensor1d([0.5, -1, 2]));
    const { columnFactors, trialFactors, rowFactors } = cell.factors();
    const win = cell.inputMatrix()!;
    const b = cell.biasVector()!;
    // Residual of the least-squares fit of each vector by the columns of Â (normal equations on
    // the host, float64): ≈ 0 when the vector lies in span(Â).
    const av = await columnFactors.array();
    const check = async (v: number[][]): Promise<void> => {
      // Solve min‖Â g − v‖ for each column of v by 3×3 normal equations in float64.
      for (let c = 0; c < v[0].length; c++) {
        const g = new Float64Array(r * r);
        const rhs = new Float64Array(r);
        for (let i = 0; i < n; i++) for (let p = 0; p < r; p++) {
          rhs[p] += av[i][p] * v[i][c];
          for (let q = 0; q < r; q++) g[p * r + q] += av[i][p] * av[i][q];
        }
        // Gaussian elimination (3×3, SPD).
        const m = Array.from({ length: r }, (_, p) => [...Array.from(g.subarray(p * r, p * r + r)), rhs[p]]);
        for (let p = 0; p < r; p++) for (let q = p + 1; q < r; q++) {
          const f = m[q][p] / m[p][p];
          for (let s = p; s <= r; s++) m[q][s] -= f * m[p][s];
        }
        const sol = new Float64Array(r);
        for (let p = r - 1; p >= 0; p--) {
          let s = m[p][r];
          for (let q = p + 1; q < r; q++) s -= m[p][q] * sol[q];
          sol[p] = s / m[p][p];
        }
        let resid = 0;
        let norm = 0;
        for (let i = 0; i < n; i++) {
          let fit = 0;
          for (let p = 0; p < r; p++) fit += av[i][p] * sol[p];
          resid += (fit - v[i][c]) ** 2;
          norm += v[i][c] ** 2;
        }
        expect(Math.sqrt(resid / norm)).toBeLessThan(1e-5);
      }
    };
    await check((await win.array()) as number[][]);
    await check(((await b.array()) as number[]).map((x) => [x]));
    expect(Object.keys(cell.namedVariables()).sort()).toEqual(['biasCoefficients', 'columnFactors', 'inputCoefficients', 'rowFactors', 'trialFactors']);
    tf.dispose([columnFactors, trialFactors, rowFactors, win, b]);
    cell.dispose();
  });

  it('full-rank and low-rank drives equal W φ(x) + W_in u + b with W from weightTensor', async () => {
    const n = 10;
    for (const cell of [new FullRankCell({ size: n, inputSize: 3, seed: 1 }), new LowRankCell({ size: n, rank: 2, inputSize: 3, seed: 1 })]) {
      cell.namedVariables().bias.assign(randomNormal([n], 1));
      const x = randomNormal([5, n], 2) as tf.Tensor2D;
      const u = randomNormal([5, 3], 3) as tf.Tensor2D;
      const w = await expectNoLeak(() => weightTensor(cell), 1);
      expect(w.shape).toEqual([n, n]);
      const got = cell.stepDrive(x, u);
      const want = tf.tidy(() => tf.add(tf.add(tf.matMul(tf.tanh(x), w, false, true), tf.matMul(u, cell.inputMatrix()!, false, true)), cell.biasVector()!));
      expect(relDiff(await got.data(), await want.data())).toBeLessThan(1e-5);
      if (cell instanceof LowRankCell) {
        // W = M Nᵀ / N: rank 2, from the factors.
        expect(cell.scale).toBe(n);
        const { left, right } = cell.namedVariables();
        const mn = tf.tidy(() => tf.div(tf.matMul(left, right, false, true), n));
        expect(relDiff(await w.data(), await mn.data())).toBeLessThan(1e-6);
        const sv = singularValuesOnly(matrix(n, n, Float64Array.from(await w.data())));
        expect(sv[2] / sv[0]).toBeLessThan(1e-5);
        mn.dispose();
      }
      tf.dispose([x, u, w, got, want]);
      cell.dispose();
    }
  });

  it("simulate with drive: 'dense' (the reference implementation's einsum form) equals the factored drive", async () => {
    const k = 6;
    const n = 15;
    const cell = new LowTensorRankCell({ size: n, trials: k, rank: 3, inputSize: 2, outputSize: 2, seed: 4 });
    const inputs = randomNormal([12, k, 2], 9);
    const a = simulate(cell, { inputs, noise: { sigma: 0.1, seed: 2 } });
    const b = simulate(cell, { inputs, noise: { sigma: 0.1, seed: 2 }, drive: 'dense' });
    expect(relDiff(await a.states.data(), await b.states.data())).toBeLessThan(1e-5);
    expect(relDiff(await a.outputs!.data(), await b.outputs!.data())).toBeLessThan(1e-5);
    a.dispose();
    b.dispose();
    // Above maxDenseElements the dense form is refused before any tensor is built.
    const before = tf.memory().numTensors;
    expect(() => simulate(cell, { inputs, drive: 'dense', maxDenseElements: k * n * n - 1 })).toThrow(expect.objectContaining({ code: 'limit-exceeded', path: 'options.maxDenseElements' }));
    expect(tf.memory().numTensors).toBe(before);
    inputs.dispose();
    cell.dispose();
  });
});
