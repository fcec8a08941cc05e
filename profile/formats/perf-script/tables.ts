/**
 * Two small hash tables for the per-frame hot path, where a JS Map costs too
 * much: Map keys above 2^31 are heap numbers (allocated and hashed per
 * lookup), and a string key means slicing and hashing ~100 characters per
 * callchain line.
 */

/**
 * A copy of `s` that shares no memory with the string it was sliced from (V8
 * keeps a slice's parent alive, here a whole input chunk): concatenating and
 * slicing again yields a flat string of its own.
 */
export function detach(s: string): string {
  return (' ' + s).slice(1);
}

function nextPow2(n: number): number {
  let c = 16;
  while (c < n) c *= 2;
  return c;
}

/** (a, b) pairs of non-negative int32 → non-negative int32, open addressing. */
export class PairMap {
  private keyA: Int32Array;
  private keyB: Int32Array;
  private value: Int32Array;
  private mask: number;
  size = 0;

  constructor(capacity = 1024) {
    const n = nextPow2(capacity * 2);
    this.keyA = new Int32Array(n);
    this.keyB = new Int32Array(n);
    this.value = new Int32Array(n).fill(-1);
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
    const mask = this.mask;
    let i = PairMap.hash(a, b) & mask;
    for (;;) {
      const v = this.value[i];
      if (v < 0) return -1;
      if (this.keyA[i] === a && this.keyB[i] === b) return v;
      i = (i + 1) & mask;
    }
  }

  /** Stores a value for a key that is not in the map yet. */
  add(a: number, b: number, v: number): void {
    if ((this.size + 1) * 2 > this.value.length) this.grow();
    const mask = this.mask;
    let i = PairMap.hash(a, b) & mask;
    while (this.value[i] >= 0) i = (i + 1) & mask;
    this.keyA[i] = a;
    this.keyB[i] = b;
    this.value[i] = v;
    this.size++;
  }

  private grow(): void {
    const { keyA, keyB, value } = this;
    const n = value.length * 2;
    this.keyA = new Int32Array(n);
    this.keyB = new Int32Array(n);
    this.value = new Int32Array(n).fill(-1);
    this.mask = n - 1;
    this.size = 0;
    for (let i = 0; i < value.length; i++) if (value[i] >= 0) this.add(keyA[i], keyB[i], value[i]);
  }
}

/**
 * Caches a value per "symbol (dso" text of callchain lines without slicing
 * them. The hash is taken from the line's address (a call site has one
 * address, so addresses spread entries well) and the text's length; an entry
 * matches when its stored text equals the line's text, whatever the address,
 * because the value depends on the text only. Texts are stored once (a
 * second-level Map shares them between addresses).
 */
export class RegionCache {
  private slots: Int32Array;
  private mask: number;
  private readonly keys: string[] = [];
  private readonly hashes: number[] = [];
  private readonly values: number[] = [];
  private readonly byText = new Map<string, number>();

  constructor(
    private readonly detach: (s: string) => string,
    capacity = 4096,
  ) {
    const n = nextPow2(capacity * 2);
    this.slots = new Int32Array(n).fill(-1);
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
    const mask = this.mask;
    const len = to - from;
    let i = hash & mask;
    for (;;) {
      const e = this.slots[i];
      if (e < 0) return -1;
      if (this.hashes[e] === hash) {
        const key = this.keys[e];
        if (key.length === len && text.startsWith(key, from)) return this.values[e];
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
    const known = this.byText.get(slice);
    let key: string;
    let value: number;
    if (known !== undefined) {
      key = this.keys[known];
      value = this.values[known];
    } else {
      value = compute(slice);
      key = this.detach(slice);
    }
    if ((this.keys.length + 1) * 2 > this.slots.length) this.grow();
    const e = this.keys.length;
    this.keys.push(key);
    this.hashes.push(hash);
    this.values.push(value);
    if (known === undefined) this.byText.set(key, e);
    this.place(e);
    return value;
  }

  private place(e: number): void {
    const mask = this.mask;
    let i = this.hashes[e] & mask;
    while (this.slots[i] >= 0) i = (i + 1) & mask;
    this.slots[i] = e;
  }

  private grow(): void {
    this.slots = new Int32Array(this.slots.length * 2).fill(-1);
    this.mask = this.slots.length - 1;
    for (let e = 0; e < this.keys.length; e++) this.place(e);
  }
}
