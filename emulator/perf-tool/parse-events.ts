/**
 * perf's event-string grammar (tools/perf/util/parse-events.{l,y,c}, perf
 * 6.13+): comma lists of events and `{...}` groups with modifiers, turned
 * into evsels. Lexing follows perf's flex rules (longest match, earlier rule
 * on ties), so "cycles:ukx" fails where perf fails and errors carry perf's
 * columns and wording.
 *
 * Not modelled, each failing with a perf-style error: tracepoints (the
 * emulated tracefs has none, so `sys:event` fails as on a kernel without it),
 * breakpoints (`mem:`), tool events (duration_time...), json/metric events.
 * Legacy hardware events take only the common terms (period, name...).
 */
import { HW_CACHE_NAMES, HW_CACHE_OP_NAMES, HW_CACHE_RESULT_NAMES, decodeHwCacheName } from '../hw/event-codes';
import {
  PERF_TYPE_HARDWARE,
  PERF_TYPE_HW_CACHE,
  PERF_TYPE_RAW,
  PERF_TYPE_SOFTWARE,
  makeAttr,
} from '../perf/attr';
import { evselApplyEventString, type ConfigTermValue, type Evsel } from './evsel';
import { parseFormat, type SysfsPmu } from './pmu-sysfs';

export interface ParseEventsOptions {
  /** /sys/bus/event_source/devices of the machine perf runs on (pmusFor). */
  pmus: SysfsPmu[];
  /** 'kvm' is `perf kvm`, whose events default to one side of the guest boundary. */
  mode: 'perf' | 'kvm';
  /** perf kvm --host (default off). */
  kvmHost?: boolean;
  /** perf kvm --guest (default on; --no-guest turns it off). */
  kvmGuest?: boolean;
}

/** perf's terminal width when stderr is not a terminal: long strings are cut to fit it. */
const TERM_WIDTH = 80;
/** How far right perf lets the caret go before cutting the string's start. */
const MAX_ERR_IDX = 13;

/**
 * A parse failure, with perf's message (parse_events_error__print plus the
 * "Run 'perf list'" line). `column` is the 0-based offset into the string.
 * Errors perf reports without a position (an invalid cache event) have
 * `caret` false and the event's start as column.
 */
export class ParseEventsError extends Error {
  constructor(
    readonly input: string,
    readonly column: number,
    readonly reason: string,
    readonly help: string | null = null,
    readonly caret = true,
  ) {
    super(formatError(input, column, reason, help, caret));
    this.name = 'ParseEventsError';
  }
}

function formatError(input: string, column: number, reason: string, help: string | null, caret: boolean): string {
  const tail = "Run 'perf list' for a list of valid events";
  if (!caret) return `invalid or unsupported event: '${input}'\n${tail}`;
  const prefix = 'event syntax error: ';
  const maxLen = TERM_WIDTH - 2 - prefix.length;
  const cut = column > MAX_ERR_IDX ? column - MAX_ERR_IDX : 0;
  let shown = input.slice(cut, cut + maxLen);
  if (cut) shown = '..' + shown.slice(2);
  if (input.length - cut > maxLen) shown = shown.slice(0, maxLen - 2) + '..';
  // One more space for the opening quote: the caret sits under the column.
  const lines = [`${prefix}'${shown}'`, `${' '.repeat(prefix.length + column - cut + 1)}\\___ ${reason}`];
  if (help) lines.push('', help);
  lines.push(tail);
  return lines.join('\n');
}

/** Symbol → config, from perf's event_symbols tables: entry i is PERF_COUNT_{HW,SW}_* i and its aliases. */
const symbols = (table: string[][]) => new Map(table.flatMap((names, id) => names.map((n) => [n, id] as const)));
const HW_SYMBOLS = symbols([
  ['cpu-cycles', 'cycles'], ['instructions'], ['cache-references'], ['cache-misses'], ['branch-instructions', 'branches'],
  ['branch-misses'], ['bus-cycles'], ['stalled-cycles-frontend', 'idle-cycles-frontend'],
  ['stalled-cycles-backend', 'idle-cycles-backend'], ['ref-cycles'],
]);
const SW_SYMBOLS = symbols([
  ['cpu-clock'], ['task-clock'], ['page-faults', 'faults'], ['context-switches', 'cs'], ['cpu-migrations', 'migrations'],
  ['minor-faults'], ['major-faults'], ['alignment-faults'], ['emulation-faults'], ['dummy'], ['bpf-output'],
  ['cgroup-switches'],
]);
/** Terms every event takes (config_term_names); the rest come from the PMU's format/. */
const STATIC_TERMS = [
  'config', 'config1', 'config2', 'config3', 'name', 'period', 'freq', 'branch_type', 'time',
  'call-graph', 'stack-size', 'max-stack', 'nr', 'inherit', 'no-inherit', 'overwrite',
  'no-overwrite', 'percore', 'aux-output', 'aux-sample-size', 'metric-id', 'cpu',
];

// Alternatives longest first, so a regex alternation finds flex's longest match.
const alternation = (words: readonly string[]) => [...words].sort((a, b) => b.length - a.length).join('|');
const LC_TYPE = alternation(HW_CACHE_NAMES.flat());
const LC_OP_RESULT = alternation([...HW_CACHE_OP_NAMES.flat(), ...HW_CACHE_RESULT_NAMES.flat()]);
const CACHE_RE = new RegExp(`(?:${LC_TYPE})(?:-(?:${LC_OP_RESULT})){0,2}`, 'y');
const RAW_RE = /r[0-9a-fA-F]+/y;
const CONFIG_RAW_RE = /r0x[0-9a-fA-F]+|r[0-9a-fA-F]+/y;
const NUM_RE = /0x[0-9a-fA-F]+|[0-9]+/y;
// 'b' (BPF counters), 'R' (TPEBS retire latency) and 'X' (no regrouping) are
// accepted as perf does; guestperf has nothing for them to change.
const MOD_RE = /[ukhpPGHSDIWebRX]{1,15}/y;
const NAME_RE = /[a-zA-Z_*?[\]][a-zA-Z0-9_*?.[\]]*/y;
const NAME_MINUS_RE = /[a-zA-Z_*?][a-zA-Z0-9\-_*?.:]*/y;
const NAME_TAG_RE = /'[a-zA-Z_*?[\]][a-zA-Z0-9_*?\-,.[\]:=]*'/y;
const U64_MAX = (1n << 64n) - 1n;

interface Token {
  /** hw, sw, cache, mem, raw, num, mod, name, term (a static term), error, end, or the punctuation itself. */
  kind: string;
  text: string;
  start: number;
  end: number;
}

function matchLen(re: RegExp, s: string, pos: number): number {
  re.lastIndex = pos;
  const m = re.exec(s);
  return m ? m[0].length : 0;
}

function longestWord(words: Iterable<string>, s: string, pos: number): number {
  let best = 0;
  for (const w of words) if (w.length > best && s.startsWith(w, pos)) best = w.length;
  return best;
}

/** One token, by flex's rules: `config` lexes the inside of `/.../` (an inclusive start condition). */
function lex(s: string, pos: number, config: boolean): Token {
  if (pos >= s.length) return { kind: 'end', text: '', start: pos, end: pos };
  let best: Token | null = null;
  const offer = (kind: string, len: number) => {
    if (len > 0 && (!best || len > best.end - best.start)) best = { kind, text: s.slice(pos, pos + len), start: pos, end: pos + len };
  };
  if (config) {
    offer('term', longestWord(STATIC_TERMS, s, pos));
    offer('raw', matchLen(CONFIG_RAW_RE, s, pos));
    offer('name', matchLen(NAME_MINUS_RE, s, pos));
  } else {
    offer('hw', longestWord(HW_SYMBOLS.keys(), s, pos));
    offer('sw', longestWord(SW_SYMBOLS.keys(), s, pos));
    offer('cache', matchLen(CACHE_RE, s, pos));
    offer('mem', s.startsWith('mem:', pos) ? 4 : 0);
    offer('raw', matchLen(RAW_RE, s, pos));
  }
  offer('num', matchLen(NUM_RE, s, pos));
  if (!config) offer('mod', matchLen(MOD_RE, s, pos));
  if (!config) offer('name', matchLen(NAME_RE, s, pos));
  offer('name', matchLen(NAME_TAG_RE, s, pos));
  const tok: Token = best ?? { kind: '/,:{}=-'.includes(s[pos]) ? s[pos] : 'error', text: s[pos], start: pos, end: pos + 1 };
  // The lexer's strtoull fails on overflow and returns PE_ERROR.
  if (tok.kind === 'num' && BigInt(tok.text) > U64_MAX) tok.kind = 'error';
  return tok;
}

/** The lexer's {event_pmu} / {event} patterns: the text perf names an event after. */
function eventExtent(s: string, start: number): number {
  const plain = (from: number) => {
    let i = from;
    while (i < s.length && !',{}/'.includes(s[i])) i++;
    return i;
  };
  const end = plain(start);
  if (end === start || s[end] !== '/') return end;
  const close = s.indexOf('/', end + 1);
  return close < 0 ? end : plain(close + 1);
}

interface Term {
  key: string;
  kind: 'term' | 'raw' | 'name';
  /** null for a term written without `=value`. */
  value: bigint | string | null;
  start: number;
  valueStart: number;
}

/** Modifier letters of one `:mods` token; 'p' may repeat and counts. */
interface Modifiers {
  letters: Set<string>;
  precise: number;
  start: number;
}
const MOD_NAMES: Record<string, string> = {
  u: 'user', k: 'kernel', h: 'hypervisor', I: 'non_idle', G: 'guest', H: 'host', P: 'precise_max',
  S: 'sample_read', D: 'pinned', W: 'weak', e: 'exclusive', b: 'bpf', R: 'retire_lat', X: 'dont_regroup',
};

class EventParser {
  private pos = 0;
  /** First column of the last token read: where perf's "Unrecognized input" points. */
  private lastStart = 0;
  private readonly evlist: Evsel[] = [];
  private readonly core: SysfsPmu | undefined;

  constructor(
    private readonly str: string,
    private readonly opts: ParseEventsOptions,
  ) {
    this.core = opts.pmus.find((p) => p.core);
  }

  parse(): Evsel[] {
    for (;;) {
      if (/[^,{}/]*\{/y.test(this.str.slice(this.pos))) this.parseGroup();
      else this.parseEvent();
      const t = this.peek();
      if (t.kind === 'end') break;
      if (t.kind !== ',') this.unexpected();
      this.take();
    }
    evselApplyEventString(this.evlist);
    return this.evlist;
  }

  private fail(column: number, reason: string, help: string | null = null): never {
    throw new ParseEventsError(this.str, column, reason, help);
  }

  private unexpected(): never {
    this.fail(this.lastStart, 'Unrecognized input');
  }

  private peek(config = false): Token {
    return lex(this.str, this.pos, config);
  }

  private take(config = false): Token {
    const t = this.peek(config);
    this.pos = t.end;
    this.lastStart = t.start;
    return t;
  }

  private parseGroup(): void {
    let groupName: string | null = null;
    if (this.str[this.pos] !== '{') {
      const t = this.peek();
      if (t.kind !== 'name' || this.str[t.end] !== '{') this.unexpected();
      groupName = this.take().text;
    }
    this.take();
    const members: Evsel[] = [];
    for (;;) {
      members.push(...this.parseEvent());
      const t = this.peek();
      if (t.kind === '}') break;
      if (t.kind !== ',') this.unexpected();
      this.take();
    }
    this.take();
    // parse_events__set_leader: only now do members stop leading themselves.
    members.forEach((m, i) => Object.assign(m, { leader: members[0].idx, groupIdx: i, nrMembers: members.length }));
    members[0].groupName = groupName;
    if (this.peek().kind !== ':') return;
    this.take();
    if (this.peek().kind !== 'mod') this.unexpected();
    this.applyModifiers(members, this.readModifiers(), true);
  }

  private parseEvent(): Evsel[] {
    const start = this.pos;
    const end = eventExtent(this.str, start);
    if (end === start) this.unexpected();
    this.lastStart = start; // the lexer's PE_EVENT_NAME token
    const { evsels, colonAllowed, name } = this.parseEventDef();
    for (const e of evsels) e.name = name ?? this.str.slice(start, end);
    if (colonAllowed && this.peek().kind === ':') this.take();
    if (this.peek().kind === 'mod') this.applyModifiers(evsels, this.readModifiers(), false);
    if (this.pos !== end) this.unexpected();
    return evsels;
  }

  private parseEventDef(): { evsels: Evsel[]; colonAllowed: boolean; name: string | null } {
    const head = this.take();
    const core = this.core?.name ?? 'cpu';
    const one = (evsel: Evsel, terms: Term[] | null, pmu: SysfsPmu | null, slashesEndIt: boolean) => ({
      evsels: [evsel],
      colonAllowed: !(slashesEndIt && terms),
      name: terms ? this.applyTerms(evsel, terms, pmu) : null,
    });
    switch (head.kind) {
      case 'hw':
        return one(this.addEvsel(PERF_TYPE_HARDWARE, BigInt(HW_SYMBOLS.get(head.text)!), core), this.optTerms(), null, true);
      case 'sw':
        return one(this.addEvsel(PERF_TYPE_SOFTWARE, BigInt(SW_SYMBOLS.get(head.text)!), 'software'), this.optTerms(), null, true);
      case 'cache': {
        const config = decodeHwCacheName(head.text);
        if (config === null) throw new ParseEventsError(this.str, head.start, 'invalid or unsupported event', null, false);
        return one(this.addEvsel(PERF_TYPE_HW_CACHE, config, core), this.optTerms(), null, false);
      }
      case 'raw':
        return one(this.addEvsel(PERF_TYPE_RAW, BigInt(`0x${head.text.slice(1)}`), core), this.optTerms(), null, false);
      case 'num': {
        if (this.peek().kind !== ':') this.unexpected();
        this.take();
        if (this.peek().kind !== 'num') this.unexpected();
        const type = Number(BigInt(head.text) & 0xffffffffn);
        const config = BigInt(this.take().text);
        return one(this.addEvsel(type, config, this.pmuNameForType(type)), this.optTerms(), null, false);
      }
      case 'name':
        return this.parseNamedEvent(head);
      case 'mem':
        return this.fail(head.start, 'breakpoint events are not modelled', 'guestperf has no hardware breakpoints (mem:<addr>)');
      default:
        return this.unexpected();
    }
  }

  /** PMU syntax `pmu/terms/`, a sysfs alias (`inst_retired`, `cpu_cycles/period=9/`) or a tracepoint. */
  private parseNamedEvent(head: Token): { evsels: Evsel[]; colonAllowed: boolean; name: string | null } {
    const next = this.peek();
    const event = lex(this.str, next.end, false);
    if (next.kind === ':' && event.kind === 'name') {
      this.fail(
        head.start,
        'unknown tracepoint',
        `Error:\tFile /sys/kernel/tracing/events/${head.text}/${event.text} not found.\n` +
          'Hint:\tPerhaps this kernel misses some CONFIG_ setting to enable this feature?.',
      );
    }
    const terms = next.kind === '/' ? this.parseTerms() : null;
    const pmu = terms ? this.findPmu(head.text) : undefined;
    if (pmu && terms) {
      const evsel = this.addEvsel(pmu.type, 0n, pmu.name);
      return { evsels: [evsel], colonAllowed: false, name: this.applyTerms(evsel, terms, pmu) };
    }
    const owners = this.opts.pmus.filter((p) => aliasOf(p, head.text) !== undefined);
    if (!owners.length) {
      if (terms) this.fail(head.start, 'Bad event or PMU', `Unable to find PMU or event on a PMU of '${head.text}'`);
      this.fail(head.start, 'Bad event name', `Unable to find event on a PMU of '${head.text}'`);
    }
    const evsels: Evsel[] = [];
    let name: string | null = null;
    for (const pmu of owners) {
      const evsel = this.addEvsel(pmu.type, 0n, pmu.name);
      this.applyTerm(evsel, { key: head.text, kind: 'name', value: null, start: head.start, valueStart: head.start }, pmu);
      name = this.applyTerms(evsel, terms ?? [], pmu) ?? name;
      evsels.push(evsel);
    }
    return { evsels, colonAllowed: !terms, name };
  }

  /** perf_pmus__find, plus the wildcard match that ignores a numeric `_N` suffix. */
  private findPmu(name: string): SysfsPmu | undefined {
    const pmus = this.opts.pmus;
    return pmus.find((p) => p.name === name) ?? pmus.find((p) => p.name.replace(/_\d+$/, '') === name);
  }

  private pmuNameForType(type: number): string {
    if (type === PERF_TYPE_HARDWARE || type === PERF_TYPE_HW_CACHE || type === PERF_TYPE_RAW) return this.core?.name ?? 'cpu';
    return this.opts.pmus.find((p) => p.type === type)?.name ?? '';
  }

  /** __add_event + event_attr_init: under perf kvm every event starts on one side of the guest boundary. */
  private addEvsel(type: number, config: bigint, pmu: string): Evsel {
    const attr = makeAttr({ type, config });
    if (this.opts.mode === 'kvm') {
      attr.exclude_host = !(this.opts.kvmHost ?? false);
      attr.exclude_guest = !(this.opts.kvmGuest ?? true);
    }
    const idx = this.evlist.length;
    const evsel: Evsel = {
      idx, name: '', attr, pmu, leader: idx, groupIdx: 0, nrMembers: 1, groupName: null, explicitGH: false,
      preciseMax: false, weakGroup: false, sampleRead: false, configTerms: new Map(), preciseIpOriginal: 0,
    };
    this.evlist.push(evsel);
    return evsel;
  }

  private optTerms(): Term[] | null {
    return this.peek().kind === '/' ? this.parseTerms() : null;
  }

  /** `/term,term=value/`; `//` gives no terms. */
  private parseTerms(): Term[] {
    this.take();
    const terms: Term[] = [];
    if (this.peek(true).kind === '/') {
      this.take(true);
      return terms;
    }
    for (;;) {
      const key = this.peek(true);
      if (key.kind !== 'term' && key.kind !== 'raw' && key.kind !== 'name') this.unexpected();
      this.take(true);
      const term: Term = { key: key.text, kind: key.kind, value: null, start: key.start, valueStart: key.start };
      if (key.kind === 'raw') term.value = BigInt(`0x${key.text.replace(/^r(0x)?/, '')}`);
      else if (this.peek(true).kind === '=') {
        this.take(true);
        const v = this.peek(true);
        if (!['num', 'name', 'raw', 'term'].includes(v.kind)) this.unexpected();
        this.take(true);
        term.valueStart = v.start;
        term.value = v.kind === 'num' ? BigInt(v.text) : v.text.replace(/^'(.*)'$/, '$1');
      }
      terms.push(term);
      const sep = this.peek(true);
      if (sep.kind !== ',' && sep.kind !== '/') this.unexpected();
      this.take(true);
      if (sep.kind === '/') return terms;
    }
  }

  /** Apply terms to an evsel; returns the name= term if there was one. */
  private applyTerms(evsel: Evsel, terms: Term[], pmu: SysfsPmu | null): string | null {
    let name: string | null = null;
    for (const term of terms) name = this.applyTerm(evsel, term, pmu) ?? name;
    return name;
  }

  private applyTerm(evsel: Evsel, term: Term, pmu: SysfsPmu | null): string | null {
    const { attr } = evsel;
    const num = (): bigint => {
      if (typeof term.value === 'string') this.fail(term.valueStart, 'expected numeric value');
      return term.value ?? 1n;
    };
    if (term.kind === 'term') {
      switch (term.key) {
        case 'config':
        case 'config1':
        case 'config2':
        case 'config3':
          attr[term.key] = num();
          return null;
        case 'name':
          if (typeof term.value !== 'string') this.fail(term.valueStart, 'expected string value');
          return term.value;
        case 'period':
        case 'freq':
          evsel.configTerms.set(term.key, num());
          return null;
        case 'inherit':
        case 'no-inherit':
          evsel.configTerms.set('inherit', (term.key === 'inherit') === (num() !== 0n));
          return null;
        default:
          evsel.configTerms.set(term.key, (term.value ?? true) as ConfigTermValue);
          return null;
      }
    }
    const alias = pmu ? aliasOf(pmu, term.key) : undefined;
    if (pmu && alias !== undefined) {
      for (const part of alias.split(',')) {
        const [key, value = '1'] = part.split('=');
        this.packFormat(evsel, pmu, { ...term, key, kind: 'name', value: BigInt(value) });
      }
    } else if (term.kind === 'raw') {
      attr.config = term.value as bigint;
    } else if (pmu) {
      this.packFormat(evsel, pmu, term);
    } else {
      this.fail(term.start, `unknown term '${term.key}'`, `valid terms: ${STATIC_TERMS.join(',')}`);
    }
    return null;
  }

  /** perf_pmu__config_term: OR the value's bits into the format's positions. */
  private packFormat(evsel: Evsel, pmu: SysfsPmu, term: Term): void {
    const spec = pmu.format[term.key];
    const valid = `valid terms: ${[...Object.keys(pmu.format), ...STATIC_TERMS].join(',')}`;
    if (spec === undefined) this.fail(term.start, `unknown term '${term.key}' for pmu '${pmu.name}'`, valid);
    const { field, bits } = parseFormat(spec);
    if (term.value === null && bits.length > 1) this.fail(term.valueStart, 'no value assigned for term');
    if (typeof term.value === 'string') this.fail(term.valueStart, 'expected numeric value');
    const value = term.value ?? 1n;
    const max = (1n << BigInt(bits.length)) - 1n;
    if (value > max) this.fail(term.valueStart, `value too big for format (${term.key}), maximum is ${max}`);
    bits.forEach((bit, i) => {
      if ((value >> BigInt(i)) & 1n) evsel.attr[field] |= 1n << BigInt(bit);
    });
  }

  /** The lexer's modifiers(): duplicates and a fourth 'p' fail at the offending letter. */
  private readModifiers(): Modifiers {
    const tok = this.take();
    const mod: Modifiers = { letters: new Set(), precise: 0, start: tok.start };
    [...tok.text].forEach((c, i) => {
      if (c === 'p') {
        if (++mod.precise > 3) this.fail(tok.start + i, 'Maximum precise value is 3');
      } else if (mod.letters.has(c)) {
        this.fail(tok.start + i, `Duplicate modifier '${c}' (${MOD_NAMES[c]})`);
      }
      mod.letters.add(c);
    });
    return mod;
  }

  /**
   * parse_events__modifier_list. An event's modifiers replace its exclude
   * bits; a group's merge into each member's. D and e apply to evsels that
   * lead when the modifier is applied: an event modifier inside a group is
   * applied before the group is formed, when every member still leads itself.
   */
  private applyModifiers(evsels: Evsel[], mod: Modifiers, group: boolean): void {
    const has = (c: string) => mod.letters.has(c);
    if (!group && has('W')) this.fail(mod.start, 'Weak modifier is for use with groups');
    for (const evsel of evsels) {
      const a = evsel.attr;
      let [eu, ek, eh, eH, eG] = group
        ? [a.exclude_user, a.exclude_kernel, a.exclude_hv, a.exclude_host, a.exclude_guest]
        : [false, false, false, false, false];
      // The first of u/k/h excludes all three levels unless some already were
      // excluded, then each letter re-includes its own level; G/H likewise.
      if ((has('u') || has('k') || has('h')) && !(eu || ek || eh)) eu = ek = eh = true;
      if (has('u')) eu = false;
      if (has('k')) ek = false;
      if (has('h')) eh = false;
      let excludeGH = eG || eH;
      if ((has('G') || has('H')) && !excludeGH) excludeGH = eG = eH = true;
      if (has('G')) eG = false;
      if (has('H')) eH = false;
      if (!excludeGH && this.opts.mode === 'kvm') {
        if (this.opts.kvmHost) eG = true;
        else if (this.opts.kvmGuest ?? true) eH = true;
      }
      Object.assign(a, { exclude_user: eu, exclude_kernel: ek, exclude_hv: eh, exclude_host: eH, exclude_guest: eG });
      evsel.explicitGH = excludeGH;
      if (mod.precise) {
        const precise = a.precise_ip + mod.precise;
        if (precise > 3) this.fail(mod.start, `Maximum combined precise value is 3, adding precision to "${evsel.name}"`);
        a.precise_ip = precise;
      }
      const leads = evsel.leader === evsel.idx;
      if (has('P')) evsel.preciseMax = true;
      if (has('I')) a.exclude_idle = true;
      if (has('S')) evsel.sampleRead = true;
      if (has('D') && leads) a.pinned = true;
      if (has('e') && leads) a.exclusive = true;
      if (has('W')) evsel.weakGroup = true;
    }
  }
}

/** A sysfs alias of the PMU (perf matches them case-insensitively). */
function aliasOf(pmu: SysfsPmu, name: string): string | undefined {
  const key = Object.keys(pmu.events).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : pmu.events[key];
}

/**
 * Parse a `-e` string into evsels, in order. Names are the text of each event
 * as written (modifiers included, a group's own modifiers not), or its name=
 * term. Throws ParseEventsError.
 */
export function parseEvents(str: string, options: ParseEventsOptions): Evsel[] {
  return new EventParser(str, options).parse();
}
