/**
 * A small pool of Node worker threads for `crossValidateRank({ concurrency })`: each worker
 * imports the package (its own tfjs engine and backend), receives the data and masks once, and
 * fits the (rank, latentDim, seed) tasks it is given, returning each fit as JSON.
 *
 * The worker is an `eval` worker (no extra file in the package) that `import()`s the library:
 * by default the bare specifier `'ltr-rnn'`, resolved from the current directory like the user's
 * own imports; `workerModule` overrides it (a file URL of `dist/index.js`, for instance).
 */
import { LtrError } from '../validate/errors';
import type { LtrFitJSON } from './ltr-fit';

/** One fit for a worker. */
export interface WorkerTask {
  id: number;
  rank: number;
  latentDim: number | undefined;
  seed: number;
}

/** What the worker pool needs. */
export interface PoolSetup {
  concurrency: number;
  module: string;
  backend: string;
  data: Float32Array;
  shape: [number, number, number];
  train: Float32Array;
  test: Float32Array;
  /** Serializable fit options (no callbacks, no signal, no mask). */
  options: Record<string, unknown>;
  /** Report progress every this many steps. */
  progressEvery: number;
}

/** Callbacks of {@link runPool}. */
export interface PoolCallbacks {
  onProgress(id: number, p: { step: number; total: number; objective: number; testLoss: number | null; etaSeconds: number }): void;
  onDone(id: number, json: LtrFitJSON, durationMs: number): void;
  /** A fit that failed with `diverged`: recorded, the sweep goes on. Other errors stop the pool. */
  onDiverged(id: number, message: string): void;
}

const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
let controller = null;
let queue = [];
let lib = null;
async function run(msg) {
  controller = new AbortController();
  const t0 = Date.now();
  const shape = workerData.shape;
  const every = workerData.progressEvery;
  try {
    // The pool's stop flag is read after every step: it works even while the fit keeps the
    // event loop busy (the 'abort' message would wait for a turn).
    const stopped = () => Atomics.load(workerData.stop, 0) !== 0;
    if (stopped()) controller.abort();
    const opts = Object.assign({}, workerData.options, {
      mask: { train: { data: workerData.train, shape }, test: { data: workerData.test, shape } },
      rank: msg.rank,
      seed: msg.seed,
      signal: controller.signal,
      onProgress: (p) => {
        if (stopped()) controller.abort();
        if (p.step % every === 0 || p.step === p.total) parentPort.postMessage({ type: 'progress', id: msg.id, progress: p });
      },
    });
    if (msg.latentDim !== undefined && msg.latentDim !== null) opts.latentDim = msg.latentDim;
    const fit = await lib.fitLtrRNN({ data: workerData.data, shape }, opts);
    const json = await fit.toJSON();
    fit.dispose();
    parentPort.postMessage({ type: 'done', id: msg.id, json, durationMs: Date.now() - t0 });
  } catch (e) {
    parentPort.postMessage({ type: 'error', id: msg.id, code: e && e.code, path: e && e.path, message: String((e && e.message) || e) });
  }
}
parentPort.on('message', (msg) => {
  if (msg.type === 'abort') { if (controller) controller.abort(); return; }
  if (msg.type === 'fit') { if (lib === null) queue.push(msg); else run(msg); }
});
(async () => {
  try {
    let mod = await import(workerData.module);
    if (typeof mod.fitLtrRNN !== 'function' && mod.default && typeof mod.default.fitLtrRNN === 'function') mod = mod.default;
    if (typeof mod.fitLtrRNN !== 'function') throw new Error('the module has no fitLtrRNN export');
    await mod.useBackend(workerData.backend);
    lib = mod;
    parentPort.postMessage({ type: 'ready' });
    for (const m of queue) await run(m);
    queue = [];
  } catch (e) {
    parentPort.postMessage({ type: 'fatal', message: String((e && e.message) || e) });
  }
})();
`;

/** How long an abort waits for the fits in flight to stop (each stops at its next step) before the workers are terminated. */
const ABORT_GRACE_MS = 10_000;

/**
 * Runs `tasks` on `concurrency` workers; resolves when all are done. Rejects with an LtrError when
 * a worker cannot start, a fit fails with anything but `diverged`, or `signal` aborts.
 *
 * On abort no further task is handed out and every fit in flight is told to stop (it stops before
 * its next step); the pool waits for them to answer (at most {@link ABORT_GRACE_MS}), so that a
 * fit that finished just before the abort still reaches `onDone`, then terminates the workers and
 * rejects with `aborted`.
 */
export async function runPool(setup: PoolSetup, tasks: WorkerTask[], cb: PoolCallbacks, signal?: AbortSignal): Promise<void> {
  let wt: typeof import('node:worker_threads');
  try {
    wt = await import('node:worker_threads');
  } catch (err) {
    throw new LtrError('unsupported', 'options.concurrency > 1 needs Node worker threads (node:worker_threads), which this environment lacks. Use concurrency: 1.', { path: 'options.concurrency', cause: err });
  }
  const pending = tasks.slice();
  const count = Math.min(setup.concurrency, tasks.length);
  const workers: import('node:worker_threads').Worker[] = [];
  /** The task each worker is fitting (absent: idle). */
  const busy = new Map<import('node:worker_threads').Worker, number>();
  let remaining = tasks.length;
  let finished = false;
  let aborting = false;
  /** Set to 1 to stop every fit in flight before its next step (shared with the workers). */
  const stop = new Int32Array(new SharedArrayBuffer(4));
  return new Promise<void>((resolve, reject) => {
    let graceTimer: ReturnType<typeof setTimeout> | null = null;
    const stopAll = (): void => {
      if (graceTimer !== null) clearTimeout(graceTimer);
      for (const w of workers) void w.terminate();
    };
    const settle = (err: LtrError | null): void => {
      if (finished) return;
      finished = true;
      signal?.removeEventListener('abort', onAbort);
      stopAll();
      if (err === null) resolve();
      else reject(err);
    };
    const fail = (err: LtrError): void => {
      if (finished) return;
      Atomics.store(stop, 0, 1);
      for (const w of workers) w.postMessage({ type: 'abort' });
      settle(aborting ? abortError() : err);
    };
    const abortError = (): LtrError => new LtrError('aborted', 'crossValidateRank was aborted through options.signal.', { path: 'options.signal' });
    const drained = (): void => {
      if (aborting && busy.size === 0) settle(abortError());
    };
    const onAbort = (): void => {
      if (finished || aborting) return;
      aborting = true;
      pending.length = 0;
      Atomics.store(stop, 0, 1);
      for (const w of busy.keys()) w.postMessage({ type: 'abort' });
      graceTimer = setTimeout(() => settle(abortError()), ABORT_GRACE_MS);
      drained();
    };
    if (signal?.aborted) {
      settle(abortError());
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    const next = (w: import('node:worker_threads').Worker): void => {
      busy.delete(w);
      if (aborting) {
        drained();
        return;
      }
      const task = pending.shift();
      if (task !== undefined) {
        busy.set(w, task.id);
        w.postMessage({ type: 'fit', ...task });
      }
    };
    const taskDone = (w: import('node:worker_threads').Worker): void => {
      remaining--;
      if (remaining === 0) settle(null);
      else next(w);
    };
    for (let i = 0; i < count; i++) {
      const w = new wt.Worker(WORKER_SOURCE, {
        eval: true,
        workerData: {
          module: setup.module,
          backend: setup.backend,
          data: setup.data,
          shape: setup.shape,
          train: setup.train,
          test: setup.test,
          options: setup.options,
          progressEvery: setup.progressEvery,
          stop,
        },
      });
      workers.push(w);
      w.on('message', (msg: { type: string; id: number; json?: LtrFitJSON; durationMs?: number; progress?: Parameters<PoolCallbacks['onProgress']>[1]; code?: string; path?: string; message?: string }) => {
        if (finished) return;
        switch (msg.type) {
          case 'ready':
            next(w);
            break;
          case 'progress':
            if (!aborting) cb.onProgress(msg.id, msg.progress!);
            break;
          case 'done':
            // Delivered even while aborting: the fit finished.
            cb.onDone(msg.id, msg.json!, msg.durationMs!);
            taskDone(w);
            break;
          case 'error':
            if (msg.code === 'diverged') {
              cb.onDiverged(msg.id, msg.message ?? 'diverged');
              taskDone(w);
            } else if (aborting) {
              // The fit stopped (aborted, or failed while stopping): nothing to deliver.
              next(w);
            } else {
              const code = (msg.code ?? 'invalid-data') as ConstructorParameters<typeof LtrError>[0];
              fail(new LtrError(code, `crossValidateRank: a worker's fit failed: ${msg.message}`, { path: msg.path ?? '' }));
            }
            break;
          case 'fatal':
            fail(
              new LtrError(
                'unsupported',
                `crossValidateRank: a worker thread could not load the library from '${setup.module}' (${msg.message}). Workers import the package by name; from a source checkout, build it (npm run build) or pass options.workerModule (e.g. the file URL of dist/index.js), or use concurrency: 1.`,
                { path: 'options.workerModule' },
              ),
            );
            break;
        }
      });
      w.on('error', (err) => fail(new LtrError('unsupported', `crossValidateRank: a worker thread crashed: ${err.message}`, { path: 'options.concurrency', cause: err })));
    }
  });
}
