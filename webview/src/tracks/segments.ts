/**
 * The segment machinery every track kind shares: a lane's segments (its waits, coloured by
 * reason, and the running time between them) drawn with the level of detail of lod.ts, and
 * the words for a drawn item. Threads and the other kinds differ in what their segments may
 * hold (only a thread has the off-CPU estimate) and in their bar box, not in how a frame
 * finds and merges them.
 */
import { SegmentState, type ViewData } from '../../../runtime/src/view/view-data';
import { describeBlock, describeSegment } from '../describe';
import { NO_MARKER, aggregateLane, type LodItems } from '../lod';
import type { BarBox, ItemDescription, TrackFrame } from './track';

/** Height of the marker of a merged block's longest wait, CSS px. */
const MARKER_HEIGHT = 4;

/**
 * Aggregates `lane` for the frame's window into `items` and adds one rectangle per item to
 * the frame's paint, inside `bar` of the row whose top is at device px `rowTop`.
 */
export function drawSegments(frame: TrackFrame, lane: number, rowTop: number, bar: BarBox, items: LodItems): void {
  const { dpr, win, minNs, widthDevice: W, paint, theme } = frame;
  aggregateLane(frame.lod, lane, win.startNs, win.endNs, minNs, items);
  const top = rowTop + bar.top * dpr;
  const bh = bar.height * dpr;
  const mh = Math.min(MARKER_HEIGHT, bar.height / 2) * dpr;
  for (let k = 0; k < items.length; k++) {
    const x0 = Math.max(-1, Math.floor(frame.toX(items.begin[k] as number)));
    const x1 = Math.min(W + 1, Math.max(x0 + 1, Math.round(frame.toX(items.end[k] as number))));
    (paint.fills[items.state[k] as number] as Path2D).rect(x0, top, x1 - x0, bh);
    const m = items.marker[k] as number;
    if (m !== NO_MARKER) (paint.markers[m] as Path2D).rect(x0, top + bh - mh, x1 - x0, mh);
    if (theme.highContrast && x1 - x0 >= 4) paint.outlines.rect(x0 + 0.5, top + 0.5, x1 - x0 - 1, bh - 1);
  }
}

/** Tooltip of item `k`: the segment itself, or the merged block ("N waits"). */
export function describeItem(data: ViewData, items: LodItems, k: number): ItemDescription {
  const first = items.first[k] as number;
  const count = items.count[k] as number;
  const text = count === 1 ? describeSegment(data, first) : describeBlock(data, first, count);
  const state = count === 1 ? (data.segments.state[first] as number) : (items.state[k] as number);
  return { title: text.title, lines: text.lines, state, estimated: state === SegmentState.OFF_CPU_ESTIMATE };
}
