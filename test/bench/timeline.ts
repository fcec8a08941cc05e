/**
 * Counter-timeline redraw time in Chromium for a 1,000,000-point track.
 *
 *   npx tsx test/bench/timeline.ts [--points 1000000] [--runs 40]
 *
 * Writes a native trace with two counter tracks of --points points each (a
 * host-only series and its truth, 10 µs apart, with dips to zero like a
 * counter a guest stops) and a few thousand guest-run markers, opens it in
 * the browser's file picker, shows the timeline and measures the chart's
 * own data-redraw-ms (decimation + chart.js update and draw):
 * - full view: toggling the truth series off and on (each a full redraw);
 * - zoomed: wheel steps that zoom in to about 1% of the trace and out again;
 * - hover: pointer moves across the full view, each measured by the chart's
 *   data-hover-ms (the lookup under the pointer and the tooltip's DOM patch,
 *   the work of one hover frame).
 * Prints median and p95; asserts nothing.
 */
import type { Page } from 'playwright-core';
import { ProfileBuilder } from '../../profile/builder';
import { MarkerKind } from '../../profile/model';
import { nativeTrace, openBenchWindow } from './bench-window';
import { arg, median, p95 } from './util';

const points = Number(arg('--points', '1000000'));
const runs = Number(arg('--runs', '40'));
const STEP_NS = 10_000;

function makeProfile() {
  const b = new ProfileBuilder();
  const thread = b.thread('bench', 1, 1, 0);
  const frame = b.frame('main', 'bench', 0);
  const stack = b.stack(-1, frame);
  const event = b.event('cycles:H', { exclude_guest: true });
  const vm = b.machine('vm0', 'guest', 1000);
  const time = new Float64Array(points);
  const host = new Float64Array(points);
  const truth = new Float64Array(points);
  let guestSince = -1;
  for (let i = 0; i < points; i++) {
    time[i] = (i + 1) * STEP_NS;
    // Every 2,000 points the guest holds the CPU for 500: the host-only counter stops.
    const inGuest = i % 2_000 >= 1_500;
    if (inGuest && guestSince < 0) guestSince = time[i];
    if (!inGuest && guestSince >= 0) {
      b.marker({ name: 'HLT', kind: MarkerKind.GuestRun, start: guestSince, end: time[i], machine: vm, cpu: 0, vcpu: 0 });
      guestSince = -1;
    }
    host[i] = inGuest ? 0 : 30_000 + ((i * 7919) % 1000);
    truth[i] = 30_000;
    if (i % 100 === 0) b.sample({ stack, time: time[i], weight: 1, event, cpu: 0, thread, vcpu: -1, context: 0 });
  }
  const running = new Float64Array(points).fill(1);
  b.counter({ name: 'cycles:H', event, scope: 'host', machine: 0, cpu: -1, unit: '', time, value: host, running });
  b.counter({ name: 'cycles (truth)', event: -1, scope: 'truth', machine: 0, cpu: -1, unit: '', time, value: truth, running });
  return b.build({ name: 'timeline-bench', source: 'bench', weightUnit: 'events' });
}

async function redrawMs(page: Page, action: () => Promise<void>): Promise<number> {
  // Cleared first, so the value read is the redraw this action caused.
  await page.evaluate(() => document.querySelector('[data-testid="timeline-chart"]')!.setAttribute('data-redraw-ms', ''));
  await action();
  await page.waitForFunction(() => document.querySelector('[data-testid="timeline-chart"]')!.getAttribute('data-redraw-ms') !== '');
  return Number(await page.locator('[data-testid="timeline-chart"]').getAttribute('data-redraw-ms'));
}

async function hoverMs(page: Page, x: number, y: number): Promise<number> {
  await page.evaluate(() => document.querySelector('[data-testid="timeline-chart"]')!.setAttribute('data-hover-ms', ''));
  await page.mouse.move(x, y);
  await page.waitForFunction(() => document.querySelector('[data-testid="timeline-chart"]')!.getAttribute('data-hover-ms') !== '');
  return Number(await page.locator('[data-testid="timeline-chart"]').getAttribute('data-hover-ms'));
}

const win = await openBenchWindow(nativeTrace(makeProfile(), `timeline-${points}`));
const { page, file } = win;
await page.getByTestId('file-input').setInputFiles(file);
await page.waitForFunction(() => document.querySelector('[data-testid="status"]')?.textContent?.includes('timeline-'), null, { timeout: 120_000 });
await page.getByTestId('tab-timeline').click();
await page.waitForSelector('[data-testid="timeline-chart"][data-series]');

const truthButton = page.getByTestId('timeline-legend').getByRole('button', { name: 'cycles (truth)' });
const full: number[] = [];
for (let i = 0; i < runs; i++) full.push(await redrawMs(page, () => truthButton.click()));

const box = (await page.locator('[data-testid="timeline-chart"]').boundingBox())!;
const hover: number[] = [];
for (let i = 0; i < runs * 2; i++) hover.push(await hoverMs(page, box.x + box.width * (0.08 + (0.86 * i) / (runs * 2)), box.y + box.height * 0.4));
await page.mouse.move(box.x + box.width * 0.37, box.y + box.height / 2);
const zoomed: number[] = [];
for (let i = 0; i < runs; i++) {
  // 12 steps in to about 1% of the trace, then out again: every redraw is a zoomed window.
  const dy = i % 24 < 12 ? -300 : 300;
  zoomed.push(await redrawMs(page, () => page.mouse.wheel(0, dy)));
}
await win.close();

const f = (xs: number[]) => `median ${median(xs).toFixed(2)} ms, p95 ${p95(xs).toFixed(2)} ms (${xs.length} redraws)`;
console.log(`timeline: 2 tracks × ${points.toLocaleString('en-US')} points, ${Math.round(points / 2000)} guest-run markers`);
console.log(`full view redraw: ${f(full)}`);
console.log(`zoomed redraw:    ${f(zoomed)}`);
console.log(`hover per frame: ${f(hover).replace('redraws', 'moves')}`);
