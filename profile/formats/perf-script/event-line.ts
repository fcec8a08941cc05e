/**
 * The first line of a `perf script` sample record ("event line").
 *
 * perf prints it field by field (tools/perf/builtin-script.c,
 * perf_sample__fprintf_start and process_event), each field optional under
 * `-F`:
 *
 *   [VM:%5d ][VCPU:%03d ]comm pid[/tid] [%03d] [misc] secs.usecs: [period] event: [payload]
 *
 * - `VM:`/`VCPU:` (perf >= 6.0, `-F +machine_pid,+vcpu`) come first and only
 *   for samples with a non-zero machine_pid, i.e. guest samples merged into the
 *   host file by `perf inject --guest-data`.
 * - comm may contain spaces (and is right-aligned to 16 columns when the event
 *   has no callchain), so it is found by looking for the pid token rather than
 *   by splitting on the first blank: the pid token is the first all-digit
 *   token (or `pid/tid` pair) that is followed by a field that can only come
 *   after it (cpu, time, misc+time, or [period] event). That also reads
 *   "FS Broker 5858  5791/5860 [000] …" as comm "FS Broker 5858".
 * - the event name is right-aligned to the longest name and ends with ':';
 *   modifiers stay part of the name (`cycles:uppp:` → `cycles:uppp`).
 * - what follows the event is the tracepoint payload or, without `-g`, the one
 *   frame of the sample (`ffffffff9b201293 [unknown] ([unknown])`).
 *
 * This is the tolerant reading used by the importer; the collapser applies
 * stackcollapse-perf.pl's own (narrower) rules to the raw line instead.
 */

/** Parsed fields of one event line. Reused between lines: copy what you keep. */
export class EventFields {
  comm = '';
  /** -1 when the line has only one id (perf's default prints the tid alone). */
  pid = -1;
  tid = -1;
  cpu = -1;
  /** Nanoseconds, NaN when the line has no time. */
  time = NaN;
  /** NaN when the line has no period. */
  period = NaN;
  /** Event name with modifiers, without the trailing ':'; '' when absent. */
  event = '';
  /** perf's machine_pid (the VMM's pid on the host), -1 for host samples. */
  machinePid = -1;
  vcpu = -1;
  /** The `-F +misc` letters (K, U, H, G, g, ...), '' when not printed. */
  cpumode = '';
  /** Index in the line where the payload after the event starts, -1 if none. */
  payloadStart = -1;
}

const MAX_TOKENS = 48;
const tokStart = new Int32Array(MAX_TOKENS);
const tokEnd = new Int32Array(MAX_TOKENS);

export function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function skipBlanks(line: string, i: number): number {
  const n = line.length;
  while (i < n && isBlank(line.charCodeAt(i))) i++;
  return i;
}

/** Splits `line` from `pos` into blank-separated tokens (at most MAX_TOKENS). */
function tokenize(line: string, pos: number): number {
  const n = line.length;
  let count = 0;
  let i = skipBlanks(line, pos);
  while (i < n && count < MAX_TOKENS) {
    const s = i;
    while (i < n && !isBlank(line.charCodeAt(i))) i++;
    tokStart[count] = s;
    tokEnd[count] = i;
    count++;
    i = skipBlanks(line, i);
  }
  return count;
}

function allDigits(line: string, s: number, e: number): boolean {
  if (s >= e) return false;
  for (let i = s; i < e; i++) if (!isDigit(line.charCodeAt(i))) return false;
  return true;
}

function digitsValue(line: string, s: number, e: number): number {
  let v = 0;
  for (let i = s; i < e; i++) v = v * 10 + (line.charCodeAt(i) - 48);
  return v;
}

/** `123`, `-1`, `123/456`: the pid[/tid] column. */
function isPidToken(line: string, s: number, e: number): boolean {
  let i = s;
  if (line.charCodeAt(i) === 45) i++; // '-' (perf prints -1 for an unknown pid)
  const d0 = i;
  while (i < e && isDigit(line.charCodeAt(i))) i++;
  if (i === d0) return false;
  if (i === e) return true;
  if (line.charCodeAt(i) !== 47) return false; // '/'
  i++;
  if (line.charCodeAt(i) === 45) i++;
  const d1 = i;
  while (i < e && isDigit(line.charCodeAt(i))) i++;
  return i > d1 && i === e;
}

/** `[003]` */
function isCpuToken(line: string, s: number, e: number): boolean {
  return (
    e - s >= 3 &&
    line.charCodeAt(s) === 91 &&
    line.charCodeAt(e - 1) === 93 &&
    allDigits(line, s + 1, e - 1)
  );
}

/** `1410597.984841:` (microseconds, or nanoseconds with --ns). */
function isTimeToken(line: string, s: number, e: number): boolean {
  if (e - s < 4 || line.charCodeAt(e - 1) !== 58) return false;
  const dot = line.indexOf('.', s);
  return dot > s && dot < e - 2 && allDigits(line, s, dot) && allDigits(line, dot + 1, e - 1);
}

/** The misc column's cpumode letters (`-F +misc`), printed before the time. */
function isMiscToken(line: string, s: number, e: number): boolean {
  if (e - s > 6) return false;
  for (let i = s; i < e; i++) if ('KUHGgMESp'.indexOf(line[i]) < 0) return false;
  return true;
}

/** `cycles:`, `cpu-clock:uhH:`, `sched:sched_switch:` — not a time, not a number. */
function isEventToken(line: string, s: number, e: number): boolean {
  if (e - s < 2 || line.charCodeAt(e - 1) !== 58) return false;
  const c = line.charCodeAt(s);
  return !isDigit(c) && c !== 91 && c !== 40; // not a time, not [cpu], not (dso)
}

function timeValue(line: string, s: number, e: number): number {
  const dot = line.indexOf('.', s);
  const secs = digitsValue(line, s, dot);
  const fracDigits = e - 1 - (dot + 1);
  let frac = digitsValue(line, dot + 1, e - 1);
  for (let k = fracDigits; k < 9; k++) frac *= 10;
  for (let k = fracDigits; k > 9; k--) frac /= 10;
  return secs * 1e9 + frac;
}

/**
 * Does token k (the one after a pid candidate) prove the candidate is the pid
 * column? `strict` accepts only cpu and time, which a callchain line never
 * has right after its second token; the loose form also accepts
 * `[period] event:` for the `-F comm,tid,event` layout.
 */
function provesPid(line: string, k: number, count: number, strict: boolean): boolean {
  if (k >= count) return false;
  const s = tokStart[k];
  const e = tokEnd[k];
  if (isCpuToken(line, s, e) || isTimeToken(line, s, e)) return true;
  if (k + 1 < count && isMiscToken(line, s, e) && isTimeToken(line, tokStart[k + 1], tokEnd[k + 1])) {
    return true;
  }
  if (strict) return false;
  if (isEventToken(line, s, e)) return true;
  return allDigits(line, s, e) && k + 1 < count && isEventToken(line, tokStart[k + 1], tokEnd[k + 1]);
}

/**
 * Parses an event line into `out`. Returns false when the line is not one.
 * `strict` requires a cpu or time column after the pid (used for indented lines
 * inside a record, which are far more likely to be callchain lines).
 */
export function parseEventLine(line: string, out: EventFields, strict = false): boolean {
  let pos = skipBlanks(line, 0);
  let machinePid = -1;
  let vcpu = -1;
  if (line.startsWith('VM:', pos)) {
    pos = skipBlanks(line, pos + 3);
    const s = pos;
    while (pos < line.length && isDigit(line.charCodeAt(pos))) pos++;
    if (pos === s) return false;
    machinePid = digitsValue(line, s, pos);
    pos = skipBlanks(line, pos);
    if (line.startsWith('VCPU:', pos)) {
      pos = skipBlanks(line, pos + 5);
      const v = pos;
      while (pos < line.length && isDigit(line.charCodeAt(pos))) pos++;
      if (pos === v) return false;
      vcpu = digitsValue(line, v, pos);
      pos = skipBlanks(line, pos);
    }
  }
  const count = tokenize(line, pos);
  let k = 1;
  for (; k < count; k++) {
    if (isPidToken(line, tokStart[k], tokEnd[k]) && provesPid(line, k + 1, count, strict)) break;
  }
  if (k >= count) return false;

  out.machinePid = machinePid;
  out.vcpu = vcpu;
  out.comm = line.slice(tokStart[0], tokEnd[k - 1]);
  const ps = tokStart[k];
  const pe = tokEnd[k];
  const slash = line.indexOf('/', ps);
  if (slash >= 0 && slash < pe) {
    out.pid = Number(line.slice(ps, slash));
    out.tid = Number(line.slice(slash + 1, pe));
  } else {
    out.pid = -1;
    out.tid = Number(line.slice(ps, pe));
  }
  out.cpu = -1;
  out.cpumode = '';
  out.time = NaN;
  out.period = NaN;
  out.event = '';
  out.payloadStart = -1;

  let j = k + 1;
  if (j < count && isCpuToken(line, tokStart[j], tokEnd[j])) {
    out.cpu = digitsValue(line, tokStart[j] + 1, tokEnd[j] - 1);
    j++;
  }
  if (
    j + 1 < count &&
    isMiscToken(line, tokStart[j], tokEnd[j]) &&
    isTimeToken(line, tokStart[j + 1], tokEnd[j + 1])
  ) {
    out.cpumode = line.slice(tokStart[j], tokEnd[j]);
    j++;
  }
  if (j < count && isTimeToken(line, tokStart[j], tokEnd[j])) {
    out.time = timeValue(line, tokStart[j], tokEnd[j]);
    j++;
  }
  if (j < count && allDigits(line, tokStart[j], tokEnd[j])) {
    out.period = Number(line.slice(tokStart[j], tokEnd[j]));
    j++;
  }
  if (j < count && isEventToken(line, tokStart[j], tokEnd[j])) {
    out.event = line.slice(tokStart[j], tokEnd[j] - 1);
    j++;
  }
  if (j < count) out.payloadStart = tokStart[j];
  else if (count === MAX_TOKENS) out.payloadStart = skipBlanks(line, tokEnd[count - 1]);
  return true;
}

/** The perf_event_attr exclude bits an event's modifiers imply. */
export interface ModifierBits {
  exclude_user: boolean;
  exclude_kernel: boolean;
  exclude_hv: boolean;
  exclude_guest: boolean;
  exclude_host: boolean;
  /** Whether the name carried u/k/h resp. G/H at all (else the bits say nothing). */
  hasPrivilege: boolean;
  hasGuestHost: boolean;
}

const MODIFIER_LETTERS = /^[ukhIGHpPSDeWbRx]+$/;

/**
 * The modifier suffix of an event name: `cycles:uppp` → `uppp`,
 * `cpu/event=0x3c/uk` → `uk`; '' for `sched:sched_switch` (a tracepoint's
 * second half is not made of modifier letters).
 */
export function eventModifiers(name: string): string {
  const colon = name.lastIndexOf(':');
  if (colon >= 0 && colon < name.length - 1) {
    const suffix = name.slice(colon + 1);
    if (MODIFIER_LETTERS.test(suffix)) return suffix;
  }
  const slash = name.lastIndexOf('/');
  if (slash > 0 && slash < name.length - 1 && name.indexOf('/') < slash) {
    const suffix = name.slice(slash + 1);
    if (MODIFIER_LETTERS.test(suffix)) return suffix;
  }
  return '';
}

/**
 * Reproduces perf's modifier semantics (tools/perf/util/parse-events.c): any of
 * u/k/h excludes the privilege levels not named; any of G/H excludes the side
 * not named (`:G` counts only while a guest runs, i.e. exclude_host).
 */
export function modifierBits(modifiers: string): ModifierBits {
  const u = modifiers.includes('u');
  const k = modifiers.includes('k');
  const h = modifiers.includes('h');
  const G = modifiers.includes('G');
  const H = modifiers.includes('H');
  const hasPrivilege = u || k || h;
  const hasGuestHost = G || H;
  return {
    exclude_user: hasPrivilege && !u,
    exclude_kernel: hasPrivilege && !k,
    exclude_hv: hasPrivilege && !h,
    exclude_guest: hasGuestHost && !G,
    exclude_host: hasGuestHost && !H,
    hasPrivilege,
    hasGuestHost,
  };
}
