import * as tf from '@tensorflow/tfjs-core';
import { LtrError } from '../validate/errors';
import { BACKEND_PACKAGES, type BackendName } from './names';

/** A loaded backend module: whatever the package exports (setWasmPaths, version_*, …). */
export type BackendModule = Record<string, unknown>;

// Literal specifiers for the two dependencies, so bundlers can see them; the optional peers go
// through a variable so that a bundler does not fail on a package the user did not install
// (such users import the backend package themselves and it is found registered below).
const importers: Record<BackendName, () => Promise<BackendModule>> = {
  cpu: () => import('@tensorflow/tfjs-backend-cpu'),
  wasm: () => import('@tensorflow/tfjs-backend-wasm'),
  webgl: () => importOptional(BACKEND_PACKAGES.webgl),
  webgpu: () => importOptional(BACKEND_PACKAGES.webgpu),
  tensorflow: () => importOptional(BACKEND_PACKAGES.tensorflow),
};

function importOptional(specifier: string): Promise<BackendModule> {
  return import(/* @vite-ignore */ /* webpackIgnore: true */ specifier) as Promise<BackendModule>;
}

const loaded = new Map<BackendName, BackendModule>();

/** Imports the package of `name` once; a missing package becomes an LtrError saying what to install. */
export async function loadBackendModule(name: BackendName): Promise<BackendModule> {
  const have = loaded.get(name);
  if (have) return have;
  let mod: BackendModule;
  try {
    mod = await importers[name]();
  } catch (err) {
    if (tf.findBackendFactory(name) != null) {
      // Registered by a package the user imported (e.g. through a bundler): usable as is.
      mod = {};
    } else {
      const pkg = BACKEND_PACKAGES[name];
      const missing = isModuleNotFound(err);
      throw new LtrError(
        'backend-unavailable',
        missing
          ? `Backend '${name}' needs the package ${pkg}, which is not installed. Run: npm install ${pkg}@${tf.version_core}`
          : `Backend '${name}': importing ${pkg} failed: ${(err as Error).message}`,
        { path: 'name', cause: err },
      );
    }
  }
  loaded.set(name, mod);
  return mod;
}

function isModuleNotFound(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (module|package)|Failed to resolve module|Could not resolve/i.test(String((err as Error)?.message));
}

/** The version a backend package reports about itself (`version_cpu`, `version_wasm`, …). */
export function packageVersionOf(mod: BackendModule): string {
  for (const [k, v] of Object.entries(mod)) {
    if (k.startsWith('version') && typeof v === 'string') return v;
    if (k === 'version' && v && typeof v === 'object' && typeof (v as Record<string, unknown>)['tfjs-node'] === 'string') {
      return (v as Record<string, string>)['tfjs-node'];
    }
  }
  return tf.version_core;
}
