/**
 * The browser benches' set-up: a trace written into a temporary folder, the
 * built web host (GUESTPERF_OUT picks the build), and a 1280×800 page of it
 * in Debian's Chromium, ready for the file picker. `close` stops all three
 * and removes the folder.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { writeTrace } from '../../main/files/trace-io';
import { nativeFormat } from '../../profile/formats/native';
import type { Profile } from '../../profile/model';
import { launchChromium, startBuiltWebHost, type RunningHost } from '../helpers/browser';

export interface BenchWindow {
  page: Page;
  host: RunningHost;
  /** The trace `write` wrote. */
  file: string;
  close(): Promise<void>;
}

/** `write` puts the bench's trace into the folder it is given and returns its path. */
export async function openBenchWindow(write: (dir: string) => Promise<string>): Promise<BenchWindow> {
  const dir = await mkdtemp(join(tmpdir(), 'gp-bench-'));
  const file = await write(dir);
  const host = await startBuiltWebHost();
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('crash', () => console.log('the page crashed'));
  await page.goto(host.url);
  await page.waitForSelector('body[data-ready="1"]');
  // tsx names the functions inside page.evaluate with an `__name` helper the page lacks.
  await page.evaluate('window.__name = (f) => f');
  return {
    page,
    host,
    file,
    close: async () => {
      await browser.close();
      await host.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A `write` for openBenchWindow: `profile` as a native trace called `name`. */
export function nativeTrace(profile: Profile, name: string): (dir: string) => Promise<string> {
  return async (dir) => {
    const file = join(dir, `${name}.${nativeFormat.extensions[0]}`);
    await writeTrace(file, profile, nativeFormat);
    return file;
  };
}
