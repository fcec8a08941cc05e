/** perf's names for cpumodes (checklist 28). */
import { describe, expect, it } from 'vitest';
import { cpumodeLevel, kernelMapName } from '../../../emulator/perf-tool/cpumode';

describe('cpumode levels and kernel maps (checklist 28)', () => {
  it('maps cpumode 1/2/3/4/5 to k . H g u, and anything else to H', () => {
    expect([1, 2, 3, 4, 5, 0, 6].map(cpumodeLevel)).toEqual(['k', '.', 'H', 'g', 'u', 'H', 'H']);
    // Only misc & 7 is the cpumode: EXACT_IP and other bits do not change it.
    expect(cpumodeLevel(1 | (1 << 14))).toBe('k');
  });

  it('names the host kernel, the default guest kernel and a guest by its VMM pid', () => {
    expect(kernelMapName(1)).toBe('[kernel.kallsyms]');
    expect(kernelMapName(4)).toBe('[guest.kernel.kallsyms]');
    expect(kernelMapName(4, 4242)).toBe('[guest.kernel.kallsyms.4242]');
    expect(kernelMapName(2)).toBeNull();
    expect(kernelMapName(5, 4242)).toBeNull();
  });
});
