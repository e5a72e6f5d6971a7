/** Chrome Trace Event export: the shape Perfetto and chrome://tracing load. */
import * as path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { writeChromeTrace } from '../../../runtime/src/cli/export-chrome';
import { loadTrace } from '../../../runtime/src/model/build-model';
import { FIXTURES } from './helpers/traces';

interface Ev {
  ph: string;
  name: string;
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  id?: number;
  bp?: string;
  cat?: string;
  args?: Record<string, unknown>;
}

async function exportFixture(dir: string): Promise<{ traceEvents: Ev[]; displayTimeUnit: string }> {
  const model = await loadTrace(path.join(FIXTURES, dir));
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await writeChromeTrace(model, out);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as { traceEvents: Ev[]; displayTimeUnit: string };
}

describe('Chrome trace export', () => {
  it('is an object with traceEvents: names as metadata, waits as complete slices with holder and lines', async () => {
    const t = await exportFixture('contention');
    expect(t.displayTimeUnit).toBe('ms');
    const meta = t.traceEvents.filter((e) => e.ph === 'M');
    expect(meta).toContainEqual({ ph: 'M', name: 'process_name', pid: 200, tid: 0, args: { name: 'prog.py (main, pid 200)' } });
    expect(meta).toContainEqual({ ph: 'M', name: 'thread_name', pid: 200, tid: 201, args: { name: 'worker-a' } });
    const wait = t.traceEvents.find((e) => e.ph === 'X' && e.cat === 'wait' && e.tid === 202 && e.name === 'lock lock "lock"');
    expect(wait).toMatchObject({ pid: 200, ts: 100_000, dur: 100_000 }); // µs from the trace start
    expect(wait?.args).toMatchObject({ object: 'lock "lock"', site: '/w/prog.py:10 (work)', holder: 'worker-a', holderSite: '/w/prog.py:10 (work)', wokenBy: 'worker-a' });
    const open = t.traceEvents.find((e) => e.cat === 'wait' && e.args?.openAtExit === true);
    expect(open?.tid).toBe(203);
  });

  it('draws each unblock as a flow from a release slice on the waker into the wait it ended', async () => {
    const t = await exportFixture('contention');
    const starts = t.traceEvents.filter((e) => e.ph === 's');
    const ends = t.traceEvents.filter((e) => e.ph === 'f');
    expect(starts).toHaveLength(4);
    expect(ends).toHaveLength(4);
    for (const s of starts) {
      const f = ends.find((e) => e.id === s.id);
      expect(f?.bp).toBe('e');
      // The start lies inside a release slice on the same thread, the end inside a wait.
      const release = t.traceEvents.find((e) => e.ph === 'X' && e.cat === 'release' && e.tid === s.tid && (e.ts ?? 0) <= (s.ts ?? 0) && (s.ts ?? 0) <= (e.ts ?? 0) + (e.dur ?? 0));
      expect(release, `release slice around flow ${s.id}`).toBeDefined();
      const wait = t.traceEvents.find((e) => e.ph === 'X' && e.cat === 'wait' && e.tid === f?.tid && (e.ts ?? 0) <= (f?.ts ?? 0) && (f?.ts ?? 0) < (e.ts ?? 0) + (e.dur ?? 0));
      expect(wait, `wait slice around flow end ${s.id}`).toBeDefined();
    }
  });

  it('exports spans, hand-off and spawn flows across processes', async () => {
    const t = await exportFixture('processes');
    expect(t.traceEvents).toContainEqual(expect.objectContaining({ ph: 'X', cat: 'work', name: 'prepare', pid: 300, ts: 50_000, dur: 50_000 }));
    const kinds = t.traceEvents.filter((e) => e.ph === 's').map((e) => [e.cat, e.pid]);
    expect(kinds).toEqual([['queue', 300], ['spawn', 300]]);
    expect(t.traceEvents.filter((e) => e.ph === 'f').map((e) => e.pid)).toEqual([301, 301]);
  });

  it('waits for a slow destination instead of buffering the whole trace', async () => {
    const model = await loadTrace(path.join(FIXTURES, 'contention'));
    let writes = 0;
    let maxPending = 0;
    let bytes = 0;
    const slow = new Writable({
      highWaterMark: 64,
      write(chunk: Buffer, _enc, cb) {
        writes++;
        bytes += chunk.length;
        maxPending = Math.max(maxPending, slow.writableLength);
        setImmediate(cb);
      },
    });
    await writeChromeTrace(model, slow);
    expect(writes).toBeGreaterThan(1);
    expect(bytes).toBeGreaterThan(1000);
    expect(slow.writableFinished).toBe(true);
  });
});
