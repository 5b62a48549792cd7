/**
 * Tiny benchmark harness shared by every `bench/*.bench.ts`: medians over repeated runs, ratios
 * taken within one process, results written as JSON under `bench/results/`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

export interface Timing {
  /** Median wall time of one call, milliseconds. */
  medianMs: number;
  minMs: number;
  maxMs: number;
  reps: number;
}

/** Runs `fn` `warmup` times untimed, then `reps` times timed; returns the median and spread. */
export async function measure(fn: () => unknown | Promise<unknown>, opts: { warmup?: number; reps?: number } = {}): Promise<Timing> {
  const warmup = opts.warmup ?? 2;
  const reps = opts.reps ?? 7;
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)], minMs: times[0], maxMs: times[times.length - 1], reps };
}

/** Where bench JSON goes: `bench/results/<name>.json`. */
export function writeResults(name: string, results: unknown): string {
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform}-${process.arch}` };
  writeFileSync(file, JSON.stringify({ name, date: new Date().toISOString(), machine, results }, null, 2) + '\n');
  return file;
}

/** Formats milliseconds for a table. */
export const fmtMs = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(4));
