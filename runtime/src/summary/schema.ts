/**
 * The JSON summary printed by `weft summary DIR --json`: a stable, documented schema for CI
 * and scripts. Versioning: `schemaVersion` is bumped only when a field changes meaning or is
 * removed; new fields may be added at any time (consumers must ignore unknown fields).
 * Times are milliseconds (floats) in this schema only, because that is what people read.
 */

export const SUMMARY_SCHEMA_VERSION = 1;

export interface SiteRef {
  /** Source file as recorded (absolute, or relative to the program's cwd). */
  file: string;
  line: number;
  func: string;
}

export interface ThreadSummary {
  name: string;
  /** Per-process thread id of the trace (1 = main thread). */
  tid: number;
  nativeId: number;
  daemon: boolean;
  /** Wall time the thread was alive in the trace. */
  runMs: number;
  /** CPU time from the thread's CPU clock; null where the platform has none. */
  cpuMs: number | null;
  /** Time inside recorded waits, by reason (lock, condition, queue_get, sleep, join, ...). */
  waitMs: Record<string, number>;
  /** ESTIMATE: alive, not in a recorded wait and not on the CPU (mostly GIL wait). */
  gilWaitEstimateMs: number | null;
}

export interface ProcessSummary {
  pid: number;
  ppid: number;
  startMethod: string;
  exitCode: number | null;
  argv: string[];
  /** False when the process file had no end record (killed or crashed). */
  complete: boolean;
  threads: ThreadSummary[];
}

export interface LockSummary {
  /** Object kind: lock, rlock, condition, semaphore, event, barrier, queue, ... */
  kind: string;
  /** Readable name from the creation line, or "" when none. */
  name: string;
  pid: number;
  /** Creation site, or null when created before the agent loaded. */
  site: SiteRef | null;
  /** Acquisitions seen (at least the number of contentions). */
  acquisitions: number;
  /** Waits on this object (waits on its internal locks and conditions included). */
  contentions: number;
  waitMs: number;
  maxWaitMs: number;
  p50WaitMs: number;
  p95WaitMs: number;
  /** Time during which somebody waited on the object (union of waits). */
  contendedHoldMs: number;
  /** Threads holding (or releasing) it while others waited, with the holder's line. */
  holders: { thread: string; site: SiteRef | null; waits: number; waitMs: number }[];
  /** Threads that waited, with the line where they waited. */
  waiters: { thread: string; site: SiteRef | null; waits: number; waitMs: number }[];
}

export interface HotspotSummary {
  file: string;
  line: number;
  func: string;
  /** Sampled time running on this line (samples x period): an estimate. */
  cpuMs: number;
  /** Sampled time waiting on this line. */
  waitMs: number;
}

export interface Summary {
  schemaVersion: number;
  durationMs: number;
  processes: ProcessSummary[];
  locks: LockSummary[];
  hotspots: HotspotSummary[];
  diagnostics: { severity: string; message: string; site: SiteRef | null }[];
  warnings: string[];
}

const siteRef = {
  anyOf: [
    { type: 'null' },
    { type: 'object', required: ['file', 'line', 'func'], properties: { file: { type: 'string' }, line: { type: 'integer' }, func: { type: 'string' } } },
  ],
};
const num = { type: 'number' };
const threadStat = {
  type: 'object', required: ['thread', 'site', 'waits', 'waitMs'],
  properties: { thread: { type: 'string' }, site: siteRef, waits: { type: 'integer' }, waitMs: num },
};

/** JSON Schema (draft 2020-12 subset) of {@link Summary}, checked by the tests. */
export const SUMMARY_JSON_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'Weft summary',
  type: 'object',
  required: ['schemaVersion', 'durationMs', 'processes', 'locks', 'hotspots', 'diagnostics', 'warnings'],
  properties: {
    schemaVersion: { type: 'integer' },
    durationMs: num,
    processes: {
      type: 'array',
      items: {
        type: 'object',
        required: ['pid', 'ppid', 'startMethod', 'exitCode', 'argv', 'complete', 'threads'],
        properties: {
          pid: { type: 'integer' }, ppid: { type: 'integer' }, startMethod: { type: 'string' },
          exitCode: { anyOf: [{ type: 'null' }, { type: 'integer' }] },
          argv: { type: 'array', items: { type: 'string' } }, complete: { type: 'boolean' },
          threads: {
            type: 'array',
            items: {
              type: 'object',
              required: ['name', 'tid', 'nativeId', 'daemon', 'runMs', 'cpuMs', 'waitMs', 'gilWaitEstimateMs'],
              properties: {
                name: { type: 'string' }, tid: { type: 'integer' }, nativeId: { type: 'integer' },
                daemon: { type: 'boolean' }, runMs: num,
                cpuMs: { anyOf: [{ type: 'null' }, num] },
                waitMs: { type: 'object', additionalProperties: num },
                gilWaitEstimateMs: { anyOf: [{ type: 'null' }, num] },
              },
            },
          },
        },
      },
    },
    locks: {
      type: 'array',
      items: {
        type: 'object',
        required: ['kind', 'name', 'pid', 'site', 'acquisitions', 'contentions', 'waitMs', 'maxWaitMs', 'p50WaitMs', 'p95WaitMs', 'contendedHoldMs', 'holders', 'waiters'],
        properties: {
          kind: { type: 'string' }, name: { type: 'string' }, pid: { type: 'integer' }, site: siteRef,
          acquisitions: { type: 'integer' }, contentions: { type: 'integer' }, waitMs: num,
          maxWaitMs: num, p50WaitMs: num, p95WaitMs: num, contendedHoldMs: num,
          holders: { type: 'array', items: threadStat }, waiters: { type: 'array', items: threadStat },
        },
      },
    },
    hotspots: {
      type: 'array',
      items: {
        type: 'object', required: ['file', 'line', 'func', 'cpuMs', 'waitMs'],
        properties: { file: { type: 'string' }, line: { type: 'integer' }, func: { type: 'string' }, cpuMs: num, waitMs: num },
      },
    },
    diagnostics: {
      type: 'array',
      items: { type: 'object', required: ['severity', 'message', 'site'], properties: { severity: { type: 'string' }, message: { type: 'string' }, site: siteRef } },
    },
    warnings: { type: 'array', items: { type: 'string' } },
  },
} as const;
