/**
 * Exit handling in each architecture's own host code: a host `record -a -g`
 * of an arm64 host running a guest shows KVM/arm64's run loop and handlers,
 * an x86 host's shows VMX's, and neither shows the other's.
 */
import { describe, expect, it } from 'vitest';
import { ExecContext } from '../../../profile/model';
import { parsePerfCommand, type RecordOptions } from '../../../emulator/perf-tool/cmdline';
import { parseScenario } from '../../../emulator/scenario/parse';
import { runRecord } from '../../../emulator/session';

/** A guest that halts, kicks virtio and reads its counters, so that every kind of exit happens. */
function hostRecord(arch: 'x86_64' | 'arm64') {
  const text = [
    'format: 1',
    'duration: 200ms',
    `machine: { arch: ${arch}, cpus: 2, nmi_watchdog: false }`,
    'vms:',
    '  - name: vm0',
    '    vcpus: 2',
    '    vpmu: emulated',
    '    cpus: [1]',
    '    workloads: [ { program: webserver }, { program: pmu-poll } ]',
    'perf:',
    '  - { on: vm0, run: "stat -a -e cycles,instructions" }',
  ].join('\n');
  const options = parsePerfCommand(['record', '-a', '-g', '-e', 'cycles', '-c', '20000']) as RecordOptions;
  const p = runRecord(parseScenario(text, `${arch}.yaml`).scenario, options, '').profile;
  const names = new Set<string>();
  for (let f = 0; f < p.frames.length; f++) {
    const ctx = p.frames.context[f];
    if (ctx === ExecContext.Hypervisor || ctx === ExecContext.HostKernel || ctx === ExecContext.HostUser) names.add(p.strings[p.frames.name[f]]);
  }
  return names;
}

const X86_ONLY = /^(vmx_|handle_(rdmsr|wrmsr|rdpmc|ept_violation|vmcall|exception_nmi)$|vcpu_enter_guest$|kvm_emulate_|__x64_|entry_SYSCALL_64|do_syscall_64$|asm_sysvec)/;
const ARM64_ONLY = /^(el0t_|el1h_|el0_svc$|__arm64_|kvm_handle_sys_reg$|kvm_handle_wfx$|handle_exit$|handle_hvc$|kvm_arm_vcpu_enter_exit$|__kvm_vcpu_run|kvm_handle_guest_abort$|gic_handle_irq$)/;

describe('VM-exit stacks per architecture', () => {
  it('an arm64 host shows KVM/arm64’s run loop and exit handlers, and no x86 name', () => {
    const names = hostRecord('arm64');
    for (const n of ['kvm_arch_vcpu_ioctl_run', 'handle_exit', 'kvm_handle_sys_reg', 'kvm_handle_wfx', '__arm64_sys_ioctl', 'gic_handle_irq'])
      expect(names).toContain(n);
    expect([...names].filter((n) => X86_ONLY.test(n))).toEqual([]);
  });

  it('an x86 host shows VMX’s, and no arm64 name', () => {
    const names = hostRecord('x86_64');
    for (const n of ['kvm_arch_vcpu_ioctl_run', 'vcpu_enter_guest', 'vmx_handle_exit', 'handle_rdpmc', 'kvm_emulate_halt', '__x64_sys_ioctl'])
      expect(names).toContain(n);
    expect([...names].filter((n) => ARM64_ONLY.test(n))).toEqual([]);
  });
});
