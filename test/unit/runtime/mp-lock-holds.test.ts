/**
 * Who held a multiprocessing lock, across processes: the agent writes `mp_lock` waits with no
 * holder (a process cannot see another's), and `hold` spans keyed by the lock's globalKey in
 * every process; the model joins them (runtime/src/model/handlers/lock-holds.ts). Read from the
 * hand-written `mp-lock-holds` fixture (test/fixtures/README.md works out every number) and
 * from small variations written next to the assertion.
 */
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { WaitFlags } from '../../../runtime/src/format/spec';
import { loadTrace } from '../../../runtime/src/model/build-model';
import { HOLD_WAKE_TOLERANCE_NS } from '../../../runtime/src/model/handlers/lock-holds';
import type { TraceModel } from '../../../runtime/src/model/types';
import { SUMMARY_JSON_SCHEMA } from '../../../runtime/src/summary/schema';
import { buildSummary, formatSummary } from '../../../runtime/src/summary/summary';
import { SegmentState, buildViewData } from '../../../runtime/src/view/view-data';
import { validate } from './helpers/json-schema';
import { FIXTURES, header, tempDir, writeProcessFile } from './helpers/traces';

const MS = 1_000_000;
const T0 = 1_000_000_000;
const KEY = '/mp-shared';

let m: TraceModel;
beforeAll(async () => {
  m = await loadTrace(path.join(FIXTURES, 'mp-lock-holds'));
});

const laneOf = (model: TraceModel, pid: number, tid = 1): number =>
  model.lanes.findIndex((l) => l.tid === tid && model.processes[l.process]?.pid === pid);
const pidOfLane = (model: TraceModel, lane: number): number | undefined => model.processes[model.lanes[lane]?.process ?? -1]?.pid;
/** The wait of `pid`'s main thread that began at `beginMs` after T0. */
const waitAt = (model: TraceModel, pid: number, beginMs: number): number => {
  const w = model.waits;
  for (let i = 0; i < w.count; i++) {
    if (w.lane[i] === laneOf(model, pid) && w.begin[i] === T0 + beginMs * MS) return i;
  }
  throw new Error(`no wait of ${pid} at ${beginMs} ms`);
};
const who = (model: TraceModel, i: number) => ({
  holder: pidOfLane(model, model.waits.holderLane[i] as number) ?? null,
  waker: pidOfLane(model, model.waits.wakerLane[i] as number) ?? null,
  estimated: ((model.waits.flags[i] as number) & WaitFlags.HOLDER_CHANGED) !== 0,
});

describe('holds of a multiprocessing lock, joined across processes', () => {
  it('are indexed per merged object by globalKey, sorted by begin, from every process', () => {
    const lock = m.objects.findIndex((o) => o.globalKey === KEY);
    expect(m.objects.filter((o) => o.kind === 'mp_lock')).toHaveLength(1);
    expect(m.lockHolds?.map((h) => [h.object, pidOfLane(m, h.lane), (h.begin - T0) / MS, (h.end - T0) / MS])).toEqual([
      [lock, 500, 20, 30], [lock, 501, 100, 300], [lock, 502, 300.5, 350], [lock, 502, 400, 450],
    ]);
  });

  it("name the other process's hold that covered the wait's begin as holder, and its release as waker", () => {
    // B (502) waits 100.5-300.5 ms while A (501) holds the lock 100-300 ms; A's release is
    // 0.5 ms before B's wait ends, within the tolerance.
    const i = waitAt(m, 502, 100.5);
    expect((m.waits.end[i] as number) - (m.waits.begin[i] as number)).toBe(200 * MS);
    expect(who(m, i)).toEqual({ holder: 501, waker: 501, estimated: true });
    expect(m.waits.holderLane[i]).toBe(laneOf(m, 501));
    expect(m.waits.wakerLane[i]).toBe(laneOf(m, 501));
  });

  it('keep the holder and waker unknown for a wait that no hold covers', () => {
    // A's wait at 600-610 ms: no process recorded a hold then (say, an untraced holder).
    expect(who(m, waitAt(m, 501, 600))).toEqual({ holder: null, waker: null, estimated: false });
  });

  it("never name the waiter's own lane as its holder, even when its own hold covers the wait", () => {
    // B holds the lock 400-450 ms and, on the same thread, tries it again (timed out, 420-440):
    // its own hold covers the wait's begin, and nobody else held it.
    const i = waitAt(m, 502, 420);
    expect(who(m, i)).toEqual({ holder: null, waker: null, estimated: false });
    expect(m.waits.flags[i]).toBe(WaitFlags.TIMED_OUT);
  });

  it('put the holder, with its pid, in the lock statistics and the summary lock row', () => {
    const stat = m.locks.find((l) => m.objects[l.object]?.globalKey === KEY);
    expect(stat).toMatchObject({ contentions: 3, waitNs: 230 * MS, acquisitions: 6 });
    expect(stat?.holders).toEqual([{ lane: laneOf(m, 501), site: null, waits: 1, waitNs: 200 * MS }]);
    const summary = buildSummary(m);
    const row = summary.locks.find((l) => l.kind === 'mp_lock');
    expect(row).toMatchObject({ name: 'lock', pid: 500, pids: [500, 501, 502], contentions: 3, waitMs: 230 });
    expect(row?.holders).toEqual([{ thread: 'MainThread', pid: 501, site: null, waits: 1, waitMs: 200 }]);
    expect(validate(SUMMARY_JSON_SCHEMA as unknown as Record<string, unknown>, JSON.parse(JSON.stringify(summary)) as unknown)).toEqual([]);
    const text = formatSummary(summary, '/w');
    expect(text).toContain('mp_lock "lock" created at locks.py:8 (shared by pids 500, 501, 502)');
    expect(text).toContain('held by    MainThread (pid 501): 1 wait, 200 ms');
  });

  it('give one unblock arrow, from the releasing process to the waiter, in the model and the view', () => {
    const unblock = m.flows.filter((f) => f.kind === 'unblock');
    expect(unblock.map((f) => [pidOfLane(m, f.fromLane), pidOfLane(m, f.toLane), (f.toNs - T0) / MS])).toEqual([[501, 502, 300.5]]);
    const d = buildViewData(m);
    const rows: [number | undefined, number | undefined][] = [];
    for (let k = 0; k < d.flows.count; k++) {
      if (d.flowKinds[d.flows.kind[k] as number] === 'unblock') rows.push([pidOfLane(m, d.flows.fromLane[k] as number), pidOfLane(m, d.flows.toLane[k] as number)]);
    }
    expect(rows).toEqual([[501, 502]]);
  });

  it('are neither work items nor "Work item" segments on the timeline', () => {
    expect(m.spans.filter((s) => s.kind === 'hold')).toHaveLength(4);
    expect(m.workItems).toEqual([]);
    const d = buildViewData(m);
    expect(Array.from(d.segments.state).filter((s) => s === SegmentState.WORK)).toEqual([]);
    expect(Array.from(d.segments.span).filter((s) => s >= 0)).toEqual([]);
    expect(buildSummary(m).workItems.count).toBe(0);
  });
});

describe('matching holds to waits, edge cases', () => {
  /** Two processes sharing one mp.Lock; `a` and `b` are records for pid 10 and pid 11. */
  async function load(a: unknown[][], b: unknown[][]): Promise<TraceModel> {
    const dir = tempDir();
    const defs = (pid: number): unknown[][] => [['T', T0, 1, pid, 'MainThread', 0, null, null], ['O', 1, 'mp_lock', 'l', null, null, null, KEY]];
    writeProcessFile(dir, header({ pid: 10 }), [...defs(10), ...a], T0 + 900 * MS);
    writeProcessFile(dir, header({ pid: 11, ppid: 10, startMethod: 'fork' }), [...defs(11), ...b], T0 + 900 * MS);
    return loadTrace(dir);
  }
  const hold = (b: number, e: number, key = KEY): unknown[] => ['X', T0 + b * MS, T0 + e * MS, 1, 'hold', '', null, key];
  const wait = (b: number, e: number, flags = 0): unknown[] => ['W', T0 + b * MS, T0 + e * MS, 1, 1, 'mp_lock', null, null, null, null, flags];

  it('leave the waker unknown when the last release is further than the tolerance from the wait end', async () => {
    // Held 100-200 ms by pid 10, but pid 11 only got the lock at 210 ms: someone untraced took
    // it in between. The holder is still the hold that covered the wait's begin.
    expect(HOLD_WAKE_TOLERANCE_NS).toBe(2 * MS);
    const model = await load([hold(100, 200)], [wait(150, 210)]);
    expect(who(model, 0)).toEqual({ holder: 10, waker: null, estimated: true });
    const near = await load([hold(100, 208.5)], [wait(150, 210)]);
    expect(who(near, 0)).toEqual({ holder: 10, waker: 10, estimated: true });
  });

  it("accept a release read just after the waiter's end (two clock reads), but not a hold that began after it", async () => {
    const late = await load([hold(100, 201)], [wait(150, 200)]);
    expect(who(late, 0)).toEqual({ holder: 10, waker: 10, estimated: true });
    // A hold by pid 10 that only began when the waiter was already in cannot have let it in.
    const after = await load([hold(200.5, 201)], [wait(150, 200)]);
    expect(who(after, 0)).toEqual({ holder: null, waker: null, estimated: false });
  });

  it('treat a hold as covering [begin, end): one that ended exactly when the wait began is not its holder', async () => {
    const model = await load([hold(100, 150)], [wait(150, 160)]);
    expect(who(model, 0).holder).toBeNull();
  });

  it('give no waker to a wait that timed out, but still name the holder', async () => {
    const model = await load([hold(100, 200)], [wait(150, 200, WaitFlags.TIMED_OUT)]);
    expect(who(model, 0)).toEqual({ holder: 10, waker: null, estimated: true });
    expect(model.flows.filter((f) => f.kind === 'unblock')).toEqual([]);
  });

  it('ignore holds keyed to another lock, and holds of a lock with no object', async () => {
    const model = await load([hold(100, 200, '/other')], [wait(150, 200)]);
    expect(who(model, 0)).toEqual({ holder: null, waker: null, estimated: false });
    expect(model.lockHolds).toEqual([]);
  });

  it('keep a holder the agent recorded (threading locks are never re-attributed)', async () => {
    const dir = tempDir();
    writeProcessFile(dir, header({ pid: 10 }), [
      ['T', T0, 1, 10, 'MainThread', 0, null, null], ['T', T0, 2, 10, 'other', 0, null, null], ['T', T0, 3, 10, 'third', 0, null, null],
      ['O', 1, 'mp_lock', 'l', null, null, null, KEY],
      ['X', T0 + 100 * MS, T0 + 200 * MS, 3, 'hold', '', null, KEY],
      ['W', T0 + 150 * MS, T0 + 200 * MS, 1, 1, 'mp_lock', null, 2, null, 2, 0],
    ], T0 + 900 * MS);
    const model = await loadTrace(dir);
    expect(model.waits.holderLane[0]).toBe(laneOf(model, 10, 2));
    expect(model.waits.wakerLane[0]).toBe(laneOf(model, 10, 2));
    expect(model.waits.flags[0]).toBe(0);
  });

  it('name another thread of the same process as holder: any lane but the waiter', async () => {
    const dir = tempDir();
    writeProcessFile(dir, header({ pid: 10 }), [
      ['T', T0, 1, 10, 'MainThread', 0, null, null], ['T', T0, 2, 10, 'other', 0, null, null],
      ['O', 1, 'mp_lock', 'l', null, null, null, KEY],
      ['X', T0 + 100 * MS, T0 + 200 * MS, 2, 'hold', '', null, KEY],
      ['W', T0 + 150 * MS, T0 + 200 * MS, 1, 1, 'mp_lock', null, null, null, null, 0],
    ], T0 + 900 * MS);
    const model = await loadTrace(dir);
    expect(model.waits.holderLane[0]).toBe(laneOf(model, 10, 2));
    expect(model.waits.wakerLane[0]).toBe(laneOf(model, 10, 2));
  });
});
