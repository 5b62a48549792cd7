// Its own file (own process): wasm paths can only be set before the wasm backend first starts.
import { expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { useBackend } from '../../src/backend';

it('accepts an explicit folder of wasm binaries (what bundler and CDN users pass)', async () => {
  const pkgJson = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json');
  const info = await useBackend('wasm', { wasmPaths: join(dirname(pkgJson), 'dist') + '/' });
  expect(info).toMatchObject({ name: 'wasm', simd: true });
});
