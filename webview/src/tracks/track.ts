/**
 * The track registry's one interface (Perfetto's track renderers): every kind of lane
 * (thread, task, GPU queue, rank, ...) is drawn by a `TrackRenderer` that knows how to put a
 * lane's content for the visible window onto the canvas, find the item under a point, and
 * say what an item is. The coordinator (timeline.ts) lays rows out, asks the registry for each
 * lane's renderer and runs one interaction layer over all of them.
 *
 * Batching. A frame draws thousands of rectangles; filling them one by one would cost a
 * canvas call each. Renderers add rectangles to the frame's `StatePaint` (one path per state)
 * and the coordinator fills each path once per frame, whatever the number of lanes.
 */
import { SegmentState, STATE_COUNT, type ViewData } from '../../../runtime/src/view/view-data';
import type { TimeWindow } from '../coords';
import type { Layout } from '../layout';
import type { LodIndex, LodItems } from '../lod';
import type { Theme } from '../theme';

/** What a renderer reads to draw one frame. Units are named as in coords.ts. */
export interface TrackFrame {
  readonly data: ViewData;
  readonly lod: LodIndex;
  readonly theme: Theme;
  readonly dpr: number;
  /** The visible window, view ns. */
  readonly win: TimeWindow;
  /** View ns per device px: segments narrower than this are merged (lod.ts). */
  readonly minNs: number;
  /** Canvas width, device px. */
  readonly widthDevice: number;
  /** View ns → device px. */
  toX(ns: number): number;
  readonly paint: StatePaint;
}

/** Where a track's bars sit inside its row, CSS px from the row's top: overlays (selection,
 * hover, the selected lock's waits) outline the same box. */
export interface BarBox {
  top: number;
  height: number;
}

/** Tooltip text and swatch of one drawn item. */
export interface ItemDescription {
  title: string;
  lines: string[];
  /** SegmentState of the swatch. */
  state: number;
  estimated: boolean;
}

export interface TrackRenderer {
  /** Which renderer this is ("thread", "span"), for tests and class names. */
  readonly renderer: string;
  /** What the label says about the kind ("" for threads; "GPU queue", "unknown kind", ...). */
  readonly kindLabel: string;
  readonly bar: BarBox;
  /**
   * Adds the content of `lane` for the frame's window to `frame.paint`, with the row's top at
   * device px `rowTop`, and leaves the drawn items in `items` (for hit testing and tooltips).
   * Costs O(visible pixels · log n) like lod.ts.
   */
  draw(frame: TrackFrame, lane: number, rowTop: number, items: LodItems): void;
  /** The item at view ns `ns` (within `toleranceNs`), or -1. */
  hitTest(items: LodItems, ns: number, toleranceNs: number): number;
  /** Tooltip of an item drawn in the last frame. */
  describe(data: ViewData, lane: number, items: LodItems, item: number): ItemDescription;
  /** Tooltip of the lane's label. */
  labelTitle(data: ViewData, lane: number): string;
  /** Short text beside the lane's name ("12% wait"). */
  labelMeta(data: ViewData, lane: number): string;
}

/**
 * One path per segment state for fills, one per state for the markers of merged blocks, one
 * for high-contrast outlines: the frame's rectangles, filled once each at the end.
 */
export class StatePaint {
  readonly fills: Path2D[] = [];
  readonly markers: Path2D[] = [];
  readonly outlines: Path2D;

  constructor(newPath: () => Path2D) {
    for (let s = 0; s < STATE_COUNT; s++) {
      this.fills.push(newPath());
      this.markers.push(newPath());
    }
    this.outlines = newPath();
  }

  /** Fills every path: states in their theme colour, the off-CPU estimate hatched. */
  flush(ctx: CanvasRenderingContext2D, theme: Theme, alpha: number): void {
    ctx.globalAlpha = alpha;
    for (let s = 0; s < STATE_COUNT; s++) {
      ctx.fillStyle = s === SegmentState.OFF_CPU_ESTIMATE ? theme.offCpuPattern : (theme.state[s] as string);
      ctx.fill(this.fills[s] as Path2D);
      ctx.fill(this.markers[s] as Path2D);
    }
    ctx.globalAlpha = 1;
    if (theme.contrastBorder) {
      ctx.strokeStyle = theme.contrastBorder;
      ctx.lineWidth = 1;
      ctx.stroke(this.outlines);
    }
  }
}

/** A frame of the whole lanes canvas: what overlays and arrows read besides the tracks'. */
export interface LanesFrame extends TrackFrame {
  readonly ctx: CanvasRenderingContext2D;
  readonly layout: Layout;
  /** Vertical scroll of the lanes area, CSS px. */
  readonly scrollTopCss: number;
  /** Canvas height, device px. */
  readonly heightDevice: number;
}
