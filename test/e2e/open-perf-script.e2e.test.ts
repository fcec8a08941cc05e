/**
 * The first vertical slice, end to end: the built web host, Debian's Chromium,
 * a real `perf record -g` capture opened through the browser's file picker,
 * and the canvas flame graph it draws.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { nextFrames, paintedPixels, screenshot, useWindowHost } from '../helpers/browser';
import { fixtures } from '../helpers/paths';

const capture = join(fixtures, 'perf-script/gzip-find-dwarf.perf');
const win = useWindowHost();
let page: Page;

const canvas = () => page.getByTestId('flame-canvas');
const text = async (testId: string) => (await page.getByTestId(testId).textContent()) ?? '';
const attr = async (name: string) => Number(await canvas().getAttribute(name));

async function openFile(path: string): Promise<void> {
  await page.getByTestId('file-input').setInputFiles(path);
}

beforeAll(async () => {
  const opened = await win.openWindow('', { console: true });
  page = opened.page;
  expect(opened.errors).toEqual([]);
});

describe('opening a real perf script capture in the browser window', () => {
  it('draws the flame graph with the sample total the file holds', async () => {
    await openFile(capture);
    await expect.poll(() => attr('data-frames-drawn'), { timeout: 15_000 }).toBeGreaterThan(50);

    const file = await readFile(capture, 'utf8');
    const periods = [...file.matchAll(/^\S.*?\s(\d+) cpu-clock:ppp:/gm)].map((m) => Number(m[1]));
    expect(periods.length).toBe(2179);
    const total = periods.reduce((a, b) => a + b, 0);
    expect(await attr('data-root-total')).toBe(total);
    expect(await text('status')).toContain('2,179');

    expect(await paintedPixels(page, 'flame-canvas')).toBeGreaterThan(10_000);
    await screenshot(page, 'flame-graph');
  });

  it('shows a tooltip with name, weight and percentage on hover', async () => {
    const box = (await canvas().boundingBox())!;
    // The root ("all") spans the full width on the bottom row of a flame graph.
    await page.mouse.move(box.x + box.width / 2, box.y + box.height - 6);
    const tip = page.getByTestId('tooltip');
    await expect.poll(() => tip.isVisible()).toBe(true);
    expect(await text('tooltip')).toContain('all');
    expect(await text('tooltip')).toContain('100');
    await screenshot(page, 'flame-graph-tooltip');
  });

  it('zooms into a frame on click and back out through the breadcrumbs', async () => {
    const before = await attr('data-zoom-total');
    expect(before).toBe(await attr('data-root-total'));
    const box = (await canvas().boundingBox())!;
    const rowHeight = await attr('data-row-height');
    // Click frames on the rows above the root until one is narrower than the root.
    let zoomed = false;
    for (let row = 1; row <= 6 && !zoomed; row++) {
      for (const fx of [0.5, 0.25, 0.75, 0.1, 0.9]) {
        await page.mouse.click(box.x + box.width * fx, box.y + box.height - rowHeight * (row + 0.5));
        // The canvas repaints on the next animation frame.
        await nextFrames(page);
        const total = await attr('data-zoom-total');
        if (total > 0 && total < before) {
          zoomed = true;
          break;
        }
        await page.keyboard.press('Escape');
      }
    }
    expect(zoomed).toBe(true);
    expect(await page.getByTestId('breadcrumbs').getByRole('button').count()).toBeGreaterThan(1);
    const after = await attr('data-zoom-total');
    expect(after).toBeLessThan(before);
    expect(after).toBeGreaterThan(0);
    await screenshot(page, 'flame-graph-zoomed');

    await page.getByTestId('breadcrumbs').getByRole('button').first().click();
    await expect.poll(() => attr('data-zoom-total')).toBe(before);
    expect(await attr('data-zoom-node')).toBe(0);
  });

  it('keeps the current flame graph when the next file is not a perf script', async () => {
    const before = await attr('data-root-total');
    await openFile(join(fixtures, 'perf-script/README.md'));
    const banner = page.getByTestId('error-banner');
    await expect.poll(() => banner.isVisible(), { timeout: 10_000 }).toBe(true);
    expect(await text('error-banner')).toContain('README.md');
    expect(await text('error-banner')).toContain('not a perf script');
    expect(await attr('data-root-total')).toBe(before);
    expect(await attr('data-frames-drawn')).toBeGreaterThan(50);
    await screenshot(page, 'not-a-perf-script');
  });

  it('exports the open profile as a browser download (folded stacks)', async () => {
    const total = await attr('data-root-total');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('export-select').selectOption('folded'),
    ]);
    expect(download.suggestedFilename()).toBe('gzip-find-dwarf.folded');
    const folded = await readFile((await download.path())!, 'utf8');
    const sum = folded
      .trim()
      .split('\n')
      .reduce((n, line) => n + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
    expect(sum).toBe(total);
  });

  it('keeps host, hypervisor and guest apart in a perf kvm --host --guest capture', async () => {
    await openFile(join(fixtures, 'perf-script/kvm-host-guest.txt'));
    await expect.poll(() => text('status'), { timeout: 10_000 }).toContain('kvm-host-guest.txt');
    const box = (await canvas().boundingBox())!;
    const rowHeight = await attr('data-row-height');
    const seen = new Set<string>();
    for (let row = 1; row <= 16 && seen.size < 5; row += 2) {
      for (let fx = 0.05; fx < 1; fx += 0.1) {
        await page.mouse.move(box.x + box.width * fx, box.y + box.height - rowHeight * (row + 0.5));
        await nextFrames(page);
        if (!(await page.getByTestId('tooltip').isVisible())) continue;
        const tip = await text('tooltip');
        for (const ctx of ['host user', 'host kernel', 'hypervisor', 'guest kernel', 'guest user']) if (tip.includes(ctx)) seen.add(ctx);
      }
    }
    await screenshot(page, 'flame-graph-host-guest');
    expect([...seen].sort()).toEqual(expect.arrayContaining(['guest kernel', 'host kernel', 'hypervisor']));
  });
});
