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
 * Units: every timestamp is an integer count of nanoseconds on CLOCK_MONOTONIC
 * (`time.perf_counter_ns()` on Linux), which all processes of one machine share, so files of
 * one run line up without adjustment. Durations are integer nanoseconds. Conversion to other
 * units happens once, at the edge of a view.
 *
 * Versioning: `version` in the header is bumped when a record changes meaning. Adding a
 * record type or appending a field at the end of a record does NOT bump it: readers ignore
 * unknown record types (with a warning) and extra trailing fields. Each record below says
 * the version that added it.
 *
 * Readers are tolerant: a truncated last line, a missing end record or an unknown record is
 * a warning, and everything before it is kept. Only a first line that is not a Weft header
 * is an error (the file is not a Weft trace).
 */

/** The version this code writes and fully understands. */
export const FORMAT_VERSION = 1;
/** The `format` value of every header. */
export const FORMAT_NAME = 'weft-trace';
/** File names of per-process trace files. */
export const PROCESS_FILE_PATTERN = /^weft-(\d+)-(\d+)\.jsonl$/;
/** Name of the launcher's run description file in a trace directory. */
export const RUN_FILE = 'run.json';

/** Integer nanoseconds on CLOCK_MONOTONIC. Branded so it cannot be mixed with other numbers. */
export type Ns = number & { readonly __unit: 'ns' };
/** Per-file small integer ids. */
export type SiteId = number;
export type ObjectId = number;
export type FrameId = number;
/** A thread id local to one process file: 1 is the main thread, then in order of first sight. */
export type ThreadId = number;

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

/** Kinds of synchronization objects (`O` records). */
export const OBJECT_KINDS = [
  'lock', 'rlock', 'condition', 'semaphore', 'bounded_semaphore', 'event', 'barrier',
  'queue', 'lifo_queue', 'priority_queue', 'simple_queue', 'thread', 'future',
  // The clock that time.sleep waits on (one per process).
  'timer',
  // Cross-process primitives (multiprocessing), from v1 too.
  'mp_lock', 'mp_rlock', 'mp_semaphore', 'mp_bounded_semaphore', 'mp_condition', 'mp_event',
  'mp_barrier', 'mp_queue', 'mp_simple_queue', 'mp_joinable_queue', 'mp_pipe', 'process',
] as const;
export type ObjectKind = (typeof OBJECT_KINDS)[number];

/**
 * Why a thread waited (`W` records). The reason is the operation, the object is what it
 * waited on; `queue_get` on a queue object, `condition` on a Condition, and so on.
 */
export const WAIT_REASONS = [
  'lock', 'rlock', 'condition', 'semaphore', 'event', 'barrier',
  'queue_get', 'queue_put', 'queue_join', 'join', 'sleep', 'future', 'select',
  'mp_lock', 'mp_semaphore', 'mp_queue_get', 'mp_queue_put', 'pipe_recv', 'process_join',
] as const;
export type WaitReason = (typeof WAIT_REASONS)[number];

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
 * Every record type, as a tuple. The comment on each gives its version and meaning.
 * Optional ids are `null` when unknown.
 */
export type TraceRecord =
  /** v1. Site definition: a source location. `func` is the code object's qualified name. */
  | ['S', SiteId, string, number, string]
  /** v1. Object definition, written before the first record that refers to the object.
   * `name` is a readable name when cheap to get (the assignment target at the creation
   * line, or a user-given name), else ''. `parent`/`role` tie internal objects to the one
   * the user sees: the `not_empty` Condition of a Queue has parent = the queue.
   * `globalKey` (optional 8th field, added in v1 without a version bump; absent or null when
   * the object lives in one process): an id that every process seeing the same
   * multiprocessing object writes alike, e.g. the semaphore name "/mp-xyz" of an mp.Lock, so
   * readers can treat the per-process definitions as one object. */
  | ['O', ObjectId, ObjectKind, string, SiteId | null, ObjectId | null, string | null, (string | null)?]
  /** v1. Stack frame node: frames form a prefix tree; a sample refers to its leaf. */
  | ['F', FrameId, FrameId | null, SiteId]
  /** v1. Thread start (or first sight): ts, tid, OS native id, name, daemon (0/1),
   * parent thread tid (the one that called start()), site of the start() call. */
  | ['T', number, ThreadId, number, string, 0 | 1, ThreadId | null, SiteId | null]
  /** v1. Thread renamed. */
  | ['N', number, ThreadId, string]
  /** v1. Thread end. */
  | ['E', number, ThreadId]
  /** v1. A completed wait: begin, end, tid, object, reason, site of the waiting call,
   * holder tid and the holder's line when the wait began (locks, joins), the tid that
   * released/notified/set the object and let this waiter go (the unblock edge), flags. */
  | ['W', number, number, ThreadId, ObjectId, WaitReason, SiteId | null, ThreadId | null,
      SiteId | null, ThreadId | null, number]
  /** v1. Acquisition counts of a lock since the previous `A` for it: object, count. */
  | ['A', number, ObjectId, number]
  /** v1. A stack sample of one thread: ts, tid, leaf frame (null: no Python frame), state. */
  | ['K', number, ThreadId, FrameId | null, number]
  /** v1. Cumulative CPU time of a thread, read from its per-thread CPU clock. */
  | ['C', number, ThreadId, number]
  /** v1. A child process this process started: ts, child pid, how ("fork", "spawn",
   * "forkserver", "subprocess", "popen"), argv, tid of the starting thread, site. */
  | ['P', number, number, string, string[], ThreadId, SiteId | null]
  /** v1. A child process ended (as seen by this process): ts, pid, exit code (negative:
   * killed by that signal). */
  | ['Q', number, number, number]
  /** v1. One end of a flow (message, hand-off, work item) between lanes, possibly in other
   * processes: ts, tid, flow key (globally unique string, e.g. "<pid>:<serial>:<n>"),
   * phase ("s" start, "t" step, "f" finish), kind ("queue", "pipe", "task", "result",
   * "future"), object, size in bytes or null.
   *
   * Work items (a multiprocessing Pool task or chunk, a ProcessPoolExecutor call) have the
   * key "task:<submitterPid>:<job>:<i>": `s` in the submitting thread when it is submitted
   * (object: the pool or executor, size null), `f` in the worker thread that takes it (size:
   * the pickled arguments in bytes, or null). Its result goes back as the flow "result:" +
   * the same rest of the key: `s` in the worker when the function returns, `f` in the submitting process's
   * thread that receives it (size: the pickled result). The run itself is an `X` span of
   * kind "task" with the same key.
   * Messages between processes (multiprocessing Queue, SimpleQueue, JoinableQueue, Pipe)
   * have the key "msg:<senderPid>:<n>" and kind "queue" or "pipe": `s` in the sender, `f` in
   * the receiver, both naming the queue or pipe object; the size is on the `f` end. */
  | ['L', number, ThreadId, string, 's' | 't' | 'f', string, ObjectId | null, number | null]
  /** v1. A named span on a thread that is not a wait: work item run, task step, GPU op.
   * begin, end, tid, kind, label, site, and (optional 8th field, added in v1 without a
   * version bump; absent or null when there is none) the key the span joins on. Kinds:
   * "task", a work item's run: label the function's qualified name (e.g. "square"), site its
   * `def` line, key the work item's flow key (see `L`). "hold": a multiprocessing Lock/RLock
   * held by the thread, key the lock's globalKey (see `O`). */
  | ['X', number, number, ThreadId, string, string, SiteId | null, (string | null)?]
  /** v1. Counter value: ts, name, value (queue depth, loop lag). */
  | ['V', number, string, number]
  /** v1. An agent diagnostic: ts, level ("info" | "warning" | "error"), message. */
  | ['!', number, string, string]
  /** v1. End of file: ts, reason ("exit", "signal", "os_exit", "exec"), exit code or null,
   * count of records written before this one. */
  | ['Z', number, string, number | null, number];

export type RecordCode = TraceRecord[0];

/**
 * Field shapes used by {@link validateRecord}: one letter per field after the type code.
 * i = integer, I = integer or null, s = string, S = string or null, a = array of strings,
 * b = 0 or 1, k = object kind, r = wait reason, p = flow phase, n = number.
 * The contract test checks that the agent's output matches these exactly.
 *
 * These are the fields every writer of v1 writes. Trailing fields added later in v1 are in
 * {@link OPTIONAL_SHAPES}: they are optional, so this table stays the minimum (the Python
 * tests read it from this file too, letters only, and check at least these fields).
 */
export const RECORD_SHAPES: Readonly<Record<RecordCode, string>> = {
  S: 'isis',
  O: 'iksIIS',
  F: 'iIi',
  T: 'iiisbII',
  N: 'iis',
  E: 'ii',
  W: 'iiiirIIIIi',
  A: 'iii',
  K: 'iiIi',
  C: 'iii',
  P: 'iisaiI',
  Q: 'iii',
  L: 'iispsII',
  X: 'iiissI',
  V: 'isn',
  '!': 'iss',
  Z: 'isIi',
};

/**
 * Optional trailing fields, added in v1 without a version bump (see the file comment): a
 * record may end before them (older agents), and when present they must match these shapes,
 * in the same letters as {@link RECORD_SHAPES}. Fields after these are ignored.
 * O: `globalKey` (the same multiprocessing object in several processes).
 * X: `key` (a work item's flow key, or the globalKey of a held multiprocessing lock).
 */
export const OPTIONAL_SHAPES: Readonly<Partial<Record<RecordCode, string>>> = {
  O: 'S',
  X: 'S',
};

import { describeValue, isTraceInt } from './safe-values';

const KIND_SET: ReadonlySet<string> = new Set(OBJECT_KINDS);
const REASON_SET: ReadonlySet<string> = new Set(WAIT_REASONS);

function fieldOk(shape: string, v: unknown): boolean {
  switch (shape) {
    // Integers within ±2^63 (isTraceInt): 1e308 is an integer to JavaScript too.
    case 'i': return isTraceInt(v);
    case 'I': return v === null || isTraceInt(v);
    case 's': return typeof v === 'string';
    case 'S': return v === null || typeof v === 'string';
    case 'a': return Array.isArray(v) && v.every((x) => typeof x === 'string');
    case 'b': return v === 0 || v === 1;
    case 'k': return typeof v === 'string' && KIND_SET.has(v);
    case 'r': return typeof v === 'string' && REASON_SET.has(v);
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
