// Builds dist/: ESM (one entry per layer, shared chunks so that state such as the chosen backend
// exists once), a CommonJS bundle for require() users, and declaration files from tsc.
// Bare imports from our own sources stay external; the one tfjs-core subpath we use
// (register_all_gradients) is bundled, because its ESM files cannot be loaded by Node directly.
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeCtsDeclarations } from './cts-declarations.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const layers = ['backend', 'linalg', 'cp', 'rnn', 'train', 'rank', 'fit', 'tasks', 'report', 'io', 'validate'];
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const version = readFileSync('src/version.ts', 'utf8').match(/VERSION = '([^']+)'/)?.[1];
if (version !== pkg.version) throw new Error(`src/version.ts says ${version}, package.json says ${pkg.version}`);

const externals = {
  name: 'externals',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      if (args.path.startsWith('@tensorflow/tfjs-core/dist/')) return undefined; // bundle it
      if (args.importer.includes('node_modules') && args.path !== '@tensorflow/tfjs-core') return undefined;
      return { path: args.path, external: true };
    });
  },
};
const common = { bundle: true, platform: 'neutral', mainFields: ['module', 'main'], target: 'es2022', logLevel: 'warning', plugins: [externals], legalComments: 'none' };

rmSync('dist', { recursive: true, force: true });
await esbuild.build({
  ...common,
  // cli: the `ltr-rnn` command (package.json#bin), in the same build so that it shares the chunks
  // (one copy of the library's state) with the entry points users import.
  entryPoints: { index: 'src/index.ts', cli: 'src/cli/bin.ts', ...Object.fromEntries(layers.map((l) => [`${l}/index`, `src/${l}/index.ts`])) },
  outdir: 'dist',
  format: 'esm',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
});
// The command's file is executable and starts with a shebang line.
writeFileSync('dist/cli.js', `#!/usr/bin/env node\n${readFileSync('dist/cli.js', 'utf8')}`);
chmodSync('dist/cli.js', 0o755);
await esbuild.build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/index.cjs', format: 'cjs' });
for (const l of layers) {
  mkdirSync(`dist/${l}`, { recursive: true });
  // One CommonJS copy of the library, so that require('ltr-rnn/cp') and require('ltr-rnn') share state.
  writeFileSync(`dist/${l}/index.cjs`, "'use strict';\nmodule.exports = require('../index.cjs');\n");
}
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
rmSync('dist/cli', { recursive: true, force: true }); // the command is not imported: no declarations for it
addDeclarationExtensions('dist');
writeCtsDeclarations('dist'); // CommonJS-typed twins for require users (after the extensions are added)
console.log('built dist/');

// Our sources use extension-less relative imports (bundler style); declaration files must spell
// `./x.js` or `./x/index.js` for TypeScript users on node16/nodenext resolution.
function addDeclarationExtensions(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = join(dir, entry.name);
    if (entry.isDirectory()) addDeclarationExtensions(file);
    else if (entry.name.endsWith('.d.ts')) {
      const text = readFileSync(file, 'utf8');
      const fixed = text.replace(/((?:from|import)\s*\(?\s*['"])(\.{1,2}(?:\/[^'"]*)?)(['"])/g, (m, pre, spec, post) => {
        if (/\.(js|cjs|mjs|json)$/.test(spec)) return m;
        if (existsSync(join(dir, `${spec}.d.ts`))) return `${pre}${spec}.js${post}`;
        if (existsSync(join(dir, spec, 'index.d.ts'))) return `${pre}${spec.replace(/\/$/, '')}/index.js${post}`;
        throw new Error(`${file}: cannot resolve declaration import '${spec}'`);
      });
      if (fixed !== text) writeFileSync(file, fixed);
    }
  }
}
