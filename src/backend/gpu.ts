/**
 * GPU backends (webgpu, webgl): starting WebGPU in Node through the optional `webgpu` package
 * (Dawn), describing the adapter, and guarding against buffers larger than the adapter allows —
 * WebGPU silently computes wrong numbers (zeros) when a tensor exceeds
 * `maxStorageBufferBindingSize`, so the library refuses such tensors with an LtrError instead.
 */
import * as tf from '@tensorflow/tfjs-core';
import { LtrError, type LtrErrorCode } from '../validate/errors';
import type { BackendModule } from './load';

// ---- minimal WebGPU shapes (TypeScript's DOM library has no WebGPU types) ----------------------

interface GpuAdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface GpuLimitsLike {
  [name: string]: unknown;
}
interface GpuDeviceLike {
  limits: GpuLimitsLike;
  features: { has(name: string): boolean };
  adapterInfo?: GpuAdapterInfoLike;
  addEventListener?(type: 'uncapturederror', fn: (e: { error?: { message?: string; constructor?: { name?: string } } }) => void): void;
}
interface GpuAdapterLike {
  limits: GpuLimitsLike;
  features: { has(name: string): boolean; [Symbol.iterator]?(): Iterator<string> };
  info?: GpuAdapterInfoLike;
  featureLevel?: string;
  isFallbackAdapter?: boolean;
  requestAdapterInfo?(): Promise<GpuAdapterInfoLike>;
  requestDevice(descriptor?: Record<string, unknown>): Promise<GpuDeviceLike>;
}
interface GpuLike {
  requestAdapter(options?: Record<string, unknown>): Promise<GpuAdapterLike | null>;
}
interface WebGpuBackendLike extends tf.KernelBackend {
  device: GpuDeviceLike;
  adapterInfo?: { vendor?: string; architecture?: string };
  tensorMap: { get(dataId: object): { dtype: string; shape: number[]; resource: unknown } };
  uploadToGPU(dataId: object): void;
}

/** What the active GPU is (in {@link BackendInfo}`.gpu`; null on cpu, wasm and tensorflow). */
export interface GpuInfo {
  /** Which browser/Node API the backend computes through. */
  api: 'webgpu' | 'webgl';
  /** Vendor as the adapter reports it (`'nvidia'`, `'google'`, …; may be empty). */
  vendor: string;
  /** Architecture (`'hopper'`, `'swiftshader'`, …; may be empty). */
  architecture: string;
  /** Device name (WebGPU) or the unmasked renderer string (WebGL); may be empty in browsers. */
  device: string;
  /** Driver description (may be empty). */
  description: string;
  /**
   * True on a software rasterizer (SwiftShader, llvmpipe, lavapipe, WARP, or an adapter flagged
   * as a fallback): correct but slow, and typically with small limits.
   */
  software: boolean;
  /** WebGPU: `'core'`, or `'compatibility'` when only a compatibility-mode adapter was found (e.g. OpenGL ES). */
  featureLevel: 'core' | 'compatibility' | null;
  /**
   * The largest tensor, in bytes, one op may read or write: WebGPU's `maxStorageBufferBindingSize`
   * (capped by `maxBufferSize`); WebGL: MAX_TEXTURE_SIZE² float32 texels. Larger tensors are
   * refused with LtrError `limit-exceeded`.
   */
  maxBindingBytes: number;
  /** The device limits that matter here (WebGPU names; WebGL: `maxTextureSize`). */
  limits: Record<string, number>;
}

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b|software/i;
const LIMIT_NAMES = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
] as const;

/** How to get a WebGPU adapter (from {@link useBackend}'s options). */
export interface WebGpuRequest {
  powerPreference: 'high-performance' | 'low-power';
  /** Node only: flags for the `webgpu` package's `create()` (Dawn toggles such as `backend=opengles`). */
  flags: readonly string[];
}

const isNode = typeof process !== 'undefined' && process.versions?.node != null && typeof (globalThis as { window?: unknown }).window === 'undefined';

function importOptional(specifier: string): Promise<BackendModule> {
  return import(/* @vite-ignore */ /* webpackIgnore: true */ specifier) as Promise<BackendModule>;
}

function navigatorGpu(): GpuLike | undefined {
  return (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
}

let nodeFlags: readonly string[] | null = null;

/**
 * Makes `navigator.gpu` exist. Browsers have it (or do not support WebGPU). In Node, loads the
 * optional `webgpu` package (Dawn; its prebuilt `dist/<platform>-<arch>/dawn.node` is loaded
 * directly, no install script or network needed), installs its `GPU*` globals and
 * `navigator.gpu = create(flags)`. Must run before `@tensorflow/tfjs-backend-webgpu` is imported,
 * which registers itself only where `navigator.gpu` exists.
 */
export async function ensureNavigatorGpu(request: WebGpuRequest): Promise<void> {
  if (navigatorGpu() != null) {
    if (nodeFlags !== null && request.flags.join(' ') !== nodeFlags.join(' ')) {
      throw new LtrError('invalid-option', `options.webgpuFlags: WebGPU was already created in this process with flags [${nodeFlags.join(', ')}]; Dawn's flags cannot change afterwards. Restart the process to use [${request.flags.join(', ')}].`, { path: 'options.webgpuFlags' });
    }
    return;
  }
  if (!isNode) {
    throw new LtrError('backend-unavailable', "Backend 'webgpu': this browser has no WebGPU (navigator.gpu is missing; it needs a secure context — https or localhost — and a browser with WebGPU enabled). Use 'webgl' or 'wasm'.", { path: 'name' });
  }
  let mod: BackendModule;
  try {
    mod = await importOptional('webgpu');
  } catch (err) {
    const missing = /Cannot find (module|package)|ERR_MODULE_NOT_FOUND/.test(String((err as Error)?.message) + String((err as { code?: string })?.code));
    throw new LtrError(
      'backend-unavailable',
      missing
        ? "Backend 'webgpu' in Node needs the package webgpu (Dawn), which is not installed. Run: npm install webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0"
        : `Backend 'webgpu': loading the webgpu package (dawn.node) failed: ${(err as Error).message}`,
      { path: 'name', cause: err },
    );
  }
  const create = mod.create as (flags: string[]) => GpuLike;
  const globals = (mod.globals ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(globals)) {
    if (!(k in globalThis)) Object.defineProperty(globalThis, k, { value: v, configurable: true, writable: true });
  }
  const gpu = create([...request.flags]);
  const g = globalThis as { navigator?: object };
  if (g.navigator != null) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  nodeFlags = [...request.flags];
}

/** Adapter and device of the one WebGPU backend this process makes (set by our factory). */
let chosen: { adapter: GpuAdapterLike; featureLevel: 'core' | 'compatibility' } | null = null;
/** Why the last WebGPU start failed (tfjs only logs it). */
let lastFailure: unknown = null;

/** Why our WebGPU factory failed the last time, if it did. */
export function webgpuFailure(): unknown {
  return lastFailure;
}

/**
 * Registers the library's own WebGPU factory (replacing tfjs's, which it mirrors): requests a
 * `powerPreference` adapter, falls back to a compatibility-mode adapter (OpenGL ES) when no core
 * one exists, asks for the adapter's own limits, and keeps the adapter for {@link GpuInfo}. Only
 * possible when the backend package's `WebGPUBackend` class is at hand (not when a bundler
 * registered tfjs's factory from a package we could not import; that one is used as is).
 */
export function registerWebGpuFactory(mod: BackendModule, request: WebGpuRequest): void {
  const WebGPUBackend = mod.WebGPUBackend as (new (device: GpuDeviceLike, info?: GpuAdapterInfoLike) => tf.KernelBackend) | undefined;
  if (WebGPUBackend === undefined || tf.engine().registry['webgpu'] != null) return;
  if (tf.findBackendFactory('webgpu') != null) tf.removeBackend('webgpu');
  tf.registerBackend(
    'webgpu',
    async () => {
      try {
        const gpu = navigatorGpu();
        if (gpu == null) throw new Error('navigator.gpu is missing');
        let featureLevel: 'core' | 'compatibility' = 'core';
        let adapter = await gpu.requestAdapter({ powerPreference: request.powerPreference });
        if (adapter == null) {
          adapter = await gpu.requestAdapter({ powerPreference: request.powerPreference, featureLevel: 'compatibility' });
          featureLevel = 'compatibility';
        }
        if (adapter == null) throw new Error(isNode ? 'Dawn found no GPU adapter (no Vulkan driver: install libvulkan1 and the GPU vendor\'s Vulkan ICD; set VK_DRIVER_FILES to it in containers)' : 'navigator.gpu.requestAdapter() returned null');
        const requiredFeatures = ['timestamp-query'].filter((f) => adapter.features.has(f));
        const requiredLimits: Record<string, number> = {};
        for (const k of LIMIT_NAMES) {
          const v = adapter.limits[k];
          if (typeof v === 'number') requiredLimits[k] = v;
        }
        const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
        const info = adapter.info ?? (adapter.requestAdapterInfo ? await adapter.requestAdapterInfo() : undefined);
        chosen = { adapter, featureLevel: adapter.featureLevel === 'compatibility' ? 'compatibility' : featureLevel };
        lastFailure = null;
        return new WebGPUBackend(device, info);
      } catch (err) {
        lastFailure = err;
        throw err;
      }
    },
    3,
  );
}

const guarded = new WeakSet<object>();
let gpuError: { message: string; kind: string } | null = null;

/**
 * Installs the buffer-limit guard on the active WebGPU backend (once per backend): every tensor the
 * backend places on the GPU is checked against `maxBindingBytes` before any command is encoded,
 * and any error the GPU reports later (validation, out of memory) makes the next host read throw
 * instead of returning wrong numbers.
 */
export function guardWebGpu(backend: tf.KernelBackend, info: GpuInfo): void {
  if (guarded.has(backend)) return;
  guarded.add(backend);
  const b = backend as WebGpuBackendLike;
  const upload = b.uploadToGPU.bind(b);
  b.uploadToGPU = (dataId: object): void => {
    const d = b.tensorMap.get(dataId);
    if (d != null && d.resource == null) {
      const bytes = 4 * d.shape.reduce((a, c) => a * c, 1);
      if (bytes > info.maxBindingBytes) throw limitError(`a tensor of shape [${d.shape.join(', ')}]`, bytes, info);
    }
    upload(dataId);
  };
  b.device.addEventListener?.('uncapturederror', (e) => {
    gpuError ??= { message: e.error?.message ?? 'unknown GPU error', kind: e.error?.constructor?.name ?? 'GPUError' };
  });
  const read = backend.read.bind(backend);
  backend.read = async (dataId: object) => {
    const values = await read(dataId);
    if (gpuError !== null) {
      const e = gpuError;
      gpuError = null;
      const code: LtrErrorCode = /larger than|exceed|maximum|out of memory|OutOfMemory/i.test(e.message + e.kind) ? 'limit-exceeded' : 'unsupported';
      throw new LtrError(code, `The GPU rejected an operation (${e.kind}): ${e.message.split('\n')[0]} Results computed since then are not trustworthy, so this read is refused. Use smaller batches or useBackend('wasm').`);
    }
    return values;
  };
}

function limitError(what: string, bytes: number, info: GpuInfo, path = ''): LtrError {
  const limitName = info.api === 'webgpu' ? 'maxStorageBufferBindingSize' : 'MAX_TEXTURE_SIZE² texels';
  return new LtrError(
    'limit-exceeded',
    `${what} needs ${fmtBytes(bytes)}, more than this GPU allows one op to bind (${limitName} = ${fmtBytes(info.maxBindingBytes)}, ${info.api} on ${info.device || info.description || info.vendor || 'this adapter'}). ` +
      `WebGPU would silently compute wrong numbers, so the library refuses it. Use a smaller batch (fewer trials or time steps per call), or useBackend('wasm'), which has no such limit.`,
    { path },
  );
}

function fmtBytes(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : `${(n / 2 ** 20).toFixed(1)} MiB`;
}

/** Describes the active WebGPU backend (adapter chosen by our factory, or tfjs's own). */
export function describeWebGpu(backend: tf.KernelBackend): GpuInfo {
  const b = backend as WebGpuBackendLike;
  const devInfo = b.device.adapterInfo;
  const adInfo = chosen?.adapter.info;
  const src: GpuAdapterInfoLike = adInfo ?? devInfo ?? { vendor: b.adapterInfo?.vendor, architecture: b.adapterInfo?.architecture };
  const limits: Record<string, number> = {};
  for (const k of LIMIT_NAMES) {
    const v = b.device.limits[k];
    if (typeof v === 'number') limits[k] = v;
  }
  const vendor = src.vendor ?? '';
  const architecture = src.architecture ?? '';
  const device = src.device ?? '';
  const description = src.description ?? '';
  const fallback = src.isFallbackAdapter === true || chosen?.adapter.isFallbackAdapter === true;
  const binding = limits.maxStorageBufferBindingSize ?? 2 ** 27;
  return {
    api: 'webgpu',
    vendor,
    architecture,
    device,
    description,
    software: fallback || SOFTWARE.test(`${vendor} ${architecture} ${device} ${description}`),
    featureLevel: chosen?.featureLevel ?? 'core',
    maxBindingBytes: Math.min(binding, limits.maxBufferSize ?? binding),
    limits,
  };
}

/** Describes the active WebGL backend from its GL context. */
export function describeWebGl(backend: tf.KernelBackend): GpuInfo {
  const gl = (backend as unknown as { gpgpu?: { gl?: WebGLRenderingContext } }).gpgpu?.gl;
  let vendor = '';
  let device = '';
  let maxTextureSize = tf.env().getNumber('WEBGL_MAX_TEXTURE_SIZE');
  if (gl) {
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    vendor = String(gl.getParameter(ext ? ext.UNMASKED_VENDOR_WEBGL : gl.VENDOR) ?? '');
    device = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
    maxTextureSize = Number(gl.getParameter(gl.MAX_TEXTURE_SIZE));
  }
  return {
    api: 'webgl',
    vendor,
    architecture: '',
    device,
    description: `WebGL ${tf.env().getNumber('WEBGL_VERSION')}`,
    software: SOFTWARE.test(`${vendor} ${device}`),
    featureLevel: null,
    maxBindingBytes: 4 * maxTextureSize * maxTextureSize,
    limits: { maxTextureSize },
  };
}

let activeGpu: GpuInfo | null = null;

/** Set by useBackend after each switch: the GPU in use, or null. */
export function setActiveGpu(info: GpuInfo | null): void {
  activeGpu = info;
}

/**
 * Refuses a tensor the active GPU backend cannot hold in one binding, before any work starts:
 * throws LtrError `limit-exceeded` naming `name`, its size, the limit and the fixes (a smaller
 * batch, or wasm). Does nothing on cpu, wasm and tensorflow, which have no such limit. Layers call
 * it for the largest tensors a call will build (data, stacked states, unfoldings); the WebGPU
 * backend is additionally guarded at every buffer it allocates.
 *
 * @param shape - the tensor's shape.
 * @param name - what the user knows it as (`'x'`, `'options.inputs'`, `'states (time × trials × N)'`).
 * @param bytesPerElement - 4 (float32/int32, default).
 * @throws LtrError `limit-exceeded` on webgpu/webgl when the tensor is too large.
 */
export function checkBufferLimit(shape: readonly number[], name: string, bytesPerElement = 4): void {
  const backend = tf.getBackend();
  if (activeGpu === null || (backend !== 'webgpu' && backend !== 'webgl') || activeGpu.api !== backend) return;
  const bytes = bytesPerElement * shape.reduce((a, c) => a * c, 1);
  if (bytes > activeGpu.maxBindingBytes) throw limitError(`${name} (shape [${shape.join(', ')}])`, bytes, activeGpu, name);
}
