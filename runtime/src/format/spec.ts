/**
 * The Weft trace format: the one place where it is defined.
 *
 * A trace is a directory. The Python agent writes one file per traced process,
 * named `weft-<pid>-<startSerial>.jsonl` (the serial keeps files apart when the OS reuses a
 * pid within one run). The launcher may add `run.json` (see {@link RunInfo}).
 *
 * Each process file is newline-delimited JSON, written through continuously in small flushes
 * so that a killed process leaves everything but its last flush interval:
 *
 *   line 1      a {@link TraceHeader} object
 *   line 2..n   records: JSON arrays whose first element is a one-character type code
 *   last line   an end record `["Z", ...]`; a file without it was cut short (killed, crashed)
 *
 * Why arrays and not objects: a record is 40-80 bytes instead of 150, and a reader can
 * dispatch on `rec[0]` without building a hidden class per event. Strings that repeat (file
 * names, functions, object names) are interned once in definition records (`S`, `O`, `F`)
 * and referred to by small integer ids that are local to the file.
 *
 * Units: every timestamp is an integer count of nanoseconds. A file's times are on its clock
 * domain (header `clockDomain`, v2: the host's CLOCK_MONOTONIC, `time.perf_counter_ns()` on
 * Linux, which all processes of one machine share since boot), except on a lane that declares
 * its own (`Y`, e.g. a GPU queue's device clock). `M` records pair another domain's time with
 * the file's. The model converts every time onto one timeline, in one stage, before anything
 * reads it (model/clock-alignment.ts). Durations are integer nanoseconds. Conversion to other
 * units happens once, at the edge of a view.
 *
 * Lanes (v2): a lane is anything that runs and can wait: a thread (`T`) or a task, greenlet,
 * GPU queue, MPI rank or task-queue worker (`Y`). Every field that held a thread id in v1
 * holds a lane id, in one per-file namespace, so a v1 file is a v2 file whose lanes are all
 * threads. Hosts (v2): the header names its machine (`host`); a process is (host, pid).
 *
 * Versioning: `version` in the header is bumped when a record changes meaning (v2: tid fields
 * became lane ids, work items are "work"). Adding a record type, appending a field at the end
 * of a record or adding a value to an enum (object kind, wait reason, lane kind, span or flow
 * kind) does NOT bump it: readers skip unknown record types with a warning, ignore extra
 * trailing fields, and keep a record with an unknown enum value, shown as "unknown" with one
 * warning. Each record below says the version that added it. `npm run gen:contract` writes
 * this file's tables as runtime/python/weft/trace_format.json, which the Python agent and its
 * tests read (a test fails when that file is stale).
 *
 * Readers are tolerant: a truncated last line, a missing end record or an unknown record is
 * a warning, and everything before it is kept. Only a first line that is not a Weft header
 * is an error (the file is not a Weft trace).
 */

/** The version this code writes and fully understands. */
export const FORMAT_VERSION = 2;
/** Versions this reader reads fully. A v1 file is a v2 file whose lanes are all threads. */
export const READ_VERSIONS: readonly number[] = [1, 2];
/** The `format` value of every header. */
export const FORMAT_NAME = 'weft-trace';
/**
 * File names of per-process trace files: v2 `weft-<hostId>-<pid>-<serial>.jsonl` (the host id
 * keeps files of two machines apart when they write into one shared folder), v1
 * `weft-<pid>-<serial>.jsonl`. Groups: 1 host id (undefined for v1), 2 pid, 3 serial.
 */
export const PROCESS_FILE_PATTERN = /^weft-(?:([0-9a-f]{12})-)?(\d+)-(\d+)\.jsonl$/;
/** How a v2 agent names its file (the generated contract carries it to Python). */
export const PROCESS_FILE_TEMPLATE = 'weft-{host}-{pid}-{serial}.jsonl';
/** Name of the launcher's run description file in a trace directory. */
export const RUN_FILE = 'run.json';

/** Integer nanoseconds on CLOCK_MONOTONIC. Branded so it cannot be mixed with other numbers. */
export type Ns = number & { readonly __unit: 'ns' };
/** Per-file small integer ids. */
export type SiteId = number;
export type ObjectId = number;
export type FrameId = number;
/** A lane id local to one process file (v2; a thread id in v1): threads and other lanes share
 * one namespace, 1 is the main thread, then in order of first sight. */
export type LaneId = number;
/** v1 name of {@link LaneId}: a thread's lane id. */
export type ThreadId = LaneId;

/** Line 1 of every process file (added in v1). */
export interface TraceHeader {
  format: typeof FORMAT_NAME;
  version: number;
  /** Version of the agent that wrote the file, e.g. "0.1.0". */
  agent: string;
  pid: number;
  ppid: number;
  /** Serial used in the file name; unique per process start within one trace directory. */
  serial: number;
  /** e.g. "3.11.7". */
  python: string;
  /** `sys.implementation.name`, e.g. "cpython". */
  implementation: string;
  /** False on a free-threaded build with the GIL disabled. */
  gil: boolean;
  platform: string;
  /** Always "CLOCK_MONOTONIC" in v1. */
  clock: string;
  /** Monotonic ns when the agent started in this process. */
  startNs: number;
  /** Unix epoch ns at the same instant, to show wall-clock times. */
  wallNs: number;
  argv: string[];
  cwd: string;
  executable: string;
  /** "main" for the launched program, else how the process began: "fork", "spawn",
   * "forkserver", "subprocess", "exec" (unknown Python child). */
  startMethod: string;
  /** Stack sampling rate in Hz; 0 when sampling is off. */
  sampleHz: number;
  /** v2 (optional). The event-loop block threshold in ms the agent used for `B` records. */
  loopBlockMs?: number;
  /** v2 (optional). How long in ms a wait-for cycle, or every thread blocked, must last before
   * the agent's watchdog writes a `D` record; 0 or absent: the watchdog was off. */
  watchdogMs?: number;
  /** v2 (optional). True when the agent tracked the order in which each thread took its locks
   * (the opt-in lock-order mode), so `I` records are possible; absent or false: it did not, and
   * no inversion can be seen in this file. */
  lockOrder?: boolean;
  /** v2. The machine that wrote the file. Absent in v1 files: one unnamed host. */
  host?: HostIdentity;
  /** v2. The clock every time in this file is on (lanes may declare their own, see `Y`), e.g.
   * "monotonic:<host.id>:<boot>": CLOCK_MONOTONIC restarts at boot, so the boot is part of
   * it. Absent in v1 files: the host's monotonic clock. */
  clockDomain?: string;
}

/** v2. Who a host is: files with equal `id` come from one machine. */
export interface HostIdentity {
  /** The hostname, for people. */
  name: string;
  /** A stable machine id (12 hex digits of a hash of /etc/machine-id, else of the hostname). */
  id: string;
  /** The boot id (Linux /proc/sys/kernel/random/boot_id), "" when unknown. */
  boot: string;
}

/** The launcher's `run.json` (added in v1). */
export interface RunInfo {
  format: 'weft-run';
  version: number;
  /** The command line as run (interpreter first). */
  command: string[];
  cwd: string;
  python: string;
  startWallMs: number;
  endWallMs?: number;
  /** Exit code of the root process; null when killed by a signal. */
  exitCode?: number | null;
  signal?: string | null;
}

/**
 * The value a reader gives an enum field (object kind, wait reason, lane kind) that a newer
 * writer used and this reader does not know. Reader-only: no writer writes it. Such a record is
 * kept, shown as "unknown kind", with one warning per value and file.
 */
export const UNKNOWN = 'unknown';

/** Kinds of synchronization objects (`O` records). */
export const OBJECT_KINDS = [
  'lock', 'rlock', 'condition', 'semaphore', 'bounded_semaphore', 'event', 'barrier',
  'queue', 'lifo_queue', 'priority_queue', 'simple_queue', 'thread', 'future',
  // The clock that time.sleep waits on (one per process).
  'timer',
  // Cross-process primitives (multiprocessing), from v1 too.
  'mp_lock', 'mp_rlock', 'mp_semaphore', 'mp_bounded_semaphore', 'mp_condition', 'mp_event',
  'mp_barrier', 'mp_queue', 'mp_simple_queue', 'mp_joinable_queue', 'mp_pipe', 'process',
  // asyncio primitives (added in v2 without a version bump): the same reasons as their
  // threading namesakes, holders and wakers are task lanes.
  'aio_lock', 'aio_semaphore', 'aio_bounded_semaphore', 'aio_event', 'aio_condition',
  'aio_barrier', 'aio_queue', 'aio_lifo_queue', 'aio_priority_queue',
  // What an asyncio task awaits when it is not a primitive: another task (or a gather of
  // tasks), a socket or stream, a subprocess, an executor call (v2, no version bump).
  'task', 'socket', 'stream', 'subprocess',
  // A GPU queue or stream a host thread waits on (finish, a blocking copy, an event wait; v2).
  'gpu_queue',
  // A file descriptor that is not a socket, a host thread blocked reading or writing it: a pipe,
  // a subprocess's stdout, a terminal, a FIFO (v2, no version bump). Sockets are 'socket',
  // named by their endpoint ("tcp 127.0.0.1:8080"); a select/poll/selectors wait is on 'fd'.
  'fd',
  // Reader-only, last so that the writers' values keep their indexes (see UNKNOWN).
  UNKNOWN,
] as const;
export type ObjectKind = (typeof OBJECT_KINDS)[number];

/**
 * Why a lane waited (`W` records). The reason is the operation, the object is what it
 * waited on; `queue_get` on a queue object, `condition` on a Condition, and so on.
 */
export const WAIT_REASONS = [
  'lock', 'rlock', 'condition', 'semaphore', 'event', 'barrier',
  'queue_get', 'queue_put', 'queue_join', 'join', 'sleep', 'future', 'select',
  'mp_lock', 'mp_semaphore', 'mp_queue_get', 'mp_queue_put', 'pipe_recv', 'process_join',
  // asyncio awaits (v2, no version bump; an await on a primitive uses its threading reason):
  // "task" awaits one task, "gather" several (gather, TaskGroup), "wait" asyncio.wait,
  // wait_for, as_completed; "socket" loop.sock_*, "stream_read"/"stream_write" a
  // StreamReader/StreamWriter, "subprocess" an asyncio subprocess, "executor"
  // run_in_executor/to_thread, "future" any other future.
  'task', 'gather', 'wait', 'socket', 'stream_read', 'stream_write', 'subprocess', 'executor',
  // A greenlet that switched to its hub (gevent, eventlet) and waited to be switched back,
  // blocked in a primitive whose code is compiled (gevent's Semaphore, Event, Queue are
  // Cython), so only the user's line that reached it is known (v2, no version bump).
  'hub',
  // A host thread waiting for GPU work: queue.finish(), event.wait(), a blocking copy,
  // torch.cuda.synchronize(), .item() (v2, no version bump).
  'gpu_sync',
  // Blocking I/O of a host thread (v2, no version bump): "socket_recv", "socket_send",
  // "socket_accept", "socket_connect" on a 'socket' object (ssl reads and writes too);
  // "fd_read"/"fd_write" on an 'fd' object (pipe, subprocess output). select/poll/selectors
  // waits use "select" (v1).
  'socket_recv', 'socket_send', 'socket_accept', 'socket_connect', 'fd_read', 'fd_write',
  // Reader-only, last: models index reasons by position (a Uint8 column), see UNKNOWN.
  UNKNOWN,
] as const;
export type WaitReason = (typeof WAIT_REASONS)[number];

/**
 * Kinds of lanes (v2). A lane is anything that runs and can wait: an OS thread (`T` records),
 * an asyncio task, a greenlet, a GPU queue (stream, command queue), an MPI rank, a task-queue
 * worker (`Y` records). Lane ids share one per-file namespace, so every record that names a
 * lane works on any kind.
 */
export const LANE_KINDS = ['thread', 'task', 'greenlet', 'gpu-queue', 'rank', 'worker', UNKNOWN] as const;
export type LaneKind = (typeof LANE_KINDS)[number];

/**
 * Kinds of `L` flows. "work" (v2) was "task" in v1 files; readers map the old word, which
 * asyncio's tasks now need. "launch" (v2): GPU work from the host line that enqueued it (`s`
 * on the host thread) to its execution (`f` on the GPU queue lane, at the op's start), key
 * "gpu:<pid>:<n>".
 */
export const FLOW_KINDS = ['queue', 'pipe', 'work', 'result', 'future', 'launch'] as const;
/** Kinds of `X` spans: "work" (v2; "task" in v1) a work item's run, "hold" a held mp lock;
 * (v2, no version bump) on a GPU queue lane: "kernel" (label the kernel's name), "copy" and
 * "fill", with the launch's key "gpu:<pid>:<n>" (see "launch" flows). */
export const SPAN_KINDS = ['work', 'hold', 'kernel', 'copy', 'fill'] as const;
/** What v1 called a work item, in flow kinds, span kinds and key prefixes. */
export const V1_WORK_WORD = 'task';
export const WORK_WORD = 'work';

/** How a task lane ended (`E` records' optional `outcome`, v2). */
export const TASK_OUTCOMES = ['result', 'cancelled', 'exception'] as const;
export type TaskOutcome = (typeof TASK_OUTCOMES)[number];
/** The counter name prefix of a loop's lag (`V` records): "loop_lag:<thread lane>". */
export const LOOP_LAG_COUNTER = 'loop_lag:';

/** What the agent's watchdog found (`D` records, v2): "deadlock" a cycle of waits (thread waits
 * for a lock held by a thread that waits ... for a lock the first holds, or joins it); "hang"
 * every thread of the process blocked for the watchdog time with no cycle (main joins a thread
 * that waits on an Event nobody will set). */
export const STALL_KINDS = ['deadlock', 'hang'] as const;
export type StallKind = (typeof STALL_KINDS)[number];

/** Why a process file ended (`Z` records). */
export const END_REASONS = ['exit', 'signal', 'os_exit', 'exec'] as const;
/** Levels of agent diagnostics (`!` records). */
export const DIAGNOSTIC_LEVELS = ['info', 'warning', 'error'] as const;

/** Bits of the `flags` field of a wait. */
export const WaitFlags = {
  /** The wait ended without getting what it waited for (timeout, non-blocking miss). */
  TIMED_OUT: 1,
  /** The wait had not ended when the process stopped; `end` is the time of the end record. */
  OPEN: 2,
  /** The holder fields are an estimate (the holder changed during the wait). */
  HOLDER_CHANGED: 4,
} as const;

/** Sample states (`K` records). */
export const SampleState = {
  /** Not inside any recorded wait: executing Python, in native code or waiting for the GIL. */
  RUNNING: 0,
  /** Inside a recorded wait (the `W` record that covers it says on what). */
  WAITING: 1,
} as const;

/**
 * Formats of the string keys that join records across lanes and processes. `scope: "host"`:
 * the key is unique on its machine only (it holds a pid or a POSIX semaphore name), so the
 * model scopes it by host before joining; `"global"`: unique everywhere (a task id the broker
 * gave). Keys of unknown prefixes are host-scoped, the safe choice: they never join two hosts.
 */
export const KEY_FORMATS = {
  msg: { template: 'msg:<senderPid>:<n>', scope: 'host', on: 'L (queue, pipe)' },
  work: { template: 'work:<submitterPid>:<job>:<i>', scope: 'host', on: 'L (work), X (work)' },
  result: { template: 'result:<submitterPid>:<job>:<i>', scope: 'host', on: 'L (result)' },
  task: { template: 'task:<submitterPid>:<job>:<i> (v1 name of work:)', scope: 'host', on: 'L, X (v1)' },
  gpu: { template: 'gpu:<pid>:<n>: one GPU operation (kernel, copy, fill) from its launch to its run', scope: 'host', on: 'L (launch), X (kernel, copy, fill)' },
  future: { template: 'future:<pid>:<n> (and ...:r for the result going back): an asyncio hand-off to a thread (run_in_executor, to_thread) or call_soon_threadsafe', scope: 'host', on: 'L (future)' },
  mpi: { template: 'mpi:<communicator>:<source rank>:<dest rank>:<tag>:<n>', scope: 'global', on: 'L (message between ranks)' },
  job: { template: 'job:<broker>:<task id> (Celery, RQ, arq task ids)', scope: 'global', on: 'L (enqueue to execution)' },
  globalKey: { template: 'a multiprocessing semaphore name "/mp-…", or "<creatorPid>:<handle>"', scope: 'host', on: 'O field 8, X (hold) field 8' },
} as const satisfies Record<string, { template: string; scope: 'host' | 'global'; on: string }>;
export type KeyScope = 'host' | 'global';

/** The scope of a key by its prefix (see {@link KEY_FORMATS}). */
export function keyScope(key: string): KeyScope {
  const colon = key.indexOf(':');
  const prefix = colon < 0 ? '' : key.slice(0, colon);
  const f = Object.hasOwn(KEY_FORMATS, prefix) ? (KEY_FORMATS as Record<string, { scope: KeyScope }>)[prefix] : undefined;
  return f?.scope ?? 'host';
}

/**
 * Every record type, as a tuple. The comment on each gives its version and meaning.
 * Optional ids are `null` when unknown. "lane" is a lane id of the file: a thread's (`T`) or
 * another lane's (`Y`); in v1 files every lane is a thread, so a v1 tid is a v2 lane id.
 */
export type TraceRecord =
  /** v1. Site definition: a source location. `func` is the code object's qualified name.
   * `def` (optional 6th field, added in v2 without a version bump): the code object's first
   * line (`co_firstlineno`, the `def` line), so that time per function can be shown above
   * its `def`; absent in older files, where readers fall back to the lowest sampled line. */
  | ['S', SiteId, string, number, string, (number | null)?]
  /** v1. Object definition, written before the first record that refers to the object.
   * `name` is a readable name when cheap to get (the assignment target at the creation
   * line, or a user-given name), else ''. `parent`/`role` tie internal objects to the one
   * the user sees: the `not_empty` Condition of a Queue has parent = the queue.
   * `globalKey` (optional 8th field, added in v1 without a version bump; absent or null when
   * the object lives in one process): an id that every process seeing the same
   * multiprocessing object writes alike, e.g. the semaphore name "/mp-xyz" of an mp.Lock, so
   * readers can treat the per-process definitions as one object (host-scoped, see KEY_FORMATS). */
  | ['O', ObjectId, ObjectKind, string, SiteId | null, ObjectId | null, string | null, (string | null)?]
  /** v1. Stack frame node: frames form a prefix tree; a sample refers to its leaf. */
  | ['F', FrameId, FrameId | null, SiteId]
  /** v1. Thread start (or first sight): ts, lane, OS native id, name, daemon (0/1),
   * parent lane (the thread that called start()), site of the start() call. */
  | ['T', number, LaneId, number, string, 0 | 1, LaneId | null, SiteId | null]
  /** v2. A lane that is not an OS thread: ts, lane, kind, parent lane (the thread a task runs
   * on, the thread that created a GPU queue) or null, name, creation site, clock domain (null:
   * the file's; otherwise every time on this lane's records is on that clock, see `M`). */
  | ['Y', number, LaneId, LaneKind, LaneId | null, string, SiteId | null, string | null]
  /** (Y, optional tail, v2 without a version bump) `creator`: the lane that created it (the
   * task or thread that called create_task), `coroutine`: the qualified name of a task's
   * coroutine function (the key tasks are grouped by), `coroutineSite`: its `def` line. */
  /** v1. Lane renamed (v1: a thread). */
  | ['N', number, LaneId, string]
  /** v1. Lane end (v1: a thread). Optional tail (v2, no version bump): `outcome` how a task
   * ended, "result", "cancelled" or "exception", and `detail`, for an exception its type and
   * message ("ValueError: bad row"). */
  | ['E', number, LaneId, (string | null)?, (string | null)?]
  /** v2. A step of a task or greenlet lane: begin, end, lane. The task ran (its coroutine
   * was resumed; a greenlet was switched to) exactly from begin to end on its parent thread;
   * between steps it awaited (a `W` record from the end of one step to the start of the next
   * names what) or was runnable. */
  | ['R', number, number, LaneId]
  /** v2. An event-loop block: one step or callback ran from begin to end, longer than the
   * agent's threshold (header `loopBlockMs`), on the loop thread `lane`; `task` the task (or
   * greenlet, which held its hub off as long) whose step it was (null: a plain callback); `delayed` the task lanes that were ready to run, or
   * whose timers fell due, while it ran. The line that was running is found from the thread's
   * samples and waits within [begin, end] (the agent cannot see it while it runs). */
  | ['B', number, number, LaneId, LaneId | null, number[]]
  /** v1. A completed wait: begin, end, lane, object, reason, site of the waiting call,
   * holder lane and the holder's line when the wait began (locks, joins), the lane that
   * released/notified/set the object and let this waiter go (the unblock edge), flags.
   *
   * Open waits (v2, no version bump): a wait still in progress when the agent flushes, and
   * older than one flush interval, is written with the OPEN flag and `end` = the time it was
   * last seen still waiting, so a killed or hung process leaves it in the file. The agent may
   * write it again at later flushes (a later `end`); the last `W` of the same lane and `begin`
   * replaces every earlier one, and a wait that then ends is written once more, complete
   * (without OPEN). Readers keep only that last record per (lane, begin). */
  | ['W', number, number, LaneId, ObjectId, WaitReason, SiteId | null, LaneId | null,
      SiteId | null, LaneId | null, number]
  /** v2. A deadlock or hang the agent's watchdog found (STALL_KINDS): ts (when it was found),
   * kind, then one entry per member thread in each of four parallel arrays: the member's lane;
   * the object it waits on; the site of its waiting call; the leaf frame of its stack (an `F`
   * chain to the root; written before this record). 0 in `objects`, `sites`, `frames` means
   * none (ids start at 1). For a deadlock the members are in cycle order: member i waits on
   * objects[i], held by (or, for a join, being) member i+1, the last by member 0. For a hang
   * every blocked thread is a member, main first. Written once per cycle or hang (again only
   * if it dissolves and forms anew); the members' open waits are flushed before it. */
  | ['D', number, StallKind, LaneId[], ObjectId[], SiteId[], FrameId[]]
  /** v2. A lock-order inversion (opt-in lock-order mode, header `lockOrder`): ts (when the
   * second order was first seen), lock `first`, lock `second`; `lane` took `first` at
   * `firstSite` and then, still holding it, `second` at `secondSite`; `otherLane` took them
   * in the opposite order: `second` at `otherFirstSite`, then `first` at `otherSecondSite`.
   * Written once per pair of locks, whether or not the run hung. */
  | ['I', number, ObjectId, ObjectId, LaneId, SiteId | null, SiteId | null, LaneId, SiteId | null, SiteId | null]
  /** v1. Acquisition counts of a lock since the previous `A` for it: object, count. */
  | ['A', number, ObjectId, number]
  /** v1. A stack sample of one lane: ts, lane, leaf frame (null: no Python frame), state. */
  | ['K', number, LaneId, FrameId | null, number]
  /** v1. Cumulative CPU time of a thread lane, read from its per-thread CPU clock. */
  | ['C', number, LaneId, number]
  /** v1. A child process this process started: ts, child pid, how ("fork", "spawn",
   * "forkserver", "subprocess", "popen"), argv, lane of the starting thread, site. */
  | ['P', number, number, string, string[], LaneId, SiteId | null, (string | null)?]
  /** (P, optional tail, v2 without a version bump) `label`: what the child is, as the process
   * that started it knows it: a multiprocessing process's role and number ("Pool worker 3",
   * "ProcessPoolExecutor worker 1") or its name and target ("Process-2: crunch"); absent or null
   * when it is not a multiprocessing process (readers then label it from its argv). */
  /** v1. A child process ended (as seen by this process): ts, pid, exit code (negative:
   * killed by that signal). */
  | ['Q', number, number, number, (string | null)?]
  /** (Q, optional tail, v2 without a version bump) `endedBy`: "parent" when the code is a
   * signal that this process sent the child itself (Pool.terminate, Process.terminate,
   * Popen.kill, os.kill): an ending it chose, which readers do not report as a crash. */
  /** v1. One end of a flow (message, hand-off, work item) between lanes, possibly in other
   * processes: ts, lane, flow key (see KEY_FORMATS), phase ("s" start, "t" step, "f"
   * finish), kind (FLOW_KINDS), object, size in bytes or null.
   *
   * Work items (a multiprocessing Pool task or chunk, a ProcessPoolExecutor call) have the
   * key "work:<submitterPid>:<job>:<i>" ("task:..." and kind "task" in v1): `s` in the
   * submitting thread when it is submitted (object: the pool or executor, size null), `f` in
   * the worker thread that takes it (size: the pickled arguments in bytes, or null). Its result
   * goes back as the flow "result:" + the same rest of the key: `s` in the worker when the
   * function returns, `f` in the submitting process's thread that receives it (size: the
   * pickled result). The run itself is an `X` span of kind "work" with the same key.
   * Messages between processes (multiprocessing Queue, SimpleQueue, JoinableQueue, Pipe)
   * have the key "msg:<senderPid>:<n>" and kind "queue" or "pipe": `s` in the sender, `f` in
   * the receiver, both naming the queue or pipe object; the size is on the `f` end. */
  | ['L', number, LaneId, string, 's' | 't' | 'f', string, ObjectId | null, number | null]
  /** v1. A named span on a lane that is not a wait: work item run, task step, GPU op.
   * begin, end, lane, kind, label, site, and (optional 8th field, added in v1 without a
   * version bump; absent or null when there is none) the key the span joins on. Kinds:
   * "work" ("task" in v1), a work item's run: label the function's qualified name (e.g.
   * "square"), site its `def` line, key the work item's flow key (see `L`). "hold": a
   * multiprocessing Lock/RLock held by the thread, key the lock's globalKey (see `O`). */
  | ['X', number, number, LaneId, string, string, SiteId | null, (string | null)?]
  /** v1. Counter value: ts, name, value (queue depth, loop lag). Names (v2): "loop_lag:<lane>"
   * the lag in ms of the event loop running on thread lane <lane> (how late a due timer
   * ran: written when it is 1 ms or more, then one 0 when it is back under). */
  | ['V', number, string, number]
  /** v2. A clock calibration: at `ts` on the file's clock, the clock `domain` read `domainTs`,
   * both within `errorNs` (half the time the pair took to read). Two or more pairs of one
   * domain give its rate too. The agent pairs its clock with the wall clock ("wall") at start
   * and end; a GPU hook pairs the host clock with the device clock of a queue's domain. */
  | ['M', number, string, number, number]
  /** v1. An agent diagnostic: ts, level ("info" | "warning" | "error"), message. */
  | ['!', number, string, string]
  /** v1. End of file: ts, reason ("exit", "signal", "os_exit", "exec"), exit code or null,
   * count of records written before this one. */
  | ['Z', number, string, number | null, number];

export type RecordCode = TraceRecord[0];

/**
 * Field letters, one per field after the type code (the contract describes each):
 * i = integer, I = integer or null, s = string, S = string or null, a = array of strings,
 * j = array of integers,
 * b = 0 or 1, k = object kind, r = wait reason, y = lane kind, p = flow phase, n = number.
 * Enum letters (k, r, y) accept any short word: a value this reader does not know is a newer
 * writer's, kept as {@link UNKNOWN} with a warning, never an invalid record.
 */
export const SHAPE_LETTERS = {
  i: 'integer (within ±2^63)',
  I: 'integer or null',
  s: 'string',
  S: 'string or null',
  a: 'array of strings',
  j: 'array of integers',
  b: '0 or 1',
  k: 'object kind (enums.objectKinds; other words are read as "unknown")',
  r: 'wait reason (enums.waitReasons; other words are read as "unknown")',
  y: 'lane kind (enums.laneKinds; other words are read as "unknown")',
  p: 'flow phase: "s", "t" or "f"',
  n: 'finite number',
} as const;
export type ShapeLetter = keyof typeof SHAPE_LETTERS;

/** What an id field refers to; it must be defined earlier in the file. */
export type IdRef = 'site' | 'object' | 'frame' | 'lane';

/** One field of a record. */
export interface FieldSpec {
  name: string;
  letter: ShapeLetter;
  /** A time: on the clock of the record's lane (its `Y` clockDomain, else the file's). */
  time?: true;
  /** An id defined by an earlier S (site), O (object), F (frame), or T/Y (lane) record. */
  ref?: IdRef;
  /** This field defines the id (the first field of S, O, F, T, Y). */
  defines?: IdRef;
}

/** One record type: its name, the version that added it, its fields, its optional tail. */
export interface RecordSpec {
  name: string;
  since: number;
  fields: readonly FieldSpec[];
  /** Trailing fields added later without a version bump: may be absent, checked when present. */
  optional: readonly FieldSpec[];
}

const f = (name: string, letter: ShapeLetter, more: Omit<FieldSpec, 'name' | 'letter'> = {}): FieldSpec => ({ name, letter, ...more });
const ts = (name = 'ts'): FieldSpec => f(name, 'i', { time: true });
const lane = (name = 'lane', letter: 'i' | 'I' = 'i'): FieldSpec => f(name, letter, { ref: 'lane' });
const site = (name = 'site'): FieldSpec => f(name, 'I', { ref: 'site' });

/**
 * Every record type, field by field: the one table the validator, the record scanner, the
 * generated contract (runtime/python/weft/trace_format.json) and so the Python agent and its
 * tests read. Meanings are in {@link TraceRecord}.
 */
export const RECORDS: Readonly<Record<RecordCode, RecordSpec>> = {
  S: { name: 'site', since: 1, optional: [f('def', 'I')], fields: [f('id', 'i', { defines: 'site' }), f('file', 's'), f('line', 'i'), f('func', 's')] },
  O: {
    name: 'object', since: 1,
    fields: [f('id', 'i', { defines: 'object' }), f('kind', 'k'), f('name', 's'), site(), f('parent', 'I', { ref: 'object' }), f('role', 'S')],
    optional: [f('globalKey', 'S')],
  },
  F: { name: 'frame', since: 1, optional: [], fields: [f('id', 'i', { defines: 'frame' }), f('parent', 'I', { ref: 'frame' }), f('site', 'i', { ref: 'site' })] },
  T: {
    name: 'thread', since: 1, optional: [],
    fields: [ts(), f('lane', 'i', { defines: 'lane' }), f('nativeId', 'i'), f('name', 's'), f('daemon', 'b'), lane('parentLane', 'I'), site()],
  },
  Y: {
    name: 'lane', since: 2,
    fields: [ts(), f('lane', 'i', { defines: 'lane' }), f('kind', 'y'), lane('parentLane', 'I'), f('name', 's'), site(), f('clockDomain', 'S')],
    optional: [lane('creator', 'I'), f('coroutine', 'S'), site('coroutineSite')],
  },
  N: { name: 'rename', since: 1, optional: [], fields: [ts(), lane(), f('name', 's')] },
  E: { name: 'laneEnd', since: 1, fields: [ts(), lane()], optional: [f('outcome', 'S'), f('detail', 'S')] },
  R: { name: 'taskStep', since: 2, optional: [], fields: [ts('begin'), ts('end'), lane()] },
  B: {
    name: 'loopBlock', since: 2, optional: [],
    fields: [ts('begin'), ts('end'), lane(), lane('task', 'I'), f('delayed', 'j')],
  },
  W: {
    name: 'wait', since: 1, optional: [],
    fields: [
      ts('begin'), ts('end'), lane(), f('object', 'i', { ref: 'object' }), f('reason', 'r'), site(),
      lane('holder', 'I'), site('holderSite'), lane('waker', 'I'), f('flags', 'i'),
    ],
  },
  D: {
    name: 'stall', since: 2, optional: [],
    fields: [ts(), f('kind', 's'), f('lanes', 'j'), f('objects', 'j'), f('sites', 'j'), f('frames', 'j')],
  },
  I: {
    name: 'lockOrder', since: 2, optional: [],
    fields: [
      ts(), f('first', 'i', { ref: 'object' }), f('second', 'i', { ref: 'object' }), lane(), site('firstSite'), site('secondSite'),
      lane('otherLane'), site('otherFirstSite'), site('otherSecondSite'),
    ],
  },
  A: { name: 'acquisitions', since: 1, optional: [], fields: [ts(), f('object', 'i', { ref: 'object' }), f('count', 'i')] },
  K: { name: 'sample', since: 1, optional: [], fields: [ts(), lane(), f('frame', 'I', { ref: 'frame' }), f('state', 'i')] },
  C: { name: 'cpu', since: 1, optional: [], fields: [ts(), lane(), f('cpuNs', 'i')] },
  P: { name: 'childStart', since: 1, optional: [f('label', 'S')], fields: [ts(), f('pid', 'i'), f('how', 's'), f('argv', 'a'), lane(), site()] },
  Q: { name: 'childExit', since: 1, optional: [f('endedBy', 'S')], fields: [ts(), f('pid', 'i'), f('code', 'i')] },
  L: {
    name: 'flow', since: 1, optional: [],
    fields: [ts(), lane(), f('key', 's'), f('phase', 'p'), f('kind', 's'), f('object', 'I', { ref: 'object' }), f('size', 'I')],
  },
  X: {
    name: 'span', since: 1,
    fields: [ts('begin'), ts('end'), lane(), f('kind', 's'), f('label', 's'), site()],
    optional: [f('key', 'S')],
  },
  V: { name: 'counter', since: 1, optional: [], fields: [ts(), f('name', 's'), f('value', 'n')] },
  M: { name: 'calibration', since: 2, optional: [], fields: [ts(), f('domain', 's'), f('domainTs', 'i'), f('errorNs', 'i')] },
  '!': { name: 'diagnostic', since: 1, optional: [], fields: [ts(), f('level', 's'), f('message', 's')] },
  Z: { name: 'end', since: 1, optional: [], fields: [ts(), f('reason', 's'), f('exitCode', 'I'), f('records', 'i')] },
};

const lettersOf = (fields: readonly FieldSpec[]): string => fields.map((x) => x.letter).join('');
const mapRecords = (pick: (r: RecordSpec) => string): Record<RecordCode, string> =>
  Object.fromEntries(Object.entries(RECORDS).map(([code, r]) => [code, pick(r)])) as Record<RecordCode, string>;

/**
 * Field shapes used by {@link validateRecord}, derived from {@link RECORDS}: the letters of
 * the fields every writer of the record's version writes.
 */
export const RECORD_SHAPES: Readonly<Record<RecordCode, string>> = mapRecords((r) => lettersOf(r.fields));

/**
 * Optional trailing fields, added without a version bump (see the file comment): a record
 * may end before them (older agents), and when present they must match these shapes.
 * Fields after these are ignored. O: `globalKey`; X: `key`; Y: `creator`, `coroutine`,
 * `coroutineSite`; E: `outcome`, `detail`.
 */
export const OPTIONAL_SHAPES: Readonly<Partial<Record<RecordCode, string>>> = Object.fromEntries(
  Object.entries(RECORDS).filter(([, r]) => r.optional.length > 0).map(([code, r]) => [code, lettersOf(r.optional)]),
);

import { describeValue, isTraceInt } from './safe-values';

/** An enum word a newer writer may have added: short, lower case, no odd characters. */
const ENUM_WORD = /^[a-z][a-z0-9_.-]{0,47}$/;

function fieldOk(shape: string, v: unknown): boolean {
  switch (shape) {
    // Integers within ±2^63 (isTraceInt): 1e308 is an integer to JavaScript too.
    case 'i': return isTraceInt(v);
    case 'I': return v === null || isTraceInt(v);
    case 's': return typeof v === 'string';
    case 'S': return v === null || typeof v === 'string';
    case 'a': return Array.isArray(v) && v.every((x) => typeof x === 'string');
    case 'j': return Array.isArray(v) && v.every(isTraceInt);
    case 'b': return v === 0 || v === 1;
    // Enum words: known or not (see SHAPE_LETTERS); the file handlers map unknown ones.
    case 'k':
    case 'r':
    case 'y': return typeof v === 'string' && ENUM_WORD.test(v);
    case 'p': return v === 's' || v === 't' || v === 'f';
    case 'n': return typeof v === 'number' && Number.isFinite(v);
    default: return false;
  }
}

/**
 * Checks one record against its shape. Returns null when valid, else a sentence saying what
 * is wrong. Unknown type codes are reported as such so readers can tell "newer writer" from
 * "corrupt record". Optional trailing fields ({@link OPTIONAL_SHAPES}) are checked when
 * present; fields after them are allowed (forward compatibility).
 */
export function validateRecord(rec: unknown): string | null {
  if (!Array.isArray(rec) || rec.length === 0 || typeof rec[0] !== 'string') {
    return 'record is not an array starting with a type code';
  }
  const code = rec[0] as string;
  // Own properties only: a plain lookup finds Object.prototype's members, and "__proto__",
  // "toString" and "constructor" records were accepted or misreported. Values in messages go
  // through describeValue: JSON.stringify of a 100,000-deep array overflows the stack.
  const shape = Object.hasOwn(RECORD_SHAPES, code) ? (RECORD_SHAPES as Record<string, string>)[code] : undefined;
  if (shape === undefined) return `unknown record type ${describeValue(code, 20)}`;
  if (rec.length - 1 < shape.length) {
    return `record "${code}" has ${rec.length - 1} fields, expected ${shape.length}`;
  }
  for (let i = 0; i < shape.length; i++) {
    if (!fieldOk(shape[i] as string, rec[i + 1])) {
      return `record "${code}" field ${i + 1} (${describeValue(rec[i + 1])}) does not match shape "${shape[i]}"`;
    }
  }
  const optional = (Object.hasOwn(OPTIONAL_SHAPES, code) ? (OPTIONAL_SHAPES as Record<string, string>)[code] : undefined) ?? '';
  for (let k = 0; k < optional.length && shape.length + k + 1 < rec.length; k++) {
    const i = shape.length + k;
    if (!fieldOk(optional[k] as string, rec[i + 1])) {
      return `record "${code}" field ${i + 1} (${describeValue(rec[i + 1])}) does not match shape "${optional[k]}" (optional)`;
    }
  }
  return null;
}

/** Checks a header object; returns null when valid, else what is wrong. */
export function validateHeader(h: unknown): string | null {
  if (typeof h !== 'object' || h === null || Array.isArray(h)) return 'first line is not a JSON object';
  const o = h as Record<string, unknown>;
  if (o.format !== FORMAT_NAME) return `first line is not a Weft header (format is ${describeValue(o.format)})`;
  if (!isTraceInt(o.version)) return 'header has no integer version';
  const ints = ['pid', 'ppid', 'serial', 'startNs', 'wallNs', 'sampleHz'] as const;
  for (const k of ints) if (!isTraceInt(o[k])) return `header field "${k}" is not an integer (within ±2^63)`;
  const strs = ['agent', 'python', 'implementation', 'platform', 'clock', 'cwd', 'executable', 'startMethod'] as const;
  for (const k of strs) if (typeof o[k] !== 'string') return `header field "${k}" is not a string`;
  if (typeof o.gil !== 'boolean') return 'header field "gil" is not a boolean';
  if (!Array.isArray(o.argv) || !o.argv.every((x) => typeof x === 'string')) return 'header field "argv" is not a list of strings';
  return null;
}
