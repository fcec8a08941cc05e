/**
 * The flame chart tab end to end: the built web host, Debian's Chromium,
 * the emulator's default scenario (host workloads and a 2-vCPU guest) and a
 * real perf script capture. Boxes drawn, lanes by thread and CPU, wheel zoom
 * about the cursor, drag to pan, the tooltip, and a click selecting the
 * function the call tree's sandwich then shows.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, paintedPixels, screenshot, startBuiltWebHost, type RunningHost } from '../helpers/browser';
import { fixtures } from '../helpers/paths';

let host: RunningHost;
let browser: Browser;
let page: Page;
const errors: string[] = [];

const canvas = () => page.getByTestId('flame-chart-canvas');
const attr = async (name: string) => Number(await canvas().getAttribute(name));
const frame = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
const tooltip = () => page.getByTestId('flame-chart-tooltip');

/** Pixel centre of row `depth` (0 = outermost frames, under the ruler). */
async function rowY(depth: number): Promise<number> {
  const box = (await canvas().boundingBox())!;
  return box.y + (await attr('data-ruler-height')) + (await attr('data-row-height')) * (depth + 0.5);
}

/** Hovers along row `depth` until the tooltip shows; returns its text. */
async function hoverSomething(depth: number): Promise<{ x: number; y: number; text: string } | null> {
  const box = (await canvas().boundingBox())!;
  const y = await rowY(depth);
  for (let fx = 0.5; fx < 1; fx += 0.07) {
    for (const x of [box.x + box.width * fx, box.x + box.width * (1 - fx)]) {
      await page.mouse.move(x, y);
      await frame();
      if (await tooltip().isVisible()) return { x, y, text: (await tooltip().textContent()) ?? '' };
    }
  }
  return null;
}

beforeAll(async () => {
  [host, browser] = await Promise.all([startBuiltWebHost(), launchChromium()]);
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(`${host.url}&scenario=default`);
  await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('[data-testid="flame-canvas"]')?.dataset.framesDrawn) > 100, null, {
    timeout: 30_000,
  });
});

afterAll(async () => {
  await browser?.close();
  await host?.stop();
});

describe('the flame chart of the default scenario', () => {
  it('draws the busiest thread’s samples in time order, with a lane per thread and guest vCPU', async () => {
    await page.getByTestId('tab-chart').click();
    await expect.poll(() => attr('data-boxes-drawn'), { timeout: 10_000 }).toBeGreaterThan(50);
    expect(await canvas().getAttribute('data-axis')).toBe('time');
    expect(await attr('data-lane-samples')).toBeGreaterThan(1000);
    expect(await attr('data-lane-depth')).toBeGreaterThan(3);
    expect(await attr('data-view-start')).toBe(await attr('data-chart-start'));
    expect(await attr('data-view-end')).toBe(await attr('data-chart-end'));
    const lanes = await page.getByTestId('chart-lane').locator('option').allTextContents();
    expect(lanes.length).toBeGreaterThanOrEqual(5);
    expect(lanes.filter((l) => l.includes('(vm0 vCPU')).length).toBe(2);
    expect(await paintedPixels(page, 'flame-chart-canvas')).toBeGreaterThan(10_000);
    expect(await attr('data-paint-ms')).toBeLessThan(100);
    await screenshot(page, 'flame-chart');
  });

  it('shows name, context, machine, duration and time in the tooltip', async () => {
    const hit = await hoverSomething(1);
    expect(hit).not.toBeNull();
    for (const label of ['Context', 'Machine', 'Duration', 'At', 'Samples']) expect(hit!.text).toContain(label);
    expect(hit!.text).toMatch(/host (user|kernel)/);
    expect(hit!.text).toContain('host');
    expect(hit!.text).toMatch(/Duration[\d.,]+ (ns|µs|ms|s)At[\d.,]+ (ns|µs|ms|s)Samples\d/);
    await screenshot(page, 'flame-chart-tooltip');
  });

  it('zooms around the cursor with the wheel, pans by dragging, and Esc shows it all', async () => {
    const box = (await canvas().boundingBox())!;
    const [start, end] = [await attr('data-view-start'), await attr('data-view-end')];
    const px = box.x + box.width * 0.3;
    const timeAt = (s: number, e: number) => s + 0.3 * (e - s);
    await page.mouse.move(px, await rowY(0));
    for (let i = 0; i < 5; i++) await page.mouse.wheel(0, -300);
    await expect.poll(() => attr('data-view-end').then(async (e) => e - (await attr('data-view-start')))).toBeLessThan((end - start) / 5);
    const [zs, ze] = [await attr('data-view-start'), await attr('data-view-end')];
    // The time under the cursor stayed under it.
    expect(Math.abs(timeAt(zs, ze) - timeAt(start, end))).toBeLessThan((end - start) * 0.002);
    await screenshot(page, 'flame-chart-zoomed');

    await page.mouse.move(box.x + box.width * 0.6, await rowY(0));
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.4, await rowY(0), { steps: 5 });
    await page.mouse.up();
    await frame();
    const [ps, pe] = [await attr('data-view-start'), await attr('data-view-end')];
    expect(pe - ps).toBeCloseTo(ze - zs, 0);
    expect(ps - zs).toBeCloseTo((ze - zs) * 0.2, -2);

    await page.keyboard.press('Escape');
    await expect.poll(() => attr('data-view-start')).toBe(start);
    expect(await attr('data-view-end')).toBe(end);
  });

  it('a click selects the box’s function, and the call tree shows its sandwich', async () => {
    const hit = (await hoverSomething(2))!;
    expect(hit).not.toBeNull();
    const name = (await tooltip().locator('.tip-name').textContent())!;
    await page.mouse.click(hit.x, hit.y);
    await frame();
    await page.getByTestId('tab-tree').click();
    await expect.poll(() => page.getByTestId('sandwich-name').textContent()).toBe(name);
    expect(Number(await page.getByTestId('sandwich').getAttribute('data-total'))).toBeGreaterThan(0);
    await page.getByTestId('tab-chart').click();
    await expect.poll(() => attr('data-boxes-drawn')).toBeGreaterThan(50);
  });

  it('shows a guest vCPU’s lane with guest contexts, and lanes per CPU', async () => {
    const select = page.getByTestId('chart-lane');
    const vcpu = (await select.locator('option').allTextContents()).find((l) => l.includes('(vm0 vCPU'))!;
    await select.selectOption({ label: vcpu });
    await expect.poll(async () => (await canvas().getAttribute('data-lane')) ?? '').toMatch(/^thread:\d+:\d$/);
    const hit = await hoverSomething(0);
    expect(hit?.text).toMatch(/guest (user|kernel)/);
    expect(hit?.text).toContain('vm0');
    await screenshot(page, 'flame-chart-guest');

    await page.getByTestId('chart-lanes-cpu').click();
    await expect.poll(async () => (await canvas().getAttribute('data-lane')) ?? '').toMatch(/^cpu:\d$/);
    const cpus = await select.locator('option').allTextContents();
    expect(cpus.map((l) => l.split(' ·')[0]).sort()).toEqual(['CPU 0', 'CPU 1', 'CPU 2', 'CPU 3']);
    expect(await attr('data-boxes-drawn')).toBeGreaterThan(50);
    await page.getByTestId('chart-lanes-thread').click();
    expect(errors).toEqual([]);
  });
});

describe('the flame chart of a real perf script capture', () => {
  it('draws its threads’ samples on a time axis', async () => {
    await page.getByTestId('file-input').setInputFiles(join(fixtures, 'perf-script/gzip-find-dwarf.perf'));
    await expect.poll(() => page.getByTestId('status').textContent(), { timeout: 15_000 }).toContain('gzip-find-dwarf.perf');
    await expect.poll(() => canvas().getAttribute('data-axis')).toBe('time');
    await expect.poll(() => attr('data-boxes-drawn')).toBeGreaterThan(20);
    expect(await attr('data-lane-samples')).toBeGreaterThan(100);
    const hit = await hoverSomething(0);
    expect(hit?.text).toContain('Duration');
    await screenshot(page, 'flame-chart-perf-script');
    expect(errors).toEqual([]);
  });
});
