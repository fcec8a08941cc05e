/**
 * End-to-end plumbing: the built web host in a child process and Debian's
 * Chromium driven by playwright-core.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { outDir, repoRoot } from './paths';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

export interface RunningHost {
  /** The window's address without a start scenario: tests open what they choose. */
  url: string;
  /** The address exactly as the web host printed it (it asks for the default scenario). */
  printedUrl: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `node out/main/web.js --port 0` and waits for the URL it prints. */
export function startBuiltWebHost(): Promise<RunningHost> {
  const child = spawn(process.execPath, [join(outDir, 'main', 'web.js'), '--port', '0'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`web host did not start:\n${output}`)), 15_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /web host: (http:\/\/127\.0\.0\.1:\d+\/\?token=[^&\s]+)(\S*)/.exec(output);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        url: m[1],
        printedUrl: m[1] + m[2],
        process: child,
        stop: () =>
          new Promise((r) => {
            if (child.exitCode !== null) return r();
            child.once('exit', () => r());
            child.kill('SIGTERM');
          }),
      });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`web host exited (${code}):\n${output}`)));
  });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
}

export const resultsDir = join(repoRoot, 'test-results');

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(resultsDir, { recursive: true });
  const path = join(resultsDir, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** Non-background pixels of a canvas (alpha > 0), counted in the page. */
export function paintedPixels(page: Page, testId: string): Promise<number> {
  return page.evaluate((id) => {
    const canvas = document.querySelector(`[data-testid="${id}"]`) as HTMLCanvasElement;
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
    return n;
  }, testId);
}

/** Two animation frames: what the window paints in answer to the last input is on its canvases. */
export function nextFrames(page: Page): Promise<unknown> {
  return page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

export interface WindowOptions {
  viewport?: { width: number; height: number };
  acceptDownloads?: boolean;
  /** Also count console errors as page errors. */
  console?: boolean;
}

/** One test file's web host and Chromium (see useWindowHost). */
export interface WindowHost {
  readonly host: RunningHost;
  readonly browser: Browser;
  /**
   * A new page of the window at the host's address plus `query` (such as
   * `&scenario=default`), connected to the host, with its page errors
   * collected in `errors`.
   */
  openWindow(query?: string, options?: WindowOptions): Promise<{ page: Page; errors: string[] }>;
}

/**
 * Starts the built web host and Chromium before a test file's tests and
 * stops them after; call it at the top of the file.
 */
export function useWindowHost(): WindowHost {
  let host: RunningHost | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    [host, browser] = await Promise.all([startBuiltWebHost(), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await host?.stop();
  });
  const started = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('the web host is not started: use it inside tests and hooks');
    return v;
  };
  return {
    get host() {
      return started(host);
    },
    get browser() {
      return started(browser);
    },
    async openWindow(query = '', options = {}) {
      const page = await started(browser).newPage({
        viewport: options.viewport ?? { width: 1280, height: 800 },
        acceptDownloads: options.acceptDownloads,
      });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      if (options.console) page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      await page.goto(started(host).url + query);
      await page.waitForSelector('body[data-ready="1"]');
      return { page, errors };
    },
  };
}

/** Waits until the flame graph has drawn more than `frames` frames. */
export function flameGraphDrawn(page: Page, frames = 100, timeout = 60_000): Promise<unknown> {
  return page.waitForFunction((n) => Number(document.querySelector('[data-testid="flame-canvas"]')?.getAttribute('data-frames-drawn')) > n, frames, {
    timeout,
  });
}
