/**
 * The mmap'ed ring buffer (kernel/events/ring_buffer.c): 2^n data pages the
 * kernel writes and the reader drains. When a record does not fit, it is
 * dropped and counted; the next record that fits is preceded by one
 * PERF_RECORD_LOST carrying the count, as perf_output_begin does.
 */
import { PAGE_SIZE } from './attr';
import { LOST_SIZE, PERF_RECORD_LOST, type PerfRecord } from './records';

export class RingBuffer {
  readonly capacity: number;
  private records: PerfRecord[] = [];
  private used = 0;
  /** Records dropped since the last PERF_RECORD_LOST was written. */
  private lost = 0;
  private lostId = 0;
  /** Total records ever dropped (perf record's "lost N chunks" summary). */
  totalLost = 0;
  /** Bytes after which the reader is woken (wakeup_watermark; half the buffer by default). */
  readonly watermark: number;
  onWakeup: (() => void) | null = null;

  constructor(dataPages: number) {
    if (dataPages <= 0 || (dataPages & (dataPages - 1)) !== 0)
      throw new Error('ring buffer needs a power-of-two number of data pages');
    this.capacity = dataPages * PAGE_SIZE;
    this.watermark = this.capacity / 2;
  }

  /** perf_output_begin + copy + end. Returns false when the record was dropped. */
  write(record: PerfRecord, eventId: number, now: number): boolean {
    if (this.lost > 0) {
      if (this.used + LOST_SIZE + record.size > this.capacity) return this.drop(eventId);
      this.push({ type: PERF_RECORD_LOST, id: this.lostId, lost: this.lost, time: now, size: LOST_SIZE });
      this.lost = 0;
    }
    if (this.used + record.size > this.capacity) return this.drop(eventId);
    this.push(record);
    return true;
  }

  /** The reader takes everything written so far (moves data_tail to data_head). */
  drain(): PerfRecord[] {
    const out = this.records;
    this.records = [];
    this.used = 0;
    return out;
  }

  get bytesUsed(): number {
    return this.used;
  }

  private push(record: PerfRecord): void {
    const before = this.used;
    this.records.push(record);
    this.used += record.size;
    if (before < this.watermark && this.used >= this.watermark) this.onWakeup?.();
  }

  private drop(eventId: number): boolean {
    if (this.lost === 0) this.lostId = eventId;
    this.lost++;
    this.totalLost++;
    return false;
  }
}
