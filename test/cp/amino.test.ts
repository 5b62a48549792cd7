/**
 * Real data: the amino-acid fluorescence benchmark (Bro 1997; see ../shared/data/amino/README.md).
 * A rank-3 CP model must reproduce the reference relative error 0.0251 and recover each sample's
 * concentrations of tryptophan, tyrosine and phenylalanine in its sample-mode factors.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend/use';
import { coreConsistency, cpAls, cpNonneg, linearSumAssignment, type CPTensor } from '../../src/cp';
import { readNpy } from '../../src/io';
import { TEST_BACKENDS, expectNoLeak } from '../helpers/backends';

// The data lives in `shared/` beside the repository (CI copies it there).
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = path.resolve(repoRoot, '../shared/data/amino');

const AMINO = ['Trp', 'Tyr', 'Phe'];

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] / n;
    mb += b[i] / n;
  }
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/**
 * |r| between each amino acid's concentrations and the sample-mode factor matched to it, the
 * matching being one-to-one (Hungarian on |r|), so that no factor serves two amino acids.
 */
async function matchedCorrelations(cp: CPTensor, y: Float64Array): Promise<number[]> {
  const h = await cp.toHost();
  const a = h.factors[0];
  const r = a.cols;
  const abs = AMINO.map((_, c) =>
    Array.from({ length: r }, (_, k) =>
      Math.abs(
        pearson(
          Array.from({ length: a.rows }, (_, i) => a.data[i * r + k]),
          Array.from({ length: a.rows }, (_, i) => y[i * 3 + c]),
        ),
      ),
    ),
  );
  const { rowToCol } = linearSumAssignment(abs, { maximize: true });
  return rowToCol.map((k, c) => abs[c][k]);
}

describe.each(TEST_BACKENDS)('amino-acid fluorescence data on %s', (backend) => {
  let x: { data: Float64Array; shape: number[] };
  let y: Float64Array;

  beforeAll(async () => {
    await useBackend(backend);
    if (!existsSync(path.join(dataDir, 'X.npy'))) {
      throw new Error(`amino-acid data not found at ${dataDir}: the shared/ folder must sit beside the repository (shared/data/amino/X.npy).`);
    }
    const X = await readNpy(path.join(dataDir, 'X.npy'));
    const Y = await readNpy(path.join(dataDir, 'y.npy'));
    expect(X.shape).toEqual([5, 201, 61]);
    expect(Y.shape).toEqual([5, 3]);
    x = { data: X.data as Float64Array, shape: X.shape };
    y = Y.data as Float64Array;
  });

  it('rank-3 cpAls: relative error 0.0251 ± 0.0005 and every concentration recovered at |r| ≥ 0.998', async () => {
    const res = await expectNoLeak(() => cpAls(x, { rank: 3, restarts: 2, seed: 0, maxIter: 3000 }), 4);
    expect(Math.abs(res.relError - 0.0251)).toBeLessThanOrEqual(0.0005);
    const corr = await matchedCorrelations(res.cp, y);
    corr.forEach((r, c) => expect(r, AMINO[c]).toBeGreaterThanOrEqual(0.998));
    // Core consistency: a valid trilinear model.
    expect(await expectNoLeak(() => coreConsistency(x, res.cp))).toBeGreaterThan(90);
    res.cp.dispose();
  });

  it('rank-3 cpNonneg: the same error and concentrations, with non-negative factors', async () => {
    const res = await expectNoLeak(() => cpNonneg(x, { rank: 3, seed: 0, maxIter: 3000 }), 4);
    expect(Math.abs(res.relError - 0.0251)).toBeLessThanOrEqual(0.0005);
    const corr = await matchedCorrelations(res.cp, y);
    corr.forEach((r, c) => expect(r, AMINO[c]).toBeGreaterThanOrEqual(0.998));
    const h = await res.cp.toHost();
    expect(h.factors.every((f) => f.data.every((v) => v >= 0))).toBe(true);
    expect(await coreConsistency(x, res.cp)).toBeGreaterThan(90);
    res.cp.dispose();
  });

  it('core consistency drops at rank 4 (one component too many)', async () => {
    const r4 = await cpAls(x, { rank: 4, seed: 1, maxIter: 3000 });
    expect(await coreConsistency(x, r4.cp)).toBeLessThan(50);
    // A fourth component barely lowers the error: the data are trilinear with three components.
    expect(r4.relError).toBeGreaterThan(0.8 * 0.0251);
    r4.cp.dispose();
  });
});
