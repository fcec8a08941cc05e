/**
 * What KVM refuses reaches the command line as the ioctl and its errno, as
 * the kernel says it, followed by what to change — the README's mediated
 * examples run on the built-in `mediated` scenario for that reason.
 */
import { describe, expect, it } from 'vitest';
import { runGuestperf } from '../helpers/cli';

describe('KVM refusals on the command line', () => {
  it('a mediated VM beside the NMI watchdog fails EBUSY, and says which setting to change', async () => {
    const r = await runGuestperf(['compare', '--vpmu', 'emulated,mediated', '-e', 'cycles']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'guestperf compare: vm0: KVM_CREATE_VCPU: Device or resource busy (EBUSY) ' +
        '(a host perf event counts in guests, such as the NMI watchdog: set machine.nmi_watchdog: false for a mediated VM)\n',
    );
  });

  it('the same comparison runs on the built-in mediated scenario, whose watchdog is off', async () => {
    const r = await runGuestperf(['compare', '--scenario', 'mediated', '--vpmu', 'emulated,mediated', '-e', 'cycles', '-j']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { vpmu: string; 'error-pct': string; 'pmu-exits': number });
    expect(rows.map((x) => x.vpmu)).toEqual(['emulated', 'mediated']);
    // Trap-and-emulate pays in exits what the mediated design does not.
    expect(rows[0]['pmu-exits']).toBeGreaterThan(2 * rows[1]['pmu-exits']);
  });
});
