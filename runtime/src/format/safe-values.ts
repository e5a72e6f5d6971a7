/**
 * Checks and descriptions of untrusted values from trace files, safe on any input.
 *
 * A trace folder may be damaged or hostile: a field may hold an array nested 100,000 deep, a
 * string of 60 MB, or a number like 1e308. Every function here runs in bounded stack depth and
 * bounded output size whatever it is given, so a validator or a warning message can never be
 * what crashes the reader (`JSON.stringify` of a 100,000-deep array threw RangeError inside
 * `validateRecord`, see issue "a reader that cannot be crashed"). Pure: imports nothing.
 */

/**
 * Integers in a trace (timestamps, ids, counts) must lie strictly within ±2^63, the range of
 * the signed 64-bit nanosecond clock the agent reads. A bound of 2^53 (the exact doubles) would
 * be too tight: CLOCK_MONOTONIC counts from boot and passes 2^53 ns after 104 days of uptime,
 * so real traces of long-running servers hold such values (read to the nearest double, a few
 * ns off). What the bound rules out is the damage: 1e308 is an integer to JavaScript, and a
 * timestamp like that made durations Infinity ("Infinity% of its life").
 */
export const MAX_TRACE_INT = 2 ** 63;

/** An integer a trace may hold (see {@link MAX_TRACE_INT}). */
export function isTraceInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < MAX_TRACE_INT;
}

/**
 * Deepest nesting of arrays and objects a trace line may have. Records nest at most two levels
 * (`P` argv) and headers three (v2 `host`); a line deeper than this is damaged. The bound keeps
 * every later step that recurses (structured cloning to and from parse workers, JSON.stringify
 * of a header) far from the stack limit.
 */
export const MAX_JSON_DEPTH = 32;

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_ARRAY = 91;
const CLOSE_ARRAY = 93;
const OPEN_OBJECT = 123;
const CLOSE_OBJECT = 125;

/**
 * True when the JSON text in `bytes[start, end)` nests arrays or objects deeper than `limit`.
 * One pass over the bytes, brackets inside strings ignored; it runs before `JSON.parse`, which
 * would spend seconds and gigabytes on a 10-million-deep line only for the record to be
 * rejected. Text that is not JSON gives an arbitrary answer; `JSON.parse` then rejects it.
 */
export function nestsDeeperThan(bytes: Uint8Array, start: number, end: number, limit: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = start; i < end; i++) {
    const c = bytes[i] as number;
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}

/** Longest text {@link describeValue} returns, about (a message quotes a value, it does not dump it). */
const DESCRIBE_CHARS = 60;
/** Containers deeper than this are shown as `[…]` / `{…}`. */
const DESCRIBE_DEPTH = 3;
/** Elements or keys shown per container. */
const DESCRIBE_ITEMS = 6;

/**
 * A short JSON-like rendering of any value for a message: strings quoted (escapes as JSON),
 * containers to depth 3 and 6 items, the whole cut to about 60 characters with "…". Never
 * throws and never recurses deeper than {@link DESCRIBE_DEPTH}, whatever the value.
 */
export function describeValue(v: unknown, maxChars: number = DESCRIBE_CHARS): string {
  const text = render(v, 0, maxChars + 1);
  return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
}

function render(v: unknown, depth: number, budget: number): string {
  if (v === undefined) return 'undefined';
  if (v === null || typeof v === 'boolean' || typeof v === 'number') return String(v);
  // Only the start of a long string is escaped: JSON.stringify of the whole would copy it.
  if (typeof v === 'string') return JSON.stringify(v.length > budget ? v.slice(0, budget) : v);
  if (typeof v !== 'object') return typeof v;
  const isArray = Array.isArray(v);
  if (depth >= DESCRIBE_DEPTH) return isArray ? '[…]' : '{…}';
  const parts: string[] = [];
  let used = 2;
  if (isArray) {
    const a = v as unknown[];
    for (let i = 0; i < a.length && i < DESCRIBE_ITEMS && used < budget; i++) {
      const p = render(a[i], depth + 1, budget - used);
      parts.push(p);
      used += p.length + 1;
    }
    if (a.length > parts.length) parts.push('…');
    return `[${parts.join(',')}]`;
  }
  const o = v as Record<string, unknown>;
  let n = 0;
  for (const k in o) {
    if (!Object.hasOwn(o, k)) continue;
    if (n >= DESCRIBE_ITEMS || used >= budget) {
      parts.push('…');
      break;
    }
    const p = `${render(k, depth + 1, budget - used)}:${render(o[k], depth + 1, budget - used)}`;
    parts.push(p);
    used += p.length + 1;
    n++;
  }
  return `{${parts.join(',')}}`;
}

/** The first line of a message, cut to `maxChars`: for one-line errors built from any Error. */
export function firstLine(message: string, maxChars = 300): string {
  const nl = message.indexOf('\n');
  const line = (nl < 0 ? message : message.slice(0, nl)).trimEnd();
  return line.length > maxChars ? `${line.slice(0, maxChars)}…` : line;
}

/**
 * `s` with control characters written as `\uXXXX`, so that text quoted from a damaged file
 * cannot move the cursor or recolour a terminal when a warning is printed.
 */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
