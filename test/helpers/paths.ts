/** Where tests find the built app and the shared peer corpora. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const outDir = fileURLToPath(new URL('../../out/', import.meta.url));
export const corpora = fileURLToPath(new URL('../../../shared/peer-corpora/', import.meta.url));
export const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));

function built(file: string): URL {
  const url = new URL(`../../out/main/${file}`, import.meta.url);
  if (!existsSync(url)) throw new Error(`out/main/${file} is missing: run \`npm run build\` first`);
  return url;
}

/** The workers as built by electron-vite (`npm test` builds first). */
export const builtWorkerUrl = () => built('parse-worker.js');
export const builtExportWorkerUrl = () => built('export-worker.js');
