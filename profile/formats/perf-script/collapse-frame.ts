/**
 * The collapser's two readings of a callchain (stack) line.
 *
 * The general path is stackcollapse-perf.pl's: the stack-line regex, the
 * offset strip and the tidy rules (perl-rules.ts). It is the reference.
 *
 * The fast path exists because this is the hottest loop of `guestperf
 * collapse` (nine lines in ten are callchain lines): it looks only at the
 * line's prefix (blanks, a hex address, blanks), and uses the rest of the line
 * ("symbol+0x… (dso)", its "frame text") as a cache key. What the rest folds
 * to is worked out once per distinct frame text with frameTextNames(), and
 * must agree with the general path on every line the fast path accepts
 * (test/profile/perf-script-collapse-frame.test.ts checks this on the corpora
 * and on mutated lines).
 *
 * Why the rest alone decides the result: the Perl regex
 * `^\s*(\w+)\s*(.+) \((.*)\)` splits a line at its last " (" that has a ')'
 * after it. When the frame text does not start with '(', no " (" can start in
 * the prefix (blanks and hex digits), so the split, and with it the symbol,
 * the dso and the names, depend only on the frame text. Lines whose frame
 * text starts with '(' (an empty symbol: "addr (dso)") take the general path.
 */
import { newFrameSpan, parseFrameLine } from './frame-line';
import { PERL_STACK_LINE, type PerlTidyOptions, perlFrameNames, stripPerlOffset } from './perl-rules';

const HEX = new Uint8Array(128);
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;

/** Where scanFrameText() found the frame text, and a hash of the address. */
export class FrameText {
  /** Index of the first character of the frame text. */
  start = 0;
  /** FNV-1a of the address characters: spreads cache entries well (one call site, one address). */
  addrHash = 0;
}

/**
 * Reads the prefix of text[start, end): blanks, a hex address, at least one
 * blank, and a non-empty frame text that does not start with '(' or another
 * Perl \s. Returns false for any other shape (the line then takes the general
 * path).
 */
export function scanFrameText(text: string, start: number, end: number, out: FrameText): boolean {
  let i = start;
  let c = 0;
  while (i < end && ((c = text.charCodeAt(i)) === 32 || c === 9)) i++;
  const addrStart = i;
  let h = 0x811c9dc5;
  while (i < end && (c = text.charCodeAt(i)) < 128 && HEX[c] === 1) {
    h = Math.imul(h ^ c, 0x01000193);
    i++;
  }
  if (i === addrStart || i === end || !(c === 32 || c === 9)) return false;
  i++;
  while (i < end && ((c = text.charCodeAt(i)) === 32 || c === 9)) i++;
  // Perl's \s also takes \v, \f and \r, which the frame split does not skip.
  if (i === end || c === 40 || (c >= 11 && c <= 13)) return false;
  out.start = i;
  out.addrHash = h;
  return true;
}

/**
 * Whether the Perl's stack-line regex matches a line accepted by
 * scanFrameText(): whether its frame text, which ends at `end`, has a " ("
 * (the first one is at `open`; any value >= end when there is none) with a
 * ')' at least two characters after it. (The prefix cannot hold the " (", and
 * it always gives the regex's `\w+` and `(.+)` a character each.) Outside a
 * sample this is all the Perl's reading decides: whether to warn.
 */
export function frameTextMatches(text: string, open: number, end: number): boolean {
  if (open + 2 >= end) return false;
  if (text.charCodeAt(end - 1) === 41) return true;
  for (let q = end - 2; q >= open + 2; q--) if (text.charCodeAt(q) === 41) return true;
  return false;
}

const span = newFrameSpan();

/**
 * The fast path's names for a whole line accepted by scanFrameText(), root
 * first; null when the Perl skips the line; undefined when the fast path
 * cannot vouch for it (the general path then decides). A function of the
 * frame text alone (see the top of this file), so it may be cached by it.
 */
export function frameTextNames(line: string, java: boolean, opts: PerlTidyOptions): string[] | null | undefined {
  // perlExact: the regex splits the line exactly where parseFrameLine does.
  if (!parseFrameLine(line, 0, span) || !span.perlExact) return undefined;
  // With --addrs an unresolved frame's name holds its address, which is not
  // part of the frame text.
  if (opts.includeAddrs && line.includes('[unknown]')) return undefined;
  // An empty symbol: the regex's (.+) then takes the one blank before " (".
  const empty = span.symStart === span.rawEnd;
  const rawfunc = empty ? line.slice(span.rawEnd - 1, span.rawEnd) : line.slice(span.symStart, span.symEnd);
  const mod = line.slice(span.dsoStart, span.dsoEnd);
  const pc = line.slice(span.addrStart, span.addrEnd);
  return perlFrameNames(rawfunc, mod, pc, java, opts);
}

/**
 * The general path: the names the Perl's stack-line branch gives `line`, root
 * first; null when it skips the line; undefined when the regex does not match
 * (an unrecognized line).
 */
export function perlStackLineNames(line: string, java: boolean, opts: PerlTidyOptions): string[] | null | undefined {
  const m = PERL_STACK_LINE.exec(line);
  if (!m) return undefined;
  return perlFrameNames(stripPerlOffset(m[2]), m[3], m[1], java, opts);
}
