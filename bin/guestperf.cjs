#!/usr/bin/env node
// The `guestperf` command. The code is built into out/ by `npm install`
// (the prepare script); this CommonJS shim only loads that ES module, so it
// works wherever npm links the bin, whatever the caller's module type.
(async () => {
  const { existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { pathToFileURL } = await import('node:url');
  const cli = join(__dirname, '..', 'out', 'main', 'cli.js');
  if (!existsSync(cli)) {
    process.stderr.write('guestperf: not built yet (out/main/cli.js is missing): run npm install (it builds guestperf)\n');
    process.exit(2);
  }
  await import(pathToFileURL(cli).href);
})().catch((e) => {
  process.stderr.write(`guestperf: ${e && e.message ? e.message : e}\n`);
  process.exit(1);
});
