/**
 * What a command of `ltr-rnn` is given and returns: the process's streams and signals (injected,
 * so that `main` runs in-process in tests), the parsed global flags and the progress display.
 */
import { isAbsolute, resolve } from 'node:path';
import type { FlagSpecs, FlagValues, GlobalFlags } from './args';
import type { Progress } from './progress';

/** A stream the CLI writes to. */
export interface WriteStream {
  write(text: string): unknown;
}

/** The process around `main`: streams, environment, interrupts. Everything but the streams is optional. */
export interface CliIO {
  stdout: WriteStream;
  stderr: WriteStream;
  /** Environment variables (`COLUMNS` sets the bar's width when `columns` is not given). */
  env?: Record<string, string | undefined>;
  /** Directory relative paths are resolved against [process.cwd()]. */
  cwd?: string;
  /** stderr is a terminal: the progress bar is redrawn in place [false]. */
  isTTY?: boolean;
  /** Terminal width for the progress bar [80]. */
  columns?: number;
  /**
   * Subscribes `handler` to interrupts (SIGINT, Ctrl-C) and returns the unsubscribe function.
   * Without it, commands cannot be interrupted cleanly.
   */
  onInterrupt?: (handler: () => void) => () => void;
  /** Ends the process now with `code` (a second Ctrl-C). Without it the second interrupt is ignored. */
  exit?: (code: number) => void;
  /**
   * The library module worker threads import for `fit --concurrency n` (the bin passes the file URL
   * of `dist/index.js`); default: the bare specifier `'ltr-rnn'`.
   */
  workerModule?: string;
  /** Clock, ms [Date.now]. */
  now?: () => number;
}

/** What a command's `run` gets. */
export interface CommandContext {
  io: CliIO;
  command: string;
  globals: GlobalFlags;
  progress: Progress;
  /** Aborted at the first interrupt (Ctrl-C): pass it to long library calls. */
  signal: AbortSignal;
  /** Resolves a path given on the command line against the working directory. */
  path(p: string): string;
  /** A line on stderr (notes, warnings), clearing the progress bar first; silent with --quiet. */
  note(text: string): void;
}

/** What a command returns; `main` prints it. */
export interface CommandResult {
  /** Exit code [0]. */
  exitCode?: number;
  /** The full text output (tables): printed unless --json or --quiet. */
  text?: string;
  /** A short summary printed even with --quiet (not with --json). */
  summary?: string;
  /** The one JSON document printed with --json. */
  json?: unknown;
}

/** A subcommand of `ltr-rnn`. */
export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The `--help` text (usage line, flags with defaults, examples). */
  help: string;
  flags: FlagSpecs;
  positionals: { min: number; max: number; names: string[] };
  /** Whether the backend must be started (`--backend`, or the default) before `run`. */
  needsBackend: boolean;
  run(ctx: CommandContext, values: FlagValues, positionals: string[]): Promise<CommandResult>;
}

/** Resolves `p` against `cwd` (or the process's directory). */
export function resolvePath(p: string, cwd: string | undefined): string {
  return isAbsolute(p) ? p : resolve(cwd ?? process.cwd(), p);
}
