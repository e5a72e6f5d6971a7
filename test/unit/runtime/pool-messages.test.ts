/**
 * Processes on one timeline (issue 5): work items of a multiprocessing Pool, messages through
 * multiprocessing queues and pipes, and multiprocessing objects shared between processes, read
 * from the hand-written `pool-messages` fixture (test/fixtures/README.md works out every
 * number below) and from small variations written next to the assertion.
 */
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeChromeTrace } from '../../../runtime/src/cli/export-chrome';
import { validateRecord } from '../../../runtime/src/format/spec';
import { DefinitionsHandler, FlowsHandler } from '../../../runtime/src/model/file-handlers';
import { loadTrace } from '../../../runtime/src/model/build-model';
import type { TraceModel } from '../../../runtime/src/model/types';
import { RecordScanner } from '../../../runtime/src/reader/record-scanner';
import { SUMMARY_JSON_SCHEMA } from '../../../runtime/src/summary/schema';
import { buildSummary, formatSummary } from '../../../runtime/src/summary/summary';
import type { TraceRecord } from '../../../runtime/src/format/spec';
import { validate } from './helpers/json-schema';
import { FIXTURES, header, tempDir, writeProcessFile } from './helpers/traces';

const MS = 1_000_000;
const T0 = 1_000_000_000;

let m: TraceModel;
beforeAll(async () => {
  m = await loadTrace(path.join(FIXTURES, 'pool-messages'));
});

const pidOfLane = (lane: number | null): number | undefined => (lane === null ? undefined : m.processes[m.lanes[lane]?.process ?? -1]?.pid);
const laneOf = (pid: number, tid: number): number => m.lanes.findIndex((l) => l.tid === tid && m.processes[l.process]?.pid === pid);

describe('trace format: optional trailing fields of O and X', () => {
  it('accepts X with 6 fields (older agents), with a key, or with a null key, and checks the key when present', () => {
    expect(validateRecord(['X', 1, 2, 1, 'work', 'square', 3])).toBeNull();
    expect(validateRecord(['X', 1, 2, 1, 'work', 'square', 3, 'work:400:0:0'])).toBeNull();
    expect(validateRecord(['X', 1, 2, 1, 'work', 'square', null, null])).toBeNull();
    expect(validateRecord(['X', 1, 2, 1, 'work', 'square', 3, 7])).toMatch(/field 7 .* "S" \(optional\)/);
    // Fields after the optional ones stay allowed (a newer writer).
    expect(validateRecord(['X', 1, 2, 1, 'work', 'square', 3, 'k', { future: true }])).toBeNull();
  });

  it('accepts O with or without a globalKey, and checks it when present', () => {
    expect(validateRecord(['O', 1, 'mp_lock', 'lock', null, null, null])).toBeNull();
    expect(validateRecord(['O', 1, 'mp_lock', 'lock', null, null, null, '/mp-xyz'])).toBeNull();
    expect(validateRecord(['O', 1, 'mp_lock', 'lock', null, null, null, null])).toBeNull();
    expect(validateRecord(['O', 1, 'mp_lock', 'lock', null, null, null, 5])).not.toBeNull();
  });

  it('leaves O and X to the general path, so the fast scanner never decides about the new fields', () => {
    const enc = new TextEncoder();
    for (const line of ['["X",1,2,1,"work","square",3,"work:1:0:0"]', '["O",1,"mp_lock","lock",null,null,null,"/mp-xyz"]']) {
      const bytes = enc.encode(`${line}\n`);
      expect(new RecordScanner().scan(bytes, 0, bytes.length), line).toBeNull();
    }
  });

  it('keeps the key of a span and the globalKey of an object in the parsed file, and nothing when absent', () => {
    const flows = new FlowsHandler();
    const defs = new DefinitionsHandler();
    flows.reset();
    defs.reset();
    const recs: TraceRecord[] = [
      ['X', 5, 9, 1, 'work', 'square', null, 'work:1:0:0'], ['X', 5, 9, 1, 'work', 'setup', null],
      ['O', 1, 'mp_lock', 'lock', null, null, null, '/mp-xyz'], ['O', 2, 'lock', 'plain', null, null, null, null],
    ];
    for (const r of recs) (r[0] === 'X' ? flows : defs).handleRecord(r);
    flows.finalize();
    defs.finalize();
    expect(flows.data().spans).toEqual([
      { begin: 5, end: 9, tid: 1, kind: 'work', label: 'square', site: null, key: 'work:1:0:0' },
      { begin: 5, end: 9, tid: 1, kind: 'work', label: 'setup', site: null },
    ]);
    expect(defs.data().objects.map((o) => o.globalKey)).toEqual(['/mp-xyz', undefined]);
  });
});

describe('work items', () => {
  it('joins each task submit, worker start, run span and result exactly once, by key', () => {
    const items = m.workItems ?? [];
    expect(items.map((w) => w.key)).toEqual(['work:400:0:0', 'work:400:0:1', 'work:400:0:2', 'work:400:0:3']);
    expect(new Set(items.map((w) => w.key)).size).toBe(items.length);
    // Keyless task spans ("setup") and lock holds are spans, not work items.
    expect(m.spans.map((s) => [s.kind, s.label])).toContainEqual(['work', 'setup']);
    expect(m.spans.filter((s) => s.kind === 'hold').map((s) => s.key)).toEqual(['/mp-lock1', '/mp-lock1']);
  });

  it('has queue wait = start − submit and run time = end − start, with lanes in the right processes', () => {
    const first = m.workItems?.[0];
    expect(first).toMatchObject({
      submitNs: T0 + 100 * MS, startNs: T0 + 120 * MS, endNs: T0 + 170 * MS, resultNs: T0 + 180 * MS,
      queueWaitNs: 20 * MS, runNs: 50 * MS, label: 'square', size: 100, resultSize: 20, completed: true,
    });
    expect(m.sites[first?.site ?? -1]).toMatchObject({ file: '/w/pool.py', line: 3, func: 'square' });
    expect(first?.submitLane).toBe(laneOf(400, 1));
    expect(first?.workerLane).toBe(laneOf(401, 1));
    expect(first?.resultLane).toBe(laneOf(400, 2));
    expect(m.spans[first?.span ?? -1]?.key).toBe('work:400:0:0');
    expect((m.workItems ?? []).map((w) => [w.queueWaitNs, w.runNs, pidOfLane(w.workerLane)])).toEqual([
      [20 * MS, 50 * MS, 401], [30 * MS, 100 * MS, 402], [70 * MS, 30 * MS, 401], [130 * MS, null, 402],
    ]);
  });

  it("counts the task of a worker killed mid-task as started but not completed", () => {
    const killed = m.workItems?.[3];
    expect(killed).toMatchObject({
      key: 'work:400:0:3', completed: false, startNs: T0 + 230 * MS, endNs: null, runNs: null, resultNs: null, span: null, label: '',
    });
    expect(m.processes.find((p) => p.pid === 402)?.endReason).toBe('killed by signal 9');
    const s = buildSummary(m);
    expect([s.workItems.count, s.workItems.completed]).toEqual([4, 3]);
    expect(s.workItems.byFunction.map((f) => [f.function, f.count, f.completed])).toEqual([['square', 3, 3], ['', 1, 0]]);
  });

  it('keeps a submit that no worker took (its worker file lost) as a work item with only a submit', async () => {
    const dir = tempDir();
    writeProcessFile(dir, header({ pid: 10 }), [
      ['T', T0, 1, 10, 'MainThread', 0, null, null], ['L', T0 + MS, 1, 'work:10:0:0', 's', 'work', null, null],
    ]);
    const one = await loadTrace(dir);
    expect(one.workItems).toEqual([expect.objectContaining({ key: 'work:10:0:0', submitNs: T0 + MS, startNs: null, queueWaitNs: null, completed: false })]);
  });
});

describe('messages between processes', () => {
  it('pairs each put or send with its receiver, pid to pid, with the received size', () => {
    const rows = (m.messages ?? []).map((x) => [x.key, x.kind, m.objects[x.object ?? -1]?.name, pidOfLane(x.fromLane), pidOfLane(x.toLane), x.size]);
    expect(rows).toEqual([
      ['msg:400:1', 'pipe', 'conn', 400, 401, 16],
      ['msg:401:1', 'queue', 'events', 401, 400, 32],
      ['msg:402:1', 'queue', 'events', 402, 400, 48],
      ['msg:402:2', 'queue', 'events', 402, undefined, null],
    ]);
  });

  it('summarises them by channel with routes, bytes and the one never received', () => {
    const s = buildSummary(m).messages;
    expect([s.count, s.bytes, s.unreceived]).toEqual([4, 96, 1]);
    expect(s.byChannel).toEqual([
      {
        kind: 'queue', object: 'events', site: { file: '/w/pool.py', line: 10, func: '<module>' }, count: 3, bytes: 80, unreceived: 1,
        routes: [{ fromPid: 401, toPid: 400, count: 1, bytes: 32 }, { fromPid: 402, toPid: 400, count: 1, bytes: 48 }],
      },
      {
        kind: 'pipe', object: 'conn', site: { file: '/w/pool.py', line: 10, func: '<module>' }, count: 1, bytes: 16, unreceived: 0,
        routes: [{ fromPid: 400, toPid: 401, count: 1, bytes: 16 }],
      },
    ]);
  });
});

describe('multiprocessing objects shared by processes (globalKey)', () => {
  it('become one model object, named by whichever process named it', () => {
    const locks = m.objects.filter((o) => o.kind === 'mp_lock');
    expect(locks).toHaveLength(1);
    expect(locks[0]).toMatchObject({ name: 'lock', globalKey: '/mp-lock1', processes: [0, 1, 2] });
    // An object without a globalKey stays in its process.
    expect(m.objects.find((o) => o.name === 'plain')?.processes).toEqual([0]);
  });

  it("merge two workers' mp_lock waits into one lock row with waiters from both processes", () => {
    const lock = m.locks.find((l) => m.objects[l.object]?.kind === 'mp_lock');
    expect(lock).toMatchObject({ contentions: 2, waitNs: 15 * MS, maxWaitNs: 10 * MS, acquisitions: 4 });
    expect(lock?.waiters.map((w) => [pidOfLane(w.lane), w.waitNs])).toEqual([[402, 10 * MS], [401, 5 * MS]]);
    const row = buildSummary(m).locks.find((l) => l.kind === 'mp_lock');
    expect(row).toMatchObject({ name: 'lock', pid: 400, pids: [400, 401, 402], contentions: 2, waitMs: 15 });
    expect(row?.waiters.map((w) => [w.thread, w.pid, w.waitMs])).toEqual([['MainThread', 402, 10], ['MainThread', 401, 5]]);
    // Each worker held the lock while the other waited (their hold spans): holders by pid.
    expect(row?.holders.map((h) => [h.thread, h.pid, h.waitMs])).toEqual([['MainThread', 401, 10], ['MainThread', 402, 5]]);
  });

  it('merge only objects of the same kind and key', async () => {
    const dir = tempDir();
    const rec = (kind: string): unknown[] => ['O', 1, kind, '', null, null, null, 'same'];
    writeProcessFile(dir, header({ pid: 20 }), [['T', T0, 1, 20, 'MainThread', 0, null, null], rec('mp_lock')]);
    writeProcessFile(dir, header({ pid: 21, ppid: 20, startMethod: 'fork' }), [['T', T0, 1, 21, 'MainThread', 0, null, null], rec('mp_lock'), ['O', 2, 'mp_semaphore', '', null, null, null, 'same']]);
    const two = await loadTrace(dir);
    expect(two.objects.map((o) => [o.kind, o.processes])).toEqual([['mp_lock', [0, 1]], ['mp_semaphore', [1]]]);
  });
});

describe('summary with work items and messages', () => {
  it('validates against the published JSON Schema, and so do summaries without them', async () => {
    const schema = SUMMARY_JSON_SCHEMA as unknown as Record<string, unknown>;
    expect(validate(schema, JSON.parse(JSON.stringify(buildSummary(m))) as unknown)).toEqual([]);
    const none = buildSummary(await loadTrace(path.join(FIXTURES, 'contention')));
    expect(none.workItems).toEqual({ count: 0, completed: 0, byFunction: [] });
    expect(none.messages).toEqual({ count: 0, bytes: 0, unreceived: 0, byChannel: [] });
    expect(validate(schema, JSON.parse(JSON.stringify(none)) as unknown)).toEqual([]);
  });

  it('gives per function the queue wait and run time percentiles and the workers that ran it', () => {
    const square = buildSummary(m).workItems.byFunction[0];
    expect(square).toEqual({
      function: 'square', site: { file: '/w/pool.py', line: 3, func: 'square' }, count: 3, completed: 3,
      queueWaitMs: { count: 3, p50: 30, p95: 70, max: 70, total: 120 },
      runMs: { count: 3, p50: 50, p95: 100, max: 100, total: 180 },
      workers: [{ pid: 401, count: 2 }, { pid: 402, count: 1 }],
    });
  });

  it('prints short "Work items" and "Messages between processes" sections, and none when empty', async () => {
    const text = formatSummary(buildSummary(m), '/w');
    expect(text).toContain('Work items: 4 (3 completed, 1 never finished)');
    expect(text).toContain('  square at pool.py:3: 3 items, 3 completed');
    expect(text).toContain('    queue wait p50 30.0 ms, p95 70.0 ms, max 70.0 ms, total 120 ms');
    expect(text).toContain('    workers    pid 401 ×2, pid 402 ×1');
    expect(text).toContain('Messages between processes: 4 messages, 96 B received, 1 never received');
    expect(text).toContain('  queue "events" created at pool.py:10: 3 messages, 80 B, 1 never received');
    expect(text).toContain('    pid 401 → 400 ×1, pid 402 → 400 ×1');
    expect(text).toContain('mp_lock "lock" created at pool.py:10 (shared by pids 400, 401, 402)');
    expect(text).toContain('waited in  MainThread (pid 402) at pool.py:5: 1 wait, 10.0 ms');
    const plain = formatSummary(buildSummary(await loadTrace(path.join(FIXTURES, 'contention'))), '/w');
    expect(plain).not.toContain('Work items');
    expect(plain).not.toContain('Messages between processes');
  });
});

describe('Chrome export of work items and messages', () => {
  interface Ev { ph: string; name: string; cat?: string; pid: number; tid: number; ts?: number; dur?: number; id?: number; bp?: string; args?: Record<string, unknown> }
  let events: Ev[];
  beforeAll(async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    await writeChromeTrace(m, out);
    events = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { traceEvents: Ev[] }).traceEvents;
  });

  it('has each work item run as a "work" slice on its worker, with queue wait and run time', () => {
    const runs = events.filter((e) => e.ph === 'X' && e.cat === 'work' && e.name === 'square');
    expect(runs.map((e) => [e.pid, e.ts, e.dur])).toEqual([[401, 120_000, 50_000], [402, 130_000, 100_000], [401, 170_000, 30_000]]);
    expect(runs[0]?.args).toMatchObject({ key: 'work:400:0:0', queueWaitMs: 20, runMs: 50, argumentBytes: 100, resultBytes: 20, site: '/w/pool.py:3 (square)' });
  });

  it('has flow events for tasks, results and messages across processes, each bound inside a slice', () => {
    const starts = events.filter((e) => e.ph === 's');
    const ends = new Map(events.filter((e) => e.ph === 'f').map((e) => [e.id, e]));
    const byKind = (cat: string): [number, number | undefined][] => starts.filter((e) => e.cat === cat).map((e) => [e.pid, ends.get(e.id)?.pid]);
    expect(byKind('work')).toEqual([[400, 401], [400, 402], [400, 401], [400, 402]]);
    expect(byKind('result')).toEqual([[401, 400], [401, 400], [402, 400]]);
    expect(byKind('queue')).toEqual([[401, 400], [402, 400]]);
    expect(byKind('pipe')).toEqual([[400, 401]]);
    const inside = (e: Ev): boolean => events.some((x) => x.ph === 'X' && x.pid === e.pid && x.tid === e.tid
      && (x.ts ?? 0) <= (e.ts ?? 0) && (e.ts ?? 0) <= (x.ts ?? 0) + (x.dur ?? 0));
    for (const s of starts) {
      expect(inside(s), `flow ${s.id} (${s.cat}) starts inside a slice`).toBe(true);
      const f = ends.get(s.id);
      expect(f?.bp).toBe('e');
      expect(f !== undefined && inside(f), `flow ${s.id} (${s.cat}) ends inside a slice`).toBe(true);
    }
    // A task's arrow ends inside the run it started, named after the function where it left.
    const firstTask = starts.find((e) => e.cat === 'work');
    const end = ends.get(firstTask?.id);
    expect(events.find((x) => x.ph === 'X' && x.name === 'square' && x.pid === end?.pid && (x.ts ?? 0) <= (end?.ts ?? 0) && (end?.ts ?? 0) < (x.ts ?? 0) + (x.dur ?? 0))).toBeDefined();
    expect(events.filter((e) => e.ph === 'X' && e.name === 'submit square')).toHaveLength(3);
    expect(events.filter((e) => e.ph === 'X' && e.name === 'get "events"').map((e) => e.pid)).toEqual([400, 400]);
  });
});
