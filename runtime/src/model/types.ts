/**
 * The trace model: plain, frozen data built once from a trace directory by the aggregation
 * handlers in this folder, then only read by the summary, the CLI, the webview, the report
 * and the language server. Nothing here imports Node or VS Code.
 *
 * Identity: a process is keyed by its file (`pid` + `serial`); a lane by `laneId`, a string
 * unique in the model ("p<pid>.<serial>/t<tid>" for threads; later "…/task<n>", "…/gpu<n>").
 * Objects and sites are re-keyed into model-wide integer indexes so views never deal with
 * per-file ids.
 *
 * Time: all times are `Ns` (absolute CLOCK_MONOTONIC nanoseconds, see format/spec.ts).
 * `TraceModel.startNs` is the earliest event; views subtract it at their edge.
 */
import type { Ns, ObjectKind, WaitReason } from '../format/spec';

export type LaneKind = 'thread' | 'task' | 'gpu';

export interface SourceSite {
  /** Index into TraceModel.sites. */
  index: number;
  file: string;
  line: number;
  func: string;
}

export interface ProcessInfo {
  /** Index into TraceModel.processes. */
  index: number;
  pid: number;
  ppid: number;
  serial: number;
  argv: string[];
  python: string;
  startMethod: string;
  startNs: Ns;
  /** Time of the last event seen in the file (or of its end record). */
  endNs: Ns;
  /** True when the file ended with an end record. */
  complete: boolean;
  /** From the end record, run.json or the parent's `Q` record; null when unknown/killed. */
  exitCode: number | null;
  endReason: string | null;
  /** Index of the parent process in TraceModel.processes, or null for a root. */
  parent: number | null;
  sampleHz: number;
}

export interface Lane {
  /** Index into TraceModel.lanes. */
  index: number;
  id: string;
  kind: LaneKind;
  process: number;
  /** Thread id local to the process file. */
  tid: number;
  nativeId: number;
  name: string;
  daemon: boolean;
  startNs: Ns;
  endNs: Ns;
  /** Lane of the thread that started this one, when known. */
  parentLane: number | null;
  startSite: number | null;
}

export interface SyncObject {
  /** Index into TraceModel.objects. */
  index: number;
  process: number;
  kind: ObjectKind;
  name: string;
  /** Creation site (index into sites) or null. */
  site: number | null;
  /** The user-visible object this one belongs to (a Queue's internal Condition → the Queue). */
  parent: number | null;
  role: string | null;
}

/**
 * Waits, stored as columns (struct of arrays) because a big trace has millions of them and
 * views scan them by time. Row i of every column describes wait i. Rows are sorted by
 * `begin`. Missing ids are -1.
 */
export interface WaitColumns {
  count: number;
  begin: Float64Array;
  end: Float64Array;
  lane: Int32Array;
  object: Int32Array;
  /** Index into WAIT_REASONS. */
  reason: Uint8Array;
  site: Int32Array;
  /** Lane of the holder when the wait began (-1 unknown). */
  holderLane: Int32Array;
  holderSite: Int32Array;
  /** Lane that released/notified and so unblocked the waiter (-1 unknown). */
  wakerLane: Int32Array;
  flags: Uint8Array;
}

/** Stack samples, as columns, sorted by time. */
export interface SampleColumns {
  count: number;
  ts: Float64Array;
  lane: Int32Array;
  /** Leaf site of the sample (-1: no Python frame). */
  site: Int32Array;
  /** Index into TraceModel.frames for the full stack (-1: none). */
  frame: Int32Array;
  /** SampleState: 0 running, 1 waiting. */
  state: Uint8Array;
  /** The thread's CPU clock (ns) read with this sample (the agent writes a `C` record with the
   * same ts after each `K`); NaN when none came. Lets views estimate, per sample interval,
   * whether a RUNNING thread was actually on the CPU. Optional: older models lack it. */
  cpu?: Float64Array;
}

/** Stack frame prefix tree, model-wide. */
export interface FrameNode {
  parent: number;
  site: number;
}

/** A span that is not a wait: a work item, a task step, a GPU operation. */
export interface WorkSpan {
  begin: Ns;
  end: Ns;
  lane: number;
  kind: string;
  label: string;
  site: number | null;
}

/** An arrow between two lanes: a hand-off, an unblock, a message. */
export interface Flow {
  /** "unblock" (from waits), "spawn" (a thread started a child process), or the kind of an
   * `L` flow ("queue", "pipe", "task", "future"). */
  kind: string;
  fromLane: number;
  fromNs: Ns;
  toLane: number;
  toNs: Ns;
  object: number | null;
  size: number | null;
}

/** Per-thread time split (all ns). `gilWaitEstimateNs` is an estimate, labelled as such. */
export interface ThreadTime {
  lane: number;
  wallNs: number;
  /** CPU time from the thread's CPU clock (null when the platform gave none). */
  cpuNs: number | null;
  /** Time inside recorded waits, by reason. */
  waitNs: Partial<Record<WaitReason, number>>;
  /** wall - cpu - waits, floored at 0: runnable but not running, mostly GIL wait. */
  gilWaitEstimateNs: number | null;
}

export interface LockHolderStat {
  lane: number;
  site: number | null;
  /** How many waits this holder caused, and their total wait. */
  waits: number;
  waitNs: number;
}

export interface LockStat {
  object: number;
  acquisitions: number;
  contentions: number;
  waitNs: number;
  maxWaitNs: number;
  p50WaitNs: number;
  p95WaitNs: number;
  /** Time during which the lock was held while someone waited for it (union of waits). */
  contendedHoldNs: number;
  holders: LockHolderStat[];
  /** Lanes that waited, with counts and totals. */
  waiters: { lane: number; site: number | null; waits: number; waitNs: number }[];
}

export interface Hotspot {
  site: number;
  /** Estimated from samples: samples * period. */
  cpuNs: number;
  waitNs: number;
  samples: number;
}

export interface Diagnostic {
  severity: 'info' | 'warning' | 'error';
  message: string;
  site: number | null;
  process: number | null;
}

/** A counter over time (`V` records): queue depth, event-loop lag. Added for v1 models. */
export interface CounterSeries {
  process: number;
  name: string;
  ts: Float64Array;
  value: Float64Array;
}

export interface TraceModel {
  formatVersion: number;
  /** Reader and model warnings: truncated files, unknown records, repaired invariants. */
  warnings: string[];
  startNs: Ns;
  endNs: Ns;
  processes: ProcessInfo[];
  lanes: Lane[];
  sites: SourceSite[];
  objects: SyncObject[];
  frames: FrameNode[];
  waits: WaitColumns;
  samples: SampleColumns;
  spans: WorkSpan[];
  flows: Flow[];
  threadTimes: ThreadTime[];
  locks: LockStat[];
  hotspots: Hotspot[];
  diagnostics: Diagnostic[];
  /** Counter series by process and name. Optional so that hand-built models (tests, older
   * code) stay valid; the loader always sets it. */
  counters?: CounterSeries[];
}
