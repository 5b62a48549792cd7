/* global process, console, URL */
// Builds the browser example into examples/browser/dist/: main.ts bundled by esbuild (with
// ltr-rnn as installed, i.e. this package's dist/ — run `npm run build` first), index.html, and
// the tfjs wasm binaries under wasm/ (the page passes that folder as `wasmPaths`).
//
//   node examples/browser/build.mjs            build
//   node examples/browser/build.mjs --serve    build and serve on http://127.0.0.1:8080/
//                                              (localhost is a secure context, as WebGPU needs)
//   node examples/browser/build.mjs --from-src bundle the library's sources instead of dist/
//   node examples/browser/build.mjs --outdir D build into D instead
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const out = join(here, 'dist');
const args = process.argv.slice(2);

export async function buildExample({ fromSrc = false, outdir = out } = {}) {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(join(outdir, 'wasm'), { recursive: true });
  await esbuild.build({
    entryPoints: [join(here, 'main.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    outfile: join(outdir, 'main.js'),
    logLevel: 'warning',
    alias: fromSrc ? { 'ltr-rnn': join(root, 'src', 'index.ts') } : {},
    // readNpy/writeNpy load node:fs lazily and are never called in a browser (Vite leaves such
    // imports out by itself; esbuild needs to be told).
    external: ['node:*'],
  });
  copyFileSync(join(here, 'index.html'), join(outdir, 'index.html'));
  const wasmDir = join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
  for (const f of readdirSync(wasmDir)) if (f.endsWith('.wasm')) copyFileSync(join(wasmDir, f), join(outdir, 'wasm', f));
  return outdir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = args.indexOf('--outdir');
  const built = await buildExample({ fromSrc: args.includes('--from-src'), outdir: i >= 0 ? args[i + 1] : out });
  console.log(`built ${built}`);
  if (args.includes('--serve')) {
    const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };
    createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname.replace(/\/$/, '/index.html');
      try {
        const body = readFileSync(join(out, path.replace(/\.\./g, '')));
        res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' }).end(body);
      } catch {
        res.writeHead(404).end('not found');
      }
    }).listen(8080, '127.0.0.1', () => console.log('open http://127.0.0.1:8080/'));
  }
}
