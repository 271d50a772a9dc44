/**
 * The `querylens` command: `lint` (headless linting, cli/lint.ts), `queries`
 * (the query sites recognised, cli/queries.ts) and `lsp` (hands over to the
 * language server). Exit codes: 0 clean, 1 findings at the
 * failing severity, 2 usage/config/internal errors with a message naming the
 * cause.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError, helpText, parseArgs } from './args';
import { safeText } from './formats/escape';
import { CliError, type LintIo, runLint } from './lint';
import { runQueries } from './queries';
import { runSchema } from './schema';
import { runStats } from './stats';
import { tuneForBatch } from './v8-tuning';
import { VERSION } from './version';

/** Where a command runs and writes: the process by default; tests pass their own (in-process runs). */
export type CliIo = LintIo & { stderr: { write(s: string): unknown } };

function processIo(): CliIo {
  return { cwd: process.cwd(), env: process.env, stdout: process.stdout, stderr: process.stderr };
}

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const stderr = (s: string) => io.stderr.write(s);
  try {
    const args = parseArgs(argv);
    switch (args.command) {
      case 'help':
        io.stdout.write(helpText(VERSION));
        return 0;
      case 'version':
        io.stdout.write(`${VERSION}\n`);
        return 0;
      case 'lsp':
        startLanguageServer();
        // The server owns the process from here; it exits when the client says so.
        return new Promise<number>(() => undefined);
      case 'lint':
        tuneForBatch();
        // `querylens lint | head` closes the pipe early: that is not an error of ours.
        if (io.stdout === process.stdout) {
          process.stdout.on('error', (e: NodeJS.ErrnoException) => {
            if (e.code !== 'EPIPE') throw e;
          });
        }
        return await runLint(args, io);
      case 'queries':
        tuneForBatch();
        if (io.stdout === process.stdout) {
          process.stdout.on('error', (e: NodeJS.ErrnoException) => {
            if (e.code !== 'EPIPE') throw e;
          });
        }
        return await runQueries(args, io);
      case 'schema':
        if (io.stdout === process.stdout) {
          process.stdout.on('error', (e: NodeJS.ErrnoException) => {
            if (e.code !== 'EPIPE') throw e;
          });
        }
        return await runSchema(args, io);
      case 'stats':
        return await runStats(args, io);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      stderr(`querylens: ${safeText(e.message)}\nRun querylens --help for usage.\n`);
      return 2;
    }
    if (e instanceof CliError) {
      // Messages may quote config keys and paths from the project: printed inert.
      stderr(`querylens: ${safeText(e.message)}\n`);
      return 2;
    }
    stderr(`querylens: internal error: ${safeText((e as Error)?.stack ?? String(e), '\n')}\n`);
    return 2;
  }
}

/**
 * Loads the server without bundling it into the CLI: beside the bundle it is
 * dist/server.js; run from source (tsx) it is server/main.ts.
 */
function startLanguageServer(): void {
  const bundled = path.join(__dirname, 'server.js');
  const modulePath = fs.existsSync(bundled) ? bundled : path.join(__dirname, '..', 'server', 'main');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const server = require(modulePath) as { startServer(): void };
  server.startServer();
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
