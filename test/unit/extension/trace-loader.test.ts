/**
 * The host's trace loading: view data from a trace directory, the run's cwd from run.json,
 * and warnings that are normal while a program still writes its trace hidden only then.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TraceError } from '../../../runtime/src/reader/read-trace';
import { InProcessTraceLoader, liveWarnings, readRunInfo, traceDisplayName } from '../../../extension/src/trace-loader';

const FIX = path.resolve(__dirname, '..', '..', 'fixtures');
const loader = new InProcessTraceLoader();

function tempTrace(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'weft-ext-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

describe('InProcessTraceLoader', () => {
  it('a complete trace becomes view data with its lanes and lock, without warnings', async () => {
    const t = await loader.load(path.join(FIX, 'two-threads'));
    expect(t.data.lanes.map((l) => l.name)).toEqual(['MainThread', 'holder', 'waiter']);
    expect(t.data.locks).toHaveLength(1);
    expect(t.data.locks[0]?.contentions).toBe(1);
    expect(t.data.warnings).toEqual([]);
  });

  it('a truncated trace opens with warnings saying it was cut short and keeps what was read', async () => {
    const t = await loader.load(path.join(FIX, 'truncated'));
    expect(t.data.warnings.some((w) => /cut short/.test(w))).toBe(true);
    expect(t.data.lanes.map((l) => l.name)).toEqual(['MainThread', 'holder', 'waiter']);
  });

  it('while the program runs, a missing end record and a half-written last line are not warnings', async () => {
    const t = await loader.load(path.join(FIX, 'truncated'), { live: true });
    expect(t.data.warnings).toEqual([]);
    expect(t.data.lanes).toHaveLength(3);
  });

  it('while the program runs, a child process that has not written its header yet is not a warning', async () => {
    const complete = readFileSync(path.join(FIX, 'two-threads', 'weft-100-0.jsonl'), 'utf8');
    const header = complete.split('\n')[0] as string;
    const dir = tempTrace({ 'weft-100-0.jsonl': complete, 'weft-101-0.jsonl': '', 'weft-102-0.jsonl': header.slice(0, 40) });
    const live = await loader.load(dir, { live: true });
    expect(live.data.warnings).toEqual([]);
    // Once the program has ended the same files are reported.
    const final = await loader.load(dir);
    expect(final.data.warnings.join('\n')).toMatch(/weft-101-0\.jsonl is empty/);
    expect(final.data.warnings.join('\n')).toMatch(/weft-102-0\.jsonl is not a Weft trace/);
  });

  it('live filtering keeps every other warning', () => {
    const others = ['weft-1-0.jsonl: 2 record(s) of unknown type "Y" were skipped (written by a newer Weft?).'];
    expect(liveWarnings([...others, 'process 1 was cut short (killed or crashed?): read up to 1 s after it started; its trace has no end record.'])).toEqual(others);
  });

  it('a foreign file is a TraceError with a precise message, not a crash', async () => {
    await expect(loader.load(path.join(FIX, 'foreign'))).rejects.toThrow(TraceError);
    await expect(loader.load(path.join(FIX, 'foreign'))).rejects.toThrow(/not a Weft trace/);
    await expect(loader.load(path.join(FIX, 'does-not-exist'))).rejects.toThrow(/does not exist/);
  });

  it('the run\'s cwd comes from run.json, for a directory and for one of its files', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'weft-run-'));
    copyFileSync(path.join(FIX, 'two-threads', 'weft-100-0.jsonl'), path.join(dir, 'weft-100-0.jsonl'));
    writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ format: 'weft-run', version: 1, command: ['python3'], cwd: '/w', python: '3.11.7', startWallMs: 1 }));
    expect((await loader.load(dir)).run?.cwd).toBe('/w');
    expect((await readRunInfo(path.join(dir, 'weft-100-0.jsonl')))?.cwd).toBe('/w');
    mkdirSync(path.join(dir, 'sub'));
    writeFileSync(path.join(dir, 'sub', 'run.json'), '{"not": "a run"}');
    expect(await readRunInfo(path.join(dir, 'sub'))).toBeNull();
    expect(await readRunInfo(path.join(dir, 'missing'))).toBeNull();
  });

  it('names a trace by its folder', () => {
    expect(traceDisplayName('/ws/.weft/bank_transfer-20261122-090507/')).toBe('bank_transfer-20261122-090507');
    expect(traceDisplayName('/t/weft-100-0.jsonl')).toBe('weft-100-0.jsonl');
  });
});
