/**
 * The timeline, a coordinator: an overview strip with the visible window (overview.ts), a time
 * axis (axis.ts), and the lanes, laid out as a tree host → process → thread → its tasks
 * (layout.ts) with DOM labels (labels.ts) over one canvas. Each lane is drawn by the renderer
 * of its kind from the track registry (tracks/), then the overlays (overlays.ts) and the
 * arrows between lanes (arrows.ts) go on top; one interaction layer (interaction.ts) handles
 * zoom, pan, hover and clicks over every track. See coords.ts for the coordinate spaces (view
 * ns → CSS px → device px horizontally; content, viewport and device px vertically).
 *
 * Frame cost: rows in view are found by binary search and each track aggregates its lane with
 * level of detail (lod.ts), arrows are chosen within the same bound (flows.ts): O(visible
 * pixels · log n), whatever the size of the trace.
 */
import type { ViewData } from '../../runtime/src/view/view-data';
import { cssToNs, nsPerDevicePx, spanOf } from './coords';
import { drawFlows, drawSelectionArrows } from './arrows';
import { drawGrid, TimeAxis } from './axis';
import { laneName } from './describe';
import { clear, h } from './dom';
import { FlowIndex } from './flows';
import { Interaction, type Hit } from './interaction';
import { LABEL_WIDTH, labelRow } from './labels';
import { EMPTY_LAYOUT, layoutLanes, rowAt, type Layout } from './layout';
import type { LodIndex } from './lod';
import { LodItems } from './lod';
import {
  drawGpuLabels, drawHolderBracket, drawHover, drawLockOverlay, drawLoopBlocks, drawPointerLine, drawSelectionOutline, type LockOverlay,
} from './overlays';
import { Overview } from './overview';
import { describeChartAt } from './tasks/task-groups';
import { readTheme, type Theme } from './theme';
import type { Tooltip } from './tooltip';
import { drawRows } from './tracks/rows';
import { trackFor } from './tracks/registry';
import { StatePaint, type LanesFrame } from './tracks/track';
import type { TimeWindow } from './coords';

export { LABEL_WIDTH } from './labels';
export type { LockOverlay } from './overlays';

/** What the timeline reads from and reports to the app. */
export interface TimelineHost {
  data(): ViewData | null;
  lod(): LodIndex | null;
  window(): TimeWindow;
  setWindow(w: TimeWindow): void;
  selectedSegment(): number;
  /** Waits of the selected lock, as a LOD index over their own columns, and its holds. */
  lockOverlay(): LockOverlay | null;
  /** Collapsed groups, by the keys of layout.ts. */
  collapsed(): ReadonlySet<string>;
  toggleGroup(key: string): void;
  selectSegment(seg: number | null): void;
  /** A task group row's label was clicked: list its tasks. */
  selectTaskGroup(thread: number, coroutine: string, lanes: readonly number[], group: number): void;
}

const newPath = (): Path2D => new Path2D();

export class Timeline {
  readonly root: HTMLElement;
  private readonly scroll: HTMLDivElement;
  private readonly inner: HTMLDivElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly overviewRow: HTMLDivElement;
  private readonly axisRow: HTMLDivElement;
  private readonly overview: Overview;
  private readonly axis = new TimeAxis();
  private readonly interaction: Interaction;
  private layout: Layout = EMPTY_LAYOUT;
  private flowIndex: FlowIndex | null = null;
  private rowEls: HTMLElement[] = [];
  private theme: Theme;
  private widthCss = 1;
  private heightCss = 1;
  private dpr = 1;
  /** Draw items of each lane from the last frame (for hit testing), by lane index. */
  private readonly items = new Map<number, LodItems>();
  private hover: Hit | null = null;
  private pointerX: number | null = null;
  private frame = 0;
  private lastFrameMs = 0;

  constructor(private readonly host: TimelineHost, private readonly tooltip: Tooltip) {
    this.canvas = h('canvas', { className: 'weft-canvas', attrs: { 'aria-label': 'Timeline lanes', role: 'img' } });
    const ctx = this.canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('this browser gives no 2D canvas');
    this.ctx = ctx;
    this.theme = readTheme(ctx);
    this.inner = h('div', { className: 'weft-scroll-inner' }, [this.canvas]);
    this.scroll = h('div', { className: 'weft-scroll' }, [this.inner]);
    this.overview = new Overview(host);
    const overviewCorner = h('div', { className: 'weft-corner', text: 'Whole run' });
    this.overviewRow = h('div', { className: 'weft-overview-row' }, [overviewCorner, this.overview.element]);
    this.axisRow = h('div', { className: 'weft-axis-row' }, [this.axis.corner, h('div', { className: 'weft-axis' }, [this.axis.svg])]);
    for (const c of [overviewCorner, this.axis.corner]) c.style.width = `${LABEL_WIDTH}px`;
    this.canvas.style.marginLeft = `${LABEL_WIDTH}px`;
    this.root = h('div', { className: 'weft-timeline-left' }, [this.overviewRow, this.axisRow, this.scroll]);

    this.interaction = new Interaction(this.canvas, this.scroll, {
      data: () => host.data(),
      window: () => host.window(),
      setWindow: (w) => host.setWindow(w),
      hitAt: (x, y) => this.hitAt(x, y),
      hoverChanged: (hit, x, ev) => this.hoverChanged(hit, x, ev),
      selectSegment: (seg) => host.selectSegment(seg),
    });
    this.scroll.addEventListener('scroll', () => {
      this.tooltip.hide();
      this.requestRender();
    });
    window.addEventListener('resize', () => this.resize());
    // Theme changes (VS Code swaps body classes): re-read colours.
    new MutationObserver(() => {
      this.theme = readTheme(this.ctx);
      this.overview.invalidate();
      this.requestRender();
    }).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  }

  /** Milliseconds the last lanes frame took to draw. */
  frameMs(): number {
    return this.lastFrameMs;
  }

  /** Call after new data or a collapsed group: rebuilds the layout and the labels. */
  dataChanged(): void {
    const d = this.host.data();
    this.items.clear();
    this.hover = null;
    this.overview.invalidate();
    this.layout = d ? layoutLanes(d, this.host.collapsed()) : EMPTY_LAYOUT;
    this.flowIndex = d ? new FlowIndex(d) : null;
    for (const el of this.rowEls) el.remove();
    this.rowEls = d ? this.layout.rows.map((row) => labelRow(d, row, (key) => this.host.toggleGroup(key),
      (g) => this.host.selectTaskGroup(g.thread, g.coroutine, g.lanes, g.group))) : [];
    this.inner.append(...this.rowEls);
    this.resize();
  }

  /** Re-measures the lanes area and resizes the canvases. */
  resize(): void {
    this.dpr = window.devicePixelRatio || 1;
    const scrollbar = this.scroll.offsetWidth - this.scroll.clientWidth;
    this.widthCss = Math.max(1, this.scroll.clientWidth - LABEL_WIDTH);
    this.heightCss = Math.max(1, this.scroll.clientHeight);
    this.overviewRow.style.paddingRight = `${scrollbar}px`;
    this.axisRow.style.paddingRight = `${scrollbar}px`;
    this.inner.style.height = `${Math.max(this.layout.height, this.heightCss)}px`;
    const dw = Math.max(1, Math.round(this.widthCss * this.dpr));
    const dh = Math.max(1, Math.round(this.heightCss * this.dpr));
    this.canvas.style.width = `${this.widthCss}px`;
    this.canvas.style.height = `${this.heightCss}px`;
    // Only when it changes: assigning the size clears the canvas even to the same value.
    if (this.canvas.width !== dw) this.canvas.width = dw;
    if (this.canvas.height !== dh) this.canvas.height = dh;
    this.overview.resize(this.widthCss, this.dpr);
    this.axis.resize(this.widthCss);
    this.interaction.resize(this.widthCss, this.heightCss);
    this.windowChanged();
  }

  /** Call when the window changed from outside (keys, brush, restore): syncs d3-zoom. */
  windowChanged(): void {
    this.interaction.windowChanged();
    this.requestRender();
  }

  scrollBy(dy: number): void {
    this.scroll.scrollTop += dy;
  }

  /** Scrolls so that a lane is visible (the app first expands the groups it is hidden in). */
  revealLane(lane: number): void {
    const r = this.layout.rows[this.layout.rowOfLane[lane] ?? -1];
    if (!r) return;
    const top = this.scroll.scrollTop;
    if (r.y < top || r.y + r.height > top + this.heightCss) this.scroll.scrollTop = Math.max(0, r.y - this.heightCss / 3);
  }

  /** Whether a lane has a row of its own (it is in no collapsed group). */
  laneShown(lane: number): boolean {
    return (this.layout.rowOfLane[lane] ?? -1) >= 0;
  }

  getScrollTop(): number {
    return this.scroll.scrollTop;
  }

  setScrollTop(v: number): void {
    this.scroll.scrollTop = v;
  }

  /** Width of the lanes area in CSS px (for keyboard zoom around the centre). */
  width(): number {
    return this.widthCss;
  }

  pointerNs(): number | null {
    return this.interaction.pointerNs();
  }

  requestRender(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  private render(): void {
    const d = this.host.data();
    const lod = this.host.lod();
    const ctx = this.ctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = this.theme.background;
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    if (!d || !lod) return;
    const t0 = performance.now();
    const win = this.host.window();
    const ticks = this.axis.draw(win, this.widthCss);
    this.overview.draw(d, lod, this.theme);
    const W = this.canvas.width;
    const pxPerNs = W / spanOf(win);
    const f: LanesFrame = {
      data: d, lod, theme: this.theme, dpr: this.dpr, win, minNs: nsPerDevicePx(win, this.widthCss, this.dpr), widthDevice: W,
      toX: (ns) => (ns - win.startNs) * pxPerNs, paint: new StatePaint(newPath), ctx, layout: this.layout,
      scrollTopCss: this.scroll.scrollTop, heightDevice: this.canvas.height,
    };
    const thinned = drawLanesFrame(f, {
      ticks, items: this.items, overlay: this.host.lockOverlay(), flowIndex: this.flowIndex, widthCss: this.widthCss,
      selected: this.host.selectedSegment(), hover: this.hover, pointerXCss: this.pointerX, newPath,
    });
    this.axis.setThinned(thinned);
    this.lastFrameMs = performance.now() - t0;
  }

  /** The item at CSS px x and viewport CSS px y, by the renderer of the lane's kind. */
  private hitAt(xCss: number, yViewport: number): Hit | null {
    const d = this.host.data();
    const row = this.layout.rows[rowAt(this.layout, yViewport + this.scroll.scrollTop)];
    if (!d || !row || (row.kind !== 'lane' && row.kind !== 'pack')) return null;
    const win = this.host.window();
    const t = cssToNs(xCss, win, this.widthCss);
    const tol = (2 / this.widthCss) * spanOf(win);
    // On a row of packed tasks, the task whose life holds the pointer (they do not overlap).
    const lane = row.kind === 'lane' ? row.lane : laneInPack(d, row.lanes, t, tol);
    const items = lane >= 0 ? this.items.get(lane) : undefined;
    if (!items) return null;
    const k = trackFor(d.lanes[lane]?.kind ?? 'unknown').hitTest(items, t, tol);
    if (k < 0) return null;
    return {
      lane, item: k, first: items.first[k] as number, count: items.count[k] as number,
      beginNs: items.begin[k] as number, endNs: items.end[k] as number,
    };
  }

  private hoverChanged(hit: Hit | null, xCss: number | null, ev: MouseEvent | null): void {
    const d = this.host.data();
    this.pointerX = xCss;
    this.hover = hit;
    const items = hit ? this.items.get(hit.lane) : undefined;
    const chart = d && !hit && ev && xCss !== null ? this.chartHover(d, xCss, ev.offsetY) : null;
    if (d && hit && ev && items) {
      const track = trackFor(d.lanes[hit.lane]?.kind ?? 'unknown');
      const text = track.describe(d, hit.lane, items, hit.item);
      const who = track.kindLabel ? `${laneName(d, hit.lane)} · ${track.kindLabel}` : laneName(d, hit.lane);
      this.tooltip.show(ev.clientX, ev.clientY, text.title, [who, ...text.lines], this.theme.state[text.state] ?? '', text.estimated);
    } else if (chart && ev) {
      this.tooltip.show(ev.clientX, ev.clientY, chart.title, chart.lines, this.theme.state[chart.state] ?? '', false);
    } else {
      this.tooltip.hide();
    }
    this.requestRender();
  }

  /** The values under the pointer on a task group's or a counter's chart row, or null. */
  private chartHover(d: ViewData, xCss: number, yViewport: number): { title: string; lines: string[]; state: number } | null {
    const row = this.layout.rows[rowAt(this.layout, yViewport + this.scroll.scrollTop)];
    if (!row || (row.kind !== 'tasks' && row.kind !== 'counter')) return null;
    const t = cssToNs(xCss, this.host.window(), this.widthCss);
    return describeChartAt(d, row, t);
  }

  /** Empties the lanes area and shows a message (no trace yet, or an empty one). */
  showEmpty(message: string): void {
    clear(this.inner);
    this.inner.append(this.canvas, h('div', { className: 'weft-empty', text: message }));
    this.rowEls = [];
  }
}

/** The lane of a packed row (by start, not overlapping) alive at `ns` (± tol), or -1. */
export function laneInPack(d: ViewData, lanes: readonly number[], ns: number, tol: number): number {
  let lo = 0;
  let hi = lanes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((d.lanes[lanes[mid] as number]?.startNs ?? 0) <= ns + tol) lo = mid + 1;
    else hi = mid;
  }
  const cand = lanes[lo - 1];
  if (cand === undefined) return -1;
  const l = d.lanes[cand];
  return l && l.endNs >= ns - tol ? cand : -1;
}

/** What a lanes frame draws besides the tracks. */
export interface FrameExtras {
  /** Axis tick times (view ns), for the grid. */
  ticks: readonly number[];
  /** Per lane, the items drawn (kept for hit testing). */
  items: Map<number, LodItems>;
  overlay: LockOverlay | null;
  flowIndex: FlowIndex | null;
  widthCss: number;
  /** Selected segment row, -1 for none. */
  selected: number;
  hover: Hit | null;
  pointerXCss: number | null;
  newPath: () => Path2D;
}

/**
 * One frame of the lanes canvas, in drawing order: grid, rows (each lane by its track), the
 * tracks' fills (dimmed while a lock is selected), the selected lock's waits and holds, the
 * arrows, the selection, the hover outline and the pointer line. No DOM: a test draws it on
 * a recording context. Returns whether arrows were left out (too many: "zoom in").
 */
export function drawLanesFrame(f: LanesFrame, x: FrameExtras): boolean {
  drawGrid(f.ctx, x.ticks, f.toX, f.heightDevice, f.theme.grid);
  const visible = drawRows(f, f.ctx, f.layout, f.scrollTopCss, f.heightDevice, x.items);
  f.paint.flush(f.ctx, f.theme, x.overlay ? 0.28 : 1);
  if (x.overlay) drawLockOverlay(f, x.overlay, visible, x.newPath);
  drawLoopBlocks(f);
  drawGpuLabels(f);
  const thinned = drawFlows(f, x.flowIndex, x.widthCss, x.overlay !== null, x.newPath);
  if (x.selected >= 0 && x.selected < f.data.segments.count) {
    drawHolderBracket(f, x.selected);
    drawSelectionArrows(f, x.selected, x.newPath);
    drawSelectionOutline(f, x.selected);
  }
  if (x.hover) drawHover(f, x.hover.lane, x.hover.beginNs, x.hover.endNs);
  if (x.pointerXCss !== null) drawPointerLine(f, x.pointerXCss);
  return thinned;
}
