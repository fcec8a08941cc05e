import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProfileBuilder } from '../../../profile/builder';
import { foldedFormat } from '../../../profile/formats/folded';
import { ParseError, type TraceFormat } from '../../../profile/formats/format';
import { SPEEDSCOPE_MAX_BYTES, speedscopeFormat } from '../../../profile/formats/speedscope';
import { ExecContext, totalWeight, type Profile } from '../../../profile/model';
import { corpora } from '../../helpers/paths';

const SAMPLES = join(corpora, 'jlfwong-speedscope/sample/profiles/speedscope');
const SNAPSHOT = join(corpora, 'jlfwong-speedscope/src/lib/__snapshots__/file-format.test.ts.snap');

function importBytes(bytes: Uint8Array, fileName = 'test.speedscope.json', chunk = 4096): Profile {
  const importer = speedscopeFormat.createImporter({ fileName });
  for (let i = 0; i < bytes.length; i += chunk) importer.push(bytes.subarray(i, i + chunk));
  return importer.finish();
}
const importJson = (file: unknown) => importBytes(new TextEncoder().encode(JSON.stringify(file)));
const exportText = (p: Profile, event?: number) =>
  [...(speedscopeFormat.export as NonNullable<TraceFormat['export']>)(p, event === undefined ? undefined : { event })].join('');

/** Weight per "event | thread | a;b;c" (root→leaf names), the round-trip identity of a sample. */
function pathWeights(p: Profile): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const names: string[] = [];
    for (let s = p.samples.stack[i]; s >= 0; s = p.stacks.prefix[s]) names.push(p.strings[p.frames.name[p.stacks.frame[s]]]);
    const t = p.samples.thread[i];
    const thread = `${p.strings[p.threads.comm[t]]} ${p.threads.pid[t]}/${p.threads.tid[t]}`;
    const key = `${p.events[p.samples.event[i]].name} | ${thread} | ${names.reverse().join(';')}`;
    out.set(key, (out.get(key) ?? 0) + p.samples.weight[i]);
  }
  return out;
}

/** Per thread (profile) name, the "a;b;c" → weight of the samples of that thread. */
function threadPaths(p: Profile): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const [key, w] of pathWeights(p)) {
    const [, thread, path] = key.split(' | ');
    const name = thread.replace(/ -1\/-1$/, '');
    if (!out.has(name)) out.set(name, new Map());
    const m = out.get(name) as Map<string, number>;
    m.set(path, (m.get(path) ?? 0) + w);
  }
  return out;
}

/** speedscope's jest snapshot: test name → profile name and aggregated stacks, seconds in ns. */
function snapshotStacks(): Map<string, { name: string; paths: Map<string, number> }> {
  const out = new Map<string, { name: string; paths: Map<string, number> }>();
  for (const m of readFileSync(SNAPSHOT, 'utf8').matchAll(/exports\[`([^`]*)`\] = `\n(\{.*?\n\})\n`;/gs)) {
    const name = /^ {2}"name": "(.*)",$/m.exec(m[2])?.[1] ?? '';
    const paths = new Map<string, number>();
    for (const s of m[2].matchAll(/^ {4}"(\S+) ([\d.]+)(s?)",$/gm)) {
      paths.set(s[1], (paths.get(s[1]) ?? 0) + Number(s[2]) * (s[3] === 's' ? 1e9 : 1));
    }
    out.set(m[1], { name, paths });
  }
  return out;
}

describe('speedscope import: speedscope sample files', () => {
  const snapshot = snapshotStacks();
  /** Which snapshot entries describe which sample file (speedscope's file-format.test.ts pairs them). */
  const cases: [file: string, snapshots: string[], weightUnit: Profile['meta']['weightUnit']][] = [
    ['0.0.1/simple.speedscope.json', ['importSpeedscopeProfiles 0.0.1 evented profile 1'], 'samples'],
    ['0.0.1/simple-no-pretty-print.speedscope.json', ['importSpeedscopeProfiles 0.0.1 evented profile (no pretty print) 1'], 'samples'],
    ['0.1.2/simple-sampled.speedscope.json', ['importSpeedscopeProfiles 0.1.2 sampled profile 1'], 'ns'],
    ['0.6.0/two-sampled.speedscope.json', ['importSpeedscopeProfiles 0.6.0 multiple profiles 1', 'importSpeedscopeProfiles 0.6.0 multiple profiles 2'], 'ns'],
  ];

  for (const [file, names, weightUnit] of cases) {
    it(`${file} imports with the snapshot's stacks and totals`, () => {
      const bytes = readFileSync(join(SAMPLES, file));
      expect(speedscopeFormat.detect(bytes.subarray(0, 65536))).toBe(true);
      const p = importBytes(bytes, file, 17);
      expect(p.meta.weightUnit).toBe(weightUnit);
      expect(p.meta.warnings).toEqual([]);
      const expected = new Map(names.map((n) => [snapshot.get(n)?.name as string, snapshot.get(n)?.paths]));
      expect(expected.size).toBe(names.length);
      expect(threadPaths(p)).toEqual(expected);
      const total = [...expected.values()].reduce((s, m) => s + [...(m as Map<string, number>).values()].reduce((a, b) => a + b, 0), 0);
      expect(totalWeight(p)).toBe(total);
    });
  }

  it('every sample file outside invalid/ is covered above', () => {
    const files = readdirSync(SAMPLES).filter((d) => d !== 'invalid').flatMap((d) => readdirSync(join(SAMPLES, d)).map((f) => `${d}/${f}`));
    expect(files.sort()).toEqual(cases.map((c) => c[0]).sort());
  });

  it('invalid/incomplete-trace.json: a frame left open is closed at endValue, with a warning', () => {
    // speedscope refuses it ("non-empty stack"); a trace cut short is still worth showing.
    expect(readFileSync(SNAPSHOT, 'utf8')).toContain('Tried to complete profile construction with a non-empty stack');
    const p = importBytes(readFileSync(join(SAMPLES, 'invalid/incomplete-trace.json')));
    expect(totalWeight(p)).toBe(100);
    expect(p.meta.warnings).toEqual([{ line: -1, message: 'profiles[0].events: 1 frame was still open at the end; closed at 100' }]);
  });

  it('invalid/out-of-order-events.json: closing B while A is on top is a ParseError naming the event', () => {
    const run = () => importBytes(readFileSync(join(SAMPLES, 'invalid/out-of-order-events.json')), 'ooo.json');
    expect(run).toThrow(ParseError);
    expect(run).toThrow('ooo.json: profiles[0].events[6]: closes frame 1 ("B") while frame 0 ("A") is on top, at 4');
  });
});

describe('speedscope import: validation names the JSON path', () => {
  const file = (profile: object, frames: object[] = [{ name: 'a' }, { name: 'b' }, { name: 'c' }]) => ({
    $schema: 'https://www.speedscope.app/file-format-schema.json',
    shared: { frames },
    profiles: [{ type: 'sampled', name: 'p', unit: 'none', startValue: 0, endValue: 1, ...profile }],
  });
  const samples = Array.from({ length: 13 }, () => [0, 1]);

  it.each([
    [{ samples: samples.map((s, i) => (i === 12 ? [0, 99] : s)), weights: samples.map(() => 1) }, 'profiles[0].samples[12][1]: frame index 99 out of range (3 frames)'],
    [{ samples, weights: [1] }, 'profiles[0].weights: 1 weights for 13 samples'],
    [{ samples: [[0]], weights: ['1'] }, 'profiles[0].weights[0]: expected a number, got "1"'],
    [{ unit: 'furlongs', samples: [], weights: [] }, 'profiles[0].unit: unknown unit "furlongs"'],
    [{ type: 'instant' }, 'profiles[0].type: expected "sampled" or "evented", got "instant"'],
    [{ type: 'evented', events: [{ type: 'O', frame: 0, at: 2 }, { type: 'C', frame: 0, at: 1 }] }, 'profiles[0].events[1].at: 1 is before the previous event (2)'],
    [{ type: 'evented', events: [{ type: 'C', frame: 0, at: 0 }] }, 'profiles[0].events[0]: closes frame 0 ("a") but no frame is open'],
  ])('%#: %s', (profile, message) => {
    expect(() => importJson(file(profile))).toThrow(message);
  });

  it('a frame without a name, or a file that is not an object, is refused', () => {
    expect(() => importJson(file({ samples: [], weights: [] }, [{ name: 'a' }, { file: 'x' }]))).toThrow('shared.frames[1].name: expected a string');
    expect(() => importJson([1, 2])).toThrow('$: expected a speedscope file object');
  });

  it('broken JSON is a one-line ParseError, on the line where parsing stopped when V8 says where', () => {
    const broken = (s: string) => () => importBytes(new TextEncoder().encode(s), 'broken.json');
    expect(broken('{\n  "shared": {"frames": []},\n  "profiles": [1 2]\n}')).toThrow(/^broken\.json:3: not valid JSON: Expected .* at position \d+/);
    expect(broken('{\n  "shared": {"frames": []},\n  "profiles": [\n')).toThrow(/^broken\.json:4: not valid JSON: Unexpected end/);
    expect(broken('{\n  "profiles": [,]\n}')).toThrow(/^broken\.json: not valid JSON: Unexpected token ',', [^\n]*$/);
    expect(broken('')).toThrow(ParseError);
  });

  it('a file above 256 MiB is refused with the reason, before it is copied', () => {
    const importer = speedscopeFormat.createImporter({ fileName: 'huge.speedscope.json' });
    importer.push(new Uint8Array(1024));
    // An untouched ArrayBuffer is not resident, so this costs no real memory.
    expect(() => importer.push(new Uint8Array(SPEEDSCOPE_MAX_BYTES))).toThrow(/larger than 256 MiB: .*V8 limits a string/);
  });

  it('evented profiles in a time unit keep event times in nanoseconds', () => {
    const p = importJson({
      ...file({ type: 'evented', unit: 'milliseconds', events: [{ type: 'O', frame: 0, at: 1 }, { type: 'O', frame: 1, at: 2 }, { type: 'C', frame: 1, at: 4 }, { type: 'C', frame: 0, at: 4 }] }),
    });
    expect([...p.samples.time]).toEqual([1e6, 2e6]);
    expect([...p.samples.weight]).toEqual([1e6, 2e6]);
    expect(p.meta.weightUnit).toBe('ns');
  });
});

describe('speedscope detection', () => {
  it('finds speedscope JSON by $schema, or by its two required keys', () => {
    const bytes = (s: string) => new TextEncoder().encode(s);
    expect(speedscopeFormat.detect(bytes('\uFEFF  \n{"$schema": "https://www.speedscope.app/file-format-schema.json"'))).toBe(true);
    expect(speedscopeFormat.detect(bytes('{"profiles": [], "shared": {"frames": []}}'))).toBe(true);
    expect(speedscopeFormat.detect(bytes('{"traceEvents": []}'))).toBe(false);
    expect(speedscopeFormat.detect(bytes('[{"ph": "X"}]'))).toBe(false);
  });

  it('no other corpus file (perf script, folded, Chrome, Firefox, trace events) is taken for speedscope', () => {
    const all = (dir: string): string[] =>
      readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? all(join(dir, n)) : [join(dir, n)]));
    const files = all(corpora).filter((f) => !f.startsWith(SAMPLES) && !f.endsWith('.gz'));
    expect(files.length).toBeGreaterThan(250);
    for (const f of files) expect.soft(speedscopeFormat.detect(readFileSync(f).subarray(0, 65536)), f).toBe(false);
  });

  it('speedscope files are not folded', () => {
    for (const d of readdirSync(SAMPLES)) {
      for (const f of readdirSync(join(SAMPLES, d))) expect(foldedFormat.detect(readFileSync(join(SAMPLES, d, f)))).toBe(false);
    }
  });
});

describe('speedscope export', () => {
  function sampleProfile(weightUnit: Profile['meta']['weightUnit']): Profile {
    const b = new ProfileBuilder();
    const vcpu = b.thread('CPU 0/KVM', 4000, 4002);
    const bash = b.thread('bash', 300, 300);
    const cycles = b.event('cycles');
    const guest = b.event('cycles:G', { exclude_host: true });
    const main = b.frame('main', '/usr/bin/qemu-system-x86_64', ExecContext.HostUser);
    const ioctl = b.frame('kvm_arch_vcpu_ioctl_run', '[kernel.kallsyms]', ExecContext.HostKernel);
    const vmx = b.frame('vmx_vcpu_run', null, ExecContext.Hypervisor);
    const halt = b.frame('native_safe_halt', '[guest.kernel.kallsyms]', ExecContext.GuestKernel);
    const read = b.frame('read', 'libc.so.6', ExecContext.HostUser);
    const path = (...frames: number[]) => frames.reduce((s, f) => b.stack(s, f), -1);
    const add = (stack: number, weight: number, event: number, thread: number) =>
      b.sample({ stack, time: NaN, weight, event, cpu: 0, thread, vcpu: -1, context: ExecContext.HostUser });
    add(path(main, ioctl, vmx), 1000, cycles, vcpu);
    add(path(main, ioctl, vmx, halt), 2500.5, guest, vcpu);
    add(path(main, ioctl), 1000, cycles, vcpu);
    add(path(main, read), 3, cycles, bash);
    add(-1, 7, cycles, bash);
    add(path(main, read), 0.25, guest, bash);
    return b.build({ name: 'vm.trace', source: 'test', weightUnit });
  }

  it('writes a schema-shaped file: one sampled profile per (event, thread), unit from weightUnit', () => {
    const json = JSON.parse(exportText(sampleProfile('ns')));
    expect(json.$schema).toBe('https://www.speedscope.app/file-format-schema.json');
    expect(json.shared.frames[1]).toEqual({ name: 'kvm_arch_vcpu_ioctl_run', file: '[kernel.kallsyms]', guestperfContext: 'host-kernel' });
    expect(json.profiles.map((p: { name: string }) => p.name)).toEqual([
      'cycles · CPU 0/KVM 4000/4002',
      'cycles · bash 300/300',
      'cycles:G · CPU 0/KVM 4000/4002',
      'cycles:G · bash 300/300',
    ]);
    for (const p of json.profiles) {
      expect(p).toMatchObject({ type: 'sampled', unit: 'nanoseconds', startValue: 0 });
      expect(p.samples.length).toBe(p.weights.length);
      expect(p.endValue).toBe(p.weights.reduce((a: number, b: number) => a + b, 0));
    }
    expect(JSON.parse(exportText(sampleProfile('events'))).profiles[0].unit).toBe('none');
    expect(JSON.parse(exportText(sampleProfile('events'), 1)).profiles).toHaveLength(2);
  });

  it('export → import keeps samples, stacks as name paths, weights, threads, events and frame contexts', () => {
    for (const unit of ['ns', 'events', 'samples'] as const) {
      const original = sampleProfile(unit);
      const back = importBytes(new TextEncoder().encode(exportText(original)), 'rt.speedscope.json', 64);
      expect(back.meta.weightUnit).toBe(unit);
      expect(back.samples.length).toBe(original.samples.length);
      expect(pathWeights(back)).toEqual(pathWeights(original));
      const contexts = (p: Profile) => [...Array(p.frames.length).keys()].map((f) => `${p.strings[p.frames.name[f]]}:${p.frames.context[f]}`).sort();
      expect(contexts(back)).toEqual(contexts(original));
      // A second trip is byte-identical.
      expect(exportText(back).replace(/"name":"rt\.speedscope\.json"/, '"name":"vm.trace"')).toBe(exportText(original));
    }
  });
});

describe('speedscope import never throws anything but ParseError', () => {
  const valid = [
    ...readdirSync(SAMPLES).flatMap((d) => readdirSync(join(SAMPLES, d)).map((f) => readFileSync(join(SAMPLES, d, f)))),
  ].map((b) => new Uint8Array(b));

  function outcome(bytes: Uint8Array, sizes: number[]): void {
    const importer = speedscopeFormat.createImporter({ fileName: 'fuzz.json' });
    try {
      for (let i = 0, k = 0; i < bytes.length; k++) {
        const n = sizes[k % sizes.length];
        importer.push(bytes.subarray(i, i + n));
        i += n;
      }
      importer.finish();
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
    }
  }
  const chunking = fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 });

  it('on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), chunking, (bytes, sizes) => {
        outcome(bytes, sizes);
        speedscopeFormat.detect(bytes);
      }),
      { numRuns: 200 },
    );
  });

  it('on mutated valid files (bytes changed, dropped, inserted, digits and tokens swapped)', () => {
    const tokens = ['0', '9', '-1', '1e999', 'null', '"O"', '"C"', '[]', '{}', ',', '"evented"', '"sampled"', '[[99]]'];
    const mutation = fc.record({
      at: fc.nat(),
      kind: fc.constantFrom('set', 'delete', 'insert', 'token'),
      byte: fc.integer({ min: 0, max: 255 }),
      token: fc.constantFrom(...tokens),
    });
    fc.assert(
      fc.property(fc.constantFrom(...valid), fc.array(mutation, { maxLength: 6 }), chunking, (file, mutations, sizes) => {
        const bytes = [...file];
        for (const m of mutations) {
          const at = bytes.length === 0 ? 0 : m.at % bytes.length;
          if (m.kind === 'set') bytes[at] = m.byte;
          else if (m.kind === 'delete') bytes.splice(at, 1);
          else if (m.kind === 'insert') bytes.splice(at, 0, m.byte);
          else bytes.splice(at, 1, ...new TextEncoder().encode(m.token));
        }
        outcome(new Uint8Array(bytes), sizes);
      }),
      { numRuns: 200 },
    );
  });
});
