/**
 * The collapser's frame fast path (collapse-frame.ts) against its general
 * path, stackcollapse-perf.pl's stack-line regex: on every callchain line of
 * the corpora and fixtures, on mutated copies of them, and on random lines
 * made of the characters the rules care about.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FrameText,
  frameTextMatches,
  frameTextNames,
  perlStackLineNames,
  scanFrameText,
} from '../../profile/formats/perf-script/collapse-frame';
import { PERL_STACK_LINE, type PerlTidyOptions } from '../../profile/formats/perf-script/perl-rules';
import { perfScriptInputs } from '../helpers/perf-inputs';

const OPTIONS: PerlTidyOptions[] = [
  { annotateKernel: false, annotateJit: false, includeAddrs: false },
  { annotateKernel: true, annotateJit: true, includeAddrs: false },
  { annotateKernel: true, annotateJit: true, includeAddrs: true },
];

/** Other prefixes (blanks, address, blanks) to put before a line's frame text. */
const PREFIXES = ['\t1 ', '  ffffffff8100aB \t '];

/**
 * What is wrong with the fast path on `line` (a line as the collapser sees
 * it: no '\n', one trailing '\r' dropped), or null when nothing is.
 */
function check(line: string): string | null {
  const c0 = line.charCodeAt(0);
  const ft = new FrameText();
  // The collapser tries the fast path on indented lines only.
  if ((c0 !== 32 && c0 !== 9) || !scanFrameText(line, 0, line.length, ft)) return null;
  const start = ft.start;
  const open = line.indexOf(' (', start);
  if (frameTextMatches(line, open < 0 ? line.length : open, line.length) !== PERL_STACK_LINE.test(line)) {
    return 'frameTextMatches disagrees with the regex';
  }
  for (const opts of OPTIONS) {
    for (const java of [false, true]) {
      const fast = frameTextNames(line, java, opts);
      const where = `(java ${java}, ${JSON.stringify(opts)})`;
      if (fast !== undefined) {
        const general = perlStackLineNames(line, java, opts);
        if (JSON.stringify(fast) !== JSON.stringify(general)) {
          return `fast ${JSON.stringify(fast)} but general ${JSON.stringify(general)} ${where}`;
        }
      }
      // The cache key is the frame text: another prefix must not change the result.
      for (const prefix of PREFIXES) {
        const other = prefix + line.slice(start);
        const oft = new FrameText();
        if (!scanFrameText(other, 0, other.length, oft) || oft.start !== prefix.length) {
          return `the frame text is not found after prefix ${JSON.stringify(prefix)}`;
        }
        if (JSON.stringify(frameTextNames(other, java, opts)) !== JSON.stringify(fast)) {
          return `prefix ${JSON.stringify(prefix)} changes the names ${where}`;
        }
      }
    }
  }
  return null;
}

function failures(lines: Iterable<string>): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const problem = check(line);
    if (problem !== null) out.push(`${JSON.stringify(line)}: ${problem}`);
  }
  return out;
}

/** Every distinct line of the perf script inputs, split as the collapser splits them. */
function corpusLines(): Set<string> {
  const lines = new Set<string>();
  for (const path of perfScriptInputs()) {
    let bytes: Uint8Array = readFileSync(path);
    if (path.endsWith('.gz')) bytes = gunzipSync(bytes);
    for (const line of new TextDecoder().decode(bytes).split('\n')) lines.add(line.endsWith('\r') ? line.slice(0, -1) : line);
  }
  return lines;
}

/** Edits that move a callchain line across the fast path's boundaries. */
const MUTATIONS: ((l: string) => string)[] = [
  (l) => l.replace(/\t/g, '    '),
  (l) => l.replace(/^(\s*[0-9a-fA-F]+) +/, '$1\t '),
  (l) => l.replace(/^(\s*[0-9a-fA-F]+) (\S)/, '$1 ($2'),
  (l) => l.replace(/^(\s*[0-9a-fA-F]+) \S.* \(/, '$1 ('),
  (l) => l.replace(/^(\s*[0-9a-fA-F]+) \S.* \(/, '$1  ('),
  (l) => l.replace(/\)$/, ''),
  (l) => l + ' trailing',
  (l) => l + ' \t',
  (l) => l + ')',
  (l) => l.replace(/ \(([^()]*)\)$/, ''),
  (l) => l.replace(/ \(/, ' ( ('),
  (l) => l.replace(/ \(/, '->inl->x; (q) ('),
  (l) => l.replace(/\S+ \(/, '[unknown] ('),
  (l) => l.replace(/\(([^()]*)\)$/, '([unknown])'),
  (l) => l.replace(/\(([^()]*)\)$/, '(/tmp/perf-123.map)'),
  (l) => l.replace(/\(([^()]*)\)$/, '(/boot/vmlinux)'),
  (l) => l.replace(/ (\S)/, ' L$1/x'),
  (l) => l.replace(/\+0x[0-9a-f]+/, '+0x1F'),
  (l) => l.replace(/\+0x[0-9a-f]+/, '+0x'),
  (l) => l.replace(/\+0x/, 'é+0x'),
  (l) => l.replace(/ /, ' \u{1F600}'),
  (l) => l.replace(/^(\s*)/, '$1\v'),
  (l) => l.replace(/^\s*[0-9a-fA-F]+/, '\tffff_x'),
  (l) => l.replace(/^\s*[0-9a-fA-F]+/, '\tf'),
];

describe('collapse frame fast path', () => {
  it('agrees with the general path on every corpus line and mutations of them', () => {
    const lines = corpusLines();
    const indented = [...lines].filter((l) => l.startsWith(' ') || l.startsWith('\t'));
    expect(indented.length).toBeGreaterThan(1000);
    const mutated = new Set<string>();
    for (const line of indented) for (const m of MUTATIONS) mutated.add(m(line));
    expect(failures(lines)).toEqual([]);
    expect(failures(mutated)).toEqual([]);
  });

  it('agrees with the general path on random callchain-like lines', () => {
    const token = fc.constantFrom(
      'a', 'Z', 'L', '_', '/', ':', ';', '.', '(', ')', ' (', ' ', '  ', '\t', '\v', '+0x', '+0x1f', '1f', 'F',
      '->', '[unknown]', 'vmlinux', '[kernel.kallsyms]', '/tmp/perf-12.map', "'", '"', 'anonymous namespace)',
      '.(', ').', '_[i]', '_[j]', '_[k]', 'é', '\u{1F600}', '\r',
    );
    const blanks = fc.array(fc.constantFrom(' ', '\t'), { minLength: 1, maxLength: 3 }).map((b) => b.join(''));
    const address = fc.stringMatching(/^[0-9a-fA-F]{1,16}$/);
    const line = fc
      .tuple(blanks, address, blanks, fc.array(token, { maxLength: 14 }))
      .map(([b1, addr, b2, body]) => b1 + addr + b2 + body.join(''));
    fc.assert(
      fc.property(line, (l) => {
        expect(check(l)).toBeNull();
      }),
      { numRuns: 20000 },
    );
  });
});
