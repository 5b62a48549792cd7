/**
 * The browser side of test/browser/browser.test.ts, bundled by esbuild for the browser: imports
 * the GPU backend packages (a bundled app imports them itself; the library then finds them
 * registered) and exposes `window.ltrTest.run(backend)`, which switches backend, runs the shared
 * cases and returns their numbers with the backend's info and timings.
 */
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend, type BackendInfo, type BackendName } from '../../src/backend';
import { runCases, type CaseName, type CaseResult } from './cases';

/** What one `run` sends back to the test. */
export interface PageRun {
  info: BackendInfo;
  results: Record<string, CaseResult>;
  ms: number;
  tensorsBefore: number;
  tensorsAfter: number;
}

async function run(name: BackendName, cases: CaseName[]): Promise<PageRun> {
  const info = await useBackend(name, name === 'wasm' ? { wasmPaths: '/wasm/' } : undefined);
  const tensorsBefore = tf.memory().numTensors;
  const t0 = performance.now();
  const results = await runCases(cases);
  return { info, results, ms: performance.now() - t0, tensorsBefore, tensorsAfter: tf.memory().numTensors };
}

(window as unknown as { ltrTest: unknown }).ltrTest = { run, ready: true };
