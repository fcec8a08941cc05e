/**
 * The flame graph on a large profile, in the web window (Debian's Chromium):
 *
 *   npx tsx test/bench/flame-interaction.ts [--runs 5] [--steps 200]
 *
 * Builds a synthetic profile of 1,000,000 samples over 100,000 distinct leaf
 * stacks (a host and a 2-vCPU guest, so the split has groups to make) with
 * ProfileBuilder, writes it as a native trace and opens it --runs times
 * through the browser's file picker (the real upload path). Reports:
 *
 * - first paint: from the model's arrival in the window (the load store's
 *   `profile-arrived` mark) to the flame graph's `flame-first-paint` mark:
 *   deserialize, call tree, layout and paint;
 * - hover and zoom per frame, median and p95 over --steps: the time from the
 *   start of the animation frame (the rAF timestamp) to the end of the
 *   canvas's work in it with style and layout forced, plus for zoom the click
 *   handler and the store's reactions that run before the frame.
 *
 * Prints figures; asserts nothing.
 */
import { ProfileBuilder } from '../../profile/builder';
import { ExecContext } from '../../profile/model';
import { nativeTrace, openBenchWindow } from './bench-window';
import { arg, median, p95 } from './util';

const runs = Number(arg('--runs', '5'));
const steps = Number(arg('--steps', '200'));

/** 1000 chains of depth 10, 100 leaves each; a fifth of the chains run in the guest. */
function buildProfile() {
  const b = new ProfileBuilder();
  const ev = b.event('cycles');
  const vm = b.machine('vm0', 'guest', 4242);
  const hostThread = b.thread('app', 10, 10, 0);
  const guestThread = b.thread('web', 20, 20, vm);
  const host = Array.from({ length: 2000 }, (_, i) => b.frame(`host_fn_${i}`, 'app', i % 2 ? ExecContext.HostUser : ExecContext.HostKernel));
  const guest = Array.from({ length: 2000 }, (_, i) => b.frame(`guest_fn_${i}`, 'web', i % 2 ? ExecContext.GuestUser : ExecContext.GuestKernel));
  let seed = 1;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const leaves: { stack: number; inGuest: boolean; ctx: ExecContext }[] = [];
  for (let chain = 0; chain < 1000; chain++) {
    const inGuest = chain % 5 === 0;
    const funcs = inGuest ? guest : host;
    let s = -1;
    for (let d = 0; d < 10; d++) s = b.stack(s, funcs[Math.floor(rnd() * 200)]);
    for (let l = 0; l < 100; l++) {
      const f = 200 + Math.floor(rnd() * 1800);
      const ctx: ExecContext = inGuest ? (f % 2 ? ExecContext.GuestUser : ExecContext.GuestKernel) : f % 2 ? ExecContext.HostUser : ExecContext.HostKernel;
      leaves.push({ stack: b.stack(s, funcs[f]), inGuest, ctx });
    }
  }
  for (let i = 0; i < 1_000_000; i++) {
    // Every leaf once, then skewed, so frames have every width from the whole row to far below a pixel.
    const leaf = i < leaves.length ? leaves[i] : leaves[Math.floor(rnd() ** 3 * leaves.length)];
    b.sample({
      stack: leaf.stack,
      time: i * 1000,
      weight: 1,
      event: ev,
      cpu: i % 4,
      thread: leaf.inGuest ? guestThread : hostThread,
      vcpu: leaf.inGuest ? i % 2 : -1,
      context: leaf.ctx,
    });
  }
  return b.build({ name: 'synthetic-1m', source: 'bench', weightUnit: 'samples' });
}

const t0 = performance.now();
const profile = buildProfile();
console.log(`profile: ${profile.samples.length} samples, ${profile.stacks.length} stacks, built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const win = await openBenchWindow(nativeTrace(profile, 'synthetic-1m'));
const { page, file } = win;

const firstPaint: number[] = [];
const paintMs: number[] = [];
for (let i = 0; i < runs; i++) {
  await page.evaluate(() => performance.clearMarks());
  await page.getByTestId('file-input').setInputFiles(file);
  await page.waitForFunction(() => performance.getEntriesByName('flame-first-paint').length > 0, null, { timeout: 120_000, polling: 5 });
  firstPaint.push(
    await page.evaluate(() => {
      const arrived = performance.getEntriesByName('profile-arrived').at(-1)!.startTime;
      return performance.getEntriesByName('flame-first-paint')[0].startTime - arrived;
    }),
  );
  paintMs.push(await page.evaluate(() => Number(document.querySelector('[data-testid="flame-canvas"]')!.getAttribute('data-paint-ms'))));
  await page.getByTestId('file-input').setInputFiles([]);
}
const frames = await page.evaluate(() => Number(document.querySelector('[data-testid="flame-canvas"]')!.getAttribute('data-frames-drawn')));

/** In the page: one pointer step (hover) or one click (zoom) per frame, timed as the header says. */
const measure = (kind: 'hover' | 'zoom', n: number) =>
  page.evaluate(
    async ([kind, n]) => {
      const canvas = document.querySelector('[data-testid="flame-canvas"]') as HTMLCanvasElement;
      const tip = document.querySelector('[data-testid="tooltip"]') as HTMLElement;
      const box = canvas.getBoundingClientRect();
      const rowHeight = Number(canvas.dataset.rowHeight);
      const nextFrame = () =>
        new Promise<number>((resolve) =>
          requestAnimationFrame((start) => {
            // Style and layout of what the frame changed (tooltip, breadcrumbs).
            void tip.offsetWidth;
            void canvas.getBoundingClientRect();
            resolve(performance.now() - start);
          }),
        );
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        // Walk the pointer over rows 1..12 and across the width.
        const x = box.left + ((i * 37) % 997) / 997 * box.width;
        const y = box.bottom - rowHeight * (1.5 + (i % 12));
        const init = { clientX: x, clientY: y, bubbles: true };
        if (kind === 'hover') {
          canvas.dispatchEvent(new MouseEvent('mousemove', init));
          times.push(await nextFrame());
        } else {
          const t = performance.now();
          // Odd steps zoom back out, as Esc does.
          if (i % 2) window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
          else canvas.dispatchEvent(new MouseEvent('click', init));
          await Promise.resolve();
          const before = performance.now() - t;
          times.push(before + (await nextFrame()));
        }
      }
      return times;
    },
    [kind, n] as const,
  );

await measure('hover', 20); // warm-up: JIT, label widths
const hover = await measure('hover', steps);
const zoomTimes = await measure('zoom', steps);
await win.close();

const ms = (x: number) => `${x.toFixed(1)} ms`;
console.log(`first flame-graph paint after the model arrives: median ${ms(median(firstPaint))} (min ${ms(Math.min(...firstPaint))}, max ${ms(Math.max(...firstPaint))}, ${runs} runs); ${frames} frames drawn`);
console.log(`  of which the canvas paint itself: median ${ms(median(paintMs))}`);
console.log(`hover, per frame: median ${ms(median(hover))}, p95 ${ms(p95(hover))} (${steps} steps)`);
console.log(`zoom, per frame: median ${ms(median(zoomTimes))}, p95 ${ms(p95(zoomTimes))} (${steps} steps)`);
