/**
 * View data: what the webview and the HTML report draw, built from a TraceModel by pure
 * functions. Nothing here imports Node, the DOM or VS Code.
 *
 * Shape. Everything with one row per event (waits, segments, flows) is a set of typed-array
 * columns: a big trace has millions of rows, and columns cross `postMessage` as ArrayBuffers
 * (VS Code copies them without encoding each element) and serialize to base64 for the report
 * (see codec.ts). Small tables (processes, lanes, sites, objects, locks, hotspots) are plain
 * objects.
 *
 * Time. Every time here is in *view ns*: integer nanoseconds since `originNs`, the trace ns
 * (CLOCK_MONOTONIC) of the first event of the run. Converting once, here, keeps numbers small
 * and lets the webview ignore the clock. Durations are ns.
 *
 * Segments. Each lane is cut into consecutive, non-overlapping segments that cover its life:
 * one per recorded wait (state by what it waited on) and "running" for the gaps between them.
 * Samples refine the gaps: where two consecutive RUNNING samples of a thread show that its
 * CPU clock advanced for less than half the time in between, that interval becomes
 * OFF_CPU_ESTIMATE, labelled an estimate everywhere it is shown (runnable but not on the CPU:
 * mostly waiting for the GIL, or blocked in native code Weft does not record).
 *
 * Work items. Running time inside a span of kind "task" (a multiprocessing Pool task or a
 * ProcessPoolExecutor call running in a worker, see format/spec.ts `X`) is the WORK state, a
 * colour of its own, and the segment points at the span (`SegmentTable.span`), which points at
 * its row in the work item table (queue wait, run time, who submitted it). Waits inside a work
 * item stay waits (more specific) and carry the span too. Spans of other kinds are listed in
 * the span table but do not change segment states: "hold" spans (a multiprocessing lock held)
 * are listed too, and their lock's holds are also in `holds`, joined to the lock.
 */
import { LOOP_LAG_COUNTER, WAIT_REASONS, WaitFlags, type WaitReason } from '../format/spec';
import { visibleObject } from '../model/aggregations';
import type { ProcessInfo, TaskStepColumns, TraceModel } from '../model/types';
import { buildCallStacks, type CallStackTable } from './call-stacks';
import { buildViewStalls, type ViewStall } from './stalls-view';

export type { ViewStall, ViewStallMember } from './stalls-view';

/** Bumped when the meaning of a field changes; the webview refuses other versions.
 * 2: lanes of every kind (`kind` as the model gives it, thread-only facts in `thread`), hosts.
 * 3: asyncio: task facts on lanes, task groups, loop blocks, counters, the READY state. */
export const VIEW_DATA_VERSION = 3;

/** Segment states. Values are stored in `SegmentTable.state`; keep them stable. */
export const SegmentState = {
  RUNNING: 0,
  /** Estimated: samples say running, the CPU clock says mostly not on a CPU. */
  OFF_CPU_ESTIMATE: 1,
  LOCK: 2,
  /** Condition, semaphore, event, barrier. */
  SYNC: 3,
  /** Queue get/put/join, pipes. */
  QUEUE: 4,
  /** Thread or process join, future result. */
  JOIN: 5,
  SLEEP: 6,
  /** select and other I/O waits. */
  IO: 7,
  /** Running inside a work item (a "task" span): a Pool task or executor call in a worker. */
  WORK: 8,
  /** An asyncio task between its steps that awaits nothing recorded: scheduled and waiting for
   * its loop to run it (after a wake-up, or a bare `await asyncio.sleep(0)`). */
  READY: 9,
} as const;
export type SegmentStateValue = (typeof SegmentState)[keyof typeof SegmentState];
export const STATE_COUNT = 10;

/** True for the states in which the thread runs (whether or not inside a work item). The
 * level of detail treats every other state as time not spent running. */
export function isRunningState(state: number): boolean {
  return state === SegmentState.RUNNING || state === SegmentState.WORK;
}

export interface StateInfo {
  state: SegmentStateValue;
  /** Short key used in CSS variable names (`--weft-state-<key>`) and tests. */
  key: string;
  label: string;
  /** One sentence for the legend's tooltip. */
  description: string;
  /** True for states inferred rather than recorded; views must say "estimated". */
  estimated: boolean;
}

export const STATE_INFO: readonly StateInfo[] = [
  { state: 0, key: 'running', label: 'Running', estimated: false,
    description: 'Alive and not in any recorded wait: running Python, native code or waiting for the GIL.' },
  { state: 1, key: 'offcpu', label: 'Not on CPU (estimated)', estimated: true,
    description: 'Estimated from samples and the thread CPU clock: runnable but on a CPU less than half the time (mostly GIL wait, or blocking native code).' },
  { state: 2, key: 'lock', label: 'Lock wait', estimated: false,
    description: 'Blocked acquiring a Lock or RLock (threading or multiprocessing).' },
  { state: 3, key: 'sync', label: 'Condition / event / semaphore', estimated: false,
    description: 'Waiting on a Condition, Event, Semaphore or Barrier.' },
  { state: 4, key: 'queue', label: 'Queue / pipe', estimated: false,
    description: 'Waiting to get from or put into a queue, or to receive from a pipe.' },
  { state: 5, key: 'join', label: 'Join / future', estimated: false,
    description: 'Waiting for a thread, process or asyncio task to finish, or for a future\'s or executor call\'s result.' },
  { state: 6, key: 'sleep', label: 'Sleep', estimated: false,
    description: 'In time.sleep.' },
  { state: 7, key: 'io', label: 'I/O wait', estimated: false,
    description: 'Waiting in select or poll, on a socket (receive, send, accept, connect), a pipe or other file descriptor, a stream or a subprocess (asyncio awaits too).' },
  { state: 8, key: 'work', label: 'Work item', estimated: false,
    description: 'Running a work item: a multiprocessing Pool task or ProcessPoolExecutor call, in the worker that took it. Hover for its function, queue wait and run time; arrows link it to where it was submitted and where its result went.' },
  { state: 9, key: 'ready', label: 'Ready (task, greenlet)', estimated: false,
    description: 'An asyncio task or a greenlet that awaits nothing and waits to be run: woken up and queued on its event loop or hub, or after a bare yield. On these lanes Running is exactly when the loop ran it (its steps) or the greenlet was switched in.' },
];

/** The segment state of each wait reason (index = index into WAIT_REASONS). */
const REASON_STATE: Readonly<Record<WaitReason, SegmentStateValue>> = {
  lock: SegmentState.LOCK, rlock: SegmentState.LOCK, mp_lock: SegmentState.LOCK,
  condition: SegmentState.SYNC, semaphore: SegmentState.SYNC, event: SegmentState.SYNC,
  barrier: SegmentState.SYNC, mp_semaphore: SegmentState.SYNC,
  queue_get: SegmentState.QUEUE, queue_put: SegmentState.QUEUE, queue_join: SegmentState.QUEUE,
  mp_queue_get: SegmentState.QUEUE, mp_queue_put: SegmentState.QUEUE, pipe_recv: SegmentState.QUEUE,
  join: SegmentState.JOIN, future: SegmentState.JOIN, process_join: SegmentState.JOIN,
  task: SegmentState.JOIN, gather: SegmentState.JOIN, wait: SegmentState.JOIN, executor: SegmentState.JOIN,
  sleep: SegmentState.SLEEP,
  select: SegmentState.IO, socket: SegmentState.IO, stream_read: SegmentState.IO,
  stream_write: SegmentState.IO, subprocess: SegmentState.IO, hub: SegmentState.SYNC, gpu_sync: SegmentState.JOIN,
  socket_recv: SegmentState.IO, socket_send: SegmentState.IO, socket_accept: SegmentState.IO, socket_connect: SegmentState.IO,
  fd_read: SegmentState.IO, fd_write: SegmentState.IO,
  // A reason a newer agent wrote: shown as a generic wait ("unknown kind" in its details).
  unknown: SegmentState.SYNC,
};

export function stateOfReason(reasonIndex: number): SegmentStateValue {
  const r = WAIT_REASONS[reasonIndex];
  return r === undefined ? SegmentState.SYNC : REASON_STATE[r];
}

/**
 * Below this share of CPU time between two RUNNING samples, the interval is shown as
 * OFF_CPU_ESTIMATE. Half, because a thread sharing the GIL with one other CPU-bound thread
 * gets about half of each interval; "mostly not on a CPU" is the claim we can stand by.
 */
export const OFF_CPU_SHARE = 0.5;

/** A machine the run spanned. Trace format v2 names it in each file's header. */
export interface ViewHost {
  index: number;
  /** Hostname; "" when the trace does not say (v1 files). */
  name: string;
  /** Stable machine id (12 hex); "" when the trace does not say. */
  id: string;
}

export interface ViewProcess {
  index: number;
  /** Index into `ViewData.hosts`. */
  host: number;
  pid: number;
  ppid: number;
  serial: number;
  argv: string[];
  /** What the process is, for people (model/process-label.ts). */
  label: string;
  python: string;
  startMethod: string;
  startNs: number;
  endNs: number;
  complete: boolean;
  exitCode: number | null;
  endReason: string | null;
  parent: number | null;
  sampleHz: number;
}

/**
 * Lane kinds of trace format v2 (format/spec.ts). A lane's `kind` is kept as the model gives
 * it, so "unknown" (what readers make of a kind they do not know) still reaches the view,
 * which draws every kind but `thread` with its span track.
 */
export { LANE_KINDS } from '../format/spec';

/** What only an OS thread has: the CPU clock and the GIL estimate come from thread samples. */
export interface ViewThreadFacts {
  daemon: boolean;
  /** On-CPU time from the thread CPU clock; null without one. */
  cpuNs: number | null;
  /** wall − CPU − waits, an estimate (null without CPU clock). */
  gilWaitEstimateNs: number | null;
}

/** What only an asyncio task has (model TaskInfo). */
export interface ViewTaskFacts {
  /** Qualified name of its coroutine function ("" unknown). */
  coroutine: string;
  coroutineSite: number | null;
  /** The task or thread that created it. */
  creatorLane: number | null;
  /** "result", "cancelled", "exception", or null when it had not ended. */
  outcome: string | null;
  /** For an exception, "Type: message". */
  detail: string | null;
  steps: number;
  /** Sum of its steps: the time its coroutine ran. */
  runNs: number;
  /** Index into `ViewData.taskGroups`, -1 when in none. */
  group: number;
}

/** Tasks of one coroutine function in one process (model TaskGroup). Durations in ns. */
export interface ViewTaskGroup {
  process: number;
  coroutine: string;
  coroutineSite: number | null;
  createSite: number | null;
  /** Lane indexes, by creation. */
  tasks: number[];
  runNs: number;
  /** Await time by wait reason. */
  awaitNs: Record<string, number>;
  p50DurationNs: number | null;
  p95DurationNs: number | null;
  maxDurationNs: number | null;
  cancelled: number;
  failed: number;
}

/** An event-loop block (model LoopBlock), in view ns. */
export interface LoopBlockRow {
  loopLane: number;
  taskLane: number | null;
  beginNs: number;
  endNs: number;
  durationNs: number;
  /** The line that was running, or null. */
  site: number | null;
  siteSource: 'wait' | 'samples' | null;
  delayedLanes: number[];
}

/** A counter over time (`V` records) in view ns. `lane` is the loop thread of a
 * "loop_lag:<tid>" series, else null. */
export interface ViewCounter {
  process: number;
  name: string;
  lane: number | null;
  ts: Float64Array;
  value: Float64Array;
}

export interface ViewLane {
  index: number;
  /** Stable id ("p<pid>.<serial>/t<tid>" for a thread): selection and saved state refer to
   * lanes by it. */
  id: string;
  /** As the model gives it: one of LANE_KINDS for a current model, any string otherwise. */
  kind: string;
  process: number;
  /** The lane's id in its file (one namespace in v2; for a thread, its thread id). */
  tid: number;
  name: string;
  startNs: number;
  endNs: number;
  /** For a thread, the thread that started it; for a task or greenlet, the thread (or lane)
   * it runs on, under which the timeline groups it. Null when unknown. */
  parentLane: number | null;
  startSite: number | null;
  wallNs: number;
  /** Time inside recorded waits (overlaps merged). */
  waitNs: number;
  /** Thread-only facts; null for every other kind of lane. */
  thread: ViewThreadFacts | null;
  /** asyncio task facts; null for every other kind of lane (and for tasks of older models). */
  task: ViewTaskFacts | null;
}

export interface ViewSite {
  file: string;
  line: number;
  func: string;
  /** The function's def line, when the agent wrote it (issue 16). */
  defLine?: number;
}

export interface ViewObject {
  kind: string;
  name: string;
  site: number | null;
  parent: number | null;
  role: string | null;
  process: number;
}

/** Waits, as in the model but in view ns, with the user-visible object resolved. */
export interface WaitTable {
  count: number;
  begin: Float64Array;
  end: Float64Array;
  lane: Int32Array;
  /** The user-visible object (a Queue rather than its internal Condition); -1 unknown. */
  object: Int32Array;
  /** The object the agent recorded (may be internal); -1 unknown. */
  rawObject: Int32Array;
  /** Index into WAIT_REASONS. */
  reason: Uint8Array;
  site: Int32Array;
  holderLane: Int32Array;
  holderSite: Int32Array;
  wakerLane: Int32Array;
  flags: Uint8Array;
}

/**
 * Segments of all lanes, grouped by lane (CSR layout): the segments of lane L are rows
 * `laneOffsets[L]` to `laneOffsets[L+1] - 1`, sorted by begin and not overlapping.
 */
export interface SegmentTable {
  count: number;
  laneOffsets: Uint32Array;
  begin: Float64Array;
  end: Float64Array;
  state: Uint8Array;
  /** Row in WaitTable for wait segments, -1 for running and estimated segments. */
  wait: Int32Array;
  /** Share of the segment's sampled time the thread was on a CPU (0..1), from the thread CPU
   * clock; NaN where unknown (no samples or a wait segment). */
  cpuShare: Float32Array;
  /** Row in SpanTable of the innermost work item ("task" span) the segment lies in, -1 when
   * none. A running segment with a span has the WORK state. */
  span: Int32Array;
}

/**
 * Spans (`X` records) of every kind, sorted by begin. Strings (kinds, labels) are indexes into
 * `ViewData.strings`, so that a million work items cost columns, not a million strings.
 */
export interface SpanTable {
  count: number;
  begin: Float64Array;
  end: Float64Array;
  lane: Int32Array;
  kind: Int32Array;
  label: Int32Array;
  site: Int32Array;
  /** Row in WorkItemTable of the work item this span runs, -1 for other spans. */
  workItem: Int32Array;
  /** GPU operations (kernel, copy, fill on a GPU queue lane): when the host launched it (the
   * `launch` flow's start), view ns; NaN for other spans and unpaired ones. Optional so that
   * hand-built view data stays valid. */
  launchNs?: Float64Array;
}

/** Span kinds of GPU operations on a GPU queue lane (format/spec.ts SPAN_KINDS). */
export const GPU_SPAN_KINDS: readonly string[] = ['kernel', 'copy', 'fill'];

/**
 * Holds of multiprocessing locks (model `lockHolds`: `hold` spans joined to their lock
 * object), by begin, in view ns. The model uses them to name the holder of a lock in another
 * process; the timeline outlines the holds of the selected lock on the holders' lanes.
 */
export interface HoldTable {
  count: number;
  begin: Float64Array;
  end: Float64Array;
  lane: Int32Array;
  /** The lock: index into `ViewData.objects` (the same index as `LockRow.object`). */
  object: Int32Array;
}

/**
 * Work items (model/types.ts `WorkItem`), in the model's order (by submit time). Times are
 * view ns and sizes bytes, NaN where unknown; lanes, sites and rows are -1 where unknown.
 */
export interface WorkItemTable {
  count: number;
  submitNs: Float64Array;
  submitLane: Int32Array;
  startNs: Float64Array;
  workerLane: Int32Array;
  endNs: Float64Array;
  resultNs: Float64Array;
  resultLane: Int32Array;
  /** The function's qualified name: index into `ViewData.strings` ("" when unknown). */
  label: Int32Array;
  site: Int32Array;
  size: Float64Array;
  resultSize: Float64Array;
  /** Row in SpanTable of its run, -1 when it never ran to the end. */
  span: Int32Array;
  /** 1 when the function returned. */
  completed: Uint8Array;
}

/** Kinds of arrows. Indexes are stored in FlowTable.kind: append, never reorder. Kinds not in
 * this list (a newer agent) are appended to `ViewData.flowKinds` of that data. */
export const FLOW_KINDS = ['unblock', 'queue', 'pipe', 'work', 'future', 'result', 'spawn'] as const;

/** Arrows between lanes. For unblock flows `wait` is the wait the arrow ended. */
export interface FlowTable {
  count: number;
  /** Index into `ViewData.flowKinds`. */
  kind: Uint8Array;
  fromLane: Int32Array;
  fromNs: Float64Array;
  toLane: Int32Array;
  toNs: Float64Array;
  object: Int32Array;
  wait: Int32Array;
}

export interface LockPeer {
  lane: number;
  site: number | null;
  waits: number;
  waitNs: number;
}

export interface LockRow {
  /** Stable across live updates: process, kind, name, creation site and an ordinal. */
  key: string;
  object: number;
  name: string;
  kind: string;
  site: number | null;
  acquisitions: number;
  contentions: number;
  waitNs: number;
  maxWaitNs: number;
  p50WaitNs: number;
  p95WaitNs: number;
  contendedHoldNs: number;
  holders: LockPeer[];
  waiters: LockPeer[];
}

export interface HotspotRow {
  site: number;
  /** Estimated from samples (samples × period), like every sampled figure. */
  cpuNs: number;
  waitNs: number;
  samples: number;
}

export interface ViewDiagnostic {
  severity: 'info' | 'warning' | 'error';
  message: string;
  site: number | null;
  /** "deadlock", "hang", "lock-order-inversion", "lock-held-across-wait"; absent otherwise. */
  code?: string;
}

export interface ViewData {
  version: typeof VIEW_DATA_VERSION;
  /** What ran: the root process's argv. */
  title: string;
  /** Machines of the run (at least one); processes point here by `host`. */
  hosts: ViewHost[];
  /** Trace ns of view time 0. */
  originNs: number;
  /** View ns of the last event (the run's length). */
  durationNs: number;
  processes: ViewProcess[];
  lanes: ViewLane[];
  sites: ViewSite[];
  objects: ViewObject[];
  waits: WaitTable;
  segments: SegmentTable;
  spans: SpanTable;
  workItems: WorkItemTable;
  holds: HoldTable;
  /** Interned strings that span and work item columns refer to. */
  strings: string[];
  flowKinds: string[];
  flows: FlowTable;
  locks: LockRow[];
  hotspots: HotspotRow[];
  diagnostics: ViewDiagnostic[];
  /** Reader and model warnings (truncated files and the like), shown in a banner. */
  warnings: string[];
  /** asyncio task groups by coroutine, event-loop blocks (longest first) and counters. */
  taskGroups: ViewTaskGroup[];
  loopBlocks: LoopBlockRow[];
  counters: ViewCounter[];
  /** Stack samples and frames for the flame graph and call tree (call-stacks.ts); absent in
   * data built before them and when the trace has no samples. */
  callStacks?: CallStackTable;
  /** Deadlocks and hangs (stalls-view.ts). Optional: data built before them lacks it. */
  stalls?: ViewStall[];
}

/** Growable parallel columns for segments (amortised O(1) push). */
class SegmentBuilder {
  begin = new Float64Array(1024);
  end = new Float64Array(1024);
  state = new Uint8Array(1024);
  wait = new Int32Array(1024);
  cpuShare = new Float32Array(1024);
  span = new Int32Array(1024);
  length = 0;

  private grow(): void {
    const n = this.begin.length * 2;
    const g = <T extends Float64Array | Uint8Array | Int32Array | Float32Array>(a: T, make: (n: number) => T): T => {
      const next = make(n);
      next.set(a);
      return next;
    };
    this.begin = g(this.begin, (k) => new Float64Array(k));
    this.end = g(this.end, (k) => new Float64Array(k));
    this.state = g(this.state, (k) => new Uint8Array(k));
    this.wait = g(this.wait, (k) => new Int32Array(k));
    this.cpuShare = g(this.cpuShare, (k) => new Float32Array(k));
    this.span = g(this.span, (k) => new Int32Array(k));
  }

  /** Appends a segment, merging it into the previous one when both are the same non-wait
   * state of the same work item (or none) and touch (so a run of estimated intervals is one
   * segment). */
  push(b: number, e: number, state: number, wait: number, share: number, laneStart: number, span = -1): void {
    if (e <= b) return;
    const last = this.length - 1;
    if (last >= laneStart && wait < 0 && this.wait[last] === -1 && this.state[last] === state && this.span[last] === span && this.end[last] === b) {
      const prevShare = this.cpuShare[last] as number;
      const pb = this.begin[last] as number;
      // Time-weighted share over the parts that have one.
      if (!Number.isNaN(share) || !Number.isNaN(prevShare)) {
        const a = Number.isNaN(prevShare) ? 0 : prevShare * (b - pb);
        const aw = Number.isNaN(prevShare) ? 0 : b - pb;
        const c = Number.isNaN(share) ? 0 : share * (e - b);
        const cw = Number.isNaN(share) ? 0 : e - b;
        this.cpuShare[last] = (a + c) / (aw + cw);
      }
      this.end[last] = e;
      return;
    }
    if (this.length === this.begin.length) this.grow();
    const i = this.length++;
    this.begin[i] = b;
    this.end[i] = e;
    this.state[i] = state;
    this.wait[i] = wait;
    this.cpuShare[i] = share;
    this.span[i] = span;
  }
}

/** An interval of a lane classified from two consecutive RUNNING samples. */
interface CpuInterval {
  begin: number;
  end: number;
  share: number;
}

/**
 * Sample intervals of one lane with their CPU share. `waitRows` are the lane's waits (rows
 * of the model's wait columns, sorted by begin), so that the wall time of an interval does
 * not count time spent in a recorded wait.
 */
function cpuIntervals(model: TraceModel, sampleRows: number[], waitRows: number[]): CpuInterval[] {
  const s = model.samples;
  const cpu = s.cpu;
  const out: CpuInterval[] = [];
  if (!cpu) return out;
  const w = model.waits;
  let wi = 0;
  for (let k = 1; k < sampleRows.length; k++) {
    const i = sampleRows[k - 1] as number;
    const j = sampleRows[k] as number;
    if (s.state[i] !== 0 || s.state[j] !== 0) continue;
    const c0 = cpu[i] as number;
    const c1 = cpu[j] as number;
    if (Number.isNaN(c0) || Number.isNaN(c1)) continue;
    const t0 = s.ts[i] as number;
    const t1 = s.ts[j] as number;
    if (t1 <= t0) continue;
    // Waits that overlap [t0, t1]: the lane's waits are sorted by begin and do not overlap
    // much, so advance a cursor past those that ended before t0.
    while (wi < waitRows.length && (w.end[waitRows[wi] as number] as number) <= t0) wi++;
    let waited = 0;
    for (let q = wi; q < waitRows.length; q++) {
      const r = waitRows[q] as number;
      const b = w.begin[r] as number;
      if (b >= t1) break;
      waited += Math.max(0, Math.min(t1, w.end[r] as number) - Math.max(t0, b));
    }
    const wall = t1 - t0 - waited;
    if (wall <= 0) continue;
    out.push({ begin: t0, end: t1, share: Math.min(1, Math.max(0, (c1 - c0) / wall)) });
  }
  return out;
}

/** Adds the running time [a, b] of a lane, split where the CPU intervals classify it. Inside a
 * work item (`span` ≥ 0) running is WORK; the off-CPU estimate stays what it is. */
function pushCpu(seg: SegmentBuilder, a: number, b: number, ivs: CpuInterval[], cursor: { i: number }, laneStart: number, span: number): void {
  const running = span >= 0 ? SegmentState.WORK : SegmentState.RUNNING;
  let t = a;
  while (cursor.i < ivs.length && (ivs[cursor.i] as CpuInterval).end <= t) cursor.i++;
  for (let k = cursor.i; k < ivs.length && t < b; k++) {
    const iv = ivs[k] as CpuInterval;
    if (iv.begin >= b) break;
    if (iv.begin > t) {
      seg.push(t, iv.begin, running, -1, Number.NaN, laneStart, span);
      t = iv.begin;
    }
    const e = Math.min(b, iv.end);
    if (e > t) {
      const state = iv.share < OFF_CPU_SHARE ? SegmentState.OFF_CPU_ESTIMATE : running;
      seg.push(t, e, state, -1, iv.share, laneStart, span);
      t = e;
    }
  }
  if (t < b) seg.push(t, b, running, -1, Number.NaN, laneStart, span);
}

/** A piece of a lane's time inside one work item: the innermost "task" span there. */
interface WorkPiece {
  begin: number;
  end: number;
  span: number;
}

/**
 * Cuts a lane's "task" spans (rows of the model's span list, sorted by begin) into disjoint
 * pieces, each owned by the innermost span open there. A worker runs one task at a time, so
 * spans rarely nest; when they do (a task run inline inside another), the inner one wins for
 * its duration and the outer one resumes after it. A span that overlaps without nesting owns
 * its part from where it begins.
 */
function workPieces(spans: readonly { begin: number; end: number }[], rows: number[]): WorkPiece[] {
  const out: WorkPiece[] = [];
  const open: number[] = [];
  let t = Number.NEGATIVE_INFINITY;
  const advance = (limit: number): void => {
    while (open.length > 0) {
      const top = open[open.length - 1] as number;
      const e = (spans[top] as { end: number }).end;
      if (e <= t) {
        open.pop();
        continue;
      }
      if (e <= limit) {
        if (e > t) out.push({ begin: t, end: e, span: top });
        t = e;
        open.pop();
      } else {
        if (limit > t) out.push({ begin: t, end: limit, span: top });
        t = limit;
        return;
      }
    }
    t = Math.max(t, limit);
  };
  for (const r of rows) {
    advance((spans[r] as { begin: number }).begin);
    open.push(r);
  }
  advance(Number.POSITIVE_INFINITY);
  return out;
}

/** The work item piece at time `ns` (cursor moves forward only), or -1. */
function pieceAt(pieces: WorkPiece[], cursor: { i: number }, ns: number): number {
  while (cursor.i < pieces.length && (pieces[cursor.i] as WorkPiece).end <= ns) cursor.i++;
  const p = pieces[cursor.i];
  return p !== undefined && p.begin <= ns ? p.span : -1;
}

/** Adds the running time [a, b] of a lane, split at work item boundaries, then by CPU. */
function pushRunning(
  seg: SegmentBuilder, a: number, b: number, ivs: CpuInterval[], cursor: { i: number }, laneStart: number,
  pieces: WorkPiece[], pcursor: { i: number },
): void {
  let t = a;
  while (pcursor.i < pieces.length && (pieces[pcursor.i] as WorkPiece).end <= t) pcursor.i++;
  for (let k = pcursor.i; k < pieces.length && t < b; k++) {
    const p = pieces[k] as WorkPiece;
    if (p.begin >= b) break;
    if (p.begin > t) {
      pushCpu(seg, t, p.begin, ivs, cursor, laneStart, -1);
      t = p.begin;
    }
    const e = Math.min(b, p.end);
    if (e > t) {
      pushCpu(seg, t, e, ivs, cursor, laneStart, p.span);
      t = e;
    }
  }
  if (t < b) pushCpu(seg, t, b, ivs, cursor, laneStart, -1);
}

/**
 * The segments of an asyncio task lane that has steps: RUNNING exactly during its steps, its
 * awaits as waits, and READY for the rest of its life (scheduled but not run yet, or after a
 * bare yield). Steps and awaits are merged by begin; an overlap (not written by the agent) is
 * repaired by cutting the later one. Returns the lane's wait time.
 */
function pushTaskSegments(
  seg: SegmentBuilder, lane: { startNs: number; endNs: number }, steps: TaskStepColumns, stepRows: number[],
  w: TraceModel['waits'], waitRows: number[], start: number,
): number {
  let t = lane.startNs;
  let waited = 0;
  let i = 0;
  let j = 0;
  while (i < stepRows.length || j < waitRows.length) {
    const si = stepRows[i];
    const wj = waitRows[j];
    const takeStep = si !== undefined && (wj === undefined || (steps.begin[si] as number) <= (w.begin[wj] as number));
    const b0 = takeStep ? (steps.begin[si as number] as number) : (w.begin[wj as number] as number);
    const e = takeStep ? (steps.end[si as number] as number) : (w.end[wj as number] as number);
    if (takeStep) i++;
    else j++;
    const b = Math.max(b0, t);
    if (e <= b) continue;
    if (b > t) seg.push(t, b, SegmentState.READY, -1, Number.NaN, start);
    if (takeStep) {
      seg.push(b, e, SegmentState.RUNNING, -1, Number.NaN, start);
    } else {
      seg.push(b, e, stateOfReason(w.reason[wj as number] as number), wj as number, Number.NaN, start);
      waited += e - b;
    }
    t = e;
  }
  if (lane.endNs > t) seg.push(t, lane.endNs, SegmentState.READY, -1, Number.NaN, start);
  return waited;
}

function processKey(model: TraceModel, p: number): string {
  const proc = model.processes[p];
  return proc ? `${proc.pid}.${proc.serial}` : '?';
}

/** Builds the view data of a model. O(waits + samples + lanes); allocates columns only. */
export function buildViewData(model: TraceModel): ViewData {
  const origin = model.startNs as number;
  const rel = (ns: number): number => ns - origin;
  const nLanes = model.lanes.length;
  const w = model.waits;

  // Waits and samples of each lane, in time order (the model's rows are sorted by time).
  const laneWaits: number[][] = model.lanes.map(() => []);
  for (let i = 0; i < w.count; i++) laneWaits[w.lane[i] as number]?.push(i);
  const laneSamples: number[][] = model.lanes.map(() => []);
  const s = model.samples;
  for (let i = 0; i < s.count; i++) laneSamples[s.lane[i] as number]?.push(i);
  // Work item spans of each lane, in begin order (the model's spans are sorted by begin).
  const laneTasks: number[][] = model.lanes.map(() => []);
  // GPU operations of each GPU queue lane: the lane's segments (WORK while the device ran one).
  const laneGpu: number[][] = model.lanes.map(() => []);
  model.spans.forEach((sp, i) => {
    if (sp.kind === 'work') laneTasks[sp.lane]?.push(i);
    else if (GPU_SPAN_KINDS.includes(sp.kind) && model.lanes[sp.lane]?.kind === 'gpu-queue') laneGpu[sp.lane]?.push(i);
  });
  // Steps of each task lane, in begin order (the model's step columns are sorted by begin).
  const steps = model.taskSteps;
  const laneSteps: number[][] = model.lanes.map(() => []);
  if (steps) for (let i = 0; i < steps.count; i++) laneSteps[steps.lane[i] as number]?.push(i);

  const seg = new SegmentBuilder();
  const laneOffsets = new Uint32Array(nLanes + 1);
  const waitNsByLane = new Float64Array(nLanes);
  for (let l = 0; l < nLanes; l++) {
    const lane = model.lanes[l];
    laneOffsets[l] = seg.length;
    if (!lane) continue;
    const start = seg.length;
    const rows = laneWaits[l] as number[];
    const stepRows = laneSteps[l] as number[];
    if (steps && stepRows.length > 0) {
      waitNsByLane[l] = pushTaskSegments(seg, lane, steps, stepRows, w, rows, start);
      continue;
    }
    if (lane.kind === 'gpu-queue' && (laneGpu[l] as number[]).length > 0) {
      // A GPU queue with operations is not "running" for its whole life: only its operations
      // are drawn (WORK segments pointing at their spans); the time between them is left
      // empty: idle. (A queue lane without any keeps the generic segments.)
      let t = Number.NEGATIVE_INFINITY;
      for (const r of laneGpu[l] as number[]) {
        const sp = model.spans[r] as { begin: number; end: number };
        const b = Math.max(sp.begin, t);
        if (sp.end <= b) continue; // overlapped by an earlier one (out-of-order queues)
        seg.push(b, sp.end, SegmentState.WORK, -1, Number.NaN, start, r);
        t = sp.end;
      }
      continue;
    }
    // Only a thread has a CPU clock: no other kind of lane gets the off-CPU estimate.
    const ivs = isThread(lane.kind) ? cpuIntervals(model, laneSamples[l] as number[], rows) : [];
    const cursor = { i: 0 };
    const pieces = workPieces(model.spans, laneTasks[l] as number[]);
    const pcursor = { i: 0 };
    const wcursor = { i: 0 };
    const firstWait = rows.length > 0 ? (w.begin[rows[0] as number] as number) : Number.POSITIVE_INFINITY;
    let t = Math.min(lane.startNs, firstWait);
    for (const r of rows) {
      const b = Math.max(w.begin[r] as number, t);
      const e = w.end[r] as number;
      // A wait inside an earlier one (never written by the agent, but repair, do not
      // draw twice): its time is already covered.
      if (e <= b) continue;
      if (b > t) pushRunning(seg, t, b, ivs, cursor, start, pieces, pcursor);
      seg.push(b, e, stateOfReason(w.reason[r] as number), r, Number.NaN, start, pieceAt(pieces, wcursor, b));
      waitNsByLane[l] = (waitNsByLane[l] as number) + (e - b);
      t = e;
    }
    if (lane.endNs > t) pushRunning(seg, t, lane.endNs, ivs, cursor, start, pieces, pcursor);
  }
  laneOffsets[nLanes] = seg.length;
  const n = seg.length;
  const begin = seg.begin.slice(0, n);
  const end = seg.end.slice(0, n);
  for (let i = 0; i < n; i++) {
    begin[i] = rel(begin[i] as number);
    end[i] = rel(end[i] as number);
  }
  // Segments point at wait rows, which keep the model's order.
  const segments: SegmentTable = {
    count: n, laneOffsets, begin, end,
    state: seg.state.slice(0, n), wait: seg.wait.slice(0, n), cpuShare: seg.cpuShare.slice(0, n), span: seg.span.slice(0, n),
  };
  const { spans, workItems, strings } = buildSpansAndWorkItems(model, rel);

  const waits: WaitTable = {
    count: w.count,
    begin: new Float64Array(w.count),
    end: new Float64Array(w.count),
    lane: w.lane.slice(),
    object: new Int32Array(w.count),
    rawObject: w.object.slice(),
    reason: w.reason.slice(),
    site: w.site.slice(),
    holderLane: w.holderLane.slice(),
    holderSite: w.holderSite.slice(),
    wakerLane: w.wakerLane.slice(),
    flags: w.flags.slice(),
  };
  for (let i = 0; i < w.count; i++) {
    waits.begin[i] = rel(w.begin[i] as number);
    waits.end[i] = rel(w.end[i] as number);
    const o = w.object[i] as number;
    waits.object[i] = o >= 0 ? visibleObject(model, o) : -1;
  }

  const flows = buildFlows(model, rel);

  const threadTime = new Map(model.threadTimes.map((t) => [t.lane, t]));
  const { taskGroups, taskFacts } = buildTasks(model);
  const lanes: ViewLane[] = model.lanes.map((l) => {
    const tt = threadTime.get(l.index);
    const kind = String(l.kind);
    const parent = l.parentLane;
    return {
      index: l.index, id: l.id, kind, process: l.process, tid: l.tid, name: l.name,
      startNs: rel(l.startNs), endNs: rel(l.endNs),
      parentLane: parent !== null && parent !== undefined && parent >= 0 && parent < nLanes && parent !== l.index ? parent : null,
      startSite: l.startSite ?? null, wallNs: Math.max(0, l.endNs - l.startNs), waitNs: waitNsByLane[l.index] ?? 0,
      thread: isThread(kind) ? { daemon: l.daemon === true, cpuNs: tt?.cpuNs ?? null, gilWaitEstimateNs: tt?.gilWaitEstimateNs ?? null } : null,
      task: taskFacts.get(l.index) ?? null,
    };
  });

  const hosts = viewHosts(model);
  const processes: ViewProcess[] = model.processes.map((p) => ({
    index: p.index, host: hostOf(p, hosts.length), pid: p.pid, ppid: p.ppid, serial: p.serial, argv: [...p.argv],
    label: p.label ?? p.argv.join(' '), python: p.python,
    startMethod: p.startMethod, startNs: rel(p.startNs), endNs: rel(p.endNs), complete: p.complete,
    exitCode: p.exitCode, endReason: p.endReason, parent: p.parent, sampleHz: p.sampleHz,
  }));

  const root = model.processes.find((p) => p.parent === null) ?? model.processes[0];
  return {
    version: VIEW_DATA_VERSION,
    title: root ? root.argv.join(' ') : '(empty trace)',
    hosts,
    originNs: origin,
    durationNs: Math.max(0, (model.endNs as number) - origin),
    processes,
    lanes,
    sites: model.sites.map((x) => (x.defLine !== undefined ? { file: x.file, line: x.line, func: x.func, defLine: x.defLine } : { file: x.file, line: x.line, func: x.func })),
    objects: model.objects.map((o) => ({ kind: o.kind, name: o.name, site: o.site, parent: o.parent, role: o.role, process: o.process })),
    waits,
    segments,
    spans,
    workItems,
    holds: buildHolds(model, rel),
    strings,
    flowKinds: flows.kinds,
    flows: flows.table,
    locks: buildLockRows(model),
    hotspots: model.hotspots.map((h) => ({ site: h.site, cpuNs: h.cpuNs, waitNs: h.waitNs, samples: h.samples })),
    diagnostics: model.diagnostics.map((d) => ({ severity: d.severity, message: d.message, site: d.site, ...(d.code !== undefined ? { code: d.code } : {}) })),
    warnings: [...model.warnings],
    taskGroups,
    loopBlocks: buildLoopBlocks(model, rel),
    counters: buildCounters(model, rel),
    ...callStacksOf(model, origin),
    stalls: buildViewStalls(model, rel),
  };
}

function callStacksOf(model: TraceModel, origin: number): { callStacks?: CallStackTable } {
  const t = buildCallStacks(model, origin);
  return t === null || t.samples.count === 0 ? {} : { callStacks: t };
}

/** Task facts by lane and the groups they belong to (model tasks and taskGroups). */
function buildTasks(model: TraceModel): { taskGroups: ViewTaskGroup[]; taskFacts: Map<number, ViewTaskFacts> } {
  const groupOf = new Map<number, number>();
  const taskGroups: ViewTaskGroup[] = (model.taskGroups ?? []).map((g, gi) => {
    for (const lane of g.tasks) groupOf.set(lane, gi);
    const awaitNs: Record<string, number> = {};
    for (const [k, v] of Object.entries(g.awaitNs)) if (typeof v === 'number') awaitNs[k] = v;
    return {
      process: g.process, coroutine: g.coroutine, coroutineSite: g.coroutineSite, createSite: g.createSite, tasks: [...g.tasks],
      runNs: g.runNs, awaitNs, p50DurationNs: g.p50DurationNs, p95DurationNs: g.p95DurationNs, maxDurationNs: g.maxDurationNs,
      cancelled: g.cancelled, failed: g.failed,
    };
  });
  const taskFacts = new Map<number, ViewTaskFacts>();
  for (const t of model.tasks ?? []) {
    taskFacts.set(t.lane, {
      coroutine: t.coroutine, coroutineSite: t.coroutineSite, creatorLane: t.creatorLane, outcome: t.outcome, detail: t.detail,
      steps: t.steps, runNs: t.runNs, group: groupOf.get(t.lane) ?? -1,
    });
  }
  return { taskGroups, taskFacts };
}

function buildLoopBlocks(model: TraceModel, rel: (ns: number) => number): LoopBlockRow[] {
  return (model.loopBlocks ?? []).map((b) => ({
    loopLane: b.loopLane, taskLane: b.taskLane, beginNs: rel(b.begin), endNs: rel(b.end), durationNs: b.durationNs,
    site: b.site, siteSource: b.siteSource, delayedLanes: [...b.delayedLanes],
  })).sort((a, b) => b.durationNs - a.durationNs || a.beginNs - b.beginNs);
}

/** Counter series in view ns; a loop-lag series names its loop thread's lane. */
function buildCounters(model: TraceModel, rel: (ns: number) => number): ViewCounter[] {
  const laneByTid = new Map<string, number>();
  for (const l of model.lanes) laneByTid.set(`${l.process}:${l.tid}`, l.index);
  return (model.counters ?? []).map((c) => {
    const ts = new Float64Array(c.ts.length);
    for (let i = 0; i < ts.length; i++) ts[i] = rel(c.ts[i] as number);
    const lag = c.name.startsWith(LOOP_LAG_COUNTER) ? Number(c.name.slice(LOOP_LAG_COUNTER.length)) : Number.NaN;
    const lane = Number.isInteger(lag) ? laneByTid.get(`${c.process}:${lag}`) ?? null : null;
    return { process: c.process, name: c.name, lane, ts, value: c.value.slice() };
  });
}

function isThread(kind: string): boolean {
  return kind === 'thread';
}

/** The model's hosts (format v2); a hand-built model without them has one unnamed host. */
function viewHosts(model: TraceModel): ViewHost[] {
  const hs = model.hosts ?? [];
  const out = hs.map((x, i) => ({ index: i, name: x.name, id: x.id }));
  return out.length > 0 ? out : [{ index: 0, name: '', id: '' }];
}

/** A process's host index; an absent or out-of-range one is the first host (tolerant reader). */
function hostOf(p: ProcessInfo, hostCount: number): number {
  const h = p.host;
  return typeof h === 'number' && Number.isInteger(h) && h >= 0 && h < hostCount ? h : 0;
}

/** The span and work item tables, with the strings their columns point at. */
function buildSpansAndWorkItems(model: TraceModel, rel: (ns: number) => number): { spans: SpanTable; workItems: WorkItemTable; strings: string[] } {
  const strings: string[] = [];
  const stringIndex = new Map<string, number>();
  const intern = (v: string): number => {
    let i = stringIndex.get(v);
    if (i === undefined) {
      i = strings.length;
      strings.push(v);
      stringIndex.set(v, i);
    }
    return i;
  };
  // One row per model span, in the model's order, so a model span index is a view span row.
  const ms = model.spans;
  const n = ms.length;
  const spans: SpanTable = {
    count: n, begin: new Float64Array(n), end: new Float64Array(n), lane: new Int32Array(n), kind: new Int32Array(n),
    label: new Int32Array(n), site: new Int32Array(n), workItem: new Int32Array(n).fill(-1),
    launchNs: new Float64Array(n).fill(Number.NaN),
  };
  // A GPU operation's launch: the launch flow that ends on its lane at its start.
  const launches = new Map<string, number>();
  for (const f of model.flows) if (f.kind === 'launch') launches.set(`${f.toLane}:${f.toNs}`, f.fromNs);
  ms.forEach((sp, i) => {
    const launched = GPU_SPAN_KINDS.includes(sp.kind) ? launches.get(`${sp.lane}:${sp.begin}`) : undefined;
    if (launched !== undefined) (spans.launchNs as Float64Array)[i] = rel(launched);
    spans.begin[i] = rel(sp.begin);
    spans.end[i] = rel(sp.end);
    spans.lane[i] = sp.lane;
    spans.kind[i] = intern(sp.kind);
    spans.label[i] = intern(sp.label);
    spans.site[i] = sp.site ?? -1;
  });
  const items = model.workItems ?? [];
  const m = items.length;
  const nan = (): Float64Array => new Float64Array(m).fill(Number.NaN);
  const workItems: WorkItemTable = {
    count: m, submitNs: nan(), submitLane: new Int32Array(m), startNs: nan(), workerLane: new Int32Array(m), endNs: nan(),
    resultNs: nan(), resultLane: new Int32Array(m), label: new Int32Array(m), site: new Int32Array(m), size: nan(),
    resultSize: nan(), span: new Int32Array(m), completed: new Uint8Array(m),
  };
  const time = (ns: number | null): number => (ns === null ? Number.NaN : rel(ns));
  items.forEach((w, i) => {
    workItems.submitNs[i] = time(w.submitNs);
    workItems.submitLane[i] = w.submitLane ?? -1;
    workItems.startNs[i] = time(w.startNs);
    workItems.workerLane[i] = w.workerLane ?? -1;
    workItems.endNs[i] = time(w.endNs);
    workItems.resultNs[i] = time(w.resultNs);
    workItems.resultLane[i] = w.resultLane ?? -1;
    workItems.label[i] = intern(w.label);
    workItems.site[i] = w.site ?? -1;
    workItems.size[i] = w.size ?? Number.NaN;
    workItems.resultSize[i] = w.resultSize ?? Number.NaN;
    workItems.span[i] = w.span ?? -1;
    workItems.completed[i] = w.completed ? 1 : 0;
    if (w.span !== null && w.span < n) spans.workItem[w.span] = i;
  });
  return { spans, workItems, strings };
}

function buildHolds(model: TraceModel, rel: (ns: number) => number): HoldTable {
  const hs = model.lockHolds ?? [];
  const n = hs.length;
  const t: HoldTable = { count: n, begin: new Float64Array(n), end: new Float64Array(n), lane: new Int32Array(n), object: new Int32Array(n) };
  hs.forEach((h, i) => {
    t.begin[i] = rel(h.begin);
    t.end[i] = rel(h.end);
    t.lane[i] = h.lane;
    t.object[i] = h.object;
  });
  return t;
}

/**
 * Unblock arrows come from the waits themselves, so each arrow knows the wait it ended (the
 * same rule as the model's computeUnblockFlows: a waker other than the waiter, and the wait
 * did not time out). Other flows (work items, results, messages through queues and pipes,
 * process starts; often across processes) come from the model.
 */
function buildFlows(model: TraceModel, rel: (ns: number) => number): { table: FlowTable; kinds: string[] } {
  const w = model.waits;
  const rows: number[] = [];
  for (let i = 0; i < w.count; i++) {
    const from = w.wakerLane[i] as number;
    if (from < 0 || from === w.lane[i] || ((w.flags[i] as number) & WaitFlags.TIMED_OUT) !== 0) continue;
    rows.push(i);
  }
  const others = model.flows.filter((f) => f.kind !== 'unblock');
  const count = rows.length + others.length;
  const t: FlowTable = {
    count, kind: new Uint8Array(count), fromLane: new Int32Array(count), fromNs: new Float64Array(count),
    toLane: new Int32Array(count), toNs: new Float64Array(count), object: new Int32Array(count), wait: new Int32Array(count),
  };
  let k = 0;
  for (const i of rows) {
    const e = rel(w.end[i] as number);
    t.kind[k] = 0;
    t.fromLane[k] = w.wakerLane[i] as number;
    t.fromNs[k] = e;
    t.toLane[k] = w.lane[i] as number;
    t.toNs[k] = e;
    const o = w.object[i] as number;
    t.object[k] = o >= 0 ? visibleObject(model, o) : -1;
    t.wait[k] = i;
    k++;
  }
  const kinds: string[] = [...FLOW_KINDS];
  for (const f of others) {
    // An unknown kind gets its own index rather than passing for an unblock.
    let kind = kinds.indexOf(f.kind);
    if (kind < 0) {
      kind = kinds.length;
      kinds.push(f.kind);
    }
    t.kind[k] = kind;
    t.fromLane[k] = f.fromLane;
    t.fromNs[k] = rel(f.fromNs);
    t.toLane[k] = f.toLane;
    t.toNs[k] = rel(f.toNs);
    t.object[k] = f.object ?? -1;
    t.wait[k] = -1;
    k++;
  }
  return { table: t, kinds };
}

function buildLockRows(model: TraceModel): LockRow[] {
  const seen = new Map<string, number>();
  return model.locks.map((l) => {
    const o = model.objects[l.object];
    const site = o?.site ?? null;
    const sx = site !== null ? model.sites[site] : undefined;
    const base = `${processKey(model, o?.process ?? -1)}:${o?.kind ?? '?'}:${o?.name ?? ''}:${sx ? `${sx.file}:${sx.line}` : ''}`;
    // Two unnamed locks made on one line (a list comprehension) differ by an ordinal.
    const nth = seen.get(base) ?? 0;
    seen.set(base, nth + 1);
    return {
      key: nth === 0 ? base : `${base}#${nth}`,
      object: l.object,
      name: o?.name ?? '',
      kind: o?.kind ?? 'lock',
      site,
      acquisitions: l.acquisitions,
      contentions: l.contentions,
      waitNs: l.waitNs,
      maxWaitNs: l.maxWaitNs,
      p50WaitNs: l.p50WaitNs,
      p95WaitNs: l.p95WaitNs,
      contendedHoldNs: l.contendedHoldNs,
      holders: l.holders.map((h) => ({ lane: h.lane, site: h.site, waits: h.waits, waitNs: h.waitNs })),
      waiters: l.waiters.map((h) => ({ lane: h.lane, site: h.site, waits: h.waits, waitNs: h.waitNs })),
    };
  });
}

/** A readable name of an object: its name, else "<kind> at file:line". */
export function objectLabel(data: ViewData, object: number): string {
  const o = data.objects[object];
  if (!o) return 'unknown object';
  if (o.name) return o.name;
  const s = o.site !== null ? data.sites[o.site] : undefined;
  return s ? `${o.kind} at ${baseName(s.file)}:${s.line}` : o.kind;
}

/** The last path component, for display ("examples/bank.py" → "bank.py"). */
export function baseName(file: string): string {
  const i = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return i >= 0 ? file.slice(i + 1) : file;
}
