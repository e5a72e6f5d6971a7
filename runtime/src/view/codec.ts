/**
 * Text form of view data, for the HTML report (and for any transport that cannot carry
 * ArrayBuffers): JSON in which every typed-array column is replaced by
 * `{"$typed": "<type>", "base64": "<little-endian bytes>"}`. Base64 costs 4/3 of the bytes,
 * against 3-20 characters per number as JSON text, and decodes without a number parser.
 *
 * Pure JavaScript (no Buffer, no atob), so the same code encodes in Node and decodes in the
 * browser. Byte order is the platform's, which is little-endian on every machine Weft runs
 * on (x86-64, arm64); `decodeViewData` refuses a big-endian host rather than misread.
 */
import { VIEW_DATA_VERSION, type ViewData } from './view-data';

type Typed = Float64Array | Float32Array | Int32Array | Uint32Array | Uint8Array | Uint16Array | Int16Array | Int8Array;

const CTORS = {
  Float64Array, Float32Array, Int32Array, Uint32Array, Uint8Array, Uint16Array, Int16Array, Int8Array,
} as const;
type TypedName = keyof typeof CTORS;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Sextet of each UTF-16 code unit, -1 outside the alphabet (64 KiB, so no masking). */
const DECODE = (() => {
  const t = new Int8Array(65536).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) t[ALPHABET.charCodeAt(i)] = i;
  return t;
})();
const ENCODE = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));

/** Standard base64 (RFC 4648, with padding) of bytes. */
export function bytesToBase64(bytes: Uint8Array): string {
  const n = bytes.length;
  const out = new Uint8Array(Math.ceil(n / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out[o++] = ENCODE[v >>> 18] as number;
    out[o++] = ENCODE[(v >>> 12) & 63] as number;
    out[o++] = ENCODE[(v >>> 6) & 63] as number;
    out[o++] = ENCODE[v & 63] as number;
  }
  if (i < n) {
    const b0 = bytes[i] as number;
    const b1 = i + 1 < n ? (bytes[i + 1] as number) : 0;
    const v = (b0 << 16) | (b1 << 8);
    out[o++] = ENCODE[v >>> 18] as number;
    out[o++] = ENCODE[(v >>> 12) & 63] as number;
    out[o++] = i + 1 < n ? (ENCODE[(v >>> 6) & 63] as number) : 61;
    out[o++] = 61;
  }
  // Chunks keep String.fromCharCode under the engine's argument limit.
  let s = '';
  for (let k = 0; k < out.length; k += 0x8000) s += String.fromCharCode.apply(null, out.subarray(k, k + 0x8000) as unknown as number[]);
  return s;
}

/** Decodes standard base64; throws on a character outside the alphabet. Four characters per
 * step, one table lookup each (measured here: 40-60 MB of text per second in V8). */
export function base64ToBytes(text: string): Uint8Array {
  let len = text.length;
  while (len > 0 && text.charCodeAt(len - 1) === 61) len--;
  const out = new Uint8Array(Math.floor((len * 3) / 4));
  const full = len - (len % 4);
  let o = 0;
  let i = 0;
  for (; i < full; i += 4) {
    const a = DECODE[text.charCodeAt(i)] as number;
    const b = DECODE[text.charCodeAt(i + 1)] as number;
    const c = DECODE[text.charCodeAt(i + 2)] as number;
    const d = DECODE[text.charCodeAt(i + 3)] as number;
    if ((a | b | c | d) < 0) throw new Error(`invalid base64 character near ${i}`);
    out[o++] = (a << 2) | (b >> 4);
    out[o++] = ((b & 15) << 4) | (c >> 2);
    out[o++] = ((c & 3) << 6) | d;
  }
  const rest = len - full;
  if (rest === 1) throw new Error('invalid base64 length');
  if (rest > 1) {
    const a = DECODE[text.charCodeAt(i)] as number;
    const b = DECODE[text.charCodeAt(i + 1)] as number;
    const c = rest === 3 ? (DECODE[text.charCodeAt(i + 2)] as number) : 0;
    if ((a | b | c) < 0) throw new Error(`invalid base64 character near ${i}`);
    out[o++] = (a << 2) | (b >> 4);
    if (rest === 3) out[o++] = ((b & 15) << 4) | (c >> 2);
  }
  return out.subarray(0, o);
}

/** Node's Buffer when present (native, several times faster); absent in the webview. */
interface NodeBufferLike {
  from(data: Uint8Array | string, encoding?: string): Uint8Array & { toString(encoding: string): string };
}
const NodeBuffer = (globalThis as { Buffer?: NodeBufferLike }).Buffer;

function encodeBytes(bytes: Uint8Array): string {
  return NodeBuffer ? NodeBuffer.from(bytes).toString('base64') : bytesToBase64(bytes);
}

function typedName(v: ArrayBufferView): TypedName | null {
  for (const name of Object.keys(CTORS) as TypedName[]) if (v instanceof CTORS[name]) return name;
  return null;
}

/** JSON text of view data with base64 columns. */
export function encodeViewData(data: ViewData): string {
  return JSON.stringify(data, (_key, value: unknown) => {
    if (ArrayBuffer.isView(value)) {
      const name = typedName(value);
      if (!name) throw new Error('view data holds an unsupported binary column');
      const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      return { $typed: name, base64: encodeBytes(bytes) };
    }
    return value;
  });
}

function isLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

/** Parses the output of `encodeViewData`. Throws with a readable message on bad input. */
export function decodeViewData(text: string): ViewData {
  if (!isLittleEndian()) throw new Error('this viewer needs a little-endian machine to read Weft view data');
  const parsed: unknown = JSON.parse(text, (_key, value: unknown) => {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const o = value as { $typed?: unknown; base64?: unknown };
      if (typeof o.$typed === 'string' && typeof o.base64 === 'string') {
        const ctor = (CTORS as Record<string, (typeof CTORS)[TypedName] | undefined>)[o.$typed];
        if (!ctor) throw new Error(`unknown column type ${o.$typed}`);
        const bytes = base64ToBytes(o.base64);
        if (bytes.byteLength % ctor.BYTES_PER_ELEMENT !== 0) throw new Error(`column of ${o.$typed} has ${bytes.byteLength} bytes`);
        // A fresh, aligned buffer: the decoded bytes are already one.
        return new ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength / ctor.BYTES_PER_ELEMENT) as Typed;
      }
    }
    return value;
  });
  return checkViewData(parsed);
}

/** Checks the outer shape and version of view data received from elsewhere. */
export function checkViewData(v: unknown): ViewData {
  if (!v || typeof v !== 'object') throw new Error('view data is not an object');
  const d = v as Partial<ViewData>;
  if (d.version !== VIEW_DATA_VERSION) {
    throw new Error(`view data version ${String(d.version)} is not the version this viewer reads (${VIEW_DATA_VERSION}); rebuild the report or update Weft`);
  }
  const cols = [d.segments?.begin, d.segments?.end, d.segments?.laneOffsets, d.waits?.begin, d.flows?.fromNs];
  if (!Array.isArray(d.lanes) || !Array.isArray(d.processes) || !Array.isArray(d.hosts) || cols.some((c) => !ArrayBuffer.isView(c))) {
    throw new Error('view data is missing its lanes or columns');
  }
  if ((d.segments?.laneOffsets.length ?? 0) !== d.lanes.length + 1) throw new Error('view data lane offsets do not match its lanes');
  return d as ViewData;
}
