/**
 * The call tree tab end to end: the built web host, Debian's Chromium, the
 * emulator's default scenario (host workloads and a 2-vCPU guest) and a real
 * perf script capture. Rows, expansion by keyboard, the bottom-up tree's
 * totals, the sandwich of a selected function, and virtualization.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { flameGraphDrawn, nextFrames, screenshot, useWindowHost } from '../helpers/browser';
import { fixtures } from '../helpers/paths';

const win = useWindowHost();
let page: Page;
let errors: string[] = [];

interface Row {
  node: number;
  name: string;
  depth: number;
  total: number;
  self: number;
  expanded: string | null;
}

const table = (id = 'calltree') => page.getByTestId(id);
const num = async (id: string, attr: string) => Number(await table(id).getAttribute(attr));
const frame = () => nextFrames(page);

/** The rows in the DOM of table `id`. */
function domRows(id = 'calltree'): Promise<Row[]> {
  return page.evaluate((tid) => {
    return Array.from(document.querySelectorAll<HTMLElement>(`[data-testid="${tid}-row"]`)).map((el) => ({
      node: Number(el.dataset.node),
      name: el.dataset.name ?? '',
      depth: Number(el.dataset.depth),
      total: Number(el.dataset.total),
      self: Number(el.dataset.self),
      expanded: el.getAttribute('aria-expanded'),
    }));
  }, id);
}

/** Every row of the list, scrolling the table through (only visible rows are in the DOM). */
async function allRows(id = 'calltree'): Promise<Row[]> {
  const seen = new Map<number, Row>();
  const scroller = table(id);
  const height = await scroller.evaluate((el) => el.scrollHeight);
  const step = await scroller.evaluate((el) => Math.max(22, el.clientHeight - 44));
  for (let top = 0; top <= height; top += step) {
    await scroller.evaluate((el, t) => (el.scrollTop = t), top);
    await frame();
    for (const r of await domRows(id)) seen.set(r.node, r);
  }
  await scroller.evaluate((el) => (el.scrollTop = 0));
  return [...seen.values()];
}

beforeAll(async () => {
  ({ page, errors } = await win.openWindow('&scenario=default', { viewport: { width: 1280, height: 900 }, console: true }));
  await flameGraphDrawn(page, 100, 30_000);
});

describe('the call tree of the default scenario', () => {
  let rootTotal = 0;

  it('shows the top-down tree opened along its heaviest path, with the flame graph’s total', async () => {
    rootTotal = Number(await page.getByTestId('flame-canvas').getAttribute('data-root-total'));
    await page.getByTestId('tab-tree').click();
    await expect.poll(() => num('calltree', 'data-row-count')).toBeGreaterThan(3);
    expect(await num('calltree', 'data-root-total')).toBe(rootTotal);
    const rows = await domRows();
    expect(rows[0]).toMatchObject({ name: 'all', depth: 0, total: rootTotal, expanded: 'true' });
    // Children under a parent are listed heaviest first.
    const top = rows.filter((r) => r.depth === 1).map((r) => r.total);
    expect(top.length).toBeGreaterThan(1);
    expect(top).toEqual([...top].sort((a, b) => b - a));
    expect(await page.getByTestId('calltree-top-down').getAttribute('aria-pressed')).toBe('true');
    await screenshot(page, 'call-tree');
    expect(errors).toEqual([]);
  });

  it('expands and collapses with the keyboard, * expanding everything below; the DOM keeps only visible rows', async () => {
    await page.getByTestId('calltree-row').first().click();
    expect(await page.getByTestId('calltree-row').first().getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => num('calltree', 'data-row-count')).toBe(1);
    await page.keyboard.press('ArrowRight');
    const children = await num('calltree', 'data-row-count');
    expect(children).toBeGreaterThan(1);
    // Down onto the first child: Enter toggles it, and toggles it back.
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await expect.poll(() => num('calltree', 'data-row-count')).not.toBe(children);
    await page.keyboard.press('Enter');
    await expect.poll(() => num('calltree', 'data-row-count')).toBe(children);
    await page.keyboard.press('Home');
    await page.keyboard.press('*');
    await expect.poll(() => num('calltree', 'data-row-count')).toBeGreaterThan(200);
    const count = await num('calltree', 'data-row-count');
    expect(await num('calltree', 'data-dom-rows')).toBeLessThan(80);
    // Every node is a row once expanded: totals of children add up under their parent.
    const rows = await allRows();
    expect(rows.length).toBe(count);
    expect(rows.every((r) => r.expanded !== 'false')).toBe(true);
    const maxDepth = Math.max(...rows.map((r) => r.depth));
    expect(maxDepth).toBeGreaterThan(4);
    await page.keyboard.press('End');
    await frame();
    const last = await domRows();
    expect(last.some((r) => r.node === rows.at(-1)!.node || r.depth > 0)).toBe(true);
    await page.keyboard.press('Home');
  });

  it('bottom-up: the root’s total is its self plus the totals of the sampled functions, each all self', async () => {
    await page.getByTestId('calltree-bottom-up').click();
    await expect.poll(() => page.getByTestId('calltree-bottom-up').getAttribute('aria-pressed')).toBe('true');
    expect(await num('calltree', 'data-root-total')).toBe(rootTotal);
    const rows = await allRows();
    const root = rows.find((r) => r.depth === 0)!;
    const leaves = rows.filter((r) => r.depth === 1);
    expect(leaves.length).toBeGreaterThan(5);
    for (const r of leaves) expect(r.self).toBe(r.total);
    expect(root.self + leaves.reduce((n, r) => n + r.total, 0)).toBe(rootTotal);
    // Guest functions are sampled functions too, apart from the host's.
    await screenshot(page, 'call-tree-bottom-up');
  });

  it('selecting a function shows its sandwich: callers above, callees below', async () => {
    const heaviest = (await domRows()).filter((r) => r.depth === 1).sort((a, b) => b.total - a.total)[0];
    await page.locator(`[data-testid="calltree-row"][data-node="${heaviest.node}"]`).click();
    const sandwich = page.getByTestId('sandwich');
    await expect.poll(() => sandwich.isVisible()).toBe(true);
    expect(await page.getByTestId('sandwich-name').textContent()).toBe(heaviest.name);
    // The bottom-up root of a function is the weight of samples taken in it: its self.
    expect(Number(await sandwich.getAttribute('data-self'))).toBe(heaviest.total);
    const total = Number(await sandwich.getAttribute('data-total'));
    expect(total).toBeGreaterThanOrEqual(heaviest.total);
    const callers = await domRows('sandwich-callers');
    const callees = await domRows('sandwich-callees');
    expect(callers[0]).toMatchObject({ name: heaviest.name, depth: 0, total });
    expect(callees[0]).toMatchObject({ name: heaviest.name, depth: 0, total });
    expect(callers.length).toBeGreaterThan(1);
    expect(callers.filter((r) => r.depth === 1).reduce((n, r) => n + r.total, 0)).toBeLessThanOrEqual(total);
    await screenshot(page, 'sandwich');
    expect(errors).toEqual([]);
  });

  it('shows the sandwich as two flame graphs meeting at the function: callers growing up, callees hanging down', async () => {
    const name = await page.getByTestId('sandwich-name').textContent();
    const total = Number(await page.getByTestId('sandwich').getAttribute('data-total'));
    await page.getByTestId('sandwich-as-flames').click();
    const callers = page.getByTestId('sandwich-callers-flame');
    const callees = page.getByTestId('sandwich-callees-flame');
    await expect.poll(async () => Number(await callers.getAttribute('data-frames-drawn'))).toBeGreaterThan(2);
    await expect.poll(async () => Number(await callees.getAttribute('data-frames-drawn'))).toBeGreaterThan(1);
    expect(await page.getByTestId('sandwich-callers').count()).toBe(0);
    // Each half's root is the function's total.
    expect(Number(await callers.getAttribute('data-root-total'))).toBe(total);
    expect(Number(await callees.getAttribute('data-root-total'))).toBe(total);

    // The function's row: second from the bottom of the callers, second from the top of the callees.
    const rowHeight = Number(await callers.getAttribute('data-row-height'));
    const up = (await callers.boundingBox())!;
    await page.mouse.move(up.x + up.width / 2, up.y + up.height - 1.5 * rowHeight);
    await expect.poll(() => page.getByTestId('sandwich-callers-flame-tooltip').textContent()).toContain(name!);
    const down = (await callees.boundingBox())!;
    await page.mouse.move(down.x + down.width / 2, down.y + 1.5 * rowHeight);
    await expect.poll(() => page.getByTestId('sandwich-callees-flame-tooltip').textContent()).toContain(name!);

    // A click on a caller zooms that half only; a click on the root shows it whole again.
    await page.mouse.click(up.x + 2, up.y + up.height - 2.5 * rowHeight);
    await expect.poll(async () => Number(await callers.getAttribute('data-zoom-node'))).toBeGreaterThan(0);
    expect(Number(await callers.getAttribute('data-zoom-total'))).toBeLessThanOrEqual(total);
    expect(Number(await callees.getAttribute('data-zoom-node'))).toBe(0);
    await screenshot(page, 'sandwich-flames');
    await page.mouse.click(up.x + up.width / 2, up.y + up.height - 0.5 * rowHeight);
    await expect.poll(async () => Number(await callers.getAttribute('data-zoom-node'))).toBe(0);

    await page.getByTestId('sandwich-as-tables').click();
    await expect.poll(() => page.getByTestId('sandwich-callers-row').count()).toBeGreaterThan(1);
    expect(errors).toEqual([]);
  });
});

describe('the call tree of a real perf script capture', () => {
  it('shows the file’s total, and host, hypervisor and guest functions apart', async () => {
    const capture = join(fixtures, 'perf-script/gzip-find-dwarf.perf');
    await page.getByTestId('file-input').setInputFiles(capture);
    const file = await readFile(capture, 'utf8');
    const total = [...file.matchAll(/^\S.*?\s(\d+) cpu-clock:ppp:/gm)].reduce((n, m) => n + Number(m[1]), 0);
    await expect.poll(() => num('calltree', 'data-root-total'), { timeout: 15_000 }).toBe(total);
    expect(await num('calltree', 'data-row-count')).toBeGreaterThan(3);

    await page.getByTestId('file-input').setInputFiles(join(fixtures, 'perf-script/kvm-host-guest.txt'));
    await expect.poll(() => page.getByTestId('status').textContent(), { timeout: 15_000 }).toContain('kvm-host-guest.txt');
    await page.getByTestId('calltree-top-down').click();
    await page.getByTestId('calltree-row').first().click();
    await page.keyboard.press('*');
    const contexts = await page.evaluate(async () => {
      const el = document.querySelector<HTMLElement>('[data-testid="calltree"]')!;
      const seen = new Set<string>();
      for (let top = 0; top <= el.scrollHeight; top += el.clientHeight / 2) {
        el.scrollTop = top;
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        for (const c of el.querySelectorAll('.ctx')) seen.add(c.textContent ?? '');
      }
      return [...seen];
    });
    expect(contexts).toEqual(expect.arrayContaining(['host kernel', 'hypervisor', 'guest kernel']));
    expect(errors).toEqual([]);
  });
});
