/**
 * Stable error codes. Each is documented in `docs/errors.md`; callers may switch on them.
 */
export type LtrErrorCode =
  | 'invalid-option'
  | 'invalid-data'
  | 'shape-mismatch'
  | 'backend-unavailable'
  | 'not-positive-definite'
  | 'ill-conditioned'
  | 'no-convergence'
  | 'diverged'
  | 'aborted'
  | 'limit-exceeded'
  | 'unsupported';

/**
 * The one error type the library throws on purpose. `path` names the offending field
 * (`'options.rank'`, `'data[3][1]'`) so that a user sees which argument to change; the message
 * says what was wrong and how to fix it.
 */
export class LtrError extends Error {
  /** Stable machine-readable code, see {@link LtrErrorCode}. */
  readonly code: LtrErrorCode;
  /** Dotted path of the offending field, or `''` when the error is not about one field. */
  readonly path: string;

  constructor(code: LtrErrorCode, message: string, options: { path?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LtrError';
    this.code = code;
    this.path = options.path ?? '';
  }
}

/** True when `e` is an {@link LtrError}, also across two copies of the library in one process. */
export function isLtrError(e: unknown): e is LtrError {
  return e instanceof LtrError || (e instanceof Error && e.name === 'LtrError' && 'code' in e);
}
