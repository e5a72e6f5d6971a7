/**
 * What one process file becomes after parsing: its records sorted into plain tables and
 * typed-array columns, still keyed by the file's own ids (sites, objects, frames, threads).
 *
 * This is the unit of parallel work: a parse worker builds it from a file and sends it back
 * to the main thread with its typed arrays transferred, not copied. Then the model handlers
 * (model/handlers/) re-key the ids into model-wide indexes and merge the files. Everything
 * here is structured-clonable data: no classes, no functions.
 *
 * Times are integer ns as in the file; -1 stands for a null id in the columns.
 */
import type { TraceHeader } from '../format/spec';

export interface SiteDef {
  id: number;
  file: string;
  line: number;
  func: string;
  /** The function's `def` line (`S` optional field, v2); absent in older files. */
  def?: number;
}

export interface ObjectDef {
  id: number;
  kind: string;
  name: string;
  site: number | null;
  parent: number | null;
  role: string | null;
  /** The `O` record's optional globalKey: the same multiprocessing object in every process
   * that sees it. Absent when the record has none (or null), so that objects of older files
   * keep their exact shape. */
  globalKey?: string;
}

/**
 * A lane of the file: a thread (`T`) or another kind (`Y`, v2). `id` is the file's lane id
 * (the v1 tid). Thread-only facts (`nativeId`, `daemon`) are 0/false on other kinds.
 */
export interface LaneDef {
  id: number;
  /** A LANE_KINDS value; "unknown" for a kind this reader does not know (warned once). */
  kind: string;
  nativeId: number;
  name: string;
  daemon: boolean;
  /** The `T` record's time (or the first record that mentioned the thread). */
  startNs: number;
  /** The `E` record's time, or null when the thread did not end in the trace. */
  endedNs: number | null;
  /** Latest time any record of this thread refers to. */
  lastNs: number;
  parentId: number | null;
  startSite: number | null;
  /** The `Y` record's clock domain when it is not the file's (times of this lane's records
   * are on it until model/clock-alignment.ts converts them), else null. */
  clockDomain: string | null;
  /** False when the lane was referred to but had no `T`/`Y` record (repaired). */
  declared: boolean;
  // asyncio tasks (v2, the optional tails of `Y` and `E`): optional so that older parsed
  // files and hand-built ones stay valid; set only when the record carried them.
  /** The lane that created this one (create_task's caller). */
  creator?: number | null;
  /** Qualified name of a task's coroutine function. */
  coroutine?: string | null;
  /** The coroutine function's `def` site. */
  coroutineSite?: number | null;
  /** How a task ended (`E` outcome: "result", "cancelled", "exception"; other words kept). */
  outcome?: string | null;
  /** For an exception, "Type: message". */
  detail?: string | null;
}

/** One `M` record: at `ts` (the file's clock) the clock `domain` read `domainTs`. */
export interface Calibration {
  ts: number;
  domain: string;
  domainTs: number;
  errorNs: number;
}

export interface WaitTable {
  count: number;
  begin: Float64Array;
  end: Float64Array;
  tid: Int32Array;
  object: Int32Array;
  /** Index into WAIT_REASONS. */
  reason: Uint8Array;
  site: Int32Array;
  holder: Int32Array;
  holderSite: Int32Array;
  waker: Int32Array;
  flags: Uint8Array;
}

export interface SampleTable {
  count: number;
  ts: Float64Array;
  tid: Int32Array;
  frame: Int32Array;
  state: Uint8Array;
  /** The thread's CPU clock read with the sample (the `C` of the same tick), NaN if none. */
  cpu: Float64Array;
}

export interface FrameTable {
  count: number;
  id: Int32Array;
  parent: Int32Array;
  site: Int32Array;
}

/** First and last reading of a thread's CPU clock. */
export interface CpuRange {
  tid: number;
  firstTs: number;
  firstNs: number;
  lastTs: number;
  lastNs: number;
  readings: number;
}

export interface ChildStart {
  ts: number;
  pid: number;
  how: string;
  argv: string[];
  tid: number;
  site: number | null;
  /** What the starter knows the child is ("Pool worker 3"), or null (see the `P` record). */
  label: string | null;
}

export interface ChildExit {
  ts: number;
  pid: number;
  code: number;
  /** "parent" when the starter sent the signal the child died of (see the `Q` record). */
  endedBy: string | null;
}

/** One end of an `L` flow. */
export interface FlowEnd {
  ts: number;
  tid: number;
  key: string;
  phase: 's' | 't' | 'f';
  kind: string;
  object: number | null;
  size: number | null;
}

export interface SpanDef {
  begin: number;
  end: number;
  tid: number;
  kind: string;
  label: string;
  site: number | null;
  /** The `X` record's optional key (a work item's "task:..." flow key, a held lock's
   * globalKey). Absent when none. */
  key?: string;
}

/** `R` task steps, as columns (a server's tasks step millions of times). */
export interface TaskStepTable {
  count: number;
  begin: Float64Array;
  end: Float64Array;
  tid: Int32Array;
}

/** One `B` event-loop block: few (each is longer than the agent's threshold), so rows. */
export interface LoopBlockDef {
  begin: number;
  end: number;
  /** The loop thread's lane id. */
  tid: number;
  /** The task lane whose step blocked, or null for a plain callback. */
  task: number | null;
  /** Lane ids of the tasks that were delayed. */
  delayed: number[];
}

/** One `D` record (v2): a deadlock or hang the agent's watchdog found. Parallel arrays, one
 * entry per member thread, file ids; 0 means none (ids start at 1). */
export interface StallDef {
  ts: number;
  /** A STALL_KINDS word, or "unknown" for one a newer agent wrote. */
  kind: string;
  lanes: number[];
  objects: number[];
  sites: number[];
  frames: number[];
}

/** One `I` record (v2): `lane` took `first` then `second`; `otherLane` the opposite order. */
export interface LockOrderDef {
  ts: number;
  first: number;
  second: number;
  lane: number;
  firstSite: number | null;
  secondSite: number | null;
  otherLane: number;
  otherFirstSite: number | null;
  otherSecondSite: number | null;
}

export interface CounterTable {
  name: string;
  count: number;
  ts: Float64Array;
  value: Float64Array;
}

export interface AgentMessage {
  ts: number;
  level: string;
  message: string;
}

export interface ParsedFile {
  path: string;
  bytes: number;
  header: TraceHeader;
  /** Records read (the header not included). */
  records: number;
  complete: boolean;
  /** From the end record; null when there is none. */
  endReason: string | null;
  exitCode: number | null;
  /** The end record's time, else the latest time read. */
  endNs: number;
  /** Reader warnings for this file (cut short, unknown records, ...). */
  warnings: string[];
  sites: SiteDef[];
  objects: ObjectDef[];
  frames: FrameTable;
  /** Threads and other lanes, in order of first sight. */
  lanes: LaneDef[];
  /** Clock calibration pairs (`M`), in file order. */
  calibrations: Calibration[];
  waits: WaitTable;
  samples: SampleTable;
  cpu: CpuRange[];
  /** Acquisitions per object id, summed over the file's `A` records. */
  acquisitions: { object: number; count: number }[];
  children: ChildStart[];
  childExits: ChildExit[];
  flowEnds: FlowEnd[];
  spans: SpanDef[];
  counters: CounterTable[];
  messages: AgentMessage[];
  /** asyncio task steps (`R`, v2). Optional so that hand-built parsed files stay valid; the
   * parser always sets it (empty without asyncio). */
  taskSteps?: TaskStepTable;
  /** Event-loop blocks (`B`, v2), in file order. Optional like `taskSteps`. */
  loopBlocks?: LoopBlockDef[];
  /** Deadlocks and hangs (`D`, v2) and lock-order inversions (`I`, v2), in file order.
   * Optional like `taskSteps`. */
  stalls?: StallDef[];
  lockOrders?: LockOrderDef[];
}

/** The ArrayBuffers of a parsed file, to transfer rather than copy between threads. */
export function transferables(f: ParsedFile): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const add = (a: ArrayBufferView): void => {
    if (a.buffer instanceof ArrayBuffer) out.add(a.buffer);
  };
  const { waits: w, samples: s, frames: fr } = f;
  for (const a of [w.begin, w.end, w.tid, w.object, w.reason, w.site, w.holder, w.holderSite, w.waker, w.flags]) add(a);
  for (const a of [s.ts, s.tid, s.frame, s.state, s.cpu, fr.id, fr.parent, fr.site]) add(a);
  for (const c of f.counters) {
    add(c.ts);
    add(c.value);
  }
  if (f.taskSteps !== undefined) for (const a of [f.taskSteps.begin, f.taskSteps.end, f.taskSteps.tid]) add(a);
  return [...out];
}
