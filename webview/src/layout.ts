/**
 * Vertical layout of the timeline: a header row per process, then its lanes. Lane kinds are
 * generic (threads today; asyncio tasks and GPU streams are further kinds of lane), ordered
 * within a process by kind and then by start time, so the main thread comes first.
 * Positions are CSS px from the top of the lanes area (before scrolling).
 */
import type { ViewData, ViewLane } from '../../runtime/src/view/view-data';

export const PROCESS_ROW_HEIGHT = 24;
export const LANE_HEIGHT = 22;
/** Order of lane kinds inside a process. */
const KIND_ORDER: Record<string, number> = { thread: 0, task: 1, gpu: 2 };

export type LayoutRow =
  | { kind: 'process'; process: number; y: number; height: number; laneCount: number; collapsed: boolean }
  | { kind: 'lane'; lane: number; process: number; y: number; height: number };

export interface Layout {
  rows: LayoutRow[];
  height: number;
  /** Row index of each lane (-1 when its process is collapsed). */
  rowOfLane: Int32Array;
}

/** Key of a process for saved state (pid and serial survive live updates). */
export function processKey(data: ViewData, p: number): string {
  const proc = data.processes[p];
  return proc ? `${proc.pid}.${proc.serial}` : String(p);
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

export function layoutLanes(data: ViewData, collapsed: ReadonlySet<string>): Layout {
  const byProcess = new Map<number, ViewLane[]>();
  for (const l of data.lanes) {
    const list = byProcess.get(l.process) ?? [];
    list.push(l);
    byProcess.set(l.process, list);
  }
  const rows: LayoutRow[] = [];
  const rowOfLane = new Int32Array(data.lanes.length).fill(-1);
  let y = 0;
  for (const p of processOrder(data)) {
    const lanes = (byProcess.get(p) ?? []).sort(laneOrder);
    const isCollapsed = collapsed.has(processKey(data, p));
    rows.push({ kind: 'process', process: p, y, height: PROCESS_ROW_HEIGHT, laneCount: lanes.length, collapsed: isCollapsed });
    y += PROCESS_ROW_HEIGHT;
    if (isCollapsed) continue;
    for (const l of lanes) {
      rowOfLane[l.index] = rows.length;
      rows.push({ kind: 'lane', lane: l.index, process: p, y, height: LANE_HEIGHT });
      y += LANE_HEIGHT;
    }
  }
  return { rows, height: y, rowOfLane };
}

/** The row at CSS y (content coordinates), or -1. Rows are sorted by y: binary search. */
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
