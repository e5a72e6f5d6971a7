/**
 * Vertical layout of the timeline, a tree: host → process → thread → the lanes that run on
 * that thread (asyncio tasks, greenlets). A host header row appears only when the run spans
 * more than one host; each process has a header row; under a thread come, indented, the lanes
 * whose `parentLane` leads to it and whose kind is not thread. Lanes of other kinds with no
 * thread above them (a GPU queue, a rank) are lanes of their process after its threads.
 * Every group collapses: a host hides its processes, a process its lanes, a thread its tasks.
 *
 * Positions are *content CSS px*: from the top of the lanes area, before scrolling (see
 * coords.ts for the horizontal spaces). Pure: no DOM, unit-tested.
 *
 * Many tasks. A thread with more than TASK_ROWS_MAX asyncio tasks (a server's 10,000 short
 * requests) would bury everything under rows. Its tasks are then grouped by coroutine function:
 * a group of GROUP_MIN or more tasks is one "tasks" row with its concurrency (tasks alive, tasks
 * running or ready) drawn as a chart; its long-lived tasks (alive for LONG_LIVED_SHARE of the
 * thread's life or more) keep rows of their own under it; and when the group is expanded its
 * short tasks are packed, first fit, into "pack" rows that each draw several tasks that never
 * overlap in time (at most PACK_ROWS_MAX rows; the rest is counted on the group row). A loop
 * thread with a lag series (`loop_lag:` counters) gets a "counter" row for it first.
 *
 * Collapse state is a set of stable keys, saved with the view state (protocol.ts
 * `SavedState.collapsed`): "h:<host>", "p:<host>/<pid>.<serial>" and "l:<lane id>", where
 * <host> is the host's id (else its name, else its index). States saved before hosts existed
 * hold bare "<pid>.<serial>" process keys; `upgradeCollapsed` reads them. Task groups are
 * collapsed by default, so their key "t:<thread lane id>/<coroutine>" in the set means the
 * opposite: expanded.
 */
import type { ViewData, ViewLane } from '../../runtime/src/view/view-data';

export const HOST_ROW_HEIGHT = 24;
export const PROCESS_ROW_HEIGHT = 24;
export const LANE_HEIGHT = 22;
/** Height of a task group's concurrency chart row and of a loop-lag row. */
export const CHART_ROW_HEIGHT = 30;
/** Above this many tasks on one thread, tasks are grouped by coroutine (see the file comment). */
export const TASK_ROWS_MAX = 30;
/** Groups smaller than this keep one row per task. */
export const GROUP_MIN = 5;
/** Packed rows an expanded group shows at most. */
export const PACK_ROWS_MAX = 200;
/** A task alive for this share of its thread's life or more is long-lived: a row of its own. */
export const LONG_LIVED_SHARE = 0.25;
/** Order of lane kinds inside a process (and under a thread); kinds not listed come last. */
const KIND_ORDER: Record<string, number> = {
  thread: 0, task: 1, greenlet: 2, worker: 3, rank: 4, 'gpu-queue': 5, gpu: 5, unknown: 8,
};

export type LayoutRow =
  | { kind: 'host'; host: number; key: string; y: number; height: number; depth: number; processCount: number; collapsed: boolean }
  | {
    kind: 'process'; process: number; key: string; y: number; height: number; depth: number;
    /** Lanes of the process, all kinds. */
    laneCount: number;
    /** How many lanes of each kind, threads first ("3 threads, 2 tasks"). */
    kindCounts: [string, number][];
    collapsed: boolean;
  }
  | {
    kind: 'lane'; lane: number; process: number; key: string; y: number; height: number; depth: number;
    /** Lanes shown under this one (a thread's tasks); 0 for a lane with none. */
    childCount: number;
    /** True when this lane's children are hidden (only meaningful with children). */
    collapsed: boolean;
    /** True for a lane drawn under a thread (a task, a greenlet): its label is indented. */
    nested: boolean;
  }
  | {
    /** The tasks of one coroutine function on one thread, drawn as their concurrency. */
    kind: 'tasks'; thread: number; process: number; key: string; y: number; height: number; depth: number;
    coroutine: string;
    /** Index into ViewData.taskGroups (the process-wide group), -1 when the model has none. */
    group: number;
    /** Every task of the group on this thread, by start. */
    lanes: number[];
    /** Tasks with no row when expanded (beyond PACK_ROWS_MAX packed rows); 0 when collapsed. */
    hiddenCount: number;
    collapsed: boolean;
  }
  | {
    /** Short tasks of an expanded group that never overlap in time, drawn on one row. */
    kind: 'pack'; thread: number; process: number; key: string; y: number; height: number; depth: number;
    /** By start; each ends before the next starts. */
    lanes: number[];
  }
  | {
    /** A counter series drawn under its lane (a loop thread's lag). */
    kind: 'counter'; thread: number; process: number; key: string; y: number; height: number; depth: number;
    /** Index into ViewData.counters. */
    counter: number;
  };

export interface Layout {
  rows: LayoutRow[];
  height: number;
  /** Row index of each lane, -1 when it is inside a collapsed group. */
  rowOfLane: Int32Array;
  /** The row that stands for each lane: its own, else the header row of the innermost
   * collapsed group it is in (where arrows to it end), -1 when none. */
  anchorRowOfLane: Int32Array;
  /** Whether the layout shows host rows (the run spans more than one host). */
  hostRows: boolean;
}

export const EMPTY_LAYOUT: Layout = {
  rows: [], height: 0, rowOfLane: new Int32Array(0), anchorRowOfLane: new Int32Array(0), hostRows: false,
};

/** Process key of states saved before hosts: "pid.serial" (they survive live updates). */
export function processKey(data: ViewData, p: number): string {
  const proc = data.processes[p];
  return proc ? `${proc.pid}.${proc.serial}` : String(p);
}

/** The part of keys that names a host: its id, else its name, else its index. */
function hostPart(data: ViewData, host: number): string {
  const h = data.hosts[host];
  return h ? h.id || h.name || String(h.index) : String(host);
}

export function hostGroupKey(data: ViewData, host: number): string {
  return `h:${hostPart(data, host)}`;
}

export function processGroupKey(data: ViewData, p: number): string {
  return `p:${hostPart(data, data.processes[p]?.host ?? 0)}/${processKey(data, p)}`;
}

export function laneGroupKey(data: ViewData, lane: number): string {
  return `l:${data.lanes[lane]?.id ?? String(lane)}`;
}

const LEGACY_PROCESS_KEY = /^-?\d+\.-?\d+$/;

/**
 * Collapse keys read from a saved state, in today's form: a bare "pid.serial" (saved before
 * hosts) becomes the key of the process with that pid and serial, on whatever host; keys it
 * does not know are kept, since a live run may add the group later.
 */
export function upgradeCollapsed(data: ViewData, keys: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const k of keys) {
    if (!LEGACY_PROCESS_KEY.test(k)) {
      out.add(k);
      continue;
    }
    let found = false;
    data.processes.forEach((_p, i) => {
      if (processKey(data, i) === k) {
        out.add(processGroupKey(data, i));
        found = true;
      }
    });
    if (!found) out.add(k);
  }
  return out;
}

/** Every collapse key the data has a group for (saved state keeps only these). */
export function collapseKeys(data: ViewData): Set<string> {
  const out = new Set<string>();
  data.hosts.forEach((_h, i) => out.add(hostGroupKey(data, i)));
  data.processes.forEach((_p, i) => out.add(processGroupKey(data, i)));
  data.lanes.forEach((_l, i) => out.add(laneGroupKey(data, i)));
  for (const l of data.lanes) {
    if (!isTaskLike(l)) continue;
    const t = hostThread(data, l.index);
    if (t !== null) out.add(taskGroupKey(data, t, coroutineOf(l)));
  }
  return out;
}

/** The key of a thread's group of tasks of one coroutine (expanded when in the set). */
export function taskGroupKey(data: ViewData, thread: number, coroutine: string): string {
  return `t:${data.lanes[thread]?.id ?? String(thread)}/${coroutine}`;
}

/** The grouping key of a task lane: its coroutine, else its name without a trailing number
 * (an older model: "Task-12" and "Task-13" group together). */
function coroutineOf(l: ViewLane): string {
  return l.task?.coroutine || l.name.replace(/[-_ ]?\d+$/, '') || l.name;
}

function isTaskLike(l: ViewLane): boolean {
  return l.kind === 'task' || l.kind === 'greenlet';
}

/** One entry under a thread: a lane row, or a group of tasks (with its long-lived tasks). */
type Arranged = { lane: ViewLane } | { coroutine: string; tasks: ViewLane[]; long: ViewLane[]; short: ViewLane[] };

/**
 * What goes under a thread: every lane on its own row when there are few tasks; otherwise
 * tasks grouped by coroutine (groups in the order of their first task), other lanes on rows.
 */
function arrangeChildren(thread: ViewLane, children: ViewLane[]): Arranged[] {
  // Greenlets group like tasks (by their function): a gevent server has as many.
  const tasks = children.filter(isTaskLike);
  if (tasks.length <= TASK_ROWS_MAX) return children.map((lane) => ({ lane }));
  const groups = new Map<string, ViewLane[]>();
  for (const t of tasks) {
    const k = coroutineOf(t);
    const list = groups.get(k) ?? [];
    list.push(t);
    groups.set(k, list);
  }
  const wall = Math.max(1, thread.endNs - thread.startNs);
  const out: Arranged[] = [];
  const placed = new Set<string>();
  for (const c of children) {
    if (!isTaskLike(c)) {
      out.push({ lane: c });
      continue;
    }
    const k = coroutineOf(c);
    if (placed.has(k)) continue;
    placed.add(k);
    const list = groups.get(k) ?? [];
    if (list.length < GROUP_MIN) {
      for (const t of list) out.push({ lane: t });
      continue;
    }
    const long = list.filter((t) => t.endNs - t.startNs >= LONG_LIVED_SHARE * wall);
    const short = list.filter((t) => t.endNs - t.startNs < LONG_LIVED_SHARE * wall);
    out.push({ coroutine: k, tasks: list, long, short });
  }
  return out;
}

/** First-fit packing of lanes (by start) into rows whose lanes do not overlap in time. */
export function packLanes(lanes: readonly ViewLane[], maxRows: number): { rows: number[][]; hidden: number } {
  const rows: number[][] = [];
  const ends: number[] = [];
  let hidden = 0;
  for (const l of [...lanes].sort((a, b) => a.startNs - b.startNs || a.index - b.index)) {
    let r = 0;
    while (r < ends.length && (ends[r] as number) > l.startNs) r++;
    if (r === ends.length) {
      if (rows.length >= maxRows) {
        hidden++;
        continue;
      }
      rows.push([]);
      ends.push(0);
    }
    (rows[r] as number[]).push(l.index);
    ends[r] = Math.max(l.endNs, l.startNs + 1);
  }
  return { rows, hidden };
}

/** Processes in tree order: each root, then its children (by start), depth first. */
function processOrder(data: ViewData): number[] {
  const children = new Map<number | null, number[]>();
  for (const p of data.processes) {
    const parent = p.parent !== null && data.processes[p.parent] ? p.parent : null;
    const list = children.get(parent) ?? [];
    list.push(p.index);
    children.set(parent, list);
  }
  for (const list of children.values()) list.sort((a, b) => (data.processes[a]?.startNs ?? 0) - (data.processes[b]?.startNs ?? 0) || a - b);
  const out: number[] = [];
  const seen = new Set<number>();
  const visit = (p: number): void => {
    if (seen.has(p)) return;
    seen.add(p);
    out.push(p);
    for (const c of children.get(p) ?? []) visit(c);
  };
  for (const r of children.get(null) ?? []) visit(r);
  // Cycles in parentage (pid reuse) would leave processes out; add them at the end.
  for (const p of data.processes) visit(p.index);
  return out;
}

export function laneOrder(a: ViewLane, b: ViewLane): number {
  return (KIND_ORDER[a.kind] ?? 9) - (KIND_ORDER[b.kind] ?? 9) || a.startNs - b.startNs || a.index - b.index;
}

/**
 * The thread a non-thread lane is drawn under: the first thread on its `parentLane` chain, in
 * the same process (a task started by a task still runs on its loop's thread); null when the
 * chain reaches no thread, leaves the process, or loops.
 */
export function hostThread(data: ViewData, lane: number): number | null {
  const l = data.lanes[lane];
  if (!l || l.kind === 'thread') return null;
  let p = l.parentLane;
  for (let steps = 0; p !== null && steps < data.lanes.length; steps++) {
    const q = data.lanes[p];
    if (!q || q.process !== l.process) return null;
    if (q.kind === 'thread') return q.index;
    p = q.parentLane;
  }
  return null;
}

/** "3 threads, 2 tasks": kind counts for a header, threads first. */
function countKinds(lanes: ViewLane[]): [string, number][] {
  const m = new Map<string, number>();
  for (const l of [...lanes].sort(laneOrder)) m.set(l.kind, (m.get(l.kind) ?? 0) + 1);
  return [...m.entries()];
}

export function layoutLanes(data: ViewData, collapsed: ReadonlySet<string>): Layout {
  // Lanes of each process at the top level (threads, and lanes under no thread), and the
  // lanes under each thread.
  const top = new Map<number, ViewLane[]>();
  const under = new Map<number, ViewLane[]>();
  const all = new Map<number, ViewLane[]>();
  for (const l of data.lanes) {
    const t = hostThread(data, l.index);
    const into = t === null ? top : under;
    const key = t === null ? l.process : t;
    const list = into.get(key) ?? [];
    list.push(l);
    into.set(key, list);
    const a = all.get(l.process) ?? [];
    a.push(l);
    all.set(l.process, a);
  }
  const rows: LayoutRow[] = [];
  const rowOfLane = new Int32Array(data.lanes.length).fill(-1);
  const anchorRowOfLane = new Int32Array(data.lanes.length).fill(-1);
  const hostRows = data.hosts.length > 1;
  let y = 0;
  const order = processOrder(data);
  const hostCount = Math.max(1, data.hosts.length);
  for (let h = 0; h < hostCount; h++) {
    const procs = order.filter((p) => (data.processes[p]?.host ?? 0) === h);
    let hostCollapsed = false;
    let hostRow = -1;
    if (hostRows) {
      const key = hostGroupKey(data, h);
      hostCollapsed = collapsed.has(key);
      hostRow = rows.length;
      rows.push({ kind: 'host', host: h, key, y, height: HOST_ROW_HEIGHT, depth: 0, processCount: procs.length, collapsed: hostCollapsed });
      y += HOST_ROW_HEIGHT;
    }
    const depth = hostRows ? 1 : 0;
    for (const p of procs) {
      const lanes = all.get(p) ?? [];
      if (hostCollapsed) {
        for (const l of lanes) anchorRowOfLane[l.index] = hostRow;
        continue;
      }
      const key = processGroupKey(data, p);
      const isCollapsed = collapsed.has(key);
      const procRow = rows.length;
      rows.push({
        kind: 'process', process: p, key, y, height: PROCESS_ROW_HEIGHT, depth, laneCount: lanes.length, kindCounts: countKinds(lanes), collapsed: isCollapsed,
      });
      y += PROCESS_ROW_HEIGHT;
      if (isCollapsed) {
        for (const l of lanes) anchorRowOfLane[l.index] = procRow;
        continue;
      }
      for (const l of (top.get(p) ?? []).sort(laneOrder)) {
        const children = (under.get(l.index) ?? []).sort(laneOrder);
        const laneKey = laneGroupKey(data, l.index);
        const laneCollapsed = children.length > 0 && collapsed.has(laneKey);
        const own = rows.length;
        rowOfLane[l.index] = own;
        anchorRowOfLane[l.index] = own;
        rows.push({
          kind: 'lane', lane: l.index, process: p, key: laneKey, y, height: LANE_HEIGHT, depth: depth + 1,
          childCount: children.length, collapsed: laneCollapsed, nested: false,
        });
        y += LANE_HEIGHT;
        if (laneCollapsed) {
          for (const c of children) anchorRowOfLane[c.index] = own;
          continue;
        }
        const d2 = depth + 2;
        data.counters.forEach((c, ci) => {
          if (c.lane !== l.index) return;
          rows.push({ kind: 'counter', thread: l.index, process: p, key: `c:${l.id}/${c.name}`, y, height: CHART_ROW_HEIGHT, depth: d2, counter: ci });
          y += CHART_ROW_HEIGHT;
        });
        const laneRow = (c: ViewLane): void => {
          rowOfLane[c.index] = rows.length;
          anchorRowOfLane[c.index] = rows.length;
          rows.push({
            kind: 'lane', lane: c.index, process: p, key: laneGroupKey(data, c.index), y, height: LANE_HEIGHT, depth: d2,
            childCount: 0, collapsed: false, nested: true,
          });
          y += LANE_HEIGHT;
        };
        for (const a of arrangeChildren(l, children)) {
          if ('lane' in a) {
            laneRow(a.lane);
            continue;
          }
          const key = taskGroupKey(data, l.index, a.coroutine);
          const expanded = collapsed.has(key);
          const groupRow = rows.length;
          const packed = expanded ? packLanes(a.short, PACK_ROWS_MAX) : { rows: [], hidden: 0 };
          rows.push({
            kind: 'tasks', thread: l.index, process: p, key, y, height: CHART_ROW_HEIGHT, depth: d2, coroutine: a.coroutine,
            group: a.tasks[0]?.task?.group ?? -1, lanes: a.tasks.map((t) => t.index), hiddenCount: packed.hidden, collapsed: !expanded,
          });
          y += CHART_ROW_HEIGHT;
          for (const t of a.short) anchorRowOfLane[t.index] = groupRow;
          for (const t of a.long) laneRow(t);
          packed.rows.forEach((lanes, i) => {
            for (const ln of lanes) {
              rowOfLane[ln] = rows.length;
              anchorRowOfLane[ln] = rows.length;
            }
            rows.push({ kind: 'pack', thread: l.index, process: p, key: `${key}#${i}`, y, height: LANE_HEIGHT, depth: d2 + 1, lanes });
            y += LANE_HEIGHT;
          });
        }
      }
    }
  }
  return { rows, height: y, rowOfLane, anchorRowOfLane, hostRows };
}

/**
 * The collapse keys of the groups a lane is hidden in (its thread, its process, its host):
 * removing them shows the lane.
 */
export function groupsAbove(data: ViewData, lane: number): string[] {
  const l = data.lanes[lane];
  if (!l) return [];
  const keys = [processGroupKey(data, l.process), hostGroupKey(data, data.processes[l.process]?.host ?? 0)];
  const t = hostThread(data, lane);
  if (t !== null) keys.unshift(laneGroupKey(data, t));
  return keys;
}

/**
 * The key to add to the collapse set to show a lane that sits in a collapsed task group (the
 * group key means "expanded"), or null when the lane is in no group.
 */
export function taskGroupAbove(data: ViewData, lane: number): string | null {
  const l = data.lanes[lane];
  if (!l || !isTaskLike(l)) return null;
  const t = hostThread(data, lane);
  return t === null ? null : taskGroupKey(data, t, coroutineOf(l));
}

/** The row at content CSS y, or -1. Rows are sorted by y: binary search. */
export function rowAt(layout: Layout, y: number): number {
  let lo = 0;
  let hi = layout.rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const r = layout.rows[mid] as LayoutRow;
    if (r.y + r.height <= y) lo = mid + 1;
    else hi = mid;
  }
  const r = layout.rows[lo];
  return r && r.y <= y ? lo : -1;
}
