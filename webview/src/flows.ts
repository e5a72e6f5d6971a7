/**
 * Which arrows to draw in a frame: work items (submit → the worker that took it), results
 * (worker → the thread that received them), messages through multiprocessing queues and
 * pipes, and process starts. They link lanes of different processes, so they are drawn for
 * every visible flow, not only for a selection (unblock arrows, one per woken wait and far
 * more numerous, are still drawn only for the selected wait).
 *
 * Level of detail, the same promise as lod.ts: the cost of a frame is bounded by what can be
 * seen, not by the trace. Rows are sorted by their earlier end, so a binary search finds the
 * first candidate of the window; of arrows between the same two lanes whose two ends fall in
 * the same `bucketNs` of time (about three CSS px: they would be drawn over each other) only
 * the first is kept, at most `maxArrows` in all, and at most `maxScan` rows are looked at. When a limit cuts the list, `truncated` says so
 * and the caller tells the user to zoom in. Pure: no DOM, unit-tested.
 */
import type { ViewData } from '../../runtime/src/view/view-data';
import { lowerBound } from './lod';

/** Arrow kinds drawn across lanes (every kind but unblock). */
export function isCrossLaneKind(kind: string): boolean {
  return kind !== 'unblock';
}

export class FlowIndex {
  /** Flow rows (into ViewData.flows), sorted by `lo`. */
  readonly rows: Int32Array;
  /** Earlier and later end of each sorted row (view ns). */
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  /** Longest flow (hi − lo): how far before the window a visible flow can begin. */
  readonly maxSpan: number;

  constructor(d: ViewData) {
    const f = d.flows;
    const picked: number[] = [];
    for (let i = 0; i < f.count; i++) {
      const kind = d.flowKinds[f.kind[i] as number] ?? 'unblock';
      if (!isCrossLaneKind(kind) || (f.fromLane[i] as number) < 0 || (f.toLane[i] as number) < 0) continue;
      picked.push(i);
    }
    const loOf = (i: number): number => Math.min(f.fromNs[i] as number, f.toNs[i] as number);
    picked.sort((a, b) => loOf(a) - loOf(b) || a - b);
    const n = picked.length;
    this.rows = Int32Array.from(picked);
    this.lo = new Float64Array(n);
    this.hi = new Float64Array(n);
    let maxSpan = 0;
    for (let k = 0; k < n; k++) {
      const i = picked[k] as number;
      const a = f.fromNs[i] as number;
      const b = f.toNs[i] as number;
      this.lo[k] = Math.min(a, b);
      this.hi[k] = Math.max(a, b);
      maxSpan = Math.max(maxSpan, (this.hi[k] as number) - (this.lo[k] as number));
    }
    this.maxSpan = maxSpan;
  }

  get count(): number {
    return this.rows.length;
  }
}

export interface FlowQuery {
  startNs: number;
  endNs: number;
  /** Arrows between the same lanes whose ends are this close (view ns) are drawn once. */
  bucketNs: number;
  /** Whether a lane can be drawn (its row or its process's header row is laid out). */
  laneShown: (lane: number) => boolean;
  maxArrows?: number;
  maxScan?: number;
}

export interface FlowSelection {
  /** Flow rows to draw (into ViewData.flows). */
  rows: number[];
  /** True when a limit left visible arrows out. */
  truncated: boolean;
  /** Rows looked at (for tests of the bound). */
  scanned: number;
}

export const DEFAULT_MAX_ARROWS = 4000;
export const DEFAULT_MAX_SCAN = 200_000;

/** The arrows to draw for a window; see the file comment for the limits. */
export function visibleFlows(index: FlowIndex, d: ViewData, q: FlowQuery): FlowSelection {
  const maxArrows = q.maxArrows ?? DEFAULT_MAX_ARROWS;
  const maxScan = q.maxScan ?? DEFAULT_MAX_SCAN;
  const f = d.flows;
  const out: number[] = [];
  const n = index.count;
  // Anything that begins before this ends before the window.
  let k = lowerBound(index.lo, q.startNs - index.maxSpan, 0, n);
  const laneCount = Math.max(1, d.lanes.length);
  const bucketNs = Math.max(1, q.bucketNs);
  // Buckets of the window, plus one on each side for ends outside it (clamped there: such
  // ends are off screen, and the arrows look alike).
  const buckets = Math.ceil((q.endNs - q.startNs) / bucketNs) + 3;
  const bucketOf = (ns: number): number => Math.min(buckets - 1, Math.max(0, Math.floor((ns - q.startNs) / bucketNs) + 1));
  /** (from lane, to lane, start bucket, end bucket) of the arrows kept, as one exact number
   * (below 2^53 for up to 10^4 lanes and 10^6 buckets per side). */
  const drawn = new Set<number>();
  let scanned = 0;
  let truncated = false;
  for (; k < n && (index.lo[k] as number) <= q.endNs; k++) {
    if (scanned++ >= maxScan) {
      truncated = true;
      break;
    }
    if ((index.hi[k] as number) < q.startNs) continue;
    const row = index.rows[k] as number;
    const from = f.fromLane[row] as number;
    const to = f.toLane[row] as number;
    if (!q.laneShown(from) || !q.laneShown(to)) continue;
    const key = ((from * laneCount + to) * buckets + bucketOf(f.fromNs[row] as number)) * buckets + bucketOf(f.toNs[row] as number);
    if (drawn.has(key)) continue;
    if (out.length >= maxArrows) {
      truncated = true;
      break;
    }
    drawn.add(key);
    out.push(row);
  }
  return { rows: out, truncated, scanned };
}
