/**
 * The fast record scanner must accept exactly what the general path (JSON.parse +
 * validateRecord) accepts, with the same values: it only changes speed.
 */
import { describe, expect, it } from 'vitest';
import { nestsDeeperThan } from '../../../runtime/src/format/safe-values';
import { validateRecord } from '../../../runtime/src/format/spec';
import { RecordScanner } from '../../../runtime/src/reader/record-scanner';

const enc = new TextEncoder();

/** What the reader would get for a line: the fast path, or null if it falls back. */
function scan(line: string): unknown[] | null {
  const bytes = enc.encode(`${line}\n`);
  const rec = new RecordScanner().scan(bytes, 0, bytes.length);
  return rec === null ? null : [...rec];
}

/** The reader's general path: a depth check on the bytes, JSON.parse, validateRecord. */
function general(line: string): unknown[] | null {
  const bytes = enc.encode(line);
  if (nestsDeeperThan(bytes, 0, bytes.length)) return null;
  try {
    const v = JSON.parse(line) as unknown;
    return validateRecord(v) === null ? (v as unknown[]) : null;
  } catch {
    return null;
  }
}

describe('record scanner', () => {
  it('reads the hot records exactly as JSON.parse does', () => {
    const lines = [
      '["W",7247804377798,7247808920087,3,2,"queue_put",3,null,null,5,0]',
      '["W",1,2,1,1,"lock",null,null,null,null,7]',
      '["K",7247814271353,5,4,1]',
      '["K",7247814271353,5,null,0]',
      '["C",7247814271353,1,154699719]',
      '["A",1490000000,3,4]',
      '["E",1500000000,2]',
      '["Q",1400000000,301,-9]',
      '["W",0,0,0,0,"mp_queue_get",0,0,0,0,0]',
    ];
    for (const line of lines) {
      const fast = scan(line);
      expect(fast, line).not.toBeNull();
      expect(fast, line).toEqual(general(line));
    }
  });

  it('leaves anything unusual to the general path, which decides validity', () => {
    const lines = [
      '["W", 1,2,1,1,"lock",null,null,null,null,0]', // whitespace: valid JSON
      '["C",1.0,1,2]', // 1.0 is an integer to JSON
      '["C",1e3,1,2]',
      '["E",1,2,"extra"]', // trailing fields are allowed
      '["W",1,2,1,1,"lo\\u0063k",null,null,null,null,0]', // escaped reason
      '["C",12345678901234567,1,2]', // too many digits to sum exactly
      '["C",01,1,2]', // leading zero: not JSON
      '["C",-0,1,2]',
      '["W",1,2,1,1,"napping",null,null,null,null,0]', // unknown reason: invalid
      '["K",1,2,3,null]', // null where an integer is required: invalid
      '["E",1]', // too few fields: invalid
      '["T",1,1,1,"MainThread",0,null,null]', // strings: not scanned at all
      '["E",1,2]\r',
    ];
    for (const line of lines) {
      const fast = scan(line);
      if (fast !== null) expect(fast, line).toEqual(general(line));
    }
    expect(scan('["C",1.0,1,2]')).toBeNull();
    expect(scan('["W",1,2,1,1,"napping",null,null,null,null,0]')).toBeNull();
    expect(scan('["C",01,1,2]')).toBeNull();
    expect(general('["C",01,1,2]')).toBeNull();
  });

  it('matches the general path on random records, valid and corrupted', () => {
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const reasons = ['lock', 'sleep', 'queue_get', 'condition'];
    const field = (): string => ['null', String(rand(1e9)), String(-rand(100)), `"${reasons[rand(4)]}"`, '0', '1', '1e308', '[[1]]'][rand(8)] as string;
    for (let i = 0; i < 3000; i++) {
      const code = ['W', 'K', 'C', 'A', 'E', 'Q'][rand(6)] as string;
      const n = { W: 10, K: 4, C: 3, A: 3, E: 2, Q: 3 }[code] as number;
      let line = `["${code}",${Array.from({ length: n }, field).join(',')}]`;
      if (rand(4) === 0) line = line.slice(0, rand(line.length)); // truncated
      const fast = scan(line);
      if (fast !== null) expect(fast, line).toEqual(general(line));
      // These lines are compact (no spaces, floats or escapes): valid ones must be scanned.
      else expect(general(line), `${line} is valid but was not scanned`).toBeNull();
    }
  });

  it('agrees with the general path on hostile lines: prototype keys, huge numbers, deep arrays', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const rejected = [
      '["__proto__",1,2]', '["toString",1]', '["constructor",1,2,3]', '["hasOwnProperty",1,2]',
      '["C",1e308,1,2]', '["C",-1e308,1,2]', '["E",1e400,1]', // 1e400 parses to Infinity
      '["C",9223372036854775808,1,2]', '["C",99999999999999999999,1,2]', // 2^63 and beyond
      `["E",${deep},1]`, `["E",1,${deep}]`, `["W",1,2,1,1,${deep},null,null,null,null,0]`,
      `["E",1,2,${deep}]`, // even as a trailing field: the line is damaged
    ];
    for (const line of rejected) {
      expect(scan(line), line.slice(0, 40)).toBeNull();
      expect(general(line), line.slice(0, 40)).toBeNull();
    }
    // Integers past 2^53 are real (CLOCK_MONOTONIC after 104 days of uptime): the general
    // path reads them, the scanner leaves them to it (more than 15 digits).
    const accepted = ['["C",9007199254740993,1,2]', '["E",123456789012345678,1]', '["K",9223372036854774784,1,null,0]'];
    for (const line of accepted) {
      expect(scan(line), line).toBeNull();
      expect(general(line), line).not.toBeNull();
    }
  });

  it('never reads past the line it was given', () => {
    const bytes = enc.encode('["E",1,2]\n["E",3,4]\n');
    const s = new RecordScanner();
    expect(s.scan(bytes, 0, bytes.length)).toEqual(['E', 1, 2]);
    expect(s.end).toBe(9);
    expect(s.scan(bytes, 10, bytes.length)).toEqual(['E', 3, 4]);
    const cut = enc.encode('["E",1,2');
    expect(s.scan(cut, 0, cut.length)).toBeNull();
  });
});
