import { describe, expect, it } from 'vitest';
import { ProfileBuilder } from '../../profile/builder';
import { EXEC_CONTEXT_NAMES, ExecContext, totalWeight, type Profile } from '../../profile/model';
import { MIXED_MACHINES, ROOT_NODE, buildCallTree, formatCallTree, isGroupNode, nodeName } from '../../profile/call-tree';
import { buildFlameLayout } from '../../profile/flame-layout';

const { HostUser: hu, Hypervisor: hv, GuestKernel: gk, GuestUser: gu } = ExecContext;

/**
 * A host running vm0 (2 vCPUs) and vm1: rows are [where, stack, weight,
 * leaf context]; where is "host", "vmm" (the VMM's vCPU thread on the host)
 * or "vmN/v" (guest N on vCPU v; v = -1 for none).
 */
function machineProfile(rows: Array<[string, string, number, ExecContext]>): Profile {
  const b = new ProfileBuilder();
  const ev = b.event('cycles');
  const other = b.event('instructions');
  const vm0 = b.machine('vm0', 'guest', 100);
  const vm1 = b.machine('vm1', 'guest', 200);
  const threads: Record<string, number> = {
    host: b.thread('bash', 1, 1, 0),
    vmm: b.thread('qemu', 100, 101, 0),
    vm0: b.thread('app', 7, 7, vm0),
    vm1: b.thread('app', 9, 9, vm1),
  };
  for (const [where, path, weight, ctx] of rows) {
    const [machine, vcpu = '-1'] = where.split('/');
    let stack = -1;
    for (const f of path ? path.split(';') : []) stack = b.stack(stack, b.frame(f, null, ctx));
    b.sample({ stack, time: 0, weight, event: ev, cpu: 0, thread: threads[machine], vcpu: Number(vcpu), context: ctx });
  }
  // An event the tree leaves out: it must not create groups.
  b.sample({ stack: -1, time: 0, weight: 50, event: other, cpu: 0, thread: threads.vm1, vcpu: 3, context: gu });
  return b.build({ name: 'vm', source: 'test', weightUnit: 'samples' });
}

const profile = machineProfile([
  ['host', 'main;work', 4, hu],
  ['host', 'main;syscall', 2, hu],
  ['vmm', 'kvm_vcpu_ioctl;vmx_vcpu_run', 3, hv],
  ['vm0/0', 'main;spin', 5, gu],
  ['vm0/1', 'main;spin', 1, gu],
  ['vm0/1', 'schedule', 2, gk],
  ['vm0/-1', '', 1, gk],
  ['vm1/0', 'idle', 6, gk],
]);

describe('call tree split by machine', () => {
  it('counts host kernel code that KVM’s exit handling calls as the hypervisor’s', () => {
    const b = new ProfileBuilder();
    const ev = b.event('cycles');
    const qemu = b.thread('CPU 0/KVM', 100, 101, 0);
    const bash = b.thread('bash', 1, 1, 0);
    const handler = b.stack(b.stack(-1, b.frame('kvm_arch_vcpu_ioctl_run', null, hv)), b.frame('vmx_handle_exit', null, hv));
    const leaf = b.stack(handler, b.frame('native_write_msr', null, ExecContext.HostKernel));
    const plain = b.stack(-1, b.frame('native_write_msr', null, ExecContext.HostKernel));
    b.sample({ stack: leaf, time: 0, weight: 3, event: ev, cpu: 0, thread: qemu, vcpu: -1, context: ExecContext.HostKernel });
    b.sample({ stack: plain, time: 0, weight: 2, event: ev, cpu: 0, thread: bash, vcpu: -1, context: ExecContext.HostKernel });
    const tree = buildCallTree(b.build({ name: 'kvm', source: 'test', weightUnit: 'samples' }), { split: true });
    expect(tree.groups).toEqual(['host', 'hypervisor']);
    const group = (label: string) => Array.from({ length: tree.length }, (_, n) => n).find((n) => isGroupNode(tree, n) && nodeName(tree, n) === label)!;
    expect(tree.total[group('hypervisor')]).toBe(3);
    expect(tree.total[group('host')]).toBe(2);
  });

  it('puts host, hypervisor, each guest and its vCPUs side by side under the root', () => {
    const tree = buildCallTree(profile, { split: true });
    expect(formatCallTree(tree)).toBe(
      [
        'all 24/0',
        '  host 6/0',
        '    main 6/0',
        '      syscall 2/2',
        '      work 4/4',
        '  hypervisor 3/0',
        '    kvm_vcpu_ioctl 3/0',
        '      vmx_vcpu_run 3/3',
        '  vm0 9/1',
        '    vm0 vCPU 0 5/0',
        '      main 5/0',
        '        spin 5/5',
        '    vm0 vCPU 1 3/0',
        '      main 1/0',
        '        spin 1/1',
        '      schedule 2/2',
        '  vm1 6/0',
        '    vm1 vCPU 0 6/0',
        '      idle 6/6',
      ].join('\n'),
    );
    expect(tree.total[ROOT_NODE]).toBe(totalWeight(profile, 0));
    expect(tree.groups).toEqual(['host', 'hypervisor', 'vm0', 'vm0 vCPU 0', 'vm0 vCPU 1', 'vm1', 'vm1 vCPU 0']);
  });

  it('marks group nodes and the machine every node’s samples come from', () => {
    const tree = buildCallTree(profile, { split: true });
    const byName = (name: string) => Array.from({ length: tree.length }, (_, n) => n).filter((n) => nodeName(tree, n) === name);
    const [host] = byName('host');
    const [vcpu1] = byName('vm0 vCPU 1');
    expect(isGroupNode(tree, host)).toBe(true);
    expect(isGroupNode(tree, ROOT_NODE)).toBe(false);
    expect(byName('spin').every((n) => !isGroupNode(tree, n))).toBe(true);
    expect(tree.machine![host]).toBe(0);
    expect(tree.machine![vcpu1]).toBe(1);
    expect(byName('idle').map((n) => tree.machine![n])).toEqual([2]);
    expect(tree.machine![ROOT_NODE]).toBe(MIXED_MACHINES);
    expect(EXEC_CONTEXT_NAMES[tree.context[byName('hypervisor')[0]]]).toBe('hypervisor');
  });

  it('merged, the same stacks from different machines are one node of several machines', () => {
    const tree = buildCallTree(profile);
    expect(tree.groups).toEqual([]);
    const main = Array.from(tree.children.subarray(tree.childStart[0], tree.childStart[1])).filter((n) => nodeName(tree, n) === 'main');
    // host-user main and guest-user main differ by context: two nodes.
    expect(main.map((n) => [EXEC_CONTEXT_NAMES[tree.context[n]], tree.total[n], tree.machine![n]])).toEqual([
      ['host-user', 6, 0],
      ['guest-user', 6, 1],
    ]);
  });

  it('lays a split tree out with the groups as the first row under the root', () => {
    const layout = buildFlameLayout(buildCallTree(profile, { split: true }));
    const row = layout.rows[1];
    expect(Array.from(row.node, (n) => nodeName(layout.tree, n))).toEqual(['host', 'hypervisor', 'vm0', 'vm1']);
    expect(Array.from(row.width)).toEqual([6, 3, 9, 6]);
  });
});

describe('call tree options for the differential', () => {
  it('merges functions across contexts and sums a secondary event apart', () => {
    const b = new ProfileBuilder();
    const before = b.event('before');
    const after = b.event('after');
    const t = b.thread('t', 1, 1);
    const sample = (path: string, weight: number, event: number, ctx: ExecContext) => {
      let stack = -1;
      for (const f of path.split(';')) stack = b.stack(stack, b.frame(f, null, ctx));
      b.sample({ stack, time: 0, weight, event, cpu: 0, thread: t, vcpu: -1, context: ctx });
    };
    sample('main;a', 3, before, hu);
    sample('main;a', 5, after, gu);
    sample('main;b', 2, before, hu);
    const p = b.build({ name: 'd', source: 'test', weightUnit: 'samples' });
    const tree = buildCallTree(p, { event: -1, mergeContexts: true, secondary: before });
    expect(formatCallTree(tree)).toBe(['all 10/0', '  main 10/0', '    a 8/8', '    b 2/2'].join('\n'));
    expect(Array.from(tree.secondary!)).toEqual([5, 5, 3, 2]);
    expect(buildCallTree(p, { event: -1 }).secondary).toBeUndefined();
  });
});
