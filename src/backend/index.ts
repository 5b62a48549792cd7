/**
 * Backend choice (cpu | wasm | webgl | webgpu | tensorflow) and the library's seeded randomness.
 * @module backend
 */
import './gradients';

export { BACKEND_NAMES, BACKEND_PACKAGES, DEFAULT_BACKEND, type BackendName } from './names';
export { useBackend, ready, backendInfo, useBackendOptions, type BackendInfo, type UseBackendOptions } from './use';
export { checkBufferLimit, type GpuInfo } from './gpu';
export { rng, Rng, toRng, randomNormal, randomUniform, type RngState, type SeedOrRng } from './random';
