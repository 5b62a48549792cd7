/**
 * The `ltr-rnn` executable (built to dist/cli.js with a `#!/usr/bin/env node` line): hands the
 * process's arguments, streams and SIGINT to {@link main} and exits with its code. No command
 * logic lives here.
 */
import { main } from './main';

const exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  isTTY: process.stderr.isTTY === true,
  ...(process.stderr.columns ? { columns: process.stderr.columns } : {}),
  onInterrupt: (handler) => {
    process.on('SIGINT', handler);
    return () => process.off('SIGINT', handler);
  },
  exit: (code) => process.exit(code),
  // Worker threads of `fit --concurrency n` import this build of the library.
  workerModule: new URL('./index.js', import.meta.url).href,
});
// Let stdout drain (a pipe may still hold output), then exit: backends may keep handles open.
process.stdout.write('', () => process.exit(exitCode));
