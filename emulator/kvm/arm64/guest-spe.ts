/**
 * SPE in a guest, as Alexandru Elisei's series runs it: the VMM gives each
 * vCPU the SPE feature, its buffer PPI and INIT (spe.ts, v4 UAPI); the
 * guest's arm_spe_pmu driver probes PMBIDR_EL1 and, when the buffer is its
 * own, programs PMBPTR/PMBLIMITR/PMSCR and lets the unit write a record
 * every `interval` operations straight into guest memory.
 *
 * What the thread argued about is what this costs and loses:
 * - the buffer must stay mapped at stage 2: KVM pins it when the guest
 *   enables it (v6; one stage-2 map per page, host time at the enable), or,
 *   unpinned, the first record into each unmapped page is a stage-2 fault
 *   that stops profiling until KVM has mapped the page — a blackout whose
 *   records are lost — and a migration's dirty logging unmaps them all again;
 * - a full buffer is a buffer management event (PMBSR.S): collection stops
 *   until the guest's handler has taken the data and restarted it, and the
 *   physical PPI is the host's to take and inject;
 * - while the host profiles the guest with SPE, the guest reads
 *   PMBIDR_EL1.P = 1 and its driver refuses to probe: it loses everything.
 * Records are counted in bulk per burst of guest code (an op is an
 * instruction), so a run of millions of records costs a few operations.
 */
import { HW_CONTEXTS } from '../../hw/cpu';
import { HW_EVENT_COUNT, HwEvent } from '../../hw/events';
import { describeErrno } from '../../perf/errno';
import type { VmSpeSpec } from '../../scenario/types';
import type { Vcpu } from '../vcpu';
import {
  ArmVmSpeCtl,
  guestPmbidr,
  guestSpeProbe,
  KVM_ARM_VCPU_SPE_INIT,
  KVM_ARM_VCPU_SPE_IRQ,
  PMBLIMITR_EL1_E,
  PMBSR_EL1_S,
  PMSCR_EL1_E0SPE,
  PMSCR_EL1_E1SPE,
  type SpeBuffer,
} from './spe';

/** The SPE buffer interrupt QEMU wires up: PPI 5, INTID 21. */
export const SPE_PPI = 21;
/** A typical record: address, counters, events, data source and a timestamp, padded. */
export const SPE_RECORD_BYTES = 64;
const PAGE_BYTES = 4096;
/** Where the guest driver's AUX buffer sits (a guest VA; only offsets matter). */
const BUFFER_BASE = 0x4000_0000n;
/** The host SPE's PMBIDR_EL1: Align 4 (16-byte records), P = 0. */
const HOST_PMBIDR = 0x4n;
/** From PMBSR.S to a restarted buffer: the host takes the PPI, injects it, the guest's handler runs. */
export const SPE_SERVICE_NS = 10_000;
/** An unpinned buffer page faults at stage 2: KVM must exit, fault the page in and restart the unit. */
export const SPE_STAGE2_BLACKOUT_NS = 50_000;

export const DEFAULT_VM_SPE: VmSpeSpec = { buffer_kb: 4096, interval: 4096, pinned: true, host_profiling: false };

export interface SpeStats {
  /** Records written to the guest's buffer. */
  records: number;
  /** Records the unit did not write: collection was stopped (buffer full, stage-2 fault, no driver). */
  lost: number;
  bufferFull: number;
  stage2Faults: number;
  /** Guest memory pinned for the buffers, bytes (charged to the VMM's RLIMIT_MEMLOCK in v6). */
  pinnedBytes: number;
}

/** A stretch where the unit collected nothing: what the trace marks on the vCPU. */
export interface SpeBlackout {
  kind: 'buffer full' | 'stage-2 fault';
  vcpu: number;
  start: number;
  end: number;
  /** Records the unit did not write meanwhile. */
  lost: number;
}

interface VcpuSpe {
  buffer: SpeBuffer;
  /** Guest instructions seen so far, to take each burst's delta. */
  insns: number;
  /** Operations since the last record, carried to the next burst. */
  carry: number;
  /** Buffer pages mapped at stage 2 (unpinned buffers fault them in one by one). */
  mapped: Set<number>;
}

export class GuestSpe {
  readonly stats: SpeStats = { records: 0, lost: 0, bufferFull: 0, stage2Faults: 0, pinnedBytes: 0 };
  /** Every management event's blackout, in time order per vCPU. */
  readonly blackouts: SpeBlackout[] = [];
  /** What the guest's arm_spe_pmu probe decided. */
  readonly probe: 'ok' | 'refused';
  private readonly vcpus: VcpuSpe[];
  private readonly bytes: bigint;

  private constructor(
    readonly ctl: ArmVmSpeCtl,
    nrVcpus: number,
    readonly spec: VmSpeSpec,
  ) {
    this.bytes = BigInt(spec.buffer_kb * 1024);
    this.probe = guestSpeProbe(guestPmbidr(HOST_PMBIDR, spec.host_profiling));
    this.vcpus = Array.from({ length: nrVcpus }, (_, i) => ({ buffer: ctl.buffer(i), insns: 0, carry: 0, mapped: new Set<number>() }));
  }

  /**
   * The VMM's KVM_ARM_VCPU_SPE_CTRL calls on every vCPU: IRQ, then INIT once
   * the vGIC is initialized. With a userspace irqchip there is no vGIC, and
   * the IRQ is refused ENXIO (kvm_arm_vcpu_supports_spe).
   */
  static create(vm: string, nrVcpus: number, spec: VmSpeSpec, inKernelIrqchip: boolean): GuestSpe | { error: string } {
    const ctl = new ArmVmSpeCtl({ vcpuHasSpe: Array<boolean>(nrVcpus).fill(true), inKernelIrqchip });
    if (inKernelIrqchip) ctl.vgicInit();
    for (let i = 0; i < nrVcpus; i++) {
      for (const [attr, name, value] of [
        [KVM_ARM_VCPU_SPE_IRQ, 'KVM_ARM_VCPU_SPE_IRQ', SPE_PPI],
        [KVM_ARM_VCPU_SPE_INIT, 'KVM_ARM_VCPU_SPE_INIT', undefined],
      ] as const) {
        const r = ctl.setAttr(i, attr, value);
        if (r !== 0) return { error: `${vm}: KVM_ARM_VCPU_SPE_CTRL(${name}): ${describeErrno(r)}` };
      }
    }
    return new GuestSpe(ctl, nrVcpus, spec);
  }

  /**
   * The guest driver starts profiling on a vCPU (arm_spe_pmu_start): the
   * buffer, then sampling at EL0 and EL1. A pinned buffer is pinned and
   * mapped at stage 2 here, a stage-2 map per page.
   */
  enable(vcpu: Vcpu): void {
    if (this.probe !== 'ok') return;
    const v = this.vcpus[vcpu.index];
    const r = v.buffer.regs;
    r.PMBPTR_EL1 = BUFFER_BASE;
    r.PMBLIMITR_EL1 = (BUFFER_BASE + this.bytes) | PMBLIMITR_EL1_E;
    r.PMSCR_EL1 = PMSCR_EL1_E0SPE | PMSCR_EL1_E1SPE;
    if (!this.spec.pinned) return;
    const pages = Number(this.bytes) / PAGE_BYTES;
    for (let p = 0; p < pages; p++) v.mapped.add(p);
    this.stats.pinnedBytes += Number(this.bytes);
    vcpu.exit('EPT_VIOLATION', pages);
  }

  /** Dirty logging write-protects guest memory: an unpinned buffer must fault every page in again. */
  migrate(): void {
    if (!this.spec.pinned) for (const v of this.vcpus) v.mapped.clear();
  }

  /**
   * A burst of guest code ran for `ran` ns: the records its operations
   * produced go into the buffer, until it fills or a page faults.
   */
  afterGuest(vcpu: Vcpu, ran: number, now: number): void {
    const v = this.vcpus[vcpu.index];
    let insns = 0;
    for (let c = 0; c < HW_CONTEXTS; c++) insns += vcpu.truth[c * HW_EVENT_COUNT + HwEvent.INSTRUCTIONS];
    const ops = insns - v.insns + v.carry;
    v.insns = insns;
    let due = Math.floor(ops / this.spec.interval);
    v.carry = ops - due * this.spec.interval;
    if (due === 0) return;
    if (this.probe !== 'ok') {
      this.stats.lost += due;
      return;
    }
    const perNs = due / Math.max(1, ran);
    // Where in the burst the unit is: records come evenly, blackouts take their time.
    let at = now - ran;
    const blackout = (kind: SpeBlackout['kind'], ns: number): number => {
      const lost = Math.min(due, Math.max(1, Math.round(ns * perNs)));
      this.stats.lost += lost;
      const end = Math.min(now, at + ns);
      this.blackouts.push({ kind, vcpu: vcpu.index, start: at, end, lost });
      at = end;
      return lost;
    };
    while (due > 0) {
      const r = v.buffer.regs;
      const offset = Number(r.PMBPTR_EL1 - BUFFER_BASE);
      const page = Math.floor(offset / PAGE_BYTES);
      const fits = offset + SPE_RECORD_BYTES <= Number(this.bytes);
      if (fits && !v.mapped.has(page)) {
        // Stage-2 fault on the buffer write: PMBSR.S, profiling stops until KVM has mapped the page.
        this.stats.stage2Faults++;
        v.mapped.add(page);
        vcpu.exit('EPT_VIOLATION');
        due -= blackout('stage-2 fault', SPE_STAGE2_BLACKOUT_NS);
        continue;
      }
      const room = fits ? Math.floor(Math.min((page + 1) * PAGE_BYTES - offset, Number(this.bytes) - offset) / SPE_RECORD_BYTES) : 0;
      const n = Math.min(due, room);
      if (n > 0) {
        v.buffer.writeRecord(n * SPE_RECORD_BYTES);
        this.stats.records += n;
        due -= n;
        at += n / perNs;
        continue;
      }
      // The next record does not fit below LIMIT: a buffer management event.
      if (v.buffer.writeRecord(SPE_RECORD_BYTES) !== 'full') throw new Error('SPE buffer neither has room nor filled');
      this.stats.bufferFull++;
      // The PPI is taken by the host, which injects it: one more exit.
      vcpu.exit('EXTERNAL_INTERRUPT');
      due -= blackout('buffer full', SPE_SERVICE_NS);
      // The guest's handler took the data (perf_aux_output_end) and restarts the buffer.
      r.PMBPTR_EL1 = BUFFER_BASE;
      r.PMBSR_EL1 &= ~PMBSR_EL1_S;
    }
  }
}
