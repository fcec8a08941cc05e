import { describe, expect, it } from 'vitest';
import { ProfileBuilder } from '../../profile/builder';
import { ExecContext, MarkerKind, type Profile } from '../../profile/model';
import { deserializeProfile, ProfileReader, serializeChunks, serializeProfile } from '../../profile/serialize';

function sampleProfile(): Profile {
  const b = new ProfileBuilder();
  const cycles = b.event('cycles:H', { exclude_guest: true, attr: { exclude_guest: '1' } });
  const vm = b.machine('vm0', 'guest', 4242);
  const host = b.thread('qemu-kvm', 100, 101);
  const guest = b.thread('nginx', 7, 7, vm);
  const main = b.stack(-1, b.frame('main', '/usr/bin/qemu', ExecContext.HostUser));
  const run = b.stack(main, b.frame('kvm_arch_vcpu_ioctl_run', '[kvm]', ExecContext.Hypervisor));
  const g = b.stack(-1, b.frame('do_syscall_64', '[guest.kernel.kallsyms]', ExecContext.GuestKernel));
  for (let i = 0; i < 1000; i++) {
    b.sample({ stack: i % 3 ? run : g, time: i * 1e6, weight: 1 + (i % 7), event: cycles, cpu: i % 4, thread: i % 3 ? host : guest, vcpu: i % 3 ? -1 : 0, context: i % 3 ? ExecContext.Hypervisor : ExecContext.GuestKernel });
  }
  b.marker({ name: 'EXTERNAL_INTERRUPT', kind: MarkerKind.GuestRun, start: 10, end: 20, machine: vm, vcpu: 0 });
  b.counter({ name: 'cycles:H', event: cycles, scope: 'host', machine: 0, cpu: -1, unit: '', time: Float64Array.of(1, 2, 3), value: Float64Array.of(5, 6, 7), running: Float64Array.of(1, 1, 0.5) });
  const p = b.build({ name: 't', source: 'test', weightUnit: 'events' });
  p.scenario = 'format: 1\n';
  p.viewState = { tab: 'flame', zoom: [1, 2] };
  return p;
}

const plain = (p: Profile) => JSON.parse(JSON.stringify(p, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as Int32Array) : v)));

describe('profile serialization', () => {
  it('round-trips every table, counter track, marker, scenario and view state', () => {
    const p = sampleProfile();
    expect(plain(deserializeProfile(serializeProfile(p)))).toEqual(plain(p));
  });

  it('reads the same profile from chunks of any size', () => {
    const p = sampleProfile();
    const bytes = serializeProfile(p);
    for (const size of [1, 7, 13, 4096]) {
      const r = new ProfileReader();
      for (let at = 0; at < bytes.length; at += size) r.push(bytes.subarray(at, at + size));
      expect(plain(r.finish())).toEqual(plain(p));
    }
  });

  it('writes the same bytes as a chunk stream and as one buffer', () => {
    const p = sampleProfile();
    const chunks = [...serializeChunks(p)];
    expect(Buffer.concat(chunks)).toEqual(Buffer.from(serializeProfile(p)));
  });

  it('says where truncated data stops', () => {
    const bytes = serializeProfile(sampleProfile());
    const r = new ProfileReader();
    r.push(bytes.subarray(0, bytes.length - 100));
    expect(() => r.finish()).toThrow(/truncated \(column markers\.\w+|truncated \(column counters/);
    expect(() => deserializeProfile(bytes.subarray(0, 8))).toThrow(/truncated \(no header\)/);
  });

  it('refuses data from a newer guestperf with a message saying so', () => {
    const bytes = serializeProfile(sampleProfile()).slice();
    new DataView(bytes.buffer).setUint32(4, 99, true);
    expect(() => deserializeProfile(bytes)).toThrow(/newer guestperf \(format version 99/);
  });
});
