// Writes a CommonJS twin `x.d.cts` next to every declaration file `x.d.ts` under dist/, with its
// relative imports pointing at the twins (`./a.js` → `./a.cjs`), so that the exports map can give
// `require` users declarations typed as CommonJS (`"require": { "types": "./dist/index.d.cts" }`).
// Without them TypeScript and attw see ESM types for the CommonJS build ("masquerading as ESM").
//   node scripts/cts-declarations.mjs [dist]
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function writeCtsDeclarations(dir) {
  let n = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = join(dir, entry.name);
    if (entry.isDirectory()) n += writeCtsDeclarations(file);
    else if (entry.name.endsWith('.d.ts')) {
      const text = readFileSync(file, 'utf8')
        .replace(/((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]*?)\.js(['"])/g, '$1$2.cjs$3')
        .replace(/\/\/# sourceMappingURL=\S+\.d\.ts\.map\s*$/, '');
      writeFileSync(file.replace(/\.d\.ts$/, '.d.cts'), text);
      n++;
    }
  }
  return n;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2] ?? 'dist';
  console.log(`wrote ${writeCtsDeclarations(dir)} .d.cts files under ${dir}/`);
}
