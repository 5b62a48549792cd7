/**
 * `ltr-rnn bounds`, `backends`, `--help`, `--version` and usage errors, run in-process.
 */
import { describe, expect, it } from 'vitest';
import { gradientDescentRankBounds } from '../../src/rank';
import { VERSION } from '../../src/version';
import { runCli } from './helpers';

describe('bounds', () => {
  const args = ['bounds', '--neurons', '100', '--inputs', '3', '--outputs', '2', '--steps', '60', '--updates', '250'];

  it('prints the bounds table of a linear SGD setting (B3: d = d_in + d_out = 5)', async () => {
    const r = await runCli([...args, '--activation', 'linear']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const row = (label: string): string[] => r.stdout.split('\n').find((l) => l.startsWith(label))!.trim().split(/\s{2,}/);
    // One gradient: P·(T − 1) = 59 outer products (x₀ = 0, linear φ), but every gradient lies in S ⊗ S, d = 5.
    expect(row('rank of one gradient')).toEqual(['rank of one gradient ∇_W L', '5', '5', 'exact', 'B3']);
    expect(row('rank of W_250 − W_0')).toEqual(['rank of W_250 − W_0 (250 updates)', '5', '5', 'exact', 'B3']);
    expect(row('multilinear rank')).toEqual(['multilinear rank of the 250 × N × N tensor', '(25, 5, 5)', '(25, 5, 5)', 'exact', 'B3']);
    expect(row('CP rank')).toEqual(['CP rank of the 250 × N × N tensor', '25', '25', 'exact', 'B3']);
    expect(r.stdout).toContain('d = dim S = 5 (B3)');
  });

  it('nonlinear: one gradient has rank ≤ P·(T − 1) + 1 = 60 (B1), the tensor only the trivial bound', async () => {
    const r = await runCli([...args, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.command).toBe('bounds');
    expect(j.gradient).toMatchObject({ value: 60, statement: 'B1', status: 'exact' });
    expect(j.cpRank).toMatchObject({ value: 10000, statement: 'trivial' });
    expect(j.multilinearRank.value).toEqual([250, 100, 100]);
    // The document is the library's result, as JSON.
    const lib = gradientDescentRankBounds({ neurons: 100, inputDim: 3, outputDim: 2, timeSteps: 60, trialsPerUpdate: 1, updates: 250 });
    const { command: _c, ...rest } = j;
    expect(rest).toEqual(JSON.parse(JSON.stringify(lib)));
  });

  it('takes the optimizer, W_0 rank, trained weights, trials per update', async () => {
    const r = await runCli(['bounds', '--neurons', '50', '--inputs', '2', '--outputs', '1', '--steps', '10', '--updates', '20', '--trials-per-update', '4', '--activation', 'linear', '--init', 'rank:2', '--optimizer', 'adam', '--trained', 'recurrent,output', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.spec).toMatchObject({ neurons: 50, inputDim: 2, outputDim: 1, timeSteps: 10, trialsPerUpdate: 4, updates: 20, init: { rank: 2 }, optimizer: 'adam', trained: ['recurrent', 'output'] });
    expect(j.cpRank.status).toBe('approximate');
    expect(j.cpRank.caveat).toMatch(/Adam/);
  });

  it('--quiet prints the one-line summary only', async () => {
    const r = await runCli([...args, '--activation', 'linear', '--quiet']);
    expect(r.stdout).toBe('CP rank of the 250 × 100 × 100 weight tensor ≤ 25 (B3, exact)\n');
  });

  it('usage errors: one line, exit 2', async () => {
    for (const [argv, message] of [
      [['bounds', '--neurons', '10', '--outputs', '1', '--steps', '5'], "'ltr-rnn bounds' needs --inputs"],
      [['bounds', '--neurons', 'ten', '--inputs', '1', '--outputs', '1', '--steps', '5'], "--neurons must be an integer, got 'ten'"],
      [['bounds', '--neurons', '10', '--inputs', '1', '--outputs', '1', '--steps', '5', '--optimizer', 'rmsprop'], '--optimizer must be one of sgd, momentum, gd, adam'],
      [['bounds', '--neurons', '10', '--inputs', '1', '--outputs', '1', '--steps', '5', '--init', 'rank:11'], 'spec.init.rank: is 11 but an N×N matrix with N = 10 has rank at most 10'],
      [['bounds', '--neurns', '10'], "unknown option '--neurns' for 'ltr-rnn bounds' (did you mean --neurons?)"],
      [['bonds'], "unknown command 'bonds'"],
      [[], 'no command given'],
    ] as const) {
      const r = await runCli([...argv]);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
      expect(r.stderr).toMatch(/^ltr-rnn: error: /);
      expect(r.stderr).toContain(message);
    }
  });
});

describe('help and version', () => {
  it('--version and --version --json', async () => {
    expect(await runCli(['--version'])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
    expect(JSON.parse((await runCli(['--version', '--json'])).stdout)).toEqual({ version: VERSION });
  });

  it('--help lists every command; each command has its own help', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    for (const c of ['demo', 'fit', 'cp', 'rank', 'bounds', 'backends']) expect(top.stdout).toMatch(new RegExp(`^  ${c}\\s`, 'm'));
    expect(top.stdout).toContain('Exit codes');
    for (const c of ['demo', 'fit', 'cp', 'rank', 'bounds', 'backends']) {
      for (const argv of [[c, '--help'], [c, '-h'], ['help', c]]) {
        const r = await runCli(argv);
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(new RegExp(`^Usage: ltr-rnn ${c}`));
      }
    }
    // --help wins over missing arguments.
    expect((await runCli(['cp', '--help'])).code).toBe(0);
  });
});

describe('backends', () => {
  it('reports cpu and wasm as starting, wasm with SIMD, and the default', async () => {
    const r = await runCli(['backends', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    const by = Object.fromEntries(j.backends.map((b: { name: string }) => [b.name, b]));
    expect(Object.keys(by)).toEqual(['cpu', 'wasm', 'webgl', 'webgpu', 'tensorflow']);
    expect(by.cpu).toMatchObject({ installed: true, loads: true, version: '4.22.0', float32: true });
    expect(by.wasm).toMatchObject({ installed: true, loads: true, simd: true, threads: false, numThreads: 1 });
    // webgl needs a browser; tfjs-node is not a dependency.
    expect(by.webgl).toMatchObject({ loads: false });
    expect(by.webgl.error).toMatch(/WebGL/);
    expect(by.tensorflow).toMatchObject({ installed: false, loads: false });
    expect(by.tensorflow.error).toMatch(/npm install @tensorflow\/tfjs-node/);
    expect(j.default).toMatchObject({ name: 'wasm', loads: true });
    expect(j.default.reason).toMatch(/faster than the plain-JS cpu backend/);
  });

  it('text: a table, the default and the active backend (--backend cpu)', async () => {
    const r = await runCli(['backends', '--backend', 'cpu']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^wasm\s+@tensorflow\/tfjs-backend-wasm\s+4\.22\.0\s+yes\s+yes\s+yes\s+no/m);
    expect(r.stdout).toMatch(/^default: wasm — /m);
    expect(r.stdout).toMatch(/^active: cpu \(--backend\)$/m);
  });

  it('an unknown --backend is a one-line error', async () => {
    const r = await runCli(['backends', '--backend', 'tpu']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("ltr-rnn: error: Unknown backend 'tpu'. Use one of: cpu, wasm, webgl, webgpu, tensorflow.\n");
  });
});
