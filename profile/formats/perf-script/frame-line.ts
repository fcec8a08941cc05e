/**
 * One callchain line of `perf script`: `<hex ip> <symbol>[+0x<off>] (<dso>)`,
 * indented (or at column 0 in very old perf), leaf first.
 *
 * Parsing stores only offsets into the line (no substrings), so a record of
 * 40 frames costs 40 small integer writes, and each consumer slices just what
 * it needs.
 *
 * The split follows stackcollapse-perf.pl's reading of the line so that the
 * collapser can reuse it: the dso is the text between the LAST " (" that has a
 * ')' after it and the last ')' of the line, and the symbol is what lies
 * between the address and that " (". The `+0x…` offset is recognised the way
 * the Perl strips it: "+0x" and lowercase hex digits at the very end of the
 * symbol text.
 */

/** What scanFrameHead() reads: the address, and where the text after it starts. */
export interface FrameHead {
  addrStart: number;
  addrEnd: number;
  /** FNV-1a of the address characters: a cheap, well-spread hash key for the frame. */
  addrHash: number;
  /** The first non-blank after the address (the line's end when there is none). */
  textStart: number;
}

/** Offsets of the parts of one frame line; -1 where a part is absent. */
export interface FrameSpan extends FrameHead {
  /** Start of the symbol text (may equal symEnd: no symbol printed). */
  symStart: number;
  /** End of the symbol without its `+0x…` offset. */
  symEnd: number;
  /** End of the symbol text including the offset (= the " (" before the dso). */
  rawEnd: number;
  dsoStart: number;
  dsoEnd: number;
  /**
   * True when stackcollapse-perf.pl's regex `^\s*(\w+)\s*(.+) \((.*)\)` gives
   * exactly these parts (address, symbol text, dso), so a Perl-compatible
   * consumer may use them without running the regex.
   */
  perlExact: boolean;
}

export function newFrameSpan(): FrameSpan {
  return {
    addrStart: -1,
    addrEnd: -1,
    textStart: -1,
    symStart: -1,
    symEnd: -1,
    rawEnd: -1,
    dsoStart: -1,
    dsoEnd: -1,
    addrHash: 0,
    perlExact: false,
  };
}

const HEX = new Uint8Array(128);
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;

function isHex(c: number): boolean {
  return c < 128 && HEX[c] === 1;
}

function isLowerHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102);
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

/**
 * Reads the start of a frame line from `from`: blanks, a hex address and the
 * blanks after it. Returns false (leaving `out` as it was) when the line does
 * not start with a hex address followed by a blank or the end of the line,
 * exactly when parseFrameLine() does.
 */
export function scanFrameHead(line: string, from: number, out: FrameHead): boolean {
  const n = line.length;
  let i = from;
  while (i < n && isBlank(line.charCodeAt(i))) i++;
  const addrStart = i;
  let h = 0x811c9dc5;
  let c = 0;
  while (i < n && isHex((c = line.charCodeAt(i)))) {
    h = Math.imul(h ^ c, 0x01000193);
    i++;
  }
  const addrEnd = i;
  if (addrEnd === addrStart || (i < n && !isBlank(c))) return false;
  while (i < n && isBlank(line.charCodeAt(i))) i++;
  out.addrStart = addrStart;
  out.addrEnd = addrEnd;
  out.addrHash = h;
  out.textStart = i;
  return true;
}

/**
 * Parses `line` from `from` as a frame. Returns false when it does not start
 * with a hex address followed by a blank (or the end of the line). Everything
 * it finds after the address depends only on line[addrEnd, end).
 */
export function parseFrameLine(line: string, from: number, out: FrameSpan): boolean {
  if (!scanFrameHead(line, from, out)) return false;
  const n = line.length;
  const addrEnd = out.addrEnd;
  const symStart = out.textStart;
  out.dsoStart = -1;
  out.dsoEnd = -1;
  out.perlExact = false;

  let rawEnd = n;
  // perf ends the line with the dso's ')': look there before searching.
  const close = line.charCodeAt(n - 1) === 41 ? n - 1 : line.lastIndexOf(')');
  // The last " (" that leaves room for ')' after it.
  const open = close >= 2 ? line.lastIndexOf(' (', close - 2) : -1;
  if (open >= addrEnd) {
    out.dsoStart = open + 2;
    out.dsoEnd = close;
    rawEnd = open;
    let tail = close + 1;
    while (tail < n && isBlank(line.charCodeAt(tail))) tail++;
    // The Perl regex needs a non-empty symbol after a whole \w+ address: with a
    // single blank between address and "(dso)" it backtracks into the address.
    // Its \s also takes \v, \f and \r, which are not skipped here as blanks.
    // Anything but blanks after the last ')' is no dso of ours either.
    const s0 = line.charCodeAt(symStart);
    out.perlExact = open > addrEnd && tail === n && !(s0 >= 11 && s0 <= 13);
    if (tail !== n) {
      out.dsoStart = -1;
      out.dsoEnd = -1;
      rawEnd = n;
    }
  }
  if (rawEnd === n) {
    while (rawEnd > symStart && isBlank(line.charCodeAt(rawEnd - 1))) rawEnd--;
  }
  const start = symStart < rawEnd ? symStart : rawEnd;
  out.symStart = start;
  out.rawEnd = rawEnd;
  out.symEnd = rawEnd;
  // "+0x" followed by at least one lowercase hex digit up to the end.
  let j = rawEnd;
  while (j > start && isLowerHex(line.charCodeAt(j - 1))) j--;
  if (
    j < rawEnd &&
    j - 3 >= start &&
    line.charCodeAt(j - 1) === 120 &&
    line.charCodeAt(j - 2) === 48 &&
    line.charCodeAt(j - 3) === 43
  ) {
    out.symEnd = j - 3;
  }
  return true;
}

/**
 * `-F +srcline` prints, after a frame, one indented line with its source
 * position: `file.cpp:137`, `libc-2.33.so[27b25]`, `[kernel.kallsyms][ffff…]`
 * or `??:0`. A single token ending in `:<line>`, `[<hex>]` or `:?`.
 */
export function isSrclineLine(line: string): boolean {
  let s = 0;
  let e = line.length;
  while (s < e && isBlank(line.charCodeAt(s))) s++;
  while (e > s && isBlank(line.charCodeAt(e - 1))) e--;
  if (s === 0 || e - s < 2) return false;
  for (let i = s; i < e; i++) if (isBlank(line.charCodeAt(i))) return false;
  const last = line.charCodeAt(e - 1);
  if (last === 93) {
    // name[hex]
    const open = line.lastIndexOf('[', e - 1);
    if (open <= s) return false;
    for (let i = open + 1; i < e - 1; i++) if (!isHex(line.charCodeAt(i))) return false;
    return open + 1 < e - 1;
  }
  const colon = line.lastIndexOf(':', e - 1);
  if (colon <= s) return false;
  if (colon === e - 2 && last === 63) return true; // file:?
  for (let i = colon + 1; i < e; i++) {
    const c = line.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return colon + 1 < e;
}
