/** The top-level usage text of `ltr-rnn`. */
import type { Command } from './context';

/** `ltr-rnn --help`. */
export function topUsage(commands: readonly Command[]): string {
  const w = Math.max(...commands.map((c) => c.name.length));
  return `Usage: ltr-rnn <command> [options]

Low-tensor-rank learning of neural dynamics: the paper's experiment, ltrRNN fits with
cross-validated rank, CP decompositions, rank estimates and bounds.

Commands:
${commands.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`).join('\n')}

Global options:
  --backend NAME   cpu | wasm | webgl | webgpu | tensorflow [the library default, wasm]
  --seed N         base seed of every random choice [0]
  --json           print one JSON document on stdout and nothing else
  --quiet          no progress and no tables (a one-line summary only)
  --debug          print stack traces with errors
  -h, --help       help (of a command: ltr-rnn <command> --help)
  --version        print the version

Exit codes: 0 success, 1 internal error, 2 usage or data error, 130 interrupted (Ctrl-C).
Docs: docs/cli.md.
`;
}
