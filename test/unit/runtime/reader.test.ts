/** The streaming reader: tolerance of damaged and foreign input (fixtures: test/fixtures/README.md). */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TraceHeader, TraceRecord } from '../../../runtime/src/format/spec';
import { loadTrace } from '../../../runtime/src/model/build-model';
import { listTraceFiles, readProcessFile, TraceError, type RecordSink } from '../../../runtime/src/reader/read-trace';
import { FIXTURES, header, tempDir, writeProcessFile } from './helpers/traces';

/** A sink that copies every record (the reader may reuse the array it passes). */
function collect(): RecordSink & { header: TraceHeader | null; records: unknown[][] } {
  return {
    header: null,
    records: [],
    begin(h) {
      this.header = h;
    },
    record(rec: TraceRecord) {
      this.records.push([...rec]);
    },
  };
}

async function read(file: string, chunkBytes?: number) {
  const sink = collect();
  const result = await readProcessFile(file, sink, { chunkBytes });
  return { sink, result };
}

async function expectTraceError(p: Promise<unknown>, code: TraceError['code'], message: RegExp): Promise<void> {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(TraceError);
  expect((e as TraceError).code).toBe(code);
  expect((e as TraceError).message).toMatch(message);
}

describe('reader: complete traces', () => {
  it('reads a complete file without warnings, header first and records in file order', async () => {
    const { sink, result } = await read(path.join(FIXTURES, 'two-threads', 'weft-100-0.jsonl'));
    expect(result.warnings).toEqual([]);
    expect(result.complete).toBe(true);
    expect(sink.header?.pid).toBe(100);
    expect(sink.records.map((r) => r[0]).join('')).toBe('TSSSTTOWAEEZ');
    expect(result.records).toBe(12);
    expect(result.lastNs).toBe(1_300_000_000);
  });

  it('gives the same records whatever the chunk size, so lines split across reads are whole', async () => {
    const file = path.join(FIXTURES, 'contention', 'weft-200-0.jsonl');
    const whole = await read(file);
    for (const chunk of [64, 97, 1000]) {
      const small = await read(file, chunk);
      expect(small.sink.records).toEqual(whole.sink.records);
      expect(small.result.warnings).toEqual([]);
    }
  });

  it('keeps multi-byte characters intact when a read splits them', async () => {
    const dir = tempDir();
    const name = 'wörker-线程-🧵'.repeat(40);
    const file = writeProcessFile(dir, header(), [['T', 1_000_000_000, 1, 1, name, 0, null, null]]);
    for (const chunk of [64, 65, 66, 67]) {
      const { sink } = await read(file, chunk);
      expect(sink.records[0]?.[4]).toBe(name);
    }
  });

  it('accepts CRLF line endings and blank lines', async () => {
    const dir = tempDir();
    const h = JSON.stringify(header());
    writeFileSync(path.join(dir, 'weft-1-0.jsonl'), `${h}\r\n["T",1000000000,1,1,"MainThread",0,null,null]\r\n\r\n["E",1000000005,1]\r\n["Z",1000000009,"exit",0,2]\r\n`);
    const { sink, result } = await read(path.join(dir, 'weft-1-0.jsonl'));
    expect(sink.records.map((r) => r[0])).toEqual(['T', 'E', 'Z']);
    expect(result.warnings).toEqual([]);
  });

  it('reads a single .jsonl file given instead of a directory', async () => {
    const m = await loadTrace(path.join(FIXTURES, 'two-threads', 'weft-100-0.jsonl'));
    expect(m.processes).toHaveLength(1);
    expect(m.waits.count).toBe(1);
  });
});

describe('reader: damaged traces are read as far as they go, with warnings', () => {
  it('a cut last line and a missing end record: both warned, everything before kept', async () => {
    const { sink, result } = await read(path.join(FIXTURES, 'truncated', 'weft-100-0.jsonl'));
    expect(result.complete).toBe(false);
    expect(sink.records.filter((r) => r[0] === 'W')).toHaveLength(1);
    expect(result.warnings).toContainEqual(expect.stringContaining('the last line is cut short'));
    // The missing end record is the model's to report: it knows whether a parent ended the process.
    const m = await loadTrace(path.join(FIXTURES, 'truncated'));
    expect(m.warnings).toContainEqual('process 100 was cut short (killed or crashed?): read up to 300.0 ms after it started; its trace has no end record.');
  });

  it('unknown record types are skipped with one warning per type, counted', async () => {
    const dir = tempDir();
    const file = writeProcessFile(dir, header(), [
      ['T', 1_000_000_000, 1, 1, 'MainThread', 0, null, null], ['J', 1, 2], ['J', 3], ['JJ', 4], ['E', 1_000_000_002, 1],
    ]);
    const { sink, result } = await read(file);
    expect(sink.records.map((r) => r[0])).toEqual(['T', 'E', 'Z']);
    expect(result.warnings).toEqual([
      'weft-1-0.jsonl: 2 record(s) of unknown type "J" were skipped (written by a newer Weft?).',
      'weft-1-0.jsonl: 1 record(s) of unknown type "JJ" were skipped (written by a newer Weft?).',
    ]);
  });

  it('the future-records fixture loads with its unknown record warned about', async () => {
    const m = await loadTrace(path.join(FIXTURES, 'future-records'));
    expect(m.warnings).toEqual(['weft-100-0.jsonl: 1 record(s) of unknown type "J" were skipped (written by a newer Weft?).']);
    expect(m.waits.count).toBe(1);
  });

  it('invalid records are counted and skipped, the first three quoted', async () => {
    const dir = tempDir();
    const file = writeProcessFile(dir, header(), [
      ['T', 1_000_000_000, 1, 1, 'MainThread', 0, null, null],
      ['E', 'soon', 1],
      '{"not": "an array"}',
      '["K",1,2,3',
      ['W', 1, 2, 1, 1, 42, null, null, null, null, 0],
      ['C', 1.5, 1, 2],
      ['E', 1_000_000_002, 1],
    ]);
    const { sink, result } = await read(file);
    expect(sink.records.map((r) => r[0])).toEqual(['T', 'E', 'Z']);
    const w = result.warnings.find((x) => x.includes('invalid record'));
    expect(w).toMatch(/^weft-1-0\.jsonl: 5 invalid record\(s\) were skipped, e\.g\. line 3: record "E" field 1 \("soon"\)/);
    expect(w).toContain('line 4: record is not an array');
    expect(w).toContain('line 5: not JSON: ["K",1,2,3');
    expect(w).not.toContain('napping');
  });

  it('a newer format version is a warning and what is understood is read', async () => {
    const dir = tempDir();
    const file = writeProcessFile(dir, header({ version: 3 }), [['T', 1_000_000_000, 1, 1, 'MainThread', 0, null, null, 'extra field']]);
    const { sink, result } = await read(file);
    expect(sink.records[0]?.[4]).toBe('MainThread');
    expect(result.warnings[0]).toMatch(/written in trace format v3, newer than this Weft reads \(v2\)/);
  });

  it('an end record whose count disagrees with the file says records were lost', async () => {
    const dir = tempDir();
    const h = header();
    writeFileSync(path.join(dir, 'weft-1-0.jsonl'), `${JSON.stringify(h)}\n["T",1000000000,1,1,"M",0,null,null]\n["Z",1000000001,"exit",0,5]\n`);
    const { result } = await read(path.join(dir, 'weft-1-0.jsonl'));
    expect(result.warnings).toEqual(['weft-1-0.jsonl: the end record counts 5 records but the file has 1 before it; some were lost.']);
  });

  it('records after the end record are kept, with a warning', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'weft-1-0.jsonl'), `${JSON.stringify(header())}\n["Z",1000000001,"exit",0,0]\n["T",1000000002,1,1,"late",0,null,null]\n`);
    const { sink, result } = await read(path.join(dir, 'weft-1-0.jsonl'));
    expect(sink.records.map((r) => r[0])).toEqual(['Z', 'T']);
    expect(result.warnings).toEqual(['weft-1-0.jsonl: 1 record(s) follow the end record; they were read.']);
  });
});

describe('reader: input that is not a trace is a precise error', () => {
  it('a foreign file under a Weft name says it is not a Weft trace', async () => {
    await expectTraceError(loadTrace(path.join(FIXTURES, 'foreign')), 'not-a-trace', /weft-100-0\.jsonl is not a Weft trace: first line is not a Weft header \(format is undefined\)/);
  });

  it('a first line that is not JSON at all', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'weft-1-0.jsonl'), 'PK\u0003\u0004 binary\n');
    await expectTraceError(loadTrace(dir), 'not-a-trace', /its first line is not JSON/);
  });

  it('an empty directory says how to make a trace', async () => {
    await expectTraceError(loadTrace(tempDir()), 'empty', /no Weft trace files \(weft-<pid>-<n>\.jsonl\) in .*weft run --out/);
  });

  it('a missing path says which directory to pass', async () => {
    await expectTraceError(loadTrace(path.join(tempDir(), 'nope')), 'not-found', /does not exist\. Pass the directory that "weft run" wrote/);
  });

  it('an empty process file alone is an error; beside a readable one it is a warning', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'weft-5-0.jsonl'), '');
    await expectTraceError(loadTrace(dir), 'empty', /weft-5-0\.jsonl is empty/);
    writeProcessFile(dir, header({ pid: 4 }), [['T', 1_000_000_000, 1, 1, 'MainThread', 0, null, null]]);
    const m = await loadTrace(dir);
    expect(m.processes.map((p) => p.pid)).toEqual([4]);
    expect(m.warnings).toContainEqual(expect.stringMatching(/weft-5-0\.jsonl is empty.*\(skipped\)$/));
  });

  it('lists process files by pid then serial and ignores other files', async () => {
    const dir = tempDir();
    for (const [pid, serial] of [[20, 1], [3, 0], [20, 0]] as const) writeProcessFile(dir, header({ pid, serial }), []);
    writeFileSync(path.join(dir, 'notes.txt'), 'hello');
    mkdirSync(path.join(dir, 'weft-1-0.jsonl.d'));
    const { files, run } = await listTraceFiles(dir);
    expect(files.map((f) => path.basename(f.path))).toEqual(['weft-3-0.jsonl', 'weft-20-0.jsonl', 'weft-20-1.jsonl']);
    expect(run).toBeNull();
  });

  it('a broken run.json is a warning, not an error', async () => {
    const dir = tempDir();
    writeProcessFile(dir, header(), []);
    writeFileSync(path.join(dir, 'run.json'), '{"format": "weft-run", ');
    const m = await loadTrace(dir);
    expect(m.warnings[0]).toMatch(/^run\.json could not be read/);
  });
});
