import { expect } from 'vitest';
import { LtrError } from '../../src/validate/errors';

/** What a call threw, or undefined (sync calls, async calls and promises alike). */
async function thrown(p: Promise<unknown> | (() => unknown)): Promise<unknown> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return e;
  }
  return undefined;
}

function check(caught: unknown, code: string, path: string, message: RegExp): LtrError {
  expect(caught).toBeInstanceOf(LtrError);
  const e = caught as LtrError;
  expect(e.code).toBe(code);
  expect(e.path).toBe(path);
  expect(e.message).toMatch(message);
  expect(e.message).not.toMatch(/[\r\n]/); // one line
  return e;
}

/**
 * Asserts that `p` (a promise, or a function, sync or async) fails with an LtrError of `code` and
 * `path` whose message matches `message` and is one line. Returns the error.
 */
export async function expectLtrError(p: Promise<unknown> | (() => unknown), code: string, path: string, message: RegExp): Promise<LtrError> {
  return check(await thrown(p), code, path, message);
}

/** {@link expectLtrError} for a synchronous call (no await needed). */
export function expectLtrErrorSync(fn: () => unknown, code: string, path: string, message: RegExp): LtrError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  return check(caught, code, path, message);
}
