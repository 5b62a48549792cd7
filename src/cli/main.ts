/**
 * `main(argv, io)`: the whole `ltr-rnn` command as a function of its arguments and the process
 * around it (streams, interrupts), returning the exit code — so that tests run it in-process and
 * the bin stays a few lines.
 *
 * Exit codes: 0 success, 1 internal error (a bug: please report it), 2 usage or data error (one
 * line on stderr), 130 interrupted.
 */
import { useBackend } from '../backend/use';
import type { BackendName } from '../backend/names';
import { isLtrError } from '../validate/errors';
import { VERSION } from '../version';
import { UsageError, parseCommand, splitCommand, type GlobalFlags } from './args';
import { backendsCommand } from './commands/backends';
import { boundsCommand } from './commands/bounds';
import { cpCommand } from './commands/cp';
import { demoCommand } from './commands/demo';
import { fitCommand } from './commands/fit';
import { rankCommand } from './commands/rank';
import { resolvePath, type CliIO, type Command, type CommandContext } from './context';
import { toJSONText } from './format';
import { Progress } from './progress';
import { topUsage } from './usage';

export type { CliIO, Command, CommandContext, CommandResult } from './context';

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [demoCommand, fitCommand, cpCommand, rankCommand, boundsCommand, backendsCommand];

/** Exit code of an interrupted command (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;

/**
 * Runs `ltr-rnn` with `argv` (the arguments after the program name) and returns the exit code.
 * Nothing is written to stdout but the command's output (one JSON document with `--json`);
 * progress, notes and errors go to stderr.
 */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  let globals: GlobalFlags | null = null;
  const debug = argv.includes('--debug');
  let interrupted = false;
  let unsubscribe: (() => void) | null = null;
  const restoreConsole: (() => void)[] = [];
  try {
    const { command: name, rest } = splitCommand(argv);
    if (name === null || name === 'help') {
      const topic = name === 'help' ? rest.find((a) => !a.startsWith('-')) : undefined;
      const parsed = parseCommand(null, name === 'help' ? rest.filter((a) => a !== topic) : rest, {}, { min: 0, max: 0, names: [] });
      globals = parsed.globals;
      if (globals.version) return print(io, globals, VERSION, { version: VERSION });
      if (topic !== undefined) {
        const cmd = COMMANDS.find((c) => c.name === topic);
        if (!cmd) throw unknownCommand(topic);
        io.stdout.write(cmd.help);
        return 0;
      }
      if (globals.help || name === 'help') {
        io.stdout.write(topUsage(COMMANDS));
        return 0;
      }
      throw new UsageError(`no command given; one of: ${COMMANDS.map((c) => c.name).join(', ')}`);
    }
    const cmd = COMMANDS.find((c) => c.name === name);
    if (!cmd) throw unknownCommand(name);
    const parsed = parseCommand(cmd.name, rest, cmd.flags, cmd.positionals);
    globals = parsed.globals;
    if (globals.help) {
      io.stdout.write(cmd.help);
      return 0;
    }
    if (globals.version) return print(io, globals, VERSION, { version: VERSION });

    // With --json, stdout holds the one document: anything a dependency logs goes to stderr.
    if (globals.json) {
      for (const k of ['log', 'info'] as const) {
        const original = console[k];
        console[k] = (...args: unknown[]) => void io.stderr.write(`${args.map(String).join(' ')}\n`);
        restoreConsole.push(() => (console[k] = original));
      }
    }
    const columns = io.columns ?? (Number(io.env?.COLUMNS) || 80);
    const progress = new Progress(io.stderr, { tty: io.isTTY === true, quiet: globals.quiet, columns, ...(io.now ? { now: io.now } : {}) });
    const controller = new AbortController();
    if (io.onInterrupt) {
      unsubscribe = io.onInterrupt(() => {
        if (interrupted) {
          progress.clear();
          io.stderr.write('ltr-rnn: interrupted again: exiting now\n');
          io.exit?.(EXIT_INTERRUPTED);
          return;
        }
        interrupted = true;
        progress.clear();
        io.stderr.write('ltr-rnn: interrupted: stopping (press Ctrl-C again to exit at once)\n');
        controller.abort();
      });
    }
    const g = globals;
    const ctx: CommandContext = {
      io,
      command: cmd.name,
      globals: g,
      progress,
      signal: controller.signal,
      path: (p) => resolvePath(p, io.cwd),
      note: (text) => {
        if (g.quiet) return;
        progress.clear();
        io.stderr.write(`${text}\n`);
      },
    };
    if (cmd.needsBackend && g.backend !== null) await useBackend(g.backend as BackendName);
    const result = await cmd.run(ctx, parsed.values, parsed.positionals);
    progress.end();
    if (g.json) {
      if (result.json !== undefined) io.stdout.write(`${toJSONText(result.json)}\n`);
    } else if (g.quiet) {
      if (result.summary) io.stdout.write(`${result.summary}\n`);
    } else if (result.text !== undefined) {
      io.stdout.write(`${result.text}\n`);
    }
    return result.exitCode ?? 0;
  } catch (e) {
    if (interrupted && isLtrError(e) && e.code === 'aborted') {
      io.stderr.write('ltr-rnn: interrupted\n');
      return EXIT_INTERRUPTED;
    }
    return reportError(io, e, globals?.debug ?? debug);
  } finally {
    unsubscribe?.();
    for (const r of restoreConsole) r();
  }
}

function print(io: CliIO, globals: GlobalFlags, text: string, json: unknown): number {
  io.stdout.write(globals.json ? `${toJSONText(json)}\n` : `${text}\n`);
  return 0;
}

function unknownCommand(name: string): UsageError {
  const close = COMMANDS.filter((c) => c.name.startsWith(name.slice(0, 2)) || name.startsWith(c.name)).map((c) => c.name);
  return new UsageError(`unknown command '${name}'${close.length ? ` (did you mean ${close.join(' or ')}?)` : ''}; commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
}

/** One line on stderr (and the stack with --debug); returns the exit code. */
export function reportError(io: CliIO, e: unknown, debug: boolean): number {
  const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' ').trim();
  const err = e as Error & { code?: unknown };
  let code: number;
  let line: string;
  if (e instanceof UsageError) {
    code = 2;
    line = `ltr-rnn: error: ${oneLine(e.message)} (see 'ltr-rnn ${e.command ? `${e.command} ` : ''}--help')`;
  } else if (isLtrError(e)) {
    code = 2;
    line = `ltr-rnn: error: ${oneLine(e.message)}`;
  } else if (err instanceof Error && typeof err.code === 'string' && /^E[A-Z]+$/.test(err.code)) {
    // A file-system error (ENOENT, EACCES, EISDIR, …) on a path the user gave.
    code = 2;
    line = `ltr-rnn: error: ${oneLine(err.message)}`;
  } else {
    code = 1;
    line = `ltr-rnn: internal error: ${oneLine(String(err?.message ?? e))}${debug ? '' : ' (run with --debug for the stack trace, and please report it)'}`;
  }
  io.stderr.write(`${line}\n`);
  if (debug) io.stderr.write(`${stackOf(e)}\n`);
  return code;
}

function stackOf(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 5; depth++) {
    parts.push(depth === 0 ? String((cur as Error).stack ?? cur) : `Caused by: ${String((cur as Error).stack ?? cur)}`);
    cur = (cur as { cause?: unknown }).cause;
  }
  return parts.join('\n');
}
