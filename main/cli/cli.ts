/**
 * Entry of the `guestperf` command (built to out/main/cli.js, loaded by
 * bin/guestperf.cjs). This module runs on import; everything testable lives in
 * ./commands and ./args, which have no side effects.
 */
import { runCli } from './commands';

export async function main(argv: string[]): Promise<number> {
  return runCli(argv, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`guestperf: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
