/**
 * The view state travels with the trace: a window that exported a native
 * trace while on a tab and zoomed in opens that file again on the same tab,
 * at the same zoom.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nextFrames, useWindowHost } from '../helpers/browser';
import { fixtures } from '../helpers/paths';

const win = useWindowHost();
const newWindow = () => win.openWindow('', { acceptDownloads: true });

describe('view state saved with the trace', () => {
  it('reopens an exported trace on the tab and zoom it was saved with', async () => {
    const first = await newWindow();
    const page = first.page;
    await page.getByTestId('file-input').setInputFiles(join(fixtures, 'perf-script/gzip-find-dwarf.perf'));
    const canvas = page.getByTestId('flame-canvas');
    await expect.poll(async () => Number(await canvas.getAttribute('data-frames-drawn')), { timeout: 15_000 }).toBeGreaterThan(50);

    // Zoom: click frames above the root until one is narrower than the root.
    const root = Number(await canvas.getAttribute('data-root-total'));
    const box = (await canvas.boundingBox())!;
    const row = Number(await canvas.getAttribute('data-row-height'));
    const flipped = (await canvas.getAttribute('data-orientation')) === 'icicle';
    for (let d = 1; d <= 6 && Number(await canvas.getAttribute('data-zoom-total')) === root; d++) {
      const y = flipped ? box.y + row * (d + 0.5) : box.y + box.height - row * (d + 0.5);
      await page.mouse.click(box.x + box.width * 0.5, y);
      await nextFrames(page);
    }
    const zoomNode = Number(await canvas.getAttribute('data-zoom-node'));
    const zoomTotal = Number(await canvas.getAttribute('data-zoom-total'));
    expect(zoomNode).toBeGreaterThan(0);
    expect(zoomTotal).toBeLessThan(root);

    await page.getByTestId('tab-tree').click();
    // The window sends its state after a quiet moment; the export must carry it.
    await page.waitForTimeout(600);
    const download = page.waitForEvent('download');
    await page.getByTestId('export-select').selectOption('guestperf');
    const file = join(await mkdtemp(join(tmpdir(), 'gp-view-')), 'saved.guestperf');
    await (await download).saveAs(file);
    expect(first.errors).toEqual([]);

    const second = await newWindow();
    await second.page.getByTestId('file-input').setInputFiles(file);
    const tab = second.page.getByTestId('tab-tree');
    await expect.poll(() => tab.getAttribute('aria-selected'), { timeout: 15_000 }).toBe('true');
    await second.page.getByTestId('tab-flame').click();
    const again = second.page.getByTestId('flame-canvas');
    await expect.poll(async () => Number(await again.getAttribute('data-frames-drawn')), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(Number(await again.getAttribute('data-zoom-node'))).toBe(zoomNode);
    expect(Number(await again.getAttribute('data-zoom-total'))).toBe(zoomTotal);
    expect(second.errors).toEqual([]);
  });
});
