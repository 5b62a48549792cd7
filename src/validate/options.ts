import { z } from 'zod';
import { LtrError } from './errors';

/**
 * Parses `value` with a zod schema and turns the first problem into an {@link LtrError} whose
 * message names the field (`options.rank`), what was wrong and the expected form. Returns the
 * parsed value with defaults filled in.
 *
 * @param schema - zod schema of the options, defaults included.
 * @param value - what the caller passed (`undefined` means "all defaults").
 * @param where - name of the argument for the error path, e.g. `'options'` or `'cpAls options'`.
 */
export function parseOptions<S extends z.ZodType>(schema: S, value: unknown, where = 'options'): z.output<S> {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = [where, ...issue.path.map(String)].join('.');
  const received = describeReceived(value, issue.path);
  throw new LtrError('invalid-option', `${path}: ${issue.message}${received}. See the function's documentation for the accepted values.`, { path });
}

function describeReceived(root: unknown, path: PropertyKey[]): string {
  let v: unknown = root;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return '';
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  if (v === undefined) return '';
  const s = typeof v === 'object' ? (Array.isArray(v) ? `an array of length ${v.length}` : 'an object') : JSON.stringify(v) ?? String(v);
  return ` (received ${s})`;
}

/** Reusable option pieces, so every function spells the same rule the same way. */
export const schemas = {
  /** A seed for `rng`: any safe integer. */
  seed: z.number().int('must be an integer').refine(Number.isSafeInteger, 'must be a safe integer'),
  positiveInt: z.number().int('must be an integer').positive('must be ≥ 1'),
  nonNegativeInt: z.number().int('must be an integer').nonnegative('must be ≥ 0'),
  positive: z.number().positive('must be > 0').refine(Number.isFinite, 'must be finite'),
  nonNegative: z.number().nonnegative('must be ≥ 0').refine(Number.isFinite, 'must be finite'),
  probability: z.number().min(0, 'must be in [0, 1]').max(1, 'must be in [0, 1]'),
  /** An `AbortSignal` (checked structurally so that any realm's signal passes). */
  signal: z.custom<AbortSignal>((v) => typeof v === 'object' && v !== null && 'aborted' in v && 'addEventListener' in v, 'must be an AbortSignal'),
  /** A function (zod 4's z.function is a factory, not a schema). */
  callback: <F extends (...args: never[]) => unknown>() => z.custom<F>((v) => typeof v === 'function', 'must be a function'),
};
