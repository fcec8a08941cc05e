/**
 * read(2) on a perf event fd: the read_format layout and its size
 * (include/uapi/linux/perf_event.h, kernel/events/core.c __perf_read).
 */
import {
  PERF_FORMAT_GROUP,
  PERF_FORMAT_ID,
  PERF_FORMAT_LOST,
  PERF_FORMAT_TOTAL_TIME_ENABLED,
  PERF_FORMAT_TOTAL_TIME_RUNNING,
} from './attr';

export interface ReadValue {
  value: number;
  id?: number;
  lost?: number;
}

/** What read() returned, field by field, and how many bytes that is. */
export interface ReadResult {
  bytes: number;
  /** One entry for a plain read, leader then siblings for a group read. */
  values: ReadValue[];
  time_enabled?: number;
  time_running?: number;
}

/** event->read_size: the bytes a read of this event produces. */
export function readSize(read_format: bigint, groupMembers: number): number {
  const times =
    (read_format & PERF_FORMAT_TOTAL_TIME_ENABLED ? 8 : 0) + (read_format & PERF_FORMAT_TOTAL_TIME_RUNNING ? 8 : 0);
  const perValue = 8 + (read_format & PERF_FORMAT_ID ? 8 : 0) + (read_format & PERF_FORMAT_LOST ? 8 : 0);
  if (read_format & PERF_FORMAT_GROUP) return 8 + times + perValue * groupMembers;
  return times + perValue;
}
