// Package quality, run by CI after `npm run build` (`npm run check:package`):
//   1. publint --strict: package.json fields and exports point at files that exist, in the right format;
//   2. @arethetypeswrong/cli (node16 profile): every subpath's types resolve, for import and require;
//   3. `npm pack` contents: dist/ and the top-level documents only (no tests, sources, benchmarks
//      or their results, examples, API docs);
//   4. the packed tarball's size against a budget (printed every run);
//   5. the package bundles for the browser with plain esbuild (every subpath), and its size;
//   6. the typedoc API reference (`npm run docs`, into docs/api/, not committed) builds without warnings.
// Every check runs; failures are listed at the end and make the exit status 1.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
/**
 * Budget for the packed tarball (`npm pack`), KiB. 512 until the tasks, report and cli layers
 * (629 KiB with them: the command alone is 63 KiB unpacked); raised to 768 with that growth.
 */
const BUDGET_KIB = 768;
const SUBPATHS = ['', '/backend', '/linalg', '/cp', '/rnn', '/train', '/rank', '/fit', '/tasks', '/report', '/io'];
const bin = (name) => join(root, 'node_modules', '.bin', name);
const results = [];

function record(name, ok, detail) {
  results.push({ name, ok, detail });
  console.log(`${ok ? '✓' : '✗'} ${name}${detail ? `: ${detail}` : ''}`);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

// 1. publint
{
  const r = run(bin('publint'), ['--strict']);
  record('publint --strict', r.ok, r.ok ? 'all good' : `\n${r.out}`);
}

// 2. attw
{
  const r = run(bin('attw'), ['--pack', '.', '--profile', 'node16', '--format', 'table-flipped']);
  record('attw --profile node16', r.ok, r.ok ? 'every subpath resolves to matching types for import and require' : `\n${r.out}`);
}

// 3 + 4. npm pack contents and size
let pack;
{
  const r = run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts']);
  try {
    pack = JSON.parse(r.out.slice(r.out.indexOf('[')))[0];
  } catch {
    record('npm pack', false, r.out);
  }
}
if (pack) {
  const allowed = /^(dist\/|package\.json$|README\.md$|CHANGELOG\.md$|LICENSE$|CITATION\.cff$)/;
  const forbidden = /(^|\/)(test|tests|bench|results|examples|src|docs)\/|\.test\.|\.tgz$|\.gpu\/|\.gl\//;
  const bad = pack.files.map((f) => f.path).filter((p) => !allowed.test(p) || forbidden.test(p));
  const byDir = {};
  for (const f of pack.files) {
    const d = f.path.startsWith('dist/') ? f.path.split('/').slice(0, 2).join('/').replace(/\.(c?js|d\.ts(\.map)?)$/, '.*') : f.path;
    byDir[d] = (byDir[d] ?? 0) + f.size;
  }
  console.log(`  npm pack: ${pack.entryCount} files, unpacked ${(pack.unpackedSize / 1024).toFixed(0)} KiB:`);
  for (const [d, s] of Object.entries(byDir).sort((a, b) => b[1] - a[1])) console.log(`    ${(s / 1024).toFixed(1).padStart(7)} KiB  ${d}`);
  record('npm pack contents', bad.length === 0, bad.length === 0 ? 'dist/ and the top-level documents only' : `unexpected files:\n    ${bad.join('\n    ')}`);
  const kib = pack.size / 1024;
  record(`tarball size budget (${BUDGET_KIB} KiB)`, kib <= BUDGET_KIB, `${pack.filename} is ${kib.toFixed(0)} KiB packed, ${((100 * kib) / BUDGET_KIB).toFixed(0)} % of the budget`);
}

// 5. browser bundle
{
  const contents = SUBPATHS.map((s, i) => `import * as m${i} from 'ltr-rnn${s}';`).join('\n') + `\nconsole.log(${SUBPATHS.map((_, i) => `Object.keys(m${i}).length`).join(' + ')});\n`;
  try {
    const r = await esbuild.build({
      stdin: { contents, resolveDir: root, sourcefile: 'browser-entry.js', loader: 'js' },
      bundle: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      minify: true,
      write: false,
      logLevel: 'silent',
    });
    const code = r.outputFiles[0].contents;
    const warnings = r.warnings.map((w) => `${w.text} (${w.location?.file}:${w.location?.line})`);
    record(
      'browser bundle (esbuild --platform=browser, every subpath)',
      true,
      `${(code.length / 1024).toFixed(0)} KiB minified, ${(gzipSync(code).length / 1024).toFixed(0)} KiB gzipped, with tfjs-core, the cpu and wasm backends and zod` +
        (warnings.length ? `; ${warnings.length} warnings:\n    ${[...new Set(warnings)].join('\n    ')}` : ''),
    );
  } catch (e) {
    const errors = (e.errors ?? []).map((x) => `${x.text} (${x.location?.file}:${x.location?.line}: ${x.location?.lineText?.trim()})`);
    record('browser bundle (esbuild --platform=browser, every subpath)', false, `\n    ${errors.length ? errors.join('\n    ') : e.message}`);
  }
}

// 6. API docs
{
  const r = run('npm', ['run', '--silent', 'docs']);
  const warnings = r.out.split('\n').filter((l) => /warning|error/i.test(l));
  record('typedoc (npm run docs → docs/api/) without warnings', r.ok && warnings.length === 0, r.ok && warnings.length === 0 ? 'built' : `\n    ${warnings.join('\n    ') || r.out}`);
}

const failed = results.filter((r) => !r.ok);
console.log(`\npackage checks: ${results.length - failed.length} passed, ${failed.length} failed${failed.length ? ` (${failed.map((f) => f.name).join('; ')})` : ''}`);
process.exit(failed.length === 0 ? 0 : 1);
