/**
 * Arrows between lanes, drawn over the tracks. Flows (work items, results, messages through
 * queues and pipes, process starts) are chosen per frame by flows.ts within the visible-pixels
 * bound and drawn for every visible flow, across processes; an arrow to a lane inside a
 * collapsed group ends at that group's row (a collapsed thread's lane, a process or host
 * header: `Layout.anchorRowOfLane`). Unblock arrows, one per woken wait, and a work item's
 * submit and result arrows are drawn only for the selected segment.
 */
import { SegmentState, type ViewData } from '../../runtime/src/view/view-data';
import { contentToDeviceY, spanOf } from './coords';
import { laneOfSegment } from './describe';
import { visibleFlows, type FlowIndex } from './flows';
import { laneRowTop } from './overlays';
import type { LanesFrame } from './tracks/track';

/** Device px y of the middle of the row that stands for a lane (its own, or its collapsed
 * group's), or null when nothing of it is laid out. */
export function arrowY(f: LanesFrame, lane: number): number | null {
  const r = f.layout.rows[f.layout.anchorRowOfLane[lane] ?? -1];
  return r ? contentToDeviceY(r.y + r.height / 2, f.scrollTopCss, f.dpr) : null;
}

/**
 * The arrows between lanes, coloured like what they carry: work items and results in the
 * work item colour, messages in the queue colour, the rest in the arrow colour. Dimmed while a
 * lock is selected, like the lanes. Returns whether a limit left arrows out ("zoom in").
 */
export function drawFlows(f: LanesFrame, index: FlowIndex | null, widthCss: number, dimmed: boolean, newPath: () => Path2D): boolean {
  if (!index || index.count === 0) return false;
  const d = f.data;
  const ys = new Map<number, number | null>();
  const yOf = (lane: number): number | null => {
    let y = ys.get(lane);
    if (y === undefined) {
      y = arrowY(f, lane);
      ys.set(lane, y);
    }
    return y;
  };
  const sel = visibleFlows(index, d, {
    startNs: f.win.startNs, endNs: f.win.endNs, bucketNs: (spanOf(f.win) / widthCss) * 3, laneShown: (l) => yOf(l) !== null,
  });
  const groups = [
    { color: f.theme.state[SegmentState.WORK] as string, line: newPath(), head: newPath() },
    { color: f.theme.state[SegmentState.QUEUE] as string, line: newPath(), head: newPath() },
    { color: f.theme.arrow, line: newPath(), head: newPath() },
  ];
  const fl = d.flows;
  for (const row of sel.rows) {
    const kind = d.flowKinds[fl.kind[row] as number];
    // Work items ('work'; the model reads v1's 'task' as 'work') and their results.
    const g = groups[kind === 'work' || kind === 'result' ? 0 : kind === 'queue' || kind === 'pipe' ? 1 : 2] as (typeof groups)[number];
    const y1 = yOf(fl.fromLane[row] as number);
    const y2 = yOf(fl.toLane[row] as number);
    if (y1 === null || y2 === null) continue;
    addFlowArrow(g.line, g.head, f.toX(fl.fromNs[row] as number), y1, f.toX(fl.toNs[row] as number), y2, f.dpr);
  }
  const ctx = f.ctx;
  ctx.globalAlpha = dimmed ? 0.3 : 0.85;
  ctx.lineWidth = 1.25 * f.dpr;
  for (const g of groups) {
    ctx.strokeStyle = g.color;
    ctx.fillStyle = g.color;
    ctx.stroke(g.line);
    ctx.fill(g.head);
  }
  ctx.globalAlpha = 1;
  return sel.truncated;
}

/** For the selected segment: a wait's unblock arrow (from who woke it), or a work item's
 * submit and result arrows, highlighted. */
export function drawSelectionArrows(f: LanesFrame, seg: number, newPath: () => Path2D): void {
  const d: ViewData = f.data;
  const { ctx, dpr } = f;
  const s = d.segments;
  const lane = laneOfSegment(d, seg);
  const wait = s.wait[seg] as number;
  if (wait >= 0) {
    const w = d.waits;
    const waker = w.wakerLane[wait] as number;
    const wy = waker >= 0 && waker !== lane ? laneRowTop(f, waker) : null;
    const ty = laneRowTop(f, lane);
    const wr = f.layout.rows[f.layout.rowOfLane[waker] ?? -1];
    const tr = f.layout.rows[f.layout.rowOfLane[lane] ?? -1];
    if (wy !== null && ty !== null && wr && tr) {
      const x = f.toX(w.end[wait] as number);
      drawArrow(ctx, x, wy + (wr.height / 2) * dpr, x, ty + (tr.height / 2) * dpr, f.theme.arrow, dpr);
    }
    return;
  }
  const span = s.span[seg] as number;
  const item = span >= 0 ? (d.spans.workItem[span] as number) : -1;
  if (item < 0) return;
  const wi = d.workItems;
  const line = newPath();
  const head = newPath();
  const arrow = (fromLane: number, fromNs: number, toLane: number, toNs: number): void => {
    const ya = fromLane >= 0 && !Number.isNaN(fromNs) ? arrowY(f, fromLane) : null;
    const yb = toLane >= 0 && !Number.isNaN(toNs) ? arrowY(f, toLane) : null;
    if (ya !== null && yb !== null) addFlowArrow(line, head, f.toX(fromNs), ya, f.toX(toNs), yb, dpr);
  };
  arrow(wi.submitLane[item] as number, wi.submitNs[item] as number, wi.workerLane[item] as number, wi.startNs[item] as number);
  arrow(wi.workerLane[item] as number, wi.endNs[item] as number, wi.resultLane[item] as number, wi.resultNs[item] as number);
  ctx.strokeStyle = f.theme.highlight;
  ctx.fillStyle = f.theme.highlight;
  ctx.lineWidth = 2 * dpr;
  ctx.stroke(line);
  ctx.fill(head);
}

/**
 * Adds an arrow between lanes to two paths (the curve, and the head with a dot at the start),
 * so that many arrows are stroked and filled in two calls. The curve leaves and enters
 * horizontally, so the head always points right, into the moment it arrived; an arrow whose
 * ends are at one time (or close) still gets a visible S-bend.
 */
export function addFlowArrow(line: Path2D, head: Path2D, x1: number, y1: number, x2: number, y2: number, dpr: number): void {
  const k = Math.max(Math.abs(x2 - x1) / 2, 14 * dpr);
  line.moveTo(x1, y1);
  line.bezierCurveTo(x1 + k, y1, x2 - k, y2, x2, y2);
  const s = 5 * dpr;
  head.moveTo(x2, y2);
  head.lineTo(x2 - s, y2 - s / 2);
  head.lineTo(x2 - s, y2 + s / 2);
  head.closePath();
  head.moveTo(x1 + 2 * dpr, y1);
  head.arc(x1, y1, 2 * dpr, 0, Math.PI * 2);
}

/** A curved arrow from (x1, y1) to (x2, y2), bulging right so a vertical one is visible. */
function drawArrow(ctx: CanvasRenderingContext2D, x1: number, y1: number, x2: number, y2: number, color: string, dpr: number): void {
  const bulge = 28 * dpr;
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.lineWidth = 1.5 * dpr;
  ctx.beginPath();
  ctx.arc(x1, y1, 3 * dpr, 0, Math.PI * 2);
  ctx.fill();
  ctx.beginPath();
  ctx.moveTo(x1, y1);
  ctx.bezierCurveTo(x1 + bulge, y1, x2 + bulge, y2, x2 + 4 * dpr, y2);
  ctx.stroke();
  // Arrowhead pointing left, into the waiter's lane at the moment it was woken.
  const s = 6 * dpr;
  ctx.beginPath();
  ctx.moveTo(x2 + 1 * dpr, y2);
  ctx.lineTo(x2 + 1 * dpr + s, y2 - s / 2);
  ctx.lineTo(x2 + 1 * dpr + s, y2 + s / 2);
  ctx.closePath();
  ctx.fill();
}
