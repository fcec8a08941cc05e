/**
 * Profile → perf script text → Profile: every corpus and fixture input comes
 * back with the same samples (thread, cpu, machine side, event, weight, stack
 * path with each frame's context), the guest fields print as perf prints them,
 * the export streams, and the importer survives random and mutated input.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { perfScriptFormat } from '../../profile/formats/perf-script';
import { EXEC_CONTEXT_NAMES, type Profile } from '../../profile/model';
import { perfScriptInputs } from '../helpers/perf-inputs';
import { corpora, fixtures } from '../helpers/paths';
import { chunking, exportBytes, importBytes, importsOrRejects, mutate, mutations, pathTotals } from './formats/trace-io';

const FG = join(corpora, 'brendangregg-FlameGraph');
const FIXTURES = join(fixtures, 'perf-script');

function read(path: string): Uint8Array {
  const bytes = readFileSync(path);
  return path.endsWith('.gz') ? gunzipSync(bytes) : bytes;
}

const inputs = perfScriptInputs();

const label = (path: string) => path.slice(path.lastIndexOf('/', path.lastIndexOf('/') - 1) + 1);

/** Each sample as what a round trip must keep, in order. */
function describeSamples(p: Profile): string[] {
  const out: string[] = [];
  const { samples, threads, strings, frames, stacks } = p;
  for (let i = 0; i < samples.length; i++) {
    const t = samples.thread[i];
    const path: string[] = [];
    for (let s = samples.stack[i]; s >= 0; s = stacks.prefix[s]) {
      const f = stacks.frame[s];
      path.push(`${strings[frames.name[f]]}{${EXEC_CONTEXT_NAMES[frames.context[f]]}}`);
    }
    const m = p.machines[threads.machine[t]];
    out.push(
      [
        strings[threads.comm[t]],
        `${threads.pid[t]}/${threads.tid[t]}`,
        `cpu=${samples.cpu[i]}`,
        `${m.kind}:${m.name}`,
        p.events[samples.event[i]].name,
        samples.weight[i],
        path.join(' <- '),
      ].join(' | '),
    );
  }
  return out;
}

function roundTrip(p: Profile, chunks: number[] = []): { text: string; back: Profile } {
  const bytes = exportBytes(perfScriptFormat, p);
  return { text: new TextDecoder().decode(bytes), back: importBytes(perfScriptFormat, bytes, 'back.perf', chunks) };
}

describe('perf script export round trips', () => {
  it('covers the corpora and the guest fixtures', () => expect(inputs.length).toBeGreaterThan(30));

  it.each(inputs.map((p) => [label(p), p]))('%s', (_name, path) => {
    const p = importBytes(perfScriptFormat, read(path), 'in.perf', [1 << 20]);
    if (p.samples.length === 0) {
      // Nothing to print (a file whose only record is cut off): the export holds no sample either.
      expect(() => roundTrip(p)).toThrow(/no samples/);
      return;
    }
    const { back } = roundTrip(p);
    expect(back.samples.length).toBe(p.samples.length);
    expect(back.events.map((e) => e.name)).toEqual(p.events.map((e) => e.name));
    expect(back.meta.weightUnit).toBe(p.meta.weightUnit);
    expect(describeSamples(back)).toEqual(describeSamples(p));
    expect(pathTotals(back)).toEqual(pathTotals(p));
    expect(Array.from(back.samples.context)).toEqual(Array.from(p.samples.context));
    expect(Array.from(back.samples.vcpu)).toEqual(Array.from(p.samples.vcpu));
    // A second trip prints the same text.
    expect(roundTrip(back).text).toBe(roundTrip(p).text);
  });

  it('prints VM:%5d and VCPU:%03d only for guest samples (checklist 29)', () => {
    const p = importBytes(perfScriptFormat, read(join(FIXTURES, 'guest-inject-vm-vcpu.txt')));
    const { text } = roundTrip(p);
    const eventLines = text.split('\n').filter((l) => /^\S/.test(l));
    const vmLines = eventLines.filter((l) => l.startsWith('VM:'));
    const guestSamples = Array.from(p.samples.vcpu).filter((v) => v >= 0).length;
    expect(vmLines.length).toBe(guestSamples);
    expect(eventLines.length).toBeGreaterThan(vmLines.length);
    expect(vmLines[0]).toMatch(/^VM: 4242 VCPU:001 bash +1001\/1001 +\[001\] +7301\.100200: +250000 cycles: $/);
    expect(text).toContain('\t               0 clear_page_erms ([guest.kernel.kallsyms.4242])\n');
  });

  it('keeps guests of perf kvm --host --guest and two-VM files apart from the host', () => {
    for (const f of ['kvm-host-guest.txt', 'kvm-two-guests.txt']) {
      const p = importBytes(perfScriptFormat, read(join(FIXTURES, f)));
      const { back } = roundTrip(p);
      expect(back.machines.map((m) => `${m.name}/${m.kind}`)).toEqual(p.machines.map((m) => `${m.name}/${m.kind}`));
    }
  });

  it('leaves out what the profile lacks: cpu, time, period', () => {
    const text = 'bash 1234 cycles:\n\tffffffff81000000 do_idle+0x10 ([kernel.kallsyms])\n\t7f00 main (/bin/bash)\n\n';
    const p = importBytes(perfScriptFormat, new TextEncoder().encode(text));
    const { text: out, back } = roundTrip(p);
    const eventLine = out.split('\n').find((l) => !l.startsWith('#') && l.length > 0);
    expect(eventLine).toBe('bash    1234 cycles: ');
    expect(out).toContain('\t               0 do_idle ([kernel.kallsyms])\n\t               0 main (/bin/bash)\n\n');
    expect(describeSamples(back)).toEqual(describeSamples(p));
  });

  it('streams: one chunk per ~64 KiB, never the whole file', () => {
    const p = importBytes(perfScriptFormat, read(join(FG, 'example-perf-stacks.txt.gz')));
    const parts = [...perfScriptFormat.export!(p)];
    expect(parts.length).toBeGreaterThan(5);
    for (const part of parts) expect(part.length).toBeLessThan(256 * 1024);
  });

  it('exports one event when asked', () => {
    const p = importBytes(perfScriptFormat, read(join(FG, 'test/perf-cycles-instructions-01.txt')));
    expect(p.events.length).toBe(2);
    const bytes = exportBytes(perfScriptFormat, p, 1);
    const back = importBytes(perfScriptFormat, bytes);
    expect(back.events.map((e) => e.name)).toEqual([p.events[1].name]);
    expect(back.samples.length).toBe(Array.from(p.samples.event).filter((e) => e === 1).length);
  });

  it('is independent of chunk boundaries', () => {
    const p = importBytes(perfScriptFormat, read(join(FIXTURES, 'kvm-host-guest.txt')));
    fc.assert(
      fc.property(chunking, (chunks) => {
        expect(describeSamples(roundTrip(p, chunks).back)).toEqual(describeSamples(p));
      }),
      { numRuns: 30 },
    );
  });
});

describe('perf script importer under random input', () => {
  const valid = [
    read(join(FIXTURES, 'guest-inject-vm-vcpu.txt')),
    read(join(FIXTURES, 'kvm-host-guest.txt')),
    read(join(FG, 'test/perf-funcab-pid-01.txt')),
  ];

  it('random bytes: a profile or a ParseError, never a hang or another error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), chunking, (bytes, chunks) =>
        importsOrRejects(perfScriptFormat, bytes, chunks),
      ),
      { numRuns: 200 },
    );
  });

  it('random text lines: a profile or a ParseError', () => {
    const line = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.constantFrom('', '#', 'VM: 1 VCPU:002 a 1/2 [003] 1.000001: 5 cycles: ', '\tffffffff81000000 x (y)'),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 40 }), chunking, (lines, chunks) =>
        importsOrRejects(perfScriptFormat, new TextEncoder().encode(lines.join('\n')), chunks),
      ),
      { numRuns: 200 },
    );
  });

  it('mutated perf script text: a profile or a ParseError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...valid), mutations, chunking, (bytes, edits, chunks) =>
        importsOrRejects(perfScriptFormat, mutate(bytes, edits), chunks),
      ),
      { numRuns: 200 },
    );
  });
});
