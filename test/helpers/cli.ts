/** Runs the `guestperf` command in-process with in-memory streams, for tests. */
import { Readable, Writable } from 'node:stream';
import { runCli } from '../../main/cli/commands';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function sink(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** `guestperf ...argv` through the same dispatch as the real command. */
export async function runGuestperf(argv: string[], stdin: Readable = Readable.from([])): Promise<CliRun> {
  const out = sink();
  const err = sink();
  const code = await runCli(argv, { stdin, stdout: out.stream, stderr: err.stream });
  return { code, stdout: out.text(), stderr: err.text() };
}
