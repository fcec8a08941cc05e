/**
 * The slice of the protobuf wire format that profile.proto needs: varints
 * (wire type 0), length-delimited fields (2, for messages, strings and packed
 * repeated scalars), and skipping the fixed-width types (1, 5) a newer or
 * foreign writer may add. Groups (3, 4) are long deprecated and never appear
 * in profile.proto, so they are rejected as corruption.
 *
 * Numbers come out as JS numbers: exact up to 2^53, which covers ids, string
 * indices, counts and nanoseconds; a 64-bit address above that loses its low
 * bits, which only matters for display.
 */

/** The bytes are not a well-formed protobuf message. */
export class ProtoError extends Error {
  override name = 'ProtoError';
  constructor(
    readonly offset: number,
    reason: string,
  ) {
    super(`byte ${offset}: ${reason}`);
  }
}

export const WireType = { Varint: 0, Fixed64: 1, Bytes: 2, Fixed32: 5 } as const;

const TWO_32 = 4294967296;

export class ProtoReader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** Reads a raw varint as (lo, hi) 32-bit halves. */
  private raw(): [number, number] {
    let lo = 0;
    let hi = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) throw new ProtoError(this.pos, 'varint runs past the end of its message');
      const b = this.buf[this.pos++];
      const bits = b & 0x7f;
      if (shift < 28) lo |= bits << shift;
      else if (shift === 28) {
        lo |= (bits & 0x0f) << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (shift - 32);
      if (b < 0x80) return [lo >>> 0, hi >>> 0];
    }
    throw new ProtoError(this.pos, 'varint longer than 10 bytes');
  }

  uint64(): number {
    const [lo, hi] = this.raw();
    return hi * TWO_32 + lo;
  }

  /** int64 as two's complement (negative values take 10 bytes on the wire). */
  int64(): number {
    const [lo, hi] = this.raw();
    return (hi | 0) * TWO_32 + lo;
  }

  bool(): boolean {
    return this.uint64() !== 0;
  }

  /** A field key; throws on field 0 and on wire types profile.proto never uses. */
  tag(): { field: number; wire: number } {
    const at = this.pos;
    const key = this.uint64();
    const wire = key % 8;
    const field = Math.floor(key / 8);
    if (field === 0) throw new ProtoError(at, 'field number 0');
    if (wire === 3 || wire === 4 || wire > 5) throw new ProtoError(at, `unsupported wire type ${wire}`);
    return { field, wire };
  }

  /** The payload of a length-delimited field, as a view. */
  bytes(): Uint8Array {
    const len = this.uint64();
    if (len > this.end - this.pos) throw new ProtoError(this.pos, `length ${len} runs past the end of its message`);
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  /** A reader over an embedded message. */
  message(): ProtoReader {
    const body = this.bytes();
    return new ProtoReader(this.buf, body.byteOffset - this.buf.byteOffset, body.byteOffset - this.buf.byteOffset + body.length);
  }

  skip(wire: number): void {
    const at = this.pos;
    if (wire === WireType.Varint) this.raw();
    else if (wire === WireType.Bytes) this.bytes();
    else {
      this.pos += wire === WireType.Fixed64 ? 8 : 4;
      if (this.pos > this.end) throw new ProtoError(at, 'fixed-width value runs past the end of its message');
    }
  }

  /** A repeated integer field, packed (wire 2) or not (wire 0); appends to `out`. */
  repeated(wire: number, signed: boolean, out: number[]): void {
    if (wire === WireType.Varint) {
      out.push(signed ? this.int64() : this.uint64());
      return;
    }
    if (wire !== WireType.Bytes) throw new ProtoError(this.pos, `wire type ${wire} for a repeated integer`);
    const inner = this.message();
    while (!inner.done) out.push(signed ? inner.int64() : inner.uint64());
  }

  /** A scalar integer field; a packed or fixed encoding here means the file is not what we think. */
  scalar(wire: number, signed = false): number {
    if (wire !== WireType.Varint) throw new ProtoError(this.pos, `wire type ${wire} for an integer field`);
    return signed ? this.int64() : this.uint64();
  }
}

/** Appends protobuf fields to a growable buffer. */
export class ProtoWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  get length(): number {
    return this.len;
  }

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** A raw varint; negative values are written as 64-bit two's complement. */
  varint(value: number): void {
    this.ensure(10);
    if (value < 0) {
      let v = BigInt.asUintN(64, BigInt(Math.trunc(value)));
      while (v >= 0x80n) {
        this.buf[this.len++] = Number(v & 0x7fn) | 0x80;
        v >>= 7n;
      }
      this.buf[this.len++] = Number(v);
      return;
    }
    let v = Math.trunc(value);
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
  }

  /** A varint field; zero is the proto3 default and is left out. */
  uint(field: number, value: number): void {
    if (value === 0) return;
    this.varint(field * 8 + WireType.Varint);
    this.varint(value);
  }

  bytes(field: number, data: Uint8Array): void {
    this.varint(field * 8 + WireType.Bytes);
    this.varint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
  }

  string(field: number, s: string): void {
    this.bytes(field, new TextEncoder().encode(s));
  }

  /** A packed repeated integer field (left out when empty). */
  packed(field: number, values: readonly number[]): void {
    if (values.length === 0) return;
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(v);
    this.bytes(field, inner.finish());
  }

  message(field: number, build: (w: ProtoWriter) => void): void {
    const inner = new ProtoWriter();
    build(inner);
    this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
