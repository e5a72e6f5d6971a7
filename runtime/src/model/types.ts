/**
 * The trace model: plain, frozen data built once from a trace directory by the aggregation
 * handlers in this folder, then only read by the summary, the CLI, the webview, the report
 * and the language server. Nothing here imports Node or VS Code.
 *
 * Identity: a process is keyed by its file (host, `pid` + `serial`); a lane by `id`, a string
 * unique in the model ("<host>/p<pid>.<serial>/t<n>" for threads, ".../l<n>" for other lanes).
 * Objects and sites are re-keyed into model-wide integer indexes so views never deal with
 * per-file ids.
 *
 * Time: all times are `Ns` on one timeline: host 0's CLOCK_MONOTONIC nanoseconds; every other
 * clock (another host's, a GPU's) was converted before any handler read it (`clocks`).
 * `TraceModel.startNs` is the earliest event; views subtract it at their edge.
 */
import type { LaneKind, Ns, ObjectKind, WaitReason } from '../format/spec';
import type { CallTreeData } from './handlers/call-tree';

export type { LaneKind };

/**
 * A machine the trace came from (v2 header `host`). v1 files name no host: they are one host
 * with id "" and name "". Hosts are ordered by their first file; host 0 is the reference clock.
 */
export interface HostInfo {
  index: number;
  name: string;
  /** The header's host.id (12 hex digits), "" for v1 files. */
  id: string;
}

/**
 * How one clock domain was put on the model's timeline (model/clock-alignment.ts): every time
 * t of the domain became `scale * t + offsetNs`. `errorNs` bounds how far a converted time may
 * be from the truth; null when nothing measured it (then the times are an estimate).
 */
export interface ClockAlignment {
  domain: string;
  host: number;
  /** "reference" (host 0's own clock), "calibration" (`M` pairs, fitted), "wall-clock" (hosts
   * lined up by their wall clocks), "flows" (by messages between hosts: a receive never before
   * its send), "none" (no way to convert: shown as written, with a warning). */
  method: 'reference' | 'calibration' | 'wall-clock' | 'flows' | 'none';
  scale: number;
  offsetNs: number;
  errorNs: number | null;
}

export interface SourceSite {
  /** Index into TraceModel.sites. */
  index: number;
  file: string;
  line: number;
  func: string;
  /** The function's `def` line (the code object's first line) when the agent wrote it (`S`
   * optional field); absent for older traces. Optional so that hand-built models stay valid. */
  defLine?: number;
}

/**
 * A process: one per trace file, plus one per child that a traced process started (`P`) but
 * that has no file of its own (a non-Python program such as `sleep` or `sh`, see `traced`).
 * Untraced processes come after every traced one in TraceModel.processes.
 */
export interface ProcessInfo {
  /** Index into TraceModel.processes. */
  index: number;
  pid: number;
  ppid: number;
  /** The file's serial; for an untraced process -1, -2, ... in the order they were found, so
   * that "pid.serial" stays unique. */
  serial: number;
  /** sys.argv; for an untraced process the argv of the parent's `P` record. */
  argv: string[];
  /** Index into TraceModel.hosts: a process is (host, pid). Optional so that hand-built models
   * stay valid (absent: host 0); the loader always sets it. */
  host?: number;
  /** The host's id ("" for v1 files), part of every key of the process. */
  hostId?: string;
  /** Python version; "" for an untraced process. */
  python: string;
  /** The header's startMethod; for an untraced process the `P` record's `how`. */
  startMethod: string;
  /** The agent's start; for an untraced process the time of the parent's `P` record. */
  startNs: Ns;
  /** Time of the last event seen in the file (or of its end record); for an untraced process
   * the time of the parent's `Q` record, else the parent's end. */
  endNs: Ns;
  /** True when the file ended with an end record; for an untraced process, true when its
   * parent's `Q` record saw it end. */
  complete: boolean;
  /** From the end record, run.json or the parent's `Q` record; null when unknown/killed. */
  exitCode: number | null;
  endReason: string | null;
  /** Index of the parent process in TraceModel.processes, or null for a root. */
  parent: number | null;
  /** 0 for an untraced process. */
  sampleHz: number;
  /**
   * False for a child process with no trace file of its own: a `P` record in its parent's file
   * names a pid that no file has, so the child did not run Python under the agent (e.g.
   * `subprocess.Popen(["sleep", "0.2"])`). All the model knows of it comes from the parent's
   * `P` and `Q` records; it has one lane (tid 1, named by argv[0]'s basename) spanning its life,
   * with no waits, samples or CPU time. True for a process with a file. Optional so that
   * hand-built models stay valid (absent means traced); the loader always sets it.
   */
  traced?: boolean;
  /** What the process is, for people ("Pool worker 2 (spawn)", "fork server", "orders.py"):
   * see process-label.ts. Optional so that hand-built models stay valid; the loader sets it. */
  label?: string;
  /** True when its parent sent the signal it died of (Pool.terminate, Popen.kill): an ending
   * the program chose, not a crash, so its missing end record is not a warning. */
  endedByParent?: boolean;
}

/**
 * A lane: anything that runs and waits. Threads, and (v2) asyncio tasks, greenlets, GPU
 * queues, MPI ranks and task-queue workers. Thread-only facts (`nativeId`, `daemon`, CPU time
 * and the GIL estimate in ThreadTime) are 0/false/null on other kinds; readers check `kind`.
 */
export interface Lane {
  /** Index into TraceModel.lanes. */
  index: number;
  /** Stable id: "[<host id>/]p<pid>.<serial>/t<n>" for threads, ".../l<n>" for other kinds. */
  id: string;
  kind: LaneKind;
  process: number;
  /** Lane id local to the process file (a thread id in v1). */
  tid: number;
  /** Thread only: the OS thread id (0 for other kinds). */
  nativeId: number;
  name: string;
  /** Thread only. */
  daemon: boolean;
  startNs: Ns;
  endNs: Ns;
  /** Lane of the thread that started this one, when known. */
  parentLane: number | null;
  startSite: number | null;
  /** The clock the lane's records were written on when not its file's (a GPU queue's device
   * clock), else null. Its times are already converted onto the model's timeline. Optional so
   * that hand-built models stay valid. */
  clockDomain?: string | null;
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
  /**
   * The `O` record's globalKey, for a multiprocessing object (an mp.Lock's semaphore name, a
   * queue's pipe) that several processes see. Every definition with the same kind and key, in
   * any process, is this one model object, so its waits and acquisitions from all processes
   * add up in one lock row. `process` is then the first process (in pid order) that defined
   * it. Absent for per-process objects and on hand-built models.
   */
  globalKey?: string;
  /** Every process whose trace defines the object, ascending (one unless it has a globalKey).
   * Optional so that hand-built models stay valid; the loader always sets it. */
  processes?: number[];
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
  /** Lane of the holder when the wait began (-1 unknown). For a multiprocessing lock the
   * agent cannot see it; the model estimates it from hold spans in every process and sets
   * the HOLDER_CHANGED flag (handlers/lock-holds.ts). */
  holderLane: Int32Array;
  holderSite: Int32Array;
  /** Lane that released/notified and so unblocked the waiter (-1 unknown); estimated from
   * hold spans for multiprocessing locks, like `holderLane`. */
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
  /** What the span joins on (the `X` record's key): a work item's "task:..." flow key, a held
   * multiprocessing lock's globalKey; absent when none. */
  key?: string;
}

/**
 * One hold of a multiprocessing Lock/RLock (an `X` span of kind "hold", joined to the lock's
 * model object through its globalKey): `lane` held `object` from `begin` to `end`. Holds are
 * what lets the model name the holder of a lock in another process (handlers/lock-holds.ts).
 */
export interface LockHold {
  object: number;
  lane: number;
  begin: Ns;
  end: Ns;
}

/**
 * One work item: a multiprocessing Pool task (or chunk) or a ProcessPoolExecutor call, joined
 * from its `task` flow (submit in the submitting process, start in the worker), the worker's
 * `X` span with the same key (the function's run) and the `result` flow back. Any part may be
 * missing: a worker killed mid-task leaves a submit (and maybe a start) without a span, and
 * such an item still counts, as not completed. Times are trace ns; null where unknown.
 */
export interface WorkItem {
  /** The flow key, "task:<submitterPid>:<job>:<i>". */
  key: string;
  /** The pool or executor object in the submitting process (the submit's object), or null. */
  pool: number | null;
  submitNs: Ns | null;
  submitLane: number | null;
  /** When a worker took it (the task flow's finish, else the span's begin). */
  startNs: Ns | null;
  workerLane: number | null;
  /** When the function returned (the span's end); null when it never did. */
  endNs: Ns | null;
  /** When the result arrived back in the submitting process, and the lane that took it. */
  resultNs: Ns | null;
  resultLane: number | null;
  /** Index into TraceModel.spans of the run, or null. */
  span: number | null;
  /** The function's qualified name, from the span; "" for an item that never finished (the
   * worker names the function only when it returns). */
  label: string;
  /** The function's `def` line (index into sites), or null. */
  site: number | null;
  /** Pickled arguments (bytes) as the worker received them, or null. */
  size: number | null;
  /** Pickled result (bytes) as the submitter received it, or null. */
  resultSize: number | null;
  /** start - submit: time waiting in the pool's queue for a free worker (ns), or null. */
  queueWaitNs: number | null;
  /** end - start: time the worker ran the function (ns), or null. */
  runNs: number | null;
  /** True when the function returned (the worker wrote the span). */
  completed: boolean;
}

/**
 * One message between processes through a multiprocessing Queue, SimpleQueue, JoinableQueue
 * or Pipe, joined from its `queue`/`pipe` flow ends. A message that was put but never taken
 * has no receiver. Times are trace ns.
 */
export interface ChannelMessage {
  /** The flow key, "msg:<senderPid>:<n>". */
  key: string;
  /** "queue" or "pipe" (the flow kind). */
  kind: string;
  /** The queue or pipe (model object; the sender's, else the receiver's), or null. */
  object: number | null;
  sendNs: Ns | null;
  fromLane: number | null;
  recvNs: Ns | null;
  toLane: number | null;
  /** Pickled size in bytes (from the receiving end), or null. */
  size: number | null;
}

/** An arrow between two lanes: a hand-off, an unblock, a message. */
export interface Flow {
  /** "unblock" (from waits), "spawn" (a thread started a child process), "create" (a task or
   * thread created an asyncio task: from the creator at the task's creation to the task's
   * first step), or the kind of an `L` flow ("queue", "pipe", "work", "result", "future"). */
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
  /** Waits on it that never ended (flag OPEN: still waiting when the process stopped, drawn to
   * its end). Optional so that hand-built models stay valid; the loader always sets it. */
  openWaits?: number;
}

export interface Hotspot {
  site: number;
  /** Estimated from samples: samples * period. */
  cpuNs: number;
  waitNs: number;
  samples: number;
}

/** What a finding is about, for tools (the Problems panel groups and links by it). Findings
 * written before codes existed have none. */
export type DiagnosticCode = 'deadlock' | 'hang' | 'lock-order-inversion' | 'lock-held-across-wait';

export interface Diagnostic {
  severity: 'info' | 'warning' | 'error';
  message: string;
  site: number | null;
  process: number | null;
  /** Set on stall, inversion and held-across findings; absent on the others. */
  code?: DiagnosticCode;
  /** Other lines the finding is about (the other members of a cycle, the other path of an
   * inversion), each with what happens there. Absent when none. */
  related?: { site: number; message: string }[];
}

/** One member thread of a {@link Stall}. Indexes into the model's tables; null when unknown. */
export interface StallMember {
  lane: number;
  /** What it waits on. */
  object: number | null;
  /** The line of its waiting call (the `D` record's, else its open wait's). */
  site: number | null;
  /** Leaf of its stack (index into TraceModel.frames), or null. */
  frame: number | null;
  /** Row of its wait in TraceModel.waits (the one in progress when the stall was found), or
   * null when the trace has none (the timeline selects these rows). */
  wait: number | null;
}

/**
 * A deadlock or hang (handlers/stalls.ts). From a `D` record (`source` "watchdog"): members in
 * the record's order (for a deadlock, cycle order: member i waits for what member i+1 holds,
 * the last for what member 0 holds). Or, for a deadlock only, found in the open waits of a
 * process that stopped while its threads waited for each other and that has no `D` record
 * (killed before the watchdog fired, the watchdog off, an older agent): `source` "open-waits".
 */
export interface Stall {
  kind: 'deadlock' | 'hang' | 'unknown';
  source: 'watchdog' | 'open-waits';
  process: number;
  /** When the watchdog found it; for an inferred one, when its last member began to wait. */
  detectedNs: Ns;
  members: StallMember[];
}

/** A lock-order inversion (`I` record, handlers/lock-order.ts): `lane` took `first` at
 * `firstSite`, then `second` at `secondSite` while holding it; `otherLane` took `second` at
 * `otherFirstSite`, then `first` at `otherSecondSite`. Indexes; null when unknown. */
export interface LockOrderInversion {
  process: number;
  detectedNs: Ns;
  first: number | null;
  second: number | null;
  lane: number | null;
  firstSite: number | null;
  secondSite: number | null;
  otherLane: number | null;
  otherFirstSite: number | null;
  otherSecondSite: number | null;
}

/**
 * A lock held across a blocking call (handlers/held-across.ts): a lane blocked at `site` (a
 * sleep, I/O, a join, a queue wait, another lock) while holding `lock`, and other lanes waited
 * for the lock meanwhile. Aggregated by (lock, site, reason): `occurrences` blocking calls.
 * Only waiting that overlaps the blocking calls counts.
 */
export interface HeldAcrossWait {
  /** The lock (its user-visible object: a Condition for its internal lock). */
  lock: number;
  /** The blocking call's line, reason (index into WAIT_REASONS) and object. */
  site: number | null;
  reason: number;
  blockingObject: number | null;
  /** Lanes that blocked there holding the lock. */
  holderLanes: number[];
  occurrences: number;
  /** Sum and longest of the blocking calls (ns): how long the lock was held blocked. */
  heldNs: number;
  longestNs: number;
  /** Lanes that waited for the lock during those calls, and the waits. */
  waiterLanes: number[];
  waits: number;
  /** Their waiting time that overlaps the blocking calls (ns), summed over waits. */
  waitedNs: number;
  /** Row in TraceModel.waits of the longest blocking call. */
  example: number;
}

/** A counter over time (`V` records): queue depth, event-loop lag. Added for v1 models. */
export interface CounterSeries {
  process: number;
  name: string;
  ts: Float64Array;
  value: Float64Array;
  /** The lane the counter is about, for names that carry a file lane id: "loop_lag:<lane>"
   * (the loop thread's lane index in TraceModel.lanes). Absent for other counters, and when
   * the id names no lane of the file. */
  lane?: number;
}

/**
 * Steps of asyncio tasks (`R` records), as columns sorted by `begin`: task `lane` ran (its
 * coroutine was resumed) from begin to end on its loop's thread (the lane's parentLane).
 */
export interface TaskStepColumns {
  count: number;
  begin: Float64Array;
  end: Float64Array;
  lane: Int32Array;
}

/** How a task ended: from its `E` record's outcome; null when it had not ended (or an older
 * agent did not say). */
export type TaskOutcomeValue = 'result' | 'cancelled' | 'exception' | null;

/** One asyncio task (a lane of kind "task"), with what its steps and awaits add up to. */
export interface TaskInfo {
  lane: number;
  /** Qualified name of its coroutine function ("" when unknown): the grouping key. */
  coroutine: string;
  /** The coroutine function's `def` line (index into sites), or null. */
  coroutineSite: number | null;
  /** The lane (task or thread) that created it, or null. */
  creatorLane: number | null;
  /** The create_task line (the lane's startSite). */
  createSite: number | null;
  createdNs: Ns;
  /** First step's begin, or null when it never ran. */
  firstStepNs: Ns | null;
  /** Its `E` record's time when `ended`, else the end of its process (the lane's endNs). */
  endNs: Ns;
  /** True when the task ended in the trace (an `E` record); only ended tasks count in their
   * group's durations. */
  ended: boolean;
  outcome: TaskOutcomeValue;
  /** For an exception: "Type: message"; else null. */
  detail: string | null;
  steps: number;
  /** Sum of its steps (ns): the time its coroutine actually ran on the loop thread. */
  runNs: number;
  /** Time in its recorded awaits, by reason (ns). */
  awaitNs: Partial<Record<WaitReason, number>>;
}

/** Tasks of one coroutine function in one process: how a server's 10,000 short tasks stay
 * readable. Durations are endNs - createdNs of the group's ended tasks. */
export interface TaskGroup {
  process: number;
  /** "task" (asyncio) or "greenlet" (gevent, eventlet: `coroutine` is the greenlet's function).
   * Optional so that hand-built models stay valid (absent: task). */
  kind?: 'task' | 'greenlet';
  coroutine: string;
  coroutineSite: number | null;
  /** The most common creation line of its tasks, or null. */
  createSite: number | null;
  /** Lane indexes of its tasks, by creation time. */
  tasks: number[];
  runNs: number;
  awaitNs: Partial<Record<WaitReason, number>>;
  p50DurationNs: number | null;
  p95DurationNs: number | null;
  maxDurationNs: number | null;
  cancelled: number;
  failed: number;
}

/**
 * One event-loop block (`B` record): a step or callback ran from begin to end on loop thread
 * `loopLane`, longer than the agent's threshold. `site` is the line that was running: the
 * longest recorded wait of the thread within the block (e.g. a time.sleep, exact) when waits
 * cover most of it, else the user line most of the thread's samples within it show
 * (`siteSource` says which; null when neither exists).
 */
export interface LoopBlock {
  loopLane: number;
  /** The task whose step blocked, or null for a plain callback. */
  taskLane: number | null;
  begin: Ns;
  end: Ns;
  durationNs: number;
  site: number | null;
  siteSource: 'wait' | 'samples' | null;
  /** Task lanes that were ready, or whose timers fell due, while it ran. */
  delayedLanes: number[];
}

export interface TraceModel {
  formatVersion: number;
  /** Reader and model warnings: truncated files, unknown records, repaired invariants. */
  warnings: string[];
  startNs: Ns;
  endNs: Ns;
  processes: ProcessInfo[];
  /** Machines, in order of first file; host 0's clock is the timeline's. Optional so that
   * hand-built models stay valid (absent: one host); the loader always sets it. */
  hosts?: HostInfo[];
  /** How every clock domain was put on the timeline, with its error bound. Optional like hosts. */
  clocks?: ClockAlignment[];
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
  /** Work items (Pool tasks, executor calls), by submit time. Optional like `counters`. */
  workItems?: WorkItem[];
  /** Messages between processes (multiprocessing queues and pipes), by send time. Optional
   * like `counters`. */
  messages?: ChannelMessage[];
  /** Holds of multiprocessing locks (from `hold` spans joined to their objects), by begin.
   * Optional like `counters`. */
  lockHolds?: LockHold[];
  /** asyncio (v2): task steps, tasks, their groups by coroutine, loop blocks. Optional like
   * `counters`; the loader always sets them (empty without asyncio). Loop lag is a counter
   * series named "loop_lag:<thread lane id>" per process. */
  taskSteps?: TaskStepColumns;
  tasks?: TaskInfo[];
  taskGroups?: TaskGroup[];
  loopBlocks?: LoopBlock[];
  /** Where the time went, by call path (issue 16): per-sample categories, the call tree of
   * the whole run, time per function and per line (handlers/call-tree.ts). Optional like
   * `counters`; the loader always sets it. */
  callTree?: CallTreeData;
  /** Deadlocks and hangs, lock-order inversions and locks held across blocking calls (issue
   * 12). Optional like `counters`; the loader always sets them (empty when none). */
  stalls?: Stall[];
  lockOrderInversions?: LockOrderInversion[];
  heldAcrossWaits?: HeldAcrossWait[];
}
