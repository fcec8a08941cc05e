/**
 * The call tree tab on a large profile: projections and table scrolling.
 *
 *   npx tsx test/bench/call-tree.ts [--samples 1000000] [--runs 7] [--browser 1]
 *
 * Builds a profile of --samples samples over 100k distinct stacks (host,
 * hypervisor and guest frames, three threads), then times, --runs times each
 * after one warm-up: the bottom-up tree, the sandwich of a function on most
 * stacks and of one on few, and the flame chart's lanes (the top-down tree
 * beside them for scale). With --browser 1 it also opens the profile in
 * Chromium through the built web host (GUESTPERF_OUT), expands the whole
 * call tree and scrolls the table: the update per scroll step (the table's
 * script and layout) and the frame interval while scrolling every frame.
 * Prints medians and p95; asserts nothing.
 */
import { buildBottomUpTree } from '../../profile/bottom-up';
import { buildCallTree } from '../../profile/call-tree';
import { buildFlameChart } from '../../profile/flame-chart';
import { ProfileBuilder } from '../../profile/builder';
import { ExecContext, type Profile } from '../../profile/model';
import { buildSandwich } from '../../profile/sandwich';
import { nativeTrace, openBenchWindow } from './bench-window';
import { arg, median, p95 } from './util';

const samples = Number(arg('--samples', '1000000'));
const runs = Number(arg('--runs', '7'));
const withBrowser = arg('--browser', '1') === '1';

const fmt = (xs: number[]) => `median ${median(xs).toFixed(1)} ms, p95 ${p95(xs).toFixed(1)} ms (n=${xs.length})`;

function makeProfile(): Profile {
  const b = new ProfileBuilder();
  const ev = b.event('cycles');
  const vm = b.machine('vm0', 'guest', 4242);
  const threads = [b.thread('qemu-kvm', 100, 101), b.thread('nginx', 7, 7, vm), b.thread('make', 200, 200)];
  const ctxs = [ExecContext.HostUser, ExecContext.HostKernel, ExecContext.Hypervisor, ExecContext.GuestKernel, ExecContext.GuestUser];
  const frames = Array.from({ length: 5000 }, (_, i) => b.frame(`fn_${i}`, `/usr/lib/lib${i % 40}.so`, ctxs[i % 5]));
  let seed = 42; // mulberry32
  const rand = (n: number) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
  // 100k stacks: chains 8 deep (the first three levels over 20 functions),
  // each with up to 100 leaves; the stack table grows until it holds 100k rows.
  const leaves: number[] = [];
  let stacks = 0;
  while (stacks < 100_000) {
    let chain = -1;
    for (let d = 0; d < 8; d++) chain = b.stack(chain, frames[d < 3 ? rand(20) : rand(1000)]);
    for (let l = 0; l < 100 && stacks < 100_000; l++) {
      const leaf = b.stack(chain, frames[1000 + rand(4000)]);
      leaves.push(leaf);
      stacks = Math.max(stacks, leaf + 1);
    }
  }
  // Runs of 1-8 samples on one stack and thread: real samples have that locality, which the flame chart merges.
  for (let i = 0, run = 0, t = 0, leaf = 0; i < samples; i++, run--) {
    if (run <= 0) [run, t, leaf] = [1 + rand(8), rand(3), leaves[rand(leaves.length)]];
    b.sample({ stack: leaf, time: i * 250_000, weight: 1_000_003, event: ev, cpu: rand(8), thread: threads[t], vcpu: t === 1 ? rand(2) : -1, context: ctxs[rand(5)] });
  }
  return b.build({ name: 'bench', source: 'bench', weightUnit: 'events' });
}

function time(label: string, f: () => unknown): void {
  f();
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    xs.push(performance.now() - t0);
  }
  console.log(`${label}: ${fmt(xs)}`);
}

const profile = makeProfile();
console.log(`profile: ${profile.samples.length.toLocaleString('en')} samples, ${profile.stacks.length.toLocaleString('en')} stacks`);
time('top-down tree (call-tree.ts, for scale)', () => buildCallTree(profile));
time('bottom-up tree', () => buildBottomUpTree(profile));
// fn_0 (host user) is one of the 20 functions of the first three levels; fn_4321 a leaf on few stacks.
const hot = buildSandwich(profile, 'fn_0', ExecContext.HostUser)!;
console.log(`sandwich fn_0: total ${hot.sampleCount.toLocaleString('en')} samples, ${hot.callers.length} caller nodes, ${hot.callees.length.toLocaleString('en')} callee nodes`);
time('sandwich of fn_0 (hot)', () => buildSandwich(profile, 'fn_0', ExecContext.HostUser));
time('sandwich of fn_4321 (rare)', () => buildSandwich(profile, 'fn_4321', ExecContext.GuestKernel));
time('flame chart, lanes per thread', () => buildFlameChart(profile));

if (withBrowser) {
  const win = await openBenchWindow(nativeTrace(profile, 'bench'));
  const { page, file } = win;
  try {
    await page.getByTestId('file-input').setInputFiles(file);
    await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('[data-testid="flame-canvas"]')?.dataset.framesDrawn) > 0, null, {
      timeout: 120_000,
    });
    await page.getByTestId('tab-tree').click();
    await page.getByTestId('calltree-row').first().click();
    const t0 = Date.now();
    await page.keyboard.press('*');
    await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('[data-testid="calltree"]')?.dataset.rowCount) > 100_000, null, {
      timeout: 60_000,
    });
    const rows = Number(await page.getByTestId('calltree').getAttribute('data-row-count'));
    console.log(`expand all: ${rows.toLocaleString('en')} rows in ${Date.now() - t0} ms (including the test driver's round trips)`);
    // Wheel-sized steps (most rows stay, a few enter) and scrollbar jumps (every row is new).
    // A string, not a function: the bundler's helpers (__name) do not exist in the page.
    for (const [label, step] of [['wheel steps of 120 px', '120'], ['jumps of 1/240 of the list', 'el.scrollHeight / 240']]) {
      const result = (await page.evaluate(`(async () => {
        const el = document.querySelector('[data-testid="calltree"]');
        el.scrollTop = 0;
        const frame = () => new Promise((r) => requestAnimationFrame(r));
        const updates = [];
        const frames = [];
        const step = ${step};
        let last = await frame();
        for (let i = 1; i <= 200; i++) {
          const t0 = performance.now();
          el.scrollTop = step * i;
          el.dispatchEvent(new Event('scroll'));
          // Vue patches in a microtask the scroll handler queued; then force layout.
          await Promise.resolve();
          void el.querySelector('[data-testid="calltree-row"]').offsetTop;
          updates.push(performance.now() - t0);
          const now = await frame();
          frames.push(now - last);
          last = now;
        }
        return { updates, frames, dom: Number(el.dataset.domRows) };
      })()`)) as { updates: number[]; frames: number[]; dom: number };
      console.log(`table scroll, ${label}: update (script + layout) ${fmt(result.updates)}; frame interval ${fmt(result.frames)}; ${result.dom} rows in the DOM`);
    }
  } finally {
    await win.close();
  }
}
