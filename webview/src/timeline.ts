/**
 * The timeline: an overview strip with the visible window, a time axis, and one lane per
 * thread grouped under a header row per process. Lanes are drawn on one canvas with level of
 * detail (lod.ts); labels, headers and the axis are DOM/SVG. See coords.ts for the coordinate
 * spaces (view ns → CSS px → device px).
 *
 * Arrows: work items (submit → the worker that took it, its return → the thread that got the
 * result), messages through multiprocessing queues and pipes, and process starts are drawn
 * as curves between lanes, across processes (to a collapsed process's header row), chosen
 * per frame by flows.ts within the same visible-pixels bound as the lanes. Unblock arrows,
 * one per woken wait, are drawn only for the selected wait. A selected lock's waits are drawn
 * on top of dimmed lanes, and a multiprocessing lock's holds (holds.ts) as a thin outline on
 * each holder's lane, in whatever process.
 *
 * Interaction: wheel zooms around the pointer, drag pans (and scrolls lanes vertically),
 * horizontal wheel pans, Shift+wheel or wheel over the labels scrolls lanes; the keyboard
 * (+/-, arrows, 0) is routed here by the app. Hover shows a tooltip; click selects a segment,
 * or zooms into a merged block.
 *
 * Testing contract (test/e2e/lib/weft-view.mjs): each lane label carries `data-lane-id` and
 * its text is exactly the lane's name.
 */
import {
  axisTop, brushX, scaleLinear, select, zoom, zoomIdentity, type BrushBehavior, type Selection, type ZoomBehavior,
} from 'd3';
import {
  NO_MARKER, aggregateLane, type LodIndex, LodItems,
} from './lod';
import {
  SegmentState, STATE_COUNT, type ViewData,
} from '../../runtime/src/view/view-data';
import {
  clampWindow, cssToNs, maxZoom, nsPerDevicePx, nsToCss, panWindow, spanOf, transformToWindow,
  windowToTransform, zoomWindow, type TimeWindow,
} from './coords';
import { LANE_HEIGHT, layoutLanes, processKey, rowAt, type Layout } from './layout';
import { describeBlock, describeSegment, laneName, laneOfSegment } from './describe';
import { FlowIndex, visibleFlows } from './flows';
import { holdRuns, type LaneHolds } from './holds';
import { formatDuration, formatPercent, formatTick } from './format';
import { h, clear } from './dom';
import { readTheme, type Theme } from './theme';
import type { Tooltip } from './tooltip';

/** Width of the label column, CSS px (styles.css repeats it for the process header rows). */
export const LABEL_WIDTH = 210;
const BAR_TOP = 3;
const BAR_HEIGHT = LANE_HEIGHT - 6;
const MARKER_HEIGHT = 4;
const OVERVIEW_HEIGHT = 44;

/** What the timeline reads from and reports to the app. */
export interface TimelineHost {
  data(): ViewData | null;
  lod(): LodIndex | null;
  window(): TimeWindow;
  setWindow(w: TimeWindow): void;
  selectedSegment(): number;
  /** Waits of the selected lock, as a LOD index over their own columns, and its holds (a
   * multiprocessing lock's, by holder lane; null when it has none). */
  lockOverlay(): LockOverlay | null;
  collapsed(): ReadonlySet<string>;
  toggleProcess(key: string): void;
  selectSegment(seg: number | null): void;
}

export interface LockOverlay {
  lod: LodIndex;
  source: Int32Array;
  holds: LaneHolds | null;
}

interface Hover {
  lane: number;
  item: number;
}

export class Timeline {
  readonly root: HTMLElement;
  private readonly overviewCanvas: HTMLCanvasElement;
  private readonly overviewSvg: SVGSVGElement;
  private readonly axisSvg: SVGSVGElement;
  private readonly scroll: HTMLDivElement;
  private readonly inner: HTMLDivElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly overviewCorner: HTMLDivElement;
  private readonly axisCorner: HTMLDivElement;
  private readonly overviewRow: HTMLDivElement;
  private readonly axisRow: HTMLDivElement;
  private layout: Layout = { rows: [], height: 0, rowOfLane: new Int32Array(0) };
  /** Header row of each process (arrows to a collapsed process end there), -1 if none. */
  private headerRow = new Int32Array(0);
  private flowIndex: FlowIndex | null = null;
  /** Whether the last frame left arrows out (too many to draw: zoom in). */
  private arrowsThinned = false;
  private rowEls: HTMLElement[] = [];
  private theme: Theme;
  private widthCss = 1;
  private heightCss = 1;
  private dpr = 1;
  /** Draw items of each lane from the last frame (for hit testing), by lane index. */
  private items = new Map<number, LodItems>();
  private overlayItems = new LodItems();
  private hover: Hover | null = null;
  private pointerX: number | null = null;
  private frame = 0;
  private overviewDirty = true;
  private syncing = false;
  private readonly zoomBehavior: ZoomBehavior<HTMLCanvasElement, unknown>;
  private readonly brush: BrushBehavior<unknown>;
  private readonly brushGroup: Selection<SVGGElement, unknown, null, undefined>;
  private readonly axisGroup: Selection<SVGGElement, unknown, null, undefined>;
  private lastFrameMs = 0;

  constructor(private readonly host: TimelineHost, private readonly tooltip: Tooltip) {
    this.overviewCanvas = h('canvas');
    this.overviewSvg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    this.axisSvg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    this.canvas = h('canvas', { className: 'weft-canvas', attrs: { 'aria-label': 'Timeline lanes', role: 'img' } });
    const ctx = this.canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('this browser gives no 2D canvas');
    this.ctx = ctx;
    this.theme = readTheme(ctx);
    this.inner = h('div', { className: 'weft-scroll-inner' }, [this.canvas]);
    this.scroll = h('div', { className: 'weft-scroll' }, [this.inner]);
    this.overviewCorner = h('div', { className: 'weft-corner', text: 'Whole run' });
    this.axisCorner = h('div', { className: 'weft-corner', text: '' });
    this.overviewRow = h('div', { className: 'weft-overview-row' }, [
      this.overviewCorner,
      h('div', { className: 'weft-overview' }, [this.overviewCanvas, this.overviewSvg]),
    ]);
    this.axisRow = h('div', { className: 'weft-axis-row' }, [this.axisCorner, h('div', { className: 'weft-axis' }, [this.axisSvg])]);
    for (const c of [this.overviewCorner, this.axisCorner]) c.style.width = `${LABEL_WIDTH}px`;
    this.canvas.style.marginLeft = `${LABEL_WIDTH}px`;
    this.root = h('div', { className: 'weft-timeline-left' }, [this.overviewRow, this.axisRow, this.scroll]);

    this.zoomBehavior = zoom<HTMLCanvasElement, unknown>()
      .filter((ev: Event) => {
        if (ev.type === 'wheel') {
          const w = ev as WheelEvent;
          // Shift+wheel scrolls lanes natively; sideways wheels pan (handled below).
          return !w.shiftKey && Math.abs(w.deltaY) >= Math.abs(w.deltaX);
        }
        const m = ev as MouseEvent;
        return !m.ctrlKey && !m.button;
      })
      .clickDistance(4)
      .on('start', (ev: { sourceEvent: Event | null }) => {
        if (ev.sourceEvent?.type === 'mousedown') this.canvas.classList.add('panning');
      })
      .on('end', () => this.canvas.classList.remove('panning'))
      .on('zoom', (ev: { transform: { k: number; x: number }; sourceEvent: Event | null }) => {
        if (this.syncing) return;
        const d = this.host.data();
        if (!d) return;
        const src = ev.sourceEvent;
        if (src && src.type === 'mousemove') this.scroll.scrollTop -= (src as MouseEvent).movementY;
        this.host.setWindow(clampWindow(transformToWindow(ev.transform, this.widthCss, d.durationNs), d.durationNs));
      });
    select(this.canvas).call(this.zoomBehavior).on('dblclick.zoom', null);

    this.canvas.addEventListener('wheel', (ev) => {
      const d = this.host.data();
      if (!d || ev.shiftKey || Math.abs(ev.deltaX) <= Math.abs(ev.deltaY)) return;
      ev.preventDefault();
      this.host.setWindow(panWindow(this.host.window(), ev.deltaX / this.widthCss, d.durationNs));
    }, { passive: false });
    this.canvas.addEventListener('mousemove', (ev) => this.onPointer(ev));
    this.canvas.addEventListener('mouseleave', () => {
      this.hover = null;
      this.pointerX = null;
      this.tooltip.hide();
      this.requestRender();
    });
    this.canvas.addEventListener('click', (ev) => this.onClick(ev));
    this.canvas.addEventListener('dblclick', (ev) => {
      const d = this.host.data();
      if (!d) return;
      const anchor = cssToNs(ev.offsetX, this.host.window(), this.widthCss);
      this.host.setWindow(zoomWindow(this.host.window(), ev.shiftKey ? 0.5 : 2, anchor, d.durationNs));
    });
    this.scroll.addEventListener('scroll', () => {
      this.tooltip.hide();
      this.requestRender();
    });

    this.brush = brushX<unknown>()
      .on('brush end', (ev: { selection: [number, number] | null; sourceEvent: Event | null; type: string }) => {
        if (this.syncing || !ev.sourceEvent) return;
        const d = this.host.data();
        if (!d) return;
        const full: TimeWindow = { startNs: 0, endNs: Math.max(d.durationNs, 1) };
        if (ev.selection) {
          const [x0, x1] = ev.selection;
          this.host.setWindow(clampWindow({ startNs: cssToNs(x0, full, this.widthCss), endNs: cssToNs(x1, full, this.widthCss) }, d.durationNs));
        } else if (ev.type === 'end') {
          // A click without a drag: centre the current window there.
          const me = ev.sourceEvent as MouseEvent;
          const rect = this.overviewSvg.getBoundingClientRect();
          const center = cssToNs(me.clientX - rect.left, full, this.widthCss);
          const w = this.host.window();
          const half = spanOf(w) / 2;
          this.host.setWindow(clampWindow({ startNs: center - half, endNs: center + half }, d.durationNs));
        }
      });
    this.brushGroup = select(this.overviewSvg).append('g').attr('class', 'brush');
    this.axisGroup = select(this.axisSvg).append('g').attr('class', 'axis').attr('transform', 'translate(0,23)');
    window.addEventListener('resize', () => this.resize());
    // Theme changes (VS Code swaps body classes): re-read colours.
    new MutationObserver(() => {
      this.theme = readTheme(this.ctx);
      this.overviewDirty = true;
      this.requestRender();
    }).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  }

  /** Milliseconds the last lanes frame took to draw (shown in the hint line). */
  frameMs(): number {
    return this.lastFrameMs;
  }

  /** Call after new data or collapsed processes: rebuilds the layout and the labels. */
  dataChanged(): void {
    const d = this.host.data();
    this.items.clear();
    this.hover = null;
    this.overviewDirty = true;
    this.layout = d ? layoutLanes(d, this.host.collapsed()) : { rows: [], height: 0, rowOfLane: new Int32Array(0) };
    this.headerRow = new Int32Array(d?.processes.length ?? 0).fill(-1);
    this.layout.rows.forEach((r, i) => {
      if (r.kind === 'process') this.headerRow[r.process] = i;
    });
    this.flowIndex = d ? new FlowIndex(d) : null;
    this.buildRows();
    this.resize();
  }

  private buildRows(): void {
    for (const el of this.rowEls) el.remove();
    this.rowEls = [];
    const d = this.host.data();
    if (!d) return;
    for (const row of this.layout.rows) {
      let el: HTMLElement;
      if (row.kind === 'process') {
        const p = d.processes[row.process];
        const key = processKey(d, row.process);
        const exit = p?.exitCode;
        const exitText = exit === null || exit === undefined
          ? (p?.complete ? 'exit ?' : 'still running or killed')
          : exit < 0 ? `killed by signal ${-exit}` : `exit ${exit}`;
        el = h('div', {
          className: 'weft-row process',
          attrs: { role: 'button', tabindex: 0, 'aria-expanded': String(!row.collapsed) },
          title: p ? `pid ${p.pid} (parent ${p.ppid}), ${p.startMethod}, Python ${p.python}\n${p.argv.join(' ')}` : '',
          data: { processKey: key },
          on: {
            click: () => this.host.toggleProcess(key),
            keydown: (ev) => {
              if (ev.key === 'Enter' || ev.key === ' ') {
                ev.preventDefault();
                this.host.toggleProcess(key);
              }
            },
          },
        }, [
          h('span', { className: 'caret', text: row.collapsed ? '▸' : '▾' }),
          h('span', { text: `Process ${p?.pid ?? '?'}` }),
          h('span', { className: `weft-exit${exit ? ' bad' : ''}`, text: exitText }),
          h('span', { className: 'argv', text: p ? p.argv.join(' ') : '' }),
          h('span', { className: 'argv', text: `${row.laneCount} thread${row.laneCount === 1 ? '' : 's'}` }),
          p && p.parent !== null ? h('span', { className: 'argv', text: `started by ${d.processes[p.parent]?.pid ?? '?'} (${p.startMethod})` }) : null,
        ]);
      } else {
        const lane = d.lanes[row.lane];
        const wall = lane?.wallNs ?? 0;
        const waitShare = lane && wall > 0 ? lane.waitNs / wall : 0;
        const tip = lane ? [
          `${laneName(d, lane.index)} (tid ${lane.tid}${lane.thread?.daemon ? ', daemon' : ''})`,
          `alive ${formatDuration(wall)}`,
          `waiting ${formatDuration(lane.waitNs)} (${formatPercent(waitShare)})`,
          lane.thread?.cpuNs != null ? `on CPU ${formatDuration(lane.thread.cpuNs)}` : 'no CPU clock',
          lane.thread?.gilWaitEstimateNs != null ? `not on CPU outside waits ${formatDuration(lane.thread.gilWaitEstimateNs)} (estimated: GIL or native)` : '',
        ].filter(Boolean).join('\n') : '';
        el = h('div', { className: 'weft-row lane', title: tip }, [
          h('span', { className: 'weft-lane-name', text: lane ? laneName(d, lane.index) : '?', data: { laneId: lane?.id ?? '' } }),
          h('span', { className: 'weft-lane-meta', text: wall > 0 ? `${formatPercent(waitShare)} wait` : '' }),
        ]);
        el.style.width = `${LABEL_WIDTH}px`;
      }
      el.style.top = `${row.y}px`;
      el.style.height = `${row.height}px`;
      this.inner.append(el);
      this.rowEls.push(el);
    }
  }

  /** Re-measures the lanes area and resizes the canvases. */
  resize(): void {
    const d = this.host.data();
    this.dpr = window.devicePixelRatio || 1;
    const scrollbar = this.scroll.offsetWidth - this.scroll.clientWidth;
    this.widthCss = Math.max(1, this.scroll.clientWidth - LABEL_WIDTH);
    this.heightCss = Math.max(1, this.scroll.clientHeight);
    this.overviewRow.style.paddingRight = `${scrollbar}px`;
    this.axisRow.style.paddingRight = `${scrollbar}px`;
    this.inner.style.height = `${Math.max(this.layout.height, this.heightCss)}px`;
    const setSize = (c: HTMLCanvasElement, w: number, hgt: number): void => {
      const dw = Math.max(1, Math.round(w * this.dpr));
      const dh = Math.max(1, Math.round(hgt * this.dpr));
      c.style.width = `${w}px`;
      c.style.height = `${hgt}px`;
      // Only when it changes: assigning the size clears the canvas even to the same value.
      if (c.width !== dw) c.width = dw;
      if (c.height !== dh) c.height = dh;
    };
    const overviewSize = `${this.overviewCanvas.width}x${this.overviewCanvas.height}`;
    setSize(this.canvas, this.widthCss, this.heightCss);
    setSize(this.overviewCanvas, this.widthCss, OVERVIEW_HEIGHT);
    for (const s of [this.overviewSvg, this.axisSvg]) s.setAttribute('width', String(this.widthCss));
    this.overviewSvg.setAttribute('height', String(OVERVIEW_HEIGHT));
    this.axisSvg.setAttribute('height', '24');
    this.zoomBehavior
      .extent([[0, 0], [this.widthCss, this.heightCss]])
      .translateExtent([[0, Number.NEGATIVE_INFINITY], [this.widthCss, Number.POSITIVE_INFINITY]])
      .scaleExtent([1, maxZoom(d?.durationNs ?? 0)]);
    this.brush.extent([[0, 0], [this.widthCss, OVERVIEW_HEIGHT]]);
    this.brushGroup.call(this.brush);
    // A new size cleared the overview canvas: draw its cached picture again.
    if (`${this.overviewCanvas.width}x${this.overviewCanvas.height}` !== overviewSize) this.overviewDirty = true;
    this.windowChanged();
  }

  /** Call when the window changed from outside (keys, brush, restore): syncs d3-zoom. */
  windowChanged(): void {
    const d = this.host.data();
    if (d) {
      const t = windowToTransform(this.host.window(), this.widthCss, d.durationNs);
      this.syncing = true;
      try {
        select(this.canvas).call(this.zoomBehavior.transform, zoomIdentity.translate(t.x, 0).scale(t.k));
      } finally {
        this.syncing = false;
      }
    }
    this.requestRender();
  }

  scrollBy(dy: number): void {
    this.scroll.scrollTop += dy;
  }

  /** Scrolls so that a lane is visible. */
  revealLane(lane: number): void {
    const r = this.layout.rows[this.layout.rowOfLane[lane] ?? -1];
    if (!r) return;
    const top = this.scroll.scrollTop;
    if (r.y < top || r.y + r.height > top + this.heightCss) this.scroll.scrollTop = Math.max(0, r.y - this.heightCss / 3);
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
    return this.pointerX === null ? null : cssToNs(this.pointerX, this.host.window(), this.widthCss);
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
    const scale = scaleLinear().domain([win.startNs, win.endNs]).range([0, this.widthCss]);
    const ticks = scale.ticks(Math.max(2, Math.floor(this.widthCss / 110)));
    this.drawAxis(scale, ticks);
    this.drawOverview(d, lod);
    this.drawLanes(d, lod, win, ticks);
    if (this.arrowsThinned) this.axisCorner.textContent = `${this.axisCorner.textContent ?? ''} · arrows thinned`;
    this.axisCorner.title = this.arrowsThinned ? 'Too many arrows between lanes to draw them all here: zoom in to see each one.' : '';
    this.lastFrameMs = performance.now() - t0;
  }

  private drawAxis(scale: ReturnType<typeof scaleLinear<number, number>>, ticks: number[]): void {
    const step = ticks.length > 1 ? (ticks[1] as number) - (ticks[0] as number) : spanOf(this.host.window());
    const axis = axisTop(scale).tickValues(ticks).tickSize(5).tickFormat((v) => formatTick(Number(v), step));
    this.axisGroup.call(axis);
    // Keep the first and last labels inside the axis instead of cut at its edges.
    const width = this.widthCss;
    this.axisGroup.selectAll<SVGTextElement, number>('.tick text').attr('text-anchor', (v) => {
      const x = scale(v);
      return x < 24 ? 'start' : x > width - 24 ? 'end' : 'middle';
    });
    const w = this.host.window();
    this.axisCorner.textContent = `Visible ${formatDuration(spanOf(w))}`;
  }

  /**
   * The overview: for each device-pixel column of the whole run, how many threads were in
   * each state, stacked (so its height follows the number of live threads). Cached until the
   * data, theme or size change; only the brush moves with the window.
   */
  private drawOverview(d: ViewData, lod: LodIndex): void {
    if (this.overviewDirty) {
      this.overviewDirty = false;
      const c = this.overviewCanvas.getContext('2d');
      if (c) {
        const W = this.overviewCanvas.width;
        const H = this.overviewCanvas.height;
        c.setTransform(1, 0, 0, 1, 0, 0);
        c.fillStyle = this.theme.background;
        c.fillRect(0, 0, W, H);
        const dur = Math.max(d.durationNs, 1);
        const binNs = dur / W;
        const bins = new Float64Array(W * STATE_COUNT);
        const items = new LodItems();
        for (let l = 0; l < lod.laneCount(); l++) {
          aggregateLane(lod, l, 0, dur, binNs, items);
          for (let k = 0; k < items.length; k++) {
            const b = items.begin[k] as number;
            const e = items.end[k] as number;
            const st = items.state[k] as number;
            const first = Math.max(0, Math.floor(b / binNs));
            const last = Math.min(W - 1, Math.floor(e / binNs));
            for (let x = first; x <= last; x++) {
              const ov = Math.min(e, (x + 1) * binNs) - Math.max(b, x * binNs);
              if (ov > 0) bins[x * STATE_COUNT + st] = (bins[x * STATE_COUNT + st] as number) + ov;
            }
          }
        }
        let peak = 0;
        for (let x = 0; x < W; x++) {
          let sum = 0;
          for (let s = 0; s < STATE_COUNT; s++) sum += bins[x * STATE_COUNT + s] as number;
          peak = Math.max(peak, sum / binNs);
        }
        const unit = (H - 2) / Math.max(1, peak);
        for (let s = 0; s < STATE_COUNT; s++) {
          c.fillStyle = s === SegmentState.OFF_CPU_ESTIMATE ? this.theme.offCpuPattern : (this.theme.state[s] as string);
          c.beginPath();
          for (let x = 0; x < W; x++) {
            let below = 0;
            for (let q = 0; q < s; q++) below += bins[x * STATE_COUNT + q] as number;
            const v = bins[x * STATE_COUNT + s] as number;
            if (v <= 0) continue;
            const y1 = H - (below / binNs) * unit;
            const hh = (v / binNs) * unit;
            c.rect(x, y1 - hh, 1, hh);
          }
          c.fill();
        }
      }
    }
    const w = this.host.window();
    const full: TimeWindow = { startNs: 0, endNs: Math.max(d.durationNs, 1) };
    const x0 = nsToCss(w.startNs, full, this.widthCss);
    const x1 = Math.max(x0 + 2, nsToCss(w.endNs, full, this.widthCss));
    this.syncing = true;
    try {
      this.brushGroup.call(this.brush.move, [x0, x1]);
    } finally {
      this.syncing = false;
    }
  }

  private drawLanes(d: ViewData, lod: LodIndex, win: TimeWindow, ticks: number[]): void {
    const ctx = this.ctx;
    const dpr = this.dpr;
    const theme = this.theme;
    const W = this.canvas.width;
    const H = this.canvas.height;
    const span = spanOf(win);
    const pxPerNs = W / span;
    const minNs = nsPerDevicePx(win, this.widthCss, dpr);
    const scrollTop = this.scroll.scrollTop;
    const toX = (ns: number): number => (ns - win.startNs) * pxPerNs;

    // Grid lines at the axis ticks.
    ctx.fillStyle = theme.grid;
    for (const t of ticks) ctx.fillRect(Math.round(toX(t)), 0, 1, H);

    const overlay = this.host.lockOverlay();
    const selected = this.host.selectedSegment();
    const paths: Path2D[] = [];
    const markers: Path2D[] = [];
    for (let s = 0; s < STATE_COUNT; s++) {
      paths.push(new Path2D());
      markers.push(new Path2D());
    }
    const outlines = new Path2D();
    let first = rowAt(this.layout, scrollTop);
    if (first < 0) first = 0;
    const visibleLanes: number[] = [];
    for (let r = first; r < this.layout.rows.length; r++) {
      const row = this.layout.rows[r];
      if (!row) break;
      const y = (row.y - scrollTop) * dpr;
      if (y > H) break;
      if (row.kind !== 'lane') {
        // The header band of a process (its DOM row is transparent over the lanes area).
        ctx.fillStyle = theme.panel;
        ctx.fillRect(0, y, W, row.height * dpr);
        continue;
      }
      visibleLanes.push(row.lane);
      if (r % 2 === 0) {
        ctx.fillStyle = theme.laneStripe;
        ctx.fillRect(0, y, W, row.height * dpr);
      }
      let items = this.items.get(row.lane);
      if (!items) {
        items = new LodItems();
        this.items.set(row.lane, items);
      }
      aggregateLane(lod, row.lane, win.startNs, win.endNs, minNs, items);
      const top = y + BAR_TOP * dpr;
      const bh = BAR_HEIGHT * dpr;
      for (let k = 0; k < items.length; k++) {
        const x0 = Math.max(-1, Math.floor(toX(items.begin[k] as number)));
        const x1 = Math.min(W + 1, Math.max(x0 + 1, Math.round(toX(items.end[k] as number))));
        (paths[items.state[k] as number] as Path2D).rect(x0, top, x1 - x0, bh);
        const m = items.marker[k] as number;
        if (m !== NO_MARKER) (markers[m] as Path2D).rect(x0, top + bh - MARKER_HEIGHT * dpr, x1 - x0, MARKER_HEIGHT * dpr);
        if (theme.highContrast && x1 - x0 >= 4) outlines.rect(x0 + 0.5, top + 0.5, x1 - x0 - 1, bh - 1);
      }
    }
    ctx.globalAlpha = overlay ? 0.28 : 1;
    for (let s = 0; s < STATE_COUNT; s++) {
      ctx.fillStyle = s === SegmentState.OFF_CPU_ESTIMATE ? theme.offCpuPattern : (theme.state[s] as string);
      ctx.fill(paths[s] as Path2D);
      ctx.fill(markers[s] as Path2D);
    }
    ctx.globalAlpha = 1;
    if (theme.contrastBorder) {
      ctx.strokeStyle = theme.contrastBorder;
      ctx.lineWidth = 1;
      ctx.stroke(outlines);
    }

    // The selected lock's waits, at full strength with an outline.
    if (overlay) {
      const hl = new Path2D();
      const fills: Path2D[] = [];
      for (let s = 0; s < STATE_COUNT; s++) fills.push(new Path2D());
      for (const lane of visibleLanes) {
        const row = this.layout.rows[this.layout.rowOfLane[lane] as number];
        if (!row) continue;
        aggregateLane(overlay.lod, lane, win.startNs, win.endNs, minNs, this.overlayItems);
        const top = (row.y - scrollTop + BAR_TOP) * dpr;
        const bh = BAR_HEIGHT * dpr;
        for (let k = 0; k < this.overlayItems.length; k++) {
          const x0 = Math.floor(toX(this.overlayItems.begin[k] as number));
          const x1 = Math.max(x0 + 2, Math.round(toX(this.overlayItems.end[k] as number)));
          (fills[this.overlayItems.state[k] as number] as Path2D).rect(x0, top, x1 - x0, bh);
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
      // Who held it (a multiprocessing lock's holds, from every process): a thin outline on
      // the holder's lane, one per run of holds closer than a pixel.
      if (overlay.holds) {
        const held = new Path2D();
        for (const lane of visibleLanes) {
          const row = this.layout.rows[this.layout.rowOfLane[lane] as number];
          if (!row) continue;
          const { runs } = holdRuns(overlay.holds, lane, win.startNs, win.endNs, minNs);
          const top = (row.y - scrollTop + 1) * dpr;
          const bh = (LANE_HEIGHT - 2) * dpr;
          for (let k = 0; k < runs.length; k += 2) {
            const x0 = Math.max(-2, Math.floor(toX(runs[k] as number)));
            const x1 = Math.min(W + 2, Math.max(x0 + 2, Math.round(toX(runs[k + 1] as number))));
            held.rect(x0 + 0.5, top + 0.5, x1 - x0 - 1, bh - 1);
          }
        }
        ctx.strokeStyle = theme.highlight;
        ctx.lineWidth = dpr;
        ctx.stroke(held);
      }
    }

    this.drawFlows(d, win, toX, scrollTop, overlay !== null);

    if (selected >= 0) this.drawSelection(d, selected, toX, scrollTop);

    if (this.hover) {
      const items = this.items.get(this.hover.lane);
      const row = this.layout.rows[this.layout.rowOfLane[this.hover.lane] as number];
      if (items && row && this.hover.item < items.length) {
        const x0 = Math.floor(toX(items.begin[this.hover.item] as number));
        const x1 = Math.max(x0 + 2, Math.round(toX(items.end[this.hover.item] as number)));
        ctx.strokeStyle = theme.foreground;
        ctx.lineWidth = dpr;
        ctx.strokeRect(x0 + 0.5, (row.y - scrollTop + BAR_TOP) * dpr + 0.5, x1 - x0 - 1, BAR_HEIGHT * dpr - 1);
      }
    }
    if (this.pointerX !== null) {
      ctx.fillStyle = theme.muted;
      ctx.fillRect(Math.round(this.pointerX * dpr), 0, Math.max(1, Math.floor(dpr)), H);
    }
  }

  /** Device-px y of the middle of a lane's row, or of its process's header row when the
   * process is collapsed; null when neither is laid out. */
  private arrowY(d: ViewData, lane: number, scrollTop: number): number | null {
    const r = this.layout.rows[this.layout.rowOfLane[lane] ?? -1]
      ?? this.layout.rows[this.headerRow[d.lanes[lane]?.process ?? -1] ?? -1];
    return r ? (r.y - scrollTop + r.height / 2) * this.dpr : null;
  }

  /**
   * Arrows between lanes (work items, results, messages, process starts), coloured like what
   * they carry: work items and results in the work item colour, messages in the queue colour.
   * Dimmed while a lock is selected, like the lanes.
   */
  private drawFlows(d: ViewData, win: TimeWindow, toX: (ns: number) => number, scrollTop: number, dimmed: boolean): void {
    const index = this.flowIndex;
    this.arrowsThinned = false;
    if (!index || index.count === 0) return;
    const ys = new Map<number, number | null>();
    const yOf = (lane: number): number | null => {
      let y = ys.get(lane);
      if (y === undefined) {
        y = this.arrowY(d, lane, scrollTop);
        ys.set(lane, y);
      }
      return y;
    };
    const sel = visibleFlows(index, d, {
      startNs: win.startNs, endNs: win.endNs, bucketNs: (spanOf(win) / this.widthCss) * 3, laneShown: (l) => yOf(l) !== null,
    });
    this.arrowsThinned = sel.truncated;
    const groups = [
      { color: this.theme.state[SegmentState.WORK] as string, line: new Path2D(), head: new Path2D() },
      { color: this.theme.state[SegmentState.QUEUE] as string, line: new Path2D(), head: new Path2D() },
      { color: this.theme.arrow, line: new Path2D(), head: new Path2D() },
    ];
    const f = d.flows;
    for (const row of sel.rows) {
      const kind = d.flowKinds[f.kind[row] as number];
      const g = groups[kind === 'task' || kind === 'result' ? 0 : kind === 'queue' || kind === 'pipe' ? 1 : 2] as (typeof groups)[number];
      const y1 = yOf(f.fromLane[row] as number);
      const y2 = yOf(f.toLane[row] as number);
      if (y1 === null || y2 === null) continue;
      addFlowArrow(g.line, g.head, toX(f.fromNs[row] as number), y1, toX(f.toNs[row] as number), y2, this.dpr);
    }
    const ctx = this.ctx;
    ctx.globalAlpha = dimmed ? 0.3 : 0.85;
    ctx.lineWidth = 1.25 * this.dpr;
    for (const g of groups) {
      ctx.strokeStyle = g.color;
      ctx.fillStyle = g.color;
      ctx.stroke(g.line);
      ctx.fill(g.head);
    }
    ctx.globalAlpha = 1;
  }

  /** Outline of the selected segment; for a wait, its holder's time and the unblock arrow;
   * for a work item, its submit and result arrows, highlighted. */
  private drawSelection(d: ViewData, seg: number, toX: (ns: number) => number, scrollTop: number): void {
    const ctx = this.ctx;
    const dpr = this.dpr;
    const s = d.segments;
    const lane = laneOfSegment(d, seg);
    const row = this.layout.rows[this.layout.rowOfLane[lane] ?? -1];
    const x0 = Math.floor(toX(s.begin[seg] as number));
    const x1 = Math.max(x0 + 3, Math.round(toX(s.end[seg] as number)));
    const laneY = (l: number): number | null => {
      const r = this.layout.rows[this.layout.rowOfLane[l] ?? -1];
      return r ? (r.y - scrollTop) * dpr : null;
    };
    const wait = s.wait[seg] as number;
    if (wait >= 0) {
      const w = d.waits;
      const holder = w.holderLane[wait] as number;
      const hy = holder >= 0 ? laneY(holder) : null;
      if (hy !== null) {
        // What the holder did while this thread waited: a dashed bracket on its lane.
        ctx.setLineDash([4 * dpr, 3 * dpr]);
        ctx.strokeStyle = this.theme.highlight;
        ctx.lineWidth = 1.5 * dpr;
        ctx.strokeRect(x0 + 0.5, hy + 1.5 * dpr, x1 - x0 - 1, (LANE_HEIGHT - 3) * dpr);
        ctx.setLineDash([]);
      }
      const waker = w.wakerLane[wait] as number;
      const wy = waker >= 0 && waker !== lane ? laneY(waker) : null;
      const ty = row ? (row.y - scrollTop) * dpr : null;
      if (wy !== null && ty !== null) {
        const x = toX(w.end[wait] as number);
        drawArrow(ctx, x, wy + (LANE_HEIGHT / 2) * dpr, x, ty + (LANE_HEIGHT / 2) * dpr, this.theme.arrow, dpr);
      }
    }
    const span = s.span[seg] as number;
    const item = span >= 0 ? (d.spans.workItem[span] as number) : -1;
    if (item >= 0 && wait < 0) {
      const wi = d.workItems;
      const line = new Path2D();
      const head = new Path2D();
      const arrow = (fromLane: number, fromNs: number, toLane: number, toNs: number): void => {
        const ya = fromLane >= 0 && !Number.isNaN(fromNs) ? this.arrowY(d, fromLane, scrollTop) : null;
        const yb = toLane >= 0 && !Number.isNaN(toNs) ? this.arrowY(d, toLane, scrollTop) : null;
        if (ya !== null && yb !== null) addFlowArrow(line, head, toX(fromNs), ya, toX(toNs), yb, dpr);
      };
      arrow(wi.submitLane[item] as number, wi.submitNs[item] as number, wi.workerLane[item] as number, wi.startNs[item] as number);
      arrow(wi.workerLane[item] as number, wi.endNs[item] as number, wi.resultLane[item] as number, wi.resultNs[item] as number);
      ctx.strokeStyle = this.theme.highlight;
      ctx.fillStyle = this.theme.highlight;
      ctx.lineWidth = 2 * dpr;
      ctx.stroke(line);
      ctx.fill(head);
    }
    if (row) {
      ctx.strokeStyle = this.theme.selection;
      ctx.lineWidth = 2 * dpr;
      ctx.strokeRect(x0 + dpr, (row.y - scrollTop + BAR_TOP) * dpr - dpr, x1 - x0 - 2 * dpr, (BAR_HEIGHT + 2) * dpr);
    }
  }

  private hitTest(ev: MouseEvent): Hover | null {
    const r = rowAt(this.layout, ev.offsetY + this.scroll.scrollTop);
    const row = this.layout.rows[r];
    if (!row || row.kind !== 'lane') return null;
    const items = this.items.get(row.lane);
    if (!items) return null;
    const win = this.host.window();
    const t = cssToNs(ev.offsetX, win, this.widthCss);
    const tol = (2 / this.widthCss) * spanOf(win);
    const idx = items.find(t, tol);
    return idx >= 0 ? { lane: row.lane, item: idx } : null;
  }

  private onPointer(ev: MouseEvent): void {
    const d = this.host.data();
    this.pointerX = ev.offsetX;
    this.hover = d && !(ev.buttons & 1) ? this.hitTest(ev) : null;
    if (d && this.hover) {
      const items = this.items.get(this.hover.lane) as LodItems;
      const first = items.first[this.hover.item] as number;
      const count = items.count[this.hover.item] as number;
      const text = count === 1 ? describeSegment(d, first) : describeBlock(d, first, count);
      const state = count === 1 ? (d.segments.state[first] as number) : (items.state[this.hover.item] as number);
      this.tooltip.show(ev.clientX, ev.clientY, text.title, [laneName(d, this.hover.lane), ...text.lines], this.theme.state[state] ?? '', state === SegmentState.OFF_CPU_ESTIMATE);
    } else {
      this.tooltip.hide();
    }
    this.requestRender();
  }

  private onClick(ev: MouseEvent): void {
    const d = this.host.data();
    if (!d) return;
    const hit = this.hitTest(ev);
    if (!hit) {
      this.host.selectSegment(null);
      return;
    }
    const items = this.items.get(hit.lane) as LodItems;
    const count = items.count[hit.item] as number;
    if (count > 1) {
      // A merged block: zoom in until its segments separate.
      const b = items.begin[hit.item] as number;
      const e = items.end[hit.item] as number;
      const pad = (e - b) * 0.1;
      this.host.setWindow(clampWindow({ startNs: b - pad, endNs: e + pad }, d.durationNs));
      return;
    }
    this.host.selectSegment(items.first[hit.item] as number);
  }

  /** Empties the lanes area and shows a message (no trace yet, or an empty one). */
  showEmpty(message: string): void {
    clear(this.inner);
    this.inner.append(this.canvas, h('div', { className: 'weft-empty', text: message }));
    this.rowEls = [];
  }
}

/**
 * Adds an arrow between lanes to two paths (the curve, and the head with a dot at the start),
 * so that many arrows are stroked and filled in two calls. The curve leaves and enters
 * horizontally, so the head always points right, into the moment it arrived; an arrow whose
 * ends are at one time (or close) still gets a visible S-bend.
 */
function addFlowArrow(line: Path2D, head: Path2D, x1: number, y1: number, x2: number, y2: number, dpr: number): void {
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
