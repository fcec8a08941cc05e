/**
 * `guestperf convert`, `script` and `report`, run in-process through the
 * functions the commands run: every export format and back, the report's
 * table, guest fields in script output, and one-line errors with status 2.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { perfScriptFormat } from '../../profile/formats/perf-script';
import { EXPORT_FORMATS } from '../../profile/formats/registry';
import { type Profile, totalWeight } from '../../profile/model';
import { runGuestperf } from '../helpers/cli';
import { corpora, fixtures } from '../helpers/paths';

const run = runGuestperf;

function importFile(path: string): Profile {
  const importer = perfScriptFormat.createImporter({ fileName: 'x.perf' });
  importer.push(readFileSync(path));
  return importer.finish();
}

const dir = mkdtempSync(join(tmpdir(), 'guestperf-convert-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CORPUS = join(corpora, 'brendangregg-FlameGraph/test/perf-java-stacks-01.txt');
const GUEST = join(fixtures, 'perf-script/guest-inject-vm-vcpu.txt');
const KVM = join(fixtures, 'perf-script/kvm-host-guest.txt');

describe('guestperf convert', () => {
  const original = importFile(CORPUS);
  const want = totalWeight(original, 0);

  it.each(EXPORT_FORMATS.map((f) => [f.id, f.exportExtension ?? f.extensions[0]]))(
    'perf script → %s (by extension) → perf script keeps the total weight',
    async (id, ext) => {
      const out = join(dir, `vertx-${id}.${ext}`);
      const r = await run(['convert', CORPUS, '-o', out]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const back = join(dir, `vertx-${id}-back.perf`);
      const r2 = await run(['convert', out, '-o', back]);
      expect(r2.stderr).toBe('');
      expect(r2.code).toBe(0);
      const p = importFile(back);
      // Formats without event names (folded, cpuprofile) hold the one event under another name.
      const first = p.events.length === 1 ? 0 : p.events.findIndex((e) => e.name === original.events[0].name);
      expect(first, `event ${original.events[0].name} in ${id}`).toBeGreaterThanOrEqual(0);
      // .cpuprofile weighs samples by time: there the count of samples is what must survive.
      if (id !== 'cpuprofile') expect(totalWeight(p, first)).toBeCloseTo(want, 3);
      else expect(p.samples.length).toBe(original.samples.length);
      expect(p.samples.length).toBeGreaterThan(0);
    },
  );

  it('--to picks the format whatever the extension', async () => {
    const out = join(dir, 'guest.out');
    expect((await run(['convert', GUEST, '-o', out, '--to', 'perf-script'])).code).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(/^VM: 4242 VCPU:001 bash/m);
    expect(importFile(out).samples.length).toBe(importFile(GUEST).samples.length);
  });

  it('an unknown format or extension: exit 2, one line listing the valid ids', async () => {
    for (const argv of [
      ['convert', CORPUS, '-o', join(dir, 'x.perf'), '--to', 'nope'],
      ['convert', CORPUS, '-o', join(dir, 'x.unknownext')],
    ]) {
      const r = await run(argv);
      expect(r.code).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^guestperf convert: .*perf-script.*folded/);
    }
  });

  it('bad arguments and unreadable inputs: exit 2, one line', async () => {
    const garbage = join(dir, 'garbage.perf');
    writeFileSync(garbage, 'this is not a trace at all\nnor this\n');
    const empty = join(dir, 'empty.perf');
    writeFileSync(empty, '');
    const cases: [string[], RegExp][] = [
      [['convert', join(dir, 'missing.perf'), '-o', join(dir, 'y.perf')], /^guestperf convert: cannot read .*missing\.perf: no such file$/],
      [['convert', CORPUS], /^guestperf convert: missing -o OUT/],
      [['convert', '-o', join(dir, 'y.perf')], /^guestperf convert: one input file expected, got 0/],
      [['convert', '--bogus'], /^guestperf convert: unknown option --bogus/],
      [['convert', garbage, '-o', join(dir, 'y.perf')], /^guestperf convert: garbage\.perf:1: not a perf script file/],
      [['convert', empty, '-o', join(dir, 'y.perf')], /^guestperf convert: empty\.perf: the file is empty$/],
      [['convert', CORPUS, '-o', join(dir, 'no/such/dir/y.perf')], /^guestperf convert: cannot write .*: no such file$/],
      [['script', join(dir, 'missing.perf')], /^guestperf script: cannot read .*: no such file$/],
      [['script', dir], /^guestperf script: cannot read .*: is a directory$/],
      [['script'], /^guestperf script: one input file expected, got 0/],
      [['report', garbage], /^guestperf report: garbage\.perf:1: /],
      [['report', '--sort', 'nope', CORPUS], /^guestperf report: --sort takes self or total/],
      [['report', '--top', 'x', CORPUS], /^guestperf report: --top takes a number/],
    ];
    for (const [argv, message] of cases) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr.trimEnd().split('\n'), argv.join(' ')).toHaveLength(1);
      expect(r.stderr.trimEnd(), argv.join(' ')).toMatch(message);
    }
  });
});

describe('guestperf script', () => {
  it('prints guest samples of a guest fixture with VM:/VCPU: fields', async () => {
    const r = await run(['script', GUEST]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const vm = r.stdout.split('\n').filter((l) => l.startsWith('VM:'));
    expect(vm.length).toBeGreaterThan(0);
    for (const l of vm) expect(l).toMatch(/^VM: +\d+ VCPU:\d{3} /);
    expect(r.stdout).toContain('qemu-system-x86 ');
    expect(r.stdout).toContain('([guest.kernel.kallsyms.4242])');
  });

  it('reads any format: a converted trace prints the same samples', async () => {
    const native = join(dir, 'kvm.gptrace');
    const nativeFormat = EXPORT_FORMATS.find((f) => f.id === 'guestperf');
    const out = nativeFormat ? join(dir, `kvm.${nativeFormat.exportExtension}`) : native;
    expect((await run(['convert', KVM, '-o', out, '--to', 'guestperf'])).code).toBe(0);
    const a = await run(['script', KVM]);
    const b = await run(['script', out]);
    expect(b.code).toBe(0);
    const body = (t: string) => t.split('\n').filter((l) => !l.startsWith('#'));
    expect(body(b.stdout)).toEqual(body(a.stdout));
  });

  it('--help, also through runCli', async () => {
    for (const cmd of ['script', 'report', 'convert']) {
      const r = await run([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: guestperf ${cmd} `));
      const viaCli = await run(['help', cmd]);
      expect(viaCli.stdout).not.toContain('not yet available');
    }
  });
});

describe('guestperf report', () => {
  it('shows the top function and the contexts', async () => {
    const r = await run(['report', KVM]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# Total samples: \d+$/m);
    expect(r.stdout).toMatch(/^# Samples: \d+ {2}of event 'cycles'$/m);
    expect(r.stdout).toMatch(/^# Event count \(approx\.\): \d+$/m);
    expect(r.stdout).toMatch(/^# Overhead +Self +Context +Symbol$/m);
    for (const c of ['hypervisor', 'guest-kernel', 'guest-user', 'host-kernel', 'host-user']) expect(r.stdout).toContain(c);
    // KVM code is host kernel code to perf report: level [k] (checklist 28 maps cpumodes to levels).
    expect(r.stdout).toMatch(/^ +[\d.]+% +[\d.]+% +hypervisor +\[k\] vmx_vcpu_enter_exit$/m);
  });

  it('the first row of a corpus report is its top function by self weight', async () => {
    const p = importFile(CORPUS);
    const self = new Map<string, number>();
    for (let i = 0; i < p.samples.length; i++) {
      if (p.samples.event[i] !== 0 || p.samples.stack[i] < 0) continue;
      const name = p.strings[p.frames.name[p.stacks.frame[p.samples.stack[i]]]];
      self.set(name, (self.get(name) ?? 0) + p.samples.weight[i]);
    }
    const top = [...self].sort((a, b) => b[1] - a[1])[0][0];
    const r = await run(['report', CORPUS, '--top', '5']);
    expect(r.code).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => /^ +[\d.]+%/.test(l));
    expect(rows.length).toBeLessThanOrEqual(5 * p.events.length);
    expect(rows[0]).toContain(top);
    const total = await run(['report', '--sort', 'total', CORPUS]);
    const overheads = total.stdout
      .split('\n')
      .filter((l) => /^ +[\d.]+%/.test(l))
      .map((l) => Number(l.trim().split('%')[0]));
    expect(overheads.length).toBeGreaterThan(5);
    expect(overheads).toEqual([...overheads].sort((a, b) => b - a));
  });
});
