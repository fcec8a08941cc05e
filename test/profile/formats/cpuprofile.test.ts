import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ProfileBuilder } from '../../../profile/builder';
import { cpuprofileFormat } from '../../../profile/formats/cpuprofile';
import { ExecContext, totalWeight } from '../../../profile/model';
import { corpora } from '../../helpers/paths';
import { chunking, expectSameTotals, exportBytes, importBytes, importsOrRejects, mutate, mutations, pathTotals } from './trace-io';

const profiles = `${corpora}jlfwong-speedscope/sample/profiles/`;
const read = (path: string) => new Uint8Array(readFileSync(profiles + path));
const text = (s: string) => new TextEncoder().encode(s);

describe('cpuprofile import', () => {
  it('reads the nodes/samples/timeDeltas shape (Chrome 65 simple.cpuprofile)', () => {
    const p = importBytes(cpuprofileFormat, read('Chrome/65/simple.cpuprofile'), 'simple.cpuprofile', [100]);
    expect(p.meta.weightUnit).toBe('ns');
    expect(p.samples.length).toBe(29);
    // From the first sample (startTime + 11575 µs) to endTime (163140647178 µs).
    expect(totalWeight(p)).toBe((163140647178 - 163140599286 - 11575) * 1000);
    const t = pathTotals(p, false);
    // "(root)" is dropped; d is called from b and from c (14 samples each).
    expect([...t.keys()].sort()).toEqual(['samples|*|(anonymous)', 'samples|*|(anonymous);a;b;d', 'samples|*|(anonymous);a;c;d']);
    expect(t.get('samples|*|(anonymous);a;b;d')).toBe(17_002_000);
  });

  it('reads Node 10’s nested head tree with absolute timestamps', () => {
    const p = importBytes(cpuprofileFormat, read('node/10.11.0/example.cpuprofile'));
    expect(p.samples.length).toBe(29);
    const t = pathTotals(p, false);
    expect(t.get('samples|*|(anonymous);a;c;d')).toBe(16_414_000);
    expect(p.meta.warnings).toEqual([]);
  });

  it('reads a large profile in small chunks (sucrase.cpuprofile)', () => {
    const bytes = read('Chrome/65/sucrase.cpuprofile');
    const whole = importBytes(cpuprofileFormat, bytes);
    const chunked = importBytes(cpuprofileFormat, bytes, 's', [997, 13]);
    expect(whole.samples.length).toBe(17138);
    expect(totalWeight(chunked)).toBe(totalWeight(whole));
  });

  it('keeps urls as dso and reports samples of unknown nodes', () => {
    const p = importBytes(
      cpuprofileFormat,
      text(
        '{"nodes":[{"id":1,"callFrame":{"functionName":"(root)"},"children":[2]},' +
          '{"id":2,"callFrame":{"functionName":"f","url":"app.js"}}],' +
          '"startTime":0,"endTime":30,"samples":[2,9,2],"timeDeltas":[10,10,5]}',
      ),
    );
    expect(p.strings[p.frames.dso[0]]).toBe('app.js');
    // The skipped sample still ends the one before it: weights are time, not counts.
    expect([...p.samples.weight]).toEqual([10000, 5000]);
    expect(p.meta.warnings[0].message).toMatch(/^1 samples name a node/);
  });
});

describe('cpuprofile export', () => {
  it('round-trips a contiguous ns profile: same weight per stack path', () => {
    const b = new ProfileBuilder();
    const thread = b.thread('main', 1, 1);
    const event = b.event('samples');
    const f = (name: string) => b.frame(name, 'app.js', ExecContext.HostUser);
    const main = b.stack(-1, f('main'));
    const work = b.stack(main, f('work'));
    const gc = b.stack(-1, f('(garbage collector)'));
    let time = 5_000_000;
    for (const [stack, weight] of [[main, 1000], [work, 1500], [work, 250], [gc, 1001], [-1, 700], [main, 3]]) {
      b.sample({ stack, time, weight, event, cpu: -1, thread, vcpu: -1, context: ExecContext.HostUser });
      time += weight;
    }
    const p = b.build({ name: 'p', source: 'test', weightUnit: 'ns' });
    const out = exportBytes(cpuprofileFormat, p);
    expect(cpuprofileFormat.detect(out)).toBe(true);
    const back = importBytes(cpuprofileFormat, out);
    expectSameTotals(pathTotals(back, false), pathTotals(p, false));
  });
});

describe('cpuprofile robustness and detection', () => {
  const valid = [read('Chrome/65/simple.cpuprofile'), read('node/10.11.0/example.cpuprofile')];

  it('property: random bytes give a profile or a ParseError', () => {
    const random = fc.uint8Array({ maxLength: 300 });
    fc.assert(fc.property(random, chunking, (bytes, chunks) => importsOrRejects(cpuprofileFormat, bytes, chunks)), { numRuns: 200 });
  });

  it('property: mutated profiles give a profile or a ParseError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...valid), mutations, chunking, (bytes, edits, chunks) =>
        importsOrRejects(cpuprofileFormat, mutate(bytes, edits), chunks),
      ),
      { numRuns: 200 },
    );
  });

  it('property: odd node graphs (cycles, bad ids) give a profile or a ParseError', () => {
    const id = fc.integer({ min: 0, max: 6 });
    const node = fc.record({ id, parent: fc.integer({ min: -1, max: 6 }), children: fc.array(id) });
    fc.assert(
      fc.property(fc.array(node, { maxLength: 8 }), fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 10 }), (nodes, samples) => {
        const withFrames = nodes.map((n) => ({ ...n, callFrame: { functionName: `f${n.id}` } }));
        const doc = { nodes: withFrames, samples, timeDeltas: samples.map(() => 1) };
        return importsOrRejects(cpuprofileFormat, text(JSON.stringify(doc)), [7]);
      }),
      { numRuns: 200 },
    );
  });

  it('detects cpuprofiles, and not heap profiles, traces or text', () => {
    for (const bytes of valid) expect(cpuprofileFormat.detect(bytes)).toBe(true);
    expect(cpuprofileFormat.detect(read('node/10.11.0/Heap-20181003T105432.heapprofile'))).toBe(false);
    expect(cpuprofileFormat.detect(read('trace-event/simple.json'))).toBe(false);
    expect(cpuprofileFormat.detect(read('Chrome/69/simple.json'))).toBe(false);
    expect(cpuprofileFormat.detect(text('perf 1234 [000] 1.000: 1 cycles:\n'))).toBe(false);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => !cpuprofileFormat.detect(bytes)), { numRuns: 200 });
  });
});
