/** Backends the library can run on; every one gives the same API and (within float32) the same numbers. */
export const BACKEND_NAMES = ['cpu', 'wasm', 'webgl', 'webgpu', 'tensorflow'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** npm package that provides each backend. */
export const BACKEND_PACKAGES: Record<BackendName, string> = {
  cpu: '@tensorflow/tfjs-backend-cpu',
  wasm: '@tensorflow/tfjs-backend-wasm',
  webgl: '@tensorflow/tfjs-backend-webgl',
  webgpu: '@tensorflow/tfjs-backend-webgpu',
  tensorflow: '@tensorflow/tfjs-node',
};

/**
 * The backend used when the user never calls `useBackend`. wasm (SIMD) beats the plain-JS cpu
 * backend 25–40× on matrix products and 1.5–37× on the library's whole workloads (RNN unroll,
 * CP-ALS); see docs/backends.md and `npm run bench backends`.
 */
export const DEFAULT_BACKEND: BackendName = 'wasm';
