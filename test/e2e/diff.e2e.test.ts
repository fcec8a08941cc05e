/**
 * The differential view end to end, in Chromium through the built web host:
 * the default scenario's host against its guest, the open trace against a
 * baseline recorded with the command line and opened with "Compare with…",
 * and the scenario run under two vPMU designs. The colouring is read back
 * as red and blue pixels of the canvas; the numbers from the tooltip.
 */
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flameGraphDrawn, nextFrames, screenshot, useWindowHost } from '../helpers/browser';
import { outDir } from '../helpers/paths';

const win = useWindowHost();
let page: Page;
let baselineFile: string;
let errors: string[] = [];

const canvas = () => page.getByTestId('diff-canvas');
const attr = async (name: string) => Number(await canvas().getAttribute(name));
const text = async (testId: string) => (await page.getByTestId(testId).textContent()) ?? '';
const frame = () => nextFrames(page);

/** Canvas pixels that are clearly red (grew) and clearly blue (shrank). */
function redBlue(): Promise<{ red: number; blue: number }> {
  return page.evaluate(() => {
    const c = document.querySelector('[data-testid="diff-canvas"]') as HTMLCanvasElement;
    const { data } = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
    let red = 0;
    let blue = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
      if (r - b > 40 && r - g > 40) red++;
      else if (b - r > 40 && b - g > 15) blue++;
    }
    return { red, blue };
  });
}

/** Hovers the diff canvas row by row until the tooltip names a function, and returns its text. */
async function someTooltip(): Promise<string> {
  const box = (await canvas().boundingBox())!;
  const h = await attr('data-row-height');
  for (let row = 2; row < 12; row++) {
    for (let fx = 0.05; fx < 1; fx += 0.1) {
      await page.mouse.move(box.x + box.width * fx, box.y + box.height - h * (row + 0.5));
      await frame();
      if (await page.getByTestId('diff-tooltip').isVisible()) return text('diff-tooltip');
    }
  }
  return '';
}

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gp-diff-'));
  baselineFile = join(dir, 'baseline-paravirt.gprf');
  const recording = promisify(execFile)(process.execPath, [join(outDir, 'main', 'cli.js'), 'record', '-a', '-g', '--vpmu', 'paravirt', '--seed', '2', '-o', baselineFile]);
  ({ page, errors } = await win.openWindow('&scenario=default'));
  await flameGraphDrawn(page);
  await recording;
});

describe('the differential view', () => {
  it('compares the host against the guest of the open trace, in red and blue with the numbers', async () => {
    await page.getByTestId('tab-diff').click();
    await expect.poll(() => attr('data-frames-drawn'), { timeout: 15_000 }).toBeGreaterThan(50);
    expect(await text('diff-summary')).toMatch(/host: [\d,]+ events → guests: [\d,]+ events/);
    const { red, blue } = await redBlue();
    // Host-only functions (the host's workloads) are blue, guest-only ones (the web server) red.
    expect(red).toBeGreaterThan(2000);
    expect(blue).toBeGreaterThan(2000);
    const tip = await someTooltip();
    expect(tip).toMatch(/Before[\d,.]+ events \(\d/);
    expect(tip).toMatch(/After[\d,.]+ events \(\d/);
    expect(tip).toMatch(/Delta[+−]?[\d,.]+ events \((new|[+−]?\d+(\.\d)?%)\)/);
    await page.mouse.move(0, 0);
    await screenshot(page, 'diff-host-guest');
  });

  it('zooms on click and back out with Esc', async () => {
    const total = await attr('data-root-total');
    const box = (await canvas().boundingBox())!;
    const h = await attr('data-row-height');
    await page.mouse.click(box.x + box.width * 0.3, box.y + box.height - h * 1.5);
    await frame();
    expect(await attr('data-zoom-node')).not.toBe(0);
    expect(await attr('data-zoom-total')).toBeLessThan(total);
    expect(await page.getByTestId('diff-breadcrumbs').getByRole('button').count()).toBe(2);
    await page.keyboard.press('Escape');
    await frame();
    expect(await attr('data-zoom-node')).toBe(0);
  });

  it('compares the open trace with a baseline opened with “Compare with…”, keeping the open trace', async () => {
    const status = await text('status');
    await page.getByTestId('baseline-input').setInputFiles(baselineFile);
    await expect.poll(() => text('diff-summary'), { timeout: 30_000 }).toContain('baseline-paravirt.gprf');
    await frame();
    expect(await page.getByTestId('diff-mode-traces').getAttribute('aria-pressed')).toBe('true');
    expect(await text('status')).toBe(status);
    expect(await attr('data-frames-drawn')).toBeGreaterThan(50);
    const { red, blue } = await redBlue();
    expect(red + blue).toBeGreaterThan(500);
    const tip = await someTooltip();
    expect(tip).toContain('Before');
    expect(tip).toContain('Delta');
    await page.mouse.move(0, 0);
    await screenshot(page, 'diff-traces');
  });

  it('shows why there is nothing to compare when a side is missing, and keeps the open trace', async () => {
    await page.getByTestId('diff-mode-designs').click();
    expect(await text('diff-reason')).toContain('two designs');
    await page.getByTestId('diff-mode-host-guest').click();
    await expect.poll(() => attr('data-frames-drawn')).toBeGreaterThan(50);
  });

  it('runs the scenario under two vPMU designs of vm0 and diffs them', async () => {
    await page.getByTestId('diff-mode-designs').click();
    await expect.poll(() => page.getByTestId('design-vm').inputValue()).toBe('vm0');
    await page.getByTestId('design-before').selectOption('emulated');
    await page.getByTestId('design-after').selectOption('paravirt');
    const status = await text('status');
    await page.getByTestId('diff-run').click();
    await expect.poll(() => text('diff-summary'), { timeout: 90_000 }).toMatch(/vm0: emulated: [\d,]+ events → vm0: paravirt: [\d,]+ events/);
    await frame();
    expect(await attr('data-frames-drawn')).toBeGreaterThan(50);
    expect(await text('status')).toBe(status);
  });
});

afterAll(() => {
  expect(errors).toEqual([]);
});
