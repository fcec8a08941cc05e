/**
 * The flame graph view end to end: the default scenario (a host running vm0
 * with 2 vCPUs, recorded by the emulator in the web host's worker) and a real
 * `perf script` capture, in Debian's Chromium. Split roots, tooltip, zoom and
 * breadcrumbs, search, flame vs icicle, palette and keys, read back from the
 * canvas's data-* hooks, its pixels and the DOM.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { flameGraphDrawn, nextFrames, screenshot, useWindowHost } from '../helpers/browser';
import { fixtures } from '../helpers/paths';

const win = useWindowHost();
let page: Page;
let errors: string[] = [];

const canvas = () => page.getByTestId('flame-canvas');
const attr = async (name: string) => Number(await canvas().getAttribute(name));
const text = async (testId: string) => (await page.getByTestId(testId).textContent()) ?? '';
const frame = () => nextFrames(page);

/** Row `row` (0 = root) at fraction fx of the width, in page pixels, for either orientation. */
async function rowPoint(row: number, fx: number): Promise<{ x: number; y: number }> {
  const box = (await canvas().boundingBox())!;
  const h = await attr('data-row-height');
  const icicle = (await canvas().getAttribute('data-orientation')) === 'icicle';
  return { x: box.x + box.width * fx, y: icicle ? box.y + h * (row + 0.5) : box.y + box.height - h * (row + 0.5) };
}

/** Tooltip titles met while sweeping the pointer across one row. */
async function titlesOnRow(row: number, step = 0.004): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (let fx = step / 2; fx < 1; fx += step) {
    const p = await rowPoint(row, fx);
    await page.mouse.move(p.x, p.y);
    await frame();
    if (await page.getByTestId('tooltip').isVisible()) {
      const title = (await page.getByTestId('tooltip').locator('.tip-name').textContent()) ?? '';
      if (!seen.has(title)) seen.set(title, fx);
    }
  }
  return seen;
}

/** Pixels of a horizontal band of the canvas (device pixels, from the top) that differ from the background. */
function inkInBand(top: number, bottom: number): Promise<number> {
  return page.evaluate(
    ([t, b]) => {
      const c = document.querySelector('[data-testid="flame-canvas"]') as HTMLCanvasElement;
      const ctx = c.getContext('2d')!;
      const y0 = Math.round(t * c.height);
      const y1 = Math.round(b * c.height);
      const { data } = ctx.getImageData(0, y0, c.width, Math.max(1, y1 - y0));
      // The background the painter fills with (a hex colour in the theme's CSS).
      const hex = getComputedStyle(c).getPropertyValue('--flame-bg').trim() || '#ffffff';
      const [br, bg, bb] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
      let n = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (Math.abs(data[i] - br) + Math.abs(data[i + 1] - bg) + Math.abs(data[i + 2] - bb) > 30) n++;
      }
      return n;
    },
    [top, bottom],
  );
}

beforeAll(async () => {
  ({ page, errors } = await win.openWindow('&scenario=default'));
  await flameGraphDrawn(page);
});

describe('the flame graph of a host running a guest', () => {
  it('splits the root into host and vm0, and vm0 into its vCPUs', async () => {
    // The default scenario's recording has no sample in the hypervisor
    // context; the perf kvm capture below has.
    const groups = await titlesOnRow(1, 0.01);
    expect([...groups.keys()]).toEqual(['host', 'vm0']);
    const vcpus = await titlesOnRow(2, 0.01);
    expect([...vcpus.keys()]).toEqual(expect.arrayContaining(['vm0 vCPU 0', 'vm0 vCPU 1']));
    await page.mouse.move(0, 0);
    await screenshot(page, 'flame-graph');
  });

  it('shows name, context, machine, self and total with percentages, and the event in the tooltip', async () => {
    const groups = await titlesOnRow(1, 0.02);
    const vcpus = await titlesOnRow(2, 0.01);
    // A function frame under vm0 vCPU 0: three rows up from the root.
    const p = await rowPoint(3, vcpus.get('vm0 vCPU 0')! + 0.004);
    await page.mouse.move(p.x, p.y);
    await frame();
    const tip = await text('tooltip');
    expect(tip).toMatch(/Contextguest (kernel|user)/);
    expect(tip).toContain('Machinevm0');
    expect(tip).toMatch(/Total[\d,]+ events \(\d+(\.\d+)?%\)/);
    expect(tip).toMatch(/Self[\d,]+ events \(\d+(\.\d+)?%\)/);
    expect(tip).toContain('Eventcycles');
    expect(groups.has('host')).toBe(true);
  });

  it('merges the root back on the toggle, keeping the total', async () => {
    const total = await attr('data-root-total');
    await page.getByTestId('split-toggle').uncheck();
    await frame();
    const merged = await titlesOnRow(1, 0.02);
    expect(merged.has('host')).toBe(false);
    expect(merged.has('vm0')).toBe(false);
    expect(merged.size).toBeGreaterThan(0);
    expect(await attr('data-root-total')).toBe(total);
    await page.getByTestId('split-toggle').check();
    await frame();
    expect((await titlesOnRow(1, 0.02)).has('vm0')).toBe(true);
  });

  it('zooms into vm0 on click, shows it in the breadcrumbs, and Esc zooms back out', async () => {
    const total = await attr('data-root-total');
    const groups = await titlesOnRow(1, 0.01);
    const p = await rowPoint(1, groups.get('vm0')! + 0.005);
    await page.mouse.click(p.x, p.y);
    await frame();
    expect(await attr('data-zoom-node')).not.toBe(0);
    const zoomed = await attr('data-zoom-total');
    expect(zoomed).toBeGreaterThan(0);
    expect(zoomed).toBeLessThan(total);
    const crumbs = await page.getByTestId('breadcrumbs').getByRole('button').allTextContents();
    expect(crumbs.map((c) => c.trim())).toEqual(['all', 'vm0']);
    await page.keyboard.press('Escape');
    await frame();
    expect(await attr('data-zoom-node')).toBe(0);
    expect(await attr('data-zoom-total')).toBe(total);
  });

  it('highlights regex matches, reports their share, and keeps its state on an invalid pattern', async () => {
    await page.getByTestId('flame-search').fill('vcpu');
    await frame();
    const share = await text('search-share');
    const pct = Number(/^(\d+(?:\.\d)?)% of events match$/.exec(share)?.[1]);
    expect(pct).toBeGreaterThan(0);
    expect(pct).toBeLessThan(100);
    const drawn = await attr('data-frames-drawn');
    const matched = await attr('data-matched-drawn');
    expect(matched).toBeGreaterThan(0);
    expect(matched).toBeLessThan(drawn);
    await page.mouse.move(0, 0);
    await screenshot(page, 'flame-search');

    await page.getByTestId('flame-search').fill('vcpu(');
    await frame();
    expect(await text('search-error')).toMatch(/Invalid regular expression.*vcpu\(/);
    expect(await page.getByTestId('search-share').count()).toBe(0);
    expect(await attr('data-frames-drawn')).toBe(drawn);
    expect(await attr('data-matched-drawn')).toBe(0); // nothing dimmed while the pattern is broken
    await page.getByTestId('flame-search').fill('');
    await frame();
    expect(await page.getByTestId('search-error').count()).toBe(0);
  });

  it('draws the root at the bottom as a flame graph and at the top as an icicle', async () => {
    const flameBottom = await inkInBand(0.98, 1);
    const flameTop = await inkInBand(0, 0.02);
    expect(flameBottom).toBeGreaterThan(10 * flameTop + 1000);
    await page.getByTestId('orientation-icicle').click();
    await frame();
    expect(await canvas().getAttribute('data-orientation')).toBe('icicle');
    const icicleTop = await inkInBand(0, 0.02);
    const icicleBottom = await inkInBand(0.98, 1);
    expect(icicleTop).toBeGreaterThan(10 * icicleBottom + 1000);
    // The root is hit-tested where it is drawn.
    const p = await rowPoint(0, 0.5);
    await page.mouse.move(p.x, p.y);
    await frame();
    expect(await page.getByTestId('tooltip').locator('.tip-name').textContent()).toBe('all');
    await page.mouse.move(0, 0);
    await screenshot(page, 'flame-icicle');
    await page.getByTestId('orientation-flame').click();
    await frame();
  });

  it('moves a selection with the keys, zooms with Enter, lists the keys with ?, focuses search with /', async () => {
    await page.mouse.move(0, 0);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('?');
    await expect.poll(() => page.getByTestId('key-help').isVisible()).toBe(true);
    expect(await text('key-help')).toContain('Enter');
    await page.keyboard.press('?');
    await expect.poll(() => page.getByTestId('key-help').count()).toBe(0);

    await page.keyboard.press('ArrowUp'); // selects the zoomed node: the root
    await frame();
    expect(await attr('data-selected-node')).toBe(0);
    await page.keyboard.press('w'); // up = towards the leaves: the widest group
    await frame();
    const group = await attr('data-selected-node');
    expect(group).toBeGreaterThan(0);
    await page.keyboard.press('ArrowRight');
    await frame();
    const sibling = await attr('data-selected-node');
    await page.keyboard.press('ArrowLeft');
    await frame();
    // Back to where it was, unless the widest group was the last one.
    if (sibling !== group) expect(await attr('data-selected-node')).toBe(group);
    await page.keyboard.press('ArrowDown');
    await frame();
    expect(await attr('data-selected-node')).toBe(0);
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    await frame();
    expect(await attr('data-zoom-node')).toBe(group);
    await page.keyboard.press('Escape');
    await frame();
    expect(await attr('data-zoom-node')).toBe(0);
    expect(await attr('data-selected-node')).toBe(-1);

    await page.keyboard.press('/');
    expect(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.testid)).toBe('flame-search');
    await page.keyboard.type('kvm');
    await frame();
    expect(await text('search-share')).toMatch(/% of events match/);
    await page.keyboard.press('Escape');
    await frame();
    expect(await page.getByTestId('flame-search').inputValue()).toBe('');
    expect(await attr('data-matched-drawn')).toBe(0);
  });

  it('switches to the colour-blind-safe palette, legend included', async () => {
    const before = await inkInBand(0.9, 1);
    const pixel = () =>
      page.evaluate(() => {
        const c = document.querySelector('[data-testid="flame-canvas"]') as HTMLCanvasElement;
        return Array.from(c.getContext('2d')!.getImageData(Math.round(c.width * 0.3), c.height - 30, 1, 1).data).join(',');
      });
    const contextPixel = await pixel();
    await page.getByTestId('palette-select').selectOption('colorblind');
    await frame();
    expect(await page.getByTestId('legend').getAttribute('data-palette')).toBe('colorblind');
    expect(await pixel()).not.toBe(contextPixel);
    expect(await inkInBand(0.9, 1)).toBeGreaterThan(before / 2);
    await page.getByTestId('palette-select').selectOption('context');
    expect(errors).toEqual([]);
  });
});

describe('the flame graph of a real perf script capture', () => {
  it('shows the one machine it has as a single host root, and the frames under it', async () => {
    await page.getByTestId('file-input').setInputFiles(join(fixtures, 'perf-script/gzip-find-dwarf.perf'));
    await expect.poll(() => text('status'), { timeout: 15_000 }).toContain('gzip-find-dwarf.perf');
    await frame();
    expect(await attr('data-frames-drawn')).toBeGreaterThan(50);
    const groups = await titlesOnRow(1, 0.05);
    expect([...groups.keys()]).toEqual(['host']);
    const functions = await titlesOnRow(2, 0.05);
    expect(functions.size).toBeGreaterThan(0);
    expect(functions.has('host')).toBe(false);
  });

  it('splits a perf kvm --host --guest capture into host, hypervisor and the guest', async () => {
    await page.getByTestId('file-input').setInputFiles(join(fixtures, 'perf-script/kvm-host-guest.txt'));
    await expect.poll(() => text('status'), { timeout: 15_000 }).toContain('kvm-host-guest.txt');
    await frame();
    const groups = await titlesOnRow(1, 0.01);
    const names = [...groups.keys()];
    expect(names.slice(0, 2)).toEqual(['host', 'hypervisor']);
    expect(names.length).toBeGreaterThan(2); // and the guest
    expect(errors).toEqual([]);
  });
});
