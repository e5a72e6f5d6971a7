/**
 * What is drawn over the tracks, whatever their kind: the selected lock's waits at full
 * strength with an outline (the rest of the lanes dimmed), who held it (a multiprocessing
 * lock's holds, outlined on the holders' lanes in any process, holds.ts), the selected
 * segment and its holder's time, the hovered item and the pointer's time line. Each overlay
 * outlines the bar box of the track it lies on, so a task's thinner bars are outlined right.
 */
import { GPU_SPAN_KINDS, STATE_COUNT } from '../../runtime/src/view/view-data';
import { contentToDeviceY } from './coords';
import { laneOfSegment } from './describe';
import { holdRuns, type LaneHolds } from './holds';
import { aggregateLane, type LodIndex, LodItems } from './lod';
import { trackFor } from './tracks/registry';
import type { BarBox, LanesFrame } from './tracks/track';

/** The selected lock: its waits as their own LOD index, and its holds by holder lane (a
 * multiprocessing lock's; null when it has none). */
export interface LockOverlay {
  lod: LodIndex;
  source: Int32Array;
  holds: LaneHolds | null;
}

/** Device px top of a lane's row when it is laid out, else null. */
export function laneRowTop(f: LanesFrame, lane: number): number | null {
  const r = f.layout.rows[f.layout.rowOfLane[lane] ?? -1];
  return r ? contentToDeviceY(r.y, f.scrollTopCss, f.dpr) : null;
}

function barOf(f: LanesFrame, lane: number): BarBox {
  return trackFor(f.data.lanes[lane]?.kind ?? 'unknown').bar;
}

/** Reused between frames: the selected lock's items of one lane. */
const overlayItems = new LodItems();

/** The selected lock's waits on the visible lanes, and its holds. */
export function drawLockOverlay(f: LanesFrame, overlay: LockOverlay, visibleLanes: readonly number[], newPath: () => Path2D): void {
  const { ctx, dpr, theme, win, minNs } = f;
  const hl = newPath();
  const fills: Path2D[] = [];
  for (let s = 0; s < STATE_COUNT; s++) fills.push(newPath());
  for (const lane of visibleLanes) {
    const rowTop = laneRowTop(f, lane);
    if (rowTop === null) continue;
    const bar = barOf(f, lane);
    aggregateLane(overlay.lod, lane, win.startNs, win.endNs, minNs, overlayItems);
    const top = rowTop + bar.top * dpr;
    const bh = bar.height * dpr;
    for (let k = 0; k < overlayItems.length; k++) {
      const x0 = Math.floor(f.toX(overlayItems.begin[k] as number));
      const x1 = Math.max(x0 + 2, Math.round(f.toX(overlayItems.end[k] as number)));
      (fills[overlayItems.state[k] as number] as Path2D).rect(x0, top, x1 - x0, bh);
      hl.rect(x0 + 0.5, top + 0.5, x1 - x0 - 1, bh - 1);
    }
  }
  for (let s = 0; s < STATE_COUNT; s++) {
    ctx.fillStyle = theme.state[s] as string;
    ctx.fill(fills[s] as Path2D);
  }
  ctx.strokeStyle = theme.highlight;
  ctx.lineWidth = Math.max(1, dpr);
  ctx.stroke(hl);
  if (!overlay.holds) return;
  // Who held it: a thin outline on the holder's lane, one per run of holds closer than a pixel.
  const held = newPath();
  for (const lane of visibleLanes) {
    const rowTop = laneRowTop(f, lane);
    const row = f.layout.rows[f.layout.rowOfLane[lane] ?? -1];
    if (rowTop === null || !row) continue;
    const { runs } = holdRuns(overlay.holds, lane, win.startNs, win.endNs, minNs);
    const top = rowTop + dpr;
    const bh = (row.height - 2) * dpr;
    for (let k = 0; k < runs.length; k += 2) {
      const x0 = Math.max(-2, Math.floor(f.toX(runs[k] as number)));
      const x1 = Math.min(f.widthDevice + 2, Math.max(x0 + 2, Math.round(f.toX(runs[k + 1] as number))));
      held.rect(x0 + 0.5, top + 0.5, x1 - x0 - 1, bh - 1);
    }
  }
  ctx.strokeStyle = theme.highlight;
  ctx.lineWidth = dpr;
  ctx.stroke(held);
}

/** Device px x range of a segment, at least 3 px wide so a tiny selection shows. */
function segmentX(f: LanesFrame, seg: number): [number, number] {
  const s = f.data.segments;
  const x0 = Math.floor(f.toX(s.begin[seg] as number));
  return [x0, Math.max(x0 + 3, Math.round(f.toX(s.end[seg] as number)))];
}

/** For a selected wait: what its holder did meanwhile, a dashed bracket on the holder's lane. */
export function drawHolderBracket(f: LanesFrame, seg: number): void {
  const wait = f.data.segments.wait[seg] as number;
  if (wait < 0) return;
  const holder = f.data.waits.holderLane[wait] as number;
  const hy = holder >= 0 ? laneRowTop(f, holder) : null;
  const row = f.layout.rows[f.layout.rowOfLane[holder] ?? -1];
  if (hy === null || !row) return;
  const { ctx, dpr } = f;
  const [x0, x1] = segmentX(f, seg);
  ctx.setLineDash([4 * dpr, 3 * dpr]);
  ctx.strokeStyle = f.theme.highlight;
  ctx.lineWidth = 1.5 * dpr;
  ctx.strokeRect(x0 + 0.5, hy + 1.5 * dpr, x1 - x0 - 1, (row.height - 3) * dpr);
  ctx.setLineDash([]);
}

/** The selected segment's outline, around its track's bar. */
export function drawSelectionOutline(f: LanesFrame, seg: number): void {
  const lane = laneOfSegment(f.data, seg);
  const rowTop = laneRowTop(f, lane);
  if (rowTop === null) return;
  const { ctx, dpr } = f;
  const bar = barOf(f, lane);
  const [x0, x1] = segmentX(f, seg);
  ctx.strokeStyle = f.theme.selection;
  ctx.lineWidth = 2 * dpr;
  ctx.strokeRect(x0 + dpr, rowTop + bar.top * dpr - dpr, x1 - x0 - 2 * dpr, (bar.height + 2) * dpr);
}

/** The hovered item's outline: [beginNs, endNs] on `lane`. */
export function drawHover(f: LanesFrame, lane: number, beginNs: number, endNs: number): void {
  const rowTop = laneRowTop(f, lane);
  if (rowTop === null) return;
  const { ctx, dpr } = f;
  const bar = barOf(f, lane);
  const x0 = Math.floor(f.toX(beginNs));
  const x1 = Math.max(x0 + 2, Math.round(f.toX(endNs)));
  ctx.strokeStyle = f.theme.foreground;
  ctx.lineWidth = dpr;
  ctx.strokeRect(x0 + 0.5, rowTop + bar.top * dpr + 0.5, x1 - x0 - 1, bar.height * dpr - 1);
}

/** A vertical line at the pointer (CSS px x in the lanes area). */
export function drawPointerLine(f: LanesFrame, xCss: number): void {
  f.ctx.fillStyle = f.theme.muted;
  f.ctx.fillRect(Math.round(xCss * f.dpr), 0, Math.max(1, Math.floor(f.dpr)), f.heightDevice);
}

/** Loop blocks narrower than this (device px) get no text label, only their outline. */
const BLOCK_LABEL_MIN_PX = 70;

/**
 * Event-loop blocks (view-data `loopBlocks`) on their loop thread's row: an outline around the
 * block in the lock colour, the full row height, and "blocked 300 ms" inside when it is wide
 * enough. Only blocks in the window whose thread is laid out are drawn.
 */
export function drawLoopBlocks(f: LanesFrame): void {
  const { ctx, dpr, theme, win } = f;
  const blocks = f.data.loopBlocks;
  if (blocks.length === 0) return;
  ctx.save();
  ctx.strokeStyle = theme.state[2] as string;
  ctx.lineWidth = Math.max(1, dpr * 1.5);
  ctx.font = theme.font;
  ctx.textBaseline = 'middle';
  for (const b of blocks) {
    if (b.endNs < win.startNs || b.beginNs > win.endNs) continue;
    const row = f.layout.rows[f.layout.rowOfLane[b.loopLane] ?? -1];
    if (!row) continue;
    const top = contentToDeviceY(row.y, f.scrollTopCss, dpr) + dpr;
    const hgt = (row.height - 2) * dpr;
    const x0 = Math.max(-2, Math.floor(f.toX(b.beginNs)));
    const x1 = Math.min(f.widthDevice + 2, Math.max(x0 + 3, Math.round(f.toX(b.endNs))));
    ctx.strokeRect(x0 + 0.5, top + 0.5, x1 - x0 - 1, hgt - 1);
    if (x1 - x0 >= BLOCK_LABEL_MIN_PX * dpr) {
      ctx.fillStyle = theme.foreground;
      const ms = b.durationNs / 1e6;
      ctx.fillText(`loop blocked ${ms >= 10 ? ms.toFixed(0) : ms.toFixed(1)} ms`, Math.max(x0, 0) + 4 * dpr, top + hgt / 2, x1 - Math.max(x0, 0) - 8 * dpr);
    }
  }
  ctx.restore();
}

/** A GPU operation's label (kernel name, "host→device 4.0 MB") is drawn on its bar when the bar
 * is at least this wide, CSS px. */
const GPU_LABEL_MIN_PX = 48;
/** Spans looked at per frame (from the window's start): labels are for zoomed-in views. */
const GPU_LABEL_MAX_SPANS = 5000;

/**
 * Labels on the kernels, copies and fills of GPU queue lanes (the span track's bars, 5..17
 * CSS px of the row), clipped to the bar. Spans are sorted by begin: a binary search finds the
 * first that begins in the window, less one window width (a wide bar begun just before).
 */
export function drawGpuLabels(f: LanesFrame): void {
  const { ctx, dpr, theme, win, data } = f;
  const sp = data.spans;
  if (sp.count === 0 || !data.lanes.some((l) => l.kind === 'gpu-queue')) return;
  const gpuKinds = new Set(GPU_SPAN_KINDS.map((k) => data.strings.indexOf(k)).filter((i) => i >= 0));
  if (gpuKinds.size === 0) return;
  const from = win.startNs - (win.endNs - win.startNs);
  let lo = 0, hi = sp.count;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sp.begin[mid] as number) < from) lo = mid + 1;
    else hi = mid;
  }
  ctx.save();
  ctx.font = theme.font;
  ctx.textBaseline = 'middle';
  ctx.fillStyle = theme.foreground;
  for (let i = lo, seen = 0; i < sp.count && seen < GPU_LABEL_MAX_SPANS; i++) {
    const b = sp.begin[i] as number;
    if (b > win.endNs) break;
    if (!gpuKinds.has(sp.kind[i] as number)) continue;
    seen++;
    const lane = sp.lane[i] as number;
    if (data.lanes[lane]?.kind !== 'gpu-queue') continue;
    const row = f.layout.rows[f.layout.rowOfLane[lane] ?? -1];
    if (!row) continue;
    const x0 = Math.max(0, f.toX(b));
    const x1 = Math.min(f.widthDevice, f.toX(sp.end[i] as number));
    if (x1 - x0 < GPU_LABEL_MIN_PX * dpr) continue;
    const y = contentToDeviceY(row.y, f.scrollTopCss, dpr) + (5 + 6) * dpr;
    ctx.fillText(data.strings[sp.label[i] as number] ?? '', x0 + 3 * dpr, y, x1 - x0 - 6 * dpr);
  }
  ctx.restore();
}
