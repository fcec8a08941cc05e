/**
 * inferno-collapse-perf's line rules (jonhoo/inferno, src/collapse/perf.rs,
 * common.rs and matcher.rs), written from their documented behaviour for
 * `guestperf collapse --inferno`. Where they differ from stackcollapse-perf.pl
 * (perl-rules.ts), the difference is deliberate and kept:
 * - an event line is any non-empty line outside a sample: its comm is what
 *   comes before the first all-digit word followed by a space (pid, or
 *   pid/tid), blanks around it trimmed, so right-aligned comms work;
 * - the event is the word before the second ':' after that word, the period
 *   the word before it (when it is a whole number; otherwise 1, and 0 counts
 *   as 0); anything after the event's own ':' is a one-frame stack;
 * - a stack line is `pc rest`, split at the first space, and `rest` at its
 *   last space into the symbol and `(dso)`;
 * - half-demangled Rust names (`_$LT$a..b$GT$::f::h0123456789abcdef`) are
 *   demangled; a name is cut at its first "(" outside <>, {} and [] (not
 *   Go's `.(`, not "(anonymous namespace)"); quotes are kept;
 * - _[k] also marks `.ko` and `vmlinux-<version>` dsos, _[j] also
 *   `/jitted-*.so`; java names are tidied for every comm starting "java".
 * Text is Rust's: whitespace is Unicode White_Space, integers are usize.
 */

/** Rust's `char::is_whitespace` (Unicode White_Space; all of it is in the BMP). */
export function isRustWhitespace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 0x85) return false;
  return (
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

export function rustTrimStart(s: string): string {
  let i = 0;
  while (i < s.length && isRustWhitespace(s.charCodeAt(i))) i++;
  return i === 0 ? s : s.slice(i);
}

export function rustTrimEnd(s: string): string {
  let e = s.length;
  while (e > 0 && isRustWhitespace(s.charCodeAt(e - 1))) e--;
  return e === s.length ? s : s.slice(0, e);
}

export function rustTrim(s: string): string {
  return rustTrimStart(rustTrimEnd(s));
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** What an event line's first all-digit word splits it into. */
export class InfernoEventParts {
  comm = '';
  /** "?" when the word has no '/'. */
  pid = '';
  tid = '';
  /** Where the text after that word (and its space) starts. */
  end = 0;
}

/**
 * Finds the first word that follows a space, is made of digits and '/' only
 * (possibly none of either), and is followed by a space: `pid/tid` splits at
 * its last '/', a word without '/' is a tid (pid "?"). The comm is the text
 * before it, trimmed. False when there is no such word.
 */
export function infernoEventParts(line: string, out: InfernoEventParts): boolean {
  let wordStart = 0;
  let allDigits = false;
  let lastWasSpace = false;
  let slash = -1;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 32) {
      if (allDigits && !lastWasSpace) {
        if (slash >= 0) {
          out.pid = line.slice(wordStart, slash);
          out.tid = line.slice(slash + 1, i);
        } else {
          out.pid = '?';
          out.tid = line.slice(wordStart, i);
        }
        out.comm = rustTrim(line.slice(0, wordStart - 1));
        out.end = i + 1;
        return true;
      }
      wordStart = i + 1;
      allDigits = true;
    } else if (c === 47) {
      if (allDigits) slash = i;
    } else if (!isDigit(c)) {
      allDigits = false;
      slash = -1;
    }
    lastWasSpace = c === 32;
  }
  return false;
}

/** The event, period and one-frame stack of the text after the pid word. */
export class InfernoEventTail {
  /** undefined when the text has no ':'. */
  event: string | undefined = undefined;
  /** The period word, when it is a usize (number, or bigint past 2^53). */
  period: number | bigint | undefined = undefined;
  /** A stack line on the event line itself, or undefined. */
  stack: string | undefined = undefined;
}

const USIZE_MAX = (1n << 64n) - 1n;

/** Rust's `s.parse::<usize>()`: digits with an optional '+', at most 2^64 - 1. */
export function parseUsize(s: string): number | bigint | undefined {
  let i = s.charCodeAt(0) === 43 ? 1 : 0;
  if (i === s.length) return undefined;
  for (let k = i; k < s.length; k++) if (!isDigit(s.charCodeAt(k))) return undefined;
  while (i < s.length - 1 && s.charCodeAt(i) === 48) i++;
  const digits = s.slice(i);
  if (digits.length <= 15) return Number(digits);
  const big = BigInt(digits);
  if (big > USIZE_MAX) return undefined;
  return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

/**
 * Splits `rest` (the event line after its pid word) at its first two ':'.
 * Between them: "[period ]event" (the last two space-separated words). After
 * the second: the event's modifiers up to the first ':' or space, then,
 * trimmed, a one-frame stack if anything is left. Without a ':' there is no
 * event (and the period is left alone: `out.event` stays undefined).
 */
export function infernoEventTail(rest: string, out: InfernoEventTail): void {
  out.event = undefined;
  out.period = undefined;
  out.stack = undefined;
  const c1 = rest.indexOf(':');
  if (c1 < 0) return;
  const c2 = rest.indexOf(':', c1 + 1);
  const middle = c2 < 0 ? rest.slice(c1 + 1) : rest.slice(c1 + 1, c2);
  const sp = middle.lastIndexOf(' ');
  out.event = middle.slice(sp + 1);
  if (sp >= 0) out.period = parseUsize(middle.slice(sp > 0 ? middle.lastIndexOf(' ', sp - 1) + 1 : 0, sp));
  if (c2 < 0) return;
  const after = rest.slice(c2 + 1);
  let cut = 0;
  for (let i = 0; i < after.length; i++) {
    const c = after.charCodeAt(i);
    if (c === 58 || c === 32) {
      cut = i + 1;
      break;
    }
  }
  const stack = rustTrim(after.slice(cut));
  if (stack.length > 0) out.stack = stack;
}

/** A stack line `pc rest`, where rest is `rawfunc (module)`. */
export class InfernoStackParts {
  pc = '';
  /** The text after the pc's space: what the names depend on, with the pc only for --addrs. */
  rest = '';
}

/** Splits a stack line (trailing whitespace already gone) into its pc and the text after it. */
export function infernoStackPc(line: string, out: InfernoStackParts): boolean {
  const t = rustTrimStart(line);
  const sp = t.indexOf(' ');
  if (sp < 0) return false;
  out.pc = rustTrimEnd(t.slice(0, sp));
  out.rest = t.slice(sp + 1);
  return true;
}

export interface InfernoTidyOptions {
  annotateKernel: boolean;
  annotateJit: boolean;
  includeAddrs: boolean;
}

/** A dso whose last "vmlinux" is followed only by [A-Za-z0-9._-]. */
export function isVmlinux(mod: string): boolean {
  const at = mod.lastIndexOf('vmlinux');
  if (at < 0) return false;
  for (let i = at + 7; i < mod.length; i++) {
    const c = mod.charCodeAt(i);
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 46 || c === 95;
    if (!ok) return false;
  }
  return true;
}

/** A kernel dso: "[...", "*.ko" or vmlinux (versioned or not); not "[unknown]". */
export function isInfernoKernel(mod: string): boolean {
  return (mod.charCodeAt(0) === 91 || mod.endsWith('.ko') || isVmlinux(mod)) && mod !== '[unknown]';
}

/** A JIT dso: a perf map (/tmp/perf-*.map) or a jitdump object (*\/jitted-*.so). */
export function isInfernoJit(mod: string): boolean {
  return (mod.startsWith('/tmp/perf-') && mod.endsWith('.map')) || (mod.includes('/jitted-') && mod.endsWith('.so'));
}

/** The Rust escapes of legacy mangling, tried in this order. */
const RUST_ESCAPES: readonly (readonly [string, string])[] = [
  ['$SP$', '@'],
  ['$BP$', '*'],
  ['$RF$', '&'],
  ['$LT$', '<'],
  ['$GT$', '>'],
  ['$LP$', '('],
  ['$RP$', ')'],
  ['$C$', ','],
  ['$u7e$', '~'],
  ['$u20$', ' '],
  ['$u27$', "'"],
  ['$u3d$', '='],
  ['$u5b$', '['],
  ['$u5d$', ']'],
  ['$u7b$', '{'],
  ['$u7d$', '}'],
  ['$u3b$', ';'],
  ['$u2b$', '+'],
  ['$u21$', '!'],
  ['$u22$', '"'],
];

/** "h" and 16 hex digits. */
const RUST_HASH_LENGTH = 17;

/**
 * Demangles what perf left half-mangled of a legacy Rust symbol: only names
 * ending in a Rust hash ("h" + 16 hex digits) change. The hash goes (with
 * the "::" before it), a leading "_$" loses its "_", ".." becomes "::", and
 * the $..$ escapes their characters; an unknown escape ends the work, the
 * rest kept as it is. Other names come back unchanged.
 */
export function fixHalfDemangledRust(symbol: string): string {
  const n = symbol.length;
  if (n < RUST_HASH_LENGTH || symbol.charCodeAt(n - RUST_HASH_LENGTH) !== 104) return symbol;
  for (let i = n - RUST_HASH_LENGTH + 1; i < n; i++) if (!isHexDigit(symbol.charCodeAt(i))) return symbol;
  let rest = symbol.slice(0, n - RUST_HASH_LENGTH);
  if (rest.endsWith('::')) rest = rest.slice(0, -2);
  if (rest.startsWith('_$')) rest = rest.slice(1);
  let out = '';
  let i = 0;
  while (i < rest.length) {
    const c = rest.charCodeAt(i);
    if (c === 46) {
      if (rest.charCodeAt(i + 1) === 46) {
        out += '::';
        i += 2;
      } else {
        out += '.';
        i++;
      }
    } else if (c === 36) {
      const escape = RUST_ESCAPES.find(([from]) => rest.startsWith(from, i));
      if (escape === undefined) {
        out += rest.slice(i);
        break;
      }
      out += escape[1];
      i += escape[0].length;
    } else {
      let j = i + 1;
      while (j < rest.length && rest.charCodeAt(j) !== 36 && rest.charCodeAt(j) !== 46) j++;
      out += rest.slice(i, j);
      i = j;
    }
  }
  return out;
}

/** `s/\+0x[0-9a-fA-F]*$//` at the last "+0x" only. */
export function stripInfernoOffset(s: string): string {
  const at = s.lastIndexOf('+0x');
  if (at < 0) return s;
  for (let i = at + 3; i < s.length; i++) if (!isHexDigit(s.charCodeAt(i))) return s;
  return s.slice(0, at);
}

/**
 * ';' → ':', then the argument list goes: the name is cut at its first '('
 * at bracket depth 0 (<>, {}, [] and () nest; closers may take the depth
 * below 0, where nothing is cut), unless the '(' follows a '.' (a Go method,
 * "pkg.(*T).M") or opens "(anonymous namespace)". Quotes stay.
 */
export function tidyInfernoGeneric(func: string): string {
  if (func.includes(';')) func = func.replaceAll(';', ':');
  let depth = 0;
  let afterDot = -1;
  for (let i = 0; i < func.length; i++) {
    const c = func.charCodeAt(i);
    if (c === 60 || c === 123 || c === 91) {
      depth++;
    } else if (c === 62 || c === 125 || c === 93 || c === 41) {
      depth--;
    } else if (c === 40) {
      if (depth === 0 && afterDot !== i && !func.startsWith('(anonymous namespace)', i)) return func.slice(0, i);
      depth++;
    } else if (c === 46) {
      afterDot = i + 1;
    }
  }
  return func;
}

/** "Lorg/x/Y;::m" → "org/x/Y;::m": a leading 'L' goes when the name has a '/'. */
export function tidyInfernoJava(func: string): string {
  return func.charCodeAt(0) === 76 && func.includes('/') ? func.slice(1) : func;
}

/** An "[unknown]" symbol is named after its dso's file name ("[libc.so.6]"), with --addrs its pc too. */
function withModuleFallback(mod: string, func: string, pc: string, includeAddrs: boolean): string {
  if (func !== '[unknown]') return func;
  let base: string;
  if (mod === '[unknown]') {
    if (!includeAddrs) return func;
    base = 'unknown';
  } else {
    base = mod.slice(mod.lastIndexOf('/') + 1);
  }
  return includeAddrs ? `[${base} <${pc}>]` : `[${base}]`;
}

/**
 * Whether the names of a stack line with this text after its pc depend on
 * the pc (only "[unknown]" names with --addrs do).
 */
export function infernoNamesNeedPc(rest: string, opts: InfernoTidyOptions): boolean {
  return opts.includeAddrs && rest.includes('[unknown]');
}

/**
 * The names a stack line contributes, root first (Java inlining: "a->b->c"
 * gives a, b_[i], c_[i]), from the text after its pc; null when the line is
 * skipped (a symbol starting with '('), undefined when it is not a stack line
 * (no space, or no "(dso)" word at its end).
 */
export function infernoFrameNames(rest: string, pc: string, java: boolean, opts: InfernoTidyOptions): string[] | null | undefined {
  const sp = rest.lastIndexOf(' ');
  if (sp < 0) return undefined;
  const last = rest.length - 1;
  // The last word must be "(dso)" ("()" is an empty dso; "(" alone is not one).
  if (rest.charCodeAt(sp + 1) !== 40 || rest.charCodeAt(last) !== 41) return undefined;
  const mod = rest.slice(sp + 2, last);
  let rawfunc = rustTrim(rest.slice(0, sp));
  // An empty symbol ("addr  (dso)") reads as one blank, as in the Perl.
  if (rawfunc.length === 0) rawfunc = ' ';
  rawfunc = stripInfernoOffset(rawfunc);
  if (rawfunc.charCodeAt(0) === 40) return null;
  rawfunc = fixHalfDemangledRust(rawfunc);
  const parts = rawfunc.split('->');
  for (let p = 0; p < parts.length; p++) {
    let func = tidyInfernoGeneric(withModuleFallback(mod, parts[p], pc, opts.includeAddrs));
    if (java) func = tidyInfernoJava(func);
    if (p > 0) {
      if (!func.includes('_[i]')) func += '_[i]';
    } else if (opts.annotateKernel && isInfernoKernel(mod)) {
      func += '_[k]';
    } else if (opts.annotateJit && isInfernoJit(mod) && !func.includes('_[j]')) {
      func += '_[j]';
    }
    parts[p] = func;
  }
  return parts;
}
