/**
 * perf script text → Profile: totals against stackcollapse-perf.pl's expected
 * outputs, guest/host/hypervisor contexts from the guest fixtures, damage
 * reporting, and chunk-boundary independence.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../profile/formats/format';
import { perfScriptFormat } from '../../profile/formats/perf-script';
import { EXEC_CONTEXT_NAMES, type Profile, totalWeight } from '../../profile/model';
import { perfScriptInputs } from '../helpers/perf-inputs';
import { corpora, fixtures } from '../helpers/paths';

const FG = join(corpora, 'brendangregg-FlameGraph');
const INFERNO = join(corpora, 'jonhoo-inferno/tests/data/collapse-perf');
const FIXTURES = join(fixtures, 'perf-script');

function read(path: string): Uint8Array {
  const bytes = readFileSync(path);
  return path.endsWith('.gz') ? gunzipSync(bytes) : bytes;
}

function importBytes(bytes: Uint8Array, chunk = 65536, fileName = 'test.perf'): Profile {
  const importer = perfScriptFormat.createImporter({ fileName });
  for (let i = 0; i < bytes.length; i += chunk) importer.push(bytes.subarray(i, i + chunk));
  return importer.finish();
}

const importText = (text: string) => importBytes(new TextEncoder().encode(text));

function importError(text: string | Uint8Array): ParseError {
  try {
    importBytes(typeof text === 'string' ? new TextEncoder().encode(text) : text, 65536, 'bad.txt');
  } catch (e) {
    expect(e).toBeInstanceOf(ParseError);
    return e as ParseError;
  }
  throw new Error('expected a ParseError');
}

/** Each sample as "comm machine ctx: frame{ctx} <- caller{ctx} ..." (leaf first). */
function describeSamples(p: Profile): string[] {
  const out: string[] = [];
  for (let i = 0; i < p.samples.length; i++) {
    const t = p.samples.thread[i];
    const frames: string[] = [];
    for (let s = p.samples.stack[i]; s >= 0; s = p.stacks.prefix[s]) {
      const f = p.stacks.frame[s];
      frames.push(`${p.strings[p.frames.name[f]]}{${EXEC_CONTEXT_NAMES[p.frames.context[f]]}}`);
    }
    const machine = p.machines[p.threads.machine[t]].name;
    out.push(`${p.strings[p.threads.comm[t]]} ${machine} ${EXEC_CONTEXT_NAMES[p.samples.context[i]]}: ${frames.join(' <- ')}`);
  }
  return out;
}

const contexts = (p: Profile) => Array.from(p.samples.context, (c) => EXEC_CONTEXT_NAMES[c]);

describe('totals match stackcollapse-perf.pl on the peer corpora', () => {
  const inputs = readdirSync(join(FG, 'test')).filter((f) => f.startsWith('perf-') && f.endsWith('.txt'));
  const cases: [string, string, string][] = inputs.map((f) => [
    f,
    join(FG, 'test', f),
    join(FG, 'test/results', f.replace(/\.txt$/, '-collapsed-pid.txt')),
  ]);
  cases.push([
    'example-perf-stacks.txt.gz',
    join(FG, 'example-perf-stacks.txt.gz'),
    join(INFERNO, 'results/example-perf-stacks-collapsed.txt'),
  ]);

  it('covers all 13 upstream inputs', () => expect(inputs).toHaveLength(13));

  it.each(cases)('%s', (_name, input, expected) => {
    const profile = importBytes(read(input));
    const want = readFileSync(expected, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    // The Perl folds only the first event it sees: that is the event of the
    // profile's first sample. It also drops a last sample that no empty line
    // follows; the importer keeps it when its last line is complete.
    const first = profile.samples.event[0];
    const last = profile.samples.length - 1;
    const text = new TextDecoder().decode(read(input));
    const lastKept = !/\n[ \t]*\n\s*$/.test(text) && profile.samples.event[last] === first ? profile.samples.weight[last] : 0;
    expect(totalWeight(profile, first)).toBe(want + lastKept);
    expect(profile.meta.source).toBe('perf-script');
  });
});

describe('detection', () => {
  it('accepts every perf script input of the corpora and fixtures', () => {
    const perfInputs = perfScriptInputs();
    for (const path of perfInputs) expect(perfScriptFormat.detect(read(path).subarray(0, 65536)), path).toBe(true);
  });

  it('refuses folded stacks, JSON, binary and empty input', () => {
    const folded = join(corpora, 'jlfwong-speedscope/sample/profiles/stackcollapse');
    for (const f of readdirSync(folded)) expect(perfScriptFormat.detect(read(join(folded, f))), f).toBe(false);
    const json = read(join(corpora, 'firefox-devtools-profiler/src/test/fixtures/upgrades/chrome-tracing.json.gz'));
    expect(perfScriptFormat.detect(json)).toBe(false);
    expect(perfScriptFormat.detect(new Uint8Array([0x50, 0x45, 0x52, 0x46, 0x49, 0x4c, 0x45, 0x32, 0, 1, 2, 3]))).toBe(false);
    expect(perfScriptFormat.detect(new Uint8Array())).toBe(false);
  });
});

describe('guest samples go to guest machines with guest contexts', () => {
  it('perf kvm --host --guest: KVM is hypervisor, guest kernel and guest user by dso and cpumode', () => {
    const p = importBytes(read(join(FIXTURES, 'kvm-host-guest.txt')));
    expect(p.machines.map((m) => `${m.name}/${m.kind}`)).toEqual(['host/host', 'guest/guest']);
    expect(contexts(p)).toEqual([
      'hypervisor',
      'guest-kernel',
      'guest-user',
      'guest-kernel',
      'host-kernel',
      'host-user',
      'hypervisor',
    ]);
    const lines = describeSamples(p);
    expect(lines[0]).toMatch(/^qemu-system-x86 host hypervisor: vmx_vcpu_enter_exit\{hypervisor\} <- /);
    // QEMU's own kvm_vcpu_ioctl is user code: only KVM's kernel code is the hypervisor.
    expect(lines[0]).toContain('kvm_vcpu_ioctl{hypervisor} <- __x64_sys_ioctl{host-kernel}');
    expect(lines[0]).toContain('__GI___ioctl{host-user} <- kvm_vcpu_ioctl{host-user} <- kvm_cpu_exec{host-user}');
    expect(lines[1]).toBe(':4251 guest guest-kernel: native_safe_halt{guest-kernel}');
    expect(lines[2]).toBe(':4252 guest guest-user: [unknown]{guest-user}');
    // A bracketed module in a guest sample is the guest's module.
    expect(lines[3]).toBe(':4251 guest guest-kernel: virtnet_poll{guest-kernel}');
    expect(lines[6]).toMatch(/^CPU 1\/KVM host hypervisor: /);
    expect(p.events).toHaveLength(1);
    expect(p.events[0]).toMatchObject({ name: 'cycles', exclude_guest: false, exclude_host: false });
    expect(p.meta.weightUnit).toBe('events');
    expect(totalWeight(p)).toBe(831402 + 812245 + 801774 + 799120 + 120340 + 790004 + 805511);
  });

  it('several guests by [guest.kernel.kallsyms.<pid>], and a guest-only (:G) event', () => {
    const p = importBytes(read(join(FIXTURES, 'kvm-two-guests.txt')));
    expect(p.events[0]).toMatchObject({ name: 'cycles:G', exclude_host: true, exclude_guest: false });
    expect(p.machines.map((m) => [m.name, m.kind, m.pid])).toEqual([
      ['host', 'host', -1],
      ['guest-4242', 'guest', 4242],
      ['guest-5151', 'guest', 5151],
      ['guest', 'guest', -1],
    ]);
    expect(describeSamples(p)).toEqual([
      ':4251 guest-4242 guest-kernel: native_safe_halt{guest-kernel}',
      ':5161 guest-5151 guest-kernel: clear_page_erms{guest-kernel}',
      ':4251 guest-4242 guest-kernel: copy_user_enhanced_fast_string{guest-kernel}',
      // No dso to tell which guest: the event counts only in guests.
      ':5162 guest guest-user: [unknown]{guest-user}',
      // A kernel-half address with no symbol is the guest's kernel.
      ':5162 guest guest-kernel: [unknown]{guest-kernel}',
    ]);
  });

  it('perf inject --guest-data with VM:/VCPU: fields: whole guest callchains, vCPU per sample', () => {
    const p = importBytes(read(join(FIXTURES, 'guest-inject-vm-vcpu.txt')));
    expect(p.machines.map((m) => [m.name, m.pid])).toEqual([
      ['host', -1],
      ['guest-4242', 4242],
    ]);
    expect(Array.from(p.samples.vcpu)).toEqual([1, -1, 0, 1]);
    expect(Array.from(p.samples.cpu)).toEqual([1, 4, 0, 1]);
    const lines = describeSamples(p);
    expect(lines[0]).toBe(
      'bash guest-4242 guest-kernel: clear_page_erms{guest-kernel} <- get_page_from_freelist{guest-kernel} <- ' +
        '__alloc_pages{guest-kernel} <- do_anonymous_page{guest-kernel} <- __handle_mm_fault{guest-kernel} <- ' +
        'exc_page_fault{guest-kernel} <- asm_exc_page_fault{guest-kernel} <- __memset_avx2_unaligned_erms{guest-user} <- ' +
        'xmalloc{guest-user} <- main{guest-user}',
    );
    expect(lines[1]).toMatch(/^qemu-system-x86 host hypervisor: /);
    expect(lines[2]).toMatch(/^kworker\/0:1 guest-4242 guest-kernel: process_one_work\{guest-kernel\}/);
    expect(lines[3]).toBe(
      'python3 guest-4242 guest-user: _PyEval_EvalFrameDefault{guest-user} <- [libpython3.11.so.1.0]{guest-user} <- _start{guest-user}',
    );
    const t = p.samples.thread[3];
    expect([p.threads.pid[t], p.threads.tid[t]]).toEqual([1203, 1207]);
  });
});

describe('frames, names and contexts on the host', () => {
  it('merges frames by name without offset, names unknowns like stackcollapse, splits Java inline chains', () => {
    const p = importText(
      [
        'java 10/11 [000] 1.000000: 100 cycles:',
        '\tffffffff81000010 do_sys_open+0x10 ([kernel.kallsyms])',
        '\t    7f0000001000 [unknown] (/usr/lib/libjvm.so)',
        '\t    7f0000002000 LFoo;::a->LFoo;::b+0x4 (/tmp/perf-10.map)',
        '\t    7f0000003000 [unknown] ([unknown])',
        '',
        'java 10/11 [000] 1.000100: 100 cycles:',
        '\tffffffff81000020 do_sys_open+0x20 ([kernel.kallsyms])',
        '\t    7f0000004000 __vdso_clock_gettime+0x5 ([vdso])',
        '\tffffffff82000000 [unknown] ([unknown])',
        '',
        '',
      ].join('\n'),
    );
    expect(describeSamples(p)).toEqual([
      'java host host-kernel: do_sys_open{host-kernel} <- [libjvm.so]{host-user} <- LFoo;::b{host-user} <- LFoo;::a{host-user} <- [unknown]{unknown}',
      'java host host-kernel: do_sys_open{host-kernel} <- __vdso_clock_gettime{host-user} <- [unknown]{host-kernel}',
    ]);
    const names = Array.from(p.frames.name, (n) => p.strings[n]);
    expect(names.filter((n) => n === 'do_sys_open')).toHaveLength(1);
  });

  it('built-in KVM functions in the kernel are hypervisor code; an (inlined) frame takes its caller dso', () => {
    const p = importText(
      [
        'CPU 0/KVM 4242/4250 [002] 9.000000: 10 cycles:',
        '\tffffffff81111111 kvm_load_guest_xsave_state+0x40 ([kernel.kallsyms])',
        '\tffffffff81111222 vcpu_enter_guest+0x6f1 ([kernel.kallsyms])',
        '\tffffffff81111333 __x64_sys_ioctl+0x93 ([kernel.kallsyms])',
        '',
        'a.out 1 [000] 9.100000: 10 cycles:',
        '\t    401000 helper (inlined)',
        '\t    401000 main+0x10 (/home/u/a.out)',
        '',
        '',
      ].join('\n'),
    );
    expect(contexts(p)).toEqual(['hypervisor', 'host-user']);
    expect(describeSamples(p)[0]).toContain('vcpu_enter_guest{hypervisor} <- __x64_sys_ioctl{host-kernel}');
    const helper = Array.from(p.frames.name, (n) => p.strings[n]).indexOf('helper');
    expect(p.strings[p.frames.dso[helper]]).toBe('/home/u/a.out');
  });

  it('reads -F +srcline output without complaint; inlined frames sit in their caller dso', () => {
    const p = importBytes(read(join(FIXTURES, 'srcline-inline.txt')));
    expect(p.meta.warnings).toEqual([]);
    expect(describeSamples(p)).toEqual([
      'a.out host host-user: std::uniform_int_distribution<int>::operator()<std::mt19937>{host-user} <- ' +
        'some_method_name{host-user} <- main{host-user} <- __libc_start_main{host-user}',
      'a.out host host-user: [libkmod.so.2.3.6]{host-user}',
      'a.out host host-kernel: up_write{host-kernel} <- __strlen_avx2{host-user} <- [unknown]{unknown}',
    ]);
    const inlined = Array.from(p.frames.name, (n) => p.strings[n]).indexOf('std::uniform_int_distribution<int>::operator()<std::mt19937>');
    expect(p.strings[p.frames.dso[inlined]]).toBe('/home/user/a.out');
  });

  it('weighs by period when present, else 1; keeps tracepoint samples; takes exclude bits from the header', () => {
    const withPeriods = importText('a 1 [000] 1.0: 250 cycles:u:\n\t1 f (/a)\n\n');
    expect([totalWeight(withPeriods), withPeriods.meta.weightUnit]).toEqual([250, 'events']);
    expect(withPeriods.events[0]).toMatchObject({ name: 'cycles:u', exclude_kernel: true, exclude_hv: true });
    expect(contexts(withPeriods)).toEqual(['host-user']);

    const tp = importText(
      '# event : name = sched:sched_switch, , type = 2, sample_period = 1, exclude_guest = 1\n' +
        'sshd 812 [001] 5.5: sched:sched_switch: prev_comm=sshd prev_pid=812 ==> next_comm=swapper/1\n' +
        '\tffffffff81c0d0b0 __schedule+0x2f0 ([kernel.kallsyms])\n\n',
    );
    expect([totalWeight(tp), tp.meta.weightUnit]).toEqual([1, 'samples']);
    expect(tp.events[0]).toMatchObject({ name: 'sched:sched_switch', exclude_guest: true, attr: { sample_period: '1' } });
  });
});

describe('damaged or foreign input', () => {
  it('refuses an empty file, binary data and perf.data', () => {
    expect(importError('').reason).toBe('empty file');
    expect(importError(new Uint8Array([0, 1, 2, 3, 255, 254, 0, 0, 7, 8])).reason).toMatch(/binary data/);
    const perfData = new TextEncoder().encode('PERFILE2\u0000\u0000\u0000\u0068\u0000\u0000\u0000\u0000');
    expect(importError(perfData).reason).toMatch(/perf\.data file: convert it with "perf script"/);
    // However the bytes arrive.
    expect(() => importBytes(perfData, 1)).toThrow(/perf\.data file/);
    expect(importError(' \n\t\n').reason).toBe('no samples: only comments and blank lines');
  });

  it('refuses text that is not perf script, naming the line', () => {
    const e = importError('# comment\n\njava;main;run 12\n');
    expect(e.line).toBe(3);
    expect(e.reason).toContain('expected a perf script event line like "comm pid [cpu] time: period event:"');
    expect(e.message).toBe(`bad.txt:3: ${e.reason}`);
  });

  it('keeps whole records of a truncated file and says what it dropped', () => {
    const full = read(join(FIXTURES, 'kvm-host-guest.txt'));
    const text = new TextDecoder().decode(full);
    const cut = text.slice(0, text.indexOf('stress_run+0x3f4') + 5);
    const p = importText(cut);
    expect(p.samples.length).toBe(5);
    expect(p.meta.warnings).toHaveLength(1);
    const line = text.slice(0, text.indexOf('stress-ng ')).split('\n').length;
    expect(p.meta.warnings[0].line).toBe(line);
    expect(p.meta.warnings[0].message).toMatch(/truncated: it ends in the middle of a line .*: dropped it \("stress-ng" 5120, 3 frames\)/);
  });

  it('counts unreadable lines into one warning with the first line number', () => {
    const p = importText(
      [
        'x 1 [000] 1.0: 1 cycles:',
        '\t1 a (/b)',
        '\t          THIS_IS_A_WEIRD_LINE',
        '',
        'x 1 [000] 2.0: 1 cycles:',
        '',
        '\t401b94 main+0x1c (/b)',
        '',
        'x 1 [000] 3.0: 1 cycles:',
        '\tanother weird line',
        '',
      ].join('\n'),
    );
    expect(p.samples.length).toBe(3);
    expect(p.meta.warnings).toEqual([
      {
        line: 3,
        message: '3 lines could not be read as perf script and were skipped (first at line 3: "THIS_IS_A_WEIRD_LINE")',
      },
    ]);
  });

  it('reads the same profile whatever the chunk boundaries', () => {
    for (const path of [join(FIXTURES, 'kvm-host-guest.txt'), join(INFERNO, 'cpp-stacks-std-function.txt')]) {
      const bytes = read(path);
      const whole = importBytes(bytes, bytes.length);
      expect(importBytes(bytes, 1)).toEqual(whole);
      expect(importBytes(bytes, 7)).toEqual(whole);
    }
  });
});
