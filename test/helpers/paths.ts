/** Where tests find the built app and the shared peer corpora. */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
/** The build under test: out/, or GUESTPERF_OUT (see electron.vite.config.ts). */
export const outDir = fileURLToPath(new URL(`../../${process.env.GUESTPERF_OUT ?? 'out'}/`, import.meta.url));
export const corpora = fileURLToPath(new URL('../../../shared/peer-corpora/', import.meta.url));
export const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));

function built(file: string): URL {
  const url = new URL(`main/${file}`, pathToFileURL(outDir));
  if (!existsSync(url)) throw new Error(`${outDir}main/${file} is missing: run \`npm run build\` first`);
  return url;
}

/** The workers as built by electron-vite (`npm test` builds first). */
export const builtWorkerUrl = () => built('parse-worker.js');
export const builtExportWorkerUrl = () => built('export-worker.js');
