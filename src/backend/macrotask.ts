/**
 * Letting the event loop run during long loops. The cpu and wasm backends resolve their reads as
 * microtasks, so a loop of training steps never lets timers, I/O or signal handlers run: an
 * `AbortController.abort()` called from a SIGINT handler or a timer would wait for the end of the
 * loop. Loops call {@link eventLoopTurns}'s function after each step; it yields one macrotask turn
 * when more than `everyMs` have passed since the last one (a few per second cost nothing).
 */

/** One turn of the event loop (setImmediate in Node, a MessageChannel message in browsers). */
export function macrotask(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** A function that yields one macrotask turn when `everyMs` have passed since it last did. */
export function eventLoopTurns(everyMs = 20): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < everyMs) return;
    await macrotask();
    last = performance.now();
  };
}
