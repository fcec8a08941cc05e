import { readFileSync, readdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ProfileBuilder } from '../../../profile/builder';
import { chromeTraceFormat } from '../../../profile/formats/chrome-trace';
import { ExecContext, MarkerKind, totalWeight, type Profile } from '../../../profile/model';
import { JsonStreamScanner } from '../../../profile/formats/json-stream';
import { corpora } from '../../helpers/paths';
import {
  chunking,
  expectSameTotals,
  exportBytes,
  importBytes,
  importsOrRejects,
  mutate,
  mutations,
  pathTotals,
} from './trace-io';

const traceEvents = `${corpora}jlfwong-speedscope/sample/profiles/trace-event/`;
const chrome = `${corpora}jlfwong-speedscope/sample/profiles/Chrome/`;
const read = (path: string) => new Uint8Array(readFileSync(path));
const text = (s: string) => new TextEncoder().encode(s);
const load = (name: string, chunks: number[] = []) => importBytes(chromeTraceFormat, read(traceEvents + name), name, chunks);
/** Totals per stack path in µs, threads merged, as speedscope's snapshots list them. */
const micros = (p: Profile) => new Map([...pathTotals(p, false)].map(([k, v]) => [k.split('|')[2], v / 1000]));

describe('chrome trace: speedscope corpus', () => {
  it('cuts B/E/X timelines into samples weighted in ns (simple.json)', () => {
    const p = load('simple.json');
    expect(p.meta.weightUnit).toBe('ns');
    expect(p.events.map((e) => e.name)).toEqual(['slices']);
    expect(micros(p)).toEqual(
      new Map([
        ['alpha', 2],
        ['alpha;beta', 3],
        ['alpha;beta;gamma', 5],
        ['alpha;beta;epsilon', 4],
      ]),
    );
  });

  it('reads partial arrays as Chrome writes them, however the bytes are chunked', () => {
    const whole = micros(load('simple.json'));
    for (const name of ['simple-partial.json', 'simple-partial-trailing-comma.json', 'simple-partial-whitespace.json']) {
      for (const chunks of [[], [1], [3, 7], [64]]) expect(micros(load(name, chunks))).toEqual(whole);
    }
  });

  it('takes the object form, unnamed slices and tdur-only X events (simple-object.json)', () => {
    expect(micros(load('simple-object.json'))).toEqual(
      new Map([
        ['alpha', 2],
        ['alpha;beta', 8],
        ['alpha;beta;(unnamed)', 4],
      ]),
    );
  });

  // Sum of speedscope's non-empty stacks per file (src/import/__snapshots__/trace-event.test.ts.snap).
  const totals: Record<string, number> = {
    'bex-interaction.json': 12,
    'end-event-with-empty-stack.json': 1,
    'end-non-top-of-stack.json': 11,
    'event-reordering-name-match.json': 10,
    'invalid-x-nesting.json': 15,
    'matching-x.json': 10,
    'mismatched-args.json': 10,
    'multiprocess.json': 8,
    'must-retain-original-order.json': 9,
    'not-enough-end-events.json': 11,
    'only-begin-events.json': 2,
    'out-of-order.json': 10,
    'out-of-order-unbalanced-name.json': 10,
    'simultaneous-anonymous-calls.json': 5,
    'too-many-end-events.json': 14,
    'unbalanced-args.json': 10,
    'unbalanced-name.json': 10,
    'x-events-matching-end.json': 20,
    'x-events-matching-start.json': 20,
    'zero-duration-events.json': 10,
  };
  it.each(Object.entries(totals))('%s has the total time speedscope shows', (name, micro) => {
    expect(totalWeight(load(name)) / 1000).toBe(micro);
  });

  it('nests by the speedscope rules: equal starts by end, equal bounds by file order', () => {
    expect(micros(load('matching-x.json'))).toEqual(
      new Map([
        ['alpha', 8],
        ['alpha;beta;gamma', 1],
        ['alpha;gamma;beta', 1],
      ]),
    );
    expect(micros(load('not-enough-end-events.json'))).toEqual(
      new Map([
        ['A', 1],
        ['A;A', 9],
        ['A;A;A', 1],
      ]),
    );
    expect(micros(load('end-non-top-of-stack.json')).get('A;B;Z')).toBe(1);
  });

  it('warns once, with a count, about unbalanced events', () => {
    const p = load('too-many-end-events.json');
    expect(p.meta.warnings.map((w) => w.message)).toEqual(['2 E events match no open B event and were ignored']);
    expect(load('only-begin-events.json').meta.warnings[0].message).toMatch(/^3 slices never ended/);
    // speedscope drops the whole thread here; we keep alpha open to the end and say so.
    const p2 = load('mismatched-name.json');
    expect(micros(p2)).toEqual(new Map([['alpha', 10]]));
    expect(p2.meta.warnings).toHaveLength(2);
  });

  it('reads sampled traces (samples + stackFrames), weighting by time to the next sample', () => {
    const p = load('simple-with-samples.json');
    const m = micros(p);
    expect(m.get('[root]')).toBe(30779);
    expect(m.get('[root];[GC Young Gen]')).toBe(10000);
    expect(totalWeight(p)).toBe(64710 * 1000);
    expect(p.strings[p.threads.comm[0]]).toBe('mqt_js');

    const multi = load('multi-thread-with-samples.json');
    const t = pathTotals(multi);
    expect(t.get('samples|mqt_js|[root];function1')).toBe(13326000);
    expect(t.get('samples|hermes|[root thread 2];function4')).toBe(10000000);
  });

  it('gives every (pid, tid) its own thread (multiprocess.json)', () => {
    const p = load('multiprocess.json');
    expect(p.threads.length).toBe(8);
    expect(new Set(p.threads.pid)).toEqual(new Set([0, 1, 2, 3]));
  });

  it('every file of the directory imports', () => {
    for (const name of readdirSync(traceEvents)) expect(load(name).samples.length, name).toBeGreaterThan(0);
  });
});

describe('chrome trace: Chrome recordings', () => {
  it('reads Profile/ProfileChunk cpu profiles next to the slices (Chrome 69)', () => {
    const p = importBytes(chromeTraceFormat, read(`${chrome}69/simple.json`));
    expect(p.events.map((e) => e.name)).toEqual(['slices', 'samples']);
    const cpu = pathTotals(p);
    const gamma = [...cpu].filter(([k]) => k.startsWith('samples|CrRendererMain|') && k.endsWith(';gamma'));
    expect(gamma.length).toBeGreaterThan(0);
    expect(p.threads.length).toBe(16);
    expect(p.meta.warnings.some((w) => /phases guestperf does not show/.test(w.message))).toBe(true);
  });

  it('reads the old one-event CpuProfile and gzip-unpacked traces (Firefox fixtures)', () => {
    const dir = `${corpora}firefox-devtools-profiler/src/test/fixtures/upgrades/`;
    const p = importBytes(chromeTraceFormat, read(`${dir}test.chrome-unchunked.json`));
    expect(p.samples.event.filter((e) => p.events[e].name === 'samples').length).toBe(20);
    const gz = gunzipSync(read(`${dir}chrome-tracing.json.gz`));
    expect(chromeTraceFormat.detect(gz.subarray(0, 65536))).toBe(true);
    expect(importBytes(chromeTraceFormat, gz).samples.length).toBeGreaterThan(0);
  });
});

describe('chrome trace: counters, markers, metadata', () => {
  const trace = text(`{"traceEvents":[
    {"ph":"M","name":"thread_name","pid":7,"tid":8,"args":{"name":"worker"}},
    {"ph":"C","name":"mem","pid":7,"ts":2,"args":{"cats":3,"dogs":"4"}},
    {"ph":"C","name":"mem","pid":7,"ts":1,"args":{"cats":1,"dogs":2}},
    {"ph":"i","name":"boom","pid":7,"tid":8,"ts":5,"s":"t","args":{"why":"test"}},
    {"ph":"b","name":"load","cat":"net","id":"0x1","pid":7,"tid":8,"ts":3},
    {"ph":"e","name":"load","cat":"net","id":"0x1","pid":7,"tid":8,"ts":9},
    {"ph":"X","name":"work","pid":7,"tid":8,"ts":1,"dur":2.5}
  ]}`);

  it('turns C args into one track per key, sorted by time', () => {
    const p = importBytes(chromeTraceFormat, trace);
    expect(p.counters.map((c) => c.name)).toEqual(['mem cats', 'mem dogs']);
    expect([...p.counters[1].time]).toEqual([1000, 2000]);
    expect([...p.counters[1].value]).toEqual([2, 4]);
  });

  it('turns instants and async pairs into markers, thread_name into comm', () => {
    const p = importBytes(chromeTraceFormat, trace);
    expect(p.markers.length).toBe(2);
    expect(p.strings[p.markers.data[0]]).toBe('{"why":"test"}');
    expect([p.markers.start[1], p.markers.end[1]]).toEqual([3000, 9000]);
    expect(p.strings[p.threads.comm[0]]).toBe('worker');
    expect(p.samples.weight[0]).toBe(2500);
  });

  it('survives args nested deeper than JSON.stringify can go', () => {
    const deep = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    const p = importBytes(chromeTraceFormat, text(`[{"ph":"i","name":"deep","ts":1,"pid":1,"tid":1,"args":${deep}}]`));
    expect(p.strings[p.markers.data[0]]).toBe('(args nested too deeply to show)');
  });

  it('a broken event is a ParseError with its line', () => {
    const bad = text('[\n{"ph":"X","ts":1,"dur":1},\n{"ph": oops}\n]');
    expect(() => importBytes(chromeTraceFormat, bad, 'bad.json')).toThrowError(/bad\.json:3: invalid JSON/);
  });
});

/** Two threads (one in a guest), two events counted in events, counter tracks, markers. */
function vmProfile(): Profile {
  const b = new ProfileBuilder();
  const vm = b.machine('vm1', 'guest', 4242);
  const qemu = b.thread('qemu-kvm', 4242, 4243);
  const guest = b.thread('bash', 100, 101, vm);
  const cycles = b.event('cycles');
  const instructions = b.event('instructions');
  const f = (name: string, ctx: ExecContext, dso: string | null = null) => b.frame(name, dso, ctx);
  const main = b.stack(-1, f('main', ExecContext.HostUser, '/usr/bin/qemu'));
  const ioctl = b.stack(b.stack(main, f('ioctl', ExecContext.HostUser, 'libc.so')), f('kvm_vcpu_ioctl', ExecContext.HostKernel));
  const run = b.stack(ioctl, f('vmx_vcpu_run', ExecContext.Hypervisor));
  const gmain = b.stack(-1, f('main', ExecContext.GuestUser, '/bin/bash'));
  const gread = b.stack(gmain, f('sys_read', ExecContext.GuestKernel, '[guest.kernel.kallsyms]'));
  const rows: Array<[number, number, number, number, number]> = [
    // thread, event, stack, time (ns), weight (events)
    [qemu, cycles, run, 1000, 500],
    [qemu, cycles, run, 2000, 700],
    [qemu, cycles, main, 3000, 100],
    [qemu, cycles, ioctl, 4000, 300],
    [qemu, cycles, run, 9000, 50],
    [qemu, instructions, run, 1500, 40],
    [qemu, instructions, main, 2500, 20],
    [guest, cycles, gread, 1200, 900],
    [guest, cycles, gmain, 2200, 800],
    [guest, cycles, gread, 3200, 900],
    [guest, instructions, gread, 1200, 11],
  ];
  for (const [thread, event, stack, time, weight] of rows) {
    b.sample({ stack, time, weight, event, cpu: 1, thread, vcpu: -1, context: ExecContext.HostUser });
  }
  b.counter({
    name: 'cycles', event: cycles, scope: 'guest', machine: vm, cpu: 2, unit: 'events',
    time: Float64Array.of(1000, 2000, 3000), value: Float64Array.of(5, 6, 7), running: Float64Array.of(1, 0.5, 1),
  });
  b.counter({
    name: 'cycles', event: cycles, scope: 'host', machine: -1, cpu: -1, unit: '',
    time: Float64Array.of(1000, 2000), value: Float64Array.of(10, 20), running: Float64Array.of(1, 1),
  });
  b.marker({ name: 'EPT_VIOLATION', kind: MarkerKind.VmExit, start: 1500, end: 1800, machine: vm, vcpu: 0, data: 'gpa=0x1000' });
  b.marker({ name: 'throttled', kind: MarkerKind.Throttle, start: 5000, cpu: 3 });
  return b.build({ name: 'vm', source: 'test', weightUnit: 'events' });
}

describe('chrome trace: export', () => {
  it('round-trips weight per (event, thread, stack path), machines, counters and markers', () => {
    const original = vmProfile();
    const out = exportBytes(chromeTraceFormat, original);
    expect(chromeTraceFormat.detect(out.subarray(0, 65536))).toBe(true);
    const back = importBytes(chromeTraceFormat, out, 'vm.trace.json', [4096]);
    expect(back.meta.warnings).toEqual([]);
    expect(back.meta.weightUnit).toBe('events');
    expect(back.events.map((e) => e.name)).toEqual(['cycles', 'instructions']);
    expectSameTotals(pathTotals(back), pathTotals(original), false);
    expect(back.machines.map((m) => [m.name, m.kind, m.pid])).toEqual([
      ['host', 'host', -1],
      ['vm1', 'guest', 4242],
    ]);
    const bash = back.threads.comm.findIndex((c) => back.strings[c] === 'bash');
    expect([back.threads.pid[bash], back.threads.tid[bash], back.threads.machine[bash]]).toEqual([100, 101, 1]);
    const frame = back.frames.name.findIndex((n) => back.strings[n] === 'sys_read');
    expect(back.frames.context[frame]).toBe(ExecContext.GuestKernel);
    expect(back.strings[back.frames.dso[frame]]).toBe('[guest.kernel.kallsyms]');
    const strip = (p: Profile) =>
      p.counters.map(({ event: _e, ...c }) => ({ ...c, time: [...c.time], value: [...c.value], running: [...c.running] }));
    expect(strip(back)).toEqual(strip(original));
    const markers = (p: Profile) =>
      Array.from({ length: p.markers.length }, (_, i) => [
        p.strings[p.markers.name[i]], p.markers.kind[i], p.markers.start[i], p.markers.end[i],
        p.markers.machine[i], p.markers.cpu[i], p.markers.vcpu[i], p.markers.data[i] < 0 ? null : p.strings[p.markers.data[i]],
      ]);
    expect(markers(back)).toEqual(markers(original));
  });

  it('writes what Perfetto expects: X slices, C counters, M names, one pid per machine', () => {
    const json = JSON.parse(new TextDecoder().decode(exportBytes(chromeTraceFormat, vmProfile())));
    const phases = new Set(json.traceEvents.map((e: { ph: string }) => e.ph));
    expect(phases).toEqual(new Set(['M', 'X', 'C', 'i']));
    const processes = json.traceEvents.filter((e: { name: string }) => e.name === 'process_name');
    expect(processes.map((e: { pid: number; args: { name: string } }) => [e.pid, e.args.name])).toEqual([
      [1, 'host'],
      [2, 'vm1'],
    ]);
    // Consecutive samples with the same stack prefix merge: main spans 1000..4000+ on qemu's cycles track.
    type Event = { ph: string; name: string; tid: number };
    const mains = json.traceEvents.filter((e: Event) => e.ph === 'X' && e.name === 'main' && e.tid === 4243);
    expect(mains.length).toBe(2);
  });

  it('property: an ns profile comes back with the same weight per path, exactly', () => {
    const sample = fc.record({
      thread: fc.nat(1),
      path: fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 4 }),
      time: fc.integer({ min: 0, max: 10_000 }),
      weight: fc.integer({ min: 1, max: 500 }),
    });
    fc.assert(
      fc.property(fc.array(sample, { minLength: 1, maxLength: 30 }), (rows) => {
        const b = new ProfileBuilder();
        const threads = [b.thread('t0', 1, 1), b.thread('t1', 1, 2)];
        const event = b.event('cpu-clock');
        for (const r of rows) {
          let stack = -1;
          for (const name of r.path) stack = b.stack(stack, b.frame(name, null, ExecContext.HostUser));
          const thread = threads[r.thread];
          b.sample({ stack, time: r.time, weight: r.weight, event, cpu: -1, thread, vcpu: -1, context: ExecContext.HostUser });
        }
        const p = b.build({ name: 'p', source: 'test', weightUnit: 'ns' });
        expectSameTotals(pathTotals(importBytes(chromeTraceFormat, exportBytes(chromeTraceFormat, p))), pathTotals(p));
      }),
      { numRuns: 150 },
    );
  });
});

describe('json stream scanner', () => {
  it('property: hands out each streamed element intact, whatever the chunking and whitespace', () => {
    const whitespace = fc.constantFrom('', ' ', '\n', ' \r\n\t');
    const element = fc.record({ name: fc.string({ unit: 'grapheme', maxLength: 8 }), v: fc.jsonValue({ maxDepth: 2 }) });
    fc.assert(
      fc.property(fc.array(element, { maxLength: 6 }), whitespace, fc.boolean(), chunking, (items, ws, asObject, chunks) => {
        const body = `[${ws}${items.map((e) => JSON.stringify(e)).join(`,${ws}`)}${ws}]`;
        const doc = asObject ? `{${ws}"other":${ws}{"x":[1,"]"]},${ws}"traceEvents":${body},"tail":"}"}` : body;
        const got: unknown[] = [];
        const other: string[] = [];
        const scanner = new JsonStreamScanner('s', new Set(['traceEvents']), {
          element: (_key, json) => got.push(JSON.parse(json)),
          wants: () => true,
          value: (key, json) => other.push(`${key}=${json}`),
        });
        const bytes = text(doc);
        for (let at = 0, k = 0; at < bytes.length; k++) {
          scanner.push(bytes.subarray(at, at + chunks[k % chunks.length]));
          at += chunks[k % chunks.length];
        }
        expect(scanner.finish()).toEqual({ unterminated: false, truncatedElement: false });
        expect(got).toEqual(JSON.parse(JSON.stringify(items)));
        expect(other).toEqual(asObject ? ['other={"x":[1,"]"]}', 'tail="}"'] : []);
      }),
      { numRuns: 200 },
    );
  });
});

describe('chrome trace: robustness and detection', () => {
  const names = ['simple.json', 'simple-with-samples.json', 'multi-thread-with-samples.json'];
  const valid: Uint8Array[] = names.map((n) => read(traceEvents + n));
  valid.push(exportBytes(chromeTraceFormat, vmProfile()));

  it('property: random bytes give a profile or a ParseError', () => {
    const random = fc.uint8Array({ maxLength: 300 });
    fc.assert(fc.property(random, chunking, (bytes, chunks) => importsOrRejects(chromeTraceFormat, bytes, chunks)), { numRuns: 200 });
  });

  it('property: mutated traces give a profile or a ParseError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...valid), mutations, chunking, (bytes, edits, chunks) =>
        importsOrRejects(chromeTraceFormat, mutate(bytes, edits), chunks),
      ),
      { numRuns: 200 },
    );
  });

  it('property: random JSON values give a profile or a ParseError', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 8 }), chunking, (events, chunks) =>
        importsOrRejects(chromeTraceFormat, text(JSON.stringify({ traceEvents: events, stackFrames: events[0] ?? {} })), chunks),
      ),
      { numRuns: 200 },
    );
  });

  it('detects both forms, and not other files', () => {
    expect(chromeTraceFormat.detect(read(traceEvents + 'simple.json'))).toBe(true);
    expect(chromeTraceFormat.detect(read(traceEvents + 'simple-object.json'))).toBe(true);
    expect(chromeTraceFormat.detect(read(`${chrome}65/simple.cpuprofile`))).toBe(false);
    expect(chromeTraceFormat.detect(text('perf 1234 [000] 1.000: 1 cycles:\n\tffff main (/bin/x)\n'))).toBe(false);
    expect(chromeTraceFormat.detect(text('{"$schema":"https://www.speedscope.app/file-format-schema.json"}'))).toBe(false);
    expect(chromeTraceFormat.detect(text('[1, 2, 3]'))).toBe(false);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => !chromeTraceFormat.detect(bytes)), { numRuns: 200 });
  });
});
