/**
 * The view of processes on one timeline: work item runs drawn on their worker lanes in their
 * own state, with hover text that gives the queue wait and run time, and arrows for tasks,
 * results and messages between lanes of different processes, chosen per frame within a bound.
 * Built from the `pool-messages` fixture (numbers in test/fixtures/README.md) and from
 * synthetic models.
 */
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTrace } from '../../../runtime/src/model/build-model';
import type { Flow, TraceModel } from '../../../runtime/src/model/types';
import type { Ns } from '../../../runtime/src/format/spec';
import { SegmentState, STATE_INFO, buildViewData, type ViewData } from '../../../runtime/src/view/view-data';
import { decodeViewData, encodeViewData } from '../../../runtime/src/view/codec';
import { describeSegment } from '../../../webview/src/describe';
import { FlowIndex, visibleFlows } from '../../../webview/src/flows';
import { LodIndex, LodItems, NO_MARKER, aggregateLane } from '../../../webview/src/lod';
import { makeModel } from './synthetic';

const MS = 1_000_000;
const FIXTURE = path.resolve(__dirname, '..', '..', 'fixtures', 'pool-messages');

let model: TraceModel;
let d: ViewData;
beforeAll(async () => {
  model = await loadTrace(FIXTURE);
  d = buildViewData(model);
});

const laneOf = (pid: number, tid: number): number => d.lanes.findIndex((l) => l.tid === tid && d.processes[l.process]?.pid === pid);
const pidOf = (lane: number): number | undefined => d.processes[d.lanes[lane]?.process ?? -1]?.pid;

/** Segments of one lane as [begin ms, end ms, state, wait, span label]. */
function segments(lane: number): [number, number, number, number, string][] {
  const s = d.segments;
  const out: [number, number, number, number, string][] = [];
  for (let k = s.laneOffsets[lane] as number; k < (s.laneOffsets[lane + 1] as number); k++) {
    const span = s.span[k] as number;
    out.push([(s.begin[k] as number) / MS, (s.end[k] as number) / MS, s.state[k] as number, s.wait[k] as number,
      span >= 0 ? (d.strings[d.spans.label[span] as number] ?? '?') : '']);
  }
  return out;
}

describe('view data: work items on their lanes', () => {
  it('draws each work item run as WORK segments on the worker lane, waits inside it staying waits', () => {
    const { RUNNING, WORK, LOCK } = SegmentState;
    expect(segments(laneOf(401, 1)).map(([b, e, st, w, label]) => [b, e, st, w >= 0, label])).toEqual([
      [70, 120, RUNNING, false, ''],
      [120, 155, WORK, false, 'square'],
      [155, 160, LOCK, true, 'square'],
      [160, 170, WORK, false, 'square'],
      // The next task starts where the first returned: a segment of its own.
      [170, 200, WORK, false, 'square'],
      [200, 350, RUNNING, false, ''],
    ]);
    // The killed worker's last task never returned: no span, so plain running.
    expect(segments(laneOf(402, 1)).map(([b, e, st]) => [b, e, st])).toEqual([
      [75, 130, RUNNING], [130, 140, WORK], [140, 150, LOCK], [150, 230, WORK], [230, 250, RUNNING],
    ]);
  });

  it('keeps every span in a table, each work item run linked to its row in the work item table', () => {
    expect(d.spans.count).toBe(model.spans.length);
    const runs: [string, number, number][] = [];
    for (let i = 0; i < d.spans.count; i++) {
      const wi = d.spans.workItem[i] as number;
      if (wi >= 0) runs.push([d.strings[d.spans.label[i] as number] ?? '', wi, d.workItems.span[wi] as number]);
      if (wi >= 0) expect(d.workItems.span[wi]).toBe(i);
    }
    expect(runs.map((r) => r[1])).toEqual([0, 1, 2]);
    expect(d.workItems.count).toBe(4);
    expect([d.workItems.startNs[3], d.workItems.completed[3], Number.isNaN(d.workItems.endNs[3] as number)]).toEqual([230 * MS, 0, true]);
  });

  it('has a "Work item" legend entry with its own colour key', () => {
    expect(STATE_INFO[SegmentState.WORK]).toMatchObject({ key: 'work', label: 'Work item', estimated: false });
  });

  it('says in the hover what ran, its queue wait and run time, who submitted it and where the result went', () => {
    const lane = laneOf(401, 1);
    const first = d.segments.laneOffsets[lane] as number;
    const work = describeSegment(d, first + 1);
    expect(work.title).toBe('Work item · 35 ms');
    expect(work.lines).toEqual([
      'square at pool.py:3',
      'queue wait 20 ms · run 50 ms',
      'submitted by MainThread (pid 400)',
      'result to Thread-3 (_handle_results) (pid 400) 10 ms after it returned',
      'arguments 100 B · result 20 B',
    ]);
    expect(describeSegment(d, first + 2).lines).toContain('inside work item square');
  });

  it('survives the report encoding with its new columns', () => {
    const back = decodeViewData(encodeViewData(d));
    expect(Array.from(back.segments.span)).toEqual(Array.from(d.segments.span));
    expect(Array.from(back.workItems.submitNs).map((x) => (Number.isNaN(x) ? null : x))).toEqual(Array.from(d.workItems.submitNs).map((x) => (Number.isNaN(x) ? null : x)));
    expect(back.strings).toEqual(d.strings);
  });

  it('colours a zoomed-out block of a busy worker as work item time, with its longest wait as a marker', () => {
    const lod = LodIndex.fromTable(d.segments);
    const out = new LodItems();
    // One pixel wider than the whole lane: everything merges into one block.
    aggregateLane(lod, laneOf(402, 1), 0, 400 * MS, 400 * MS, out);
    expect(out.length).toBe(1);
    // 90 ms of 175 in work items, 10 ms waiting: mostly running, and mostly in work items.
    expect([out.state[0], out.marker[0]]).toEqual([SegmentState.WORK, SegmentState.LOCK]);
    aggregateLane(lod, laneOf(400, 2), 0, 400 * MS, 400 * MS, out);
    expect([out.state[0], out.marker[0]]).toEqual([SegmentState.RUNNING, NO_MARKER]);
  });
});

describe('view data: arrows between processes', () => {
  it('has the task, result and message flows between lanes of different processes, with their own kinds', () => {
    const rows: [string, number | undefined, number | undefined][] = [];
    for (let i = 0; i < d.flows.count; i++) {
      rows.push([d.flowKinds[d.flows.kind[i] as number] ?? '?', pidOf(d.flows.fromLane[i] as number), pidOf(d.flows.toLane[i] as number)]);
    }
    const count = (k: string, from: number, to: number): number => rows.filter((r) => r[0] === k && r[1] === from && r[2] === to).length;
    expect([count('work', 400, 401), count('work', 400, 402)]).toEqual([2, 2]);
    expect([count('result', 401, 400), count('result', 402, 400)]).toEqual([2, 1]);
    expect([count('queue', 401, 400), count('queue', 402, 400), count('pipe', 400, 401)]).toEqual([1, 1, 1]);
    // Process starts are arrows too, and are no longer passed off as unblock arrows.
    expect(count('spawn', 400, 401) + count('spawn', 400, 402)).toBe(2);
    // The only unblock arrows are the two mp_lock waits, each from the process whose hold of
    // the lock ended as the wait did (matched from hold spans: 401 released it at 150 ms, 402
    // at 160 ms).
    expect(rows.filter((r) => r[0] === 'unblock')).toEqual([['unblock', 401, 402], ['unblock', 402, 401]]);
  });

  it('gives a kind of its own to a flow kind this version does not know', () => {
    const m = makeModel({ lanes: [{ name: 'a', start: 0, end: 100 }, { name: 'b', start: 0, end: 100 }] });
    m.flows = [{ kind: 'gpu_copy', fromLane: 0, fromNs: (m.startNs + 10) as Ns, toLane: 1, toNs: (m.startNs + 20) as Ns, object: null, size: null }];
    const v = buildViewData(m);
    expect(v.flowKinds[v.flows.kind[0] as number]).toBe('gpu_copy');
  });

  it('selects the arrows of the visible window, every cross-lane kind and never unblock arrows', () => {
    const index = new FlowIndex(d);
    expect(index.count).toBe(12);
    const all = visibleFlows(index, d, { startNs: 0, endNs: d.durationNs, bucketNs: 1000, laneShown: () => true });
    expect(all.rows).toHaveLength(12);
    expect(all.truncated).toBe(false);
    // 0-60 ms: the pipe message (50 → 110 ms) and the two process starts at 60 ms.
    const early = visibleFlows(index, d, { startNs: 0, endNs: 60 * MS, bucketNs: 1000, laneShown: () => true });
    expect(early.rows.map((r) => d.flowKinds[d.flows.kind[r] as number]).sort()).toEqual(['pipe', 'spawn', 'spawn']);
    // A lane that cannot be drawn (hidden) takes its arrows with it.
    const w401 = laneOf(401, 1);
    const hidden = visibleFlows(index, d, { startNs: 0, endNs: d.durationNs, bucketNs: 1000, laneShown: (l) => l !== w401 });
    expect(hidden.rows.every((r) => d.flows.fromLane[r] !== w401 && d.flows.toLane[r] !== w401)).toBe(true);
    // 401 sent one message and two results, got the pipe message, two tasks and its start.
    expect(hidden.rows.length).toBe(12 - 7);
  });

  it('keeps arrows that leave one lane at one moment for different workers or times apart', () => {
    // The four tasks were all submitted at 100 ms by one thread: four arrows, not one.
    const index = new FlowIndex(d);
    const sel = visibleFlows(index, d, { startNs: 0, endNs: d.durationNs, bucketNs: 3 * MS, laneShown: () => true });
    expect(sel.rows.filter((r) => d.flowKinds[d.flows.kind[r] as number] === 'work')).toHaveLength(4);
  });
});

describe('arrows at scale', () => {
  /** 200,000 messages from lane 0 to lane 1, one every 500 ns, each taking 300 ns. */
  function busy(): ViewData {
    const m = makeModel({ lanes: [{ name: 'producer', start: 0, end: 100 * MS, process: 0 }, { name: 'consumer', start: 0, end: 100 * MS, process: 1, tid: 1 }], processes: [{ pid: 1 }, { pid: 2, parent: 0 }] });
    const flows: Flow[] = [];
    for (let i = 0; i < 200_000; i++) {
      flows.push({ kind: 'queue', fromLane: 0, fromNs: (m.startNs + i * 500) as Ns, toLane: 1, toNs: (m.startNs + i * 500 + 300) as Ns, object: null, size: 8 });
    }
    m.flows = flows;
    return buildViewData(m);
  }

  it('draws at most about one arrow per lane pair per bucket of the window, however many flows there are', () => {
    const v = busy();
    const index = new FlowIndex(v);
    const bucketNs = (100 * MS / 2000) * 3; // 3 CSS px of a 2000-px lane area
    const sel = visibleFlows(index, v, { startNs: 0, endNs: 100 * MS, bucketNs, laneShown: () => true });
    const buckets = Math.ceil((100 * MS) / bucketNs) + 3;
    expect(sel.rows.length).toBeGreaterThan(buckets / 2);
    expect(sel.rows.length).toBeLessThanOrEqual(2 * buckets);
    expect(sel.truncated).toBe(false);
    // Zoomed in to 10 µs, each arrow is apart from the next and is drawn.
    const near = visibleFlows(index, v, { startNs: 50 * MS, endNs: 50 * MS + 10_000, bucketNs: 15, laneShown: () => true });
    expect(near.rows.length).toBeGreaterThanOrEqual(20);
    expect(near.scanned).toBeLessThan(40);
  });

  it('stops at its limits and says so, so a frame never scans the whole trace', () => {
    const v = busy();
    const index = new FlowIndex(v);
    const capped = visibleFlows(index, v, { startNs: 0, endNs: 100 * MS, bucketNs: 1, laneShown: () => true, maxArrows: 50 });
    expect([capped.rows.length, capped.truncated]).toEqual([50, true]);
    const scanLimited = visibleFlows(index, v, { startNs: 0, endNs: 100 * MS, bucketNs: 1, laneShown: () => true, maxScan: 1000 });
    expect(scanLimited.scanned).toBeLessThanOrEqual(1001);
    expect(scanLimited.truncated).toBe(true);
  });
});
