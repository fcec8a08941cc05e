/**
 * Command-line option parsing for `guestperf` subcommands. Errors are values
 * (one line naming the option and what is wrong), never exceptions, so every
 * command can turn them into exit status 2 the same way.
 */

export interface OptionSpec {
  /** Long name without dashes: `event-filter`. */
  name: string;
  /** Single-letter alias without the dash: `e`. */
  short?: string;
  /** Takes a value (`--name VALUE` or `--name=VALUE`); else a flag. */
  value?: boolean;
  /** May be given more than once (values accumulate). */
  repeat?: boolean;
}

export interface ParsedArgs {
  flags: Set<string>;
  values: Map<string, string[]>;
  positionals: string[];
}

export type ParseResult = { ok: true; args: ParsedArgs } | { ok: false; error: string };

export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[]): ParseResult {
  const byLong = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));
  const args: ParsedArgs = { flags: new Set(), values: new Map(), positionals: [] };

  const take = (spec: OptionSpec, shown: string, inline: string | undefined, i: number): number | string => {
    if (!spec.value) {
      if (inline !== undefined) return `option ${shown} takes no value`;
      if (args.flags.has(spec.name) && !spec.repeat) return `option ${shown} given twice`;
      args.flags.add(spec.name);
      return i;
    }
    let v = inline;
    if (v === undefined) {
      if (i + 1 >= argv.length) return `option ${shown} needs a value`;
      v = argv[++i];
    }
    const list = args.values.get(spec.name) ?? [];
    if (list.length > 0 && !spec.repeat) return `option ${shown} given twice`;
    list.push(v);
    args.values.set(spec.name, list);
    return i;
  };

  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      args.positionals.push(...argv.slice(i + 1));
      break;
    }
    let r: number | string;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const spec = byLong.get(name);
      if (!spec) return { ok: false, error: `unknown option --${name}` };
      r = take(spec, `--${name}`, eq < 0 ? undefined : a.slice(eq + 1), i);
    } else if (a.length > 1 && a.startsWith('-')) {
      const spec = byShort.get(a[1]);
      if (!spec) return { ok: false, error: `unknown option ${a.slice(0, 2)}` };
      r = take(spec, `-${a[1]}`, a.length > 2 ? a.slice(2) : undefined, i);
    } else {
      args.positionals.push(a);
      continue;
    }
    if (typeof r === 'string') return { ok: false, error: r };
    i = r;
  }
  return { ok: true, args };
}
