/**
 * Benchmark: `ltr-rnn/linalg` (our float64 host routines) against ml-matrix at 50×50 and
 * 500×500 for cholesky, qr, eigh, svd, singular values only and solveSpd.
 *
 *   node --import tsx bench/linalg.bench.ts
 *
 * Prints medians (ms; the median of per-round medians, both sides timed in alternating rounds)
 * and the ratio ml-matrix/ours (> 1: ours is faster); writes
 * `bench/results/linalg.json`. Both sides compute the same outputs: explicit factors (Q and R,
 * L, U/s/V, values and vectors), so lazily built ml-matrix getters are read inside the timing.
 */
import { CholeskyDecomposition, EigenvalueDecomposition, Matrix as MlMatrix, QrDecomposition, SingularValueDecomposition } from 'ml-matrix';
import { cholesky, eigh, gram, matrix, qr, singularValuesOnly, solveSpd, svd, toRows, type Matrix } from '../src/linalg';
import { fmtMs, measure, writeResults, type Timing } from './lib';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomMatrix(m: number, n: number, seed: number): Matrix {
  const u = mulberry32(seed);
  return matrix(m, n, Float64Array.from({ length: m * n }, () => 2 * u() - 1));
}

function spd(n: number, seed: number): Matrix {
  const g = gram(randomMatrix(2 * n, n, seed));
  return matrix(n, n, g.data.map((v, i) => v / n + (i % (n + 1) === 0 ? 1 : 0)));
}

interface Row {
  op: string;
  size: string;
  ours: Timing;
  mlMatrix: Timing;
  ratio: number;
}

const rows: Row[] = [];

/**
 * Times both sides in alternating rounds (ours, ml, ours, ml, …) so that a change in machine
 * load during the run hits both alike; reports the median over all timed calls of each side.
 */
async function compare(op: string, n: number, ours: () => unknown, ml: () => unknown, rounds: number, repsPerRound: number, warmup: number): Promise<void> {
  await measure(ours, { warmup, reps: 1 });
  await measure(ml, { warmup, reps: 1 });
  const a: Timing[] = [];
  const b: Timing[] = [];
  for (let r = 0; r < rounds; r++) {
    a.push(await measure(ours, { warmup: 0, reps: repsPerRound }));
    b.push(await measure(ml, { warmup: 0, reps: repsPerRound }));
  }
  const merge = (ts: Timing[]): Timing => {
    const med = ts.map((t) => t.medianMs).sort((x, y) => x - y);
    return { medianMs: med[Math.floor(med.length / 2)], minMs: Math.min(...ts.map((t) => t.minMs)), maxMs: Math.max(...ts.map((t) => t.maxMs)), reps: ts.reduce((s, t) => s + t.reps, 0) };
  };
  const ta = merge(a);
  const tb = merge(b);
  const row = { op, size: `${n}×${n}`, ours: ta, mlMatrix: tb, ratio: tb.medianMs / ta.medianMs };
  rows.push(row);
  console.log(`${op.padEnd(20)} ${row.size.padStart(8)} ${fmtMs(ta.medianMs).padStart(10)} ${fmtMs(tb.medianMs).padStart(10)} ${row.ratio.toFixed(2).padStart(7)}`);
}

console.log(`${'op'.padEnd(20)} ${'size'.padStart(8)} ${'ours ms'.padStart(10)} ${'ml ms'.padStart(10)} ${'ml/ours'.padStart(7)}`);
for (const n of [50, 500]) {
  const big = n >= 500;
  // Rounds × reps per round, and warm-up calls (JIT) before timing.
  const rounds = big ? 3 : 5;
  const reps = big ? 1 : 9;
  const warmup = big ? 1 : 20;
  const a = randomMatrix(n, n, 1);
  const s = spd(n, 2);
  const b = randomMatrix(n, 1, 3);
  const mlA = new MlMatrix(toRows(a));
  const mlS = new MlMatrix(toRows(s));
  const mlB = new MlMatrix(toRows(b));
  await compare('cholesky', n, () => cholesky(s), () => new CholeskyDecomposition(mlS).lowerTriangularMatrix, rounds, reps, warmup);
  await compare('solveSpd (1 rhs)', n, () => solveSpd(s, b), () => new CholeskyDecomposition(mlS).solve(mlB), rounds, reps, warmup);
  await compare('qr (Q and R)', n, () => qr(a), () => {
    const f = new QrDecomposition(mlA);
    return [f.orthogonalMatrix, f.upperTriangularMatrix];
  }, rounds, reps, warmup);
  await compare('eigh (values+vecs)', n, () => eigh(s), () => {
    const f = new EigenvalueDecomposition(mlS, { assumeSymmetric: true });
    return [f.realEigenvalues, f.eigenvectorMatrix];
  }, rounds, reps, warmup);
  await compare('svd (U, s, V)', n, () => svd(a), () => {
    const f = new SingularValueDecomposition(mlA);
    return [f.leftSingularVectors, f.diagonal, f.rightSingularVectors];
  }, rounds, reps, warmup);
  await compare('singular values', n, () => singularValuesOnly(a), () => new SingularValueDecomposition(mlA, { computeLeftSingularVectors: false, computeRightSingularVectors: false }).diagonal, rounds, reps, warmup);
}
const file = writeResults('linalg', rows);
console.log(`\nwrote ${file}`);
