/**
 * The built command as a process (`node dist/cli.js`, built first when missing or older than
 * src/ — see builtCli): exit codes, one-line errors, stdout holding only the JSON document, and
 * SIGINT during `fit` → exit 130 with a checkpoint that `--resume` turns into the result an
 * uninterrupted run gives.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version';
import { makeTeacher } from '../fit/teacher';
import { builtCli, npyBytes, spawnCli, tempDir, writeBytes, writeNpyFile } from './helpers';

let cli: string;
let dir: string;
let cleanup: () => void;
beforeAll(() => {
  cli = builtCli();
  ({ dir, cleanup } = tempDir());
}, 300_000);
afterAll(() => cleanup());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('the ltr-rnn process', () => {
  it('dist/cli.js is an executable ESM file holding only the command: the library comes from the shared chunks', () => {
    const text = readFileSync(cli, 'utf8');
    expect(text.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(statSync(cli).mode & 0o111).toBe(0o111);
    expect(text).toMatch(/^import \{[^}]*\} from "\.\/chunks\/chunk-[A-Z0-9]+\.js";$/m);
    // esbuild marks each bundled source file with a comment: only src/cli files may appear.
    const sources = [...text.matchAll(/^\/\/ (src\/\S+)$/gm)].map((m) => m[1]);
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.filter((s) => !s.startsWith('src/cli/'))).toEqual([]);
  });

  it('exit codes: 0, 2 for usage and data errors (one line, no stack), --json prints only JSON', async () => {
    let p = spawnCli(cli, ['--version'], dir);
    expect(await p.exited).toBe(0);
    expect(p.stdout()).toBe(`${VERSION}\n`);

    p = spawnCli(cli, ['rank', '--max-rnak', '2', 'x.npy'], dir);
    expect(await p.exited).toBe(2);
    expect(p.stderr()).toBe("ltr-rnn: error: unknown option '--max-rnak' for 'ltr-rnn rank' (did you mean --max-rank?) (see 'ltr-rnn rank --help')\n");
    expect(p.stdout()).toBe('');

    const bad = writeBytes(dir, 'bad.npy', npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 4), }", new Uint8Array(60)));
    p = spawnCli(cli, ['rank', bad, '--quiet'], dir);
    expect(await p.exited).toBe(2);
    expect(p.stderr()).toBe(`ltr-rnn: error: ${bad}: truncated .npy data: shape (4, 4) of float32 needs 64 bytes but only 60 bytes follow the header\n`);

    p = spawnCli(cli, ['rank', bad, '--quiet', '--debug'], dir);
    expect(await p.exited).toBe(2);
    expect(p.stderr().split('\n')[1]).toMatch(/^LtrError: /);
    expect(p.stderr()).toMatch(/^\s+at /m);

    const m = writeNpyFile(dir, 'm.npy', { data: new Float64Array([1, 2, 3, 4, 5, 6]), shape: [2, 3] });
    p = spawnCli(cli, ['rank', m, '--json'], dir);
    expect(await p.exited).toBe(0);
    expect(JSON.parse(p.stdout())).toMatchObject({ command: 'rank', shape: [2, 3], numericalRank: 2 });
    expect(p.stdout().trim().split('\n').at(-1)).toBe('}');
  }, 60_000);

  it('SIGINT during fit: exit 130, a checkpoint; --resume gives the uninterrupted result', async () => {
    const t = makeTeacher({ rank: 2, latentDim: 8, epochs: [8, 8], bins: 10, conditions: 2, neurons: 8, seed: 5 });
    const data = writeNpyFile(dir, 'data.npy', { data: t.data, shape: t.shape });
    const conditions = writeNpyFile(dir, 'conditions.npy', { data: Int32Array.from(t.conditions), shape: [t.conditions.length] });
    const args = (out: string): string[] => ['fit', data, '--conditions', conditions, '--ranks', '1-3', '--seeds', '2', '--latent', '6', '--iterations', '40', '--backend', 'wasm', '--out', out];

    const reference = spawnCli(cli, args(join(dir, 'reference')), dir);
    expect(await reference.exited, reference.stderr()).toBe(0);
    const want = JSON.parse(readFileSync(join(dir, 'reference', 'cv.json'), 'utf8'));

    const out = join(dir, 'interrupted');
    const checkpointPath = join(out, 'checkpoint.json');
    const p = spawnCli(cli, args(out), dir);
    let saved = 0;
    for (let i = 0; i < 1200 && saved === 0; i++) {
      await sleep(50);
      if (existsSync(checkpointPath)) {
        try {
          saved = JSON.parse(readFileSync(checkpointPath, 'utf8')).entries.length;
        } catch {
          saved = 0; // never half-written (rename), but be safe
        }
      }
    }
    expect(saved).toBeGreaterThan(0);
    p.child.kill('SIGINT');
    expect(await p.exited, p.stderr()).toBe(130);
    const checkpoint = JSON.parse(readFileSync(checkpointPath, 'utf8'));
    const n = checkpoint.entries.length;
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(6);
    expect(p.stderr()).toContain(`ltr-rnn: interrupted: ${n} of 6 fits saved to ${checkpointPath}; rerun with --resume\n`);
    expect(existsSync(join(out, 'cv.json'))).toBe(false);

    const resumed = spawnCli(cli, [...args(out), '--resume'], dir);
    expect(await resumed.exited, resumed.stderr()).toBe(0);
    expect(resumed.stderr()).toContain(`resuming: ${n} of 6 fits already done`);
    const got = JSON.parse(readFileSync(join(out, 'cv.json'), 'utf8'));
    expect(got.resumedFits).toBe(n);
    expect(got.selected).toEqual(want.selected);
    expect(got.rule).toEqual(want.rule);
    expect(got.table).toEqual(want.table);
    expect(got.best).toEqual(want.best);
    expect(readFileSync(join(out, 'trial-factors.npy'))).toEqual(readFileSync(join(dir, 'reference', 'trial-factors.npy')));
  }, 180_000);
});
