/** The PMU hardware model: exact widths, wrap and overflow status. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HwEvent } from '../../../emulator/hw/events';
import { ARMV8_IDX_CYCLE_COUNTER, pmuModelFor } from '../../../emulator/hw/pmu-model';
import { HwPmu } from '../../../emulator/hw/pmu';

const arm = () => new HwPmu(pmuModelFor('arm64', 'arm'));
const intel = () => new HwPmu(pmuModelFor('x86_64', 'intel'));

describe('PMU counters', () => {
  it('writeNegated(left) programs exactly what write(-left) does, for every width', () => {
    fc.assert(
      fc.property(fc.constantFrom(0, 32, ARMV8_IDX_CYCLE_COUNTER), fc.integer({ min: 1, max: 2 ** 31 }), fc.nat(2 ** 21), (idx, lo, hi) => {
        const pmu = idx === 32 ? intel() : arm();
        const width = pmu.counter(idx).width;
        const left = Math.min(lo + hi * 2 ** 32, 2 ** width);
        pmu.write(idx, -BigInt(left));
        const expected = pmu.read(idx);
        pmu.writeNegated(idx, left);
        expect(pmu.read(idx)).toBe(expected);
      }),
    );
  });

  it('wraps a 32-bit arm64 event counter and a 64-bit cycle counter at their own widths', () => {
    const pmu = arm();
    for (const idx of [0, ARMV8_IDX_CYCLE_COUNTER]) {
      pmu.program(idx, { event: HwEvent.CYCLES, ctxMask: 1, enabled: true, interrupt: true, globalEnabled: true });
      pmu.writeNegated(idx, 10);
    }
    const delta = new Float64Array(7);
    delta[HwEvent.CYCLES] = 9;
    expect(pmu.count(delta, 0)).toBe(false);
    delta[HwEvent.CYCLES] = 3;
    expect(pmu.count(delta, 0)).toBe(true);
    expect(pmu.overflowed()).toEqual([0, ARMV8_IDX_CYCLE_COUNTER]);
    expect(pmu.read(0)).toBe(2n);
    expect(pmu.read(ARMV8_IDX_CYCLE_COUNTER)).toBe(2n);
    expect(pmu.interruptPending).toBe(true);
  });

  it('does not count in contexts its selector excludes', () => {
    const pmu = intel();
    pmu.program(0, { event: HwEvent.INSTRUCTIONS, ctxMask: 1 << 1, enabled: true, interrupt: false, globalEnabled: true });
    const delta = new Float64Array(7);
    delta[HwEvent.INSTRUCTIONS] = 100;
    pmu.count(delta, 0);
    expect(pmu.read(0)).toBe(0n);
    pmu.count(delta, 1);
    expect(pmu.read(0)).toBe(100n);
  });
});
