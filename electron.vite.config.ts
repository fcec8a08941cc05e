import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import vue from '@vitejs/plugin-vue';

// One build for every process: the Electron main process, the web host, the
// `guestperf` command and the parse worker all come out of the main build
// (plain Node entries in out/main/); the preload is CommonJS because a
// sandboxed preload cannot be an ES module.
// GUESTPERF_OUT builds elsewhere than out/ (parallel work trees of one
// checkout); tests read the same variable (test/helpers/paths.ts).
const out = process.env.GUESTPERF_OUT ?? 'out';

export default defineConfig({
  main: {
    build: {
      outDir: `${out}/main`,
      externalizeDeps: false,
      rollupOptions: {
        input: {
          app: resolve('main/app/main.ts'),
          web: resolve('main/web/web.ts'),
          cli: resolve('main/cli/cli.ts'),
          'parse-worker': resolve('main/parse/worker.ts'),
          'export-worker': resolve('main/export/worker.ts'),
        },
        external: ['electron', 'bufferutil', 'utf-8-validate'],
        output: { format: 'es', entryFileNames: '[name].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: `${out}/preload`,
      rollupOptions: {
        input: { preload: resolve('main/preload/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'renderer',
    plugins: [vue()],
    build: {
      outDir: `${out}/renderer`,
      rollupOptions: { input: { index: resolve('renderer/index.html') } },
    },
  },
});
