/** Reader tolerance and model aggregation on hand-written traces (see test/fixtures/README.md). */
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTrace } from '../../../runtime/src/model/build-model';
import { TraceError } from '../../../runtime/src/reader/read-trace';
import { buildSummary } from '../../../runtime/src/summary/summary';
import { SUMMARY_JSON_SCHEMA, SUMMARY_SCHEMA_VERSION } from '../../../runtime/src/summary/schema';
import { parseArgs } from '../../../runtime/src/cli/main';

const FIX = path.resolve(__dirname, '..', '..', 'fixtures');

describe('reader tolerance', () => {
  it('a complete trace loads without warnings and its lock wait is attributed to the holder', async () => {
    const m = await loadTrace(path.join(FIX, 'two-threads'));
    expect(m.warnings).toEqual([]);
    expect(m.lanes.map((l) => l.name)).toEqual(['MainThread', 'holder', 'waiter']);
    const lock = m.locks[0];
    expect(lock?.contentions).toBe(1);
    expect(lock?.maxWaitNs).toBe(200_000_000);
    expect(m.lanes[lock?.holders[0]?.lane ?? -1]?.name).toBe('holder');
    expect(m.sites[lock?.holders[0]?.site ?? -1]?.line).toBe(11);
    expect(m.flows).toHaveLength(1);
  });

  it('a truncated trace loads partially with a warning saying it was cut short', async () => {
    const m = await loadTrace(path.join(FIX, 'truncated'));
    expect(m.warnings.some((w) => w.includes('cut short'))).toBe(true);
    expect(m.warnings.some((w) => w.includes('last line is cut short'))).toBe(true);
    expect(m.waits.count).toBe(1);
    expect(m.processes[0]?.complete).toBe(false);
  });

  it('unknown record types are skipped with one warning', async () => {
    const m = await loadTrace(path.join(FIX, 'future-records'));
    expect(m.warnings.some((w) => w.includes('unknown type "Y"'))).toBe(true);
    expect(m.waits.count).toBe(1);
  });

  it('a foreign file is a precise error, not a crash', async () => {
    await expect(loadTrace(path.join(FIX, 'foreign'))).rejects.toThrow(TraceError);
    await expect(loadTrace(path.join(FIX, 'foreign'))).rejects.toThrow(/not a Weft trace/);
  });

  it('an empty or missing directory says what to do', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'weft-empty-'));
    await expect(loadTrace(empty)).rejects.toThrow(/no Weft trace files/);
    await expect(loadTrace(path.join(empty, 'nope'))).rejects.toThrow(/does not exist/);
  });

  it('a multi-byte character split across read chunks survives', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'weft-utf8-'));
    mkdirSync(dir, { recursive: true });
    const header = '{"format":"weft-trace","version":1,"agent":"0","pid":1,"ppid":0,"serial":0,"python":"3.11","implementation":"cpython","gil":true,"platform":"linux","clock":"CLOCK_MONOTONIC","startNs":0,"wallNs":0,"argv":[],"cwd":"/","executable":"p","startMethod":"main","sampleHz":0}';
    const name = 'é'.repeat(600_000);
    writeFileSync(path.join(dir, 'weft-1-0.jsonl'), `${header}\n["T",1,1,1,"${name}",0,null,null]\n["Z",2,"exit",0,1]\n`);
    const m = await loadTrace(dir);
    expect(m.lanes[0]?.name).toBe(name);
  });
});

describe('summary', () => {
  it('matches the documented schema', async () => {
    const s = buildSummary(await loadTrace(path.join(FIX, 'two-threads')));
    expect(s.schemaVersion).toBe(SUMMARY_SCHEMA_VERSION);
    for (const key of SUMMARY_JSON_SCHEMA.required) expect(s).toHaveProperty(key);
    for (const key of SUMMARY_JSON_SCHEMA.properties.locks.items.required) expect(s.locks[0]).toHaveProperty(key);
    for (const key of SUMMARY_JSON_SCHEMA.properties.processes.items.properties.threads.items.required) {
      expect(s.processes[0]?.threads[0]).toHaveProperty(key);
    }
    const waiter = s.processes[0]?.threads.find((t) => t.name === 'waiter');
    expect(waiter?.waitMs.lock).toBe(200);
  });
});

describe('CLI arguments', () => {
  it('options before the script are Weft\'s, everything after is the program\'s', () => {
    expect(parseArgs(['run', '--sample-hz', '50', 'a.py', '--out', 'x'])).toEqual({
      kind: 'run', out: null, python: null, sampleHz: 50, summary: true, target: ['a.py', '--out', 'x'],
    });
    expect(parseArgs(['run', '-m', 'pkg', '-v'])).toMatchObject({ kind: 'run', target: ['-m', 'pkg', '-v'] });
    expect(() => parseArgs(['run', '--sample-hz', '5000', 'a.py'])).toThrow(/0 to 1000/);
    expect(() => parseArgs(['run'])).toThrow(/needs a script/);
    expect(parseArgs(['summary', 'd', '--json'])).toEqual({ kind: 'summary', dir: 'd', json: true });
    expect(parseArgs(['run', 'a.py', '--help'])).toMatchObject({ kind: 'run', target: ['a.py', '--help'] });
    expect(parseArgs(['run', '--help'])).toEqual({ kind: 'help', topic: 'run' });
  });
});
