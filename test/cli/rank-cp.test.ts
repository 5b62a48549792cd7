/**
 * `ltr-rnn rank` and `ltr-rnn cp` on planted inputs written with encodeNpy (no NumPy): a matrix
 * with known singular values, tensors of known CP rank; answers checked against host float64
 * arithmetic and against the factors read back from the written `.npy` files.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNpy } from '../../src/io';
import { rng } from '../../src/backend/random';
import { runCli, stderrLines, tempDir, writeNpyFile } from './helpers';

/** Uniform numbers in [0, 1) from a seed (the library's generator). */
function uniforms(seed: number): () => number {
  const g = rng(seed);
  return () => g.uniform();
}

/** r orthonormal columns of length n (Gram–Schmidt), row-major n × r. */
function orthonormal(n: number, r: number, u: () => number): Float64Array {
  const cols: Float64Array[] = [];
  for (let j = 0; j < r; j++) {
    const v = Float64Array.from({ length: n }, () => u() - 0.5);
    for (const c of cols) {
      let d = 0;
      for (let i = 0; i < n; i++) d += v[i] * c[i];
      for (let i = 0; i < n; i++) v[i] -= d * c[i];
    }
    const norm = Math.hypot(...v);
    for (let i = 0; i < n; i++) v[i] /= norm;
    cols.push(v);
  }
  const out = new Float64Array(n * r);
  for (let i = 0; i < n; i++) for (let j = 0; j < r; j++) out[i * r + j] = cols[j][i];
  return out;
}

/** Dense I × J × K tensor Σ_r w_r a_r ∘ b_r ∘ c_r from row-major factors. */
function cpDense(w: ArrayLike<number>, f: ArrayLike<number>[], shape: number[]): Float64Array {
  const [I, J, K] = shape;
  const R = w.length;
  const x = new Float64Array(I * J * K);
  for (let i = 0; i < I; i++) for (let j = 0; j < J; j++) for (let k = 0; k < K; k++) {
    let s = 0;
    for (let r = 0; r < R; r++) s += w[r] * f[0][i * R + r] * f[1][j * R + r] * f[2][k * R + r];
    x[(i * J + j) * K + k] = s;
  }
  return x;
}

function relDiff(a: ArrayLike<number>, b: ArrayLike<number>, mask?: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    if (mask && mask[i] === 0) continue;
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir()));
afterAll(() => cleanup());

describe('rank', () => {
  it('a 20 × 15 matrix with singular values 5, 3, 1: every measure as computed from them', async () => {
    const u = uniforms(1);
    const U = orthonormal(20, 3, u);
    const V = orthonormal(15, 3, u);
    const s = [5, 3, 1];
    const m = new Float64Array(20 * 15);
    for (let i = 0; i < 20; i++) for (let j = 0; j < 15; j++) for (let r = 0; r < 3; r++) m[i * 15 + j] += U[i * 3 + r] * s[r] * V[j * 3 + r];
    const file = writeNpyFile(dir, 'matrix.npy', { data: m, shape: [20, 15] });
    const r = await runCli(['rank', file, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ kind: 'matrix', shape: [20, 15], dtype: 'float64', numericalRank: 3, rankFor: { '0.9': 2, '0.95': 2, '0.99': 3 } });
    expect(j.singularValues.slice(0, 3)).toEqual(s.map((x) => expect.closeTo(x, 12)));
    expect(Math.max(...j.singularValues.slice(3))).toBeLessThan(1e-12);
    const p = s.map((x) => x / 9);
    expect(j.effectiveRank).toBeCloseTo(Math.exp(-p.reduce((h, q) => h + q * Math.log(q), 0)), 9);
    expect(j.participationRatio).toBeCloseTo(35 ** 2 / (625 + 81 + 1), 9);
    expect(j.stableRank).toBeCloseTo(35 / 25, 9);

    const text = await runCli(['rank', file]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^numerical rank\s+3$/m);
    expect(text.stdout).toMatch(/^singular values: 5, 3, 1, /m);
  });

  it('integer and bool matrices are converted (rank of [[1, 2], [2, 4]] is 1)', async () => {
    const file = writeNpyFile(dir, 'int.npy', { data: new Int32Array([1, 2, 2, 4]), shape: [2, 2] });
    const j = JSON.parse((await runCli(['rank', file, '--json'])).stdout);
    expect(j).toMatchObject({ dtype: 'int32', numericalRank: 1 });
    const b = writeNpyFile(dir, 'bool.npy', { data: new Uint8Array([1, 0, 0, 1]), shape: [2, 2], dtype: 'bool' });
    expect(JSON.parse((await runCli(['rank', b, '--json'])).stdout)).toMatchObject({ dtype: 'bool', numericalRank: 2 });
  });

  it('a 6 × 5 × 4 tensor of CP rank 2: multilinear rank (2, 2, 2), the profile finds rank 2', async () => {
    const u = uniforms(2);
    const f = [6, 5, 4].map((n) => Float64Array.from({ length: n * 2 }, () => u() - 0.5));
    const x = cpDense([2, 1], f, [6, 5, 4]);
    const file = writeNpyFile(dir, 'tensor.npy', { data: x, shape: [6, 5, 4] });
    const r = await runCli(['rank', file, '--max-rank', '3', '--restarts', '2', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ kind: 'tensor', multilinearRank: [2, 2, 2], trivialCpRankBound: 20 });
    expect(j.cpProfile.ranks.map((e: { rank: number }) => e.rank)).toEqual([1, 2, 3]);
    expect(j.cpProfile.ranks[1].relError).toBeLessThan(1e-4);
    expect(j.cpProfile.ranks[0].relError).toBeGreaterThan(0.05);
    expect(j.cpProfile.ranks[1].coreConsistency).toBeGreaterThan(99);
    expect(j.cpProfile.estimates.byVariance['0.999']).toBe(2);
    expect(j.cpProfile.estimates.byCoreConsistency90).toBe(2);

    const text = await runCli(['rank', file, '--max-rank', '3']);
    expect(text.stdout).toContain('multilinear rank (numerical rank of each unfolding): (2, 2, 2)');
    expect(text.stdout).toMatch(/CP rank estimates: 90 % of ‖x‖² → [12]; 95 % of ‖x‖² → [12]; 99 % of ‖x‖² → 2; 99\.9 % of ‖x‖² → 2; CORCONDIA ≥ 90 → 2/);
    // --max-rank 0 skips the profile.
    expect(JSON.parse((await runCli(['rank', file, '--max-rank', '0', '--json'])).stdout).cpProfile).toBeNull();
  });

  it('a vector is refused in one line', async () => {
    const file = writeNpyFile(dir, 'vector.npy', { data: new Float64Array([1, 2, 3]), shape: [3] });
    const r = await runCli(['rank', file]);
    expect(r.code).toBe(2);
    expect(stderrLines(r.stderr)).toEqual([`ltr-rnn: error: ${file}: rank needs a matrix (2-D) or a tensor (3-D or more), got shape (3)`]);
  });
});

describe('cp', () => {
  const shape = [8, 7, 6];
  const u = uniforms(3);
  const f = shape.map((n) => Float64Array.from({ length: n * 2 }, () => u() - 0.5));
  const x = cpDense([3, 1.5], f, shape);

  it('recovers a planted rank-2 tensor; the written factors rebuild it; starts agree; CORCONDIA ≈ 100', async () => {
    const file = writeNpyFile(dir, 'cp.npy', { data: Float32Array.from(x), shape });
    const out = join(dir, 'cp-out');
    const r = await runCli(['cp', file, '--rank', '2', '--restarts', '3', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ command: 'cp', rank: 2, method: 'cpAls', masked: false, shape });
    expect(j.relError).toBeLessThan(1e-4);
    expect(j.fit).toBeCloseTo(1 - j.relError, 12);
    expect(j.coreConsistency).toBeGreaterThan(99);
    expect(j.starts).toHaveLength(3);
    for (const s of j.starts) expect(s.factorMatchScore).toBeGreaterThan(0.99);
    // The files: factor-<mode>.npy (I_n × R), weights.npy (R), cp.json.
    const read = (name: string) => parseNpy(readFileSync(join(out, name)));
    const factors = [0, 1, 2].map((n) => read(`factor-${n}.npy`));
    factors.forEach((fa, n) => expect(fa.shape).toEqual([shape[n], 2]));
    const w = read('weights.npy');
    expect(w.shape).toEqual([2]);
    expect(relDiff(cpDense(w.data, factors.map((fa) => fa.data), shape), x)).toBeLessThan(1e-4);
    const json = JSON.parse(readFileSync(join(out, 'cp.json'), 'utf8'));
    expect(json.cp).toMatchObject({ format: 'ltr-rnn/cp-tensor', shape, rank: 2 });
    expect(json.relError).toBe(j.relError);

    const text = await runCli(['cp', file, '--rank', '2', '--restarts', '3', '--out', out]);
    expect(text.stdout).toMatch(/^min FMS of the starts to the best\s+1$/m);
    expect(text.stdout).toMatch(/^CORCONDIA\s+(99\.\d+|100)$/m);
  });

  it('--nonneg on non-negative factors: non-negative factors and a small error', async () => {
    const g = shape.map((n) => Float64Array.from({ length: n * 2 }, () => u()));
    const y = cpDense([2, 1], g, shape);
    const file = writeNpyFile(dir, 'nonneg.npy', { data: y, shape });
    const out = join(dir, 'nonneg-out');
    const r = await runCli(['cp', file, '--rank', '2', '--nonneg', '--restarts', '2', '--max-iter', '2000', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.method).toBe('cpNonneg');
    expect(j.relError).toBeLessThan(1e-2);
    for (let n = 0; n < 3; n++) expect(Math.min(...parseNpy(readFileSync(join(out, `factor-${n}.npy`))).data)).toBeGreaterThanOrEqual(0);
  });

  it('--mask: entries with mask 0 are ignored (garbage there does not matter)', async () => {
    const mask = Float32Array.from(x, () => (u() < 0.3 ? 0 : 1));
    const corrupted = Float32Array.from(x, (v, i) => (mask[i] === 0 ? 1000 : v));
    const file = writeNpyFile(dir, 'masked.npy', { data: corrupted, shape });
    const m = writeNpyFile(dir, 'mask.npy', { data: Uint8Array.from(mask), shape, dtype: 'bool' });
    const out = join(dir, 'masked-out');
    const r = await runCli(['cp', file, '--rank', '2', '--mask', m, '--restarts', '2', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.masked).toBe(true);
    expect(j.relError).toBeLessThan(1e-3);
    const factors = [0, 1, 2].map((n) => parseNpy(readFileSync(join(out, `factor-${n}.npy`))).data);
    // The model fits the true values at the missing entries too.
    expect(relDiff(cpDense(parseNpy(readFileSync(join(out, 'weights.npy'))).data, factors, shape), x)).toBeLessThan(1e-3);
  });

  it('needs --rank; an impossible rank or a mask of another shape is a one-line error', async () => {
    const file = writeNpyFile(dir, 'small.npy', { data: new Float32Array(6).fill(1), shape: [1, 2, 3] });
    let r = await runCli(['cp', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("ltr-rnn: error: 'ltr-rnn cp' needs --rank R (see 'ltr-rnn cp --help')\n");
    r = await runCli(['cp', file, '--rank', '9', '--out', join(dir, 'x')]);
    expect(r.code).toBe(2);
    expect(stderrLines(r.stderr)).toEqual(['ltr-rnn: error: --rank = 9 exceeds the largest possible CP rank of a [1, 2, 3] tensor (∏ dims / max dim = 2). Choose a rank ≤ 2.']);
    const m = writeNpyFile(dir, 'badmask.npy', { data: new Float32Array(4).fill(1), shape: [2, 2] });
    r = await runCli(['cp', file, '--rank', '1', '--mask', m, '--out', join(dir, 'x')]);
    expect(r.code).toBe(2);
    expect(stderrLines(r.stderr)).toHaveLength(1);
    expect(stderrLines(r.stderr)[0]).toMatch(/^ltr-rnn: error: .*mask/);
  });

  it('Ctrl-C stops the decomposition: exit 130; a second Ctrl-C exits at once', async () => {
    const file = writeNpyFile(dir, 'interrupt.npy', { data: Float32Array.from(x), shape });
    const { main } = await import('../../src/cli/main');
    let stderr = '';
    const exits: number[] = [];
    const code = await main(['cp', file, '--rank', '2', '--restarts', '50', '--out', join(dir, 'interrupt-out')], {
      stdout: { write: () => undefined },
      stderr: { write: (s: string) => (stderr += s) },
      onInterrupt: (handler) => {
        queueMicrotask(() => {
          handler();
          handler();
        });
        return () => undefined;
      },
      exit: (c) => void exits.push(c),
    });
    expect(exits).toEqual([130]);
    expect(code).toBe(130);
    expect(stderrLines(stderr)).toEqual(['ltr-rnn: interrupted: stopping (press Ctrl-C again to exit at once)', 'ltr-rnn: interrupted again: exiting now', 'ltr-rnn: interrupted']);
  });
});
