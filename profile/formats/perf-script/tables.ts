/**
 * Two small hash tables for the per-frame hot path, where a JS Map costs too
 * much: Map keys above 2^31 are heap numbers (allocated and hashed per
 * lookup), and a string key means slicing and hashing ~100 characters per
 * callchain line.
 */

/**
 * A copy of `s` that shares no memory with the string it was sliced from (V8
 * keeps a slice's parent alive, here a whole input chunk). Joining two halves
 * builds a new flat string; `(' ' + s).slice(1)` would be a slice again (of a
 * flattened copy), which costs an extra indirection on every later compare
 * of a cache key.
 */
export function detach(s: string): string {
  const half = s.length >> 1;
  return [s.slice(0, half), s.slice(half)].join('');
}

/** Compares by Unicode code point, i.e. by UTF-8 bytes, like Perl's `cmp` on the raw input (and Rust's String order). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (U+D800..DFFF, i.e. code points above U+FFFF) sort after U+E000..FFFF.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x < 0xe000 ? x + 0x2000 : x - 0x800;
      y = y < 0xe000 ? y + 0x2000 : y - 0x800;
    }
    return x - y;
  }
  return a.length - b.length;
}

function nextPow2(n: number): number {
  let c = 16;
  while (c < n) c *= 2;
  return c;
}

/**
 * (a, b) pairs of non-negative int32 → non-negative int32, open addressing.
 * Each slot is [a, b, value, -] in one array, so a probe touches one cache line.
 */
export class PairMap {
  private slots: Int32Array;
  private mask: number;
  size = 0;

  constructor(capacity = 1024) {
    const n = nextPow2(capacity * 2);
    this.slots = new Int32Array(n * 4).fill(-1);
    this.mask = n - 1;
  }

  private static hash(a: number, b: number): number {
    let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    return h ^ (h >>> 12);
  }

  /** The value stored for (a, b), or -1. */
  get(a: number, b: number): number {
    const slots = this.slots;
    const mask = this.mask;
    let i = PairMap.hash(a, b) & mask;
    for (;;) {
      const at = i << 2;
      const v = slots[at + 2];
      if (v < 0) return -1;
      if (slots[at] === a && slots[at + 1] === b) return v;
      i = (i + 1) & mask;
    }
  }

  /** Stores a value for a key that is not in the map yet. */
  add(a: number, b: number, v: number): void {
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    this.place(a, b, v);
    this.size++;
  }

  private place(a: number, b: number, v: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let i = PairMap.hash(a, b) & mask;
    while (slots[(i << 2) + 2] >= 0) i = (i + 1) & mask;
    const at = i << 2;
    slots[at] = a;
    slots[at + 1] = b;
    slots[at + 2] = v;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2).fill(-1);
    this.mask = (this.slots.length >> 2) - 1;
    for (let at = 0; at < old.length; at += 4) if (old[at + 2] >= 0) this.place(old[at], old[at + 1], old[at + 2]);
  }
}

/**
 * Caches a value per "symbol (dso" text of callchain lines without slicing
 * them. The hash is taken from the line's address (a call site has one
 * address, so addresses spread entries well) and the text's length; an entry
 * matches when its stored text equals the line's text, whatever the address,
 * because the value depends on the text only. Texts are stored once (a
 * second-level Map shares them between addresses).
 *
 * Slots hold [hash, value, key index, -] side by side so that a probe touches
 * one cache line before the final text comparison.
 */
export class RegionCache {
  private slots: Int32Array;
  private mask: number;
  private count = 0;
  /** Distinct texts and their values, by key index. */
  private readonly keys: string[] = [];
  private readonly values: number[] = [];
  private readonly byText = new Map<string, number>();

  constructor(
    private readonly detach: (s: string) => string,
    capacity = 4096,
  ) {
    const n = nextPow2(capacity * 2);
    this.slots = new Int32Array(n * 4).fill(-1);
    this.mask = n - 1;
  }

  /** The table hash of a frame from its address hash (FrameSpan.addrHash) and text length. */
  static hash(addrHash: number, length: number): number {
    let h = Math.imul(addrHash ^ length, 0x5bd1e995);
    h ^= h >>> 13;
    return Math.imul(h, 0x5bd1e995) ^ (h >>> 15);
  }

  /** The value for text[from, to), or -1. `hash` comes from RegionCache.hash. */
  get(text: string, from: number, to: number, hash: number): number {
    const slots = this.slots;
    const mask = this.mask;
    const len = to - from;
    let i = hash & mask;
    for (;;) {
      const at = i << 2;
      const k = slots[at + 2];
      if (k < 0) return -1;
      if (slots[at] === hash) {
        const key = this.keys[k];
        if (key.length === len && text.slice(from, to) === key) return slots[at + 1];
      }
      i = (i + 1) & mask;
    }
  }

  /**
   * On a miss: finds text[from, to) by content (it may be cached under
   * another address) or computes its value from the sliced text, and caches
   * it under this hash. Stored texts are detached copies, so the cache never
   * pins an input chunk.
   */
  resolve(text: string, from: number, to: number, hash: number, compute: (slice: string) => number): number {
    const slice = text.slice(from, to);
    let k = this.byText.get(slice);
    let value: number;
    if (k !== undefined) {
      value = this.values[k];
    } else {
      value = compute(slice);
      k = this.keys.length;
      const key = this.detach(slice);
      this.keys.push(key);
      this.values.push(value);
      this.byText.set(key, k);
    }
    if ((this.count + 1) * 2 > this.mask + 1) this.grow();
    this.place(hash, value, k);
    return value;
  }

  private place(hash: number, value: number, k: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let i = hash & mask;
    while (slots[(i << 2) + 2] >= 0) i = (i + 1) & mask;
    const at = i << 2;
    slots[at] = hash;
    slots[at + 1] = value;
    slots[at + 2] = k;
    this.count++;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2).fill(-1);
    this.mask = (this.slots.length >> 2) - 1;
    this.count = 0;
    for (let at = 0; at < old.length; at += 4) if (old[at + 2] >= 0) this.place(old[at], old[at + 1], old[at + 2]);
  }
}
