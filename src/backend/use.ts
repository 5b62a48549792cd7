import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { z } from 'zod';
import { LtrError } from '../validate/errors';
import { parseOptions } from '../validate/options';
import { BACKEND_NAMES, BACKEND_PACKAGES, DEFAULT_BACKEND, type BackendName } from './names';
import { loadBackendModule, packageVersionOf, type BackendModule } from './load';
import { describeWebGl, describeWebGpu, ensureNavigatorGpu, guardWebGpu, registerWebGpuFactory, setActiveGpu, webgpuFailure, type GpuInfo } from './gpu';

// The cpu backend is imported statically: it is the always-present fallback, so that tensors can
// be built synchronously before any backend was chosen. Every other backend loads on demand.

/** What the active backend is and what it can do. */
export interface BackendInfo {
  /** Backend name as tfjs knows it. */
  name: BackendName;
  /** npm package providing it, and that package's version. */
  packageName: string;
  packageVersion: string;
  /** wasm: SIMD instructions in use. Other backends: false. */
  simd: boolean;
  /** wasm: multi-threaded build in use (needs SharedArrayBuffer; never in Node). */
  threads: boolean;
  /** Threads the backend computes with (1 for cpu, wasm without threads and GPU backends' host side). */
  numThreads: number;
  /** Bits of float precision of the backend's storage: 32, or 16 on GPUs without float32 textures. */
  floatPrecision: 16 | 32;
  /** True when arithmetic and storage are full IEEE float32 (floatPrecision 32). */
  float32: boolean;
  /** The backend's epsilon (smallest value added to avoid division by zero, 1e-7 at float32). */
  epsilon: number;
  /** True when the library chose this backend because no `useBackend` call was made. */
  isDefault: boolean;
  /**
   * webgpu and webgl: the adapter (vendor, architecture, device, software or not, limits and the
   * largest tensor one op may bind); null on cpu, wasm and tensorflow.
   */
  gpu: GpuInfo | null;
}

/** Options of {@link useBackend}. */
export const useBackendOptions = z
  .object({
    /**
     * wasm: where the `.wasm` binaries are — a directory path/URL prefix ending in `/`, or a map from
     * file name (`tfjs-backend-wasm.wasm`, `tfjs-backend-wasm-simd.wasm`,
     * `tfjs-backend-wasm-threaded-simd.wasm`) to path/URL. Not needed in Node: the installed
     * package's own files are found. Needed with bundlers and CDNs.
     */
    wasmPaths: z.union([z.string().min(1), z.record(z.string(), z.string())]).optional(),
    /** wasm with threads (browsers, cross-origin isolated pages): number of threads. */
    numThreads: z.number().int().positive().optional(),
    /** webgpu: which adapter to ask for (default `'high-performance'`, the discrete GPU on laptops). */
    powerPreference: z.enum(['high-performance', 'low-power']).default('high-performance'),
    /**
     * webgpu in Node: flags for the `webgpu` package's `create()` (Dawn toggles), e.g.
     * `['backend=opengles']` for Mesa's OpenGL ES (with EGL_PLATFORM=surfaceless). Fixed at the
     * first WebGPU start of the process. Default none (Vulkan).
     */
    webgpuFlags: z.array(z.string().min(1)).default([]),
  })
  .strict();
export type UseBackendOptions = z.input<typeof useBackendOptions>;

let userChosen: BackendName | null = null;
let defaultInfo: BackendInfo | null = null;
const modules = new Map<BackendName, BackendModule>();
let queue: Promise<unknown> = Promise.resolve();

/**
 * Switches the library (and tfjs) to backend `name`: imports its package on first use, waits until
 * it is initialized, and returns what it is. On any failure the previous backend stays active and
 * an {@link LtrError} says how to fix it (which package to install, where the wasm files are).
 *
 * @example
 * ```ts
 * const info = await useBackend('wasm');
 * console.log(info.simd); // true in Node 20
 * ```
 */
export function useBackend(name: BackendName, options?: UseBackendOptions): Promise<BackendInfo> {
  // Serialized: two overlapping switches would leave tfjs on whichever finished last.
  const run = queue.then(() => switchTo(name, options, false));
  queue = run.catch(() => undefined);
  return run;
}

/**
 * Makes sure a backend is ready: if the user never called {@link useBackend}, activates the
 * default ({@link DEFAULT_BACKEND}, falling back to cpu if it cannot start). Every async public
 * function of the library awaits this first. Returns the active backend's info.
 */
export function ready(): Promise<BackendInfo> {
  if (userChosen !== null || defaultInfo !== null) {
    const run = queue.then(() => backendInfo());
    return run;
  }
  const run = queue.then(async () => {
    if (userChosen !== null || defaultInfo !== null) return backendInfo();
    try {
      defaultInfo = await switchTo(DEFAULT_BACKEND, undefined, true);
    } catch {
      defaultInfo = await switchTo('cpu', undefined, true);
    }
    return defaultInfo;
  });
  queue = run.catch(() => undefined);
  return run;
}

async function switchTo(name: BackendName, options: UseBackendOptions | undefined, isDefault: boolean): Promise<BackendInfo> {
  if (!(BACKEND_NAMES as readonly string[]).includes(name)) {
    throw new LtrError('invalid-option', `Unknown backend '${String(name)}'. Use one of: ${BACKEND_NAMES.join(', ')}.`, { path: 'name' });
  }
  const opts = parseOptions(useBackendOptions, options, 'options');
  const gpuRequest = { powerPreference: opts.powerPreference, flags: opts.webgpuFlags };
  // navigator.gpu must exist before tfjs-backend-webgpu is imported (Node: from the webgpu package).
  if (name === 'webgpu' && tf.engine().registry['webgpu'] == null) await ensureNavigatorGpu(gpuRequest);
  const mod = await loadBackendModule(name);
  modules.set(name, mod);
  if (name === 'wasm') configureWasm(mod, opts);
  if (name === 'webgpu') registerWebGpuFactory(mod, gpuRequest);
  if (tf.findBackendFactory(name) == null) {
    // tfjs-backend-webgl registers itself only where it detects a browser.
    const why = name === 'webgl' ? failureMessage(name) : `Package ${BACKEND_PACKAGES[name]} loaded but registered no '${name}' backend. Check that its version is ${tf.version_core}, like @tensorflow/tfjs-core.`;
    throw new LtrError('backend-unavailable', why, { path: 'name' });
  }
  const previous = currentName();
  let ok = false;
  let cause: unknown;
  try {
    ok = await tf.setBackend(name);
  } catch (err) {
    cause = err;
  }
  if (!ok) {
    // tfjs has already set its backend name to the failed one: put the previous one back.
    if (previous !== null && previous !== name) await tf.setBackend(previous);
    throw new LtrError('backend-unavailable', failureMessage(name), { path: 'name', cause });
  }
  await tf.ready();
  if (!isDefault) userChosen = name;
  return describe(name, isDefault);
}

function configureWasm(mod: BackendModule, opts: z.output<typeof useBackendOptions>): void {
  if (tf.engine().registry['wasm'] != null) return; // already initialized: paths can no longer change
  try {
    if (opts.wasmPaths !== undefined) (mod.setWasmPaths as (p: unknown) => void)(opts.wasmPaths);
    if (opts.numThreads !== undefined) (mod.setThreadsCount as (n: number) => void)(opts.numThreads);
  } catch (err) {
    throw new LtrError('backend-unavailable', `Backend 'wasm' cannot be configured: ${(err as Error).message}. A failed start cannot be retried in the same process; restart it with the right options.wasmPaths.`, { path: 'options.wasmPaths', cause: err });
  }
}

function failureMessage(name: BackendName): string {
  switch (name) {
    case 'wasm':
      return "Backend 'wasm' failed to start: its .wasm binaries were not found or not loadable. In Node they come from the installed @tensorflow/tfjs-backend-wasm; with a bundler or CDN pass options.wasmPaths (the folder that holds tfjs-backend-wasm*.wasm, ending in '/'). A failed start cannot be retried in the same process.";
    case 'webgl':
      return "Backend 'webgl' cannot start here: no WebGL context (WebGL needs a browser; in Node use 'wasm', or 'webgpu' with a GPU).";
    case 'webgpu': {
      const why = webgpuFailure();
      return `Backend 'webgpu' failed to start${why ? `: ${(why as Error).message ?? String(why)}` : ': no WebGPU adapter'}. Browsers: WebGPU needs a secure context and a supporting browser. Node: the 'webgpu' package and a Vulkan driver (libvulkan1 and the vendor's ICD); without a GPU, Dawn also runs on SwiftShader (VK_ICD_FILENAMES) or Mesa's OpenGL ES (EGL_PLATFORM=surfaceless, webgpuFlags: ['backend=opengles']). Use 'wasm' meanwhile.`;
    }
    default:
      return `Backend '${name}' failed to start; see the cause for the underlying error.`;
  }
}

function currentName(): BackendName | null {
  const n = tf.engine().backendName as string | null;
  return n !== null && (BACKEND_NAMES as readonly string[]).includes(n) ? (n as BackendName) : null;
}

function describe(name: BackendName, isDefault: boolean): BackendInfo {
  const backend = tf.backend();
  const mod = modules.get(name);
  const env = tf.env();
  const flag = (f: string): boolean => env.getFlags()[f] === true;
  const simd = name === 'wasm' && flag('WASM_HAS_SIMD_SUPPORT');
  const threads = name === 'wasm' && flag('WASM_HAS_MULTITHREAD_SUPPORT');
  const numThreads = name === 'wasm' && threads && mod?.getThreadsCount ? (mod.getThreadsCount as () => number)() : 1;
  // tfjs-backend-webgl's floatPrecision() answers 16 exactly when float32 render targets ARE
  // enabled (it only probes for underflow when they are not); its storage is then float32.
  const webglFloat32 = name === 'webgl' && env.getBool('WEBGL_RENDER_FLOAT32_ENABLED');
  const floatPrecision = webglFloat32 || backend.floatPrecision() !== 16 ? 32 : 16;
  const gpu = gpuInfoOf(name, backend);
  setActiveGpu(gpu);
  return {
    name,
    packageName: BACKEND_PACKAGES[name],
    packageVersion: mod ? packageVersionOf(mod) : tf.version_core,
    simd,
    threads,
    numThreads,
    floatPrecision,
    float32: floatPrecision === 32,
    epsilon: backend.epsilon(),
    isDefault,
    gpu,
  };
}

const gpuInfos = new WeakMap<tf.KernelBackend, GpuInfo>();

/** The GPU behind a webgpu/webgl backend, described once per backend; WebGPU gets its limit guard here. */
function gpuInfoOf(name: BackendName, backend: tf.KernelBackend): GpuInfo | null {
  if (name !== 'webgpu' && name !== 'webgl') return null;
  let info = gpuInfos.get(backend);
  if (info === undefined) {
    info = name === 'webgpu' ? describeWebGpu(backend) : describeWebGl(backend);
    gpuInfos.set(backend, info);
    if (name === 'webgpu') guardWebGpu(backend, info);
  }
  return info;
}

/**
 * The active backend's info. Before any backend was chosen, tfjs runs on cpu (always present); the
 * first async library call or `await ready()` then switches to the default.
 */
export function backendInfo(): BackendInfo {
  tf.backend(); // initializes tfjs's best registered backend if none is active yet
  const name = tf.getBackend() as BackendName;
  return describe(name, userChosen === null && defaultInfo !== null && defaultInfo.name === name);
}
