/**
 * The one interaction layer over every track: wheel zooms around the pointer (d3-zoom, whose
 * transform is derived from the visible window and back, coords.ts), drag pans (and scrolls
 * the lanes vertically), a sideways wheel pans, Shift+wheel scrolls lanes natively, double
 * click zooms in (Shift: out). Hover and click ask the coordinator what is under the pointer
 * (each track's renderer hit-tests its own items); a click selects a segment, or zooms into a
 * merged block until its segments separate. Keys are mapped by `keyCommand`, which the app
 * runs for the whole view.
 */
import { select, zoom, zoomIdentity, type ZoomBehavior } from 'd3';
import type { ViewData } from '../../runtime/src/view/view-data';
import {
  clampWindow, cssToNs, maxZoom, panWindow, transformToWindow, windowToTransform, zoomWindow, type TimeWindow,
} from './coords';

/** An item under the pointer: item `item` of the lane's last-frame items. */
export interface Hit {
  lane: number;
  item: number;
  /** First segment row and how many are merged (1: a segment drawn as it is). */
  first: number;
  count: number;
  beginNs: number;
  endNs: number;
}

export interface InteractionHost {
  data(): ViewData | null;
  window(): TimeWindow;
  setWindow(w: TimeWindow): void;
  /** The item at CSS px x in the lanes area and viewport CSS px y, or null. */
  hitAt(xCss: number, yViewport: number): Hit | null;
  /** The pointer moved (x in CSS px, null when it left) over `hit`. */
  hoverChanged(hit: Hit | null, xCss: number | null, ev: MouseEvent | null): void;
  selectSegment(seg: number | null): void;
}

export class Interaction {
  private readonly zoomBehavior: ZoomBehavior<HTMLCanvasElement, unknown>;
  private syncing = false;
  private widthCss = 1;
  private pointer: number | null = null;

  constructor(private readonly canvas: HTMLCanvasElement, private readonly scroll: HTMLElement, private readonly host: InteractionHost) {
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
        if (ev.sourceEvent?.type === 'mousedown') canvas.classList.add('panning');
      })
      .on('end', () => canvas.classList.remove('panning'))
      .on('zoom', (ev: { transform: { k: number; x: number }; sourceEvent: Event | null }) => {
        if (this.syncing) return;
        const d = host.data();
        if (!d) return;
        const src = ev.sourceEvent;
        if (src && src.type === 'mousemove') scroll.scrollTop -= (src as MouseEvent).movementY;
        host.setWindow(clampWindow(transformToWindow(ev.transform, this.widthCss, d.durationNs), d.durationNs));
      });
    select(canvas).call(this.zoomBehavior).on('dblclick.zoom', null);

    canvas.addEventListener('wheel', (ev) => {
      const d = host.data();
      if (!d || ev.shiftKey || Math.abs(ev.deltaX) <= Math.abs(ev.deltaY)) return;
      ev.preventDefault();
      host.setWindow(panWindow(host.window(), ev.deltaX / this.widthCss, d.durationNs));
    }, { passive: false });
    canvas.addEventListener('mousemove', (ev) => {
      this.pointer = ev.offsetX;
      const hit = host.data() && !(ev.buttons & 1) ? host.hitAt(ev.offsetX, ev.offsetY) : null;
      host.hoverChanged(hit, ev.offsetX, ev);
    });
    canvas.addEventListener('mouseleave', () => {
      this.pointer = null;
      host.hoverChanged(null, null, null);
    });
    canvas.addEventListener('click', (ev) => this.onClick(ev));
    canvas.addEventListener('dblclick', (ev) => {
      const d = host.data();
      if (!d) return;
      const anchor = cssToNs(ev.offsetX, host.window(), this.widthCss);
      host.setWindow(zoomWindow(host.window(), ev.shiftKey ? 0.5 : 2, anchor, d.durationNs));
    });
  }

  /** The lanes area changed size: d3-zoom's extents follow. */
  resize(widthCss: number, heightCss: number): void {
    this.widthCss = widthCss;
    this.zoomBehavior
      .extent([[0, 0], [widthCss, heightCss]])
      .translateExtent([[0, Number.NEGATIVE_INFINITY], [widthCss, Number.POSITIVE_INFINITY]])
      .scaleExtent([1, maxZoom(this.host.data()?.durationNs ?? 0)]);
  }

  /** The window changed from outside (keys, brush, restore): d3-zoom's transform follows. */
  windowChanged(): void {
    const d = this.host.data();
    if (!d) return;
    const t = windowToTransform(this.host.window(), this.widthCss, d.durationNs);
    this.syncing = true;
    try {
      select(this.canvas).call(this.zoomBehavior.transform, zoomIdentity.translate(t.x, 0).scale(t.k));
    } finally {
      this.syncing = false;
    }
  }

  /** The pointer's time (view ns), null when it is not over the lanes. */
  pointerNs(): number | null {
    return this.pointer === null ? null : cssToNs(this.pointer, this.host.window(), this.widthCss);
  }

  private onClick(ev: MouseEvent): void {
    const d = this.host.data();
    if (!d) return;
    const hit = this.host.hitAt(ev.offsetX, ev.offsetY);
    if (!hit) {
      this.host.selectSegment(null);
      return;
    }
    if (hit.count > 1) {
      const pad = (hit.endNs - hit.beginNs) * 0.1;
      this.host.setWindow(clampWindow({ startNs: hit.beginNs - pad, endNs: hit.endNs + pad }, d.durationNs));
      return;
    }
    this.host.selectSegment(hit.first);
  }
}

/** What a key does to the view. */
export type KeyCommand =
  | { type: 'zoom'; factor: number }
  | { type: 'pan'; fraction: number }
  | { type: 'whole' }
  | { type: 'scroll'; dy: number }
  | { type: 'clear' };

/** Zoom step of +/- and the toolbar buttons. */
export const ZOOM_STEP = 1.6;

/** The command of a key press (+/- zoom, arrows pan and scroll, 0 whole run, Esc clear), or
 * null for a key the view leaves alone. */
export function keyCommand(key: string, shift: boolean): KeyCommand | null {
  switch (key) {
    case '+': case '=': return { type: 'zoom', factor: ZOOM_STEP };
    case '-': case '_': return { type: 'zoom', factor: 1 / ZOOM_STEP };
    case '0': return { type: 'whole' };
    case 'ArrowLeft': return { type: 'pan', fraction: shift ? -0.5 : -0.1 };
    case 'ArrowRight': return { type: 'pan', fraction: shift ? 0.5 : 0.1 };
    case 'ArrowUp': return { type: 'scroll', dy: -22 };
    case 'ArrowDown': return { type: 'scroll', dy: 22 };
    case 'Escape': return { type: 'clear' };
    default: return null;
  }
}
