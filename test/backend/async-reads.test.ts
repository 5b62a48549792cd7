/**
 * GPU backends cannot read synchronously (WebGPU has no synchronous readback; WebGL stalls the
 * page): every host read in the library must be `await t.data()` / `t.array()` / `t.buffer()`.
 * Complements the lint rule in scripts/eslint.config.js, which sees only direct calls.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('../../src', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('host reads in src/ are asynchronous', () => {
  it('no dataSync, arraySync, bufferSync or readSync anywhere in the library (comments aside)', () => {
    const files = sources(src);
    expect(files.length).toBeGreaterThan(20);
    const hits: string[] = [];
    for (const f of files) {
      readFileSync(f, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const code = line.replace(/\/\/.*$/, '').replace(/^\s*\*.*$/, '');
          if (/\b(dataSync|arraySync|bufferSync|readSync)\s*\(/.test(code) || /\[\s*['"](dataSync|arraySync|bufferSync)['"]\s*\]/.test(code)) hits.push(`${f.slice(src.length + 1)}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(hits, hits.join('\n')).toEqual([]);
  });
});
