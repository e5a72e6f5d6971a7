/**
 * The four coordinate spaces of the timeline, and the only conversions between them.
 *
 *   trace ns   absolute CLOCK_MONOTONIC nanoseconds, as in trace files and the TraceModel.
 *              The webview never sees them: the view-data builder subtracts `originNs`.
 *   view ns    nanoseconds since the first event of the run (0 .. durationNs). Every time in
 *              view data and in the webview's state is in view ns.
 *   CSS px     horizontal position inside the lanes area, 0 at its left edge. The visible
 *              window [startNs, endNs] maps linearly onto [0, widthCss]. DOM elements, mouse
 *              events, d3 scales and axes live here.
 *   device px  CSS px × devicePixelRatio: the canvas backing store. Only drawing code uses it,
 *              so lines stay sharp on HiDPI screens.
 *
 * The visible window is the single source of truth for zoom and pan; d3-zoom's transform is
 * derived from it (and back) with `windowToTransform` / `transformToWindow`.
 *
 * Vertically there are three:
 *
 *   content CSS px   from the top of the lanes area before scrolling: where layout.ts puts
 *                    rows, and where label elements are placed.
 *   viewport CSS px  content CSS px − the scroll offset: mouse events on the canvas.
 *   device px        viewport CSS px × devicePixelRatio: canvas drawing.
 */

/** A visible window, in view ns. */
export interface TimeWindow {
  startNs: number;
  endNs: number;
}

/** The smallest window the user can zoom to: 1 µs across the whole lanes area. */
export const MIN_SPAN_NS = 1_000;

export function spanOf(w: TimeWindow): number {
  return w.endNs - w.startNs;
}

/** view ns → CSS px within a lanes area of `widthCss` showing `w`. */
export function nsToCss(ns: number, w: TimeWindow, widthCss: number): number {
  return ((ns - w.startNs) / spanOf(w)) * widthCss;
}

/** CSS px → view ns (inverse of nsToCss). */
export function cssToNs(x: number, w: TimeWindow, widthCss: number): number {
  return w.startNs + (x / widthCss) * spanOf(w);
}

/** CSS px → device px. */
export function cssToDevice(x: number, dpr: number): number {
  return x * dpr;
}

/** Content CSS px → canvas device px, for a lanes area scrolled by `scrollTopCss`. */
export function contentToDeviceY(yContent: number, scrollTopCss: number, dpr: number): number {
  return (yContent - scrollTopCss) * dpr;
}

/** Nanoseconds covered by one device pixel: the level-of-detail threshold. */
export function nsPerDevicePx(w: TimeWindow, widthCss: number, dpr: number): number {
  return spanOf(w) / Math.max(1, widthCss * dpr);
}

/**
 * Keeps a window inside the run and no narrower than MIN_SPAN_NS (nor wider than the run).
 * A run of length 0 still gets a window of MIN_SPAN_NS so that scales stay finite.
 */
export function clampWindow(w: TimeWindow, durationNs: number): TimeWindow {
  const total = Math.max(durationNs, MIN_SPAN_NS);
  let span = Math.min(Math.max(spanOf(w), MIN_SPAN_NS), total);
  if (!Number.isFinite(span)) span = total;
  let start = Number.isFinite(w.startNs) ? w.startNs : 0;
  start = Math.min(Math.max(start, 0), total - span);
  return { startNs: start, endNs: start + span };
}

/** Zooms by `factor` (>1 zooms in) keeping `anchorNs` at the same screen position. */
export function zoomWindow(w: TimeWindow, factor: number, anchorNs: number, durationNs: number): TimeWindow {
  const span = spanOf(w) / factor;
  const frac = spanOf(w) > 0 ? (anchorNs - w.startNs) / spanOf(w) : 0.5;
  const start = anchorNs - frac * span;
  return clampWindow({ startNs: start, endNs: start + span }, durationNs);
}

/** Pans by a fraction of the visible span (negative: towards the start). */
export function panWindow(w: TimeWindow, fraction: number, durationNs: number): TimeWindow {
  const d = spanOf(w) * fraction;
  return clampWindow({ startNs: w.startNs + d, endNs: w.endNs + d }, durationNs);
}

/**
 * d3-zoom keeps a transform {k, x} that applies to a base scale mapping the whole run
 * [0, duration] onto [0, width]. These two functions convert between it and a window.
 */
export function windowToTransform(w: TimeWindow, widthCss: number, durationNs: number): { k: number; x: number } {
  const total = Math.max(durationNs, MIN_SPAN_NS);
  const k = total / spanOf(w);
  const x = -(w.startNs / total) * widthCss * k;
  return { k, x };
}

export function transformToWindow(t: { k: number; x: number }, widthCss: number, durationNs: number): TimeWindow {
  const total = Math.max(durationNs, MIN_SPAN_NS);
  const start = (-t.x / (widthCss * t.k)) * total;
  return { startNs: start, endNs: start + total / t.k };
}

/** The largest zoom factor d3-zoom may apply (whole run → MIN_SPAN_NS). */
export function maxZoom(durationNs: number): number {
  return Math.max(1, Math.max(durationNs, MIN_SPAN_NS) / MIN_SPAN_NS);
}
