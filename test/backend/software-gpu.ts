/**
 * Finds a WebGPU adapter for Node tests on a machine without a GPU, and prepares the environment
 * for it before Dawn starts:
 * - Mesa's OpenGL ES (llvmpipe) through EGL without a display (libegl-mesa0, and libegl-dev:
 *   Dawn opens `libEGL.so`): `EGL_PLATFORM=surfaceless`, Dawn
 *   flag `backend=opengles`, a compatibility-mode adapter. Its 128 MiB binding limit is small
 *   enough to test the buffer-limit guard for real.
 * - SwiftShader's Vulkan ICD shipped with Chromium, through the system Vulkan loader
 *   (`libvulkan1`): `VK_ICD_FILENAMES` pointing at `vk_swiftshader_icd.json`.
 * - A real GPU when `LTR_TEST_WEBGPU=gpu` (the device machine).
 * Returns null (and says why) when none is available.
 */
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export interface SoftwareGpu {
  /** Flags for useBackend('webgpu', { webgpuFlags }). */
  flags: string[];
  /** What it is, for messages. */
  route: string;
}

const SWIFTSHADER_ICD = ['/usr/lib/chromium/vk_swiftshader_icd.json', '/opt/google/chrome/vk_swiftshader_icd.json'];

/** Whether the dynamic loader finds a library by exactly this file name. */
function hasLibrary(name: string): boolean {
  if ((process.env.LD_LIBRARY_PATH ?? '').split(':').some((d) => d !== '' && existsSync(`${d}/${name}`))) return true;
  try {
    return execFileSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8' })
      .split('\n')
      .some((l) => l.trim().split(' ')[0] === name);
  } catch {
    return ['/usr/lib/x86_64-linux-gnu/', '/usr/lib/aarch64-linux-gnu/', '/usr/lib64/', '/usr/lib/'].some((d) => existsSync(d + name));
  }
}

/** Picks the adapter route (first match: env override, Mesa GLES, SwiftShader Vulkan). */
export function softwareGpu(): SoftwareGpu | { flags: null; why: string } {
  const want = process.env.LTR_TEST_WEBGPU;
  if (want === 'gpu') return { flags: [], route: 'the real GPU (Vulkan)' };
  // Dawn opens 'libEGL.so' (the unversioned name, from libegl-dev), which must lead to Mesa's EGL.
  if ((want === undefined || want === 'gles') && hasLibrary('libEGL.so') && hasLibrary('libEGL_mesa.so.0')) {
    process.env.EGL_PLATFORM ??= 'surfaceless';
    return { flags: ['backend=opengles'], route: 'Mesa OpenGL ES (llvmpipe, compatibility mode)' };
  }
  const icd = SWIFTSHADER_ICD.find((f) => existsSync(f));
  if ((want === undefined || want === 'vulkan') && icd !== undefined && hasLibrary('libvulkan.so.1')) {
    process.env.VK_ICD_FILENAMES = icd;
    return { flags: [], route: `SwiftShader Vulkan (${icd})` };
  }
  return { flags: null, why: 'no software WebGPU adapter here: needs Mesa EGL (libegl-mesa0 and libegl-dev for libEGL.so) or the Vulkan loader (libvulkan1) plus Chromium\'s SwiftShader ICD' };
}
