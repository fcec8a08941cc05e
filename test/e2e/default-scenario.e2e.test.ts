/**
 * The window's start, end to end: the address the web host prints asks for
 * the built-in default scenario, the emulator records it in the worker
 * (record -a -g), and the window draws the workloads' flame graph.
 */
import { describe, expect, it } from 'vitest';
import { paintedPixels, screenshot, useWindowHost } from '../helpers/browser';

const win = useWindowHost();

describe('the default scenario in the browser window', () => {
  it('opens on a flame graph of the default scenario’s host workloads', async () => {
    expect(win.host.printedUrl).toBe(`${win.host.url}&scenario=default`);
    const { page, errors } = await win.openWindow('&scenario=default');
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
