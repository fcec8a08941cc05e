/**
 * stackcollapse-perf.pl's line rules, reproduced exactly (brendangregg/
 * FlameGraph, the version with --kernel/--jit/--all/--addrs/--event-filter and
 * period weighting). Written from its documented behaviour and regexes; the
 * fast paths below are equivalent to the regexes, including their
 * backtracking, and say why.
 *
 * Perl reads bytes and its \s there is [ \t\n\v\f\r]; \w is [A-Za-z0-9_].
 */

export function isPerlSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** $1, $2, $3 of the event-line regex `^(\S.+?)\s+(\d+)\/*(\d+)*\s+`. */
export class PerlEventIds {
  comm = '';
  first = '';
  /** undefined when the line had no `/tid` part. */
  second: string | undefined = undefined;
}

/**
 * `^(\S.+?)\s+(\d+)\/*(\d+)*\s+`. The lazy comm is the shortest prefix of at
 * least two characters that is followed by a run of blanks, digits, optional
 * slashes and digits, and a blank. Shorter \s+ matches cannot help (a blank
 * would then have to match \d), so for each blank run only its start (or
 * position 2 inside a run that starts at 1) is a candidate end of comm.
 */
export function matchPerlEventLine(line: string, out: PerlEventIds): boolean {
  const n = line.length;
  if (n === 0 || isPerlSpace(line.charCodeAt(0)) || line.charCodeAt(0) === 10) return false;
  let i = 1;
  while (i < n) {
    if (!isPerlSpace(line.charCodeAt(i))) {
      i++;
      continue;
    }
    const runStart = i;
    while (i < n && isPerlSpace(line.charCodeAt(i))) i++;
    const runEnd = i;
    const commEnd = runStart < 2 ? 2 : runStart;
    if (commEnd >= runEnd) continue;
    let k = runEnd;
    const d1 = k;
    while (k < n && isDigit(line.charCodeAt(k))) k++;
    if (k === d1) continue;
    const d1End = k;
    while (k < n && line.charCodeAt(k) === 47) k++;
    const d2 = k;
    while (k < n && isDigit(line.charCodeAt(k))) k++;
    const d2End = k;
    if (k >= n || !isPerlSpace(line.charCodeAt(k))) continue;
    out.comm = line.slice(0, commEnd);
    out.first = line.slice(d1, d1End);
    out.second = d2End > d2 ? line.slice(d2, d2End) : undefined;
    return true;
  }
  return false;
}

/** $1 and $2 of `/:\s*(\d+)*\s+(\S+):\s*$/`. */
export class PerlPeriodEvent {
  period: string | undefined = undefined;
  event = '';
}

/**
 * `/:\s*(\d+)*\s+(\S+):\s*$/`: the line ends in `<blank>event:` (trailing
 * blanks allowed), preceded by an optional number, which is preceded by ':'
 * (blanks allowed in between). Whichever ':' the unanchored search starts
 * from, the match ends the same way, so checking backwards from the end is
 * equivalent.
 */
export function matchPerlPeriodEvent(line: string, out: PerlPeriodEvent): boolean {
  let end = line.length;
  while (end > 0 && isPerlSpace(line.charCodeAt(end - 1))) end--;
  if (end < 2 || line.charCodeAt(end - 1) !== 58) return false;
  let ts = end - 1;
  while (ts > 0 && !isPerlSpace(line.charCodeAt(ts - 1))) ts--;
  if (ts === end - 1 || ts === 0) return false;
  let ws = ts;
  while (ws > 0 && isPerlSpace(line.charCodeAt(ws - 1))) ws--;
  let ds = ws;
  while (ds > 0 && isDigit(line.charCodeAt(ds - 1))) ds--;
  if (ds < ws) {
    let k = ds;
    while (k > 0 && isPerlSpace(line.charCodeAt(k - 1))) k--;
    if (k === 0 || line.charCodeAt(k - 1) !== 58) return false;
    out.period = line.slice(ds, ws);
  } else {
    if (ws === 0 || line.charCodeAt(ws - 1) !== 58) return false;
    out.period = undefined;
  }
  out.event = line.slice(ts, end - 1);
  return true;
}

/** The stack-line regex, for lines the fast frame parser cannot vouch for. */
export const PERL_STACK_LINE = /^[ \t\n\v\f\r]*(\w+)[ \t\n\v\f\r]*([^\n]+) \(([^\n]*)\)/;

export interface PerlTidyOptions {
  annotateKernel: boolean;
  annotateJit: boolean;
  includeAddrs: boolean;
}

/** `$mod =~ m:/tmp/perf-\d+\.map:` */
function isPerfMap(mod: string): boolean {
  let at = mod.indexOf('/tmp/perf-');
  while (at >= 0) {
    let k = at + 10;
    const d = k;
    while (k < mod.length && isDigit(mod.charCodeAt(k))) k++;
    if (k > d && mod.startsWith('.map', k)) return true;
    at = mod.indexOf('/tmp/perf-', at + 1);
  }
  return false;
}

/** `split /\->/, $s`: trailing empty fields are dropped, leading ones kept. */
function perlSplitArrow(s: string): string[] {
  const parts = s.split('->');
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/**
 * The names one stack line contributes, root first, or null when the Perl
 * skips the line (`next if $rawfunc =~ /^\(/`). `rawfunc` is the symbol text
 * with the `+0x…` offset already stripped.
 */
export function perlFrameNames(
  rawfunc: string,
  mod: string,
  pc: string,
  java: boolean,
  opts: PerlTidyOptions,
): string[] | null {
  if (rawfunc.charCodeAt(0) === 40) return null;
  const parts = perlSplitArrow(rawfunc);
  const kernelMod = (mod.charCodeAt(0) === 91 || mod.endsWith('vmlinux')) && !mod.includes('unknown');
  for (let p = 0; p < parts.length; p++) {
    let func = parts[p];
    if (func === '[unknown]') {
      const base = mod !== '[unknown]' ? mod.slice(mod.lastIndexOf('/') + 1) : 'unknown';
      func = opts.includeAddrs ? `[${base} <${pc}>]` : `[${base}]`;
    }
    if (func.includes(';')) func = func.replaceAll(';', ':');
    // Not a Go method name ("net/http.(*Client).Do"): cut at the first '('
    // that does not open "(anonymous namespace)".
    const goDot = func.indexOf('.(');
    if (!(goDot >= 0 && func.lastIndexOf(').') >= goDot + 2)) {
      let open = func.indexOf('(');
      while (open >= 0 && func.startsWith('anonymous namespace)', open + 1)) open = func.indexOf('(', open + 1);
      if (open >= 0) func = func.slice(0, open);
    }
    if (func.includes('"') || func.includes("'")) func = func.replace(/["']/g, '');
    if (java && func.charCodeAt(0) === 76 && func.includes('/')) func = func.slice(1);
    if (p > 0) {
      if (!func.includes('_[i]')) func += '_[i]';
    } else if (opts.annotateKernel && kernelMod) {
      func += '_[k]';
    } else if (opts.annotateJit && isPerfMap(mod)) {
      if (!func.includes('_[j]')) func += '_[j]';
    }
    parts[p] = func;
  }
  return parts;
}

/** `s/\+0x[\da-f]+$//` */
export function stripPerlOffset(s: string): string {
  const plus = s.lastIndexOf('+0x');
  if (plus < 0 || plus + 3 >= s.length) return s;
  for (let i = plus + 3; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return s;
  }
  return s.slice(0, plus);
}
