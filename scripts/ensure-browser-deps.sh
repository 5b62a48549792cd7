#!/usr/bin/env bash
# CI: makes sure the browser and WebGPU-in-Node tests have what they need, installing from Debian
# when it is missing (needs root and apt; never fails the build — without them the tests are
# skipped, and this says so loudly):
#   - Chromium (headless, driven by playwright-core): test/browser/browser.test.ts;
#   - a software WebGPU adapter for Node (test/backend/webgpu-node.test.ts): Mesa's EGL/GLES
#     (libegl-mesa0 + libegl-dev, Dawn opens libEGL.so) or the Vulkan loader (libvulkan1) with
#     Chromium's SwiftShader ICD.
set -uo pipefail
chromium=${CHROMIUM_PATH:-/usr/bin/chromium}
have_lib() { /sbin/ldconfig -p 2>/dev/null | awk '{print $1}' | grep -qxF "$1"; }
need=()
[ -x "$chromium" ] || need+=(chromium)
if ! { have_lib libEGL.so && have_lib libEGL_mesa.so.0; } && ! have_lib libvulkan.so.1; then need+=(libvulkan1); fi
if [ ${#need[@]} -eq 0 ]; then
  echo "browser test dependencies present: $("$chromium" --version 2>/dev/null || echo "$chromium")"
  exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "installing from Debian: ${need[*]}"
  if DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; then
    echo "installed: ${need[*]}"
    exit 0
  fi
  why="apt-get install ${need[*]} failed"
else
  why="apt-get is unavailable (or not root) to install ${need[*]}"
fi
cat <<MSG

################################################################################
###  WARNING: $why.
###  The browser tests (headless Chromium) and/or the WebGPU-in-Node tests
###  WILL BE SKIPPED in this run. Install them to run the tests:
###    apt-get install -y chromium libvulkan1
################################################################################

MSG
exit 0
