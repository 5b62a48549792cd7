/**
 * Worker threads import the built package (they cannot load TypeScript sources): the file URL of
 * dist/index.js, built first when it is missing (CI builds before testing; this covers a fresh
 * checkout).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

export function distEntry(): string {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const entry = `${root}dist/index.js`;
  if (!existsSync(entry)) execFileSync(process.execPath, [`${root}scripts/build.mjs`], { cwd: root, stdio: 'inherit' });
  return pathToFileURL(entry).href;
}
