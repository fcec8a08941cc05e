/**
 * The flame chart tab end to end: the built web host, Debian's Chromium,
 * the emulator's default scenario (host workloads and a 2-vCPU guest) and a
 * real perf script capture. Boxes drawn, lanes by thread and CPU stacked on
 * one canvas (expanded and collapsed, one time window for all), wheel zoom
 * about the cursor, drag to pan, the tooltip, and a click selecting the
 * function the call tree's sandwich then shows.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePerfCommand, type RecordOptions } from '../../emulator/perf-tool/cmdline';
import { loadBuiltinScenario } from '../../emulator/scenario/builtins';
import { runRecord } from '../../emulator/session';
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

/** Pixel centre of the focused lane's row `depth` (0 = outermost frames, under its header). */
async function rowY(depth: number): Promise<number> {
  const box = (await canvas().boundingBox())!;
  return box.y + (await attr('data-lane-top')) + (await attr('data-row-height')) * (depth + 0.5);
}

/** The lanes in sight: key and canvas y of the header. */
async function headers(): Promise<{ key: string; y: number }[]> {
  const keys = ((await canvas().getAttribute('data-header-keys')) ?? '').split(' ').filter(Boolean);
  const ys = ((await canvas().getAttribute('data-header-ys')) ?? '').split(' ').map(Number);
  return keys.map((key, i) => ({ key, y: ys[i] }));
}

/** "1.5 ms" and the like, in ns. */
function nanoseconds(text: string): number {
  const [, v, unit] = /([\d.,]+) (ns|µs|ms|s)/.exec(text)!;
  return Number(v.replaceAll(',', '')) * { ns: 1, µs: 1e3, ms: 1e6, s: 1e9 }[unit as 'ns']!;
}

/** Duration and offset from the chart's start of the hovered box, from the tooltip. */
function tipSpan(text: string): { at: number; duration: number } {
  const m = /Duration(.+?)At(.+?)Samples/.exec(text)!;
  return { duration: nanoseconds(m[1]), at: nanoseconds(m[2]) };
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
    expect(await attr('data-lanes')).toBe(lanes.length);
    // Only the busiest lane is expanded at first, and only its boxes are built.
    expect(await attr('data-lanes-expanded')).toBe(1);
    expect(await attr('data-lanes-built')).toBe(1);
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

describe('the stacked lanes of the default scenario', () => {
  it('has one lane per thread with samples (a guest thread’s per vCPU), each with a header', async () => {
    const scenario = loadBuiltinScenario('default')!;
    const { profile } = runRecord(scenario.scenario, parsePerfCommand(['record', '-a', '-g']) as RecordOptions, '');
    const { samples } = profile;
    const threads = new Set<string>();
    for (let i = 0; i < samples.length; i++) if (samples.event[i] === 0 && samples.thread[i] >= 0) threads.add(`${samples.thread[i]}:${samples.vcpu[i]}`);
    await page.getByTestId('tab-chart').click();
    await expect.poll(() => attr('data-lanes')).toBe(threads.size);
    const [busiest] = await headers();
    expect(busiest.y).toBe(await attr('data-ruler-height'));
    expect(busiest.key).toBe(await canvas().getAttribute('data-lane'));
  });

  it('collapsed lanes draw only their activity strips; a click on a header expands its lane', async () => {
    await page.getByTestId('chart-collapse-all').click();
    await expect.poll(() => attr('data-lanes-expanded')).toBe(0);
    expect(await attr('data-boxes-drawn')).toBe(0);
    // Every lane fits when collapsed, and its strip paints.
    const all = await headers();
    expect(all.length).toBe(await attr('data-lanes'));
    expect(new Set(all.map((h) => h.key)).size).toBe(all.length);
    expect(await paintedPixels(page, 'flame-chart-canvas')).toBeGreaterThan(5_000);
    const built = await attr('data-lanes-built');

    const box = (await canvas().boundingBox())!;
    const before = await headers();
    // The busiest host thread after the first: no earlier test expanded it, so its boxes get built now.
    const target = before.slice(1).find((h) => /^thread:\d+$/.test(h.key))!;
    await page.mouse.click(box.x + box.width / 2, box.y + target.y + (await attr('data-header-height')) / 2);
    await expect.poll(() => attr('data-lanes-expanded')).toBe(1);
    await expect.poll(() => attr('data-boxes-drawn')).toBeGreaterThan(20);
    expect(await attr('data-lanes-built')).toBe(built + 1);
    const oneOpen = await attr('data-boxes-drawn');
    await screenshot(page, 'flame-chart-lanes');

    const [first, second] = before;
    await page.mouse.click(box.x + box.width / 2, box.y + first.y + (await attr('data-header-height')) / 2);
    await expect.poll(() => attr('data-boxes-drawn')).toBeGreaterThan(oneOpen);
    expect(await attr('data-lanes-expanded')).toBe(2);
    // The lanes below moved down by the first lane's rows, some out of sight.
    const after = await headers();
    expect(after.length).toBeLessThan(before.length);
    const moved = after.find((h) => h.key === second.key);
    if (moved) expect(moved.y).toBeGreaterThan(second.y + (await attr('data-row-height')) * 2);

    await page.mouse.click(box.x + box.width / 2, box.y + first.y + (await attr('data-header-height')) / 2);
    await expect.poll(() => attr('data-lanes-expanded')).toBe(1);
    expect(await attr('data-boxes-drawn')).toBe(oneOpen);
  });

  it('zooms every lane to one window, and the picker scrolls to the lane it expands', async () => {
    const select = page.getByTestId('chart-lane');
    const options = await select.locator('option').all();
    const keys = await Promise.all(options.map((o) => o.getAttribute('value')));
    const vcpu = keys.find((k) => /^thread:\d+:1$/.test(k ?? ''))!;
    await page.getByTestId('chart-expand-all').click();
    await expect.poll(() => attr('data-lanes-expanded')).toBe(keys.length);
    await select.selectOption(vcpu);
    await expect.poll(async () => canvas().getAttribute('data-lane')).toBe(vcpu);
    await frame();
    expect(await attr('data-scroll-y')).toBeGreaterThan(0);
    const laneTop = await attr('data-lane-top');
    expect(laneTop).toBeGreaterThanOrEqual((await attr('data-ruler-height')) + (await attr('data-header-height')));

    const box = (await canvas().boundingBox())!;
    const [start, end] = [await attr('data-view-start'), await attr('data-view-end')];
    await page.mouse.move(box.x + box.width * 0.5, await rowY(0));
    for (let i = 0; i < 6; i++) await page.mouse.wheel(0, -300);
    await expect.poll(async () => (await attr('data-view-end')) - (await attr('data-view-start'))).toBeLessThan((end - start) / 10);
    const chartStart = await attr('data-chart-start');
    const window = { from: (await attr('data-view-start')) - chartStart, to: (await attr('data-view-end')) - chartStart };
    // Boxes under the pointer, in the guest's lane and then in the busiest lane, lie in the one window.
    for (const key of [vcpu, keys[0]!]) {
      await select.selectOption(key);
      await expect.poll(async () => canvas().getAttribute('data-lane')).toBe(key);
      await frame();
      const hit = await hoverSomething(0);
      expect(hit, key).not.toBeNull();
      const { at, duration } = tipSpan(hit!.text);
      const slack = (window.to - window.from) * 0.01;
      expect(at).toBeLessThan(window.to + slack);
      expect(at + duration).toBeGreaterThan(window.from - slack);
    }
    await screenshot(page, 'flame-chart-lanes-zoomed');
    await page.keyboard.press('Escape');
    await page.getByTestId('chart-collapse-all').click();
    // Lanes by CPU and back: the focus returns to the busiest thread for the next trace.
    await page.getByTestId('chart-lanes-cpu').click();
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
