/**
 * asyncio in the model: task steps, tasks, task groups, loop blocks, create/unblock arrows and
 * asyncio locks, against the numbers of the `asyncio/` fixture (test/fixtures/README.md).
 */
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTrace } from '../../../runtime/src/model/build-model';
import { FileParser } from '../../../runtime/src/model/file-handlers';
import type { TaskInfo, TraceModel, WaitColumns } from '../../../runtime/src/model/types';
import { nameGatherWakers } from '../../../runtime/src/model/handlers/tasks';
import { WAIT_REASONS, type Ns, type TraceRecord } from '../../../runtime/src/format/spec';
import { FIXTURES, header, tempDir, writeProcessFile } from './helpers/traces';

const MS = 1e6;
const T0 = 1_000_000_000;
let m: TraceModel;
let old: TraceModel;

beforeAll(async () => {
  m = await loadTrace(path.join(FIXTURES, 'asyncio'));
  old = await loadTrace(path.join(FIXTURES, 'contention'));
});

const lane = (name: string): number => {
  const l = m.lanes.find((x) => x.name === name);
  if (l === undefined) throw new Error(`no lane ${name}`);
  return l.index;
};
const line = (site: number | null): number | null => (site === null ? null : (m.sites[site]?.line ?? null));

describe('parsing asyncio records', () => {
  it('reads R into columns, B into rows, and the Y and E tails into the lane', () => {
    const p = new FileParser();
    p.begin(header({ version: 2 }));
    const recs: unknown[][] = [
      ['T', 0, 1, 9, 'MainThread', 0, null, null],
      ['Y', 5, 2, 'task', 1, 'Task-1', null, null, 1, 'main', 7],
      ['Y', 6, 3, 'task', 1, 'Task-2', null, null],
      ['R', 10, 20, 2], ['R', 30, 25, 2],
      ['B', 40, 90, 1, 2, [3, 2]],
      ['E', 95, 2, 'exception', 'ValueError: x'],
      ['E', 96, 3],
    ];
    for (const r of recs) p.record(r as TraceRecord);
    const f = p.finish({ path: 'x.jsonl', bytes: 0, records: recs.length, lastNs: 96, warnings: [] });
    expect(f.taskSteps?.count).toBe(2);
    expect([...(f.taskSteps?.begin ?? [])]).toEqual([10, 30]);
    // An end before its begin is clamped, as for waits.
    expect([...(f.taskSteps?.end ?? [])]).toEqual([20, 30]);
    expect(f.loopBlocks).toEqual([{ begin: 40, end: 90, tid: 1, task: 2, delayed: [3, 2] }]);
    const t1 = f.lanes.find((l) => l.id === 2);
    expect(t1).toMatchObject({ kind: 'task', creator: 1, coroutine: 'main', coroutineSite: 7, outcome: 'exception', detail: 'ValueError: x' });
    // Without the tails, the lane keeps the shape of older files.
    const t2 = f.lanes.find((l) => l.id === 3);
    expect(t2 !== undefined && 'creator' in t2).toBe(false);
    expect(t2 !== undefined && 'outcome' in t2).toBe(false);
  });
});

describe('task steps and tasks', () => {
  it('keeps every step, sorted by begin, on its task lane', () => {
    const s = m.taskSteps;
    expect(s?.count).toBe(11);
    for (let i = 1; i < (s?.count ?? 0); i++) expect(s?.begin[i]).toBeGreaterThanOrEqual(s?.begin[i - 1] as number);
    expect(s?.begin[0]).toBe(T0 + 1 * MS);
    expect(s?.lane[0]).toBe(lane('Task-1'));
  });

  it('gives one TaskInfo per task lane with its coroutine, creator, steps, run and awaits', () => {
    expect(m.tasks?.map((t) => m.lanes[t.lane]?.name)).toEqual(['Task-1', 'Task-2', 'Task-3', 'Task-4', 'Task-5', 'Task-6']);
    const b = m.tasks?.find((t) => t.lane === lane('Task-4'));
    expect(b).toMatchObject({
      coroutine: 'worker', creatorLane: lane('Task-1'), createdNs: T0 + 4 * MS, firstStepNs: T0 + 313 * MS, endNs: T0 + 620 * MS,
      ended: true, outcome: 'result', detail: null, steps: 3, runNs: 202 * MS, awaitNs: { lock: 100 * MS, sleep: 5 * MS },
    });
    expect(line(b?.coroutineSite ?? null)).toBe(20);
    expect(line(b?.createSite ?? null)).toBe(41);
    const main = m.tasks?.find((t) => t.lane === lane('Task-1'));
    expect(main).toMatchObject({ creatorLane: lane('MainThread'), steps: 2, runNs: 5 * MS, awaitNs: { gather: 616 * MS } });
  });

  it('records cancelled and exception outcomes, with the exception detail', () => {
    expect(m.tasks?.find((t) => t.lane === lane('Task-5'))).toMatchObject({ outcome: 'exception', detail: 'ValueError: bad row' });
    expect(m.tasks?.find((t) => t.lane === lane('Task-6'))).toMatchObject({ outcome: 'cancelled', detail: null });
  });
});

describe('task groups', () => {
  it('groups by coroutine with run time, awaits, duration percentiles and outcomes', () => {
    const g = m.taskGroups ?? [];
    expect(g.map((x) => x.coroutine)).toEqual(['blocker', 'worker', 'main', 'sleeper', 'failing']);
    const worker = g.find((x) => x.coroutine === 'worker');
    expect(worker).toMatchObject({
      process: 0, tasks: [lane('Task-3'), lane('Task-4')], runNs: 204 * MS, awaitNs: { sleep: 105 * MS, lock: 100 * MS },
      // Task-3: 1.003 s to 1.413 s; Task-4: 1.004 s to 1.620 s (nearest rank of two).
      p50DurationNs: 410 * MS, p95DurationNs: 616 * MS, maxDurationNs: 616 * MS, cancelled: 0, failed: 0,
    });
    expect(line(worker?.createSite ?? null)).toBe(41);
    expect(line(worker?.coroutineSite ?? null)).toBe(20);
    expect(g.find((x) => x.coroutine === 'sleeper')).toMatchObject({ cancelled: 1, failed: 0, maxDurationNs: 326 * MS });
    expect(g.find((x) => x.coroutine === 'failing')).toMatchObject({ cancelled: 0, failed: 1, p50DurationNs: 2 * MS });
  });

  it('leaves the durations null when no task of the group ended', async () => {
    const dir = tempDir();
    writeProcessFile(dir, header({ version: 2 }), [
      ['T', T0, 1, 9, 'MainThread', 0, null, null],
      ['Y', T0, 2, 'task', 1, 'Task-1', null, null, 1, 'serve', null],
      ['R', T0 + MS, T0 + 2 * MS, 2],
    ], T0 + 10 * MS);
    const model = await loadTrace(dir);
    expect(model.taskGroups).toEqual([expect.objectContaining({ coroutine: 'serve', p50DurationNs: null, maxDurationNs: null })]);
    expect(model.tasks?.[0]).toMatchObject({ ended: false, outcome: null, endNs: T0 + 10 * MS });
  });
});

describe('loop blocks', () => {
  it('names a block covered by a wait of the loop thread by that wait line (time.sleep)', () => {
    const b = m.loopBlocks?.[0];
    expect(b).toMatchObject({
      loopLane: lane('MainThread'), taskLane: lane('Task-2'), begin: T0 + 10 * MS, end: T0 + 310 * MS, durationNs: 300 * MS,
      siteSource: 'wait', delayedLanes: [lane('Task-3'), lane('Task-4'), lane('Task-6')],
    });
    expect(line(b?.site ?? null)).toBe(12);
  });

  it('names a block without waits by the user line most samples show innermost', () => {
    const b = m.loopBlocks?.[1];
    expect(b).toMatchObject({ taskLane: lane('Task-4'), durationNs: 200 * MS, siteSource: 'samples', delayedLanes: [] });
    // The samples' leaf is json/encoder.py (the standard library): the user's line under it.
    expect(line(b?.site ?? null)).toBe(24);
  });

  it('ignores waits that cover less than half the block, and other tasks\' awaits', async () => {
    const dir = tempDir();
    writeProcessFile(dir, header({ version: 2, sampleHz: 0 }), [
      ['S', 1, '/w/a.py', 3, 'f'],
      ['S', 2, '/w/a.py', 4, 'g'],
      ['O', 1, 'timer', 'time.sleep', null, null, null],
      ['T', T0, 1, 9, 'MainThread', 0, null, null],
      ['Y', T0, 2, 'task', 1, 'Task-1', null, null],
      ['Y', T0, 3, 'task', 1, 'Task-2', null, null],
      // Task-2 awaits across the whole block: not the blocking line.
      ['W', T0, T0 + 200 * MS, 3, 1, 'sleep', 2, null, null, null, 0],
      // The loop thread's wait covers 40 of the 100 ms.
      ['W', T0 + 10 * MS, T0 + 50 * MS, 1, 1, 'sleep', 1, null, null, null, 0],
      ['R', T0, T0 + 100 * MS, 2],
      ['B', T0, T0 + 100 * MS, 1, 2, [3, 99]],
    ], T0 + 300 * MS);
    const model = await loadTrace(dir);
    // Lane 99 is not in the file: left out of the delayed list.
    expect(model.loopBlocks).toEqual([expect.objectContaining({ site: null, siteSource: null, delayedLanes: [2] })]);
  });
});

describe('arrows', () => {
  it('draws a create arrow from each task\'s creator at its creation to its first step', () => {
    const creates = m.flows.filter((f) => f.kind === 'create');
    expect(creates).toHaveLength(6);
    expect(creates).toContainEqual({
      kind: 'create', fromLane: lane('Task-1'), fromNs: T0 + 4 * MS, toLane: lane('Task-4'), toNs: T0 + 313 * MS, object: null, size: null,
    });
    expect(creates).toContainEqual(expect.objectContaining({ fromLane: lane('MainThread'), toLane: lane('Task-1') }));
  });

  it('draws unblock arrows between task lanes: a child task\'s end resumes its awaiting parent', () => {
    const unblocks = m.flows.filter((f) => f.kind === 'unblock');
    expect(unblocks).toContainEqual(expect.objectContaining({ fromLane: lane('Task-4'), toLane: lane('Task-1'), toNs: T0 + 621 * MS }));
    expect(unblocks).toContainEqual(expect.objectContaining({ fromLane: lane('Task-3'), toLane: lane('Task-4'), toNs: T0 + 414 * MS }));
  });
});

describe('asyncio locks', () => {
  it('are lock rows like threading locks, with task holders and waiters; awaits of tasks and sleeps are not', () => {
    expect(m.locks).toHaveLength(1);
    const l = m.locks[0];
    expect(m.objects[l?.object ?? -1]).toMatchObject({ kind: 'aio_lock', name: 'lock' });
    expect(l).toMatchObject({ contentions: 1, acquisitions: 2, waitNs: 100 * MS, maxWaitNs: 100 * MS });
    expect(l?.holders).toEqual([{ lane: lane('Task-3'), site: expect.any(Number), waits: 1, waitNs: 100 * MS }]);
    expect(line(l?.holders[0]?.site ?? null)).toBe(22);
    expect(l?.waiters).toEqual([{ lane: lane('Task-4'), site: expect.any(Number), waits: 1, waitNs: 100 * MS }]);
  });

  it('speak of tasks in findings', () => {
    expect(m.diagnostics.filter((d) => d.message.startsWith('aio_lock')).map((d) => d.message)).toEqual([
      'aio_lock "lock" (created at app.py:5) made tasks wait 100 ms in total (1 wait by 1 task, p95 100 ms, longest 100 ms); held mostly by task "Task-3" at app.py:22 (100 ms of the waiting)',
    ]);
  });
});

describe('asyncio findings', () => {
  it('one warning per blocked loop, at its longest block\'s line', () => {
    const found = m.diagnostics.filter((d) => d.message.includes('event loop'));
    expect(found.map((d) => [d.severity, d.message])).toEqual([[
      'warning',
      'the asyncio event loop of thread "MainThread" was blocked 2 times, 500 ms in total; the longest, 300 ms, by task "Task-2" at app.py:12, delaying 3 tasks: nothing else ran on the loop meanwhile (a blocking call in a coroutine? run it with asyncio.to_thread).',
    ]]);
    expect(line(found[0]?.site ?? null)).toBe(12);
  });
});

describe('loop lag', () => {
  it('is a counter series that names its loop thread\'s lane', () => {
    const lag = m.counters?.find((c) => c.name === 'loop_lag:1');
    expect(lag?.lane).toBe(lane('MainThread'));
    expect([...(lag?.value ?? [])]).toEqual([290, 195, 0]);
    expect(old.counters?.every((c) => c.lane === undefined)).toBe(true);
  });
});

describe('a thread running an event loop', () => {
  it('is said to idle in its loop, not to wait for the GIL or in an unrecorded call', async () => {
    const dir = tempDir();
    writeProcessFile(dir, header({ version: 2 }), [
      ['T', T0, 1, 9, 'MainThread', 0, null, null],
      ['T', T0 + MS, 2, 10, 'loop', 0, 1, null],
      ['Y', T0, 3, 'task', 2, 'Task-1', null, null],
      ['C', T0 + 1000 * MS, 2, 10 * MS],
      ['E', T0 + 1000 * MS, 2],
    ], T0 + 1000 * MS);
    const model = await loadTrace(dir);
    expect(model.diagnostics.map((d) => d.message)).toEqual([
      'thread "loop" runs an asyncio event loop and spent about 989 ms (99% of its life; an estimate) neither on the CPU nor in a recorded wait: mostly its loop waiting for I/O or timers (the tasks\' awaits say for what).',
    ]);
  });
});

describe('hand-offs to threads (L flows of kind future)', () => {
  it('pair by key into arrows: a task to the executor worker and back, a thread to the loop', async () => {
    const dir = tempDir();
    writeProcessFile(dir, header({ version: 2 }), [
      ['T', T0, 1, 9, 'MainThread', 0, null, null],
      ['Y', T0, 2, 'task', 1, 'submitter', null, null, 1, 'submit', null],
      ['T', T0 + MS, 3, 11, 'asyncio_0', 0, 1, null],
      ['T', T0 + MS, 4, 12, 'poker', 0, 1, null],
      ['R', T0 + MS, T0 + 2 * MS, 2],
      ['L', T0 + 2 * MS, 2, 'future:1:1', 's', 'future', null, null],
      ['L', T0 + 3 * MS, 3, 'future:1:1', 'f', 'future', null, null],
      ['L', T0 + 23 * MS, 3, 'future:1:1:r', 's', 'future', null, null],
      ['L', T0 + 24 * MS, 2, 'future:1:1:r', 'f', 'future', null, null],
      ['R', T0 + 24 * MS, T0 + 25 * MS, 2],
      ['L', T0 + 30 * MS, 4, 'future:1:2', 's', 'future', null, null],
      ['L', T0 + 31 * MS, 1, 'future:1:2', 'f', 'future', null, null],
    ], T0 + 40 * MS);
    const model = await loadTrace(dir);
    const idx = (name: string): number => model.lanes.find((l) => l.name === name)?.index ?? -1;
    const arrows = model.flows.filter((f) => f.kind === 'future').map((f) => [f.fromLane, f.fromNs - T0, f.toLane, f.toNs - T0]);
    expect(arrows).toEqual(expect.arrayContaining([
      [idx('submitter'), 2 * MS, idx('asyncio_0'), 3 * MS],
      [idx('asyncio_0'), 23 * MS, idx('submitter'), 24 * MS],
      [idx('poker'), 30 * MS, idx('MainThread'), 31 * MS],
    ]));
    expect(arrows).toHaveLength(3);
  });
});

describe('tasks still awaiting at the end', () => {
  it('are one finding per await line, not one per task; a warning only for a lock-like object', async () => {
    const dir = tempDir();
    const OPEN = 2;
    const recs: unknown[][] = [
      ['S', 1, '/w/srv.py', 30, 'handle'],
      ['S', 2, '/w/srv.py', 40, 'locked'],
      ['O', 1, 'socket', 'conn', null, null, null],
      ['O', 2, 'aio_lock', 'lk', null, null, null],
      ['T', T0, 1, 9, 'MainThread', 0, null, null],
    ];
    for (let t = 2; t <= 6; t++) {
      recs.push(['Y', T0, t, 'task', 1, `Task-${t}`, null, null]);
      recs.push(['W', T0 + MS, T0 + 100 * MS, t, 1, 'socket', 1, null, null, null, OPEN]);
    }
    recs.push(['Y', T0, 7, 'task', 1, 'Task-7', null, null]);
    recs.push(['W', T0 + MS, T0 + 100 * MS, 7, 2, 'lock', 2, 2, null, null, OPEN]);
    writeProcessFile(dir, header({ version: 2 }), recs, T0 + 100 * MS);
    const model = await loadTrace(dir);
    // (The lock's contention is a finding of its own.)
    expect(model.diagnostics.filter((d) => d.message.includes('still awaiting')).map((d) => [d.severity, d.message])).toEqual([
      ['info', '5 tasks ("Task-2" first) were still awaiting at srv.py:30 (socket) on socket "conn" when the process ended'],
      ['warning', 'task "Task-7" was still awaiting at srv.py:40 (lock) on aio_lock "lk" when the process ended; it was held by task "Task-2". A deadlock, or a wait nobody would end?'],
    ]);
  });
});

describe('traces without asyncio', () => {
  it('give empty steps, tasks, groups and blocks', () => {
    expect(old.taskSteps?.count).toBe(0);
    expect(old.tasks).toEqual([]);
    expect(old.taskGroups).toEqual([]);
    expect(old.loopBlocks).toEqual([]);
    expect(old.flows.some((f) => f.kind === 'create')).toBe(false);
  });
});

describe('gather wakers', () => {
  const task = (lane: number, creatorLane: number | null, endNs: number): TaskInfo => ({
    lane, coroutine: 'c', coroutineSite: null, creatorLane, createSite: null, createdNs: 0 as Ns, firstStepNs: null,
    endNs: endNs as Ns, ended: true, outcome: 'result', detail: null, steps: 1, runNs: 0, awaitNs: {},
  });
  const waits = (rows: { lane: number; begin: number; end: number; reason: string; waker?: number }[]): WaitColumns => ({
    count: rows.length, begin: Float64Array.from(rows.map((r) => r.begin)), end: Float64Array.from(rows.map((r) => r.end)),
    lane: Int32Array.from(rows.map((r) => r.lane)), object: new Int32Array(rows.length), reason: Uint8Array.from(rows.map((r) => WAIT_REASONS.indexOf(r.reason as never))),
    site: new Int32Array(rows.length).fill(-1), holderLane: new Int32Array(rows.length).fill(-1), holderSite: new Int32Array(rows.length).fill(-1),
    wakerLane: Int32Array.from(rows.map((r) => r.waker ?? -1)), flags: new Uint8Array(rows.length),
  });

  it('names the child that ended last within a gather, and the first one for a wait(FIRST_COMPLETED)', () => {
    // Task 1 gathers its children 2, 3, 4 (ending at 30, 50, 40): the gather ends at 50 with 3.
    // Then it waits (asyncio.wait) from 60 to 75 for children 5 and 6, which end at 75 and 90.
    const tasks = [task(1, 0, 100), task(2, 1, 30), task(3, 1, 50), task(4, 1, 40), task(5, 1, 75), task(6, 1, 90), task(7, 2, 45)];
    const byLane: (TaskInfo | undefined)[] = [];
    for (const t of tasks) byLane[t.lane] = t;
    const w = waits([
      { lane: 1, begin: 10, end: 50, reason: 'gather' },
      { lane: 1, begin: 60, end: 75, reason: 'wait' },
      { lane: 1, begin: 80, end: 85, reason: 'sleep' },
      { lane: 2, begin: 5, end: 45, reason: 'gather', waker: 9 },
    ]);
    nameGatherWakers(w, tasks, byLane);
    expect(Array.from(w.wakerLane)).toEqual([3, 5, -1, 9]);
  });
});
