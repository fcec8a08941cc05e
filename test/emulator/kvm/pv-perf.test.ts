/** The 2010 paravirtual perf interface (KVM_PERF_OP), never merged. */
import { describe, expect, it } from 'vitest';
import {
  guestHasPvPerf,
  KVM_FEATURE_PV_PERF,
  KVM_PERF_OP,
  KVM_PERF_OP_CLOSE as CLOSE,
  KVM_PERF_OP_DISABLE as DISABLE,
  KVM_PERF_OP_ENABLE as ENABLE,
  KVM_PERF_OP_OPEN as OPEN,
  KVM_PERF_OP_READ as READ,
  pvPerfVmConfigError,
  PvPerfHost,
  type GuestPerfAttr,
  type GuestPerfEvent,
  type PvPerfBackend,
} from '../../../emulator/kvm/paravirt/pv-perf';
import type { PerfEventAttr } from '../../../emulator/perf/attr';
import { Errno } from '../../../emulator/perf/errno';

class FakeHostPerf implements PvPerfBackend {
  readonly attrs = new Map<number, PerfEventAttr>();
  readonly counts = new Map<number, bigint>();
  readonly enabled = new Set<number>();
  private next = 100;
  open(attr: PerfEventAttr): number {
    const id = this.next++;
    this.attrs.set(id, attr);
    this.counts.set(id, 0n);
    return id;
  }
  close(id: number): void {
    this.attrs.delete(id);
    this.enabled.delete(id);
  }
  enable(id: number): void {
    this.enabled.add(id);
  }
  disable(id: number): void {
    this.enabled.delete(id);
  }
  read(id: number): bigint {
    return this.counts.get(id) ?? 0n;
  }
}

const attr: GuestPerfAttr = {
  type: 0,
  config: 0n,
  sample_period: 0n,
  sample_type: 0n,
  read_format: 0n,
  flags: 1n << 5n, // exclude_kernel
  bp_type: 0,
  bp_addr: 0n,
  bp_len: 0n,
};

function opened() {
  const host = new FakeHostPerf();
  const pv = new PvPerfHost(host);
  const shared: GuestPerfEvent = { count: 0n, overflows: 0 };
  expect(pv.hypercall(OPEN, { id: 1, attr, event: shared })).toBe(0);
  const hostId = [...host.attrs.keys()][0];
  return { host, pv, shared, hostId };
}

describe('the paravirtual perf ABI', () => {
  it('checklist 80: hypercall 3 with ops OPEN 1, CLOSE 2, ENABLE 3, DISABLE 4, READ 5, advertised by CPUID bit 4', () => {
    expect(KVM_PERF_OP).toBe(3);
    expect([OPEN, CLOSE, ENABLE, DISABLE, READ]).toEqual([1, 2, 3, 4, 5]);
    expect(KVM_FEATURE_PV_PERF).toBe(4);
    expect(guestHasPvPerf(1 << 4)).toBe(true);
    expect(guestHasPvPerf(1 << 3)).toBe(false);
  });

  it('checklist 80: opens one host event per guest event and writes counts and overflows into the shared structure', () => {
    const { host, pv, shared, hostId } = opened();
    expect(host.attrs.get(hostId)).toMatchObject({ exclude_kernel: true, exclude_user: false, exclude_host: true });
    expect(pv.hypercall(ENABLE, { id: 1 })).toBe(0);
    expect(host.enabled.has(hostId)).toBe(true);
    host.counts.set(hostId, 1234n);
    expect(pv.hypercall(READ, { id: 1 })).toBe(0);
    expect(shared.count).toBe(1234n);
    host.counts.set(hostId, 2000n);
    expect(pv.hostOverflow(hostId)).toBe(1);
    expect(shared).toEqual({ count: 2000n, overflows: 1 });
    host.counts.set(hostId, 2500n);
    expect(pv.hypercall(DISABLE, { id: 1 })).toBe(0);
    expect(shared.count).toBe(2500n);
    expect(pv.hypercall(CLOSE, { id: 1 })).toBe(0);
    expect(host.attrs.size).toBe(0);
    expect(pv.hypercall(READ, { id: 1 })).toBe(-Errno.EBADF);
  });

  it('checklist 80: refuses bad calls and bounds the events a guest may hold', () => {
    const { pv, shared } = opened();
    expect(pv.hypercall(9, { id: 1 })).toBe(-Errno.ENOSYS);
    expect(pv.hypercall(OPEN, { id: 2, attr })).toBe(-Errno.EFAULT);
    expect(pv.hypercall(OPEN, { id: 1, attr, event: shared })).toBe(-Errno.EINVAL);
    const small = new PvPerfHost(new FakeHostPerf(), 1);
    expect(small.hypercall(OPEN, { id: 1, attr, event: { count: 0n, overflows: 0 } })).toBe(0);
    expect(small.hypercall(OPEN, { id: 2, attr, event: { count: 0n, overflows: 0 } })).toBe(-Errno.ENOSPC);
  });

  it('checklist 80: migration loses every host-side event; the guest’s handles dangle and its counts freeze', () => {
    const { host, pv, shared, hostId } = opened();
    expect(pv.hypercall(ENABLE, { id: 1 })).toBe(0);
    host.counts.set(hostId, 500n);
    expect(pv.hypercall(READ, { id: 1 })).toBe(0);
    expect(pv.migrate()).toBe(1);
    expect(pv.openEvents).toBe(0);
    host.counts.set(hostId, 900n);
    expect(pv.hypercall(READ, { id: 1 })).toBe(-Errno.EBADF);
    expect(pv.hostOverflow(hostId)).toBeNull();
    expect(shared.count).toBe(500n);
  });

  it('checklist 80: a VM exposing PV perf together with migration support is refused', () => {
    expect(pvPerfVmConfigError({ pvPerf: true, migratable: true })).toMatch(/migrat/);
    expect(pvPerfVmConfigError({ pvPerf: true, migratable: false })).toBeNull();
    expect(pvPerfVmConfigError({ pvPerf: false, migratable: true })).toBeNull();
  });
});
