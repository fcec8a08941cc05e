/**
 * `perf script --header` event descriptions:
 *
 *   # event : name = cycles, , id = { 550, 551 }, size = 112,
 *     { sample_period, sample_freq } = 4000, sample_type = IP|TID, …, exclude_guest = 1, …
 *
 * perf prints only the attr fields that are non-zero
 * (tools/perf/util/perf_event_attr_fprintf.c), so a missing exclude_* key
 * means 0. Older perf (before 3.x's attr printing) used `excl_usr`,
 * `excl_kern`, `excl_host`, `excl_guest`; those are mapped to the kernel names.
 */

/** Old header key → perf_event_attr field name. */
const OLD_KEYS: Record<string, string> = {
  excl_usr: 'exclude_user',
  excl_kern: 'exclude_kernel',
  excl_host: 'exclude_host',
  excl_guest: 'exclude_guest',
  excl_hv: 'exclude_hv',
};

export interface HeaderEvent {
  name: string;
  /** Every key/value pair as written (old keys renamed), in order. */
  attr: Record<string, string>;
}

/** Splits on commas that are not inside `{ … }`. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{') depth++;
    else if (c === '}') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** Parses one `# event : …` line; null for any other comment line. */
export function parseHeaderEvent(line: string): HeaderEvent | null {
  const m = /^#\s*event\s*:\s*name\s*=\s*/.exec(line);
  if (!m) return null;
  // A PMU event's name may hold commas ("cpu/event=0x3c,umask=0x0/") but never
  // ", ", which is what separates the fields.
  const rest = line.slice(m[0].length);
  let nameEnd = rest.indexOf(', ');
  if (nameEnd < 0) nameEnd = rest.length;
  const name = rest.slice(0, nameEnd).trim();
  const attr: Record<string, string> = {};
  let freq = false;
  let periodOrFreq: string | null = null;
  for (const part of splitTopLevel(rest.slice(nameEnd + 1))) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key.length === 0) continue;
    if (key.startsWith('{')) {
      // "{ sample_period, sample_freq } = N": which one depends on `freq`.
      periodOrFreq = value;
      continue;
    }
    if (key === 'freq') freq = value !== '0';
    attr[OLD_KEYS[key] ?? key] = value;
  }
  if (periodOrFreq !== null) attr[freq ? 'sample_freq' : 'sample_period'] = periodOrFreq;
  return name ? { name, attr } : null;
}

/** True when the attr map says `key = 1` (perf omits zero fields). */
export function attrFlag(attr: Record<string, string>, key: string): boolean {
  const v = attr[key];
  return v !== undefined && v !== '0';
}
