/**
 * Malformed and unsupported input files → exit code 2 and one line on stderr naming the problem,
 * no stack trace (unless --debug). Hand-made bytes for the malformed cases, plus files written by
 * NumPy (test/io/fixtures, made by make.py) for .npz, big-endian and object arrays.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npyBytes, runCli, stderrLines, tempDir, writeBytes, writeNpyFile } from './helpers';

const FIXTURES = fileURLToPath(new URL('../io/fixtures/', import.meta.url));

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir()));
afterAll(() => cleanup());

const f8 = (values: number[], littleEndian = true): Uint8Array => {
  const b = new Uint8Array(8 * values.length);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => v.setFloat64(8 * i, x, littleEndian));
  return b;
};

/** Runs `argv` and checks: exit 2, nothing on stdout, exactly one non-progress stderr line, no stack. */
async function expectOneLineError(argv: string[], pattern: RegExp): Promise<string> {
  const r = await runCli(argv);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  const lines = stderrLines(r.stderr);
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^ltr-rnn: error: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  return lines[0];
}

describe('malformed .npy files (hand-made bytes)', () => {
  it('bad header: not a dict literal', async () => {
    const file = writeBytes(dir, 'bad-header.npy', npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), ", f8([1, 2, 3, 4, 5, 6])));
    const line = await expectOneLineError(['rank', file], /malformed \.npy header/);
    expect(line).toContain(file);
  });

  it('bad header: a key missing', async () => {
    const file = writeBytes(dir, 'no-shape.npy', npyBytes("{'descr': '<f8', 'fortran_order': False, }", f8([1])));
    await expectOneLineError(['rank', file], /malformed \.npy header: keys must be exactly 'descr', 'fortran_order', 'shape'/);
  });

  it('bad magic: a CSV file', async () => {
    const file = writeBytes(dir, 'table.npy', new TextEncoder().encode('1,2,3\n4,5,6\n'));
    await expectOneLineError(['cp', file, '--rank', '1', '--out', join(dir, 'o')], /not a \.npy file: bad magic string/);
  });

  it('truncated data', async () => {
    const file = writeBytes(dir, 'truncated.npy', npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", f8([1, 2, 3, 4, 5])));
    await expectOneLineError(['rank', file], /truncated \.npy data: shape \(2, 3\) of float64 needs 48 bytes but only 40 bytes follow the header/);
  });

  it('truncated header', async () => {
    const full = npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", f8([1, 2, 3, 4, 5, 6]));
    const file = writeBytes(dir, 'cut.npy', full.subarray(0, 40));
    await expectOneLineError(['rank', file], /truncated \.npy file: the header claims \d+ bytes/);
  });

  it('big-endian data are refused with the fix (the library converts them; the command reads files as stored)', async () => {
    const big = writeBytes(dir, 'big.npy', npyBytes("{'descr': '>f8', 'fortran_order': False, 'shape': (2, 2), }", f8([1, 2, 2, 4.5], false)));
    await expectOneLineError(['rank', big], /big-endian data \('>f8'\).*re-save with arr\.astype\('<f8'\)/);
    await expectOneLineError(['fit', big, '--out', join(dir, 'be')], /big-endian data \('>f8'\)/);
    const little = writeNpyFile(dir, 'little.npy', { data: new Float64Array([1, 2, 2, 4.5]), shape: [2, 2] });
    expect(JSON.parse((await runCli(['rank', little, '--json'])).stdout).numericalRank).toBe(2);
    const cut = writeBytes(dir, 'big-cut.npy', npyBytes("{'descr': '>f8', 'fortran_order': False, 'shape': (2, 2), }", f8([1, 2, 2], false)));
    await expectOneLineError(['rank', cut], /big-endian data \('>f8'\)/); // refused before its length is checked
    const half = writeBytes(dir, 'big-half.npy', npyBytes("{'descr': '>f2', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(4)));
    await expectOneLineError(['rank', half], /unsupported \.npy dtype '>f2': half precision \(float16\) is not supported/);
  });

  it('object arrays (pickled) are refused', async () => {
    const file = writeBytes(dir, 'object.npy', npyBytes("{'descr': '|O', 'fortran_order': False, 'shape': (3,), }", new Uint8Array([0x80, 0x04, 0x95, 0, 0, 0, 0, 0, 0, 0, 0, 0x2e])));
    await expectOneLineError(['fit', file, '--out', join(dir, 'o')], /unsupported \.npy dtype '\|O'/);
  });

  it('--debug adds the stack trace after the same line', async () => {
    const file = writeBytes(dir, 'debug.npy', npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", f8([1])));
    const r = await runCli(['rank', file, '--debug']);
    expect(r.code).toBe(2);
    const lines = stderrLines(r.stderr);
    expect(lines[0]).toMatch(/^ltr-rnn: error: .*truncated \.npy data/);
    expect(lines[1]).toMatch(/^LtrError: /);
    expect(r.stderr).toMatch(/^\s+at .*(npy|files)\.ts/m);
  });
});

describe('files written by NumPy (test/io/fixtures)', () => {
  it('reads one array of a .npz archive with --key; several arrays and no --key is a one-line error', async () => {
    // x = np.arange(6).reshape(2, 3) * 0.5: rows [0, 0.5, 1] and [1.5, 2, 2.5], rank 2.
    for (const npz of ['savez.npz', 'savez_compressed.npz', 'streamed.npz']) {
      const r = await runCli(['rank', join(FIXTURES, npz), '--key', 'x', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ shape: [2, 3], dtype: 'float64', numericalRank: 2 });
    }
    await expectOneLineError(['rank', join(FIXTURES, 'savez.npz')], /holds 2 arrays \("x", "y"\); choose one with --key x/);
    await expectOneLineError(['rank', join(FIXTURES, 'savez.npz'), '--key', 'z'], /no array "z" in this \.npz archive; its arrays are "x", "y"/);
  });

  it('big-endian, object, truncated, bad header', async () => {
    await expectOneLineError(['rank', join(FIXTURES, 'bigendian.npy')], /big-endian data \('>f4'\).*astype\('<f4'\)/);
    await expectOneLineError(['rank', join(FIXTURES, 'object.npy')], /object/);
    await expectOneLineError(['rank', join(FIXTURES, 'truncated.npy')], /truncated \.npy data/);
    await expectOneLineError(['rank', join(FIXTURES, 'bad-header.npy')], /malformed \.npy header/);
    await expectOneLineError(['rank', join(FIXTURES, 'string.npy')], /unsupported \.npy dtype/);
  });

  it('a missing file is one line too', async () => {
    await expectOneLineError(['rank', join(dir, 'nope.npy')], /nope\.npy/);
  });
});
