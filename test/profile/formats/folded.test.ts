import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProfileBuilder } from '../../../profile/builder';
import { foldedFormat, plainDecimal } from '../../../profile/formats/folded';
import { ParseError, type TraceFormat } from '../../../profile/formats/format';
import { speedscopeFormat } from '../../../profile/formats/speedscope';
import { ExecContext, totalWeight, type Profile } from '../../../profile/model';
import { corpora } from '../../helpers/paths';

const STACKCOLLAPSE = join(corpora, 'jlfwong-speedscope/sample/profiles/stackcollapse');
const DIFF_FOLDED = join(corpora, 'jonhoo-inferno/tests/data/diff-folded');

function importBytes(format: TraceFormat, bytes: Uint8Array, fileName = 'test', chunk = 4096): Profile {
  const importer = format.createImporter({ fileName });
  for (let i = 0; i < bytes.length; i += chunk) importer.push(bytes.subarray(i, i + chunk));
  return importer.finish();
}

const text = (s: string) => new TextEncoder().encode(s);
const exportText = (p: Profile, event?: number) => [...(foldedFormat.export as NonNullable<TraceFormat['export']>)(p, { event })].join('');

/** Weight per root→leaf name path ("a;b;c") of one event. */
function pathWeights(p: Profile, event = 0): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i < p.samples.length; i++) {
    if (p.samples.event[i] !== event) continue;
    const names: string[] = [];
    for (let s = p.samples.stack[i]; s >= 0; s = p.stacks.prefix[s]) names.push(p.strings[p.frames.name[p.stacks.frame[s]]]);
    const key = names.reverse().join(';');
    out.set(key, (out.get(key) ?? 0) + p.samples.weight[i]);
  }
  return out;
}

/** The expected model computed the simple way, independently of the importer: sum the counts of lines that parse. */
function expectedFromText(content: string): { total: number; invalid: number; paths: Map<string, number> } {
  let total = 0;
  let invalid = 0;
  const paths = new Map<string, number>();
  for (const line of content.split(/\r?\n/)) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const m = /^(.*\S)\s+(\d+(?:\.\d*)?)\s*$/.exec(line);
    if (!m) {
      invalid++;
      continue;
    }
    total += Number(m[2]);
    const key = m[1]
      .split(';')
      .map((f) => f.replace(/_\[[kjiw]\]$/, ''))
      .join(';');
    paths.set(key, (paths.get(key) ?? 0) + Number(m[2]));
  }
  return { total, invalid, paths };
}

function decodeFile(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);
  return new TextDecoder().decode(bytes);
}

/** speedscope's jest snapshot: test name → aggregated "a;b;c" → weight. */
function snapshotStacks(file: string): Map<string, { name: string; paths: Map<string, number> }> {
  const out = new Map<string, { name: string; paths: Map<string, number> }>();
  for (const m of readFileSync(file, 'utf8').matchAll(/exports\[`([^`]*)`\] = `\n(\{.*?\n\})\n`;/gs)) {
    const name = /^ {2}"name": "(.*)",$/m.exec(m[2])?.[1] ?? '';
    const paths = new Map<string, number>();
    for (const s of m[2].matchAll(/^ {4}"(\S+) ([\d.]+)(s?)",$/gm)) {
      const w = Number(s[2]) * (s[3] === 's' ? 1e9 : 1);
      paths.set(s[1], (paths.get(s[1]) ?? 0) + w);
    }
    out.set(m[1], { name, paths });
  }
  return out;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? listFiles(join(dir, n)) : [join(dir, n)]));
}

describe('folded import: speedscope stackcollapse corpus', () => {
  const snapshot = snapshotStacks(join(corpora, 'jlfwong-speedscope/src/import/__snapshots__/bg-flamegraph.test.ts.snap'));
  const byFile = new Map([...snapshot.values()].filter((v) => v.paths.size > 0).map((v) => [v.name, v.paths]));

  for (const name of readdirSync(STACKCOLLAPSE)) {
    it(`${name} imports with the totals of its valid lines`, () => {
      const bytes = readFileSync(join(STACKCOLLAPSE, name));
      expect(foldedFormat.detect(bytes.subarray(0, 65536))).toBe(true);
      const expected = expectedFromText(decodeFile(bytes));
      const p = importBytes(foldedFormat, bytes, name, 7);
      expect(p.events.map((e) => e.name)).toEqual(['samples']);
      expect(totalWeight(p)).toBeCloseTo(expected.total, 9);
      expect(pathWeights(p)).toEqual(expected.paths);
      const fromSnapshot = byFile.get(name);
      // speedscope's snapshot states the parsed stacks for the simple-* files.
      if (fromSnapshot) expect(pathWeights(p)).toEqual(fromSnapshot);
      if (expected.invalid === 0) expect(p.meta.warnings).toEqual([]);
    });
  }

  it('the snapshot covers the five simple-* variants', () => {
    expect([...byFile.keys()].sort()).toEqual(
      ['simple-crlf.txt', 'simple-utf16-be.txt', 'simple-utf16-le.txt', 'simple-with-invalids.txt', 'simple.txt'],
    );
  });

  it('invalid lines give one warning with their count and the first line number', () => {
    const p = importBytes(foldedFormat, readFileSync(join(STACKCOLLAPSE, 'simple-with-invalids.txt')));
    expect(p.meta.warnings).toHaveLength(1);
    expect(p.meta.warnings[0].line).toBe(2);
    expect(p.meta.warnings[0].message).toMatch(/^2 lines are not folded stacks .* line 2: "\/\/ some other comment"/);
  });

  it('UTF-16 with a BOM decodes whatever the chunking, even one byte at a time', () => {
    for (const name of ['simple-utf16-le.txt', 'simple-utf16-be.txt']) {
      const bytes = readFileSync(join(STACKCOLLAPSE, name));
      for (const chunk of [1, 2, 3, 5, bytes.length]) expect(totalWeight(importBytes(foldedFormat, bytes, name, chunk))).toBe(14);
    }
  });
});

describe('folded import: other folded corpora', () => {
  const files = [
    ...listFiles(join(corpora, 'brendangregg-FlameGraph/test/results')),
    ...listFiles(join(corpora, 'jonhoo-inferno/tests/data/collapse-perf/results')),
    ...listFiles(join(corpora, 'jonhoo-inferno/tests/data/flamegraph')).filter(
      (f) => f.endsWith('.txt') && !/nameattr|differential|empty/.test(f),
    ),
  ].filter((f) => statSync(f).size > 0);

  it(`${files.length} stackcollapse/inferno outputs import with the totals of their lines`, () => {
    expect(files.length).toBeGreaterThan(100);
    for (const file of files) {
      const bytes = readFileSync(file);
      const expected = expectedFromText(decodeFile(bytes));
      const p = importBytes(foldedFormat, bytes, file, 65536);
      expect.soft(totalWeight(p), file).toBeCloseTo(expected.total, 6);
      expect.soft(p.meta.warnings.length, file).toBe(expected.invalid > 0 ? 1 : 0);
    }
  });

  it('an empty file, or one without a single stack line, is a ParseError at line 1', () => {
    for (const content of ['', '# only a comment\n\n', 'this\nis an unknown\nformat\n']) {
      const run = () => importBytes(foldedFormat, text(content), 'x.folded');
      expect(run).toThrow(ParseError);
      expect(run).toThrow(/^x\.folded:1: no folded stack line found: expected "frame;frame;...;leaf count"/);
    }
  });
});

describe('folded import: differential (inferno diff-folded)', () => {
  const results = [...readdirSync(join(DIFF_FOLDED, 'results')).map((n) => join(DIFF_FOLDED, 'results', n)),
    join(corpora, 'jonhoo-inferno/tests/data/flamegraph/differential/perf-cycles-instructions-01-collapsed-all-diff.txt')];

  for (const file of results) {
    it(`${file.split('/').slice(-2).join('/')} imports as two events, before and after`, () => {
      const content = readFileSync(file, 'utf8');
      const rows = content.split('\n').filter(Boolean).map((l) => /^(.*) (\S+) (\S+)$/.exec(l) as RegExpExecArray);
      const p = importBytes(foldedFormat, text(content), 'diff.txt', 13);
      expect(p.events.map((e) => e.name)).toEqual(['before', 'after']);
      expect(totalWeight(p, 0)).toBeCloseTo(rows.reduce((s, r) => s + Number(r[2]), 0), 9);
      expect(totalWeight(p, 1)).toBeCloseTo(rows.reduce((s, r) => s + Number(r[3]), 0), 9);
      expect(p.meta.warnings).toEqual([]);
    });
  }

  it('the one-count inputs import as one event; a line without a count is one warning', () => {
    for (const name of ['before.txt', 'after.txt', 'before_fractionals.txt']) {
      const content = readFileSync(join(DIFF_FOLDED, name), 'utf8');
      const p = importBytes(foldedFormat, text(content), name);
      expect(p.events.map((e) => e.name)).toEqual(['samples']);
      expect(totalWeight(p)).toBeCloseTo(expectedFromText(content).total, 9);
    }
    const bad = importBytes(foldedFormat, readFileSync(join(DIFF_FOLDED, 'bad_before.txt')));
    expect(bad.meta.warnings).toHaveLength(1);
    expect(bad.meta.warnings[0]).toMatchObject({ line: 3, message: expect.stringMatching(/^1 line is not folded stacks/) });
  });
});

describe('folded suffixes and detection', () => {
  it('_[k] is a kernel frame; _[j] _[i] _[w] are user frames that keep their hint; all are stripped from the name', () => {
    const p = importBytes(foldedFormat, text('java;Interp_[j];inl_[i];wake_[w];syscall_[k] 3\n'));
    const frames = [...Array(p.frames.length).keys()].map((f) => ({
      name: p.strings[p.frames.name[f]],
      dso: p.frames.dso[f] < 0 ? null : p.strings[p.frames.dso[f]],
      context: p.frames.context[f],
    }));
    expect(frames).toEqual([
      { name: 'java', dso: null, context: ExecContext.HostUser },
      { name: 'Interp', dso: '[jit]', context: ExecContext.HostUser },
      { name: 'inl', dso: '[inlined]', context: ExecContext.HostUser },
      { name: 'wake', dso: '[waker]', context: ExecContext.HostUser },
      { name: 'syscall', dso: null, context: ExecContext.HostKernel },
    ]);
    expect(p.samples.context[0]).toBe(ExecContext.HostKernel);
  });

  const perfScripts = [
    ...readdirSync(join(corpora, 'brendangregg-FlameGraph/test')).filter((n) => n.endsWith('.txt')).map((n) => join(corpora, 'brendangregg-FlameGraph/test', n)),
    ...listFiles(join(corpora, 'jlfwong-speedscope/sample/profiles/linux-perf')),
    ...listFiles(join(corpora, 'jonhoo-inferno/tests/data/collapse-perf')).filter((f) => !f.includes('/results/')),
  ];

  it(`real perf script files (${perfScripts.length}) are not detected as folded`, () => {
    expect(perfScripts.length).toBeGreaterThan(25);
    for (const f of perfScripts) expect.soft(foldedFormat.detect(readFileSync(f).subarray(0, 65536)), f).toBe(false);
  });

  it('perf script without a callchain or timestamp is still not folded (its prefix ends in ":")', () => {
    expect(foldedFormat.detect(text('dd 29776 666709.771979:   10101010\n'))).toBe(false);
    expect(foldedFormat.detect(text('func_ab 15294 cpu-clock: 1\nfunc_ab 15294 cpu-clock: 1\n'))).toBe(false);
  });

  it('speedscope JSON and callgrind text are not detected as folded', () => {
    const others = [
      ...listFiles(join(corpora, 'jlfwong-speedscope/sample/profiles/speedscope')),
      ...listFiles(join(corpora, 'jlfwong-speedscope/sample/profiles/callgrind')),
    ];
    for (const f of others) expect.soft(foldedFormat.detect(readFileSync(f).subarray(0, 65536)), f).toBe(false);
  });

  it('a head cut mid-line still detects, and folded text is not speedscope', () => {
    const bytes = readFileSync(join(STACKCOLLAPSE, 'perf-vertx-stacks-01-collapsed-all.txt'));
    expect(foldedFormat.detect(bytes.subarray(0, 65536))).toBe(true);
    expect(speedscopeFormat.detect(bytes.subarray(0, 65536))).toBe(false);
  });
});

describe('folded export', () => {
  /** Two threads, two events, host and guest kernel frames, a JIT frame, fractional weights. */
  function sampleProfile(): Profile {
    const b = new ProfileBuilder();
    const t1 = b.thread('qemu-kvm', 100, 101);
    const t2 = b.thread('bash', 200, 200);
    const cycles = b.event('cycles');
    const instructions = b.event('instructions:G', { exclude_host: true });
    const f = {
      main: b.frame('main', '/usr/bin/qemu', ExecContext.HostUser),
      ioctl: b.frame('ioctl', 'libc.so.6', ExecContext.HostUser),
      kvm: b.frame('kvm_vcpu_ioctl', '[kernel.kallsyms]', ExecContext.HostKernel),
      guest: b.frame('native_safe_halt', '[guest.kernel.kallsyms]', ExecContext.GuestKernel),
      jit: b.frame('Interpreter', '[jit]', ExecContext.HostUser),
      semi: b.frame('ns::f;g', null, ExecContext.HostUser),
    };
    const path = (...frames: number[]) => frames.reduce((s, fr) => b.stack(s, fr), -1);
    const add = (stack: number, weight: number, event: number, thread: number, context: ExecContext) =>
      b.sample({ stack, time: NaN, weight, event, cpu: 0, thread, vcpu: -1, context });
    add(path(f.main, f.ioctl, f.kvm), 1.25, cycles, t1, ExecContext.HostKernel);
    add(path(f.main, f.ioctl, f.kvm), 0.1, cycles, t2, ExecContext.HostKernel);
    add(path(f.main, f.ioctl, f.kvm, f.guest), 0.2, cycles, t1, ExecContext.GuestKernel);
    add(path(f.main, f.jit), 3, cycles, t2, ExecContext.HostUser);
    add(path(f.main, f.semi), 1e-7, cycles, t1, ExecContext.HostUser);
    add(path(f.main, f.ioctl, f.kvm, f.guest), 7, instructions, t1, ExecContext.GuestKernel);
    add(path(f.main), 2.5, instructions, t2, ExecContext.HostUser);
    return b.build({ name: 'rt', source: 'test', weightUnit: 'events' });
  }

  it('writes one line per distinct stack, kernel frames suffixed _[k], sorted bytewise', () => {
    expect(exportText(sampleProfile())).toBe(
      [
        'main;Interpreter_[j] 3',
        'main;ioctl;kvm_vcpu_ioctl_[k] 1.35',
        'main;ioctl;kvm_vcpu_ioctl_[k];native_safe_halt_[k] 0.2',
        'main;ns::f:g 0.0000001',
        '',
      ].join('\n'),
    );
    expect(exportText(sampleProfile(), 1)).toBe('main 2.5\nmain;ioctl;kvm_vcpu_ioctl_[k];native_safe_halt_[k] 7\n');
  });

  it('export → import keeps every path weight of each event, and kernel frames stay kernel', () => {
    const original = sampleProfile();
    for (const event of [0, 1]) {
      const back = importBytes(foldedFormat, text(exportText(original, event)), 'rt.folded', 5);
      const expected = new Map([...pathWeights(original, event)].map(([k, w]) => [k.replace('ns::f;g', 'ns::f:g'), w]));
      const got = pathWeights(back, 0);
      expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
      for (const [k, w] of expected) expect(got.get(k)).toBeCloseTo(w, 12);
      for (let f = 0; f < back.frames.length; f++) {
        const name = back.strings[back.frames.name[f]];
        const kernel = name === 'kvm_vcpu_ioctl' || name === 'native_safe_halt';
        expect(back.frames.context[f]).toBe(kernel ? ExecContext.HostKernel : ExecContext.HostUser);
      }
      // A second round trip is byte-identical: the hints and suffixes are a fixed point.
      expect(exportText(back)).toBe(exportText(original, event));
    }
  });

  it('counts are plain decimals that read back to the same double', () => {
    expect(plainDecimal(1e21)).toBe('1000000000000000000000');
    expect(plainDecimal(1.5e-9)).toBe('0.0000000015');
    fc.assert(
      fc.property(fc.double({ min: 1e-300, max: 1e300, noNaN: true }), (x) => {
        const s = plainDecimal(x);
        expect(s).toMatch(/^\d+(\.\d+)?$/);
        expect(Number(s)).toBe(x);
      }),
      { numRuns: 500 },
    );
  });
});

describe('folded import never throws anything but ParseError', () => {
  const valid = [
    ...readdirSync(STACKCOLLAPSE)
      .filter((n) => n !== 'perf-vertx-stacks-01-collapsed-all.txt')
      .map((n) => join(STACKCOLLAPSE, n)),
    join(DIFF_FOLDED, 'results/default.txt'),
  ].map((f) => new Uint8Array(readFileSync(f)));

  /** Feeds bytes in the given chunk sizes (cycled); returns the outcome kind. */
  function outcome(bytes: Uint8Array, sizes: number[]): 'profile' | 'parse-error' {
    const importer = foldedFormat.createImporter({ fileName: 'fuzz' });
    try {
      for (let i = 0, k = 0; i < bytes.length; k++) {
        const n = sizes[k % sizes.length];
        importer.push(bytes.subarray(i, i + n));
        i += n;
      }
      importer.finish();
      return 'profile';
    } catch (e) {
      if (e instanceof ParseError) return 'parse-error';
      throw e;
    }
  }

  const chunking = fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 });

  it('on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), chunking, (bytes, sizes) => {
        outcome(bytes, sizes);
        foldedFormat.detect(bytes);
      }),
      { numRuns: 200 },
    );
  });

  it('on mutated valid files', () => {
    const mutation = fc.record({ at: fc.nat(), kind: fc.constantFrom('set', 'delete', 'insert'), byte: fc.integer({ min: 0, max: 255 }) });
    fc.assert(
      fc.property(fc.constantFrom(...valid), fc.array(mutation, { maxLength: 12 }), chunking, (file, mutations, sizes) => {
        const bytes = [...file];
        for (const m of mutations) {
          const at = bytes.length === 0 ? 0 : m.at % bytes.length;
          if (m.kind === 'set') bytes[at] = m.byte;
          else if (m.kind === 'delete') bytes.splice(at, 1);
          else bytes.splice(at, 0, m.byte);
        }
        const mutated = new Uint8Array(bytes);
        outcome(mutated, sizes);
        foldedFormat.detect(mutated);
      }),
      { numRuns: 200 },
    );
  });
});
