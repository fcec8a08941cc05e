/**
 * Throughput and memory of the perf script collapsers (the Perl's rules, and
 * --inferno's) and the importer.
 *
 *   npx tsx test/bench/collapse.ts [--file PATH] [--mb 200] [--runs 5]
 *   npx tsx test/bench/collapse.ts --generate PATH [--mb 200]   (write the input only)
 *
 * Without --file it writes a realistic ~200 MB perf script file to a temp dir
 * (seeded, so every run measures the same bytes; see generate()): 400 threads
 * of 24 programs walking their call graphs through libc into the kernel, C++
 * names, JIT-map frames, 1% [unknown] frames, 10% guest samples, cycles and
 * instructions. Each measured run is a fresh child process, so its peak RSS is
 * its own. Prints figures only (MiB/s, and the median in MB/s = 10^6 bytes/s);
 * no assertions.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCollapser } from '../../profile/formats/perf-script/collapse';
import { createPerfScriptImporter } from '../../profile/formats/perf-script/importer';
import { arg, median } from './util';

/** mulberry32: small, seeded, good enough to shape test data. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Fn {
  name: string;
  dso: string;
  addr: number;
  size: number;
  /** Where samples land inside the function: a few hot instructions. */
  hot: number[];
  /** Callees and the return-address offset of each call site. */
  calls: { fn: Fn; at: number }[];
}

/**
 * A call graph per program (its binary, shared libraries, the kernel), walked
 * randomly from the entry point: call sites repeat as in real captures, leaf
 * IPs vary within the leaf function, shared libraries sit at a different base
 * in every process (ASLR), and some threads run JIT code or in a guest.
 */
function generate(path: string, megabytes: number): void {
  const rand = rng(42);
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const hex = (n: number) => n.toString(16);
  const layer = (count: number, dso: string, base: number, name: (i: number) => string): Fn[] => {
    let addr = base;
    return Array.from({ length: count }, (_, i) => {
      const size = 64 + int(2048);
      const hot = Array.from({ length: 1 + int(12) }, () => int(size));
      const fn = { name: name(i), dso, addr, size, hot, calls: [] };
      addr += size;
      return fn;
    });
  };
  const link = (from: Fn[], to: Fn[], fanout: number) => {
    for (const f of from) {
      for (let k = 1 + int(fanout); k > 0; k--) f.calls.push({ fn: pick(to), at: 5 + int(f.size - 5) });
    }
  };
  // Kernel: syscall entry → 5 layers of kernel functions.
  const kLayers = Array.from({ length: 6 }, (_, d) =>
    layer(d === 0 ? 4 : 150, '[kernel.kallsyms]', 0x81000000 + d * 0x100000, (i) => `k${d}_${pick(['vfs', 'tcp', 'mm', 'sched', 'irq'])}_${i}`),
  );
  for (let d = 0; d + 1 < kLayers.length; d++) link(kLayers[d], kLayers[d + 1], 3);
  const libc = layer(300, '/usr/lib/x86_64-linux-gnu/libc.so.6', 0x28000, (i) => `__libc_${i}`);
  link(libc.slice(0, 60), kLayers[0], 1);
  const cxx = (i: number) =>
    `ns${i % 13}::Class${i % 89}::method_${i}(int, std::vector<int, std::allocator<int> > const&)`;
  const programs = Array.from({ length: 24 }, (_, p) => {
    const bin = `/usr/bin/prog${p}`;
    const depth = 6 + int(20);
    const layers = Array.from({ length: depth }, (_, d) => layer(d === 0 ? 1 : 40 + int(120), bin, 0x1000 + d * 0x40000, (i) => (d === 0 ? '_start' : cxx(d * 1000 + i))));
    for (let d = 0; d + 1 < layers.length; d++) link(layers[d], layers[d + 1], 4);
    for (const l of layers.slice(2)) link(l.filter(() => rand() < 0.2), libc, 1);
    const jit = p % 6 === 0 ? layer(200, '/tmp/perf-JIT.map', 0x7f2000000000, (i) => `LApp/Module${i % 31};::call${i}`) : [];
    if (jit.length) link(layers[layers.length - 1], jit, 2);
    return { comm: p % 6 === 0 ? 'java' : `prog${p}`, root: layers[0][0] };
  });
  const guestKernel = layer(400, '[guest.kernel.kallsyms]', 0x8b000000, (i) => `guest_k_${i}`);
  const threads = Array.from({ length: 400 }, (_, i) => {
    const prog = pick(programs);
    const pid = 1000 + (i >> 2);
    return { ...prog, pid, tid: 1000 + i, libBase: 0x7f0000000000 + pid * 0x10000000, guest: i % 10 === 0 };
  });

  const fd = openSync(path, 'w');
  const target = megabytes * 1024 * 1024;
  let written = 0;
  let time = 5000;
  writeSync(
    fd,
    '# ========\n# captured on    : Mon Jan  6 10:00:00 2025\n# hostname : bench\n# perf version : 6.8\n' +
      '# event : name = cycles, , id = { 1 }, size = 136, { sample_period, sample_freq } = 4000, sample_type = IP|TID|TIME|CALLCHAIN|CPU|PERIOD, freq = 1, exclude_guest = 1\n' +
      '# ========\n#\n',
  );
  let buf = '';
  const frames: string[] = [];
  // Kernel functions are laid out from 0x81000000 and printed in the upper half.
  const ip = (fn: Fn, addr: number) => (fn.dso.startsWith('[') ? 'ffffffff' + hex(addr).padStart(8, '0') : hex(addr));
  const frame = (addr: number, fn: Fn, off: number, pid: number) => {
    const dso = fn.dso === '/tmp/perf-JIT.map' ? `/tmp/perf-${pid}.map` : fn.dso;
    const sym = rand() < 0.01 ? '[unknown]' : `${fn.name}+0x${hex(off)}`;
    frames.push(`\t${ip(fn, addr).padStart(16)} ${sym} (${dso})`);
  };
  while (written < target) {
    const th = pick(threads);
    time += rand() * 0.0005;
    frames.length = 0;
    if (th.guest) {
      const fn = pick(guestKernel);
      const off = pick(fn.hot);
      frames.push(`\t${ip(fn, fn.addr + off)} ${fn.name}+0x${hex(off)} (${fn.dso})`);
    } else {
      // Walk from the entry point; the callchain is printed leaf first.
      const walk: { fn: Fn; at: number }[] = [{ fn: th.root, at: 0x25 }];
      let cur = th.root;
      while (cur.calls.length > 0 && rand() < 0.93) {
        const c = pick(cur.calls);
        walk[walk.length - 1].at = c.at;
        walk.push({ fn: c.fn, at: pick(c.fn.hot) });
        cur = c.fn;
      }
      for (let k = walk.length - 1; k >= 0; k--) {
        const { fn, at } = walk[k];
        const base = fn.dso.startsWith('/usr/lib') ? th.libBase : 0;
        frame(base + fn.addr + at, fn, at, th.pid);
      }
    }
    const ev = rand() < 0.8 ? 'cycles' : 'instructions';
    buf +=
      `${th.comm} ${String(th.pid).padStart(7)}/${String(th.tid).padEnd(7)} [${String(int(64)).padStart(3, '0')}] ` +
      `${time.toFixed(6).padStart(12)}: ${String(100000 + int(900000)).padStart(10)} ${ev}: \n` +
      frames.join('\n') +
      '\n\n';
    if (buf.length > 4 << 20) {
      written += writeSync(fd, buf);
      buf = '';
    }
  }
  if (buf) writeSync(fd, buf);
  closeSync(fd);
}

async function child(mode: string, file: string): Promise<void> {
  const start = performance.now();
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  let summary: string;
  if (mode === 'collapse' || mode === 'inferno') {
    const c = createCollapser({ inferno: mode === 'inferno' });
    for await (const chunk of stream) c.push(chunk as Uint8Array);
    summary = `${c.finish().lines.length} stacks`;
  } else {
    const imp = createPerfScriptImporter({ fileName: 'bench.perf' });
    for await (const chunk of stream) imp.push(chunk as Uint8Array);
    const p = imp.finish();
    summary = `${p.samples.length} samples, ${p.frames.length} frames, ${p.stacks.length} stacks`;
  }
  const ms = performance.now() - start;
  process.stdout.write(JSON.stringify({ ms, maxRssKb: process.resourceUsage().maxRSS, summary }) + '\n');
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3], process.argv[4]);
  if (process.argv[2] === '--generate') {
    generate(process.argv[3], Number(arg('--mb', '200')));
    return;
  }
  const runs = Number(arg('--runs', '5'));
  let file = arg('--file', '');
  let dir = '';
  if (!file) {
    dir = mkdtempSync(join(tmpdir(), 'guestperf-bench-'));
    file = join(dir, 'bench.perf');
    const t0 = performance.now();
    generate(file, Number(arg('--mb', '200')));
    console.log(`generated ${file} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const size = statSync(file).size;
  const mb = size / (1024 * 1024);
  console.log(`input: ${mb.toFixed(1)} MiB`);
  const self = fileURLToPath(import.meta.url);
  try {
    for (const mode of ['collapse', 'inferno', 'import']) {
      const rates: number[] = [];
      const rss: number[] = [];
      let summary = '';
      for (let r = 0; r < runs; r++) {
        const out = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', mode, file], {
          encoding: 'utf8',
          maxBuffer: 1 << 20,
        });
        if (out.status !== 0) throw new Error(`${mode} run failed: ${out.stderr}`);
        const res = JSON.parse(out.stdout.trim().split('\n').pop() as string);
        rates.push(mb / (res.ms / 1000));
        rss.push(res.maxRssKb / 1024);
        summary = res.summary;
      }
      console.log(
        `${mode.padEnd(8)} MiB/s median ${median(rates).toFixed(1)} (min ${Math.min(...rates).toFixed(1)}, ` +
          `max ${Math.max(...rates).toFixed(1)}) = ${((median(rates) * 1024 * 1024) / 1e6).toFixed(1)} MB/s; peak RSS median ${median(rss).toFixed(0)} MiB ` +
          `(${(median(rss) / mb).toFixed(2)}x the file); ${summary}`,
      );
    }
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
