/**
 * One test per way a hostile trace folder crashed or hung the reader (the fuzz test in
 * test/contract/damaged-traces-fuzz.test.ts runs them all through the commands): each is now a
 * warning, a skipped record or a TraceError that says what to do. The special files of a
 * trace folder (links, directories) are in trace-listing.test.ts, the CLI's errors in
 * cli-trace-commands.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeValue, firstLine, isTraceInt, nestsDeeperThan, printable } from '../../../runtime/src/format/safe-values';
import { validateHeader, validateRecord, type TraceRecord } from '../../../runtime/src/format/spec';
import { readProcessFile, TraceError, type RecordSink } from '../../../runtime/src/reader/read-trace';
import { header, tempDir, writeProcessFile } from './helpers/traces';

const deep = (n: number): string => `${'['.repeat(n)}${']'.repeat(n)}`;
const MAIN = ['T', 1_000_000_000, 1, 1, 'MainThread', 0, null, null];

function sink(): RecordSink & { codes: string[] } {
  return {
    codes: [],
    begin() {},
    record(rec: TraceRecord) {
      this.codes.push(rec[0]);
    },
  };
}

async function read(file: string, opts: { chunkBytes?: number; maxLineBytes?: number } = {}) {
  const s = sink();
  const result = await readProcessFile(file, s, opts);
  return { codes: s.codes, warnings: result.warnings };
}

async function traceError(p: Promise<unknown>): Promise<TraceError> {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(TraceError);
  return e as TraceError;
}

describe('values from a trace never crash a validator or a message', () => {
  it('a 100,000-deep array in a record field is reported, briefly, without a RangeError', () => {
    const err = validateRecord(['E', JSON.parse(deep(100_000)) as unknown, 1]);
    expect(err).toBe('record "E" field 1 ([[[[…]]]]) does not match shape "i"');
  });

  it('a 100,000-deep array as the header format is reported without a RangeError', () => {
    expect(validateHeader({ format: JSON.parse(deep(100_000)) as unknown })).toBe('first line is not a Weft header (format is [[[[…]]]])');
  });

  it('record types named after Object.prototype members are unknown types, not shapes', () => {
    for (const code of ['__proto__', 'toString', 'constructor', 'hasOwnProperty', 'valueOf']) {
      expect(validateRecord([code, 99_999_000_000_000]), code).toBe(`unknown record type "${code}"`);
    }
  });

  it('integers must lie within ±2^63: 1e308 and Infinity are not timestamps', () => {
    expect(validateRecord(['E', 1e308, 1])).toBe('record "E" field 1 (1e+308) does not match shape "i"');
    expect(validateRecord(['K', 1, 1, -1e300, 0])).toMatch(/field 3 .* does not match shape "I"/);
    expect(validateRecord(['E', 2 ** 62, 1])).toBeNull();
    expect(isTraceInt(2 ** 63)).toBe(false);
    expect(isTraceInt(-(2 ** 63) + 4096)).toBe(true);
    expect(validateHeader({ ...header(), startNs: 1e308 })).toBe('header field "startNs" is not an integer (within ±2^63)');
  });

  it('describeValue stays short for any value; printable escapes control characters', () => {
    expect(describeValue('x'.repeat(10_000_000))).toHaveLength(61);
    expect(describeValue({ a: [1, 2, { b: [[[3]]] }], c: 'd' })).toBe('{"a":[1,2,{"b":[…]}],"c":"d"}');
    expect(describeValue(Array.from({ length: 1000 }, (_, i) => i))).toBe('[0,1,2,3,4,5,…]');
    expect(describeValue(undefined)).toBe('undefined');
    expect(printable('a\u001b[2Jb\u0000')).toBe('a\\u001b[2Jb\\u0000');
    expect(firstLine('one\n    at two')).toBe('one');
  });

  it('the nesting check ignores brackets inside strings', () => {
    const b = new TextEncoder().encode(`["N",1,1,"${'['.repeat(100)}"]`);
    expect(nestsDeeperThan(b, 0, b.length)).toBe(false);
    const d = new TextEncoder().encode(`["N",1,1,"\\"${deep(33)}"]`);
    expect(nestsDeeperThan(d, 0, d.length)).toBe(false);
    const e = new TextEncoder().encode(deep(33));
    expect(nestsDeeperThan(e, 0, e.length)).toBe(true);
  });
});

describe('the reader skips damaged lines and refuses what is not a file', () => {
  it('a deeply nested record is one invalid record; the rest of the file is read', async () => {
    const file = writeProcessFile(tempDir(), header(), [MAIN, `["E",${deep(100_000)},1]`, ['E', 1_000_000_002, 1]]);
    const { codes, warnings } = await read(file);
    expect(codes).toEqual(['T', 'E', 'Z']);
    expect(warnings).toContain('weft-1-0.jsonl: 1 invalid record(s) were skipped, e.g. line 3: nested deeper than 32 levels.');
  });

  it('a deeply nested header is not a Weft trace', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'weft-1-0.jsonl'), `{"format":"weft-trace","x":${deep(100_000)}}\n`);
    const e = await traceError(read(path.join(dir, 'weft-1-0.jsonl')));
    expect(e.code).toBe('not-a-trace');
    expect(e.message).toMatch(/its first line nests deeper than 32 levels\. Weft reads the directories/);
  });

  it('a __proto__ record far in the future no longer stretches the trace', async () => {
    const file = writeProcessFile(tempDir(), header(), [MAIN, ['__proto__', 99_999_000_000_000], ['toString', 1], ['constructor', 1, 2]]);
    const s = sink();
    const r = await readProcessFile(file, s);
    expect(r.lastNs).toBe(1_001_000_000);
    expect(r.warnings.filter((w) => w.includes('unknown type'))).toHaveLength(3);
  });

  it('a timestamp of 1e308 is an invalid record, counted with the others', async () => {
    const file = writeProcessFile(tempDir(), header(), [MAIN, '["E",1e308,1]', '["E",1e400,1]']);
    const { codes, warnings } = await read(file);
    expect(codes).toEqual(['T', 'Z']);
    expect(warnings.find((w) => w.includes('invalid'))).toMatch(/^weft-1-0\.jsonl: 2 invalid record\(s\) were skipped, e\.g\. line 3: record "E" field 1 \(1e\+308\)/);
  });

  it('thousands of distinct unknown types make a bounded number of warnings', async () => {
    const lines = Array.from({ length: 5000 }, (_, k) => `["X${k}${'q'.repeat(k % 50)}",1]`);
    const { warnings } = await read(writeProcessFile(tempDir(), header(), [MAIN, ...lines]));
    expect(warnings.length).toBeLessThan(15);
    expect(warnings).toContain('weft-1-0.jsonl: 4990 record(s) of other unknown types were skipped (a damaged file?).');
    expect(warnings.every((w) => w.length < 300)).toBe(true);
  });

  it('a line longer than the bound is skipped as damaged, whatever the chunk size, and the rest read', async () => {
    const dir = tempDir();
    const h = JSON.stringify(header());
    writeFileSync(path.join(dir, 'weft-1-0.jsonl'), `${h}\n${JSON.stringify(MAIN)}\n["N",1,1,"${'z'.repeat(5000)}"]\n["E",1000000002,1]\n["Z",1000000003,"exit",0,3]\n`);
    for (const chunkBytes of [64, 100, 1000]) {
      const { codes, warnings } = await read(path.join(dir, 'weft-1-0.jsonl'), { chunkBytes, maxLineBytes: 1024 });
      expect(codes, String(chunkBytes)).toEqual(['T', 'E', 'Z']);
      expect(warnings, String(chunkBytes)).toEqual(['weft-1-0.jsonl: 1 invalid record(s) were skipped, e.g. line 3: longer than 1024 bytes (damaged?).']);
    }
  });

  it('an over-long first line is not a trace; an over-long cut last line is a warning', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'weft-1-0.jsonl'), Buffer.alloc(10_000));
    const e = await traceError(read(path.join(dir, 'weft-1-0.jsonl'), { chunkBytes: 64, maxLineBytes: 1024 }));
    expect(e.message).toMatch(/its first line is longer than 1024 bytes/);
    writeFileSync(path.join(dir, 'weft-2-0.jsonl'), `${JSON.stringify(header())}\n${JSON.stringify(MAIN)}\n["N",1,1,"${'z'.repeat(5000)}`);
    const { codes, warnings } = await read(path.join(dir, 'weft-2-0.jsonl'), { chunkBytes: 64, maxLineBytes: 1024 });
    expect(codes).toEqual(['T']);
    expect(warnings[0]).toBe('weft-2-0.jsonl: the last line is longer than 1024 bytes and has no end (damaged?); it was skipped.');
  });

  it('a FIFO is refused at once, not waited on', async () => {
    const fifo = path.join(tempDir(), 'weft-1-0.jsonl');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const e = await traceError(read(fifo));
    expect(e.code).toBe('unreadable');
    expect(e.message).toMatch(/weft-1-0\.jsonl is a named pipe \(FIFO\), not a trace file/);
  });

  it('a directory and a device are refused as trace files', async () => {
    const dir = path.join(tempDir(), 'weft-1-0.jsonl');
    mkdirSync(dir);
    expect((await traceError(read(dir))).message).toMatch(/is a directory, not a trace file/);
    expect((await traceError(read('/dev/zero'))).message).toMatch(/\/dev\/zero is a device, not a trace file/);
  });
});
