/**
 * The overview strip: the whole run, with the visible window as a d3 brush. For each device
 * pixel column, how many threads were in each state, stacked, so its height follows the
 * number of live threads. Only thread lanes count: a task or greenlet runs on its thread's
 * time, and counting both would show that time twice (a run with no thread lanes at all
 * counts every lane). The picture is cached until the data, theme or size change; only the
 * brush moves with the window.
 */
import { brushX, select, type BrushBehavior, type Selection } from 'd3';
import { SegmentState, STATE_COUNT, type ViewData } from '../../runtime/src/view/view-data';
import { clampWindow, cssToNs, nsToCss, spanOf, type TimeWindow } from './coords';
import { h } from './dom';
import { aggregateLane, type LodIndex, LodItems } from './lod';
import type { Theme } from './theme';

export const OVERVIEW_HEIGHT = 44;

export interface OverviewHost {
  data(): ViewData | null;
  window(): TimeWindow;
  setWindow(w: TimeWindow): void;
}

/** Lanes the overview counts: threads, or every lane when there is no thread. */
export function overviewLanes(d: ViewData): number[] {
  const threads = d.lanes.filter((l) => l.kind === 'thread').map((l) => l.index);
  return threads.length > 0 ? threads : d.lanes.map((l) => l.index);
}

export class Overview {
  readonly canvas: HTMLCanvasElement;
  readonly svg: SVGSVGElement;
  readonly element: HTMLDivElement;
  private readonly brush: BrushBehavior<unknown>;
  private readonly brushGroup: Selection<SVGGElement, unknown, null, undefined>;
  private dirty = true;
  private syncing = false;
  private widthCss = 1;

  constructor(private readonly host: OverviewHost) {
    this.canvas = h('canvas');
    this.svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    this.element = h('div', { className: 'weft-overview' }, [this.canvas, this.svg]);
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
          const rect = this.svg.getBoundingClientRect();
          const center = cssToNs(me.clientX - rect.left, full, this.widthCss);
          const half = spanOf(this.host.window()) / 2;
          this.host.setWindow(clampWindow({ startNs: center - half, endNs: center + half }, d.durationNs));
        }
      });
    this.brushGroup = select(this.svg).append('g').attr('class', 'brush');
  }

  /** The picture must be drawn again (new data, theme or size). */
  invalidate(): void {
    this.dirty = true;
  }

  resize(widthCss: number, dpr: number): void {
    this.widthCss = widthCss;
    const before = `${this.canvas.width}x${this.canvas.height}`;
    const dw = Math.max(1, Math.round(widthCss * dpr));
    const dh = Math.max(1, Math.round(OVERVIEW_HEIGHT * dpr));
    this.canvas.style.width = `${widthCss}px`;
    this.canvas.style.height = `${OVERVIEW_HEIGHT}px`;
    // Only when it changes: assigning the size clears the canvas even to the same value.
    if (this.canvas.width !== dw) this.canvas.width = dw;
    if (this.canvas.height !== dh) this.canvas.height = dh;
    this.svg.setAttribute('width', String(widthCss));
    this.svg.setAttribute('height', String(OVERVIEW_HEIGHT));
    this.brush.extent([[0, 0], [widthCss, OVERVIEW_HEIGHT]]);
    this.brushGroup.call(this.brush);
    // A new size cleared the canvas: draw its cached picture again.
    if (`${this.canvas.width}x${this.canvas.height}` !== before) this.dirty = true;
  }

  draw(d: ViewData, lod: LodIndex, theme: Theme): void {
    if (this.dirty) {
      this.dirty = false;
      const c = this.canvas.getContext('2d');
      if (c) paintOverview(c, d, lod, theme, this.canvas.width, this.canvas.height);
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
}

/** Stacked state counts per device px column of the whole run. */
function paintOverview(c: CanvasRenderingContext2D, d: ViewData, lod: LodIndex, theme: Theme, W: number, H: number): void {
  c.setTransform(1, 0, 0, 1, 0, 0);
  c.fillStyle = theme.background;
  c.fillRect(0, 0, W, H);
  const dur = Math.max(d.durationNs, 1);
  const binNs = dur / W;
  const bins = new Float64Array(W * STATE_COUNT);
  const items = new LodItems();
  for (const l of overviewLanes(d)) {
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
    c.fillStyle = s === SegmentState.OFF_CPU_ESTIMATE ? theme.offCpuPattern : (theme.state[s] as string);
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
