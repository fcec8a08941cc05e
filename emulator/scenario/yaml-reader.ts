/**
 * Typed reading of a YAML document that remembers where every value came
 * from, so each validation error points at the offending key or value
 * (`file:line:column: path: detail`). The scenario parser is written against
 * this instead of against plain objects because plain objects lose positions.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node, ParsedNode } from 'yaml';
import { parseDuration, DURATION_UNITS } from './duration';
import { ScenarioError } from './scenario-error';

export type PathSegment = string | number;

export interface Position {
  line: number;
  column: number;
}

/** `vms[0].vpmu`; keys that are not plain identifiers are quoted: `programs["my prog"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(segment)) text += text ? `.${segment}` : segment;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

/** One parsed YAML document and the positions of its nodes. */
export class YamlSource {
  private readonly lines = new LineCounter();
  private readonly doc: Document.Parsed;

  constructor(
    text: string,
    readonly file: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false });
    const [error] = this.doc.errors;
    if (error) {
      // The library's own advice (parseAllDocuments) means nothing to a user.
      const detail =
        error.code === 'MULTIPLE_DOCS' ? 'a scenario file holds a single YAML document (remove the second ---)' : error.message;
      throw this.errorAt(error.pos[0], [], detail);
    }
  }

  /** The whole document; an empty file reads as an absent value at 1:1. */
  root(): Field {
    return new Field(this, [], this.resolve(this.doc.contents), null, null);
  }

  /** Where the value at `path` is written; for a missing value, its nearest written ancestor. */
  positionOf(path: readonly PathSegment[]): Position {
    let node = this.resolve(this.doc.contents);
    let at: Node | null = node;
    for (const segment of path) {
      if (typeof segment === 'number' && isSeq(node)) {
        node = this.resolve(node.items[segment] as Node | undefined);
        at = node ?? at;
      } else if (typeof segment === 'string' && isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === segment);
        if (!pair) break;
        node = this.resolve(pair.value as Node | null);
        at = node ?? (pair.key as Node);
      } else {
        break;
      }
    }
    return this.position(at);
  }

  /** The error for `node` (or 1:1 when there is none: an empty file). */
  errorAt(at: Node | number | null, path: readonly PathSegment[], detail: string): ScenarioError {
    const { line, column } = typeof at === 'number' ? this.offsetPosition(at) : this.position(at);
    return new ScenarioError(this.file, line, column, formatPath(path), detail);
  }

  /** Follows aliases and reads a null scalar (`key:`, `key: ~`) as no value at all. */
  resolve(node: Node | null | undefined): Node | null {
    const target = isAlias(node) ? (node.resolve(this.doc) ?? null) : (node ?? null);
    return isScalar(target) && target.value === null ? null : target;
  }

  private position(node: Node | null): Position {
    return this.offsetPosition(node?.range?.[0] ?? 0);
  }

  private offsetPosition(offset: number): Position {
    const { line, col } = this.lines.linePos(offset);
    return { line: Math.max(line, 1), column: col };
  }
}

/** A value at a key path: written (`node`), or absent, then errors point at its key or parent. */
export class Field {
  constructor(
    private readonly source: YamlSource,
    readonly path: readonly PathSegment[],
    private readonly node: Node | null,
    /** The key naming this value in its map; null for list items, the root and keys not written. */
    private readonly keyNode: Node | null,
    /** The collection holding the value, where an error about a missing value points. */
    private readonly parent: Node | null,
  ) {}

  get present(): boolean {
    return this.node !== null;
  }

  /** An error at this value (or where it is missing). */
  error(detail: string): ScenarioError {
    return this.source.errorAt(this.node ?? this.keyNode ?? this.parent, this.path, detail);
  }

  /**
   * An error at a character of this scalar's text (`offset` into the string
   * as written; quoted scalars start one character later).
   */
  errorInside(offset: number, detail: string): ScenarioError {
    const start = this.node?.range?.[0];
    if (start === undefined) return this.error(detail);
    const quoted = isScalar(this.node) && (this.node.type === 'QUOTE_DOUBLE' || this.node.type === 'QUOTE_SINGLE') ? 1 : 0;
    return this.source.errorAt(start + quoted + offset, this.path, detail);
  }

  /** An error at this value's key, or at the value itself for list items and the root. */
  keyError(detail: string): ScenarioError {
    return this.source.errorAt(this.keyNode ?? this.node ?? this.parent, this.path, detail);
  }

  string(): string {
    const value = this.scalar('a non-empty string');
    if (typeof value !== 'string' || value.trim() === '') throw this.wrong('a non-empty string');
    return value;
  }

  boolean(): boolean {
    const value = this.scalar('true or false');
    if (typeof value !== 'boolean') throw this.wrong('true or false');
    return value;
  }

  /** An integer in [min, max]; `why` explains a limit that depends on other keys. */
  integer(min: number, max: number, why = ''): number {
    const range = max === Infinity ? `of at least ${min}` : `from ${min} to ${max}`;
    const expected = `an integer ${range}${why ? ` (${why})` : ''}`;
    const value = this.scalar(expected);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw this.wrong(expected);
    return value;
  }

  /** A finite number ≥ min (> min when `exclusive`), ≤ max. */
  number(min: number, max = Infinity, exclusive = false): number {
    const range = `${exclusive ? 'greater than' : 'at least'} ${min}${max < Infinity ? ` and at most ${max}` : ''}`;
    const expected = `a number ${range}`;
    const value = this.scalar(expected);
    if (typeof value !== 'number' || !Number.isFinite(value)) throw this.wrong(expected);
    if (value < min || value > max || (exclusive && value === min)) throw this.wrong(expected);
    return value;
  }

  oneOf<T extends string>(values: readonly T[]): T {
    const expected = `one of: ${values.join(', ')}`;
    const value = this.scalar(expected);
    if (typeof value === 'string' && (values as readonly string[]).includes(value)) return value as T;
    throw this.error(`unknown value ${describeScalar(value)} (expected ${expected})`);
  }

  /** Nanoseconds; see duration.ts for why a bare number other than 0 is refused. */
  duration(): number {
    const expected = `a time with a unit (${DURATION_UNITS.join(', ')}), e.g. 2s or 1500ms`;
    const value = this.scalar(expected);
    const ns = typeof value === 'string' ? parseDuration(value) : value === 0 ? 0 : undefined;
    if (ns === undefined) throw this.wrong(expected);
    return ns;
  }

  list(): Field[] {
    if (!isSeq(this.node)) throw this.wrong('a list');
    const seq = this.node;
    return seq.items.map(
      (item, i) => new Field(this.source, [...this.path, i], this.source.resolve(item as Node | null), null, seq),
    );
  }

  /** A map with a fixed set of keys; any other key is an error at that key. */
  record<K extends string>(keys: readonly K[]): Record<K, Field> {
    const entries = this.entries(`a map with the keys ${keys.join(', ')}`);
    for (const entry of entries) {
      if (!(keys as readonly string[]).includes(entry.key)) throw entry.field.keyError(unknownKey(entry.key, keys));
    }
    const record = {} as Record<K, Field>;
    for (const key of keys) {
      record[key] =
        entries.find((entry) => entry.key === key)?.field ??
        new Field(this.source, [...this.path, key], null, null, this.node);
    }
    return record;
  }

  /** A map whose keys are names the file chooses (programs, functions). */
  entries(expected = 'a map'): { key: string; field: Field }[] {
    if (!isMap(this.node)) throw this.wrong(expected);
    const map = this.node;
    return map.items.map((pair) => {
      const keyNode = pair.key as ParsedNode | null;
      if (!isScalar(keyNode) || keyNode.value === null) {
        throw this.source.errorAt(keyNode ?? map, this.path, 'expected a plain key (a name), got a complex key');
      }
      const key = String(keyNode.value);
      return { key, field: new Field(this.source, [...this.path, key], this.source.resolve(pair.value as Node | null), keyNode, map) };
    });
  }

  private scalar(expected: string): unknown {
    if (!isScalar(this.node)) throw this.wrong(expected);
    return this.node.value;
  }

  private wrong(expected: string): ScenarioError {
    if (this.node === null) return this.error(`${this.keyNode ? 'no value' : 'missing'} (expected ${expected})`);
    const got = isScalar(this.node) ? describeScalar(this.node.value) : isSeq(this.node) ? 'a list' : 'a map';
    return this.error(`expected ${expected}, got ${got}`);
  }
}

function describeScalar(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `a ${value === null ? 'null' : typeof value} value`;
}

function unknownKey(key: string, keys: readonly string[]): string {
  const close = closestName(key, keys);
  if (close !== undefined) return `unknown key "${key}" (did you mean "${close}"?)`;
  return `unknown key "${key}" (expected one of: ${keys.join(', ')})`;
}

/** The candidate a misspelt name most likely meant (a third of its letters or fewer differ), if any. */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate);
    if (distance <= Math.max(1, Math.floor(candidate.length / 3)) && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Edit distance counting a swap of neighbours as one edit (`mian` → `main`), the commonest typo. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
