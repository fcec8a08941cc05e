/**
 * `guestperf collapse --inferno`: inferno-collapse-perf's line rules
 * (inferno-rules.ts) one by one, and its state machine (inferno-collapse.ts)
 * on small inputs and, chunked anyhow, on every perf script input of the
 * corpora. The corpora's inferno results are checked in test/cli/collapse.test.ts.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type CollapseOptions, PerfScriptCollapser, createCollapser } from '../../profile/formats/perf-script/collapse';
import { InfernoCollapser } from '../../profile/formats/perf-script/inferno-collapse';
import {
  InfernoEventParts,
  InfernoEventTail,
  InfernoStackParts,
  fixHalfDemangledRust,
  infernoEventParts,
  infernoEventTail,
  infernoFrameNames,
  infernoStackPc,
  isInfernoJit,
  isInfernoKernel,
  parseUsize,
  rustTrim,
  stripInfernoOffset,
  tidyInfernoGeneric,
} from '../../profile/formats/perf-script/inferno-rules';
import { perfScriptInputs } from '../helpers/perf-inputs';

const PLAIN = { annotateKernel: false, annotateJit: false, includeAddrs: false };
const ALL = { annotateKernel: true, annotateJit: true, includeAddrs: false };
const ADDRS = { annotateKernel: false, annotateJit: false, includeAddrs: true };

function fold(text: string | Uint8Array, options: CollapseOptions = {}) {
  const c = createCollapser({ ...options, inferno: true });
  c.push(typeof text === 'string' ? new TextEncoder().encode(text) : text);
  return c.finish();
}

describe('inferno rules: event lines', () => {
  const parts = (line: string) => {
    const p = new InfernoEventParts();
    return infernoEventParts(line, p) ? [p.comm, p.pid, p.tid, line.slice(p.end)] : null;
  };

  it('splits at the first all-digit word after a space: pid/tid, or a tid alone', () => {
    expect(parts('java 25607 4794564.109216: cycles:')).toEqual(['java', '?', '25607', '4794564.109216: cycles:']);
    expect(parts('V8 WorkerThread 24636/25607 [000] 1.5: cycles:')).toEqual(['V8 WorkerThread', '24636', '25607', '[000] 1.5: cycles:']);
    expect(parts('a/b 1/2/3 x')).toEqual(['a/b', '1/2', '3', 'x']);
    // The first word never counts, blanks around the comm go (right-aligned comms).
    expect(parts('12 34 x')).toEqual(['12', '?', '34', 'x']);
    expect(parts('      false  39654 1.0: cycles:')).toEqual(['false', '?', '39654', '1.0: cycles:']);
  });

  it('needs a space after the word; only spaces separate words', () => {
    expect(parts('comm 123')).toBeNull();
    expect(parts('comm\t123 1.0: cycles:')).toBeNull();
    expect(parts('')).toBeNull();
  });

  const tail = (rest: string) => {
    const t = new InfernoEventTail();
    infernoEventTail(rest, t);
    return [t.event, t.period, t.stack];
  };

  it('reads the event and period between the first two colons, and a frame after them', () => {
    expect(tail('4794564.109216: cycles:')).toEqual(['cycles', undefined, undefined]);
    expect(tail('72.176760:     257597 cycles:uppp:')).toEqual(['cycles', 257597, undefined]);
    expect(tail('1.0:      34467 cycles:u:  ffffffff9aa3c8de [unknown] ([unknown])')).toEqual([
      'cycles',
      34467,
      'ffffffff9aa3c8de [unknown] ([unknown])',
    ]);
    expect(tail('1.0:      1 cycles:      7fa68b1f2d84 _dl_start+0x4 (/usr/lib/ld-2.31.so)')).toEqual([
      'cycles',
      1,
      '7fa68b1f2d84 _dl_start+0x4 (/usr/lib/ld-2.31.so)',
    ]);
    // A tracepoint's payload reads as a frame (and then as a weird stack line).
    expect(tail('1.0: sched:sched_switch: prev_comm=a')).toEqual(['sched', undefined, 'prev_comm=a']);
    expect(tail('1.0: 7 cpu-clock')).toEqual(['cpu-clock', 7, undefined]);
    expect(tail('1.0:cycles:')).toEqual(['cycles', undefined, undefined]);
    expect(tail('no colon')).toEqual([undefined, undefined, undefined]);
  });

  it('takes the period as a Rust usize', () => {
    expect([parseUsize('0'), parseUsize('+7'), parseUsize('007'), parseUsize('')]).toEqual([0, 7, 7, undefined]);
    expect([parseUsize('+'), parseUsize('-1'), parseUsize('1.5'), parseUsize(' 1')]).toEqual([undefined, undefined, undefined, undefined]);
    expect(parseUsize('18446744073709551615')).toBe(18446744073709551615n);
    expect(parseUsize('18446744073709551616')).toBeUndefined();
    expect(parseUsize('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('inferno rules: stack lines', () => {
  it('splits the pc at the first space', () => {
    const sp = new InfernoStackParts();
    expect(infernoStackPc('\t  7f00 f+0x1 (/x)', sp)).toBe(true);
    expect([sp.pc, sp.rest]).toEqual(['7f00', 'f+0x1 (/x)']);
    expect(infernoStackPc('  7f00', sp)).toBe(false);
  });

  it('strips an offset of hex digits (any case, even none) after the last "+0x"', () => {
    expect(['f+0x1aF', 'f+0x', 'f+0x1g', 'a+0x1+0x2', 'f'].map(stripInfernoOffset)).toEqual(['f', 'f', 'f+0x1g', 'a+0x1', 'f']);
  });

  it('cuts a name at its first top-level "("', () => {
    const cases: [string, string][] = [
      ['std::vector<int>::push_back(int const&)', 'std::vector<int>::push_back'],
      ['Foo<Bar(int)>::baz(char)', 'Foo<Bar(int)>::baz'],
      ['main::{lambda(auto)#1}::operator()(auto) const', 'main::{lambda(auto)#1}::operator'],
      ['std::function<int (char)>::operator()(char) const', 'std::function<int (char)>::operator'],
      ['net/http.(*conn).serve', 'net/http.(*conn).serve'],
      ['(anonymous namespace)::helper(int)', '(anonymous namespace)::helper'],
      ['x[(y)]::z(w)', 'x[(y)]::z'],
      // A closer takes the depth below 0, where nothing is cut.
      ['operator>(a)', 'operator>(a)'],
      ['a;b(c);d', 'a:b'],
      ["say 'hi'(x)", "say 'hi'"],
    ];
    expect(cases.map(([input]) => tidyInfernoGeneric(input))).toEqual(cases.map(([, out]) => out));
  });

  it('demangles what perf left of legacy Rust names, and only names ending in a hash', () => {
    expect(
      fixHalfDemangledRust('_$LT$alloc..vec..Vec$LT$T$GT$$u20$as$u20$core..ops..Drop$GT$::drop::h0123456789abcdef'),
    ).toBe('<alloc::vec::Vec<T> as core::ops::Drop>::drop');
    expect(fixHalfDemangledRust('a.b$RF$c$u7b$$u7d$::h0123456789ABCDEF')).toBe('a.b&c{}');
    // An unknown escape keeps the rest as it is.
    expect(fixHalfDemangledRust('a$ZZ$b..c::h0123456789abcdef')).toBe('a$ZZ$b..c');
    for (const s of ['main', 'f::h0123', 'f::h0123456789abcdeg', 'f::g0123456789abcdef', 'core..fmt..write']) {
      expect(fixHalfDemangledRust(s)).toBe(s);
    }
  });

  it('names a line: dso fallback for [unknown], Java inlining, tidy rules', () => {
    expect(infernoFrameNames('foo(int)+0x10 (/bin/x)', '1', false, PLAIN)).toEqual(['foo']);
    expect(infernoFrameNames('[unknown] (/usr/lib/libc.so.6)', '7f', false, PLAIN)).toEqual(['[libc.so.6]']);
    expect(infernoFrameNames('[unknown] (/usr/lib/libc.so.6)', '7f', false, ADDRS)).toEqual(['[libc.so.6 <7f>]']);
    expect(infernoFrameNames('[unknown] ([unknown])', '7f', false, PLAIN)).toEqual(['[unknown]']);
    expect(infernoFrameNames('[unknown] ([unknown])', '7f', false, ADDRS)).toEqual(['[unknown <7f>]']);
    expect(infernoFrameNames('La/B;::f->La/C;::g_[i]+0x4 (/tmp/perf-1.map)', '1', true, ALL)).toEqual([
      'a/B:::f_[j]',
      'a/C:::g_[i]',
    ]);
    expect(infernoFrameNames('La/B;::f (/bin/x)', '1', false, ALL)).toEqual(['La/B:::f']);
    // An empty symbol reads as one blank; one starting with '(' skips the line.
    expect(infernoFrameNames(' (/lib/x.so)', '1', false, PLAIN)).toEqual([' ']);
    expect(infernoFrameNames('(anon)+0x1 (/x)', '1', false, PLAIN)).toBeNull();
    // The last word must be "(dso)".
    expect(infernoFrameNames('f (/path with space/x.so)', '1', false, PLAIN)).toBeUndefined();
    expect(infernoFrameNames('f', '1', false, PLAIN)).toBeUndefined();
    expect(infernoFrameNames('f ()', '1', false, PLAIN)).toEqual(['f']);
  });

  it('marks kernel and JIT frames by their dso', () => {
    const kernel = ['[kernel.kallsyms]', '[nf_conntrack]', '/lib/modules/6.1/kernel/x.ko', '/boot/vmlinux', '/usr/lib/debug/boot/vmlinux-5.4.14-cloudflare-2020.1.11'];
    const notKernel = ['[unknown]', '/boot/vmlinux-5.4 x', '/boot/vmlinux/x', '/lib/x.ko.gz', '/usr/bin/vmlinuz'];
    expect(kernel.map(isInfernoKernel)).toEqual(kernel.map(() => true));
    expect(notKernel.map(isInfernoKernel)).toEqual(notKernel.map(() => false));
    const jit = ['/tmp/perf-12.map', '/tmp/perf-x.map', '/home/u/.debug/jit/jitted-31714-41.so'];
    const notJit = ['/tmp/perf-12.map.old', 'jitted-1.so', '/tmp/jitted-1.so.1'];
    expect(jit.map(isInfernoJit)).toEqual(jit.map(() => true));
    expect(notJit.map(isInfernoJit)).toEqual(notJit.map(() => false));
    expect(infernoFrameNames('f_[j] (/tmp/perf-1.map)', '1', false, ALL)).toEqual(['f_[j]']);
    expect(infernoFrameNames('f ([kernel.kallsyms])', '1', false, ALL)).toEqual(['f_[k]']);
  });

  it('trims Unicode whitespace as Rust does (not U+FEFF)', () => {
    expect(rustTrim('\u0085\u3000 a\u2028\t')).toBe('a');
    expect(rustTrim('\ufeffa')).toBe('\ufeffa');
  });
});

describe('inferno collapse: the state machine', () => {
  it('is what createCollapser picks for inferno, and only then', () => {
    expect(createCollapser({ inferno: true })).toBeInstanceOf(InfernoCollapser);
    expect(createCollapser({})).toBeInstanceOf(PerfScriptCollapser);
  });

  it('counts the last sample, weighs samples by their period (0 weighs 0), and reads stacks leaf first', () => {
    const text = 'p 1 1.0: 5 cycles:\n\t1 leaf (/x)\n\t2 mid (/x)\n\np 1 2.0: 0 cycles:\n\t1 other (/x)\n\np 1 3.0: 7 cycles:\n\t1 leaf (/x)\n\t2 mid (/x)';
    expect(fold(text).lines).toEqual(['p;mid;leaf 12', 'p;other 0']);
  });

  it('weighs 1 without a period, and sums as usize (wrapping at 2^64)', () => {
    expect(fold('p 1 1.0: cycles:\n\t1 f (/x)\n').lines).toEqual(['p;f 1']);
    const max = '18446744073709551615';
    expect(fold(`p 1 1.0: ${max} cycles:\n\t1 f (/x)\n\np 1 1.0: ${max} cycles:\n\t1 g (/x)\n\np 1 1.0: 2 cycles:\n\t1 g (/x)\n`).lines).toEqual([
      `p;f ${max}`,
      'p;g 1',
    ]);
  });

  it('names the root comm, comm-pid or comm-pid/tid', () => {
    const text = 'my comm 12/34 1.0: cycles:\n\t1 f (/x)\n\nother 56 1.0: cycles:\n\t1 f (/x)\n';
    expect(fold(text).lines).toEqual(['my_comm;f 1', 'other;f 1']);
    expect(fold(text, { pid: true }).lines).toEqual(['my_comm-12;f 1', 'other-?;f 1']);
    expect(fold(text, { tid: true }).lines).toEqual(['my_comm-12/34;f 1', 'other-?/56;f 1']);
  });

  it('tidies java names for every comm starting "java"', () => {
    const text = 'java 1 1.0: cycles:\n\t1 La/B;::f (/x)\n\njavac 1 1.0: cycles:\n\t1 La/B;::f (/x)\n\njav 1 1.0: cycles:\n\t1 La/B;::f (/x)\n';
    expect(fold(text).lines).toEqual(['jav;La/B:::f 1', 'java;a/B:::f 1', 'javac;a/B:::f 1']);
  });

  it('keeps the first event (or --event-filter), skipping the whole of other samples', () => {
    const text =
      'p 1 1.0: 3 cycles:\n\t1 f (/x)\n\n' +
      'p 1 2.0: 4 instructions:\n\t1 g (/x)\n\n' +
      'p 1 3.0: 5 instructions:  1 h (/x)\n' +
      // Skipped as a stack line of the filtered sample before it.
      'p 1 4.0: 6 cycles:  1 i (/x)\n\n' +
      'p 1 5.0: 7 cycles:  1 j (/x)\n';
    const r = fold(text);
    expect(r.lines).toEqual(['p;f 3', 'p;j 7']);
    expect(r.warnings).toEqual([
      'kept only samples of event "cycles" (the first one seen); dropped 2 samples of other events such as "instructions" (choose one with --event-filter)',
    ]);
    const chosen = fold(text, { eventFilter: 'instructions' });
    expect([chosen.lines, chosen.warnings]).toEqual([['p;g 4', 'p;h 5'], []]);
  });

  it('reads any line outside a sample as an event line, and any line inside one as a stack line', () => {
    const text =
      '# comment\n' +
      '   # not a comment: a weird event line\n' +
      'p 1 1.0: cycles:\n' +
      '\t1 f (/x)\n' +
      'q 2 2.0: cycles:\n' +
      '\t2 g (/x)\n' +
      ' \t \n' +
      'r 3 3.0: cycles:\n' +
      '\t3 h (/x)\r\n';
    const r = fold(text);
    expect(r.lines).toEqual(['p;g;f 1', 'r;h 1']);
    expect(r.warnings).toEqual(['2 unrecognized lines skipped (first at line 2)']);
  });

  it('keeps a byte order mark and replaces invalid UTF-8', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('p 1 1.0: cycles:\n\t1 f'), 0xff, ...new TextEncoder().encode(' (/x)\n')]);
    expect(fold(bytes).lines).toEqual(['\ufeffp;f\ufffd 1']);
  });

  it('merges stacks that join to the same text, as inferno keys them', () => {
    const text = 'a;b 1 1.0: 5 cycles:\n\t1 c (/x)\n\na 2 1.0: 7 cycles:\n\t1 c (/x)\n\t2 b (/x)\n';
    expect(fold(text).lines).toEqual(['a;b;c 12']);
  });

  it('folds every perf script input of the corpora the same whatever the chunk boundaries', () => {
    for (const path of perfScriptInputs()) {
      let bytes: Uint8Array = readFileSync(path);
      if (path.endsWith('.gz')) bytes = gunzipSync(bytes);
      for (const options of [{}, { all: true, addrs: true, tid: true }] as CollapseOptions[]) {
        const whole = fold(bytes, options);
        const c = createCollapser({ ...options, inferno: true });
        for (let i = 0, n = 1; i < bytes.length; i += n, n = 1 + ((n * 7 + 3) % 4099)) c.push(bytes.subarray(i, i + n));
        expect(c.finish(), path).toEqual(whole);
      }
    }
  });
});
