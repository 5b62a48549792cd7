/**
 * Command-line parsing for `ltr-rnn`: the global flags, splitting off the command, parsing a
 * command's flags with `node:util` parseArgs, and the value parsers (integers, lists, ranges)
 * that turn flag text into numbers or a {@link UsageError}.
 */
import { parseArgs } from 'node:util';

/** A mistake in the command line: printed as one line, exit code 2, with a hint to `--help`. */
export class UsageError extends Error {
  /** The command whose usage the hint points at (null: the top-level usage). */
  readonly command: string | null;
  constructor(message: string, command: string | null = null) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}

/** One flag, as `node:util` parseArgs describes it. */
export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
}
/** A command's flags. */
export type FlagSpecs = Record<string, FlagSpec>;

/** Flags every command accepts. */
export const GLOBAL_FLAGS = {
  backend: { type: 'string' },
  seed: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const satisfies FlagSpecs;

/** The global flags, parsed. */
export interface GlobalFlags {
  /** `--backend` (validated by `useBackend` when the command starts), or null for the default. */
  backend: string | null;
  /** `--seed` [0]. */
  seed: number;
  json: boolean;
  quiet: boolean;
  debug: boolean;
  help: boolean;
  version: boolean;
}

/** Parsed flag values: strings, booleans, or lists of strings (for `multiple`). */
export type FlagValues = Record<string, string | boolean | string[] | undefined>;

/**
 * Splits argv into the command (the first word that is neither a flag nor the value of a global
 * flag that takes one) and the rest, in order.
 */
export function splitCommand(argv: readonly string[]): { command: string | null; rest: string[] } {
  const takesValue = new Set(Object.entries(GLOBAL_FLAGS).filter(([, s]) => s.type === 'string').map(([k]) => `--${k}`));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') break;
    if (a.startsWith('-')) {
      if (takesValue.has(a)) i++; // its value
      continue;
    }
    return { command: a, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { command: null, rest: [...argv] };
}

/**
 * Parses a command's arguments (the global flags included) strictly: unknown flags, missing
 * values and extra positionals are {@link UsageError}s naming the command.
 */
export function parseCommand(
  command: string | null,
  argv: readonly string[],
  flags: FlagSpecs,
  positionals: { min: number; max: number; names: string[] },
): { values: FlagValues; positionals: string[]; globals: GlobalFlags } {
  const where = command === null ? "'ltr-rnn'" : `'ltr-rnn ${command}'`;
  let parsed: { values: FlagValues; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: { ...GLOBAL_FLAGS, ...flags }, strict: true, allowPositionals: true }) as { values: FlagValues; positionals: string[] };
  } catch (e) {
    throw new UsageError(describeParseError(e as Error & { code?: string }, where, { ...GLOBAL_FLAGS, ...flags }), command);
  }
  const globals = parseGlobals(parsed.values, command);
  if (!globals.help && !globals.version) {
    if (parsed.positionals.length < positionals.min) {
      const missing = positionals.names.slice(parsed.positionals.length, positionals.min).map((n) => `<${n}>`).join(' ');
      throw new UsageError(`${where} needs ${missing}`, command);
    }
    if (parsed.positionals.length > positionals.max) {
      const extra = parsed.positionals.slice(positionals.max).map((p) => `'${p}'`).join(', ');
      throw new UsageError(`${where}: unexpected argument${parsed.positionals.length - positionals.max > 1 ? 's' : ''} ${extra}`, command);
    }
  }
  return { values: parsed.values, positionals: parsed.positionals, globals };
}

function describeParseError(e: Error & { code?: string }, where: string, specs: FlagSpecs): string {
  const flag = /'(-{1,2}[^' ]+)/.exec(e.message)?.[1];
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${flag ? `'${flag}'` : ''} for ${where}${suggest(flag, specs)}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const name = flag?.replace(/^-+/, '') ?? '';
      const spec = specs[name] ?? Object.entries(specs).find(([, s]) => s.short === name)?.[1];
      if (spec?.type === 'boolean') return `option '${flag}' takes no value`;
      return `option '${flag}' needs a value (for a value that starts with '-', write ${flag}=<value>)`;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `${where}: unexpected argument (${e.message})`;
    default:
      return e.message.split('\n')[0];
  }
}

function suggest(flag: string | undefined, specs: FlagSpecs): string {
  if (!flag) return '';
  const name = flag.replace(/^-+/, '');
  const close = Object.keys(specs).filter((k) => k.includes(name) || name.includes(k) || editDistance(k, name) <= 2);
  return close.length > 0 ? ` (did you mean ${close.map((k) => `--${k}`).join(' or ')}?)` : '';
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length][b.length];
}

function parseGlobals(v: FlagValues, command: string | null): GlobalFlags {
  const backend = typeof v.backend === 'string' ? v.backend : null;
  return {
    backend,
    seed: v.seed === undefined ? 0 : parseInteger('--seed', v.seed as string, { command }),
    json: v.json === true,
    quiet: v.quiet === true,
    debug: v.debug === true,
    help: v.help === true,
    version: v.version === true,
  };
}

// ---------------------------------------------------------------------------------------------
// Value parsers

/** An integer flag value (`--rank 3`), with optional bounds. */
export function parseInteger(flag: string, text: string, o: { min?: number; max?: number; command?: string | null } = {}): number {
  const t = text.trim();
  if (!/^[+-]?\d+$/.test(t) || !Number.isSafeInteger(Number(t))) throw new UsageError(`${flag} must be an integer, got '${text}'`, o.command ?? null);
  const n = Number(t);
  if (o.min !== undefined && n < o.min) throw new UsageError(`${flag} must be ≥ ${o.min}, got ${n}`, o.command ?? null);
  if (o.max !== undefined && n > o.max) throw new UsageError(`${flag} must be ≤ ${o.max}, got ${n}`, o.command ?? null);
  return n;
}

/** A positive number flag value (`--learning-rate 0.01`). */
export function parsePositiveNumber(flag: string, text: string, command: string | null = null): number {
  const n = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number, got '${text}'`, command);
  return n;
}

/**
 * A list of integers: comma-separated items, each a number or an inclusive range `a-b`
 * (`1-6`, `1,2,4`, `1-3,8`). Duplicates are refused; order is kept.
 */
export function parseIntegerList(flag: string, text: string, o: { min?: number; command?: string | null } = {}): number[] {
  const out: number[] = [];
  const items = text.split(',').map((s) => s.trim());
  for (const item of items) {
    const range = /^(\d+)\s*(?:-|\.\.)\s*(\d+)$/.exec(item);
    if (range) {
      const a = Number(range[1]);
      const b = Number(range[2]);
      if (b < a) throw new UsageError(`${flag}: range '${item}' is empty (its end is below its start)`, o.command ?? null);
      if (b - a > 10_000) throw new UsageError(`${flag}: range '${item}' is too long`, o.command ?? null);
      for (let k = a; k <= b; k++) out.push(k);
    } else if (/^[+-]?\d+$/.test(item)) {
      out.push(Number(item));
    } else {
      throw new UsageError(`${flag} must be integers or ranges such as '1-6' or '1,2,4', got '${text}'`, o.command ?? null);
    }
  }
  for (const n of out) {
    if (!Number.isSafeInteger(n)) throw new UsageError(`${flag}: ${n} is not a safe integer`, o.command ?? null);
    if (o.min !== undefined && n < o.min) throw new UsageError(`${flag}: every value must be ≥ ${o.min}, got ${n}`, o.command ?? null);
  }
  const seen = new Set<number>();
  for (const n of out) {
    if (seen.has(n)) throw new UsageError(`${flag} lists ${n} twice`, o.command ?? null);
    seen.add(n);
  }
  return out;
}

/**
 * `--seeds`: one number n means n seeds starting at `base` (`--seeds 3` with `--seed 0` → 0, 1, 2);
 * a list or range gives the seeds themselves (`--seeds 0,5,9`, `--seeds 7-7`).
 */
export function parseSeeds(flag: string, text: string, base: number, command: string | null = null): number[] {
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const n = parseInteger(flag, t, { min: 1, max: 1000, command });
    return Array.from({ length: n }, (_, i) => base + i);
  }
  return parseIntegerList(flag, t, { min: 0, command });
}

/** One of a fixed set of words. */
export function parseChoice<T extends string>(flag: string, text: string, choices: readonly T[], command: string | null = null): T {
  if ((choices as readonly string[]).includes(text)) return text as T;
  throw new UsageError(`${flag} must be one of ${choices.join(', ')}, got '${text}'`, command);
}
