/**
 * perf's event-string grammar: modifiers (checklist 30-33), the perf >= 6.13
 * exclude_guest fallback (34), event forms, groups and perf's error output.
 */
import { describe, expect, it } from 'vitest';
import {
  PERF_FORMAT_GROUP,
  PERF_SAMPLE_PERIOD,
  PERF_SAMPLE_READ,
  PERF_TYPE_HARDWARE,
  PERF_TYPE_HW_CACHE,
  PERF_TYPE_RAW,
  PERF_TYPE_SOFTWARE,
  PerfHwId,
  PerfSwId,
} from '../../../emulator/perf/attr';
import { Errno } from '../../../emulator/perf/errno';
import { evselApplyEventString, evselFallback, evselPreciseIpFallback } from '../../../emulator/perf-tool/evsel';
import { parseEvents, ParseEventsError, type ParseEventsOptions } from '../../../emulator/perf-tool/parse-events';
import { parseFormat, pmusFor } from '../../../emulator/perf-tool/pmu-sysfs';

const intel: ParseEventsOptions = { pmus: pmusFor('x86_64', 'intel'), mode: 'perf' };
const amd: ParseEventsOptions = { pmus: pmusFor('x86_64', 'amd'), mode: 'perf' };
const arm: ParseEventsOptions = { pmus: pmusFor('arm64', 'arm'), mode: 'perf' };
const kvm = (host?: boolean, guest?: boolean): ParseEventsOptions => ({ ...intel, mode: 'kvm', kvmHost: host, kvmGuest: guest });

const one = (str: string, opts = intel) => {
  const evlist = parseEvents(str, opts);
  expect(evlist).toHaveLength(1);
  return evlist[0];
};
const excludes = (str: string, opts = intel) => {
  const a = one(str, opts).attr;
  return { u: a.exclude_user, k: a.exclude_kernel, h: a.exclude_hv, host: a.exclude_host, guest: a.exclude_guest };
};
const failure = (str: string, opts = intel): ParseEventsError => {
  try {
    parseEvents(str, opts);
  } catch (e) {
    if (e instanceof ParseEventsError) return e;
    throw e;
  }
  throw new Error(`'${str}' parsed`);
};

describe('pmusFor', () => {
  it('x86 has the core PMU "cpu" at PERF_TYPE_RAW beside software, tracepoint and breakpoint', () => {
    expect(pmusFor('x86_64', 'intel').map((p) => [p.name, p.type, p.core])).toEqual([
      ['cpu', 4, true],
      ['software', 1, false],
      ['tracepoint', 2, false],
      ['breakpoint', 5, false],
    ]);
    const [armPmu] = pmusFor('arm64', 'arm');
    expect(armPmu).toMatchObject({ name: 'armv8_pmuv3_0', type: 8, core: true });
    expect(armPmu.format).toMatchObject({ event: 'config:0-15', long: 'config1:0' });
    expect(armPmu.events.cpu_cycles).toBe('event=0x0011');
  });

  it('format files and event aliases read as the kernel prints them, unmapped generic events hidden', () => {
    const [cpu] = pmusFor('x86_64', 'intel');
    expect(cpu.format).toMatchObject({ event: 'config:0-7', umask: 'config:8-15', edge: 'config:18', inv: 'config:23', cmask: 'config:24-31' });
    expect(cpu.events['cache-references']).toBe('event=0x2e,umask=0x4f');
    expect(cpu.events['ref-cycles']).toBe('event=0x00,umask=0x03');
    expect(cpu.events['stalled-cycles-frontend']).toBeUndefined();
    const [amdCpu] = pmusFor('x86_64', 'amd');
    expect(amdCpu.format.event).toBe('config:0-7,32-35');
    expect(amdCpu.events['ref-cycles']).toBe('event=0x120,umask=0x01');
    expect(amdCpu.events['bus-cycles']).toBeUndefined();
    expect(parseFormat('config:0-7,32-35')).toEqual({ field: 'config', bits: [0, 1, 2, 3, 4, 5, 6, 7, 32, 33, 34, 35] });
  });
});

describe('modifiers', () => {
  it('30: u alone excludes kernel and hv; uk excludes only hv; k alone excludes user and hv', () => {
    expect(excludes('cycles:u')).toMatchObject({ u: false, k: true, h: true });
    expect(excludes('cycles:uk')).toMatchObject({ u: false, k: false, h: true });
    expect(excludes('cycles:k')).toMatchObject({ u: true, k: false, h: true });
    expect(excludes('cycles')).toMatchObject({ u: false, k: false, h: false });
  });

  it('31: G is guest-only (exclude_host), H host-only (exclude_guest), GH excludes neither', () => {
    expect(excludes('cycles:G')).toMatchObject({ host: true, guest: false });
    expect(excludes('cycles:H')).toMatchObject({ host: false, guest: true });
    expect(excludes('cycles:GH')).toMatchObject({ host: false, guest: false });
    expect(one('cycles:GH').explicitGH).toBe(true);
    expect(one('cycles:u').explicitGH).toBe(false);
  });

  it('32: p, pp and ppp set precise_ip 1, 2 and 3', () => {
    expect(one('cycles:p').attr.precise_ip).toBe(1);
    expect(one('cycles:pp').attr.precise_ip).toBe(2);
    expect(one('r1a8:ppp').attr.precise_ip).toBe(3);
    expect(one('cycles:upp').attr).toMatchObject({ precise_ip: 2, exclude_kernel: true, exclude_user: false });
  });

  it('32: D and e from a group modifier pin / make exclusive only the group leader', () => {
    const [leader, member] = parseEvents('{cycles,instructions}:De', intel);
    expect(leader.attr).toMatchObject({ pinned: true, exclusive: true });
    expect(member.attr).toMatchObject({ pinned: false, exclusive: false });
  });

  it('32: D on a standalone event pins it, and inside a group it lands before the group forms', () => {
    expect(one('cycles:D').attr.pinned).toBe(true);
    // perf applies an event's own modifiers while it still leads itself.
    const [leader, member] = parseEvents('{cycles,instructions:D}', intel);
    expect(leader.attr.pinned).toBe(false);
    expect(member.attr.pinned).toBe(true);
  });

  it('32: S makes the leader sample with PERF_SAMPLE_READ and a group read_format; members stop sampling', () => {
    const [leader, member] = parseEvents('{cycles,instructions}:S', intel);
    expect(leader.sampleRead).toBe(true);
    expect(leader.attr.sample_type & PERF_SAMPLE_READ).toBe(PERF_SAMPLE_READ);
    expect(leader.attr.read_format & PERF_FORMAT_GROUP).toBe(PERF_FORMAT_GROUP);
    leader.attr.freq = true;
    leader.attr.sample_freq = 4000;
    member.attr.freq = true;
    member.attr.sample_freq = 4000;
    evselApplyEventString([leader, member]);
    expect(member.attr).toMatchObject({ freq: false, sample_freq: 0, sample_period: 0n });
    expect(leader.attr.sample_freq).toBe(4000);
  });

  it('precise levels add up across the event and its group; a total above 3 is an error at the group modifier', () => {
    const [cycles] = parseEvents('{cycles:p,instructions}:p', intel);
    expect(cycles.attr.precise_ip).toBe(2);
    const err = failure('{cycles:pp,instructions}:pp');
    expect(err.column).toBe(25);
    expect(err.reason).toBe('Maximum combined precise value is 3, adding precision to "cycles:pp"');
    expect(failure('cycles:pppp')).toMatchObject({ column: 10, reason: 'Maximum precise value is 3' });
  });

  it('W marks every member of a weak group and is refused on a lone event', () => {
    expect(parseEvents('{cycles,instructions}:W', intel).map((e) => e.weakGroup)).toEqual([true, true]);
    expect(failure('cycles:W')).toMatchObject({ column: 7, reason: 'Weak modifier is for use with groups' });
  });

  it('P sets precise_max and opens at precise_ip 3, then falls back one level per failed open', () => {
    const evsel = one('cycles:P');
    expect(evsel.preciseMax).toBe(true);
    expect(evsel.attr.precise_ip).toBe(3);
    const levels = [];
    while (evselPreciseIpFallback(evsel)) levels.push(evsel.attr.precise_ip);
    expect(levels).toEqual([2, 1, 0]);
    expect(evsel.attr.precise_ip).toBe(3);
    expect(evselPreciseIpFallback(one('cycles:pp'))).toBe(false);
  });

  it('I sets exclude_idle; a repeated modifier is an error at the repeat', () => {
    expect(one('cycles:I').attr.exclude_idle).toBe(true);
    expect(failure('cycles:uku')).toMatchObject({ column: 9, reason: "Duplicate modifier 'u' (user)" });
  });
});

describe('default guest/host exclusion (checklist 33)', () => {
  it('33: perf >= 6.13 opens plain and modified events with exclude_guest=0', () => {
    expect(excludes('cycles')).toMatchObject({ host: false, guest: false });
    expect(excludes('cycles:u')).toMatchObject({ host: false, guest: false });
    expect(excludes('cpu/event=0x3c/')).toMatchObject({ host: false, guest: false });
  });

  it('33: perf kvm without --host makes events without G/H guest-only (exclude_host=1)', () => {
    expect(excludes('cycles', kvm())).toMatchObject({ host: true, guest: false });
    expect(excludes('cycles:u', kvm())).toMatchObject({ host: true, guest: false });
    expect(parseEvents('{cycles,instructions}:u', kvm()).map((e) => e.attr.exclude_host)).toEqual([true, true]);
  });

  it('33: perf kvm --host makes modified events without G/H host-only, even with --guest too', () => {
    expect(excludes('cycles:u', kvm(true))).toMatchObject({ host: false, guest: true });
    expect(excludes('cycles:P', kvm(true, true))).toMatchObject({ host: false, guest: true });
  });

  it('33: perf kvm leaves an event with no modifier to event_attr_init (exclude_host=!host, exclude_guest=!guest)', () => {
    expect(excludes('cycles', kvm(true, true))).toMatchObject({ host: false, guest: false });
    expect(excludes('cycles', kvm(true, false))).toMatchObject({ host: false, guest: true });
  });

  it('33: explicit G or H wins over the perf kvm defaults', () => {
    expect(excludes('cycles:H', kvm())).toMatchObject({ host: false, guest: true });
    expect(excludes('cycles:G', kvm(true))).toMatchObject({ host: true, guest: false });
  });
});

describe('exclude_guest fallback (checklist 34)', () => {
  const cpuWide = { cpuWide: true };

  it('34: EOPNOTSUPP on an include-guest event retries with exclude_guest=1 and a :H suffix', () => {
    const evsel = one('cycles');
    expect(evselFallback(evsel, -Errno.EOPNOTSUPP, cpuWide)).toBe('Trying to fall back to excluding guest samples');
    expect(evsel.attr.exclude_guest).toBe(true);
    expect(evsel.name).toBe('cycles:H');
  });

  it('34: the H joins an existing modifier list or pmu/.../ suffix without another colon', () => {
    const mods = one('cycles:u');
    evselFallback(mods, Errno.EOPNOTSUPP, cpuWide);
    expect(mods.name).toBe('cycles:uH');
    const pmu = one('cpu/event=0x3c/');
    evselFallback(pmu, Errno.EOPNOTSUPP, cpuWide);
    expect(pmu.name).toBe('cpu/event=0x3c/H');
  });

  it('34: no fallback for explicit G/H, an event already excluding guests, or another errno', () => {
    expect(evselFallback(one('cycles:G'), Errno.EOPNOTSUPP, cpuWide)).toBeNull();
    expect(evselFallback(one('cycles:GH'), Errno.EOPNOTSUPP, cpuWide)).toBeNull();
    expect(evselFallback(one('cycles:u', kvm(true)), Errno.EOPNOTSUPP, cpuWide)).toBeNull();
    const other = one('instructions');
    expect(evselFallback(other, Errno.EINVAL, cpuWide)).toBeNull();
    expect(other).toMatchObject({ name: 'instructions', attr: { exclude_guest: false } });
  });

  it('cycles the kernel does not have falls back to cpu-clock (CPU-wide) or task-clock', () => {
    const wide = one('cycles:u');
    expect(evselFallback(wide, Errno.ENOENT, cpuWide)).toBe('The cycles event is not supported, trying to fall back to cpu-clock');
    expect(wide.attr).toMatchObject({ type: PERF_TYPE_SOFTWARE, config: BigInt(PerfSwId.CPU_CLOCK) });
    expect(wide.name).toBe('cpu-clock:u');
    const task = one('cycles');
    evselFallback(task, Errno.ENOENT, { cpuWide: false });
    expect(task.name).toBe('task-clock');
    expect(evselFallback(one('instructions'), Errno.ENOENT, cpuWide)).toBeNull();
  });
});

describe('event forms', () => {
  it('symbolic hardware and software events and their aliases', () => {
    const evlist = parseEvents('cpu-cycles,cycles,branch-instructions,branches,cs,faults,migrations,ref-cycles', intel);
    expect(evlist.map((e) => [e.attr.type, Number(e.attr.config)])).toEqual([
      [PERF_TYPE_HARDWARE, PerfHwId.CPU_CYCLES],
      [PERF_TYPE_HARDWARE, PerfHwId.CPU_CYCLES],
      [PERF_TYPE_HARDWARE, PerfHwId.BRANCH_INSTRUCTIONS],
      [PERF_TYPE_HARDWARE, PerfHwId.BRANCH_INSTRUCTIONS],
      [PERF_TYPE_SOFTWARE, PerfSwId.CONTEXT_SWITCHES],
      [PERF_TYPE_SOFTWARE, PerfSwId.PAGE_FAULTS],
      [PERF_TYPE_SOFTWARE, PerfSwId.CPU_MIGRATIONS],
      [PERF_TYPE_HARDWARE, PerfHwId.REF_CPU_CYCLES],
    ]);
    expect(evlist.map((e) => e.name)).toEqual(['cpu-cycles', 'cycles', 'branch-instructions', 'branches', 'cs', 'faults', 'migrations', 'ref-cycles']);
    expect(evlist.map((e) => e.pmu)).toEqual(['cpu', 'cpu', 'cpu', 'cpu', 'software', 'software', 'software', 'cpu']);
  });

  it('hardware cache events pack type | op << 8 | result << 16', () => {
    const evlist = parseEvents('L1-dcache-load-misses,LLC-loads,dTLB-loads,branch-load-misses', intel);
    expect(evlist.every((e) => e.attr.type === PERF_TYPE_HW_CACHE)).toBe(true);
    expect(evlist.map((e) => e.attr.config)).toEqual([0x10000n, 0x2n, 0x3n, 0x10005n]);
  });

  it('a cache op the cache lacks fails without a caret, as perf prints it', () => {
    const err = failure('cycles,L1-icache-stores');
    expect(err).toMatchObject({ caret: false, column: 7 });
    expect(err.message.split('\n')[0]).toBe("invalid or unsupported event: 'cycles,L1-icache-stores'");
  });

  it('raw rNNN is hexadecimal without 0x and is named as written', () => {
    expect(one('r003c')).toMatchObject({ name: 'r003c', attr: { type: PERF_TYPE_RAW, config: 0x3cn } });
    expect(one('r20000038f:u').attr.config).toBe(0x20000038fn);
    expect(failure('r0x3c')).toMatchObject({ reason: 'Bad event name', column: 0 });
  });

  it('PMU syntax packs format terms through sysfs format/ and takes name=', () => {
    expect(one('cpu/event=0x3c,umask=0x0,name=foo/')).toMatchObject({ name: 'foo', attr: { type: PERF_TYPE_RAW, config: 0x3cn } });
    expect(one('cpu/event=0xa8,umask=1,cmask=1,edge,inv/').attr.config).toBe(0x018401a8n);
    expect(one('cpu/r0x1a8/').attr.config).toBe(0x1a8n);
    expect(one('cpu/r1a8/').attr.config).toBe(0x1a8n);
    expect(one('cpu/config=2,config1=0x10/u')).toMatchObject({ name: 'cpu/config=2,config1=0x10/u', attr: { config: 2n, config1: 0x10n } });
    expect(one('cpu/offcore_rsp=0x10001/').attr.config1).toBe(0x10001n);
  });

  it('PMU syntax resolves sysfs events, AMD splits the event number across bits 0-7 and 32-35', () => {
    expect(one('cpu/cache-misses/').attr.config).toBe(0x412en);
    expect(one('cpu/event=0x120,umask=1/', amd).attr.config).toBe(0x100000120n);
    expect(one('cpu/ref-cycles/', amd).attr.config).toBe(0x100000120n);
    const [cyc, inst, raw] = parseEvents('cpu_cycles:u,armv8_pmuv3/inst_retired/,r11', arm);
    expect(cyc).toMatchObject({ name: 'cpu_cycles:u', pmu: 'armv8_pmuv3_0', attr: { type: 8, config: 0x11n, exclude_kernel: true } });
    expect(inst.attr).toMatchObject({ type: 8, config: 0x8n });
    expect(raw.attr).toMatchObject({ type: PERF_TYPE_RAW, config: 0x11n });
  });

  it('period= and freq= terms become config terms that set the sampling attr', () => {
    const period = one('cycles/period=100003/');
    expect(period.configTerms.get('period')).toBe(100003n);
    expect(period.attr).toMatchObject({ sample_period: 100003n, freq: false });
    const freq = one('cpu/event=0x3c,freq=999/');
    expect(freq.attr).toMatchObject({ sample_freq: 999, freq: true });
    expect(freq.attr.sample_type & PERF_SAMPLE_PERIOD).toBe(PERF_SAMPLE_PERIOD);
    expect(one('cs/call-graph=fp,no-inherit/').configTerms.get('call-graph')).toBe('fp');
  });

  it('groups: the first member leads, members keep their own names, a group name sits on the leader', () => {
    const evlist = parseEvents('cycles,grp{cycles:k,instructions}:u,cs', intel);
    expect(evlist.map((e) => [e.name, e.leader, e.groupIdx, e.nrMembers])).toEqual([
      ['cycles', 0, 0, 1],
      ['cycles:k', 1, 0, 2],
      ['instructions', 1, 1, 2],
      ['cs', 3, 0, 1],
    ]);
    expect(evlist[1].groupName).toBe('grp');
    // The group's u merges into the k the member already had.
    expect(evlist[1].attr).toMatchObject({ exclude_user: false, exclude_kernel: false, exclude_hv: true });
    expect(evlist[2].attr).toMatchObject({ exclude_user: false, exclude_kernel: true, exclude_hv: true });
  });
});

describe('errors', () => {
  it('a bad modifier points, like perf, at the token before the one it could not use', () => {
    const err = failure('cycles:ukx');
    expect(err).toMatchObject({ column: 6, reason: 'Unrecognized input' });
    expect(err.message.split('\n').slice(0, 2)).toEqual([
      "event syntax error: 'cycles:ukx'",
      `${' '.repeat(27)}\\___ Unrecognized input`,
    ]);
  });

  it('an unknown event name is "Bad event name" at its column, with perf\'s help line', () => {
    const err = failure('cycles,foo:u');
    expect(err).toMatchObject({ column: 7, reason: 'Bad event name', help: "Unable to find event on a PMU of 'foo'" });
    expect(err.message).toContain("\\___ Bad event name\n\nUnable to find event on a PMU of 'foo'\nRun 'perf list'");
    expect(failure('nopmu/event=1/')).toMatchObject({ column: 0, reason: 'Bad event or PMU' });
  });

  it('terms: unknown, too big for the format, or missing a multi-bit value', () => {
    expect(failure('cycles,cpu/foo=1/')).toMatchObject({ column: 11, reason: "unknown term 'foo' for pmu 'cpu'" });
    expect(failure('cpu/umask=0x100/')).toMatchObject({ column: 10, reason: 'value too big for format (umask), maximum is 255' });
    expect(failure('cpu/event/')).toMatchObject({ column: 4, reason: 'no value assigned for term' });
    expect(failure('cpu/event=0x3c/:u')).toMatchObject({ column: 14, reason: 'Unrecognized input' });
  });

  it('tracepoints are not modelled: sys:event fails as on a kernel without that tracepoint', () => {
    const err = failure('cycles,sched:sched_switch');
    expect(err).toMatchObject({ column: 7, reason: 'unknown tracepoint' });
    expect(err.help).toContain('/sys/kernel/tracing/events/sched/sched_switch not found');
  });

  it('empty lists, trailing commas and unclosed groups are unrecognized input', () => {
    expect(failure('')).toMatchObject({ column: 0, reason: 'Unrecognized input' });
    expect(failure('cycles,')).toMatchObject({ column: 6, reason: 'Unrecognized input' });
    expect(failure('{cycles,instructions')).toMatchObject({ reason: 'Unrecognized input' });
  });

  it('a long string is cut with ".." so the caret stays in view', () => {
    const str = `${'cycles,'.repeat(10)}bogus`;
    const [line, caret] = failure(str).message.split('\n');
    expect(line).toBe("event syntax error: '..les,cycles,bogus'");
    expect(caret.indexOf('\\')).toBe(line.indexOf('bogus'));
  });
});
