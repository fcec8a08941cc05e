/**
 * The window's start, end to end: the address the web host prints asks for
 * the built-in default scenario, the emulator records it in the worker
 * (record -a -g), and the window draws the workloads' flame graph.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, paintedPixels, screenshot, startBuiltWebHost, type RunningHost } from '../helpers/browser';

let host: RunningHost;
let browser: Browser;

beforeAll(async () => {
  [host, browser] = await Promise.all([startBuiltWebHost(), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await host?.stop();
});

describe('the default scenario in the browser window', () => {
  it('opens on a flame graph of the default scenario’s host workloads', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    expect(host.printedUrl).toBe(`${host.url}&scenario=default`);
    await page.goto(host.printedUrl);
    const canvas = page.getByTestId('flame-canvas');
    await expect.poll(async () => Number(await canvas.getAttribute('data-frames-drawn')), { timeout: 30_000 }).toBeGreaterThan(100);
    const status = (await page.getByTestId('status').textContent()) ?? '';
    const samples = Number(/([\d,]+) samples/.exec(status)?.[1].replaceAll(',', ''));
    expect(samples).toBeGreaterThan(20_000);
    const legend = (await page.getByTestId('legend').textContent()) ?? '';
    expect(legend).toContain('host kernel');
    expect(legend).toContain('host user');
    expect(await paintedPixels(page, 'flame-canvas')).toBeGreaterThan(10_000);
    await screenshot(page, 'default-scenario');
    expect(errors).toEqual([]);
  });
});
