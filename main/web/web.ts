/** `npm run web`: serves the window to a browser on 127.0.0.1. */
import { homedir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { recentFilesAt } from '../api/recent-files';
import { maxFileBytes } from '../files/limits';
import { VERSION } from '../version';
import { startWebHost } from './server';

function parsePort(argv: string[]): number {
  const i = argv.indexOf('--port');
  if (i < 0) return 0;
  const port = Number(argv[i + 1]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`guestperf web: --port needs a number from 0 to 65535, got ${JSON.stringify(argv[i + 1] ?? '')}`);
    process.exit(2);
  }
  return port;
}

const argv = process.argv.slice(2);
if (argv.includes('--help')) {
  console.log('usage: npm run web -- [--port N]\n\nServes the guestperf window on http://127.0.0.1 (a free port unless --port).');
  process.exit(0);
}
const host = await startWebHost({
  port: parsePort(argv),
  rendererDir: fileURLToPath(new URL('../renderer', import.meta.url)),
  workerUrl: new URL('./parse-worker.js', import.meta.url),
  exportWorkerUrl: new URL('./export-worker.js', import.meta.url),
  recent: recentFilesAt(join(homedir(), '.config', 'guestperf', 'recent-web.json')),
  maxFileBytes: maxFileBytes(totalmem()),
  version: VERSION,
});
// Like the desktop app, the window starts on the built-in default scenario.
console.log(`guestperf ${VERSION} web host: ${host.url}&scenario=default`);
const stop = () => void host.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
