/**
 * The three tables in the browser window: perf stat and the VM exits of the
 * default scenario (a 2-vCPU guest) recorded in the worker, and the vPMU
 * accuracy table of a design comparison written by `guestperf compare -o`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { screenshot, useWindowHost } from '../helpers/browser';
import { runGuestperf } from '../helpers/cli';

const win = useWindowHost();
const dir = mkdtempSync(join(tmpdir(), 'guestperf-tables-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The table's cells, row by row, in the order shown. */
async function cells(page: Page, id: string): Promise<string[][]> {
  return page.getByTestId(`${id}-row`).evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent?.trim() ?? '')));
}

const number = (s: string) => Number(s.replace(/[^\d.-]/g, ''));

describe('the table views', () => {
  it('shows the default scenario’s perf stat and its VM exits by reason, with rates and the vPMU’s highlighted', async () => {
    const { page, errors } = await win.openWindow('&scenario=default');
    await expect.poll(async () => Number(await page.getByTestId('flame-canvas').getAttribute('data-frames-drawn')), { timeout: 60_000 }).toBeGreaterThan(0);

    await page.getByTestId('tab-stat').click();
    await expect.poll(() => page.getByTestId('stat-row').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('stat-source').textContent()).toContain('perf stat’s reading');
    const stat = await cells(page, 'stat');
    // Count, unit, event: every row a number with thousands separators or perf's marker.
    for (const row of stat) expect(row[0]).toMatch(/^(\d{1,3}(,\d{3})*|\d+\.\d\d|<not counted>|<not supported>)$/);
    expect(stat.some((r) => number(r[0]) > 1_000_000)).toBe(true);
    // Numbers are right-aligned.
    expect(await page.getByTestId('stat-row').first().locator('td').first().evaluate((td) => getComputedStyle(td).textAlign)).toBe('right');
    await screenshot(page, 'stat');

    await page.getByTestId('tab-exits').click();
    await expect.poll(() => page.getByTestId('exits-row').count()).toBeGreaterThan(1);
    const exits = await cells(page, 'exits');
    // Sorted by count, descending; each rate is count per second of the 2-vCPU guest's run.
    const counts = exits.map((r) => number(r[2]));
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    for (const r of exits) expect(number(r[3])).toBeGreaterThan(0);
    expect(await page.getByTestId('exits-total').textContent()).toMatch(/[\d,]+ exits, [\d,]+\/s over [\d.]+ s/);
    expect(await page.getByTestId('exits-legend').textContent()).toContain('Caused by the vPMU');
    // Clicking a header sorts by it.
    await page.getByTestId('exits-sort-reason').click();
    await page.getByTestId('exits-sort-reason').click();
    const reasons = (await cells(page, 'exits')).map((r) => r[0]);
    expect(reasons).toEqual([...reasons].sort((a, b) => a.localeCompare(b)));
    await screenshot(page, 'exits');

    await page.getByTestId('tab-accuracy').click();
    expect(await page.getByTestId('table-empty').textContent()).toContain('does not compare vPMU designs');
    expect(errors).toEqual([]);
  });

  it('opens a design comparison written by guestperf compare -o on its accuracy table', async () => {
    const scenario = join(dir, 'busy.yaml');
    writeFileSync(
      scenario,
      [
        'format: 1',
        'name: busy-host',
        'duration: 200ms',
        'machine: { arch: x86_64, cpus: 2, nmi_watchdog: false, pmu: { counters: 4 } }',
        'host: { workloads: [ { program: spin, threads: 1, cpus: [1] } ] }',
        'vms:',
        '  - { name: vm0, vcpus: 1, cpus: [1], workloads: [ { program: pmu-poll } ] }',
        'perf:',
        `  - { on: host, run: "stat -a -e '{r00c4,r00c5,r412e,r4f2e}:DH'" }`,
      ].join('\n'),
    );
    const trace = join(dir, 'designs.guestperf');
    const cli = await runGuestperf(['compare', '--scenario', scenario, '--vpmu', 'emulated,mediated', '-e', 'branches', '-o', trace]);
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);

    const { page, errors } = await win.openWindow();
    await page.getByTestId('file-input').setInputFiles(trace);
    await page.getByTestId('tab-accuracy').click();
    await expect.poll(() => page.getByTestId('accuracy-row').count(), { timeout: 30_000 }).toBe(2);
    const rows = await cells(page, 'accuracy');
    const byDesign = Object.fromEntries(rows.map((r) => [r[0], r]));
    expect(Object.keys(byDesign).sort()).toEqual(['emulated', 'mediated']);
    // The busy host's pinned group starves the emulated design's backing event; mediated counts exactly.
    expect(Math.abs(number(byDesign.emulated[4]))).toBeGreaterThan(5);
    expect(byDesign.mediated[4]).toBe('+0.00%');
    expect(byDesign.mediated[2]).toBe(byDesign.mediated[3]);
    expect(number(byDesign.emulated[6])).toBeGreaterThan(100 * Math.max(1, number(byDesign.mediated[6])));
    expect(await page.getByTestId('accuracy-row').nth(rows.indexOf(byDesign.emulated)).getAttribute('class')).toContain('large-error');
    await screenshot(page, 'accuracy');

    await page.getByTestId('tab-exits').click();
    expect(await page.getByTestId('table-empty').textContent()).toContain('has no VM exits');
    expect(errors).toEqual([]);
  });
});
