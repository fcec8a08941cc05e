/**
 * errno values the emulated kernel returns, by name. Emulated syscalls return
 * `-errno` the way the kernel's own functions do, and callers compare against
 * these names, never against bare numbers.
 */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  ENXIO: 6,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  ENODEV: 19,
  EINVAL: 22,
  EMFILE: 24,
  ENOSPC: 28,
  ENOSYS: 38,
  EOVERFLOW: 75,
  EOPNOTSUPP: 95,
} as const;
export type ErrnoName = keyof typeof Errno;
export type ErrnoValue = (typeof Errno)[ErrnoName];

/** strerror(3) wording, as the perf tool prints it. */
const STRERROR: Record<ErrnoName, string> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  ESRCH: 'No such process',
  EINTR: 'Interrupted system call',
  ENXIO: 'No such device or address',
  E2BIG: 'Argument list too long',
  EBADF: 'Bad file descriptor',
  EAGAIN: 'Resource temporarily unavailable',
  EACCES: 'Permission denied',
  EFAULT: 'Bad address',
  EBUSY: 'Device or resource busy',
  ENODEV: 'No such device',
  EINVAL: 'Invalid argument',
  EMFILE: 'Too many open files',
  ENOSPC: 'No space left on device',
  ENOSYS: 'Function not implemented',
  EOVERFLOW: 'Value too large for defined data type',
  EOPNOTSUPP: 'Operation not supported',
};

const BY_VALUE = new Map<number, ErrnoName>(
  (Object.keys(Errno) as ErrnoName[]).map((name) => [Errno[name], name]),
);

/** The errno's name for a value (positive or negative, as syscalls return it). */
export function errnoName(value: number): ErrnoName {
  const name = BY_VALUE.get(Math.abs(value));
  if (!name) throw new Error(`unknown errno ${value}`);
  return name;
}

/** "Device or resource busy (EBUSY)": how guestperf names a refused operation. */
export function describeErrno(value: number): string {
  const name = errnoName(value);
  return `${STRERROR[name]} (${name})`;
}

export function strerror(value: number): string {
  return STRERROR[errnoName(value)];
}
