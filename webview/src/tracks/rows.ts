/**
 * Draws the rows in view: the header bands of hosts and processes (painted on the canvas, so
 * that arrows between processes cross them; their DOM labels are transparent over the lanes
 * area), a stripe on every other lane, and each lane by the renderer of its kind. Only rows
 * that intersect the viewport are visited (binary search for the first).
 */
import { contentToDeviceY } from '../coords';
import { rowAt, type Layout } from '../layout';
import { LodItems } from '../lod';
import { SegmentState } from '../../../runtime/src/view/view-data';
import { concurrencyOf, counterSteps, fillSteps } from '../tasks/task-groups';
import { trackFor } from './registry';
import type { TrackFrame } from './track';

/**
 * Draws the rows between `scrollTopCss` and `heightDevice` below it; leaves each drawn lane's
 * items in `items` (by lane index) and returns the lanes drawn, top to bottom.
 */
export function drawRows(
  frame: TrackFrame, ctx: CanvasRenderingContext2D, layout: Layout, scrollTopCss: number, heightDevice: number,
  items: Map<number, LodItems>,
): number[] {
  const { dpr, theme, widthDevice: W, data } = frame;
  const visible: number[] = [];
  const first = Math.max(0, rowAt(layout, scrollTopCss));
  for (let r = first; r < layout.rows.length; r++) {
    const row = layout.rows[r];
    if (!row) break;
    const y = contentToDeviceY(row.y, scrollTopCss, dpr);
    if (y > heightDevice) break;
    if (row.kind === 'host' || row.kind === 'process') {
      ctx.fillStyle = theme.panel;
      ctx.fillRect(0, y, W, row.height * dpr);
      continue;
    }
    if (row.kind === 'tasks') {
      const c = concurrencyOf(data, row.key, row.lanes);
      const top = y + 3 * dpr;
      const hgt = (row.height - 6) * dpr;
      const scale = Math.max(1, c.alive.max);
      fillSteps(ctx, c.alive, scale, frame.win.startNs, frame.win.endNs, W, top + hgt, hgt, theme.state[SegmentState.READY] as string);
      fillSteps(ctx, c.runnable, scale, frame.win.startNs, frame.win.endNs, W, top + hgt, hgt, theme.state[SegmentState.RUNNING] as string);
      continue;
    }
    if (row.kind === 'counter') {
      const c = data.counters[row.counter];
      if (!c) continue;
      const steps = counterSteps(c);
      const top = y + 3 * dpr;
      const hgt = (row.height - 6) * dpr;
      fillSteps(ctx, steps, Math.max(1, steps.max), frame.win.startNs, frame.win.endNs, W, top + hgt, hgt, theme.state[SegmentState.SYNC] as string);
      continue;
    }
    if (row.kind === 'pack') {
      // Several short tasks, one after another: each is drawn by the task track, only those
      // in the window (they are sorted by start and do not overlap).
      for (const lane of row.lanes) {
        const l = data.lanes[lane];
        if (!l || l.endNs < frame.win.startNs) continue;
        if (l.startNs > frame.win.endNs) break;
        visible.push(lane);
        let laneItems = items.get(lane);
        if (!laneItems) {
          laneItems = new LodItems();
          items.set(lane, laneItems);
        }
        trackFor(l.kind).draw(frame, lane, y, laneItems);
      }
      continue;
    }
    visible.push(row.lane);
    if (r % 2 === 0) {
      ctx.fillStyle = theme.laneStripe;
      ctx.fillRect(0, y, W, row.height * dpr);
    }
    let laneItems = items.get(row.lane);
    if (!laneItems) {
      laneItems = new LodItems();
      items.set(row.lane, laneItems);
    }
    trackFor(data.lanes[row.lane]?.kind ?? 'unknown').draw(frame, row.lane, y, laneItems);
  }
  return visible;
}
