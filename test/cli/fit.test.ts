/**
 * `ltr-rnn fit` in-process on a tiny planted dataset (a rank-2 teacher network, 12 bins × 20
 * trials × 10 neurons): the files it writes, the checkpoint, an interrupt (the injected SIGINT
 * handler) and `--resume`, which must give the uninterrupted run's table and selected rank, and
 * the refusal of a checkpoint made for other data or options.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LtrFit } from '../../src/fit';
import { parseNpy } from '../../src/io';
import { makeTeacher } from '../fit/teacher';
import { runCli, stderrLines, tempDir, writeNpyFile } from './helpers';

const teacher = makeTeacher({ rank: 2, latentDim: 8, epochs: [10, 10], bins: 12, conditions: 2, neurons: 10, noise: 0.05, seed: 3 });
const [T, K, D] = teacher.shape;

let dir: string;
let cleanup: () => void;
let data: string;
let conditions: string;
let epochs: string;
beforeAll(() => {
  ({ dir, cleanup } = tempDir());
  data = writeNpyFile(dir, 'data.npy', { data: teacher.data, shape: teacher.shape });
  conditions = writeNpyFile(dir, 'conditions.npy', { data: BigInt64ArrayToFloat(teacher.conditions), shape: [K], dtype: 'int64' });
  epochs = writeNpyFile(dir, 'epochs.npy', { data: Int32Array.from(teacher.epochs, (e) => (e === 'baseline' ? 0 : 1)), shape: [K] });
});
afterAll(() => cleanup());

/** int64 .npy data are held as Float64Array (exact integers). */
function BigInt64ArrayToFloat(values: number[]): Float64Array {
  return Float64Array.from(values);
}

const sweep = (out: string): string[] => [data, '--conditions', conditions, '--epochs', epochs, '--ranks', '1-2', '--seeds', '2', '--latent', '8', '--iterations', '40', '--backend', 'wasm', '--out', out];

describe('fit', () => {
  let reference: { table: unknown; selected: unknown; entries: { testLoss: number }[] };

  it('writes cv.json, best-fit.json, trial factors and methods.md, and prints the table', async () => {
    const out = join(dir, 'full');
    const r = await runCli(['fit', ...sweep(out)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`data.npy: ${T} time bins × ${K} trials × ${D} neurons (float32), MSE loss; 4 fits`);
    expect(r.stdout).toMatch(/^rank\s+latent\s+test loss\s+± s\.e\.\s+per seed\s+train loss\s+parameters$/m);
    expect(r.stdout).toMatch(/^selected rank: [12] \(latent 8; smallest rank within one s\.e\. of the best mean/m);
    // One line per finished fit on stderr (not a terminal).
    expect(r.stderr.match(/^ltr-rnn: fit \d\/4 done: rank \d, latent 8, seed \d: test loss [\d.e-]+, \d+ steps, /gm)).toHaveLength(4);

    const cv = JSON.parse(readFileSync(join(out, 'cv.json'), 'utf8'));
    expect(cv).toMatchObject({ format: 'ltr-rnn/cli-fit', version: 1, data: { shape: [T, K, D], dtype: 'float32' }, loss: 'mse', resumedFits: 0 });
    expect(cv.table.map((row: { rank: number; latentDim: number; losses: number[] }) => [row.rank, row.latentDim, row.losses.length])).toEqual([[1, 8, 2], [2, 8, 2]]);
    expect(cv.entries.map((e: { rank: number; seed: number }) => [e.rank, e.seed])).toEqual([[1, 0], [1, 1], [2, 0], [2, 1]]);
    for (const e of cv.entries) expect(Number.isFinite(e.testLoss) && e.error === null).toBe(true);
    // The table is the mean ± s.e. of the entries.
    for (const row of cv.table) {
      const l = cv.entries.filter((e: { rank: number }) => e.rank === row.rank).map((e: { testLoss: number }) => e.testLoss);
      expect(row.mean).toBeCloseTo((l[0] + l[1]) / 2, 12);
      expect(row.se).toBeCloseTo(Math.abs(l[0] - l[1]) / 2, 12);
    }
    expect(cv.provenance).toMatchObject({ library: 'ltr-rnn', backend: 'wasm' });
    expect(cv.provenance.options).toMatchObject({ ranks: [1, 2], seeds: [0, 1], latentDims: [8], iterations: 40, loss: 'mse' });

    const best = LtrFit.fromJSON(JSON.parse(readFileSync(join(out, 'best-fit.json'), 'utf8')));
    expect(best.rank).toBe(cv.selected.rank);
    expect(best.losses.test).toBe(cv.best.testLoss);
    expect(best.metadata.conditions).toEqual(teacher.conditions);
    const tf = parseNpy(readFileSync(join(out, 'trial-factors.npy')));
    expect(tf.shape).toEqual([K, cv.selected.rank]);
    const observed = await best.factors!.trial.observed.data();
    expect(Array.from(tf.data)).toEqual(Array.from(observed));
    expect(parseNpy(readFileSync(join(out, 'trial-factors-latent.npy'))).shape).toEqual([K, cv.selected.rank]);
    best.dispose();
    const methods = readFileSync(join(out, 'methods.md'), 'utf8');
    expect(methods).toMatch(/ltr-rnn/);
    expect(methods).toContain('@software{ltr_rnn,');
    expect(methods).toContain('@inproceedings{pellegrino2023low,');
    // A finished sweep leaves no checkpoint behind.
    expect(existsSync(join(out, 'checkpoint.json'))).toBe(false);
    reference = cv;
  });

  it('interrupted after the first fit: exit 130 and a checkpoint; --resume finishes with the same table and rank', async () => {
    const out = join(dir, 'interrupted');
    let handler: (() => void) | null = null;
    let stderr = '';
    let stdout = '';
    const { main } = await import('../../src/cli/main');
    const code = await main(['fit', ...sweep(out)], {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: {
        write: (s: string) => {
          stderr += s;
          // The first checkpoint entry is on disk when this line is printed: press Ctrl-C.
          if (/fit 1\/4 done/.test(s)) handler?.();
        },
      },
      onInterrupt: (h) => {
        handler = h;
        return () => (handler = null);
      },
    });
    expect(code, stderr).toBe(130);
    expect(stdout).toBe('');
    const checkpointPath = join(out, 'checkpoint.json');
    expect(stderrLines(stderr).slice(-2)).toEqual(['ltr-rnn: interrupted: stopping (press Ctrl-C again to exit at once)', `ltr-rnn: interrupted: 1 of 4 fits saved to ${checkpointPath}; rerun with --resume`]);
    const checkpoint = JSON.parse(readFileSync(checkpointPath, 'utf8'));
    expect(checkpoint).toMatchObject({ format: 'ltr-rnn/cv-checkpoint', dataShape: [T, K, D], backend: 'wasm' });
    expect(checkpoint.entries.map((e: { rank: number; seed: number }) => [e.rank, e.seed])).toEqual([[1, 0]]);
    expect(existsSync(join(out, 'cv.json'))).toBe(false);

    // Without --resume the checkpoint is not overwritten.
    const again = await runCli(['fit', ...sweep(out)]);
    expect(again.code).toBe(2);
    expect(stderrLines(again.stderr)).toEqual([`ltr-rnn: error: ${checkpointPath} holds the checkpoint of an interrupted run: continue it with --resume, or delete it (or choose another --out) to start afresh.`]);

    const resumed = await runCli(['fit', ...sweep(out), '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`ltr-rnn: resuming: 1 of 4 fits already done (${checkpointPath})`);
    expect(resumed.stderr.match(/fit \d\/4 done/g)).toEqual(['fit 2/4 done', 'fit 3/4 done', 'fit 4/4 done']);
    const cv = JSON.parse(readFileSync(join(out, 'cv.json'), 'utf8'));
    expect(cv.resumedFits).toBe(1);
    expect(cv.selected).toEqual(reference.selected);
    expect(cv.table).toEqual(reference.table);
    expect(cv.entries.map((e: { testLoss: number }) => e.testLoss)).toEqual(reference.entries.map((e) => e.testLoss));
    expect(existsSync(checkpointPath)).toBe(false);
  });

  it('--resume refuses a checkpoint made for other data or options (one line), and needs a checkpoint', async () => {
    const out = join(dir, 'refuse');
    let handler: (() => void) | null = null;
    const { main } = await import('../../src/cli/main');
    const code = await main(['fit', ...sweep(out), '--quiet'], {
      stdout: { write: () => undefined },
      stderr: { write: () => undefined },
      onInterrupt: (h) => {
        handler = h;
        queueMicrotask(() => handler?.()); // interrupt before the first fit ends: an empty checkpoint
        return () => (handler = null);
      },
    });
    expect(code).toBe(130);
    expect(JSON.parse(readFileSync(join(out, 'checkpoint.json'), 'utf8')).entries.length).toBeLessThan(4);

    let r = await runCli(['fit', ...sweep(out), '--iterations', '41', '--resume']);
    expect(r.code).toBe(2);
    expect(stderrLines(r.stderr)).toHaveLength(1);
    expect(stderrLines(r.stderr)[0]).toMatch(/^ltr-rnn: error: cannot resume from .*checkpoint\.json: The checkpoint was made with --iterations \(options\.iterations\) = 40, but these options give 41/);

    const other = Float32Array.from(teacher.data, (v, i) => (i === 0 ? v + 1 : v));
    const otherFile = writeNpyFile(dir, 'other.npy', { data: other, shape: teacher.shape });
    r = await runCli(['fit', ...sweep(out).map((a) => (a === data ? otherFile : a)), '--resume']);
    expect(r.code).toBe(2);
    expect(stderrLines(r.stderr)[0]).toMatch(/^ltr-rnn: error: cannot resume from .*: The checkpoint was made for other data of the same shape/);

    r = await runCli(['fit', ...sweep(join(dir, 'nothing-here')), '--resume']);
    expect(r.code).toBe(2);
    expect(stderrLines(r.stderr)[0]).toMatch(/^ltr-rnn: error: --resume: there is no checkpoint at .*nothing-here\/checkpoint\.json; run without --resume/);
  });

  it('refuses data that are not 3-D and metadata of the wrong length (one line)', async () => {
    const flat = writeNpyFile(dir, 'flat.npy', { data: new Float32Array(12), shape: [3, 4] });
    let r = await runCli(['fit', flat, '--out', join(dir, 'x')]);
    expect(r.code).toBe(2);
    expect(stderrLines(r.stderr)).toEqual([`ltr-rnn: error: ${flat}: the data must be 3-D, time × trial × neuron; got shape (3, 4)`]);
    const short = writeNpyFile(dir, 'short.npy', { data: new Int32Array(3), shape: [3] });
    r = await runCli(['fit', data, '--conditions', short, '--out', join(dir, 'x')]);
    expect(r.code).toBe(2);
    expect(stderrLines(r.stderr)).toEqual([`ltr-rnn: error: ${short}: --conditions needs one value per trial (${K} trials in ${data}), got 3`]);
    const frac = writeNpyFile(dir, 'frac.npy', { data: Float64Array.from({ length: K }, (_, k) => k / 2), shape: [K] });
    r = await runCli(['fit', data, '--conditions', frac, '--out', join(dir, 'x')]);
    expect(r.code).toBe(2);
    expect(stderrLines(r.stderr)[0]).toMatch(/is not an integer id/);
    // Refused by crossValidateRank itself (rank > latent size): no checkpoint is left to block a rerun.
    r = await runCli(['fit', data, '--ranks', '1-3', '--latent', '2', '--out', join(dir, 'y')]);
    expect(r.code).toBe(2);
    expect(stderrLines(r.stderr)[0]).toMatch(/^ltr-rnn: error: .*rank/);
    expect(existsSync(join(dir, 'y', 'checkpoint.json'))).toBe(false);
    r = await runCli(['fit', data, '--ranks', '0-2', '--out', join(dir, 'x')]);
    expect(r.code).toBe(2);
    expect(stderrLines(r.stderr)[0]).toBe("ltr-rnn: error: --ranks: every value must be ≥ 1, got 0 (see 'ltr-rnn fit --help')");
  });

  it('fits a .npy written by NumPy (float64) with int64 condition ids from NumPy (test/io/fixtures/make.py)', async () => {
    const fixtures = fileURLToPath(new URL('../io/fixtures/', import.meta.url));
    const out = join(dir, 'numpy');
    const r = await runCli(['fit', join(fixtures, 'recording.npy'), '--conditions', join(fixtures, 'conditions.npy'), '--ranks', '1-2', '--seeds', '1', '--latent', '4', '--iterations', '20', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('recording.npy: 10 time bins × 16 trials × 6 neurons (float64), MSE loss; 2 fits');
    const cv = JSON.parse(readFileSync(join(out, 'cv.json'), 'utf8'));
    expect(cv.data).toMatchObject({ shape: [10, 16, 6], dtype: 'float64' });
    expect([1, 2]).toContain(cv.selected.rank);
    for (const e of cv.entries) expect(Number.isFinite(e.testLoss)).toBe(true);
    const best = JSON.parse(readFileSync(join(out, 'best-fit.json'), 'utf8'));
    // The fit saw the NumPy ids: 4 conditions, trial k in condition k mod 4.
    expect(best.config.conditions).toBe(4);
    expect(parseNpy(readFileSync(join(out, 'trial-factors.npy'))).shape).toEqual([16, cv.selected.rank]);
  }, 60_000);
});
