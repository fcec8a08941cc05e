import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ProfileBuilder } from '../../../profile/builder';
import { ParseError } from '../../../profile/formats/format';
import { pprofFormat } from '../../../profile/formats/pprof';
import { ProtoReader, ProtoWriter } from '../../../profile/formats/pprof/proto';
import { ExecContext, totalWeight, type Profile } from '../../../profile/model';
import { corpora } from '../../helpers/paths';
import { chunking, expectSameTotals, exportBytes, importBytes, importsOrRejects, mutate, mutations, pathTotals } from './trace-io';

/** simple.prof is stored gzipped, as Go writes it; the app's reader unpacks before the importer. */
const simple = new Uint8Array(gunzipSync(readFileSync(`${corpora}jlfwong-speedscope/sample/profiles/pprof/simple.prof`)));
const text = (s: string) => new TextEncoder().encode(s);

describe('pprof import', () => {
  it('reads a Go CPU profile with the totals speedscope shows (simple.prof)', () => {
    const p = importBytes(pprofFormat, simple, 'simple.prof', [50]);
    // The default sample type (cpu/nanoseconds, pprof's last) becomes event 0.
    expect(p.events.map((e) => [e.name, e.attr.unit])).toEqual([
      ['cpu', 'nanoseconds'],
      ['samples', 'count'],
    ]);
    expect(p.meta.weightUnit).toBe('ns');
    expect(totalWeight(p, 0)).toBe(1.5e9);
    expect(totalWeight(p, 1)).toBe(150);
    const t = pathTotals(p, false);
    expect(t.get('cpu|*|runtime.main;main.main;main.delta;main.beta')).toBe(140e6);
    expect(t.get('cpu|*|runtime.main;main.main;main.alpha')).toBe(260e6);
    expect(t.get('cpu|*|runtime.morestack;runtime.newstack;runtime.duffcopy')).toBe(110e6);
    expect(t.get('cpu|*|runtime.mstart;runtime.mstart1;runtime.sysmon;runtime.usleep')).toBe(20e6);
    expect([...t.keys()].filter((k) => k.startsWith('cpu|')).length).toBe(9);
    expect(p.frames.length).toBe(25); // one per function, as in speedscope's snapshot
  });

  /** A hand-written profile: one location with an inlined call, labels for thread and cpu. */
  function inlined(): Uint8Array {
    const w = new ProtoWriter();
    const strings = ['', 'samples', 'count', 'outer', 'inner', 'caller', 'pid', 'tid', 'thread', 'cpu', 'worker', '[kernel.kallsyms]'];
    const s = (x: string) => strings.indexOf(x);
    w.message(1, (m) => (m.uint(1, s('samples')), m.uint(2, s('count'))));
    w.message(2, (m) => {
      m.packed(1, [1, 2]); // leaf first
      m.packed(2, [-3]);
      for (const [key, num, str] of [['pid', 10, 0], ['tid', 11, 0], ['thread', 0, s('worker')], ['cpu', 0, 0]] as const) {
        m.message(3, (l) => (l.uint(1, s(key)), l.uint(2, str), l.uint(3, num)));
      }
    });
    w.message(3, (m) => (m.uint(1, 1), m.uint(5, s('[kernel.kallsyms]'))));
    // line[0] is the innermost: inner was inlined into outer.
    w.message(4, (m) => (m.uint(1, 1), m.uint(2, 1), m.message(4, (l) => l.uint(1, 2)), m.message(4, (l) => l.uint(1, 1))));
    w.message(4, (m) => (m.uint(1, 2), m.uint(3, 0x401000)));
    w.message(5, (m) => (m.uint(1, 1), m.uint(2, s('outer'))));
    w.message(5, (m) => (m.uint(1, 2), m.uint(2, s('inner'))));
    for (const x of strings) w.string(6, x);
    return w.finish();
  }

  it('expands inline chains, reverses leaf-first stacks and reads thread labels', () => {
    const p = importBytes(pprofFormat, inlined());
    expect(pathTotals(p)).toEqual(new Map([['samples|worker|0x401000;outer;inner', -3]]));
    expect([p.threads.pid[0], p.threads.tid[0], p.samples.cpu[0]]).toEqual([10, 11, 0]);
    expect(p.frames.context[p.stacks.frame[p.samples.stack[0]]]).toBe(ExecContext.HostKernel);
  });

  it('says so when handed gzip, and gives byte offsets for broken protobuf', () => {
    const gz = new Uint8Array(readFileSync(`${corpora}jlfwong-speedscope/sample/profiles/pprof/simple.prof`));
    expect(() => importBytes(pprofFormat, gz)).toThrowError(/still gzip-compressed/);
    expect(() => importBytes(pprofFormat, simple.subarray(0, 100))).toThrowError(ParseError);
  });
});

function vmProfile(): Profile {
  const b = new ProfileBuilder();
  const vm = b.machine('vm1', 'guest', 4242);
  const qemu = b.thread('qemu-kvm', 4242, 4243);
  const guest = b.thread('bash', 100, 101, vm);
  const cycles = b.event('cycles', { attr: { unit: 'count' } });
  const instructions = b.event('instructions');
  const main = b.stack(-1, b.frame('main', '/usr/bin/qemu', ExecContext.HostUser));
  const kvm = b.stack(main, b.frame('kvm_vcpu_ioctl', '[kernel.kallsyms]', ExecContext.HostKernel));
  const gmain = b.stack(-1, b.frame('main', '/bin/bash', ExecContext.HostUser));
  const rows: Array<[number, number, number, number, number, ExecContext]> = [
    [qemu, cycles, kvm, 500, 0, ExecContext.HostKernel],
    [qemu, cycles, kvm, 700, 0, ExecContext.HostKernel],
    [qemu, cycles, main, 100, 1, ExecContext.HostUser],
    [qemu, instructions, kvm, 40, 1, ExecContext.HostKernel],
    [guest, cycles, gmain, 900, 2, ExecContext.GuestUser],
    [guest, instructions, gmain, 11, 2, ExecContext.GuestUser],
    [guest, cycles, -1, 5, 2, ExecContext.GuestKernel],
  ];
  let time = 0;
  for (const [thread, event, stack, weight, cpu, context] of rows) {
    b.sample({ stack, time: (time += 1000), weight, event, cpu, thread, vcpu: thread === guest ? 0 : -1, context });
  }
  return b.build({ name: 'vm', source: 'test', weightUnit: 'events' });
}

describe('pprof export', () => {
  it('round-trips weight per (event, thread, stack path), threads, machines and labels', () => {
    const original = vmProfile();
    const out = exportBytes(pprofFormat, original);
    expect(pprofFormat.detect(out)).toBe(true);
    const back = importBytes(pprofFormat, out, 'vm.pb');
    expect(back.meta.warnings).toEqual([]);
    expect(back.events.map((e) => [e.name, e.attr.unit])).toEqual([
      ['cycles', 'count'],
      ['instructions', 'count'],
    ]);
    expectSameTotals(pathTotals(back), pathTotals(original));
    const bash = back.threads.comm.findIndex((c) => back.strings[c] === 'bash');
    expect([back.threads.pid[bash], back.threads.tid[bash], back.machines[back.threads.machine[bash]].name]).toEqual([100, 101, 'vm1']);
    const guestSamples = [...back.samples.thread.keys()].filter((i) => back.samples.thread[i] === bash);
    expect(guestSamples.map((i) => [back.samples.cpu[i], back.samples.vcpu[i]])).toContainEqual([2, 0]);
    expect(new Set(guestSamples.map((i) => back.samples.context[i]))).toEqual(new Set([ExecContext.GuestUser, ExecContext.GuestKernel]));
    const kvm = back.frames.name.findIndex((n) => back.strings[n] === 'kvm_vcpu_ioctl');
    expect(back.frames.context[kvm]).toBe(ExecContext.HostKernel);
  });

  it('re-exports the Go profile with the same totals, and one event on request', () => {
    const p = importBytes(pprofFormat, simple);
    expectSameTotals(pathTotals(importBytes(pprofFormat, exportBytes(pprofFormat, p))), pathTotals(p));
    const only = importBytes(pprofFormat, exportBytes(pprofFormat, p, 1));
    expect(only.events.map((e) => e.name)).toEqual(['samples']);
    expect(totalWeight(only)).toBe(150);
  });

  it('writes string_table[0] = "" and int64 values as two’s complement', () => {
    const w = new ProtoWriter();
    w.varint(-1);
    w.varint(2 ** 53 - 1);
    const r = new ProtoReader(w.finish());
    expect([r.int64(), r.uint64()]).toEqual([-1, 2 ** 53 - 1]);
    fc.assert(
      fc.property(fc.array(fc.maxSafeInteger(), { minLength: 1 }), (values) => {
        const out = new ProtoWriter();
        out.packed(1, values);
        const reader = new ProtoReader(out.finish());
        const got: number[] = [];
        reader.tag();
        reader.repeated(2, true, got);
        return got.length === values.length && got.every((v, i) => v === values[i]);
      }),
      { numRuns: 200 },
    );
  });
});

describe('pprof robustness and detection', () => {
  const valid = [simple, exportBytes(pprofFormat, vmProfile())];

  it('property: random bytes give a profile or a ParseError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), chunking, (bytes, chunks) => importsOrRejects(pprofFormat, bytes, chunks)), {
      numRuns: 200,
    });
  });

  it('property: mutated profiles give a profile or a ParseError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...valid), mutations, chunking, (bytes, edits, chunks) =>
        importsOrRejects(pprofFormat, mutate(bytes, edits), chunks),
      ),
      { numRuns: 200 },
    );
  });

  it('detects plain profile.proto, and not text, JSON, gzip or random bytes', () => {
    for (const bytes of valid) expect(pprofFormat.detect(bytes)).toBe(true);
    const perf = readFileSync(`${corpora}jlfwong-speedscope/sample/profiles/linux-perf/simple-with-header.linux-perf.txt`);
    expect(pprofFormat.detect(new Uint8Array(perf))).toBe(false);
    expect(pprofFormat.detect(text('[{"ph":"X","name":"a","ts":0,"dur":1,"pid":1,"tid":1}]'))).toBe(false);
    expect(pprofFormat.detect(new Uint8Array(readFileSync(`${corpora}jlfwong-speedscope/sample/profiles/pprof/simple.prof`)))).toBe(false);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => !pprofFormat.detect(bytes)), { numRuns: 200 });
  });
});
