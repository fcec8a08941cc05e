/**
 * The flame chart's stacked lanes on a large profile, in the web window (Debian's Chromium):
 *
 *   GUESTPERF_OUT=out-<name> npx tsx test/bench/flame-chart.ts [--steps 200]
 *
 * Builds a synthetic profile of 1,000,000 samples over 8 host threads and a
 * 2-vCPU guest (10 lanes each sampled at its own steady rate, stacks 12 to 22 deep under
 * each thread's own three root frames, the leaf's context changing often so
 * the activity strips have runs of every width) with ProfileBuilder,
 * writes it as a native trace and opens it through the browser's file
 * picker. Reports:
 *
 * - the flame chart tab's first paint, a second after the trace opened: from
 *   the tab's click to the first painted frame (lane spans and strips of all
 *   lanes, boxes of the busiest);
 * - expanding every lane (the boxes of the other nine built);
 * - wheel zoom and hover per frame with every lane expanded, median and p95
 *   over --steps: the event handler's own time plus, in the next animation
 *   frame, the time from the frame's start to the end of the chart's paint,
 *   style and layout forced (not the wait for the frame).
 *
 * Prints figures; asserts nothing.
 */
import { ProfileBuilder } from '../../profile/builder';
import { ExecContext } from '../../profile/model';
import { nativeTrace, openBenchWindow } from './bench-window';
import { arg, median, p95 } from './util';

const steps = Number(arg('--steps', '200'));

/** Each lane walks a random call path that changes a few frames at a time, as a busy thread does. */
function buildProfile() {
  const b = new ProfileBuilder();
  const ev = b.event('cycles');
  const vm = b.machine('vm0', 'guest', 4242);
  const lanes = [
    ...Array.from({ length: 8 }, (_, i) => ({ thread: b.thread(`worker-${i}`, 10, 10 + i, 0), vcpu: -1, guest: false })),
    ...[0, 1].map((v) => ({ thread: b.thread('web', 20, 20, vm), vcpu: v, guest: true })),
  ];
  const host = Array.from({ length: 600 }, (_, i) => b.frame(`host_fn_${i}`, 'app', i % 3 ? ExecContext.HostUser : ExecContext.HostKernel));
  const guest = Array.from({ length: 600 }, (_, i) => b.frame(`guest_fn_${i}`, 'web', i % 3 ? ExecContext.GuestUser : ExecContext.GuestKernel));
  const context = [ExecContext.HostKernel, ExecContext.HostUser, ExecContext.HostUser, ExecContext.GuestKernel, ExecContext.GuestUser, ExecContext.GuestUser];
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  // Every lane's thread starts in the same three frames (_start, main, its loop), as real threads do.
  const paths = lanes.map((_, l) => [0, 1, 2 + l]);
  // Each lane is sampled at its own steady rate, the busiest four times the idlest: a sampled
  // thread's samples come at its own cadence, so the chart's pause rule (a gap over twice the
  // lane's median) finds no pauses. Samples are taken in time order, next due lane first.
  const rate = [4, 3, 2, 2, 2, 1, 1, 1, 1, 1];
  const period = rate.map((r) => 4000 / r);
  const due = period.map((p, l) => p + l);
  for (let i = 0; i < 1_000_000; i++) {
    let l = 0;
    for (let k = 1; k < due.length; k++) if (due[k] < due[l]) l = k;
    const time = Math.round(due[l]);
    due[l] += period[l];
    const lane = lanes[l];
    const path = paths[l];
    // Mostly the leaf or two change; now and then the path is left far up.
    const keep = Math.max(3, path.length - 1 - Math.floor(rnd() ** 6 * 14));
    path.length = keep;
    const funcs = lane.guest ? guest : host;
    while (path.length < 12 + Math.floor(rnd() * 10)) path.push(Math.floor(rnd() * 600));
    let s = -1;
    for (const f of path) s = b.stack(s, funcs[f]);
    const leaf = path[path.length - 1];
    b.sample({
      stack: s,
      time,
      weight: 1,
      event: ev,
      cpu: l % 4,
      thread: lane.thread,
      vcpu: lane.vcpu,
      context: context[(lane.guest ? 3 : 0) + (leaf % 3)],
    });
  }
  return b.build({ name: 'synthetic-lanes-1m', source: 'bench', weightUnit: 'samples' });
}

const t0 = performance.now();
const profile = buildProfile();
console.log(`profile: ${profile.samples.length} samples, ${profile.stacks.length} stacks, built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const win = await openBenchWindow(nativeTrace(profile, 'synthetic-lanes-1m'));
const { page, file } = win;
await page.getByTestId('file-input').setInputFiles(file);
await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('[data-testid="flame-canvas"]')?.dataset.framesDrawn) > 0, null, {
  timeout: 120_000,
});
// Let the load's own work (the worker's answer, the other views' projections) settle, as it
// has by the time a person clicks the tab: the figure is the chart's, not the load's tail.
await page.waitForTimeout(1000);

/** In the page: clicks `testId` and waits for the chart to paint with `attr` past `above`; the time taken. */
const clickUntilPainted = (testId: string, attr: string, above: number) =>
  page.evaluate(
    async ([testId, attr, above]) => {
      const t = performance.now();
      document.querySelector<HTMLElement>(`[data-testid="${testId}"]`)!.click();
      for (;;) {
        await new Promise((r) => requestAnimationFrame(r));
        const canvas = document.querySelector<HTMLElement>('[data-testid="flame-chart-canvas"]');
        if (canvas && Number(canvas.dataset[attr]) > above) return performance.now() - t;
        if (performance.now() - t > 60_000) throw new Error(`no paint with ${attr} > ${above}: ${JSON.stringify(canvas?.dataset ?? null)}`);
      }
    },
    [testId, attr, above] as const,
  );

const firstPaint = await clickUntilPainted('tab-chart', 'boxesDrawn', 0);
const expandAll = await clickUntilPainted('chart-expand-all', 'lanesExpanded', 1);
const lanes = await page.evaluate(() => document.querySelector<HTMLElement>('[data-testid="flame-chart-canvas"]')!.dataset.lanes);

/** In the page: one wheel step (zoom) or pointer step (hover) per frame, timed as the header says. */
const measure = (kind: 'hover' | 'zoom', n: number) =>
  page.evaluate(
    async ([kind, n]) => {
      const canvas = document.querySelector('[data-testid="flame-chart-canvas"]') as HTMLCanvasElement;
      const tip = document.querySelector('[data-testid="flame-chart-tooltip"]') as HTMLElement | null;
      const box = canvas.getBoundingClientRect();
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        const x = box.left + (((i * 37) % 997) / 997) * box.width;
        const y = box.top + 40 + ((i * 53) % 600);
        const t = performance.now();
        if (kind === 'hover') canvas.dispatchEvent(new MouseEvent('mousemove', { clientX: x, clientY: y, bubbles: true }));
        // Eight steps in, eight out: windows from the whole chart down to a few hundred samples.
        else canvas.dispatchEvent(new WheelEvent('wheel', { clientX: x, clientY: y, deltaY: i % 16 < 8 ? -400 : 400, bubbles: true, cancelable: true }));
        const handler = performance.now() - t;
        // The chart paints in its own animation-frame callback, registered before this one.
        const frame = await new Promise<number>((resolve) =>
          requestAnimationFrame((start) => {
            void tip?.offsetWidth;
            void canvas.getBoundingClientRect();
            resolve(performance.now() - start);
          }),
        );
        times.push(handler + frame);
      }
      return times;
    },
    [kind, n] as const,
  );

await measure('hover', 20); // warm-up: JIT, label widths
const hover = await measure('hover', steps);
const zoom = await measure('zoom', steps);
const paintMs = await page.evaluate(() => Number(document.querySelector<HTMLElement>('[data-testid="flame-chart-canvas"]')!.dataset.paintMs));
await win.close();

const ms = (x: number) => `${x.toFixed(1)} ms`;
console.log(`flame chart tab, click to first paint: ${ms(firstPaint)} (${lanes} lanes)`);
console.log(`expand all lanes, click to paint: ${ms(expandAll)}`);
console.log(`hover, per frame (all lanes expanded): median ${ms(median(hover))}, p95 ${ms(p95(hover))} (${steps} steps)`);
console.log(`zoom, per frame (all lanes expanded): median ${ms(median(zoom))}, p95 ${ms(p95(zoom))} (${steps} steps); last paint ${ms(paintMs)}`);
