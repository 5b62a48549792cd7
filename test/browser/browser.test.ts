/**
 * The library in a real browser: headless Chromium (playwright-core, the system's Chromium) loads
 * a page bundled by esbuild from the library's sources with the WebGL and WebGPU backend packages,
 * and runs the shared CP and RNN cases (./cases.ts: CP-ALS; an ltrRNN simulation with the
 * gradients of a readout loss) on cpu, wasm (SIMD, binaries located by the `wasmPaths` URL
 * option), webgl (SwiftShader) and webgpu (Dawn on SwiftShader Vulkan). Each backend's numbers
 * must agree with Node's cpu results within 1e-3 relative. (The `train` case runs in Node's
 * webgpu test; here it would only add shader compilation, which dominates on SwiftShader:
 * ~10 s per GPU backend for the first call of each case, under 1 s for the second.)
 *
 * Without Chromium the suite is skipped with a loud message; `.ci/run` installs Chromium first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useBackend } from '../../src/backend';
import { compareResults, runCases, type CaseName, type CaseResult } from './cases';
import { chromiumMissing, launch, serve, type Browser } from './harness';
import type { PageRun } from './page';

const missing = chromiumMissing();
if (missing !== null) console.warn(`\n*** SKIPPING browser tests: ${missing} ***\n`);

const CASES: CaseName[] = ['cp', 'rnn'];
/** SwiftShader compiles every shader on the CPU; on a loaded 2-core CI machine that takes a while. */
const GPU_TIMEOUT = 240_000;
const here = fileURLToPath(new URL('.', import.meta.url));
const wasmDir = fileURLToPath(new URL('../../node_modules/@tensorflow/tfjs-backend-wasm/dist/', import.meta.url));

describe.runIf(missing === null)('in headless Chromium', () => {
  let out: string;
  let server: Awaited<ReturnType<typeof serve>>;
  let browser: Browser;
  let reference: Record<string, CaseResult>;

  beforeAll(async () => {
    await useBackend('cpu');
    reference = await runCases(CASES);
    out = mkdtempSync(join(tmpdir(), 'ltr-browser-test-'));
    await build({
      entryPoints: [join(here, 'page.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      outfile: join(out, 'page.js'),
      logLevel: 'error',
      // src/io reads files with a dynamic import('node:fs/promises') that never runs in a browser.
      plugins: [{ name: 'node-builtins', setup: (b) => b.onResolve({ filter: /^node:/ }, (a) => ({ path: a.path, external: true })) }],
    });
    writeFileSync(join(out, 'index.html'), '<!doctype html><meta charset="utf-8"><title>ltr-rnn test</title><script type="module" src="/page.js"></script>\n');
    // The browser example (examples/browser), built from the library's sources.
    execFileSync(process.execPath, [join(here, '../../examples/browser/build.mjs'), '--from-src', '--outdir', join(out, 'example')], { stdio: 'pipe' });
    server = await serve({ '/wasm/': wasmDir, '/': out });
    browser = await launch();
    await browser.page.goto(`${server.origin}/`);
    await browser.page.waitForFunction(() => (window as unknown as { ltrTest?: { ready: boolean } }).ltrTest?.ready === true, undefined, { timeout: 30_000 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  const runIn = async (name: string): Promise<PageRun> => {
    try {
      return await browser.page.evaluate(([n, c]) => (window as unknown as { ltrTest: { run: (n: string, c: string[]) => Promise<PageRun> } }).ltrTest.run(n, c), [name, CASES] as const);
    } catch (e) {
      throw new Error(`${(e as Error).message}\npage log:\n${browser.log.slice(-20).join('\n')}`);
    }
  };

  const expectAgreement = (run: PageRun, name: string): void => {
    expect(run.tensorsAfter, `${name}: tensors left in the page`).toBe(run.tensorsBefore);
    const seen: string[] = [];
    for (const k of Object.keys(reference)) {
      const { worst, at } = compareResults(run.results[k], reference[k]);
      seen.push(`${k} ${worst.toExponential(1)} (${at})`);
      expect(worst, `${name} ${k}: ${at}`).toBeLessThan(1e-3);
    }
    console.log(`browser ${name}: ${Math.round(run.ms)} ms; largest relative difference from Node cpu: ${seen.join(', ')}`);
  };

  it('cpu agrees with Node cpu', async () => {
    const run = await runIn('cpu');
    expect(run.info).toMatchObject({ name: 'cpu', gpu: null });
    expectAgreement(run, 'cpu');
  });

  it('wasm (SIMD, binaries from the wasmPaths URL) agrees with Node cpu', async () => {
    const run = await runIn('wasm');
    expect(run.info).toMatchObject({ name: 'wasm', simd: true, gpu: null });
    expectAgreement(run, 'wasm');
  });

  it('webgl (SwiftShader) reports its renderer and limits, and agrees with Node cpu', async () => {
    const run = await runIn('webgl');
    expect(run.info).toMatchObject({ name: 'webgl', float32: true });
    expect(run.info.gpu).toMatchObject({ api: 'webgl', software: true });
    expect(run.info.gpu!.limits.maxTextureSize).toBeGreaterThanOrEqual(4096);
    expect(run.info.gpu!.maxBindingBytes).toBe(4 * run.info.gpu!.limits.maxTextureSize ** 2);
    expectAgreement(run, 'webgl');
  }, GPU_TIMEOUT);

  it('webgpu (Dawn on SwiftShader) reports its adapter and limits, and agrees with Node cpu', async () => {
    const run = await runIn('webgpu');
    expect(run.info).toMatchObject({ name: 'webgpu', float32: true });
    expect(run.info.gpu).toMatchObject({ api: 'webgpu', software: true, featureLevel: 'core' });
    expect(run.info.gpu!.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(2 ** 27);
    expectAgreement(run, 'webgpu');
  }, GPU_TIMEOUT);

  it('the browser example (examples/browser) runs its CP fit and ltrRNN simulation on wasm and shows them', async () => {
    const page = await browser.context.newPage();
    try {
      await page.goto(`${server.origin}/example/`);
      await page.waitForFunction(() => (window as unknown as { ltrExample?: unknown }).ltrExample !== undefined, undefined, { timeout: 30_000 });
      await page.selectOption('#backend', 'wasm');
      await page.click('#run');
      await page.waitForFunction(() => ['ok', 'error'].includes(document.getElementById('status')?.dataset.status ?? ''), undefined, { timeout: 60_000 });
      const log = await page.textContent('#log');
      expect(await page.getAttribute('#status', 'data-status'), log ?? '').toBe('ok');
      expect(log).toMatch(/CP-ALS rank 3 on 40×30×20: relative error 0\.0\d+/);
      expect(await page.locator('#cp-plot polyline').count()).toBe(1);
      expect(await page.locator('#rnn-plot polyline').count()).toBe(3);
      console.log(`browser example on wasm:\n${log}`);
    } finally {
      await page.close();
    }
  }, 120_000);
});
