#!/usr/bin/env bash
# Installs the packed package (what `npm install ltr-rnn` gives a user) into an empty project and
# uses it from ESM, CommonJS and TypeScript: imports every subpath, takes a gradient, switches to
# wasm; runs the `ltr-rnn` command it installs. Run after `npm run build`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$root"
npm pack --ignore-scripts --pack-destination "$tmp" >/dev/null
cd "$tmp"
npm init -y >/dev/null
npm install --no-audit --no-fund --prefer-offline ./ltr-rnn-*.tgz >/dev/null
# The user's own tfjs-core must be the one the library uses (one engine, one registry).
test "$(node -p "require('@tensorflow/tfjs-core/package.json').version")" = 4.22.0

cat > esm.mjs <<'JS'
// The library is imported before tfjs-core on purpose: it must not depend on the user's import order.
import * as lib from 'ltr-rnn';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend, backendInfo, rng } from 'ltr-rnn/backend';
for (const sub of ['linalg', 'cp', 'rnn', 'train', 'rank', 'fit', 'tasks', 'io']) await import(`ltr-rnn/${sub}`);
assert.equal(lib.useBackend, useBackend, 'root and subpath share one module instance');
assert.equal((await lib.ready()).name, 'wasm', 'default backend');
const x = tf.variable(tf.tensor1d([1, 2, 3]));
const { grads } = tf.variableGrads(() => tf.mean(tf.square(x)));
assert.deepEqual(Array.from(await grads[x.name].data()), [2 / 3, 4 / 3, 2].map(Math.fround));
const info = await useBackend('cpu');
assert.equal(info.name, 'cpu');
assert.equal(backendInfo().name, 'cpu');
assert.equal((await useBackend('wasm')).simd, true);
const err = await useBackend('webgl').catch((e) => e);
assert.equal(err.code, 'backend-unavailable');
assert.match(err.message, /npm install @tensorflow\/tfjs-backend-webgl@4\.22\.0/);
assert.equal(tf.getBackend(), 'wasm');
assert.equal(typeof rng(1).normal(), 'number');
assert.deepEqual(lib.randomNormal([2], 1).clone().shape, [2], 'tensors come from the real tfjs-core');
assert.equal(lib.VERSION, JSON.parse((await import('node:fs')).readFileSync('node_modules/ltr-rnn/package.json', 'utf8')).version);
console.log('esm ok');
JS
node esm.mjs

# The command: package.json#bin puts ltr-rnn in node_modules/.bin, and it runs from the installed package.
test "$(./node_modules/.bin/ltr-rnn --version)" = "$(node -p "require('ltr-rnn/package.json').version")"
./node_modules/.bin/ltr-rnn bounds --neurons 100 --inputs 3 --outputs 2 --steps 60 --updates 250 --activation linear --json > bounds.json
node -e "const b = require('./bounds.json'); if (b.command !== 'bounds' || b.cpRank.value !== 25 || b.weights.value !== 5) { console.error(b); process.exit(1); }"
./node_modules/.bin/ltr-rnn bounds --neurons 100 --inputs 3 --outputs 2 --steps 60 | grep -q '^rank of one gradient'
set +e
./node_modules/.bin/ltr-rnn bounds --neurons 100 2> usage.txt
rc=$?
set -e
test "$rc" = 2
grep -q "^ltr-rnn: error: 'ltr-rnn bounds' needs --inputs" usage.txt
echo 'bin ok'

cat > cjs.cjs <<'JS'
const assert = require('node:assert/strict');
const tf = require('@tensorflow/tfjs-core');
const lib = require('ltr-rnn');
assert.equal(require('ltr-rnn/cp').useBackend, lib.useBackend);
(async () => {
  assert.equal((await lib.useBackend('wasm')).name, 'wasm');
  const x = tf.variable(tf.tensor1d([3]));
  const { grads } = tf.variableGrads(() => tf.sum(tf.square(x)));
  assert.deepEqual(Array.from(await grads[x.name].data()), [6]);
  console.log('cjs ok');
})().catch((e) => { console.error(e); process.exit(1); });
JS
node cjs.cjs

cat > consumer.ts <<'TS'
import { useBackend, type BackendInfo } from 'ltr-rnn';
import { rng } from 'ltr-rnn/backend';
import { LtrError } from 'ltr-rnn';
const info: Promise<BackendInfo> = useBackend('wasm');
const n: number = rng(0).normal();
const e: LtrError['code'] = 'invalid-option';
void info; void n; void e;
TS
"$root/node_modules/.bin/tsc" --noEmit --strict --module nodenext --moduleResolution nodenext --target es2022 --skipLibCheck consumer.ts
echo 'types ok'
