/**
 * The counter timeline's hover in Chromium through the built web host, over
 * the built-in `mediated` scenario as the window records it: the tooltip's
 * time and per-series values are the trace's counter readings at that time
 * (the same scenario recorded here, in Node, by the same deterministic
 * emulator), a guest run under the pointer is named with its exit reason and
 * exits, and every chart draws the crosshair at the pointer's time. Then an
 * arm64 guest's SPE blackouts: drawn as a band, and named when hovered.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { parsePerfCommand, type RecordOptions } from '../../emulator/perf-tool/cmdline';
import { loadBuiltinScenario } from '../../emulator/scenario/builtins';
import { parseScenario } from '../../emulator/scenario/parse';
import { runRecord } from '../../emulator/session';
import { writeTrace } from '../../main/files/trace-io';
import { nativeFormat } from '../../profile/formats/native';
import { groupCounters, lowerBound } from '../../profile/counter-series';
import { MarkerKind, type Profile } from '../../profile/model';
import { nextFrames, screenshot, useWindowHost } from '../helpers/browser';

const win = useWindowHost();

/** What the window's worker records for `&scenario=mediated`: record -a -g of the built-in. */
function recordMediated(): Profile {
  const { scenario } = loadBuiltinScenario('mediated')!;
  return runRecord(scenario, parsePerfCommand(['record', '-a', '-g']) as RecordOptions, '').profile;
}

interface Row {
  label: string;
  min: number;
  max: number;
  points: number;
  text: string;
}

const tooltip = (page: Page) => page.getByTestId('timeline-tooltip');

async function rows(page: Page): Promise<Row[]> {
  return tooltip(page)
    .getByTestId('timeline-tooltip-row')
    .evaluateAll((trs) =>
      trs.map((tr) => {
        const d = (tr as HTMLElement).dataset;
        return { label: d.label!, min: Number(d.min), max: Number(d.max), points: Number(d.points), text: tr.textContent ?? '' };
      }),
    );
}

/** Hovers the cycles chart at page x and waits for the tooltip made for that position. */
async function hoverAt(page: Page, x: number, y: number): Promise<number> {
  const before = (await tooltip(page).count()) ? await tooltip(page).getAttribute('data-hover-time') : null;
  await page.mouse.move(x, y);
  await expect.poll(() => tooltip(page).getAttribute('data-hover-time')).not.toBe(before);
  return Number(await tooltip(page).getAttribute('data-hover-time'));
}

describe('hovering the counter timeline of the mediated scenario', () => {
  const trace = recordMediated();

  it('shows the trace’s readings at the pointer’s time, the guest run under it, and a crosshair in every chart', async () => {
    const { page, errors } = await win.openWindow('&scenario=mediated', { viewport: { width: 1280, height: 900 } });
    await expect.poll(() => page.getByTestId('status').textContent(), { timeout: 60_000 }).toContain('mediated');
    await page.getByTestId('tab-timeline').click();
    await page.getByTestId('timeline-cpu').selectOption('2');
    const chart = page.locator('[data-testid="timeline-chart"][data-event="cycles"]');
    await expect.poll(() => chart.getAttribute('data-series')).toContain('host-only');
    await nextFrames(page);
    const box = (await chart.boundingBox())!;
    const y = box.y + box.height * 0.4;

    // Two hovers give the pixel → time map the chart uses.
    const x1 = box.x + box.width * 0.3;
    const x2 = box.x + box.width * 0.7;
    const t1 = await hoverAt(page, x1, y);
    const t2 = await hoverAt(page, x2, y);
    const nsPerPx = (t2 - t1) / (x2 - x1);
    const start = Number(await chart.getAttribute('data-window-start'));
    const end = Number(await chart.getAttribute('data-window-end'));
    expect(nsPerPx * box.width).toBeGreaterThan(0.8 * (end - start));
    expect(nsPerPx * box.width).toBeLessThan(1.2 * (end - start));
    const xOf = (t: number) => x1 + (t - t1) / nsPerPx;

    // A guest run of vm0 on CPU 2 (the spinning vCPU's runs are long), hovered well inside it and the window.
    const m = trace.markers;
    const lo = start + 0.1 * (end - start);
    const hi = end - 0.1 * (end - start);
    let run = -1;
    for (let i = 0; i < m.length && run < 0; i++) {
      if (m.kind[i] === MarkerKind.GuestRun && m.cpu[i] === 2 && Math.min(hi, m.end[i]) - Math.max(lo, m.start[i]) > 40 * nsPerPx) run = i;
    }
    expect(run).toBeGreaterThanOrEqual(0);
    const t = await hoverAt(page, xOf((Math.max(lo, m.start[run]) + Math.min(hi, m.end[run])) / 2), y);
    expect(t).toBeGreaterThan(m.start[run]);
    expect(t).toBeLessThan(m.end[run]);

    // Each series says what its track read at t (columns here are far narrower than the 10 ms between readings).
    const shown = await rows(page);
    const series = groupCounters(trace, 2).find((g) => g.event === 'cycles')!.series;
    expect(shown.map((r) => r.label)).toEqual(series.map((s) => s.label));
    for (const row of shown) {
      const track = trace.counters[series.find((s) => s.label === row.label)!.track];
      const from = Number(await tooltip(page).getAttribute('data-column-from'));
      const to = Number(await tooltip(page).getAttribute('data-column-to'));
      const a = lowerBound(track.time, from);
      const inColumn = Array.from(track.value.slice(a, lowerBound(track.time, to)));
      const want = inColumn.length ? inColumn : [track.value[lowerBound(track.time, t)]];
      expect([row.min, row.max]).toEqual([Math.min(...want), Math.max(...want)]);
      if (row.min === row.max) expect(row.text).toContain(row.min.toLocaleString('en-US'));
    }
    // The guest holds CPU 2: its cycles are most of a CPU's 30M per 10 ms, the host's only KVM's exits.
    const hostOnly = shown.find((r) => r.label === 'cycles:PH host-only')!;
    const guests = shown.find((r) => r.label === 'cycles (truth, guests)')!;
    expect(guests.max).toBeGreaterThan(20e6);
    expect(hostOnly.max).toBeLessThan(0.05 * guests.max);

    const markers = await tooltip(page).getByTestId('timeline-tooltip-marker').allTextContents();
    const exits = (JSON.parse(trace.strings[m.data[run]]) as { exits: number }).exits;
    expect(markers).toContainEqual(
      expect.stringMatching(
        new RegExp(`^guest run: vm0 vCPU ${m.vcpu[run]} on CPU 2, [\\d.]+ (ns|µs|ms|s), ended by ${trace.strings[m.name[run]]}, ${exits} exits inside$`),
      ),
    );
    const time = (await tooltip(page).locator('.time').textContent()) ?? '';
    expect(time).toContain(`${(t / 1e6).toFixed(3)} ms`);

    expect(Number(await chart.getAttribute('data-hover-ms'))).toBeGreaterThan(0);
    await screenshot(page, 'timeline-tooltip');

    // All CPUs: the guest's own perf adds an instructions chart; every chart's crosshair stands at the pointer's x.
    await page.getByTestId('timeline-cpu').selectOption('-1');
    await expect.poll(() => page.getByTestId('timeline').getAttribute('data-charts')).not.toBe('1');
    await nextFrames(page);
    // (Each chart's y axis is as wide as its labels, so the same time is at a chart's own x.)
    const x = xOf(t);
    await hoverAt(page, x, y);
    const lines = await page.getByTestId('timeline-crosshair').evaluateAll((els) =>
      els.map((el) => ({ shown: getComputedStyle(el).display !== 'none', left: el.getBoundingClientRect().left })),
    );
    expect(lines.length).toBeGreaterThan(1);
    expect(Math.abs(lines[0].left - x)).toBeLessThan(1);
    for (const l of lines) {
      expect(l.shown).toBe(true);
      expect(Math.abs(l.left - x)).toBeLessThan(40);
    }
    expect((await rows(page)).map((r) => r.label)).toContain('cycles (vm0 perf) guest-only (vm0)');

    // Off the plot, the tooltip and the crosshairs go.
    await page.mouse.move(box.x + box.width / 2, box.y - 40);
    await expect.poll(() => tooltip(page).count()).toBe(0);
    await nextFrames(page);
    const hidden = await page.getByTestId('timeline-crosshair').evaluateAll((els) => els.every((el) => getComputedStyle(el).display === 'none'));
    expect(hidden).toBe(true);
    expect(errors).toEqual([]);
  });

  it('draws an arm64 guest’s SPE blackouts as a band and names the one under the pointer', async () => {
    const text = [
      'format: 1',
      'name: spe-blackouts',
      'duration: 100ms',
      'machine: { arch: arm64, cpus: 2, pmu: { spe: [0, 1] } }',
      'vms:',
      '  - { name: vm0, vcpus: 1, cpus: [1], spe: true, spe_config: { buffer_kb: 64, interval: 4096 }, workloads: [ { program: spin } ] }',
    ].join('\n');
    const spe = runRecord(parseScenario(text, 'spe.yaml').scenario, parsePerfCommand(['record', '-a', '-e', 'cycles']) as RecordOptions, text).profile;
    const dir = await mkdtemp(join(tmpdir(), 'guestperf-hover-'));
    try {
      const file = join(dir, 'spe.guestperf');
      await writeTrace(file, spe, nativeFormat);
      const { page, errors } = await win.openWindow('', { viewport: { width: 1280, height: 900 } });
      await page.getByTestId('file-input').setInputFiles(file);
      await expect.poll(() => page.getByTestId('status').textContent(), { timeout: 20_000 }).toContain('spe.guestperf');
      await page.getByTestId('tab-timeline').click();
      const chart = page.locator('[data-testid="timeline-chart"]').first();
      await expect.poll(() => chart.getAttribute('data-spe')).not.toBe(null);
      const m = spe.markers;
      const blackouts = Array.from({ length: m.length }, (_, i) => i).filter((i) => spe.strings[m.name[i]].startsWith('SPE '));
      expect(Number(await chart.getAttribute('data-spe'))).toBe(blackouts.length);
      await nextFrames(page);
      // The band: teal pixels along the top of the plot.
      const teal = await page.evaluate(() => {
        const c = document.querySelector('[data-testid="timeline-chart"] canvas') as HTMLCanvasElement;
        const { data } = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
        let n = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i] < 20 && data[i + 1] > 120 && data[i + 1] < 150 && data[i + 2] > 110 && data[i + 2] < 135) n++;
        return n;
      });
      expect(teal).toBeGreaterThan(200);

      const box = (await chart.boundingBox())!;
      const y = box.y + box.height * 0.5;
      const t1 = await hoverAt(page, box.x + box.width * 0.3, y);
      const t2 = await hoverAt(page, box.x + box.width * 0.7, y);
      const xOf = (t: number) => box.x + box.width * 0.3 + ((t - t1) / (t2 - t1)) * box.width * 0.4;
      const b = blackouts[Math.floor(blackouts.length / 2)];
      await hoverAt(page, xOf((m.start[b] + m.end[b]) / 2), y);
      const markers = await tooltip(page).getByTestId('timeline-tooltip-marker').allTextContents();
      expect(markers).toContainEqual(expect.stringMatching(new RegExp(`^${spe.strings[m.name[b]]} \\(vm0 vCPU 0, [\\d.]+ (ns|µs|ms)\\)$`)));
      await screenshot(page, 'timeline-tooltip-spe');
      expect(errors).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
