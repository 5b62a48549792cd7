/**
 * Helpers of the CLI tests: run `main` in-process with captured streams, temporary folders,
 * `.npy` files, and the built `dist/cli.js` for the tests that need a real process (exit codes,
 * SIGINT).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeNpy, type NpyInput } from '../../src/io';
import { main, type CliIO } from '../../src/cli/main';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What an in-process run printed and returned. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `ltr-rnn argv` in-process (stderr not a terminal unless `io.isTTY`). */
export async function runCli(argv: string[], io: Partial<CliIO> = {}): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
    ...io,
  });
  return { code, stdout, stderr };
}

/** stderr without the progress lines (non-terminal progress prints one line per stage, ending in '…'). */
export function stderrLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l !== '' && !/^ltr-rnn: [^:]*…$/.test(l) && !l.startsWith('ltr-rnn: reading '));
}

/** A fresh temporary folder (removed by the returned cleanup). */
export function tempDir(prefix = 'ltr-rnn-cli-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes an array as a `.npy` file and returns its path. */
export function writeNpyFile(dir: string, name: string, array: NpyInput): string {
  const path = join(dir, name);
  writeFileSync(path, encodeNpy(array));
  return path;
}

/** Writes raw bytes (hand-made malformed files) and returns the path. */
export function writeBytes(dir: string, name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/**
 * A `.npy` file from a header text and raw data bytes (the header is padded as NumPy pads it:
 * spaces and a newline up to a multiple of 64 bytes), for crafting malformed files.
 */
export function npyBytes(header: string, data: Uint8Array, o: { version?: 1 | 2; pad?: boolean } = {}): Uint8Array {
  const version = o.version ?? 1;
  const prefix = version === 1 ? 10 : 12;
  let h = header;
  if (o.pad !== false) {
    const total = Math.ceil((prefix + h.length + 1) / 64) * 64;
    h = h + ' '.repeat(total - prefix - h.length - 1) + '\n';
  }
  const out = new Uint8Array(prefix + h.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, h.length, true);
  else view.setUint32(8, h.length, true);
  for (let i = 0; i < h.length; i++) out[prefix + i] = h.charCodeAt(i);
  out.set(data, prefix + h.length);
  return out;
}

// ---------------------------------------------------------------------------------------------
// The built command

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The path of the built command, `dist/cli.js`, built first (`npm run build`) when it is missing
 * or older than a file under src/ or scripts/build.mjs. Test files running in parallel take a lock
 * (a folder under node_modules/.cache) so that one builds and the others wait for it.
 */
export function builtCli(): string {
  const cli = join(ROOT, 'dist', 'cli.js');
  const stale = (): boolean => !existsSync(cli) || statSync(cli).mtimeMs < Math.max(newestMtime(join(ROOT, 'src')), statSync(join(ROOT, 'scripts', 'build.mjs')).mtimeMs);
  if (!stale()) return cli;
  const cache = join(ROOT, 'node_modules', '.cache', 'ltr-rnn');
  mkdirSync(cache, { recursive: true });
  const lock = join(cache, 'cli-build.lock');
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
    } catch {
      // Another test file is building: wait for it (or take over a lock left by a dead build).
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 240_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for the build lock ${lock}`);
      sleepSync(500);
      continue;
    }
    try {
      if (stale()) execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'pipe' });
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
    return cli;
  }
}

/** A spawned `node dist/cli.js …` with its output collected. */
export interface Spawned {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or 128 + signal number when killed by a signal). */
  exited: Promise<number>;
}

/** Spawns the built command with `args` (stdin ignored, stdout/stderr piped, so not a terminal). */
export function spawnCli(cli: string, args: string[], cwd: string): Spawned {
  const child = spawn(process.execPath, [cli, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number>((resolve) => {
    child.on('close', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : signal === 'SIGKILL' ? 137 : 1)));
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}
