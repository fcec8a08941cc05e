/**
 * KVM_SET_PMU_EVENT_FILTER (emulator/kvm/x86/event-filter.ts) against the
 * shared reference's §5.4 and checklist items 43–46.
 */
import { describe, expect, it } from 'vitest';
import { pmuModelFor } from '../../../emulator/hw/pmu-model';
import { Errno } from '../../../emulator/perf/errno';
import {
  check_pmu_event_filter,
  filterAllowsFixed,
  filterAllowsGp,
  KVM_PMU_ENCODE_MASKED_ENTRY,
  KVM_PMU_EVENT_ALLOW,
  KVM_PMU_EVENT_DENY,
  KVM_PMU_EVENT_FLAG_MASKED_EVENTS,
  reprogramAll,
  setPmuEventFilter,
  type KvmPmuEventFilterArg,
  type KvmX86PmuEventFilter,
} from '../../../emulator/kvm/x86/event-filter';
import {
  ARCH_PERFMON_EVENTSEL_ENABLE,
  ARCH_PERFMON_EVENTSEL_OS,
  MSR_CORE_PERF_FIXED_CTR_CTRL,
  MSR_CORE_PERF_GLOBAL_CTRL,
} from '../../../emulator/kvm/x86/msr';
import { reprogramCounter } from '../../../emulator/kvm/x86/pmc';
import type { X86Vendor } from '../../../emulator/kvm/x86/pmu-refresh';
import { KvmPmu } from '../../../emulator/kvm/x86/vpmu-regs';

const arg = (o: Partial<KvmPmuEventFilterArg> = {}): KvmPmuEventFilterArg => ({
  action: KVM_PMU_EVENT_ALLOW,
  nevents: o.events?.length ?? 0,
  fixed_counter_bitmap: 0,
  flags: 0,
  events: [],
  ...o,
});

function install(a: KvmPmuEventFilterArg, vendor: X86Vendor = 'intel'): KvmX86PmuEventFilter {
  const r = setPmuEventFilter(a, vendor);
  if (!('ok' in r)) throw new Error(`filter refused: ${r.errno}`);
  return r.ok;
}

const intelPmu = () =>
  new KvmPmu(
    { vendor: 'intel', version: 2, nrGp: 8, gpWidth: 48, nrFixed: 3, fixedWidth: 48, fullWidthWrites: true },
    pmuModelFor('x86_64', 'intel'),
  );

describe('KVM_SET_PMU_EVENT_FILTER checks (checklist 43)', () => {
  it('checklist 43: more than 300 events is E2BIG; exactly 300 is accepted', () => {
    const many = (n: number) => Array.from({ length: n }, () => 0xc0n);
    expect(setPmuEventFilter(arg({ events: many(301) }), 'intel')).toEqual({ errno: -Errno.E2BIG });
    expect('ok' in setPmuEventFilter(arg({ events: many(300) }), 'intel')).toBe(true);
  });

  it('checklist 43: a bad action or unknown flags is EINVAL, checked before the size', () => {
    expect(setPmuEventFilter(arg({ action: 2 }), 'intel')).toEqual({ errno: -Errno.EINVAL });
    expect(setPmuEventFilter(arg({ flags: 2 }), 'intel')).toEqual({ errno: -Errno.EINVAL });
    expect(setPmuEventFilter(arg({ action: 2, nevents: 301 }), 'intel')).toEqual({ errno: -Errno.EINVAL });
    expect(setPmuEventFilter(arg({ flags: 4, nevents: 301 }), 'intel')).toEqual({ errno: -Errno.EINVAL });
  });

  it('masked entries with bits outside select/mask/match/exclude are EINVAL (Intel: select 11:8 too)', () => {
    const masked = (events: bigint[]) => arg({ flags: KVM_PMU_EVENT_FLAG_MASKED_EVENTS, events });
    const highSelect = KVM_PMU_ENCODE_MASKED_ENTRY(0x120n, 0xffn, 0x01n, false);
    expect(setPmuEventFilter(masked([highSelect]), 'intel')).toEqual({ errno: -Errno.EINVAL });
    expect('ok' in setPmuEventFilter(masked([highSelect]), 'amd')).toBe(true);
    expect(setPmuEventFilter(masked([0xc0n | (1n << 16n)]), 'amd')).toEqual({ errno: -Errno.EINVAL });
  });

  it('fewer events than nevents faults copying them in', () => {
    expect(setPmuEventFilter(arg({ nevents: 2, events: [0xc0n] }), 'intel')).toEqual({ errno: -Errno.EFAULT });
  });
});

describe('filter semantics (checklist 44, 45)', () => {
  it('checklist 44: a raw entry with bits beyond event select + umask is dropped, not rejected', () => {
    const enabled = ARCH_PERFMON_EVENTSEL_ENABLE | 0x01c4n;
    const r = setPmuEventFilter(arg({ events: [enabled, 0x00c0n] }), 'intel');
    expect('ok' in r).toBe(true);
    if (!('ok' in r)) return;
    expect(r.ok.includes).toHaveLength(1);
    expect(filterAllowsGp(r.ok, 0x00c0n, 'intel')).toBe(true);
    expect(filterAllowsGp(r.ok, 0x01c4n, 'intel')).toBe(false);
  });

  it('raw entries match event select and umask exactly; the selector\'s other bits do not matter', () => {
    const f = install(arg({ action: KVM_PMU_EVENT_DENY, events: [0x01c4n] }));
    expect(filterAllowsGp(f, ARCH_PERFMON_EVENTSEL_ENABLE | ARCH_PERFMON_EVENTSEL_OS | 0x01c4n, 'intel')).toBe(false);
    expect(filterAllowsGp(f, 0x02c4n, 'intel')).toBe(true);
  });

  it('masked entries: include when (umask & mask) == match, unless an exclude entry matches', () => {
    const events = [
      KVM_PMU_ENCODE_MASKED_ENTRY(0xc4n, 0x0fn, 0x01n, false),
      KVM_PMU_ENCODE_MASKED_ENTRY(0xc4n, 0xffn, 0x81n, true),
    ];
    const allow = install(arg({ flags: KVM_PMU_EVENT_FLAG_MASKED_EVENTS, events }));
    expect(filterAllowsGp(allow, 0x01c4n, 'intel')).toBe(true);
    expect(filterAllowsGp(allow, 0x11c4n, 'intel')).toBe(true);
    expect(filterAllowsGp(allow, 0x81c4n, 'intel')).toBe(false);
    expect(filterAllowsGp(allow, 0x02c4n, 'intel')).toBe(false);
    const deny = install(arg({ action: KVM_PMU_EVENT_DENY, flags: KVM_PMU_EVENT_FLAG_MASKED_EVENTS, events }));
    expect(filterAllowsGp(deny, 0x11c4n, 'intel')).toBe(false);
    expect(filterAllowsGp(deny, 0x81c4n, 'intel')).toBe(true);
  });

  it('AMD matches the 12-bit event select', () => {
    const f = install(arg({ flags: KVM_PMU_EVENT_FLAG_MASKED_EVENTS, events: [KVM_PMU_ENCODE_MASKED_ENTRY(0x120n, 0xffn, 0x01n, false)] }), 'amd');
    expect(filterAllowsGp(f, 0x1_0000_0120n | 0x100n, 'amd')).toBe(true);
    expect(filterAllowsGp(f, 0x0120n | 0x100n, 'amd')).toBe(false);
  });

  it('checklist 45: ALLOW stops fixed counters whose bit is clear; DENY stops those whose bit is set', () => {
    const allow = install(arg({ fixed_counter_bitmap: 0b001 }));
    expect(filterAllowsFixed(allow, 0)).toBe(true);
    expect(filterAllowsFixed(allow, 1)).toBe(false);
    const deny = install(arg({ action: KVM_PMU_EVENT_DENY, fixed_counter_bitmap: 0b010 }));
    expect(filterAllowsFixed(deny, 0)).toBe(true);
    expect(filterAllowsFixed(deny, 1)).toBe(false);
  });

  it('checklist 45: a denied fixed counter is not programmed (no backing event, no #GP)', () => {
    const pmu = intelPmu();
    expect(pmu.kvm_pmu_set_msr(MSR_CORE_PERF_FIXED_CTR_CTRL, 0x33n, false)).toEqual({ ok: true });
    // Fixed counters are off in GLOBAL_CTRL at reset (only the GP enables are set).
    expect(pmu.kvm_pmu_set_msr(MSR_CORE_PERF_GLOBAL_CTRL, 0x3n << 32n, false)).toEqual({ ok: true });
    const deny = install(arg({ action: KVM_PMU_EVENT_DENY, fixed_counter_bitmap: 0b010 }));
    const [f0, f1] = pmu.fixed_counters;
    expect(reprogramCounter(f0, 0n, check_pmu_event_filter(deny, f0), false).action).toBe('create');
    expect(reprogramCounter(f1, 0n, check_pmu_event_filter(deny, f1), false)).toEqual({ action: 'pause' });
  });
});

describe('installing a filter (checklist 46)', () => {
  it('checklist 46: every counter of every vCPU is queued for reprogram', () => {
    const vcpus = [intelPmu(), intelPmu()];
    for (const pmu of vcpus) expect(pmu.takeReprogram()).toEqual([]);
    reprogramAll(vcpus);
    for (const pmu of vcpus) {
      expect(pmu.takeReprogram().map((p) => p.idx)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 32, 33, 34]);
    }
  });
});
