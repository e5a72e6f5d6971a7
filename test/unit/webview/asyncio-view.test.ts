/**
 * asyncio in the view: task lanes cut into steps (RUNNING), awaits (waits) and READY; a thread
 * with many tasks grouped by coroutine with packed rows; concurrency series; loop blocks and
 * loop-lag counters carried to the view with the sentence every surface uses.
 */
import { describe, expect, it } from 'vitest';
import type { Ns } from '../../../runtime/src/format/spec';
import type { TaskInfo, TraceModel } from '../../../runtime/src/model/types';
import { buildViewData, SegmentState, type ViewData } from '../../../runtime/src/view/view-data';
import { decodeViewData, encodeViewData } from '../../../runtime/src/view/codec';
import { layoutLanes, packLanes, taskGroupKey, TASK_ROWS_MAX } from '../../../webview/src/layout';
import { blockSentence } from '../../../webview/src/tasks/event-loop-panel';
import { concurrencyOf, describeChartAt, stepsOf, valueAt } from '../../../webview/src/tasks/task-groups';
import { makeModel, type SynthLane } from './synthetic';

const ns = (x: number): Ns => x as Ns;
const MS = 1_000_000;

function task(lane: number, coroutine: string, created: number, end: number, extra: Partial<TaskInfo> = {}): TaskInfo {
  return {
    lane, coroutine, coroutineSite: null, creatorLane: 0, createSite: null, createdNs: ns(created), firstStepNs: null, endNs: ns(end),
    ended: true, outcome: 'result', detail: null, steps: 0, runNs: 0, awaitNs: {}, ...extra,
  };
}

/** A loop thread (lane 0) with one task (lane 1): created at 0, steps [1,2] and [7,8] ms, a
 * sleep await [2,6] ms, ready [0,1] and [6,7], ends at 8 ms. */
function oneTask(): TraceModel {
  const m = makeModel({
    origin: 0,
    lanes: [
      { name: 'MainThread', start: 0, end: 10 * MS, tid: 1 },
      { name: 'Task-1', start: 0, end: 8 * MS, tid: 2, kind: 'task', parent: 0 },
    ],
    sites: [{ file: '/app/main.py', line: 12, func: 'main' }],
    objects: [{ kind: 'timer', name: '' }],
    waits: [{ lane: 1, begin: 2 * MS, end: 6 * MS, object: 0, reason: 'sleep', site: 0 }],
  });
  m.taskSteps = { count: 2, begin: Float64Array.of(1 * MS, 7 * MS), end: Float64Array.of(2 * MS, 8 * MS), lane: Int32Array.of(1, 1) };
  m.tasks = [task(1, 'main', 0, 8 * MS, { steps: 2, runNs: 2 * MS })];
  m.taskGroups = [{
    process: 0, coroutine: 'main', coroutineSite: null, createSite: null, tasks: [1], runNs: 2 * MS, awaitNs: { sleep: 4 * MS },
    p50DurationNs: 8 * MS, p95DurationNs: 8 * MS, maxDurationNs: 8 * MS, cancelled: 0, failed: 0,
  }];
  m.loopBlocks = [
    { loopLane: 0, taskLane: 1, begin: ns(7 * MS), end: ns(8 * MS), durationNs: 1 * MS, site: 0, siteSource: 'wait', delayedLanes: [] },
    { loopLane: 0, taskLane: null, begin: ns(1 * MS), end: ns(4 * MS), durationNs: 3 * MS, site: null, siteSource: null, delayedLanes: [1] },
  ];
  m.counters = [{ process: 0, name: 'loop_lag:1', ts: Float64Array.of(1 * MS, 4 * MS), value: Float64Array.of(3, 0) }];
  return m;
}

function segmentsOf(d: ViewData, lane: number): [number, number, number][] {
  const s = d.segments;
  const out: [number, number, number][] = [];
  for (let i = s.laneOffsets[lane] as number; i < (s.laneOffsets[lane + 1] as number); i++) out.push([s.begin[i] as number, s.end[i] as number, s.state[i] as number]);
  return out;
}

describe('asyncio task lanes in the view', () => {
  it('draws a task as RUNNING exactly during its steps, its awaits as waits and READY between', () => {
    const d = buildViewData(oneTask());
    expect(segmentsOf(d, 1)).toEqual([
      [0, 1 * MS, SegmentState.READY],
      [1 * MS, 2 * MS, SegmentState.RUNNING],
      [2 * MS, 6 * MS, SegmentState.SLEEP],
      [6 * MS, 7 * MS, SegmentState.READY],
      [7 * MS, 8 * MS, SegmentState.RUNNING],
    ]);
    expect(d.lanes[1]?.waitNs).toBe(4 * MS);
    expect(d.lanes[1]?.task).toMatchObject({ coroutine: 'main', steps: 2, runNs: 2 * MS, group: 0, outcome: 'result' });
    expect(d.lanes[0]?.task).toBeNull();
  });

  it('lists loop blocks longest first with the line, and resolves a loop-lag series to its thread', () => {
    const d = buildViewData(oneTask());
    expect(d.loopBlocks.map((b) => b.durationNs)).toEqual([3 * MS, 1 * MS]);
    expect(blockSentence(d, d.loopBlocks[1]!)).toBe('event loop blocked 1 ms at main.py:12');
    expect(d.counters[0]).toMatchObject({ name: 'loop_lag:1', lane: 0 });
    // The report's text form keeps all of it.
    const back = decodeViewData(encodeViewData(d));
    expect(back.loopBlocks).toEqual(d.loopBlocks);
    expect(Array.from(back.counters[0]!.value)).toEqual([3, 0]);
  });

  it('gives the loop thread a lag row before its tasks', () => {
    const d = buildViewData(oneTask());
    const rows = layoutLanes(d, new Set()).rows.map((r) => r.kind);
    expect(rows).toEqual(['process', 'lane', 'counter', 'lane']);
  });
});

/** A server: a loop thread with one long-lived task and `n` short handler tasks, 4 at a time. */
function server(n: number): ViewData {
  const lanes: SynthLane[] = [
    { name: 'MainThread', start: 0, end: 1000 * MS, tid: 1 },
    { name: 'serve', start: 0, end: 1000 * MS, tid: 2, kind: 'task', parent: 0 },
  ];
  for (let i = 0; i < n; i++) {
    const start = Math.floor(i / 4) * 2 * MS;
    lanes.push({ name: `Task-${i + 3}`, start, end: start + 1.5 * MS, tid: i + 3, kind: 'task', parent: 1 });
  }
  const m = makeModel({ origin: 0, lanes });
  m.tasks = [task(1, 'serve', 0, 1000 * MS), ...lanes.slice(2).map((l, i) => task(i + 2, 'handle', l.start, l.end))];
  m.taskGroups = [
    { process: 0, coroutine: 'serve', coroutineSite: null, createSite: null, tasks: [1], runNs: 0, awaitNs: {}, p50DurationNs: null, p95DurationNs: null, maxDurationNs: null, cancelled: 0, failed: 0 },
    { process: 0, coroutine: 'handle', coroutineSite: null, createSite: null, tasks: lanes.slice(2).map((_l, i) => i + 2), runNs: 0, awaitNs: {}, p50DurationNs: 1.5 * MS, p95DurationNs: 1.5 * MS, maxDurationNs: 1.5 * MS, cancelled: 0, failed: 0 },
  ];
  return buildViewData(m);
}

describe('many tasks', () => {
  it('keeps one row per task for a few tasks', () => {
    const d = server(TASK_ROWS_MAX - 1);
    expect(layoutLanes(d, new Set()).rows.filter((r) => r.kind === 'lane')).toHaveLength(TASK_ROWS_MAX + 1);
  });

  it('groups 10,000 short tasks into one collapsed row per coroutine, with the long-lived task on its own row', () => {
    const d = server(10_000);
    const layout = layoutLanes(d, new Set());
    const kinds = layout.rows.map((r) => (r.kind === 'tasks' ? `tasks:${r.coroutine}:${r.lanes.length}` : r.kind));
    expect(kinds).toEqual(['process', 'lane', 'lane', 'tasks:handle:10000']);
    const group = layout.rows[3]!;
    // Hidden tasks point at the group row (arrows to them end there).
    expect(layout.anchorRowOfLane[5]).toBe(3);
    expect(layout.rowOfLane[5]).toBe(-1);
    if (group.kind !== 'tasks') throw new Error('not a group row');
    expect(group.collapsed).toBe(true);
  });

  it('packs an expanded group into rows of tasks that never overlap (4 at a time → 4 rows)', () => {
    const d = server(400);
    const key = taskGroupKey(d, 0, 'handle');
    const layout = layoutLanes(d, new Set([key]));
    const packs = layout.rows.filter((r) => r.kind === 'pack');
    expect(packs).toHaveLength(4);
    for (const p of packs) {
      if (p.kind !== 'pack') continue;
      expect(p.lanes).toHaveLength(100);
      for (let i = 1; i < p.lanes.length; i++) expect(d.lanes[p.lanes[i]!]!.startNs).toBeGreaterThanOrEqual(d.lanes[p.lanes[i - 1]!]!.endNs);
    }
    expect(layout.rowOfLane[2]).toBeGreaterThan(0);
  });

  it('counts what does not fit into the packed rows', () => {
    const d = server(100);
    const lanes = d.lanes.filter((l) => l.task?.coroutine === 'handle');
    const packed = packLanes(lanes, 2);
    expect(packed.rows).toHaveLength(2);
    expect(packed.hidden).toBe(50);
  });

  it('measures concurrency: at most 4 handlers alive at once, none after they end', () => {
    const d = server(400);
    const lanes = d.lanes.filter((l) => l.task?.coroutine === 'handle').map((l) => l.index);
    const c = concurrencyOf(d, 'k', lanes);
    expect(c.alive.max).toBe(4);
    expect(valueAt(c.alive, 1 * MS)).toBe(4);
    expect(valueAt(c.alive, 1.75 * MS)).toBe(0);
    expect(valueAt(c.alive, 999 * MS)).toBe(0);
  });

  it('says on hover how many tasks of a group were alive, and the loop lag', () => {
    const d = server(400);
    const layout = layoutLanes(d, new Set());
    const group = layout.rows.find((r) => r.kind === 'tasks');
    if (group?.kind !== 'tasks') throw new Error('no group row');
    // No steps in this model: each lane runs between its (no) waits, so all 4 are running.
    expect(describeChartAt(d, group, 1 * MS).lines[0]).toBe('4 alive, 4 running or ready');
    const lag = buildViewData(oneTask());
    const row = layoutLanes(lag, new Set()).rows.find((r) => r.kind === 'counter');
    if (row?.kind !== 'counter') throw new Error('no counter row');
    expect(describeChartAt(lag, row, 2 * MS).lines[0]).toBe('3.0 ms: how late the loop ran the callbacks that were due');
  });

  it('sums coincident steps of a series', () => {
    const s = stepsOf(Float64Array.of(0, 0, 5, 5), Int8Array.of(1, 1, -1, -1));
    expect(Array.from(s.ts)).toEqual([0, 5]);
    expect(Array.from(s.value)).toEqual([2, 0]);
    expect(s.max).toBe(2);
  });
});
