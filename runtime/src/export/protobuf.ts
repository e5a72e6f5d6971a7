/**
 * A minimal protocol buffers encoder: just what the Perfetto export writes (varints, 64-bit
 * doubles and fixed64s, length-delimited strings and nested messages). Hand-written so the
 * export needs no dependency and allocates nothing per field: one growable byte buffer per
 * message, reused from packet to packet.
 *
 * Wire format (https://protobuf.dev/programming-guides/encoding/): a field is a varint tag
 * `(field << 3) | wireType` followed by its value; wire type 0 varint, 1 eight bytes little
 * endian, 2 a varint length and that many bytes. Nested messages are written in place and their
 * length is filled in when they close: the body is shifted right by the length's size (a few
 * bytes in a packet of a few hundred), which keeps the encoding canonical.
 *
 * Numbers are JS numbers: unsigned integers exact up to 2^53 (ns timestamps for 104 days),
 * negative int64s as ten-byte two's complement, as the spec requires.
 */

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;

const TWO_32 = 4294967296;

export class ProtoWriter {
  buf: Uint8Array;
  pos = 0;
  private view: DataView;
  private starts: number[] = [];
  private readonly encoder = new TextEncoder();

  constructor(capacity = 4096) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  /** Empties the writer for the next message (the buffer is kept). */
  reset(): void {
    this.pos = 0;
    if (this.starts.length > 0) this.starts = [];
  }

  /** The bytes written so far (a view, valid until the next write). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** An unsigned varint (0 ≤ n < 2^53, integral). */
  varint(n: number): void {
    this.ensure(10);
    const b = this.buf;
    let p = this.pos;
    if (n < TWO_32) {
      let v = n >>> 0;
      while (v >= 0x80) {
        b[p++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      b[p++] = v;
    } else {
      let v = n;
      while (v >= 0x80) {
        b[p++] = (v % 128) | 0x80;
        v = Math.floor(v / 128);
      }
      b[p++] = v;
    }
    this.pos = p;
  }

  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  /** An unsigned integer field (uint32, uint64, enum, bool as 0/1). */
  uint(field: number, n: number): void {
    this.tag(field, WIRE_VARINT);
    this.varint(n);
  }

  /** A signed int32/int64 field: negatives are sign-extended to 64 bits (ten bytes). */
  int(field: number, n: number): void {
    this.tag(field, WIRE_VARINT);
    if (n >= 0) {
      this.varint(n);
      return;
    }
    let v = BigInt.asUintN(64, BigInt(Math.trunc(n)));
    this.ensure(10);
    while (v >= 0x80n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }

  bool(field: number, v: boolean): void {
    this.uint(field, v ? 1 : 0);
  }

  double(field: number, v: number): void {
    this.tag(field, WIRE_I64);
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  /** A fixed64 field (0 ≤ n < 2^53). */
  fixed64(field: number, n: number): void {
    this.tag(field, WIRE_I64);
    this.ensure(8);
    const hi = Math.floor(n / TWO_32);
    this.view.setUint32(this.pos, n - hi * TWO_32, true);
    this.view.setUint32(this.pos + 4, hi, true);
    this.pos += 8;
  }

  string(field: number, s: string): void {
    this.tag(field, WIRE_LEN);
    // UTF-8 takes at most 3 bytes per UTF-16 unit: encode in place after room for the
    // longest length, then put the length before it.
    const max = s.length * 3;
    const reserve = varintSize(max);
    this.ensure(reserve + max);
    const lenAt = this.pos;
    const { written } = this.encoder.encodeInto(s, this.buf.subarray(lenAt + reserve));
    this.placeLength(lenAt, lenAt + reserve, written);
  }

  /** Opens a nested message field; close it with {@link end}. */
  begin(field: number): void {
    this.tag(field, WIRE_LEN);
    this.starts.push(this.pos);
  }

  end(): void {
    const start = this.starts.pop();
    if (start === undefined) throw new Error('ProtoWriter.end() without begin()');
    this.placeLength(start, start, this.pos - start);
  }

  /** Writes the varint `len` at `lenAt` and moves the `len` bytes at `bodyAt` right after it. */
  private placeLength(lenAt: number, bodyAt: number, len: number): void {
    const size = varintSize(len);
    if (bodyAt !== lenAt + size) {
      this.ensure(size);
      this.buf.copyWithin(lenAt + size, bodyAt, bodyAt + len);
    }
    let p = lenAt;
    let v = len;
    while (v >= 0x80) {
      this.buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[p++] = v;
    this.pos = p + len;
  }
}

/** Bytes of the varint encoding of 0 ≤ n < 2^35. */
function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}
