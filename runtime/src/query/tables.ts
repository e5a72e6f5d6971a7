/**
 * The tables of `weft query`: one definition per table (its columns, each documented, and how
 * its rows come from the model), which builds the SQLite schema, fills it, and prints
 * `weft query --schema`. The README's table section is written from the same text.
 *
 * Conventions: ids are the model's indexes (`lane`, `object`, `site`, `process` join the
 * tables of those names); times are ns since the trace's first event (`*_ns`, integers) with
 * ms beside them (`*_ms`, computed columns that cost no storage); a missing id is NULL.
 * Reasons, kinds and states are the trace format's words (`lock`, `queue_get`, `running`).
 */
import { SampleState, WAIT_REASONS, WaitFlags } from '../format/spec';
import { contentionCharges } from '../model/handlers/lock-stats';
import { userSiteResolver } from '../model/handlers/hotspots';
import type { TraceModel } from '../model/types';

export type SqlValue = number | string | null;

export interface ColumnDef {
  name: string;
  /** SQLite type: INTEGER, REAL or TEXT. */
  type: 'INTEGER' | 'REAL' | 'TEXT';
  doc: string;
  /** A computed (VIRTUAL generated) column: its SQL expression. Not stored, not inserted. */
  as?: string;
}

export interface TableDef {
  name: string;
  doc: string;
  columns: ColumnDef[];
  /** Calls `row` with the stored columns' values, in column order, for every row. */
  rows?: (model: TraceModel, row: (values: SqlValue[]) => void) => void;
  /** A view instead of a table: its SELECT, and the tables it reads. */
  view?: { select: string; reads: string[] };
}

const ms = (col: string): string => `((${col}) / 1e6)`;
const nn = (v: number | null | undefined): number | null => (v === null || v === undefined || v < 0 ? null : v);
const rel = (model: TraceModel, ns: number): number => Math.round(ns - model.startNs);
const bool = (b: boolean): number => (b ? 1 : 0);

export const TABLES: TableDef[] = [
  {
    name: 'processes',
    doc: 'One row per process (a traced Python process, or a child that ran another program).',
    columns: [
      { name: 'process', type: 'INTEGER', doc: 'Process id in this database (joins lanes.process, objects.process).' },
      { name: 'pid', type: 'INTEGER', doc: 'OS process id.' },
      { name: 'ppid', type: 'INTEGER', doc: 'OS parent process id.' },
      { name: 'parent', type: 'INTEGER', doc: 'The parent\'s `process`, NULL for a root.' },
      { name: 'host', type: 'TEXT', doc: 'Machine name ("" for a v1 trace).' },
      { name: 'argv', type: 'TEXT', doc: 'Command line, space-separated.' },
      { name: 'start_method', type: 'TEXT', doc: 'main, fork, spawn, forkserver, subprocess, helper...' },
      { name: 'python', type: 'TEXT', doc: 'Python version ("" for an untraced child).' },
      { name: 'traced', type: 'INTEGER', doc: '1 when the process ran under the agent, 0 for a non-Python child.' },
      { name: 'start_ns', type: 'INTEGER', doc: 'Start, ns since the trace start.' },
      { name: 'end_ns', type: 'INTEGER', doc: 'End (last event or end record).' },
      { name: 'dur_ms', type: 'REAL', doc: 'end - start, ms.', as: ms('end_ns - start_ns') },
      { name: 'exit_code', type: 'INTEGER', doc: 'Exit status (negative: killed by that signal), NULL when unknown.' },
      { name: 'complete', type: 'INTEGER', doc: '1 when the file ended with an end record.' },
      { name: 'sample_hz', type: 'INTEGER', doc: 'Stack samples per second asked for.' },
    ],
    rows: (m, row) => {
      for (const p of m.processes) {
        row([p.index, p.pid, p.ppid, p.parent, m.hosts?.[p.host ?? 0]?.name ?? '', p.argv.join(' '), p.startMethod, p.python,
          bool(p.traced !== false), rel(m, p.startNs), rel(m, p.endNs), p.exitCode, bool(p.complete), p.sampleHz]);
      }
    },
  },
  {
    name: 'lanes',
    doc: 'One row per lane: a thread, an asyncio task, a greenlet, a GPU queue, an MPI rank, a worker.',
    columns: [
      { name: 'lane', type: 'INTEGER', doc: 'Lane id in this database (joins waits.lane, samples.lane...).' },
      { name: 'kind', type: 'TEXT', doc: 'thread, task, greenlet, gpu-queue, rank, worker.' },
      { name: 'name', type: 'TEXT', doc: 'Thread or task name.' },
      { name: 'process', type: 'INTEGER', doc: 'Its process (joins processes).' },
      { name: 'pid', type: 'INTEGER', doc: 'OS process id (as processes.pid).' },
      { name: 'tid', type: 'INTEGER', doc: 'Lane id in its process\'s file.' },
      { name: 'native_id', type: 'INTEGER', doc: 'OS thread id (threads), else 0.' },
      { name: 'parent_lane', type: 'INTEGER', doc: 'The lane that started it (a task\'s loop thread), or NULL.' },
      { name: 'start_site', type: 'INTEGER', doc: 'Where it was started or created (joins sites), or NULL.' },
      { name: 'start_ns', type: 'INTEGER', doc: 'Start, ns since the trace start.' },
      { name: 'end_ns', type: 'INTEGER', doc: 'End.' },
      { name: 'dur_ms', type: 'REAL', doc: 'Life, ms.', as: ms('end_ns - start_ns') },
      { name: 'cpu_ms', type: 'REAL', doc: 'Threads: CPU time from the thread\'s CPU clock, NULL when unknown.' },
      { name: 'wait_ms', type: 'REAL', doc: 'Threads: time in recorded waits.' },
      { name: 'gil_wait_estimate_ms', type: 'REAL', doc: 'Threads: alive - CPU - waits, an estimate of GIL wait.' },
      { name: 'coroutine', type: 'TEXT', doc: 'asyncio tasks: the coroutine function, else NULL.' },
      { name: 'task_run_ms', type: 'REAL', doc: 'asyncio tasks: time its steps ran.' },
      { name: 'task_outcome', type: 'TEXT', doc: 'asyncio tasks: result, cancelled, exception or NULL (not ended).' },
    ],
    rows: (m, row) => {
      const times = new Map(m.threadTimes.map((t) => [t.lane, t]));
      const tasks = new Map((m.tasks ?? []).map((t) => [t.lane, t]));
      for (const l of m.lanes) {
        const t = times.get(l.index);
        const wait = t === undefined ? null : Object.values(t.waitNs).reduce((a, b) => a + (b ?? 0), 0) / 1e6;
        const task = tasks.get(l.index);
        row([l.index, l.kind, l.name, l.process, m.processes[l.process]?.pid ?? null, l.tid, l.nativeId, l.parentLane, l.startSite,
          rel(m, l.startNs), rel(m, l.endNs), t?.cpuNs === null || t === undefined ? null : t.cpuNs / 1e6, wait,
          t?.gilWaitEstimateNs === null || t === undefined ? null : t.gilWaitEstimateNs / 1e6,
          task?.coroutine ?? null, task === undefined ? null : task.runNs / 1e6, task?.outcome ?? null]);
      }
    },
  },
  {
    name: 'objects',
    doc: 'Synchronisation objects and other things waited on: locks, conditions, queues, events, threads, sockets...',
    columns: [
      { name: 'object', type: 'INTEGER', doc: 'Object id in this database (joins waits.object, waits.charged_object).' },
      { name: 'kind', type: 'TEXT', doc: 'lock, rlock, condition, semaphore, event, barrier, queue, thread, mp_lock, aio_lock...' },
      { name: 'name', type: 'TEXT', doc: 'The variable or attribute it was assigned to, when the agent saw one, else "".' },
      { name: 'process', type: 'INTEGER', doc: 'The (first) process that defined it.' },
      { name: 'site', type: 'INTEGER', doc: 'Creation line (joins sites), or NULL.' },
      { name: 'file', type: 'TEXT', doc: 'Creation file.' },
      { name: 'line', type: 'INTEGER', doc: 'Creation line number.' },
      { name: 'parent', type: 'INTEGER', doc: 'The user-visible object it belongs to (a Queue\'s internal Condition -> the Queue), or NULL.' },
      { name: 'role', type: 'TEXT', doc: 'Its role in the parent (e.g. not_empty), or NULL.' },
      { name: 'global_key', type: 'TEXT', doc: 'Key shared across processes (multiprocessing objects), or NULL.' },
    ],
    rows: (m, row) => {
      for (const o of m.objects) {
        const s = o.site === null ? undefined : m.sites[o.site];
        row([o.index, o.kind, o.name, o.process, o.site, s?.file ?? null, s?.line ?? null, o.parent, o.role, o.globalKey ?? null]);
      }
    },
  },
  {
    name: 'sites',
    doc: 'Source lines: where waits happened, objects were made, samples were taken.',
    columns: [
      { name: 'site', type: 'INTEGER', doc: 'Site id (joins *.site columns).' },
      { name: 'file', type: 'TEXT', doc: 'File (absolute when the agent knew the cwd).' },
      { name: 'line', type: 'INTEGER', doc: 'Line number.' },
      { name: 'func', type: 'TEXT', doc: 'Function (qualified name).' },
    ],
    rows: (m, row) => {
      for (const s of m.sites) row([s.index, s.file, s.line, s.func]);
    },
  },
  {
    name: 'waits',
    doc: 'One row per recorded wait (a blocking acquire, get, put, join, sleep, await...), by begin.',
    columns: [
      { name: 'wait', type: 'INTEGER', doc: 'Row id, in begin order.' },
      { name: 'lane', type: 'INTEGER', doc: 'The lane that waited (joins lanes).' },
      { name: 'reason', type: 'TEXT', doc: 'What it waited for: lock, rlock, condition, queue_get, queue_put, join, sleep, select, task...' },
      { name: 'object', type: 'INTEGER', doc: 'The object waited on (joins objects), or NULL.' },
      { name: 'charged_object', type: 'INTEGER', doc: 'The user-visible object the lock table charges this wait to; NULL when the wait is not contention (a sleep, a join, an await of a task). GROUP BY it to get the summary\'s lock table.' },
      { name: 'site', type: 'INTEGER', doc: 'The waiting line (joins sites), or NULL.' },
      { name: 'begin_ns', type: 'INTEGER', doc: 'Begin, ns since the trace start.' },
      { name: 'end_ns', type: 'INTEGER', doc: 'End.' },
      { name: 'dur_ns', type: 'INTEGER', doc: 'end - begin, ns.', as: '(end_ns - begin_ns)' },
      { name: 'begin_ms', type: 'REAL', doc: 'Begin, ms since the trace start.', as: ms('begin_ns') },
      { name: 'end_ms', type: 'REAL', doc: 'End, ms.', as: ms('end_ns') },
      { name: 'dur_ms', type: 'REAL', doc: 'Duration, ms.', as: ms('end_ns - begin_ns') },
      { name: 'holder_lane', type: 'INTEGER', doc: 'Who held the object when the wait began (joins lanes), or NULL.' },
      { name: 'holder_site', type: 'INTEGER', doc: 'The line the holder was on, or NULL.' },
      { name: 'waker_lane', type: 'INTEGER', doc: 'Who released or notified and so ended the wait, or NULL.' },
      { name: 'timed_out', type: 'INTEGER', doc: '1 when it ended without what it waited for (timeout).' },
      { name: 'open', type: 'INTEGER', doc: '1 when it had not ended when the process stopped.' },
      { name: 'holder_estimated', type: 'INTEGER', doc: '1 when holder and waker are estimates (hand-off chains, multiprocessing locks).' },
    ],
    rows: (m, row) => {
      const w = m.waits;
      const { chargeTo, reasonCounts } = contentionCharges(m);
      for (let i = 0; i < w.count; i++) {
        const reason = w.reason[i] as number;
        const obj = w.object[i] as number;
        const flags = w.flags[i] as number;
        const charged = obj >= 0 && obj < chargeTo.length && reasonCounts(reason) ? (chargeTo[obj] as number) : -1;
        row([i, w.lane[i] as number, WAIT_REASONS[reason] ?? 'unknown', nn(obj), nn(charged), nn(w.site[i]), rel(m, w.begin[i] as number),
          rel(m, w.end[i] as number), nn(w.holderLane[i]), nn(w.holderSite[i]), nn(w.wakerLane[i]),
          bool((flags & WaitFlags.TIMED_OUT) !== 0), bool((flags & WaitFlags.OPEN) !== 0), bool((flags & WaitFlags.HOLDER_CHANGED) !== 0)]);
      }
    },
  },
  {
    name: 'sample_rows',
    doc: 'Stack samples as stored (the `samples` view adds the lines): lane, time, state, leaf and user sites.',
    columns: [
      { name: 'sample', type: 'INTEGER', doc: 'Row id, in time order.' },
      { name: 'lane', type: 'INTEGER', doc: 'The sampled lane.' },
      { name: 'ts_ns', type: 'INTEGER', doc: 'Time, ns since the trace start.' },
      { name: 'state', type: 'TEXT', doc: 'running (not in a recorded wait: on CPU, in native code or waiting for the GIL) or waiting.' },
      { name: 'site', type: 'INTEGER', doc: 'Leaf frame\'s line (joins sites), or NULL (no Python frame).' },
      { name: 'user_site', type: 'INTEGER', doc: 'Innermost frame in the user\'s code (not the standard library or the agent), as hotspots count it, or NULL.' },
      { name: 'frame', type: 'INTEGER', doc: 'Leaf of the full stack in the frame tree (`frames`), or NULL.' },
    ],
    rows: (m, row) => {
      const s = m.samples;
      const user = userSiteResolver(m.frames, m.sites);
      for (let i = 0; i < s.count; i++) {
        const frame = s.frame[i] as number;
        row([i, s.lane[i] as number, rel(m, s.ts[i] as number), (s.state[i] as number) === SampleState.WAITING ? 'waiting' : 'running',
          nn(s.site[i]), nn(user(frame)), nn(frame)]);
      }
    },
  },
  {
    name: 'samples',
    doc: 'Stack samples with their leaf function, file and line, and the user\'s line (a view over sample_rows and sites).',
    columns: [
      { name: 'sample', type: 'INTEGER', doc: 'Row id, in time order.' },
      { name: 'lane', type: 'INTEGER', doc: 'The sampled lane (joins lanes).' },
      { name: 'ts_ns', type: 'INTEGER', doc: 'Time, ns since the trace start.' },
      { name: 'ts_ms', type: 'REAL', doc: 'Time, ms.' },
      { name: 'state', type: 'TEXT', doc: 'running or waiting.' },
      { name: 'site', type: 'INTEGER', doc: 'Leaf site, or NULL.' },
      { name: 'func', type: 'TEXT', doc: 'Leaf function.' },
      { name: 'file', type: 'TEXT', doc: 'Leaf file.' },
      { name: 'line', type: 'INTEGER', doc: 'Leaf line.' },
      { name: 'user_site', type: 'INTEGER', doc: 'Innermost user-code site, or NULL.' },
      { name: 'user_func', type: 'TEXT', doc: 'Its function.' },
      { name: 'user_file', type: 'TEXT', doc: 'Its file.' },
      { name: 'user_line', type: 'INTEGER', doc: 'Its line.' },
      { name: 'frame', type: 'INTEGER', doc: 'Leaf of the full stack (joins frames), or NULL.' },
    ],
    view: {
      select: `SELECT r.sample, r.lane, r.ts_ns, r.ts_ns / 1e6 AS ts_ms, r.state, r.site, s.func, s.file, s.line,
        r.user_site, u.func AS user_func, u.file AS user_file, u.line AS user_line, r.frame
        FROM sample_rows r LEFT JOIN sites s ON s.site = r.site LEFT JOIN sites u ON u.site = r.user_site`,
      reads: ['sample_rows', 'sites'],
    },
  },
  {
    name: 'frames',
    doc: 'The stack frame tree: a sample\'s stack is its frame and the chain of parents (callers).',
    columns: [
      { name: 'frame', type: 'INTEGER', doc: 'Frame id.' },
      { name: 'parent', type: 'INTEGER', doc: 'The caller\'s frame, NULL at the root.' },
      { name: 'site', type: 'INTEGER', doc: 'The line this frame was on (joins sites).' },
    ],
    rows: (m, row) => {
      m.frames.forEach((f, i) => row([i, nn(f.parent), nn(f.site)]));
    },
  },
  {
    name: 'spans',
    doc: 'Work that is not a wait: work items run by a worker, GPU kernels, copies and fills, holds of multiprocessing locks.',
    columns: [
      { name: 'span', type: 'INTEGER', doc: 'Row id, in begin order.' },
      { name: 'lane', type: 'INTEGER', doc: 'The lane it ran on.' },
      { name: 'kind', type: 'TEXT', doc: 'work, kernel, copy, fill, hold...' },
      { name: 'label', type: 'TEXT', doc: 'Function or kernel name, copy direction and size.' },
      { name: 'site', type: 'INTEGER', doc: 'Its line (a function\'s def, a launch), or NULL.' },
      { name: 'key', type: 'TEXT', doc: 'What it joins on (a work item\'s flow key, a lock\'s global key), or NULL.' },
      { name: 'begin_ns', type: 'INTEGER', doc: 'Begin, ns since the trace start.' },
      { name: 'end_ns', type: 'INTEGER', doc: 'End.' },
      { name: 'dur_ms', type: 'REAL', doc: 'Duration, ms.', as: ms('end_ns - begin_ns') },
    ],
    rows: (m, row) => {
      m.spans.forEach((s, i) => row([i, s.lane, s.kind, s.label, s.site, s.key ?? null, rel(m, s.begin), rel(m, s.end)]));
    },
  },
  {
    name: 'task_steps',
    doc: 'asyncio: each time a task\'s coroutine ran on its loop thread.',
    columns: [
      { name: 'step', type: 'INTEGER', doc: 'Row id, in begin order.' },
      { name: 'lane', type: 'INTEGER', doc: 'The task\'s lane (its loop thread is lanes.parent_lane).' },
      { name: 'begin_ns', type: 'INTEGER', doc: 'Begin, ns since the trace start.' },
      { name: 'end_ns', type: 'INTEGER', doc: 'End.' },
      { name: 'dur_ms', type: 'REAL', doc: 'Duration, ms.', as: ms('end_ns - begin_ns') },
    ],
    rows: (m, row) => {
      const s = m.taskSteps;
      for (let i = 0; i < (s?.count ?? 0); i++) row([i, s?.lane[i] as number, rel(m, s?.begin[i] as number), rel(m, s?.end[i] as number)]);
    },
  },
  {
    name: 'flows',
    doc: 'Arrows between lanes: unblock (a release that ended a wait), queue and pipe messages, work items and results, spawns, task creation, GPU launches.',
    columns: [
      { name: 'flow', type: 'INTEGER', doc: 'Row id.' },
      { name: 'kind', type: 'TEXT', doc: 'unblock, queue, pipe, work, result, spawn, create, future, launch.' },
      { name: 'from_lane', type: 'INTEGER', doc: 'Sending lane.' },
      { name: 'from_ns', type: 'INTEGER', doc: 'Send time, ns since the trace start.' },
      { name: 'to_lane', type: 'INTEGER', doc: 'Receiving lane.' },
      { name: 'to_ns', type: 'INTEGER', doc: 'Receive time.' },
      { name: 'latency_ms', type: 'REAL', doc: 'to - from, ms.', as: ms('to_ns - from_ns') },
      { name: 'object', type: 'INTEGER', doc: 'The queue, pipe or lock, or NULL.' },
      { name: 'size_bytes', type: 'INTEGER', doc: 'Pickled size of a message or work item, or NULL.' },
    ],
    rows: (m, row) => {
      m.flows.forEach((f, i) => row([i, f.kind, f.fromLane, rel(m, f.fromNs), f.toLane, rel(m, f.toNs), f.object, f.size]));
    },
  },
  {
    name: 'counters',
    doc: 'Counter values over time (`V` records): queue depths, event-loop lag (loop_lag:<lane>, in ns).',
    columns: [
      { name: 'process', type: 'INTEGER', doc: 'The process that wrote it.' },
      { name: 'name', type: 'TEXT', doc: 'Counter name.' },
      { name: 'lane', type: 'INTEGER', doc: 'The lane it is about (loop lag: the loop thread), or NULL.' },
      { name: 'ts_ns', type: 'INTEGER', doc: 'Time, ns since the trace start.' },
      { name: 'value', type: 'REAL', doc: 'Value.' },
    ],
    rows: (m, row) => {
      for (const c of m.counters ?? []) for (let i = 0; i < c.ts.length; i++) row([c.process, c.name, c.lane ?? null, rel(m, c.ts[i] as number), c.value[i] as number]);
    },
  },
  {
    name: 'locks',
    doc: 'The summary\'s lock table: contention per user-visible object (what `weft summary` prints).',
    columns: [
      { name: 'object', type: 'INTEGER', doc: 'The object (joins objects).' },
      { name: 'acquisitions', type: 'INTEGER', doc: 'Acquisitions counted by the agent (contended or not).' },
      { name: 'contentions', type: 'INTEGER', doc: 'Waits charged to it.' },
      { name: 'wait_ms', type: 'REAL', doc: 'Their total, ms.' },
      { name: 'max_wait_ms', type: 'REAL', doc: 'Longest, ms.' },
      { name: 'p50_wait_ms', type: 'REAL', doc: 'Median, ms.' },
      { name: 'p95_wait_ms', type: 'REAL', doc: '95th percentile, ms.' },
      { name: 'contended_hold_ms', type: 'REAL', doc: 'Time it was held while someone waited (union of its waits), ms.' },
    ],
    rows: (m, row) => {
      for (const l of m.locks) {
        row([l.object, l.acquisitions, l.contentions, l.waitNs / 1e6, l.maxWaitNs / 1e6, l.p50WaitNs / 1e6, l.p95WaitNs / 1e6, l.contendedHoldNs / 1e6]);
      }
    },
  },
];

/** Stored (not computed) columns of a table, in insert order. */
export const storedColumns = (t: TableDef): ColumnDef[] => t.columns.filter((c) => c.as === undefined);

/** The CREATE statement of a table or view. */
export function createStatement(t: TableDef): string {
  if (t.view !== undefined) return `CREATE VIEW ${t.name} AS ${t.view.select}`;
  const cols = t.columns.map((c, i) => {
    if (c.as !== undefined) return `${c.name} ${c.type} GENERATED ALWAYS AS ${c.as} VIRTUAL`;
    return `${c.name} ${c.type}${i === 0 && c.type === 'INTEGER' && t.name !== 'counters' ? ' PRIMARY KEY' : ''}`;
  });
  return `CREATE TABLE ${t.name} (${cols.join(', ')})`;
}

/** `weft query --schema`: every table with its columns and their meaning. */
export function formatSchema(): string {
  const out: string[] = [];
  for (const t of TABLES) {
    out.push(`${t.name}${t.view ? ' (view)' : ''}: ${t.doc}`);
    const width = Math.max(...t.columns.map((c) => c.name.length));
    for (const c of t.columns) out.push(`  ${c.name.padEnd(width)}  ${c.type.padEnd(7)}  ${c.doc}${c.as !== undefined ? ' (computed)' : ''}`);
    out.push('');
  }
  return `${out.join('\n')}`;
}
