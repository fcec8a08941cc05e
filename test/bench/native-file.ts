/**
 * Native trace save and load for a large profile.
 *
 *   npx tsx test/bench/native-file.ts [--samples 5000000] [--runs 5]
 *
 * Builds a profile of --samples samples over 100k distinct leaf stacks (host,
 * hypervisor and guest frames), then times, --runs times each: saving it as a
 * .guestperf file (serialize column by column → gzip → atomic rename) and
 * loading it back (stream → gunzip → streaming reader). Prints medians and
 * the file size per sample; asserts nothing.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNativeTrace } from '../../main/files/native-trace';
import { importTrace } from '../../main/files/trace-io';
import { ProfileBuilder } from '../../profile/builder';
import { ExecContext, type Profile } from '../../profile/model';
import { serializeChunks } from '../../profile/serialize';
import { arg, median } from './util';

const samples = Number(arg('--samples', '5000000'));
const runs = Number(arg('--runs', '5'));

function makeProfile(): Profile {
  const b = new ProfileBuilder();
  const ev = b.event('cycles');
  const vm = b.machine('vm0', 'guest', 4242);
  const threads = [b.thread('qemu-kvm', 100, 101), b.thread('nginx', 7, 7, vm), b.thread('make', 200, 200)];
  const ctxs = [ExecContext.HostUser, ExecContext.HostKernel, ExecContext.Hypervisor, ExecContext.GuestKernel, ExecContext.GuestUser];
  const frames = Array.from({ length: 5000 }, (_, i) => b.frame(`fn_${i}`, `/usr/lib/lib${i % 40}.so`, ctxs[i % 5]));
  // ~100k stacks: depth 4–12 paths over a seeded walk.
  let seed = 42; // mulberry32: a seeded generator whose low bits are usable
  const rand = (n: number) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
  const leaves: number[] = [];
  for (let s = 0; s < 100_000; s++) {
    let stack = -1;
    const depth = 4 + rand(9);
    for (let d = 0; d < depth; d++) stack = b.stack(stack, frames[d < 3 ? rand(20) : rand(frames.length)]);
    leaves.push(stack);
  }
  for (let i = 0; i < samples; i++) {
    const t = rand(3);
    b.sample({ stack: leaves[rand(leaves.length)], time: i * 250_000, weight: 1_000_003, event: ev, cpu: rand(8), thread: threads[t], vcpu: t === 1 ? rand(2) : -1, context: ctxs[rand(5)] });
  }
  return b.build({ name: 'bench', source: 'bench', weightUnit: 'events' });
}

const profile = makeProfile();
const dir = await mkdtemp(join(tmpdir(), 'gp-native-'));
const file = join(dir, 'bench.guestperf');
const saves: number[] = [];
const loads: number[] = [];
for (let i = 0; i < runs; i++) {
  let t0 = performance.now();
  await writeNativeTrace(file, serializeChunks(profile));
  saves.push(performance.now() - t0);
  t0 = performance.now();
  const back = await importTrace(createReadStream(file, { highWaterMark: 1 << 20 }), 'bench.guestperf');
  loads.push(performance.now() - t0);
  if (back.samples.length !== samples) throw new Error(`loaded ${back.samples.length} samples, expected ${samples}`);
}
const size = (await stat(file)).size;
console.log(`profile: ${samples.toLocaleString('en')} samples, ${profile.stacks.length.toLocaleString('en')} stacks, ${runs} runs`);
console.log(`save: median ${median(saves).toFixed(0)} ms (min ${Math.min(...saves).toFixed(0)}, max ${Math.max(...saves).toFixed(0)})`);
console.log(`load: median ${median(loads).toFixed(0)} ms (min ${Math.min(...loads).toFixed(0)}, max ${Math.max(...loads).toFixed(0)})`);
console.log(`file: ${(size / 1e6).toFixed(1)} MB, ${(size / samples).toFixed(1)} bytes per sample`);
