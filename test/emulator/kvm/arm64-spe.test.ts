/** SPE for guests, as the unmerged KVM series proposed it. */
import { describe, expect, it } from 'vitest';
import { KVM_EXIT_FAIL_ENTRY_CPU_UNSUPPORTED } from '../../../emulator/kvm/arm64/pmu-v3-ctrl';
import {
  ArmVmSpeCtl,
  guestPmbidr,
  guestSpeProbe,
  KVM_ARM_VCPU_SPE_INIT as INIT,
  KVM_ARM_VCPU_SPE_IRQ as IRQ,
  KVM_ARM_VCPU_SPE_RESUME as RESUME,
  KVM_ARM_VCPU_SPE_STOP as STOP,
  KVM_ARM_VCPU_SPE_STOP_EXIT as STOP_EXIT,
  KVM_ARM_VCPU_SPE_STOP_TRAP as STOP_TRAP,
  PMBLIMITR_EL1_E,
  PMBSR_EL1_BSC_BUF_FULL,
  PMBSR_EL1_S,
  PMSCR_EL1_E1SPE,
  SpeBuffer,
} from '../../../emulator/kvm/arm64/spe';
import { Errno } from '../../../emulator/perf/errno';

const SPE_CPUS = [0, 1, 2, 3];

function initialized(vcpuHasSpe = [true, true]) {
  const vm = new ArmVmSpeCtl({ vcpuHasSpe, inKernelIrqchip: true });
  vm.vgicInit();
  vcpuHasSpe.forEach((has, i) => {
    if (!has) return;
    expect(vm.setAttr(i, IRQ, 21)).toBe(0);
    expect(vm.setAttr(i, INIT)).toBe(0);
  });
  return vm;
}

function enableProfiling(buf: SpeBuffer, base = 0x1000n, limit = 0x2000n) {
  buf.regs.PMSCR_EL1 = PMSCR_EL1_E1SPE;
  buf.regs.PMBPTR_EL1 = base;
  buf.regs.PMBLIMITR_EL1 = limit | PMBLIMITR_EL1_E;
}

describe('KVM_ARM_VCPU_SPE_CTRL', () => {
  it('checklist 75: the buffer IRQ is a PPI, the same on every vCPU', () => {
    const vm = new ArmVmSpeCtl({ vcpuHasSpe: [true, true, false], inKernelIrqchip: true });
    expect(vm.setAttr(0, IRQ, 40)).toBe(-Errno.EINVAL);
    expect(vm.setAttr(0, IRQ, 21)).toBe(0);
    expect(vm.setAttr(1, IRQ, 22)).toBe(-Errno.EINVAL);
    expect(vm.setAttr(1, IRQ, 21)).toBe(0);
    expect(vm.setAttr(1, IRQ, 21)).toBe(-Errno.EBUSY);
    expect(vm.setAttr(2, IRQ, 21)).toBe(-Errno.ENXIO);
    expect(vm.hasAttr(2, IRQ)).toBe(-Errno.ENXIO);
    expect(vm.hasAttr(0, STOP)).toBe(0);
    expect(new ArmVmSpeCtl({ vcpuHasSpe: [true], inKernelIrqchip: false }).setAttr(0, IRQ, 21)).toBe(-Errno.ENXIO);
  });

  it('checklist 75: STOP before INIT is EAGAIN; INIT needs the IRQ and the vGIC', () => {
    const vm = new ArmVmSpeCtl({ vcpuHasSpe: [true], inKernelIrqchip: true });
    expect(vm.setAttr(0, STOP, STOP_EXIT)).toBe(-Errno.EAGAIN);
    expect(vm.setAttr(0, INIT)).toBe(-Errno.ENXIO);
    expect(vm.setAttr(0, IRQ, 21)).toBe(0);
    expect(vm.setAttr(0, INIT)).toBe(-Errno.ENXIO);
    vm.vgicInit();
    expect(vm.setAttr(0, INIT)).toBe(0);
    expect(vm.setAttr(0, INIT)).toBe(-Errno.EBUSY);
    expect(vm.setAttr(0, IRQ, 21)).toBe(-Errno.EBUSY);
    expect(vm.setAttr(0, STOP, STOP_EXIT)).toBe(0);
    expect(vm.setAttr(0, STOP, 0)).toBe(-Errno.EINVAL);
    expect(vm.setAttr(0, STOP, STOP_TRAP | STOP_EXIT)).toBe(-Errno.EINVAL);
  });
});

describe('running a vCPU with SPE', () => {
  it('checklist 76: with STOP_EXIT a guest about to run with profiling enabled is not entered; fail_entry is zeroed', () => {
    const vm = initialized();
    expect(vm.setAttr(0, STOP, STOP_EXIT)).toBe(0);
    expect(vm.checkRun(0, 1, SPE_CPUS)).toBeNull();
    enableProfiling(vm.buffer(0));
    expect(vm.checkRun(0, 1, SPE_CPUS)).toEqual({ exit: 'FAIL_ENTRY', reason: null, hardware_entry_failure_reason: 0n, cpu: 0 });
    expect(vm.setAttr(0, STOP, RESUME)).toBe(0);
    expect(vm.checkRun(0, 1, SPE_CPUS)).toBeNull();
    expect(vm.hwProfiling(0)).toBe(true);
    // STOP_TRAP lets it run, ignoring its enables.
    expect(vm.setAttr(0, STOP, STOP_TRAP)).toBe(0);
    expect(vm.checkRun(0, 1, SPE_CPUS)).toBeNull();
    expect(vm.hwProfiling(0)).toBe(false);
  });

  it('a vCPU with SPE cannot run on a CPU without it', () => {
    const vm = initialized([true, false]);
    expect(vm.checkRun(0, 6, SPE_CPUS)).toEqual({
      exit: 'FAIL_ENTRY',
      reason: 'CPU_UNSUPPORTED',
      hardware_entry_failure_reason: KVM_EXIT_FAIL_ENTRY_CPU_UNSUPPORTED,
      cpu: 6,
    });
    expect(vm.checkRun(1, 6, SPE_CPUS)).toBeNull();
  });

  it('checklist 77: a host that owns the buffer makes PMBIDR_EL1.P read 1, and the guest driver refuses SPE', () => {
    const hostPmbidr = 0x8n; // Align = 256 bytes
    expect(guestSpeProbe(guestPmbidr(hostPmbidr, false))).toBe('ok');
    expect(guestSpeProbe(guestPmbidr(hostPmbidr, true))).toBe('refused');
    expect(guestSpeProbe(12n)).toBe('refused');
  });
});

describe('the profiling buffer', () => {
  it('raises the management interrupt and stops when the next record would pass LIMIT', () => {
    const buf = new SpeBuffer();
    expect(buf.writeRecord(64)).toBe('off');
    // LIMIT is 4KB-aligned: two 64-byte records fit below 0x2000.
    enableProfiling(buf, 0x1f80n, 0x2000n);
    expect(buf.writeRecord(64)).toBe('written');
    expect(buf.writeRecord(64)).toBe('written');
    expect(buf.regs.PMBPTR_EL1).toBe(0x2000n);
    expect(buf.irqLevel()).toBe(false);
    expect(buf.writeRecord(64)).toBe('full');
    expect(buf.regs.PMBSR_EL1).toBe(PMBSR_EL1_S | PMBSR_EL1_BSC_BUF_FULL);
    expect(buf.irqLevel()).toBe(true);
    expect(buf.writeRecord(64)).toBe('off');
    // Software clears S to resume (after moving the pointer back).
    buf.regs.PMBSR_EL1 = 0n;
    buf.regs.PMBPTR_EL1 = 0x1f80n;
    expect(buf.writeRecord(64)).toBe('written');
  });

  it('drops records without an interrupt in discard mode', () => {
    const buf = new SpeBuffer();
    enableProfiling(buf, 0x1000n, 0x1000n);
    buf.regs.PMBLIMITR_EL1 |= 1n << 1n;
    expect(buf.writeRecord(64)).toBe('discarded');
    expect(buf.irqLevel()).toBe(false);
  });
});
