/**
 * The CLI's plumbing without any command running: argument splitting and value parsers, the
 * progress display (terminal bar vs one line per stage vs quiet), tables and JSON output.
 */
import { describe, expect, it } from 'vitest';
import { UsageError, parseCommand, parseIntegerList, parseSeeds, splitCommand } from '../../src/cli/args';
import { num, table, toJSONText } from '../../src/cli/format';
import { Progress, etaText, renderBar } from '../../src/cli/progress';

describe('argument parsing', () => {
  it('finds the command after global flags and their values', () => {
    expect(splitCommand(['--backend', 'cpu', '--seed', '3', 'fit', 'x.npy', '--ranks', '1-3'])).toEqual({ command: 'fit', rest: ['--backend', 'cpu', '--seed', '3', 'x.npy', '--ranks', '1-3'] });
    expect(splitCommand(['--json', 'bounds'])).toEqual({ command: 'bounds', rest: ['--json'] });
    expect(splitCommand(['--seed=4', 'rank', 'a.npy'])).toEqual({ command: 'rank', rest: ['--seed=4', 'a.npy'] });
    expect(splitCommand(['--version'])).toEqual({ command: null, rest: ['--version'] });
  });

  it('parses rank lists and ranges, seeds as a count or a list', () => {
    expect(parseIntegerList('--ranks', '1-6')).toEqual([1, 2, 3, 4, 5, 6]);
    expect(parseIntegerList('--ranks', '1,2,4')).toEqual([1, 2, 4]);
    expect(parseIntegerList('--ranks', '1-3, 8')).toEqual([1, 2, 3, 8]);
    expect(parseSeeds('--seeds', '3', 0)).toEqual([0, 1, 2]);
    expect(parseSeeds('--seeds', '2', 10)).toEqual([10, 11]);
    expect(parseSeeds('--seeds', '0,5,9', 0)).toEqual([0, 5, 9]);
    expect(parseSeeds('--seeds', '7-7', 0)).toEqual([7]);
    expect(() => parseIntegerList('--ranks', '3-1')).toThrow(/empty/);
    expect(() => parseIntegerList('--ranks', '1,1')).toThrow(/twice/);
    expect(() => parseIntegerList('--ranks', 'a')).toThrow(UsageError);
    expect(() => parseIntegerList('--ranks', '0-2', { min: 1 })).toThrow(/≥ 1/);
  });

  it('turns parseArgs errors into usage errors naming the command and the flag', () => {
    const flags = { rank: { type: 'string' as const } };
    const pos = { min: 1, max: 1, names: ['tensor.npy'] };
    expect(() => parseCommand('cp', ['x.npy', '--rnak', '2'], flags, pos)).toThrow(/unknown option '--rnak' for 'ltr-rnn cp' \(did you mean --rank\?\)/);
    expect(() => parseCommand('cp', ['x.npy', '--rank'], flags, pos)).toThrow(/option '--rank' needs a value/);
    expect(() => parseCommand('cp', ['x.npy', '--json=1'], flags, pos)).toThrow(/takes no value/);
    expect(() => parseCommand('cp', [], flags, pos)).toThrow(/'ltr-rnn cp' needs <tensor.npy>/);
    expect(() => parseCommand('cp', ['a.npy', 'b.npy'], flags, pos)).toThrow(/unexpected argument 'b.npy'/);
    expect(() => parseCommand('cp', ['a.npy', '--seed', '1.5'], flags, pos)).toThrow(/--seed must be an integer/);
    const ok = parseCommand('cp', ['a.npy', '--rank', '2', '--seed=-3', '--json'], flags, pos);
    expect(ok.values.rank).toBe('2');
    expect(ok.positionals).toEqual(['a.npy']);
    expect(ok.globals).toMatchObject({ seed: -3, json: true, quiet: false, backend: null });
  });
});

describe('progress', () => {
  it('draws a bar with percentage, count and ETA', () => {
    const line = renderBar({ name: 'fits', done: 5, total: 20, unit: 'fits', elapsedMs: 10_000, columns: 100 });
    expect(line).toMatch(/^fits \[#+-+\]\s+25 %\s+5\/20 fits\s+ETA 30 s$/);
    expect(renderBar({ name: 'x', done: 20, total: 20, elapsedMs: 1, columns: 80 })).toMatch(/100 %.*done/);
    // A long stage name is shortened; the percentage, count and ETA stay visible.
    const long = renderBar({ name: 'cross-validation, 6 ranks × 1 latent size × 3 seeds', done: 1, total: 4, elapsedMs: 1000, message: 'rank 1 seed 0 step 10/40', columns: 60 });
    expect([...long].length).toBeLessThanOrEqual(59);
    expect(long).toMatch(/^cross-validation, 6 ranks… \[#+-+\]\s+25 %\s+1\/4\s+ETA 3 s/);
    expect(etaText(3_723_000)).toBe('1 h 02 min');
    expect(etaText(65_000)).toBe('1 min 05 s');
  });

  it('redraws in place on a terminal, prints one line per stage otherwise, nothing when quiet', () => {
    let t = 0;
    const now = (): number => t;
    let tty = '';
    const p1 = new Progress({ write: (s: string) => (tty += s) }, { tty: true, quiet: false, now, interval: 100 });
    p1.stage('fitting', 10, 'fits');
    t = 50;
    p1.update(1); // throttled: within 100 ms of the last draw
    t = 2000;
    p1.update(2);
    p1.end();
    expect(tty.split('\r\x1b[2K').filter(Boolean)).toEqual([expect.stringMatching(/^fitting \[-+\]\s+0 %/), expect.stringMatching(/^fitting \[#+-+\]\s+20 %\s+2\/10 fits\s+ETA 8 s$/)]);
    expect(tty.endsWith('\r\x1b[2K')).toBe(true);
    expect(tty).not.toContain('\n');

    let plain = '';
    const p2 = new Progress({ write: (s: string) => (plain += s) }, { tty: false, quiet: false, now });
    p2.stage('reading x.npy');
    p2.stage('fitting', 10, 'fits');
    p2.update(3);
    p2.end();
    expect(plain).toBe('ltr-rnn: reading x.npy…\nltr-rnn: fitting (10 fits)…\n');

    let quiet = '';
    const p3 = new Progress({ write: (s: string) => (quiet += s) }, { tty: true, quiet: true, now });
    p3.stage('fitting', 10);
    p3.update(5);
    p3.end();
    expect(quiet).toBe('');
  });
});

describe('output', () => {
  it('aligns tables and right-aligns numeric columns', () => {
    expect(table(['name', 'value'], [['a', '1.5'], ['bbb', '10']])).toBe('name  value\n----  -----\na       1.5\nbbb      10');
    expect(num(Number.NaN)).toBe('—');
    expect(num(0.000123456)).toBe('1.235e-4');
    expect(num(0.123456)).toBe('0.1235');
    expect(num(Number.POSITIVE_INFINITY)).toBe('∞');
  });

  it('writes JSON that parses back: NaN/Infinity as null, typed arrays as arrays', () => {
    const text = toJSONText({ a: Number.NaN, b: [1, Number.POSITIVE_INFINITY], c: new Float32Array([0.5, 2]) });
    expect(JSON.parse(text)).toEqual({ a: null, b: [1, null], c: [0.5, 2] });
  });
});
