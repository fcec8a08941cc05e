/**
 * PERF_RECORD_* records as the ring buffer holds them. They are objects here,
 * but each knows the size the kernel would give it, so the buffer fills, and
 * loses records, exactly when a real one of the same size would.
 */
export const PERF_RECORD_LOST = 2;
export const PERF_RECORD_COMM = 3;
export const PERF_RECORD_EXIT = 4;
export const PERF_RECORD_THROTTLE = 5;
export const PERF_RECORD_UNTHROTTLE = 6;
export const PERF_RECORD_FORK = 7;
export const PERF_RECORD_SAMPLE = 9;

export interface SampleRecord {
  type: typeof PERF_RECORD_SAMPLE;
  /** cpumode (misc & 7) plus PERF_RECORD_MISC_EXACT_IP. */
  misc: number;
  id: number;
  /** The sampled code: a symbol id of the machine's symbol table, -1 for none. */
  ip: number;
  pid: number;
  tid: number;
  time: number;
  cpu: number;
  period: number;
  /**
   * PERF_SAMPLE_CALLCHAIN: symbol ids leaf first, interleaved with the
   * PERF_CONTEXT_* markers (negative numbers), as the kernel writes them.
   */
  callchain: Int32Array | null;
  /** PERF_SAMPLE_READ with a group read_format: values of the leader and siblings. */
  read: { id: number; value: number }[] | null;
  /** Set by a guest's perf when the sample came through perf inject (VM:/VCPU:). */
  machine_pid: number;
  vcpu: number;
  size: number;
}

export interface LostRecord {
  type: typeof PERF_RECORD_LOST;
  id: number;
  lost: number;
  time: number;
  size: number;
}

export interface ThrottleRecord {
  type: typeof PERF_RECORD_THROTTLE | typeof PERF_RECORD_UNTHROTTLE;
  id: number;
  time: number;
  cpu: number;
  size: number;
}

export interface CommRecord {
  type: typeof PERF_RECORD_COMM;
  pid: number;
  tid: number;
  comm: string;
  time: number;
  size: number;
}

export type PerfRecord = SampleRecord | LostRecord | ThrottleRecord | CommRecord;

const HEADER = 8;

/** sizeof of a sample with this sample_type (include/uapi/linux/perf_event.h field sizes). */
export function sampleSize(fields: { callchainEntries: number; readValues: number; hasId: boolean }): number {
  // IP, TID, TIME, CPU, PERIOD are 8 bytes each; ID 8; CALLCHAIN 8 + 8n; READ 8 + 16n.
  let size = HEADER + 5 * 8;
  if (fields.hasId) size += 8;
  if (fields.callchainEntries > 0) size += 8 + 8 * fields.callchainEntries;
  if (fields.readValues > 0) size += 8 + 16 * fields.readValues;
  return size;
}

/** The sample_id trailer (sample_id_all): tid, time, id, cpu. */
const SAMPLE_ID_ALL = 32;
export const LOST_SIZE = HEADER + 16 + SAMPLE_ID_ALL;
export const THROTTLE_SIZE = HEADER + 24 + SAMPLE_ID_ALL;
export function commSize(comm: string): number {
  return HEADER + 8 + Math.ceil((comm.length + 1) / 8) * 8 + SAMPLE_ID_ALL;
}
