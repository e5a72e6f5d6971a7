/** Per-file record handlers: each concern on its own, then the parser that routes to them. */
import { describe, expect, it } from 'vitest';
import { WAIT_REASONS, type TraceRecord } from '../../../runtime/src/format/spec';
import {
  AcquisitionsHandler, CountersHandler, CpuHandler, DefinitionsHandler, FileParser, FlowsHandler, ProcessHandler,
  SamplesHandler, LanesHandler, WaitsHandler, type RecordHandler,
} from '../../../runtime/src/model/file-handlers';
import { parseProcessFile } from '../../../runtime/src/model/parse-file';
import { header } from './helpers/traces';
import * as path from 'node:path';
import { FIXTURES } from './helpers/traces';

function run<T>(h: RecordHandler<T>, records: TraceRecord[]): T {
  h.reset(header());
  for (const r of records) if ((h.codes as readonly string[]).includes(r[0])) h.handleRecord(r);
  h.finalize();
  return h.data();
}

describe('DefinitionsHandler', () => {
  it('collects sites, objects with parents and the frame tree in file ids', () => {
    const d = run(new DefinitionsHandler(), [
      ['S', 1, 'a.py', 3, 'f'], ['O', 7, 'queue', 'q', 1, null, null], ['O', 8, 'condition', '', null, 7, 'not_empty'],
      ['F', 1, null, 1], ['F', 2, 1, 1],
    ]);
    expect(d.sites).toEqual([{ id: 1, file: 'a.py', line: 3, func: 'f' }]);
    expect(d.objects[1]).toEqual({ id: 8, kind: 'condition', name: '', site: null, parent: 7, role: 'not_empty' });
    expect([...d.frames.parent]).toEqual([-1, 1]);
    expect([...d.frames.site]).toEqual([1, 1]);
  });
});

describe('LanesHandler', () => {
  it('tracks names, renames, ends and the last time each thread was seen', () => {
    const t = run(new LanesHandler(), [
      ['T', 100, 1, 11, 'MainThread', 0, null, null],
      ['T', 110, 2, 12, 'Thread-1', 1, 1, 5],
      ['N', 120, 2, 'worker'],
      ['W', 130, 170, 1, 1, 'lock', null, 2, null, 2, 0],
      ['K', 180, 2, null, 0],
      ['E', 190, 2],
      ['C', 191, 2, 5],
    ]);
    expect(t.map((x) => [x.id, x.name, x.daemon, x.startNs, x.endedNs, x.lastNs, x.parentId, x.startSite])).toEqual([
      [1, 'MainThread', false, 100, null, 170, null, null],
      [2, 'worker', true, 110, 190, 190, 1, 5],
    ]);
  });

  it('repairs a thread referred to before its T record instead of failing', () => {
    const t = run(new LanesHandler(), [['K', 50, 3, null, 0], ['T', 60, 3, 13, 'late', 0, null, null]]);
    expect(t).toHaveLength(1);
    expect(t[0]).toMatchObject({ id: 3, name: 'late', startNs: 50, declared: true });
    const orphan = run(new LanesHandler(), [['K', 50, 9, null, 0]]);
    expect(orphan[0]).toMatchObject({ id: 9, name: 'thread 9', declared: false });
  });
});

describe('WaitsHandler (file)', () => {
  it('stores waits as columns with -1 for null ids and reason indexes', () => {
    const w = run(new WaitsHandler(), [
      ['W', 10, 30, 2, 1, 'queue_get', 4, null, null, 3, 0],
      ['W', 50, 40, 2, 1, 'lock', null, 3, 5, null, 2],
    ]);
    expect(w.count).toBe(2);
    expect([...w.begin]).toEqual([10, 50]);
    expect([...w.end]).toEqual([30, 50]); // an end before the begin is clamped
    expect([...w.reason]).toEqual([WAIT_REASONS.indexOf('queue_get'), WAIT_REASONS.indexOf('lock')]);
    expect([...w.site]).toEqual([4, -1]);
    expect([...w.holder]).toEqual([-1, 3]);
    expect([...w.waker]).toEqual([3, -1]);
    expect([...w.flags]).toEqual([0, 2]);
  });
});

describe('SamplesHandler (file)', () => {
  it('keeps each sample with the CPU reading of the same tick, NaN when none came', () => {
    const s = run(new SamplesHandler(), [
      ['K', 100, 1, 4, 0], ['C', 100, 1, 5000], ['K', 100, 2, null, 1], ['K', 110, 1, 4, 0], ['C', 111, 1, 6000],
    ]);
    expect(s.count).toBe(3);
    expect([...s.frame]).toEqual([4, -1, 4]);
    expect([...s.state]).toEqual([0, 1, 0]);
    expect(s.cpu[0]).toBe(5000);
    expect(Number.isNaN(s.cpu[1])).toBe(true);
    expect(Number.isNaN(s.cpu[2])).toBe(true); // a reading at another time is not this sample's
  });
});

describe('CpuHandler', () => {
  it('keeps the first and last reading per thread', () => {
    const c = run(new CpuHandler(), [['C', 10, 1, 100], ['C', 20, 2, 5], ['C', 30, 1, 400]]);
    expect(c).toEqual([
      { tid: 1, firstTs: 10, firstNs: 100, lastTs: 30, lastNs: 400, readings: 2 },
      { tid: 2, firstTs: 20, firstNs: 5, lastTs: 20, lastNs: 5, readings: 1 },
    ]);
  });
});

describe('AcquisitionsHandler', () => {
  it('sums the counts per object', () => {
    expect(run(new AcquisitionsHandler(), [['A', 1, 3, 10], ['A', 2, 4, 1], ['A', 3, 3, 5]])).toEqual([
      { object: 3, count: 15 }, { object: 4, count: 1 },
    ]);
  });
});

describe('ProcessHandler', () => {
  it('records children (with the starter\'s label), their exits (ended by the parent or not), agent messages and the first end record', () => {
    const p = run(new ProcessHandler(), [
      ['P', 5, 42, 'spawn', ['python', 'w.py'], 1, null, 'Pool worker 1'], ['Q', 9, 42, -15, 'parent'], ['!', 6, 'warning', 'hook failed'],
      ['P', 7, 43, 'subprocess', ['ls'], 1, null], ['Q', 8, 43, 0],
      ['Z', 10, 'exit', 3, 3], ['Z', 11, 'signal', null, 4],
    ]);
    expect(p).toEqual({
      complete: true, endReason: 'exit', exitCode: 3, endNs: 10,
      children: [
        { ts: 5, pid: 42, how: 'spawn', argv: ['python', 'w.py'], tid: 1, site: null, label: 'Pool worker 1' },
        { ts: 7, pid: 43, how: 'subprocess', argv: ['ls'], tid: 1, site: null, label: null },
      ],
      childExits: [{ ts: 9, pid: 42, code: -15, endedBy: 'parent' }, { ts: 8, pid: 43, code: 0, endedBy: null }],
      messages: [{ ts: 6, level: 'warning', message: 'hook failed' }],
    });
  });
});

describe('FlowsHandler (file) and CountersHandler', () => {
  it('keeps flow ends and spans', () => {
    const f = run(new FlowsHandler(), [['L', 5, 1, 'k1', 's', 'queue', 2, 16], ['X', 7, 6, 1, 'work', 'step', null]]);
    expect(f.flowEnds).toEqual([{ ts: 5, tid: 1, key: 'k1', phase: 's', kind: 'queue', object: 2, size: 16 }]);
    expect(f.spans).toEqual([{ begin: 7, end: 7, tid: 1, kind: 'work', label: 'step', site: null }]);
  });

  it('keeps one series per counter name', () => {
    const c = run(new CountersHandler(), [['V', 1, 'depth', 3], ['V', 2, 'lag', 0.5], ['V', 3, 'depth', 1]]);
    expect(c.map((x) => [x.name, [...x.ts], [...x.value]])).toEqual([['depth', [1, 3], [3, 1]], ['lag', [2], [0.5]]]);
  });
});

describe('FileParser', () => {
  it('routes every record type to its handlers and assembles the parsed file', async () => {
    const f = await parseProcessFile(path.join(FIXTURES, 'contention', 'weft-200-0.jsonl'));
    expect(f.header.pid).toBe(200);
    expect(f.complete).toBe(true);
    expect(f.endNs).toBe(1_700_000_000);
    expect(f.sites).toHaveLength(5);
    expect(f.objects).toHaveLength(5);
    expect(f.frames.count).toBe(3);
    expect(f.lanes.map((t) => t.name)).toEqual(['MainThread', 'worker-a', 'worker-b', 'worker-c']);
    expect(f.waits.count).toBe(7);
    expect(f.samples.count).toBe(10);
    expect(f.cpu).toHaveLength(2);
    expect(f.acquisitions).toEqual([{ object: 1, count: 10 }, { object: 3, count: 4 }]);
    expect(f.warnings).toEqual([]);
  });

  it('refuses to finish before it has seen a header (an internal invariant)', () => {
    expect(() => new FileParser().finish({ path: 'x', bytes: 0, records: 0, lastNs: 0, warnings: [] })).toThrow(/before begin/);
  });
});
