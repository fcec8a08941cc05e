/**
 * The perf script record parser: every event-line and callchain variant of
 * profiler-anchors.md §2.1, header lines, modifiers, and chunk boundaries.
 */
import { describe, expect, it } from 'vitest';
import { EventFields, eventModifiers, modifierBits, parseEventLine } from '../../profile/formats/perf-script/event-line';
import { parseHeaderEvent } from '../../profile/formats/perf-script/header';
import { ItemKind, type PerfRecord, PerfScriptRecordParser } from '../../profile/formats/perf-script/records';

interface Frame {
  addr: string;
  sym: string;
  off: string;
  dso: string | null;
  inlined?: boolean;
  srcline?: string;
}
interface Rec {
  line: number;
  comm: string;
  pid: number;
  tid: number;
  cpu: number;
  time: number;
  period: number;
  event: string;
  machinePid: number;
  vcpu: number;
  cpumode: string;
  payload: string;
  endedBy: string;
  frames: Frame[];
  other: string[];
}

function snapshot(rec: PerfRecord): Rec {
  const f = rec.fields;
  const frames: Frame[] = [];
  const other: string[] = [];
  for (let i = 0; i < rec.itemCount; i++) {
    if (rec.itemKind[i] === ItemKind.Other) other.push(rec.itemText[i].trim());
    if (rec.itemKind[i] !== ItemKind.Frame) continue;
    const fr: Frame = { addr: rec.address(i), sym: rec.symbol(i), off: rec.offset(i), dso: rec.dso(i) };
    if (rec.isInlined(i)) fr.inlined = true;
    const src = rec.srcline(i);
    if (src !== null) fr.srcline = src;
    frames.push(fr);
  }
  return {
    line: rec.line,
    comm: f.comm,
    pid: f.pid,
    tid: f.tid,
    cpu: f.cpu,
    time: f.time,
    period: f.period,
    event: f.event,
    machinePid: f.machinePid,
    vcpu: f.vcpu,
    cpumode: f.cpumode,
    payload: f.payloadStart >= 0 ? rec.eventLine.slice(f.payloadStart) : '',
    endedBy: rec.endedBy,
    frames,
    other,
  };
}

function parse(text: string, chunk = 1 << 20): { records: Rec[]; stray: number[] } {
  const records: Rec[] = [];
  const stray: number[] = [];
  const parser = new PerfScriptRecordParser({
    record: (r) => records.push(snapshot(r)),
    stray: (_t, line) => stray.push(line),
  });
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += chunk) parser.push(bytes.subarray(i, i + chunk));
  parser.end();
  return { records, stray };
}

function eventLine(line: string): EventFields | null {
  const f = new EventFields();
  return parseEventLine(line, f) ? f : null;
}

describe('event lines: every layout perf and simpleperf print', () => {
  it.each([
    // [line, comm, pid, tid, cpu, time (ns), period, event]
    ['noploop 21796 [001] 1410597.984841: instructions: ', 'noploop', -1, 21796, 1, 1410597984841000, NaN, 'instructions'],
    ['dd 29776 666709.771979:   10101010 cpu-clock: ', 'dd', -1, 29776, -1, 666709771979000, 10101010, 'cpu-clock'],
    ['func_ab 15294 cpu-clock: ', 'func_ab', -1, 15294, -1, NaN, NaN, 'cpu-clock'],
    ['java 19983 cycles:', 'java', -1, 19983, -1, NaN, NaN, 'cycles'],
    ['iperf 27409/28744 [000] 441995.133575: cpu-clock: ', 'iperf', 27409, 28744, 0, 441995133575000, NaN, 'cpu-clock'],
    ['mir-console 23166 [000]  1333.768765: cpu-clock: ', 'mir-console', -1, 23166, 0, 1333768765000, NaN, 'cpu-clock'],
    ['emulator  4152 75695.008865:          1 cycles:u: ', 'emulator', -1, 4152, -1, 75695008865000, 1, 'cycles:u'],
    ['boa_cli 12937 10360.271071:   10101010 cpu-clock:uhH: ', 'boa_cli', -1, 12937, -1, 10360271071000, 10101010, 'cpu-clock:uhH'],
    ['perf_stacks 20602  2217.581638:          1 cycles:uppp: ', 'perf_stacks', -1, 20602, -1, 2217581638000, 1, 'cycles:uppp'],
    ['V8 WorkerThread 24636/25607 [000] 94564.109216: cycles:', 'V8 WorkerThread', 24636, 25607, 0, 94564109216000, NaN, 'cycles'],
    ['FS Broker 5858  5791/5860 [002] 2574592.9: 1 cycles:uppp: ', 'FS Broker 5858', 5791, 5860, 2, 2574592900000000, 1, 'cycles:uppp'],
    ['Gecko\t25122 [007] 115539.936601:\t\t1000000 task-clock:u:', 'Gecko', -1, 25122, 7, 115539936601000, 1000000, 'task-clock:u'],
    ['CPU 1/KVM    4252 [005] 8123.458960:     805511 cycles: ', 'CPU 1/KVM', -1, 4252, 5, 8123458960000, 805511, 'cycles'],
    ['swapper     0/0     [003] 5.000000001: 7 cycles: ', 'swapper', 0, 0, 3, 5000000001, 7, 'cycles'],
  ])('%s', (line, comm, pid, tid, cpu, time, period, event) => {
    const f = eventLine(line as string);
    expect(f).not.toBeNull();
    expect({ comm: f!.comm, pid: f!.pid, tid: f!.tid, cpu: f!.cpu, time: f!.time, period: f!.period, event: f!.event }).toEqual({
      comm,
      pid,
      tid,
      cpu,
      time,
      period,
      event,
    });
  });

  it('keeps the tracepoint payload after the event name', () => {
    const line = 'qmkg 27765 [017] 7911704.926324: kmem:kmalloc: call_site=ffffffff8150b5d0 bytes_req=32';
    const f = eventLine(line)!;
    expect(f.event).toBe('kmem:kmalloc');
    expect(line.slice(f.payloadStart)).toBe('call_site=ffffffff8150b5d0 bytes_req=32');
    expect(eventModifiers(f.event)).toBe('');
  });

  it('reads a comm-unknown line with a period and no event name', () => {
    const f = eventLine(':26019 26019 52414.329088: 3707 ffffffff8105443a native_write_msr_safe ([kernel.kallsyms])')!;
    expect([f.comm, f.tid, f.period, f.event]).toEqual([':26019', 26019, 3707, '']);
  });

  it('reads perf >= 6.0 machine_pid and vcpu fields, printed before comm', () => {
    const f = eventLine('VM: 4242 VCPU:001 bash    1001/1001    [001]  7301.100200:     250000 cycles: ')!;
    expect([f.machinePid, f.vcpu, f.comm, f.pid, f.tid, f.cpu]).toEqual([4242, 1, 'bash', 1001, 1001, 1]);
  });

  it('reads the -F +misc cpumode letters before the time', () => {
    const f = eventLine(':4252    4252 [005] KGg    8123.457511:     801774 cycles: ')!;
    expect([f.comm, f.cpumode, f.time]).toEqual([':4252', 'KGg', 8123457511000]);
  });

  it('rejects lines that are not event lines', () => {
    for (const line of [
      '\tffffffff8103ce3b native_safe_halt ([kernel.kallsyms])',
      'java;start_thread;Interpreter 12',
      '{"traceEvents":[',
      'hello world',
      '',
    ]) {
      expect(eventLine(line), line).toBeNull();
    }
  });
});

describe('event modifiers follow perf', () => {
  it.each([
    ['cycles:uppp', 'uppp', { exclude_user: false, exclude_kernel: true, exclude_hv: true, exclude_guest: false, exclude_host: false }],
    ['cpu-clock:uhH', 'uhH', { exclude_user: false, exclude_kernel: true, exclude_hv: false, exclude_guest: true, exclude_host: false }],
    ['cycles:G', 'G', { exclude_user: false, exclude_kernel: false, exclude_hv: false, exclude_guest: false, exclude_host: true }],
    ['cycles:k', 'k', { exclude_user: true, exclude_kernel: false, exclude_hv: true, exclude_guest: false, exclude_host: false }],
    ['cpu/event=0x3c,umask=0x0/uk', 'uk', { exclude_user: false, exclude_kernel: false, exclude_hv: true, exclude_guest: false, exclude_host: false }],
    ['sched:sched_switch', '', { exclude_user: false, exclude_kernel: false, exclude_hv: false, exclude_guest: false, exclude_host: false }],
  ])('%s', (name, mods, bits) => {
    expect(eventModifiers(name)).toBe(mods);
    expect(modifierBits(mods)).toMatchObject(bits);
  });
});

describe('# event : header lines', () => {
  it('parses key/value pairs with braces and the period-or-frequency key', () => {
    const ev = parseHeaderEvent(
      '# event : name = cycles, , id = { 550, 551 }, size = 112, { sample_period, sample_freq } = 4000, ' +
        'sample_type = IP|TID|TIME|CALLCHAIN, freq = 1, sample_id_all = 1, exclude_guest = 1',
    )!;
    expect(ev.name).toBe('cycles');
    expect(ev.attr).toMatchObject({ id: '{ 550, 551 }', sample_freq: '4000', freq: '1', exclude_guest: '1' });
  });

  it('maps the old excl_* keys and keeps PMU names with commas', () => {
    const old = parseHeaderEvent('# event : name = cpu-clock, type = 1, excl_usr = 0, excl_kern = 1, excl_host = 0, excl_guest = 1')!;
    expect(old.attr).toMatchObject({ exclude_user: '0', exclude_kernel: '1', exclude_guest: '1' });
    const pmu = parseHeaderEvent('# event : name = cpu/event=0x3c,umask=0x0/u, , type = 4, sample_period = 100003')!;
    expect([pmu.name, pmu.attr.sample_period]).toEqual(['cpu/event=0x3c,umask=0x0/u', '100003']);
    expect(parseHeaderEvent('# hostname : box')).toBeNull();
  });
});

const CALLCHAINS = `# a comment
perf_stacks 20602  2217.581907:    2925420 cycles:uppp: 
\tffffffff9c200158 [unknown] ([kernel.kallsyms])
\t    7f443cc8af43 __mmap64 (inlined)
\t    7f443cc74e3b _dl_map_object_from_fd+0x5b (/lib/x86_64-linux-gnu/ld-2.27.so)
\t    7f1e2215d058  (/lib/x86_64-linux-gnu/libc-2.15.so)
\t    7f89cc467bf0 Ljava/io/PrintStream;::println->Ljava/io/PrintStream;::print+0x0 (/tmp/perf-10487.map)
\t5966605dd52f8e00 [unknown] ([unknown])

a.out 35081 252436.005167:     667783 cycles: 
\t          4069f5 main+0x935 (/home/user/a.out)
  file.cpp:137
\t    7f6d2148eb25 __libc_start_main+0xd5 (/lib64/libc-2.33.so)
  libc-2.33.so[27b25]
\t          THIS_IS_A_WEIRD_LINE

java 19983 cycles:
ffffffff8103d0ca native_write_msr_safe ([kernel.kallsyms])
7f72432b4e9a start_thread (/lib/x86_64-linux-gnu/libpthread-2.15.so)

           false 39654 19115.489713:          1 cycles:u:  ffffffff9b201293 [unknown] ([unknown])
              dd 39655 19115.489719:          1 cycles:      7fa68b1f2d84 _dl_start+0x4 (/usr/lib/ld-2.31.so)
`;

describe('records and callchains', () => {
  it('splits symbol, offset and dso, and keeps every line', () => {
    const { records, stray } = parse(CALLCHAINS);
    expect(stray).toEqual([]);
    expect(records.map((r) => [r.line, r.comm, r.endedBy])).toEqual([
      [2, 'perf_stacks', 'blank'],
      [10, 'a.out', 'blank'],
      [17, 'java', 'blank'],
      [21, 'false', 'event'],
      [22, 'dd', 'eof'],
    ]);
    expect(records[0].frames).toEqual([
      { addr: 'ffffffff9c200158', sym: '[unknown]', off: '', dso: '[kernel.kallsyms]' },
      { addr: '7f443cc8af43', sym: '__mmap64', off: '', dso: 'inlined', inlined: true },
      { addr: '7f443cc74e3b', sym: '_dl_map_object_from_fd', off: '+0x5b', dso: '/lib/x86_64-linux-gnu/ld-2.27.so' },
      { addr: '7f1e2215d058', sym: '', off: '', dso: '/lib/x86_64-linux-gnu/libc-2.15.so' },
      {
        addr: '7f89cc467bf0',
        sym: 'Ljava/io/PrintStream;::println->Ljava/io/PrintStream;::print',
        off: '+0x0',
        dso: '/tmp/perf-10487.map',
      },
      { addr: '5966605dd52f8e00', sym: '[unknown]', off: '', dso: '[unknown]' },
    ]);
    expect(records[1].frames).toEqual([
      { addr: '4069f5', sym: 'main', off: '+0x935', dso: '/home/user/a.out', srcline: 'file.cpp:137' },
      { addr: '7f6d2148eb25', sym: '__libc_start_main', off: '+0xd5', dso: '/lib64/libc-2.33.so', srcline: 'libc-2.33.so[27b25]' },
    ]);
    expect(records[1].other).toEqual(['THIS_IS_A_WEIRD_LINE']);
    // Very old perf printed callchain lines in column 0.
    expect(records[2].frames.map((f) => f.sym)).toEqual(['native_write_msr_safe', 'start_thread']);
    // Without -g the one frame sits on the event line; comms are right-aligned.
    expect(records[3].frames).toEqual([{ addr: 'ffffffff9b201293', sym: '[unknown]', off: '', dso: '[unknown]' }]);
    expect(records[4]).toMatchObject({ comm: 'dd', event: 'cycles', frames: [{ sym: '_dl_start', off: '+0x4' }] });
  });

  it('collects the header event attributes by name', () => {
    const parser = new PerfScriptRecordParser({ record: () => {} });
    parser.push(
      new TextEncoder().encode(
        '# ========\n# event : name = cycles:G, , size = 136, exclude_host = 1\n# ========\n#\nx 1 [000] 1.0: 1 cycles:G:\n\n',
      ),
    );
    parser.end();
    expect([...parser.eventAttrs]).toEqual([['cycles:G', { size: '136', exclude_host: '1' }]]);
  });

  it('reports lines outside any record as stray', () => {
    const { records, stray } = parse('x 1 [000] 1.0: 1 cycles:\n\n\t401b94 main+0x1c (/a)\n');
    expect(records).toHaveLength(1);
    expect(records[0].frames).toEqual([]);
    expect(stray).toEqual([3]);
  });

  it('gives the same records whatever the chunk boundaries', () => {
    const text = CALLCHAINS + 'h\u00e9llo 7 [000] 2.5: 3 cycles:\n\t1 caf\u00e9\u{1f600} (/a)\n\n';
    const whole = parse(text);
    expect(parse(text, 1)).toEqual(whole);
    expect(parse(text, 7)).toEqual(whole);
    expect(whole.records.at(-1)!.frames[0].sym).toBe('caf\u00e9\u{1f600}');
  });
});
