/**
 * Fast path for the records that make up nearly all of a big trace (waits, samples, CPU
 * readings, acquisition counts, thread ends): they hold only integers, nulls and one word from
 * a closed set, so they can be read straight from the file's bytes into a reused array, with
 * no string per line, no array per record and no boxed number. `JSON.parse` of each line cost
 * about three times as much (measured on a 1M-record trace, see bench/model-load.ts).
 *
 * The scanner is strict: it accepts exactly the compact form the agent writes and checks each
 * field against the shape in format/spec.ts while reading it. Anything else (whitespace, a
 * float, an escape, extra trailing fields, a number too long to read exactly) returns null and
 * the reader takes the general path (`JSON.parse` and `validateRecord`), which accepts all
 * valid JSON and explains what is wrong with invalid records. So the fast path never changes
 * what is accepted, only how fast. A test compares both paths on the same lines.
 */
import { RECORD_SHAPES, WAIT_REASONS, type TraceRecord } from '../format/spec';

const QUOTE = 34;
const COMMA = 44;
const MINUS = 45;
const ZERO = 48;
const NINE = 57;
const OPEN = 91;
const BACKSLASH = 92;
const CLOSE = 93;
const N = 110;
const U = 117;
const L = 108;
const NEWLINE = 10;

/** Shape letters this scanner reads: integer, integer-or-null, 0/1, wait reason. Records with
 * strings (`O`, `X`, ...) never take the fast path. Neither does a record that carries one of
 * its OPTIONAL_SHAPES trailing fields: the scanner reads exactly the RECORD_SHAPES fields and
 * returns null on anything after them, so the general path validates the optional ones. */
const FAST_FIELDS = /^[iIbr]+$/;

function hashBytes(b: Uint8Array, start: number, end: number): number {
  let h = 0;
  for (let i = start; i < end; i++) h = (Math.imul(h, 31) + (b[i] as number)) | 0;
  return h;
}

function hashString(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

export class RecordScanner {
  /** Shape per type code (by char code), as char codes; null where the code is not scanned. */
  private readonly shapes: (Uint8Array | null)[] = new Array<Uint8Array | null>(128).fill(null);
  /** Wait reasons by hash of their bytes (verified byte by byte on a hit). */
  private readonly reasons = new Map<number, string>();
  /** One reused record per type code, of its exact length (changing an array's length is a
   * runtime call, too slow per record). Valid until the next scan of that code. */
  private readonly recs: ((number | string | null)[] | null)[] = new Array<(number | string | null)[] | null>(128).fill(null);
  /** Index just past the record's closing bracket, set by a successful scan(). */
  end = 0;

  constructor() {
    for (const [code, shape] of Object.entries(RECORD_SHAPES)) {
      if (code.length !== 1 || code.charCodeAt(0) >= 128 || !FAST_FIELDS.test(shape)) continue;
      this.shapes[code.charCodeAt(0)] = Uint8Array.from(shape, (c) => c.charCodeAt(0));
      this.recs[code.charCodeAt(0)] = [code, ...new Array<number>(shape.length).fill(0)];
    }
    for (const r of WAIT_REASONS) this.reasons.set(hashString(r), r);
  }

  /**
   * Reads the record that starts at `start` and must end right before a newline (or at
   * `limit`). Returns the reused record array, or null when the line needs the general path.
   */
  scan(b: Uint8Array, start: number, limit: number): TraceRecord | null {
    if (b[start] !== OPEN || b[start + 1] !== QUOTE || b[start + 3] !== QUOTE || b[start + 4] !== COMMA) return null;
    const cc = b[start + 2] as number;
    const shape = cc < 128 ? this.shapes[cc] : null;
    if (shape === null || shape === undefined) return null;
    const rec = this.recs[cc] as (number | string | null)[];
    let p = start + 5;
    const last = shape.length - 1;
    for (let f = 0; f <= last; f++) {
      const kind = shape[f] as number;
      let c = b[p];
      if (c === N) {
        // null: only where the shape allows it ('I').
        if (kind !== 73 || b[p + 1] !== U || b[p + 2] !== L || b[p + 3] !== L) return null;
        rec[f + 1] = null;
        p += 4;
      } else if (kind === 114) {
        // A wait reason: a short word without escapes, from the closed set.
        if (c !== QUOTE) return null;
        const s = p + 1;
        let q = s;
        while (q < limit && b[q] !== QUOTE && b[q] !== BACKSLASH && b[q] !== NEWLINE) q++;
        if (b[q] !== QUOTE) return null;
        const word = this.reasons.get(hashBytes(b, s, q));
        if (word === undefined || word.length !== q - s) return null;
        for (let i = 0; i < word.length; i++) if (word.charCodeAt(i) !== b[s + i]) return null;
        rec[f + 1] = word;
        p = q + 1;
      } else {
        let neg = false;
        if (c === MINUS) {
          neg = true;
          c = b[++p];
        }
        if (c === undefined || c < ZERO || c > NINE) return null;
        const digitsStart = p;
        let v = 0;
        while (c !== undefined && c >= ZERO && c <= NINE) {
          v = v * 10 + (c - ZERO);
          c = b[++p];
        }
        const digits = p - digitsStart;
        // JSON forbids leading zeros; more than 15 digits may not be exact by this sum
        // (JSON.parse rounds correctly): both go to the general path.
        if ((digits > 1 && b[digitsStart] === ZERO) || digits > 15) return null;
        if (kind === 98 && (neg || v > 1)) return null;
        rec[f + 1] = neg ? -v : v;
      }
      c = b[p];
      if (f === last ? c !== CLOSE : c !== COMMA) return null;
      p++;
    }
    if (p < limit && b[p] !== NEWLINE) return null;
    this.end = p;
    return rec as unknown as TraceRecord;
  }
}
