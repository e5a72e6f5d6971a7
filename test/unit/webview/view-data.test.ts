/** View data built from synthetic models with known ground truth, and from a real fixture. */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { WaitFlags } from '../../../runtime/src/format/spec';
import { loadTrace } from '../../../runtime/src/model/build-model';
import { SegmentState, VIEW_DATA_VERSION, buildViewData, type ViewData } from '../../../runtime/src/view/view-data';
import { makeModel } from './synthetic';

const MS = 1_000_000;

/** Segments of one lane as [begin, end, state, wait] tuples. */
function laneSegments(d: ViewData, lane: number): [number, number, number, number][] {
  const s = d.segments;
  const out: [number, number, number, number][] = [];
  for (let k = s.laneOffsets[lane] as number; k < (s.laneOffsets[lane + 1] as number); k++) {
    out.push([s.begin[k] as number, s.end[k] as number, s.state[k] as number, s.wait[k] as number]);
  }
  return out;
}

const twoThreads = () => makeModel({
  lanes: [{ name: 'holder', start: 0, end: 300 * MS }, { name: 'waiter', start: 10 * MS, end: 320 * MS }],
  sites: [{ file: '/src/prog.py', line: 5, func: '<module>' }, { file: '/src/prog.py', line: 11, func: 'hold' }, { file: '/src/prog.py', line: 20, func: 'wait' }],
  objects: [{ kind: 'lock', name: 'lock', site: 0 }, { kind: 'timer', name: 'time.sleep' }],
  waits: [
    { lane: 1, begin: 50 * MS, end: 250 * MS, object: 0, reason: 'lock', site: 2, holder: 0, holderSite: 1, waker: 0 },
    { lane: 0, begin: 260 * MS, end: 280 * MS, object: 1, reason: 'sleep', site: 1 },
  ],
});

describe('view data: segments', () => {
  it('cut each lane into running gaps and waits that cover its whole life without overlap', () => {
    const d = buildViewData(twoThreads());
    expect(laneSegments(d, 1)).toEqual([
      [10 * MS, 50 * MS, SegmentState.RUNNING, -1],
      [50 * MS, 250 * MS, SegmentState.LOCK, 0],
      [250 * MS, 320 * MS, SegmentState.RUNNING, -1],
    ]);
    expect(laneSegments(d, 0).map((x) => x[2])).toEqual([SegmentState.RUNNING, SegmentState.SLEEP, SegmentState.RUNNING]);
    for (let l = 0; l < d.lanes.length; l++) {
      const segs = laneSegments(d, l);
      for (let i = 1; i < segs.length; i++) expect(segs[i]?.[0]).toBe(segs[i - 1]?.[1]);
      expect(segs[0]?.[0]).toBe(d.lanes[l]?.startNs);
      expect(segs[segs.length - 1]?.[1]).toBe(d.lanes[l]?.endNs);
    }
  });

  it('are in view ns: the first event of the run is time 0', () => {
    const m = twoThreads();
    const d = buildViewData(m);
    expect(d.originNs).toBe(m.startNs);
    expect(d.durationNs).toBe(320 * MS);
    expect(d.waits.begin[0]).toBe(50 * MS);
    expect(d.version).toBe(VIEW_DATA_VERSION);
  });

  it('map every wait reason to its state', () => {
    const reasons = [['queue_get', SegmentState.QUEUE], ['condition', SegmentState.SYNC], ['join', SegmentState.JOIN],
      ['select', SegmentState.IO], ['rlock', SegmentState.LOCK], ['event', SegmentState.SYNC]] as const;
    const m = makeModel({
      lanes: [{ name: 't', start: 0, end: 100 * MS }],
      objects: [{ kind: 'queue', name: 'q' }],
      waits: reasons.map(([r], i) => ({ lane: 0, begin: i * 10 * MS, end: i * 10 * MS + 5 * MS, object: 0, reason: r })),
    });
    const segs = laneSegments(buildViewData(m), 0).filter((s) => s[3] >= 0);
    expect(segs.map((s) => s[2])).toEqual(reasons.map(([, st]) => st));
  });

  it('draw a wait nested inside another only once (repairs overlap instead of double counting)', () => {
    const m = makeModel({
      lanes: [{ name: 't', start: 0, end: 100 * MS }],
      objects: [{ kind: 'lock', name: 'a' }, { kind: 'lock', name: 'b' }],
      waits: [
        { lane: 0, begin: 10 * MS, end: 50 * MS, object: 0, reason: 'lock' },
        { lane: 0, begin: 20 * MS, end: 30 * MS, object: 1, reason: 'lock' },
        { lane: 0, begin: 40 * MS, end: 60 * MS, object: 1, reason: 'lock' },
      ],
    });
    const d = buildViewData(m);
    expect(laneSegments(d, 0)).toEqual([
      [0, 10 * MS, SegmentState.RUNNING, -1],
      [10 * MS, 50 * MS, SegmentState.LOCK, 0],
      [50 * MS, 60 * MS, SegmentState.LOCK, 2],
      [60 * MS, 100 * MS, SegmentState.RUNNING, -1],
    ]);
    expect(d.lanes[0]?.waitNs).toBe(50 * MS);
  });
});

describe('view data: off-CPU estimate from samples and the thread CPU clock', () => {
  // Samples every 10 ms. From 0 to 50 ms the CPU clock advances 9 ms per 10 ms (on CPU 90%);
  // from 50 to 100 ms it advances 1 ms per 10 ms (10%): runnable but mostly not running.
  const samples = Array.from({ length: 11 }, (_v, i) => ({
    ts: i * 10 * MS, lane: 0, state: 0 as const, cpu: i <= 5 ? i * 9 * MS : 45 * MS + (i - 5) * MS,
  }));

  it('marks sample intervals with less than half CPU as OFF_CPU_ESTIMATE with their CPU share', () => {
    const d = buildViewData(makeModel({ lanes: [{ name: 'cpu', start: 0, end: 100 * MS }], samples }));
    const segs = laneSegments(d, 0);
    expect(segs.map((s) => [s[0], s[1], s[2]])).toEqual([
      [0, 50 * MS, SegmentState.RUNNING],
      [50 * MS, 100 * MS, SegmentState.OFF_CPU_ESTIMATE],
    ]);
    expect(d.segments.cpuShare[0]).toBeCloseTo(0.9, 5);
    expect(d.segments.cpuShare[1]).toBeCloseTo(0.1, 5);
  });

  it('does not count time in a recorded wait as off-CPU time', () => {
    // Every 10 ms interval uses 5 ms of CPU, except 50-60 ms, which holds a 6 ms sleep and
    // uses 2 ms: 2 ms of the 4 ms outside the sleep is 50%, running. Counting the sleep as
    // runnable time would give 20% and a false estimate.
    const s2 = Array.from({ length: 11 }, (_v, i) => ({ ts: i * 10 * MS, lane: 0, state: 0 as const, cpu: i <= 5 ? i * 5 * MS : 27 * MS + (i - 6) * 5 * MS }));
    const d = buildViewData(makeModel({
      lanes: [{ name: 't', start: 0, end: 100 * MS }],
      objects: [{ kind: 'timer', name: 'time.sleep' }],
      waits: [{ lane: 0, begin: 52 * MS, end: 58 * MS, object: 0, reason: 'sleep' }],
      samples: s2,
    }));
    const segs = laneSegments(d, 0);
    expect(segs.some((s) => s[2] === SegmentState.OFF_CPU_ESTIMATE)).toBe(false);
    expect(segs.map((s) => s[2])).toEqual([SegmentState.RUNNING, SegmentState.SLEEP, SegmentState.RUNNING]);
  });

  it('without CPU readings there is no estimate, only running', () => {
    const d = buildViewData(makeModel({ lanes: [{ name: 'cpu', start: 0, end: 100 * MS }], samples: samples.map((s) => ({ ...s, cpu: undefined })) }));
    expect(laneSegments(d, 0).map((s) => s[2])).toEqual([SegmentState.RUNNING]);
    expect(Number.isNaN(d.segments.cpuShare[0])).toBe(true);
  });
});

describe('view data: lanes of every kind, and hosts', () => {
  // A thread, an asyncio task on it, and a GPU queue: the task and the queue have samples
  // with CPU readings that say "off CPU", which only a thread's CPU clock may claim.
  const mixed = () => makeModel({
    lanes: [
      { name: 'MainThread', start: 0, end: 100 * MS, tid: 1 },
      { name: 'fetch()', start: 10 * MS, end: 90 * MS, tid: 2, kind: 'task', parent: 0 },
      { name: 'cuda:0', start: 0, end: 100 * MS, tid: 3, kind: 'gpu-queue' },
      { name: 'mystery', start: 0, end: 50 * MS, tid: 4, kind: 'fpga-stream' },
    ],
    samples: [1, 2].flatMap((lane) => [10, 20, 30].map((t) => ({ ts: t * MS, lane, state: 0 as const, cpu: t * 1000 }))),
  });

  it('keep the kind as the model gives it, the parent lane, and thread facts only on threads', () => {
    const d = buildViewData(mixed());
    expect(d.lanes.map((l) => l.kind)).toEqual(['thread', 'task', 'gpu-queue', 'fpga-stream']);
    expect(d.lanes.map((l) => l.parentLane)).toEqual([null, 0, null, null]);
    expect(d.lanes[0]?.thread).toEqual({ daemon: false, cpuNs: null, gilWaitEstimateNs: null });
    expect(d.lanes.slice(1).map((l) => l.thread)).toEqual([null, null, null]);
  });

  it('give no off-CPU estimate to a lane that is not a thread', () => {
    const d = buildViewData(mixed());
    for (const lane of [1, 2]) expect(laneSegments(d, lane).some((s) => s[2] === SegmentState.OFF_CPU_ESTIMATE)).toBe(false);
  });

  it('read a model without hosts as one unnamed host that every process is on', () => {
    const d = buildViewData(makeModel({ processes: [{ pid: 1 }, { pid: 2 }], lanes: [{ name: 'a', start: 0, end: 1 }, { name: 'b', start: 0, end: 1, process: 1 }] }));
    expect(d.hosts).toEqual([{ index: 0, name: '', id: '' }]);
    expect(d.processes.map((p) => p.host)).toEqual([0, 0]);
  });

  it('keep the hosts of a v2 model and the host of each process, an out-of-range one read as the first', () => {
    const d = buildViewData(makeModel({
      hosts: [{ name: 'node-a', id: 'aaaaaaaaaaaa' }, { name: 'node-b', id: 'bbbbbbbbbbbb' }],
      processes: [{ pid: 1, host: 0 }, { pid: 2, host: 1 }, { pid: 3, host: 7 }],
      lanes: [0, 1, 2].map((p) => ({ name: 'MainThread', start: 0, end: 1, process: p })),
    }));
    expect(d.hosts).toEqual([{ index: 0, name: 'node-a', id: 'aaaaaaaaaaaa' }, { index: 1, name: 'node-b', id: 'bbbbbbbbbbbb' }]);
    expect(d.processes.map((p) => p.host)).toEqual([0, 1, 0]);
  });
});

describe('view data: flows, locks, objects', () => {
  it('draws one unblock arrow per woken wait, tied to the wait, and none for a timed-out wait', () => {
    const m = makeModel({
      lanes: [{ name: 'a', start: 0, end: 100 }, { name: 'b', start: 0, end: 100 }],
      objects: [{ kind: 'event', name: 'ev' }],
      waits: [
        { lane: 1, begin: 10, end: 20, object: 0, reason: 'event', waker: 0 },
        { lane: 1, begin: 30, end: 40, object: 0, reason: 'event', waker: 0, flags: WaitFlags.TIMED_OUT },
        { lane: 1, begin: 50, end: 60, object: 0, reason: 'event', waker: 1 },
      ],
    });
    const d = buildViewData(m);
    expect(d.flows.count).toBe(1);
    expect(d.flowKinds[d.flows.kind[0] as number]).toBe('unblock');
    expect([d.flows.fromLane[0], d.flows.toLane[0], d.flows.fromNs[0], d.flows.wait[0]]).toEqual([0, 1, 20, 0]);
  });

  it('charges a wait on an internal Condition to the Queue the user sees', () => {
    const m = makeModel({
      lanes: [{ name: 'consumer', start: 0, end: 100 }],
      objects: [{ kind: 'queue', name: 'jobs' }, { kind: 'condition', name: '', parent: 0, role: 'not_empty' }],
      waits: [{ lane: 0, begin: 10, end: 90, object: 1, reason: 'queue_get' }],
    });
    const d = buildViewData(m);
    expect(d.waits.object[0]).toBe(0);
    expect(d.waits.rawObject[0]).toBe(1);
    expect(d.locks.map((l) => l.name)).toEqual(['jobs']);
  });

  it('gives locks keys that stay the same across rebuilds and differ for look-alike locks', () => {
    const spec = {
      lanes: [{ name: 'a', start: 0, end: 100 }, { name: 'b', start: 0, end: 100 }],
      sites: [{ file: 'p.py', line: 3, func: '<listcomp>' }],
      objects: [{ kind: 'lock' as const, name: '', site: 0 }, { kind: 'lock' as const, name: '', site: 0 }],
      waits: [
        { lane: 0, begin: 10, end: 20, object: 0, reason: 'lock' as const, holder: 1 },
        { lane: 1, begin: 30, end: 45, object: 1, reason: 'lock' as const, holder: 0 },
      ],
    };
    const a = buildViewData(makeModel(spec));
    const b = buildViewData(makeModel(spec));
    expect(a.locks.map((l) => l.key)).toEqual(b.locks.map((l) => l.key));
    expect(new Set(a.locks.map((l) => l.key)).size).toBe(2);
  });
});

describe('view data from a real trace file', () => {
  it('shows the fixture waiter blocked 200 ms on the lock held by holder at prog.py:11', async () => {
    const m = await loadTrace(path.resolve(__dirname, '..', '..', 'fixtures', 'two-threads'));
    const d = buildViewData(m);
    const waiter = d.lanes.find((l) => l.name === 'waiter');
    expect(waiter).toBeDefined();
    const segs = laneSegments(d, waiter?.index ?? -1).filter((s) => s[2] === SegmentState.LOCK);
    expect(segs).toHaveLength(1);
    const [b, e, , wait] = segs[0] as [number, number, number, number];
    expect(e - b).toBe(200_000_000);
    expect(d.lanes[d.waits.holderLane[wait] as number]?.name).toBe('holder');
    expect(d.sites[d.waits.holderSite[wait] as number]?.line).toBe(11);
    expect(d.locks[0]?.contentions).toBe(1);
  });
});

describe('view data at scale', () => {
  it('builds 1,000,000 waits into columns in a few seconds', () => {
    const n = 1_000_000;
    const lanes = 8;
    const waits = new Array(n);
    for (let i = 0; i < n; i++) {
      const lane = i % lanes;
      const t = Math.floor(i / lanes) * 1000;
      waits[i] = { lane, begin: t + 100, end: t + 600, object: 0, reason: 'lock' };
    }
    const m = makeModel({ lanes: Array.from({ length: lanes }, (_v, i) => ({ name: `t${i}`, start: 0, end: (n / lanes) * 1000 })), objects: [{ kind: 'lock', name: 'l' }], waits });
    const t0 = performance.now();
    const d = buildViewData(m);
    const ms = performance.now() - t0;
    expect(d.waits.count).toBe(n);
    // Each wait is one segment and so is the running gap before it, plus a trailing gap.
    expect(d.segments.count).toBe(2 * n + lanes);
    // Linear work, about 2 s here; the bound only has to catch a super-linear step (which
    // would take minutes at this size) on a busy shared machine.
    expect(ms).toBeLessThan(20_000);
  });
});
