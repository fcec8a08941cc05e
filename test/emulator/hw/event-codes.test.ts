/**
 * Event encodings: the kernel's generic maps per PMU model, raw selectors
 * decoded by their real encodings, and the names perf derives from attrs.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeEventSelector,
  decodeHwCacheName,
  genericEventName,
  genericEventSelector,
  intelFixedCounterFor,
} from '../../../emulator/hw/event-codes';
import { HW_EVENT_NONE, HwEvent } from '../../../emulator/hw/events';
import {
  PERF_TYPE_HARDWARE,
  PERF_TYPE_HW_CACHE,
  PERF_TYPE_RAW,
  PERF_TYPE_SOFTWARE,
  PERF_TYPE_TRACEPOINT,
  PerfHwId,
  PerfSwId,
} from '../../../emulator/perf/attr';

const USR = 1n << 16n;
const OS = 1n << 17n;
const INT = 1n << 20n;
const EN = 1n << 22n;

describe('generic hardware event maps', () => {
  it('Intel maps every generic event but the stalled-cycles pair to its architectural encoding', () => {
    expect(genericEventSelector('intel', PerfHwId.CPU_CYCLES)).toBe(0x3cn);
    expect(genericEventSelector('intel', PerfHwId.INSTRUCTIONS)).toBe(0xc0n);
    expect(genericEventSelector('intel', PerfHwId.CACHE_REFERENCES)).toBe(0x4f2en);
    expect(genericEventSelector('intel', PerfHwId.CACHE_MISSES)).toBe(0x412en);
    expect(genericEventSelector('intel', PerfHwId.BRANCH_INSTRUCTIONS)).toBe(0xc4n);
    expect(genericEventSelector('intel', PerfHwId.BRANCH_MISSES)).toBe(0xc5n);
    expect(genericEventSelector('intel', PerfHwId.BUS_CYCLES)).toBe(0x13cn);
    expect(genericEventSelector('intel', PerfHwId.REF_CPU_CYCLES)).toBe(0x300n);
    expect(genericEventSelector('intel', PerfHwId.STALLED_CYCLES_FRONTEND)).toBeUndefined();
    expect(genericEventSelector('intel', PerfHwId.STALLED_CYCLES_BACKEND)).toBeUndefined();
  });

  it('AMD uses the Zen 4 map: L2 request events for the cache pair, PMCx120 for ref-cycles, no bus-cycles', () => {
    expect(genericEventSelector('amd', PerfHwId.CPU_CYCLES)).toBe(0x76n);
    expect(genericEventSelector('amd', PerfHwId.CACHE_REFERENCES)).toBe(0xff60n);
    expect(genericEventSelector('amd', PerfHwId.CACHE_MISSES)).toBe(0x0964n);
    expect(genericEventSelector('amd', PerfHwId.BRANCH_INSTRUCTIONS)).toBe(0xc2n);
    expect(genericEventSelector('amd', PerfHwId.REF_CPU_CYCLES)).toBe(0x100000120n);
    expect(genericEventSelector('amd', PerfHwId.BUS_CYCLES)).toBeUndefined();
    expect(genericEventSelector('amd', PerfHwId.STALLED_CYCLES_BACKEND)).toBeUndefined();
  });

  it('arm64 PMUv3 has no ref-cycles (ENOENT) and counts branches as PC_WRITE_RETIRED', () => {
    expect(genericEventSelector('arm', PerfHwId.CPU_CYCLES)).toBe(0x11n);
    expect(genericEventSelector('arm', PerfHwId.INSTRUCTIONS)).toBe(0x08n);
    expect(genericEventSelector('arm', PerfHwId.BRANCH_INSTRUCTIONS)).toBe(0x0cn);
    expect(genericEventSelector('arm', PerfHwId.CACHE_MISSES)).toBe(0x03n);
    expect(genericEventSelector('arm', PerfHwId.REF_CPU_CYCLES)).toBeUndefined();
  });

  it('every mapped cycles/instructions/branch/cache selector decodes back to the event it stands for', () => {
    const expected: [number, HwEvent][] = [
      [PerfHwId.CPU_CYCLES, HwEvent.CYCLES],
      [PerfHwId.INSTRUCTIONS, HwEvent.INSTRUCTIONS],
      [PerfHwId.CACHE_REFERENCES, HwEvent.CACHE_REFERENCES],
      [PerfHwId.CACHE_MISSES, HwEvent.CACHE_MISSES],
      [PerfHwId.BRANCH_INSTRUCTIONS, HwEvent.BRANCHES],
      [PerfHwId.BRANCH_MISSES, HwEvent.BRANCH_MISSES],
    ];
    for (const vendor of ['intel', 'amd', 'arm'] as const) {
      for (const [id, event] of expected) {
        expect(decodeEventSelector(vendor, genericEventSelector(vendor, id)!), `${vendor} ${id}`).toBe(event);
      }
    }
    expect(decodeEventSelector('intel', genericEventSelector('intel', PerfHwId.REF_CPU_CYCLES)!)).toBe(HwEvent.REF_CYCLES);
    expect(decodeEventSelector('amd', genericEventSelector('amd', PerfHwId.REF_CPU_CYCLES)!)).toBe(HwEvent.REF_CYCLES);
  });
});

describe('decodeEventSelector', () => {
  it('Intel: architectural events decode by event and umask, whatever the USR/OS/INT/EN bits', () => {
    expect(decodeEventSelector('intel', 0x3cn | USR | OS | INT | EN)).toBe(HwEvent.CYCLES);
    expect(decodeEventSelector('intel', 0x013cn)).toBe(HwEvent.REF_CYCLES);
    expect(decodeEventSelector('intel', 0x4f2en | USR)).toBe(HwEvent.CACHE_REFERENCES);
    expect(decodeEventSelector('intel', 0x412en)).toBe(HwEvent.CACHE_MISSES);
    expect(decodeEventSelector('intel', 0xc4n)).toBe(HwEvent.BRANCHES);
    expect(decodeEventSelector('intel', 0xc5n)).toBe(HwEvent.BRANCH_MISSES);
  });

  it('Intel: edge, inv or cmask qualifiers, other umasks and unmodelled events count nothing', () => {
    expect(decodeEventSelector('intel', 0x3cn | (1n << 24n))).toBe(HW_EVENT_NONE);
    expect(decodeEventSelector('intel', 0x3cn | (1n << 23n))).toBe(HW_EVENT_NONE);
    expect(decodeEventSelector('intel', 0x3cn | (1n << 18n))).toBe(HW_EVENT_NONE);
    expect(decodeEventSelector('intel', 0x022en)).toBe(HW_EVENT_NONE);
    expect(decodeEventSelector('intel', 0x010en)).toBe(HW_EVENT_NONE);
  });

  it('AMD: event bits 35:32 extend the event number and host/guest-only bits are ignored', () => {
    expect(decodeEventSelector('amd', 0x76n | (1n << 40n) | USR | OS)).toBe(HwEvent.CYCLES);
    expect(decodeEventSelector('amd', 0x100000120n | (1n << 41n))).toBe(HwEvent.REF_CYCLES);
    expect(decodeEventSelector('amd', 0x20n)).toBe(HW_EVENT_NONE);
    expect(decodeEventSelector('amd', 0xc0n)).toBe(HwEvent.INSTRUCTIONS);
    expect(decodeEventSelector('amd', 0xc2n)).toBe(HwEvent.BRANCHES);
    expect(decodeEventSelector('amd', 0xc3n)).toBe(HwEvent.BRANCH_MISSES);
  });

  it('AMD: the L2 events count only with the unit masks the kernel uses', () => {
    expect(decodeEventSelector('amd', 0xff60n)).toBe(HwEvent.CACHE_REFERENCES);
    expect(decodeEventSelector('amd', 0x0964n)).toBe(HwEvent.CACHE_MISSES);
    expect(decodeEventSelector('amd', 0x0160n)).toBe(HW_EVENT_NONE);
    expect(decodeEventSelector('amd', 0x76n | (2n << 24n))).toBe(HW_EVENT_NONE);
  });

  it('arm64: common events decode from evtCount, filter bits ignored; SW_INCR and CHAIN count nothing here', () => {
    const P = 1n << 31n;
    const U = 1n << 30n;
    expect(decodeEventSelector('arm', 0x11n | P | U)).toBe(HwEvent.CYCLES);
    expect(decodeEventSelector('arm', 0x08n)).toBe(HwEvent.INSTRUCTIONS);
    expect(decodeEventSelector('arm', 0x12n)).toBe(HwEvent.BRANCHES);
    expect(decodeEventSelector('arm', 0x10n)).toBe(HwEvent.BRANCH_MISSES);
    expect(decodeEventSelector('arm', 0x04n)).toBe(HwEvent.CACHE_REFERENCES);
    expect(decodeEventSelector('arm', 0x36n)).toBe(HwEvent.CACHE_REFERENCES);
    expect(decodeEventSelector('arm', 0x37n)).toBe(HwEvent.CACHE_MISSES);
    expect(decodeEventSelector('arm', 0x2bn)).toBe(HwEvent.CACHE_REFERENCES);
    expect(decodeEventSelector('arm', 0x2an)).toBe(HwEvent.CACHE_MISSES);
    expect(decodeEventSelector('arm', 0x00n)).toBe(HW_EVENT_NONE);
    expect(decodeEventSelector('arm', 0x1en)).toBe(HW_EVENT_NONE);
    expect(decodeEventSelector('arm', 0x1dn)).toBe(HW_EVENT_NONE);
  });

  it('Intel fixed counters: instructions on 0, cycles on 1, ref-cycles on 2, and only unqualified', () => {
    expect(intelFixedCounterFor(0xc0n | USR | OS | EN)).toBe(0);
    expect(intelFixedCounterFor(0x0100n)).toBe(0);
    expect(intelFixedCounterFor(0x3cn)).toBe(1);
    expect(intelFixedCounterFor(0x0300n)).toBe(2);
    expect(intelFixedCounterFor(0x013cn)).toBeNull();
    expect(intelFixedCounterFor(0x3cn | (1n << 24n))).toBeNull();
    expect(decodeEventSelector('intel', 0x0300n)).toBe(HwEvent.REF_CYCLES);
  });
});

describe('perf event names', () => {
  it('genericEventName gives perf\'s hardware and software names', () => {
    expect(genericEventName(PERF_TYPE_HARDWARE, 0n)).toBe('cycles');
    expect(genericEventName(PERF_TYPE_HARDWARE, 4n)).toBe('branches');
    expect(genericEventName(PERF_TYPE_HARDWARE, 7n)).toBe('stalled-cycles-frontend');
    expect(genericEventName(PERF_TYPE_HARDWARE, 9n)).toBe('ref-cycles');
    expect(genericEventName(PERF_TYPE_HARDWARE, (8n << 32n) | 1n)).toBe('instructions');
    expect(genericEventName(PERF_TYPE_HARDWARE, 10n)).toBe('unknown-hardware');
    expect(genericEventName(PERF_TYPE_SOFTWARE, BigInt(PerfSwId.CPU_CLOCK))).toBe('cpu-clock');
    expect(genericEventName(PERF_TYPE_SOFTWARE, BigInt(PerfSwId.CONTEXT_SWITCHES))).toBe('context-switches');
    expect(genericEventName(PERF_TYPE_SOFTWARE, BigInt(PerfSwId.PAGE_FAULTS_MAJ))).toBe('major-faults');
    expect(genericEventName(PERF_TYPE_SOFTWARE, BigInt(PerfSwId.DUMMY))).toBe('dummy');
    expect(genericEventName(PERF_TYPE_RAW, 0x1a8n)).toBe('raw 0x1a8');
    expect(genericEventName(PERF_TYPE_TRACEPOINT, 5n)).toBe('unknown');
  });

  it('cache configs name as type-op-result, access results as the plural op, bad ops as invalid-cache', () => {
    expect(genericEventName(PERF_TYPE_HW_CACHE, 0x10000n)).toBe('L1-dcache-load-misses');
    expect(genericEventName(PERF_TYPE_HW_CACHE, 0x0n)).toBe('L1-dcache-loads');
    expect(genericEventName(PERF_TYPE_HW_CACHE, 0x2n)).toBe('LLC-loads');
    expect(genericEventName(PERF_TYPE_HW_CACHE, 0x101n)).toBe('invalid-cache');
  });

  it('decodeHwCacheName packs type | op << 8 | result << 16 with read/access defaults', () => {
    expect(decodeHwCacheName('L1-dcache-load-misses')).toBe(0x10000n);
    expect(decodeHwCacheName('LLC-loads')).toBe(0x2n);
    expect(decodeHwCacheName('dTLB')).toBe(0x3n);
    expect(decodeHwCacheName('l1d-misses')).toBe(0x10000n);
    expect(decodeHwCacheName('branch-load-misses')).toBe(0x10005n);
    expect(decodeHwCacheName('LLC-prefetches')).toBe(0x202n);
    expect(decodeHwCacheName('L1-icache-stores')).toBeNull();
    expect(decodeHwCacheName('iTLB-prefetches')).toBeNull();
    expect(decodeHwCacheName('L3-loads')).toBeNull();
  });
});
