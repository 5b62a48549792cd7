import { defineConfig } from 'vitest/config';
import { buildSync } from 'esbuild';
import { fileURLToPath } from 'node:url';

// tfjs-core's gradient registration ships only as ESM files with extension-less imports, which
// Node refuses and which vite would transform file by file (seconds per test file). The package
// build bundles it (scripts/build.mjs); for tests we bundle it once here, the same way, and alias
// the import to that bundle. Its registries are tfjs globals, shared with the main tfjs-core copy.
const gradients = fileURLToPath(new URL('../node_modules/.cache/ltr-rnn/register_all_gradients.mjs', import.meta.url));
buildSync({
  entryPoints: [fileURLToPath(new URL('../node_modules/@tensorflow/tfjs-core/dist/register_all_gradients.js', import.meta.url))],
  bundle: true,
  format: 'esm',
  platform: 'node',
  outfile: gradients,
  logLevel: 'warning',
  external: ['@tensorflow/tfjs-core'],
});

export default defineConfig({
  resolve: { alias: { '@tensorflow/tfjs-core/dist/register_all_gradients': gradients } },
  test: {
    include: ['test/**/*.test.ts'],
    // Two cores in CI: forks keep each file's tfjs engine separate.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
