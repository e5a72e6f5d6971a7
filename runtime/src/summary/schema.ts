/**
 * The JSON summary printed by `weft summary DIR --json` (and built by `buildSummary`): a
 * stable, documented schema for CI checks and scripts.
 *
 * Versioning: `schemaVersion` is bumped only when a field is removed or changes meaning.
 * Fields are added without a bump, so consumers must ignore fields they do not know.
 * Units: times are milliseconds as floats (rounded to the microsecond) in this schema only,
 * because people read them; the trace and the model keep integer nanoseconds.
 * Every type below documents its fields; SUMMARY_JSON_SCHEMA says the same for tools, and a
 * test validates real summaries against it.
 *
 * History: v1 (Weft 0.1): first version. Added since, without a bump: `locks[].pids`,
 * `workItems`, `messages`, `tasks` and `loopBlocks` (asyncio), `omitted.loopBlocks`, `gpu`,
 * `functions`, `hotPaths`, `lines`, `sampling`, `samplingPeriodMs`, `sampledMs` and
 * `omitted.functions` (time by call path, issue 16);
 * `deadlocks`, `hangs`, `lockOrderInversions`, `heldAcrossWaits`, `locks[].openWaits`,
 * `diagnostics[].code` and `.related` (issue 12).
 */

export const SUMMARY_SCHEMA_VERSION = 1;

/** A line of source code. */
export interface SiteRef {
  /** Absolute path of the file (relative names in the trace are resolved against the
   * process's working directory); pseudo-files such as "<frozen runpy>" as Python names them. */
  file: string;
  /** 1-based line number. */
  line: number;
  /** Qualified name of the function, e.g. "Account.transfer" or "<module>". */
  func: string;
}

export interface ThreadSummary {
  /** The thread's last name. */
  name: string;
  /** Per-process thread id used in the trace: 1 is the main thread, then in order of start. */
  tid: number;
  /** The OS thread id (Linux TID); 0 when unknown. */
  nativeId: number;
  daemon: boolean;
  /** Wall time the thread was alive in the trace: from its start (or the agent's) to its end
   * (or its process's). runMs = cpuMs + sum(waitMs) + gilWaitEstimateMs, up to rounding. */
  runMs: number;
  /** CPU time from the thread's own CPU clock; null where the platform offers none. */
  cpuMs: number | null;
  /** Time inside recorded waits, by reason ("lock", "condition", "queue_get", "sleep", "join",
   * ...; see WAIT_REASONS in format/spec.ts). Overlapping waits are counted once. Reasons with
   * no wait are absent. */
  waitMs: Record<string, number>;
  /** ESTIMATE: alive, not in a recorded wait and not on the CPU: runnable but not running,
   * which on CPython is mostly waiting for the GIL. Null when cpuMs is null. */
  gilWaitEstimateMs: number | null;
}

/**
 * A lane that is not a thread (added with trace format v2): an asyncio task, a greenlet, a GPU
 * queue, an MPI rank, a task-queue worker. Thread-only figures (CPU, GIL estimate) have no
 * meaning here and are absent.
 */
export interface LaneSummary {
  /** A LANE_KINDS value of format/spec.ts, or "unknown" for a kind a newer Weft wrote. */
  kind: string;
  name: string;
  /** The lane this one runs on or was created by (a task's thread), by name; null if none. */
  parent: string | null;
  /** The clock its times were written on when not its process's (they are converted). */
  clockDomain: string | null;
  runMs: number;
  waitMs: Record<string, number>;
}

/** A machine of the trace (format v2 header `host`); v1 traces have one, with empty names. */
export interface HostSummary {
  name: string;
  id: string;
}

/** How a clock was put on the trace's timeline (model ClockAlignment), with its bound. */
export interface ClockSummary {
  domain: string;
  /** Index into `hosts`. */
  host: number;
  method: string;
  offsetMs: number;
  /** Bound on the error of converted times; null when not measured (an estimate). */
  errorMs: number | null;
}

export interface ProcessSummary {
  pid: number;
  /** Index into Summary.hosts (added with format v2; absent: host 0). */
  host?: number;
  ppid: number;
  /** "main" for the launched program, else how it began: "fork", "spawn", "forkserver",
   * "subprocess", "exec". */
  startMethod: string;
  /** Exit status; null when unknown or killed by a signal (see endReason). */
  exitCode: number | null;
  /** "exit", "signal", "os_exit", "exec", "killed by SIGKILL", ...; null when unknown. */
  endReason: string | null;
  /** The program's argv as Python saw it (sys.argv). */
  argv: string[];
  /** What the process is, for people: "Pool worker 2 (spawn)", "fork server", "resource
   * tracker", "orders.py --fast", "sleep 0.2". Absent in summaries written before it. */
  label?: string;
  /** True when its parent sent the signal it died of (Pool.terminate, Popen.kill): an ending the
   * program chose, not a crash. Absent when false. */
  endedByParent?: boolean;
  /** False when the process's trace has no end record (killed or crashed). */
  complete: boolean;
  /** Wall time from the agent's start in the process to its last event (for an untraced
   * process, from its parent's start record to its parent's exit record or end). */
  durationMs: number;
  /** Empty for an untraced process. */
  threads: ThreadSummary[];
  /** Lanes that are not threads (tasks, GPU queues, ranks, ...), in start order. Added with
   * format v2; absent when the process has none. */
  lanes?: LaneSummary[];
  /** False for a child process with no trace of its own: a program that is not Python (e.g.
   * `sleep`, `sh`) started by a traced process, known only from its parent's records (argv,
   * start, and exit code or signal when the parent reaped it). Then `complete` says whether
   * the parent saw it end. True for a traced process; absent in summaries written before it. */
  traced?: boolean;
}

/** One thread's part in a contended object's waits. */
export interface ThreadStat {
  /** Thread name. */
  thread: string;
  /** Holders: the line the holder was executing when the waiter began to wait (for a lock
   * held across a slow call, that call). Waiters: the line where the thread waited. Null when
   * unknown (for conditions, events and queues the releasing thread's line is not recorded). */
  site: SiteRef | null;
  /** Number of waits attributed to this thread at this line. */
  waits: number;
  /** Their total duration. */
  waitMs: number;
  /** Only in the rows of an object shared between processes (see LockSummary.pids): the
   * thread's process, since thread names repeat across processes. */
  pid?: number;
}

export interface LockSummary {
  /** Object kind: "lock", "rlock", "condition", "semaphore", "bounded_semaphore", "event",
   * "barrier", "queue", ... (OBJECT_KINDS in format/spec.ts). Waits on a primitive's internal
   * locks and conditions count for the primitive. */
  kind: string;
  /** Readable name (the variable or attribute it was assigned to at creation), or "". */
  name: string;
  /** The process the object lives in; for a multiprocessing object seen by several
   * processes (one globalKey), the first of them in pid order, usually its creator. */
  pid: number;
  /** Only for a multiprocessing object (Lock, Queue, ...) shared between processes: every
   * process whose trace names it, ascending. Its waits and acquisitions in all of them are
   * counted together in this row. Absent for an object of one process (then `pid`). */
  pids?: number[];
  /** Creation site, or null when it was created before the agent loaded. */
  site: SiteRef | null;
  /** Acquisitions seen, contended or not (at least `contentions`). For locks and rlocks, the
   * acquire calls; for other kinds, the acquisitions of their internal lock (a rough count of
   * operations on the object). */
  acquisitions: number;
  /** Waits on the object: acquisitions that blocked, and blocking gets, puts, waits. */
  contentions: number;
  /** Total time threads waited on it. */
  waitMs: number;
  maxWaitMs: number;
  /** Nearest-rank percentiles of single wait durations. */
  p50WaitMs: number;
  p95WaitMs: number;
  /** Time during which at least one thread waited on it (union of the waits). */
  contendedHoldMs: number;
  /** Who made the waiting, most first: for locks the thread holding it when each wait began,
   * with the line it held it at; for conditions, events, queues and semaphores the thread
   * whose release, notify, set or put let the waiter go. */
  holders: ThreadStat[];
  /** Who waited, and where, most first. */
  waiters: ThreadStat[];
  /** Waits on it that never ended (still waiting when the process stopped, or when it was
   * killed): a deadlock or a hang. Added without a schema bump; present only when > 0. */
  openWaits?: number;
}

export interface HotspotSummary {
  /** The innermost line of the user's code in sampled stacks (library frames skipped). */
  file: string;
  line: number;
  func: string;
  /** ESTIMATE from samples (samples x achieved sampling period): time spent running (or
   * runnable) with this line innermost. */
  cpuMs: number;
  /** ESTIMATE from samples: time spent inside a recorded wait called from this line. */
  waitMs: number;
  /** Number of samples behind the two estimates. */
  samples: number;
}

/** Statistics of one duration over a set of work items (those for which it is known). */
export interface DurationStats {
  /** How many items the figures below are over (items where both ends of it are known). */
  count: number;
  /** Nearest-rank percentiles and the maximum of single items; 0 when `count` is 0. */
  p50: number;
  p95: number;
  max: number;
  /** Sum over the items. */
  total: number;
}

/** Work items of one function. */
export interface WorkFunctionSummary {
  /** The function's qualified name, e.g. "square" or "Model.fit"; "" for items whose function
   * is unknown because they never finished (a worker names the function when it returns). */
  function: string;
  /** The function's `def` line, or null when unknown. */
  site: SiteRef | null;
  /** Work items submitted (or seen) for it. */
  count: number;
  /** Of those, how many ran to the end (the function returned in the worker). */
  completed: number;
  /** Time in the pool's queue: from submit to the moment a worker took the item (ms). */
  queueWaitMs: DurationStats;
  /** Time the worker ran the function: from taking the item to its return (ms). */
  runMs: DurationStats;
  /** Worker processes that took its items, with how many each, most first. */
  workers: { pid: number; count: number }[];
}

/** multiprocessing Pool tasks (one per apply_async call, or per chunk of map/imap/starmap)
 * and ProcessPoolExecutor calls. */
export interface WorkItemsSummary {
  /** Work items seen: submitted, taken or run. */
  count: number;
  /** Those whose function returned. count - completed never finished: still queued or
   * running at the end, or their worker was killed. */
  completed: number;
  /** By function, most total run time first. */
  byFunction: WorkFunctionSummary[];
}

/** Messages through one queue or pipe. */
export interface ChannelSummary {
  /** "queue" (multiprocessing Queue, SimpleQueue, JoinableQueue) or "pipe" (Pipe()). */
  kind: string;
  /** The object's readable name (the variable it was assigned to), or "" when unknown. */
  object: string;
  /** Where the queue or pipe was created, or null when unknown. */
  site: SiteRef | null;
  /** Messages put or sent on it. */
  count: number;
  /** Bytes received: the pickled size of each message taken from it. */
  bytes: number;
  /** Messages put or sent that no process took (still queued at the end, or the receiver
   * was killed). */
  unreceived: number;
  /** Received messages by sending and receiving process, most first. */
  routes: { fromPid: number; toPid: number; count: number; bytes: number }[];
}

/** Messages between processes through multiprocessing queues and pipes. */
export interface MessagesSummary {
  /** Messages put or sent. */
  count: number;
  /** Bytes received (pickled sizes). */
  bytes: number;
  /** Messages no process took. */
  unreceived: number;
  /** By queue or pipe, most messages first. */
  byChannel: ChannelSummary[];
}

/** asyncio tasks of one coroutine function in one process (added without a schema bump). */
export interface TaskGroupSummary {
  pid: number;
  /** "task" (asyncio) or "greenlet" (gevent, eventlet; `coroutine` is then the greenlet's
   * function). Added with greenlets; absent in older summaries, which mean "task". */
  kind?: 'task' | 'greenlet';
  /** Qualified name of the coroutine function, e.g. "handle" or "Server.serve"; "" when the
   * agent could not tell. */
  coroutine: string;
  /** The coroutine function's `def` line, or null when unknown. */
  site: SiteRef | null;
  /** The line that created most of its tasks (create_task, gather, TaskGroup), or null. */
  createdAt: SiteRef | null;
  /** Tasks of this coroutine. */
  count: number;
  /** Time its tasks' coroutines actually ran on the loop thread (the sum of their steps). */
  runMs: number;
  /** Time its tasks spent in recorded awaits, by reason ("lock", "sleep", "task", "gather",
   * "socket", "stream_read", ...; WAIT_REASONS in format/spec.ts). */
  awaitMs: Record<string, number>;
  /** Nearest-rank percentiles and maximum of task durations (creation to end), over the
   * tasks that ended in the trace; null when none did. */
  p50DurationMs: number | null;
  p95DurationMs: number | null;
  maxDurationMs: number | null;
  /** Tasks that ended cancelled, and with an exception. */
  cancelled: number;
  failed: number;
}

/** One event-loop block: a step or callback that kept the loop from running anything else
 * (added without a schema bump). */
export interface LoopBlockSummary {
  pid: number;
  /** The loop thread's name. */
  thread: string;
  /** The task whose step blocked, by name; null for a plain callback. */
  task: string | null;
  /** When it began, from the start of the trace. */
  beginMs: number;
  durationMs: number;
  /** The line that was running (null when unknown: sampling off and no wait recorded). */
  file: string | null;
  line: number | null;
  function: string | null;
  /** How the line was found: "wait" (a blocking call the agent recorded inside the block, such
   * as time.sleep: exact), "samples" (the user line most stack samples within it show: an
   * estimate), null (not found). */
  siteSource: 'wait' | 'samples' | null;
  /** Tasks that were ready to run (or whose timers fell due) while it ran, by name (at most
   * 20), and how many there were. */
  delayed: string[];
  delayedCount: number;
}

/** One GPU queue (a `gpu-queue` lane, e.g. a PyOpenCL CommandQueue), added without a schema
 * bump. Times are on the timeline (converted from the device's clock). */
export interface GpuQueueSummary {
  pid: number;
  /** The lane's name: device and queue ("pthread-AMD EPYC queue 1"). */
  name: string;
  /** The thread that created it, by name; null if unknown. */
  thread: string | null;
  /** Where it was created. */
  site: SiteRef | null;
  /** The queue's life: from its creation to the end of its lane (its process's end). */
  lifeMs: number;
  /** Time the device ran at least one of its operations (the union of the spans). */
  busyMs: number;
  /** lifeMs − busyMs. */
  idleMs: number;
  kernels: number;
  copies: number;
  fills: number;
  /** Bytes of the copies (from the launches' sizes; copies of unknown size count 0). */
  bytesCopied: number;
  /** Achieved copy bandwidth: bytesCopied over the copies' device time, in GB/s (10^9 B/s);
   * null without sized copies. Added without a schema bump. */
  copyGBps?: number | null;
  /** Host threads waiting for it (finish, event waits, blocking copies: reason gpu_sync). */
  hostStallMs: number;
  /** Those waits by line, most time first (at most 10). `waitedFor`: the operation that
   * ended last within the line's longest wait (on this queue, else on another GPU queue of the
   * process), or null; added without a schema bump. */
  stalls: { site: SiteRef | null; thread: string; waits: number; waitMs: number; waitedFor?: { kind: string; name: string } | null }[];
  /** Launch → start on the device over the queue's launch flows, or null without launches;
   * added without a schema bump. */
  queueGap?: { launches: number; meanMs: number; p95Ms: number; maxMs: number } | null;
  /** Kernels by name, most device time first (at most 10); site is the launching line. */
  byKernel: { name: string; site: SiteRef | null; count: number; totalMs: number }[];
}

// ---- Time by call path (issue 16) ---------------------------------------------------------

/**
 * Time per function, from the stack samples (every figure is an ESTIMATE: samples × the
 * achieved sampling period of their process). A function is (file, def line, qualified name).
 * `totalMs` is the time the function was on the stack (inclusive; a recursive function is
 * counted once per sample, not once per frame), `selfMs` the time it was the innermost frame.
 */
export interface FunctionSummary {
  file: string;
  /** The `def` line; for traces written before the agent recorded it, the lowest sampled
   * line of the function (then `defLine` is false). */
  line: number;
  defLine: boolean;
  /** Qualified name ("Account.transfer", "<module>"). */
  name: string;
  /** Standard library, pseudo-file ("<frozen runpy>") or Weft's own frames. */
  library: boolean;
  selfMs: number;
  totalMs: number;
  /** totalMs / sampledMs: the share of all sampled time (all lanes) it was on the stack. */
  share: number;
  /** Of totalMs: on a CPU. */
  runningMs: number;
  /** Of totalMs, ESTIMATE: running but not on a CPU (its thread's CPU clock advanced for
   * less than half the interval: mostly GIL wait, or native code Weft does not record). */
  notOnCpuEstimateMs: number;
  /** Of totalMs: inside recorded waits, by reason ("lock", "sleep", "queue_get", ...; see
   * WAIT_REASONS; "unknown" when no recorded wait covered a WAITING sample). */
  waitingMs: Record<string, number>;
  /** Samples with the function on the stack, and with it innermost. */
  samples: number;
  selfSamples: number;
  /** The functions that called it and that it called, most time first (at most 5 each): the
   * time of each call edge (the callee's inclusive time under that caller). Absent for
   * functions with neither. */
  callers?: CallEdgeSummary[];
  callees?: CallEdgeSummary[];
}

/** One edge of the call graph, seen from a function. */
export interface CallEdgeSummary {
  name: string;
  file: string;
  /** The other function's def line (as in FunctionSummary.line). */
  line: number;
  ms: number;
}

/** One frame of a hot path. */
export interface PathFrame {
  file: string;
  /** The function's def line (as in FunctionSummary.line). */
  line: number;
  name: string;
}

/** A hot call path: root to leaf, library frames folded into their callers (the leaf is the
 * user's function that was innermost, or that called the library code that was). */
export interface HotPathSummary {
  frames: PathFrame[];
  /** Time with exactly this path innermost (ESTIMATE). */
  selfMs: number;
  /** Time with this path on the stack (its leaf's inclusive time on this path). */
  totalMs: number;
  samples: number;
}

/** Time per line: the gutter heat of the editor (ESTIMATES, like every sampled figure). */
export interface LineTimeSummary {
  file: string;
  line: number;
  /** Function the line belongs to. */
  func: string;
  /** Time with the line innermost, and with it anywhere on the stack (counted once per sample). */
  selfMs: number;
  totalMs: number;
}

/** The sampling each process achieved (never the configured rate assumed). */
export interface SamplingSummary {
  pid: number;
  /** The rate asked for (`--sample-hz`). */
  requestedHz: number;
  /** First to last tick over the ticks: what one sample stands for. 0 when it did not sample. */
  periodMs: number;
}

export interface DiagnosticSummary {
  severity: 'info' | 'warning' | 'error';
  /** One sentence a person can act on, with the line to look at. */
  message: string;
  /** The line the finding is about, or null. */
  site: SiteRef | null;
  /** The process it is about, or null. */
  pid: number | null;
  /** What the finding is, for tools: "deadlock", "hang", "lock-order-inversion",
   * "lock-held-across-wait". Added without a schema bump; absent on other findings. */
  code?: DiagnosticCodeSummary;
  /** Other lines the finding is about (the other members of a deadlock, the other path of an
   * inversion), each with what happens there. Added without a schema bump; absent when none. */
  related?: { site: SiteRef; message: string }[];
}

/** The `code` of a diagnostic (issue 12). */
export type DiagnosticCodeSummary = 'deadlock' | 'hang' | 'lock-order-inversion' | 'lock-held-across-wait';

/** A synchronisation object named in a stall, an inversion or a held-across wait. */
export interface ObjectRefSummary {
  /** Readable name, or "" when it has none. */
  name: string;
  /** OBJECT_KINDS value ("lock", "rlock", ...). */
  kind: string;
  /** Where it was created, or null. */
  site: SiteRef | null;
}

/** One thread of a deadlock or hang (added without a schema bump). */
export interface StallMemberSummary {
  thread: string;
  /** What it waits for; null when unknown (a wait the agent could not name). */
  object: ObjectRefSummary | null;
  /** The line of its waiting call, or null. */
  waitSite: SiteRef | null;
  /** Deadlocks: the member that holds (or, for a join, is) what this one waits for: the next
   * member, the last one's is the first. Null for hangs. */
  heldBy: string | null;
  /** Its stack when the stall was found, innermost first (empty when unknown). */
  stack: SiteRef[];
}

/** A deadlock or hang (added without a schema bump). */
export interface StallSummary {
  pid: number;
  kind: 'deadlock' | 'hang';
  /** "watchdog": the agent's watchdog found it while the program ran (a `D` record);
   * "open-waits": found in the waits still open when the process stopped (killed before the
   * watchdog fired, or the watchdog was off): evidence, not the watchdog's proof. */
  source: 'watchdog' | 'open-waits';
  /** When it was found, from the start of the trace (for "open-waits", when its last member
   * began to wait). */
  detectedAtMs: number;
  /** Deadlocks: in cycle order (member i waits for what member i+1 holds, the last for what
   * member 0 holds). Hangs: every blocked thread, main first. */
  members: StallMemberSummary[];
  /** The one sentence of summary/stall-text.ts: "deadlock: t1 waits for B (created at x.py:6)
   * held by t2 at x.py:18; t2 waits for A (created at x.py:5) held by t1 at x.py:12". */
  sentence: string;
}

/** One of the two orders of a lock-order inversion. */
export interface LockOrderPathSummary {
  thread: string;
  /** Where it took the lock it took first, and where it then took the other one. */
  firstSite: SiteRef | null;
  secondSite: SiteRef | null;
}

/** Two locks taken in opposite orders by two threads (added without a schema bump). */
export interface LockOrderInversionSummary {
  pid: number;
  /** When the second order was first seen, from the start of the trace. */
  detectedAtMs: number;
  first: ObjectRefSummary | null;
  second: ObjectRefSummary | null;
  /** paths[0] took `first` then `second`; paths[1] took `second` then `first`. */
  paths: LockOrderPathSummary[];
  sentence: string;
}

/** A lock held across blocking calls while others waited for it (added without a schema bump):
 * the blocking calls at one line, on one lock. */
export interface HeldAcrossWaitSummary {
  pid: number;
  lock: ObjectRefSummary | null;
  /** The blocking call's line, and its wait reason ("sleep", "socket_recv", "join", "lock", ...). */
  site: SiteRef | null;
  reason: string;
  /** What the blocking call waited on (the other lock, the socket), or null. */
  blockingObject: ObjectRefSummary | null;
  /** Threads that blocked there holding the lock. */
  holders: string[];
  /** Blocking calls, their total and longest duration: how long the lock was held blocked. */
  occurrences: number;
  heldMs: number;
  longestMs: number;
  /** Threads that waited for the lock during those calls, their waits, and the waiting time
   * that overlaps the calls (summed over waits; waiting before the holder blocked is not in it). */
  waiters: string[];
  waits: number;
  waitedMs: number;
  /** "lock "X" held across time.sleep at app.py:9 (1.20 s); 3 threads waited 3.60 s behind it". */
  sentence: string;
}

export interface Summary {
  schemaVersion: number;
  /** Version of the trace format that was read (format/spec.ts). */
  formatVersion: number;
  /** From the first event to the last, over all processes. */
  durationMs: number;
  /** In trace order (by pid, then start). */
  processes: ProcessSummary[];
  /** Machines, host 0 first (its clock is the timeline's). Added with format v2. */
  hosts?: HostSummary[];
  /** Every clock domain and how it was converted. Added with format v2. */
  clocks?: ClockSummary[];
  /** Synchronisation objects that made threads wait, by total wait, most first (at most
   * `limits.locks`; see `omitted`). */
  locks: LockSummary[];
  /** Deadlocks and hangs (issue 12), by process and time; empty when none. Added without a
   * schema bump: absent in older summaries, always set by buildSummary. */
  deadlocks?: StallSummary[];
  hangs?: StallSummary[];
  /** Lock-order inversions (only when the agent ran its lock-order mode); empty when none.
   * Added like `deadlocks`. */
  lockOrderInversions?: LockOrderInversionSummary[];
  /** Locks held across blocking calls, most waiting caused first; empty when none. Added like
   * `deadlocks`. */
  heldAcrossWaits?: HeldAcrossWaitSummary[];
  /** Lines by sampled time, most first (at most `limits.hotspots`). Empty when sampling was
   * off. */
  hotspots: HotspotSummary[];
  diagnostics: DiagnosticSummary[];
  /** Problems reading the trace: processes cut short, skipped records, agent warnings. */
  warnings: string[];
  /** How many locks and hotspots (and loop blocks, present only when some were) were left out
   * of the lists above by the limits. */
  omitted: { locks: number; hotspots: number; loopBlocks?: number; functions?: number };
  /** Work items (multiprocessing Pool tasks, ProcessPoolExecutor calls); count 0 when the
   * program had none. Added in Weft 0.1 without a schema bump. */
  workItems: WorkItemsSummary;
  /** Messages between processes (multiprocessing queues and pipes); count 0 when none.
   * Added in Weft 0.1 without a schema bump. */
  messages: MessagesSummary;
  /** asyncio tasks by coroutine function, most run time first; empty without asyncio. Added
   * without a schema bump: absent in older summaries, always set by buildSummary. */
  tasks?: TaskGroupSummary[];
  /** Event-loop blocks, longest first (at most `limits.loopBlocks`, see `omitted`); empty
   * without asyncio. Added without a schema bump: absent in older summaries, always set by buildSummary. */
  loopBlocks?: LoopBlockSummary[];
  /** GPU queues, in lane order. Added without a schema bump: present only when the trace
   * has GPU queue lanes. */
  gpu?: GpuQueueSummary[];
  /** Time by function, most inclusive time first (at most `limits.functions`; see
   * `omitted.functions`); empty when sampling was off. Added without a schema bump (issue 16):
   * absent in older summaries, always set by buildSummary. */
  functions?: FunctionSummary[];
  /** The hottest call paths, most self time first (at most 10). Added like `functions`. */
  hotPaths?: HotPathSummary[];
  /** Lines of the user's code by inclusive time (at most `limits.lines`). Added like `functions`. */
  lines?: LineTimeSummary[];
  /** Sampling achieved per process. Added like `functions`. */
  sampling?: SamplingSummary[];
  /** The achieved sampling period, ms: the sample-weighted mean over processes; null when
   * nothing was sampled. Added like `functions`. */
  samplingPeriodMs?: number | null;
  /** All sampled time (samples × period, over every lane): what `share` divides by. */
  sampledMs?: number;
}

const siteRef = {
  anyOf: [
    { type: 'null' },
    {
      type: 'object', required: ['file', 'line', 'func'],
      properties: { file: { type: 'string' }, line: { type: 'integer' }, func: { type: 'string' } },
    },
  ],
} as const;
const num = { type: 'number', minimum: 0 } as const;
const nullableNum = { anyOf: [{ type: 'null' }, num] } as const;
const int = { type: 'integer', minimum: 0 } as const;
const durationStats = {
  type: 'object', required: ['count', 'p50', 'p95', 'max', 'total'],
  properties: { count: int, p50: num, p95: num, max: num, total: num },
} as const;
const threadStat = {
  type: 'object', required: ['thread', 'site', 'waits', 'waitMs'],
  properties: { thread: { type: 'string' }, site: siteRef, waits: { type: 'integer', minimum: 0 }, waitMs: num, pid: { type: 'integer' } },
} as const;

const callEdge = {
  type: 'object', required: ['name', 'file', 'line', 'ms'],
  properties: { name: { type: 'string' }, file: { type: 'string' }, line: { type: 'integer' }, ms: num },
} as const;
const objectRef = {
  anyOf: [
    { type: 'null' },
    { type: 'object', required: ['name', 'kind', 'site'], properties: { name: { type: 'string' }, kind: { type: 'string' }, site: siteRef } },
  ],
} as const;
const stallSchema = {
  type: 'object', required: ['pid', 'kind', 'source', 'detectedAtMs', 'members', 'sentence'],
  properties: {
    pid: { type: 'integer' }, kind: { type: 'string', enum: ['deadlock', 'hang'] }, source: { type: 'string', enum: ['watchdog', 'open-waits'] },
    detectedAtMs: num, sentence: { type: 'string' },
    members: {
      type: 'array',
      items: {
        type: 'object', required: ['thread', 'object', 'waitSite', 'heldBy', 'stack'],
        properties: {
          thread: { type: 'string' }, object: objectRef, waitSite: siteRef,
          heldBy: { anyOf: [{ type: 'null' }, { type: 'string' }] }, stack: { type: 'array', items: siteRef },
        },
      },
    },
  },
} as const;

/**
 * JSON Schema (draft 2020-12) of {@link Summary}. Only the keywords type, required,
 * properties, items, anyOf, enum, minimum and additionalProperties (as a schema) are used,
 * so a small validator can check it.
 */
export const SUMMARY_JSON_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://weft.dev/schemas/summary-v1.json',
  title: 'Weft summary',
  type: 'object',
  required: [
    'schemaVersion', 'formatVersion', 'durationMs', 'processes', 'locks', 'hotspots', 'diagnostics', 'warnings', 'omitted',
    'workItems', 'messages',
  ],
  properties: {
    schemaVersion: { type: 'integer', enum: [SUMMARY_SCHEMA_VERSION] },
    formatVersion: { type: 'integer' },
    durationMs: num,
    processes: {
      type: 'array',
      items: {
        type: 'object',
        required: ['pid', 'ppid', 'startMethod', 'exitCode', 'endReason', 'argv', 'complete', 'durationMs', 'threads'],
        properties: {
          pid: { type: 'integer' }, ppid: { type: 'integer' }, startMethod: { type: 'string' },
          exitCode: { anyOf: [{ type: 'null' }, { type: 'integer' }] },
          endReason: { anyOf: [{ type: 'null' }, { type: 'string' }] },
          argv: { type: 'array', items: { type: 'string' } }, complete: { type: 'boolean' }, durationMs: num,
          traced: { type: 'boolean' },
          label: { type: 'string' }, endedByParent: { type: 'boolean' },
          host: { type: 'integer' },
          lanes: {
            type: 'array',
            items: {
              type: 'object',
              required: ['kind', 'name', 'parent', 'clockDomain', 'runMs', 'waitMs'],
              properties: {
                kind: { type: 'string' }, name: { type: 'string' },
                parent: { anyOf: [{ type: 'null' }, { type: 'string' }] },
                clockDomain: { anyOf: [{ type: 'null' }, { type: 'string' }] },
                runMs: num, waitMs: { type: 'object', additionalProperties: num },
              },
            },
          },
          threads: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name', 'tid', 'nativeId', 'daemon', 'runMs', 'cpuMs', 'waitMs', 'gilWaitEstimateMs'],
              properties: {
                name: { type: 'string' }, tid: { type: 'integer' }, nativeId: { type: 'integer' },
                daemon: { type: 'boolean' }, runMs: num, cpuMs: nullableNum,
                waitMs: { type: 'object', additionalProperties: num },
                gilWaitEstimateMs: nullableNum,
              },
            },
          },
        },
      },
    },
    hosts: {
      type: 'array',
      items: { type: 'object', required: ['name', 'id'], properties: { name: { type: 'string' }, id: { type: 'string' } } },
    },
    clocks: {
      type: 'array',
      items: {
        type: 'object', required: ['domain', 'host', 'method', 'offsetMs', 'errorMs'],
        properties: { domain: { type: 'string' }, host: { type: 'integer' }, method: { type: 'string' }, offsetMs: num, errorMs: nullableNum },
      },
    },
    locks: {
      type: 'array',
      items: {
        type: 'object',
        required: ['kind', 'name', 'pid', 'site', 'acquisitions', 'contentions', 'waitMs', 'maxWaitMs', 'p50WaitMs', 'p95WaitMs', 'contendedHoldMs', 'holders', 'waiters'],
        properties: {
          kind: { type: 'string' }, name: { type: 'string' }, pid: { type: 'integer' }, pids: { type: 'array', items: { type: 'integer' } }, site: siteRef,
          acquisitions: { type: 'integer', minimum: 0 }, contentions: { type: 'integer', minimum: 0 }, waitMs: num,
          maxWaitMs: num, p50WaitMs: num, p95WaitMs: num, contendedHoldMs: num,
          holders: { type: 'array', items: threadStat }, waiters: { type: 'array', items: threadStat },
          openWaits: int,
        },
      },
    },
    deadlocks: { type: 'array', items: stallSchema },
    hangs: { type: 'array', items: stallSchema },
    lockOrderInversions: {
      type: 'array',
      items: {
        type: 'object', required: ['pid', 'detectedAtMs', 'first', 'second', 'paths', 'sentence'],
        properties: {
          pid: { type: 'integer' }, detectedAtMs: num, first: objectRef, second: objectRef, sentence: { type: 'string' },
          paths: {
            type: 'array',
            items: {
              type: 'object', required: ['thread', 'firstSite', 'secondSite'],
              properties: { thread: { type: 'string' }, firstSite: siteRef, secondSite: siteRef },
            },
          },
        },
      },
    },
    heldAcrossWaits: {
      type: 'array',
      items: {
        type: 'object',
        required: ['pid', 'lock', 'site', 'reason', 'blockingObject', 'holders', 'occurrences', 'heldMs', 'longestMs', 'waiters', 'waits', 'waitedMs', 'sentence'],
        properties: {
          pid: { type: 'integer' }, lock: objectRef, site: siteRef, reason: { type: 'string' }, blockingObject: objectRef,
          holders: { type: 'array', items: { type: 'string' } }, occurrences: int, heldMs: num, longestMs: num,
          waiters: { type: 'array', items: { type: 'string' } }, waits: int, waitedMs: num, sentence: { type: 'string' },
        },
      },
    },
    hotspots: {
      type: 'array',
      items: {
        type: 'object', required: ['file', 'line', 'func', 'cpuMs', 'waitMs', 'samples'],
        properties: {
          file: { type: 'string' }, line: { type: 'integer' }, func: { type: 'string' }, cpuMs: num, waitMs: num,
          samples: { type: 'integer', minimum: 0 },
        },
      },
    },
    diagnostics: {
      type: 'array',
      items: {
        type: 'object', required: ['severity', 'message', 'site', 'pid'],
        properties: {
          severity: { type: 'string', enum: ['info', 'warning', 'error'] }, message: { type: 'string' }, site: siteRef,
          pid: { anyOf: [{ type: 'null' }, { type: 'integer' }] },
          code: { type: 'string', enum: ['deadlock', 'hang', 'lock-order-inversion', 'lock-held-across-wait'] },
          related: {
            type: 'array',
            items: { type: 'object', required: ['site', 'message'], properties: { site: siteRef, message: { type: 'string' } } },
          },
        },
      },
    },
    warnings: { type: 'array', items: { type: 'string' } },
    omitted: {
      type: 'object', required: ['locks', 'hotspots'],
      properties: { locks: { type: 'integer', minimum: 0 }, hotspots: { type: 'integer', minimum: 0 }, loopBlocks: int, functions: int },
    },
    tasks: {
      type: 'array',
      items: {
        type: 'object',
        required: ['pid', 'coroutine', 'site', 'createdAt', 'count', 'runMs', 'awaitMs', 'p50DurationMs', 'p95DurationMs', 'maxDurationMs', 'cancelled', 'failed'],
        properties: {
          pid: { type: 'integer' }, kind: { enum: ['task', 'greenlet'] }, coroutine: { type: 'string' }, site: siteRef, createdAt: siteRef, count: int, runMs: num,
          awaitMs: { type: 'object', additionalProperties: num },
          p50DurationMs: nullableNum, p95DurationMs: nullableNum, maxDurationMs: nullableNum, cancelled: int, failed: int,
        },
      },
    },
    loopBlocks: {
      type: 'array',
      items: {
        type: 'object',
        required: ['pid', 'thread', 'task', 'beginMs', 'durationMs', 'file', 'line', 'function', 'siteSource', 'delayed', 'delayedCount'],
        properties: {
          pid: { type: 'integer' }, thread: { type: 'string' }, task: { anyOf: [{ type: 'null' }, { type: 'string' }] },
          beginMs: num, durationMs: num,
          file: { anyOf: [{ type: 'null' }, { type: 'string' }] }, line: { anyOf: [{ type: 'null' }, { type: 'integer' }] },
          function: { anyOf: [{ type: 'null' }, { type: 'string' }] },
          siteSource: { anyOf: [{ type: 'null' }, { type: 'string', enum: ['wait', 'samples'] }] },
          delayed: { type: 'array', items: { type: 'string' } }, delayedCount: int,
        },
      },
    },
    gpu: {
      type: 'array',
      items: {
        type: 'object',
        required: ['pid', 'name', 'thread', 'site', 'lifeMs', 'busyMs', 'idleMs', 'kernels', 'copies', 'fills', 'bytesCopied', 'hostStallMs', 'stalls', 'byKernel'],
        properties: {
          pid: { type: 'integer' }, name: { type: 'string' }, thread: { anyOf: [{ type: 'null' }, { type: 'string' }] }, site: siteRef,
          lifeMs: num, busyMs: num, idleMs: num, kernels: int, copies: int, fills: int, bytesCopied: int,
          copyGBps: { anyOf: [{ type: 'null' }, num] }, hostStallMs: num,
          stalls: {
            type: 'array',
            items: {
              type: 'object', required: ['site', 'thread', 'waits', 'waitMs'],
              properties: {
                site: siteRef, thread: { type: 'string' }, waits: int, waitMs: num,
                waitedFor: {
                  anyOf: [{ type: 'null' }, {
                    type: 'object', required: ['kind', 'name'],
                    properties: { kind: { type: 'string' }, name: { type: 'string' } },
                  }],
                },
              },
            },
          },
          queueGap: {
            anyOf: [{ type: 'null' }, {
              type: 'object', required: ['launches', 'meanMs', 'p95Ms', 'maxMs'],
              properties: { launches: int, meanMs: num, p95Ms: num, maxMs: num },
            }],
          },
          byKernel: {
            type: 'array',
            items: {
              type: 'object', required: ['name', 'site', 'count', 'totalMs'],
              properties: { name: { type: 'string' }, site: siteRef, count: int, totalMs: num },
            },
          },
        },
      },
    },
    // Time by call path (issue 16).
    functions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['file', 'line', 'defLine', 'name', 'library', 'selfMs', 'totalMs', 'share', 'runningMs', 'notOnCpuEstimateMs', 'waitingMs', 'samples', 'selfSamples'],
        properties: {
          file: { type: 'string' }, line: { type: 'integer' }, defLine: { type: 'boolean' }, name: { type: 'string' }, library: { type: 'boolean' },
          selfMs: num, totalMs: num, share: num, runningMs: num, notOnCpuEstimateMs: num,
          waitingMs: { type: 'object', additionalProperties: num }, samples: int, selfSamples: int,
          callers: { type: 'array', items: callEdge }, callees: { type: 'array', items: callEdge },
        },
      },
    },
    hotPaths: {
      type: 'array',
      items: {
        type: 'object', required: ['frames', 'selfMs', 'totalMs', 'samples'],
        properties: {
          frames: {
            type: 'array',
            items: { type: 'object', required: ['file', 'line', 'name'], properties: { file: { type: 'string' }, line: { type: 'integer' }, name: { type: 'string' } } },
          },
          selfMs: num, totalMs: num, samples: int,
        },
      },
    },
    lines: {
      type: 'array',
      items: {
        type: 'object', required: ['file', 'line', 'func', 'selfMs', 'totalMs'],
        properties: { file: { type: 'string' }, line: { type: 'integer' }, func: { type: 'string' }, selfMs: num, totalMs: num },
      },
    },
    sampling: {
      type: 'array',
      items: { type: 'object', required: ['pid', 'requestedHz', 'periodMs'], properties: { pid: { type: 'integer' }, requestedHz: num, periodMs: num } },
    },
    samplingPeriodMs: nullableNum,
    sampledMs: num,
    workItems: {
      type: 'object', required: ['count', 'completed', 'byFunction'],
      properties: {
        count: int, completed: int,
        byFunction: {
          type: 'array',
          items: {
            type: 'object', required: ['function', 'site', 'count', 'completed', 'queueWaitMs', 'runMs', 'workers'],
            properties: {
              function: { type: 'string' }, site: siteRef, count: int, completed: int, queueWaitMs: durationStats, runMs: durationStats,
              workers: {
                type: 'array',
                items: { type: 'object', required: ['pid', 'count'], properties: { pid: { type: 'integer' }, count: int } },
              },
            },
          },
        },
      },
    },
    messages: {
      type: 'object', required: ['count', 'bytes', 'unreceived', 'byChannel'],
      properties: {
        count: int, bytes: int, unreceived: int,
        byChannel: {
          type: 'array',
          items: {
            type: 'object', required: ['kind', 'object', 'site', 'count', 'bytes', 'unreceived', 'routes'],
            properties: {
              kind: { type: 'string', enum: ['queue', 'pipe'] }, object: { type: 'string' }, site: siteRef, count: int, bytes: int, unreceived: int,
              routes: {
                type: 'array',
                items: {
                  type: 'object', required: ['fromPid', 'toPid', 'count', 'bytes'],
                  properties: { fromPid: { type: 'integer' }, toPid: { type: 'integer' }, count: int, bytes: int },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;
