/**
 * Open-to-first-paint in the web window, and the main side's peak memory.
 *
 *   npx tsx test/bench/open-to-paint.ts [--mb 30] [--runs 5]
 *
 * Builds a perf script file of about --mb MB from the real capture in
 * test/fixtures (repeated with shifted times), then, --runs times: picks it in
 * the browser's file picker and measures until the flame graph's first paint
 * (the page's own `flame-first-paint` mark). The web host's peak RSS is
 * sampled from /proc while each file parses. Prints figures; asserts nothing.
 */
import { createWriteStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fixtures } from '../helpers/paths';
import { openBenchWindow } from './bench-window';
import { arg, median, rssOf } from './util';

const targetMb = Number(arg('--mb', '30'));
const runs = Number(arg('--runs', '5'));

async function makeTrace(path: string): Promise<number> {
  const base = await readFile(join(fixtures, 'perf-script/gzip-find-dwarf.perf'), 'utf8');
  const body = base.slice(base.indexOf('\n', base.lastIndexOf('# ========')) + 1);
  const out = createWriteStream(path);
  let written = 0;
  for (let copy = 0; written < targetMb * 1e6; copy++) {
    // Shift times so the file reads as one long recording.
    const chunk = body.replace(/ (\d+)\.(\d{6}):/g, (_m, s: string, us: string) => ` ${Number(s) + copy * 2}.${us}:`);
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
    written += Buffer.byteLength(chunk);
  }
  await new Promise<void>((r) => out.end(() => r()));
  return (await stat(path)).size;
}

let size = 0;
const win = await openBenchWindow(async (dir) => {
  const file = join(dir, `bench-${targetMb}mb.perf`);
  size = await makeTrace(file);
  return file;
});
const { page, host, file } = win;

const times: number[] = [];
const peaks: number[] = [];
for (let i = 0; i < runs; i++) {
  await page.evaluate(() => performance.clearMarks('flame-first-paint'));
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(host.process.pid!))), 10);
  const t0 = await page.evaluate(() => performance.now());
  await page.getByTestId('file-input').setInputFiles(file);
  await page.waitForFunction(() => performance.getEntriesByName('flame-first-paint').length > 0, null, {
    timeout: 120_000,
    polling: 5,
  });
  const t1 = await page.evaluate(() => performance.getEntriesByName('flame-first-paint')[0].startTime);
  clearInterval(sampler);
  times.push(t1 - t0);
  peaks.push(peak);
  // Reset the input so choosing the same file again fires a change event.
  await page.getByTestId('file-input').setInputFiles([]);
}
await win.close();

const mb = (n: number) => (n / 1e6).toFixed(1);
console.log(`file: ${mb(size)} MB perf script, ${runs} runs`);
console.log(`open → first flame-graph paint: median ${median(times).toFixed(0)} ms (min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)})`);
console.log(`web host peak RSS while parsing: median ${mb(median(peaks))} MB (max ${mb(Math.max(...peaks))} MB, ${(median(peaks) / size).toFixed(2)}× the file)`);
