/** No vPMU: the guest's CPUID shows no PMU, so its perf has software events only. */
import type { VpmuOps } from './design';

export const noVpmu: VpmuOps = {
  design: 'none',
  createGuestPmu: () => null,
  load: () => undefined,
  put: () => undefined,
  // With PMU version 0, RDPMC #GPs in the guest: there is nothing to read.
  trapsCounterReads: false,
  switchCostNs: 0,
};
