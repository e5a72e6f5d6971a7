/**
 * The time axis above the lanes (d3 axisTop over the visible window, in CSS px) with the
 * "Visible 1.2 s" corner, and the grid lines at its ticks on the lanes canvas.
 */
import { axisTop, scaleLinear, select, type Selection } from 'd3';
import { spanOf, type TimeWindow } from './coords';
import { formatDuration, formatTick } from './format';
import { h } from './dom';

export const AXIS_HEIGHT = 24;

export class TimeAxis {
  readonly svg: SVGSVGElement;
  readonly corner: HTMLDivElement;
  private readonly group: Selection<SVGGElement, unknown, null, undefined>;

  constructor() {
    this.svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    this.corner = h('div', { className: 'weft-corner', text: '' });
    this.group = select(this.svg).append('g').attr('class', 'axis').attr('transform', 'translate(0,23)');
  }

  resize(widthCss: number): void {
    this.svg.setAttribute('width', String(widthCss));
    this.svg.setAttribute('height', String(AXIS_HEIGHT));
  }

  /** Draws the axis for a window; returns its tick times (view ns) for the grid. */
  draw(win: TimeWindow, widthCss: number): number[] {
    const scale = scaleLinear().domain([win.startNs, win.endNs]).range([0, widthCss]);
    const ticks = scale.ticks(Math.max(2, Math.floor(widthCss / 110)));
    const step = ticks.length > 1 ? (ticks[1] as number) - (ticks[0] as number) : spanOf(win);
    this.group.call(axisTop(scale).tickValues(ticks).tickSize(5).tickFormat((v) => formatTick(Number(v), step)));
    // Keep the first and last labels inside the axis instead of cut at its edges.
    this.group.selectAll<SVGTextElement, number>('.tick text').attr('text-anchor', (v) => {
      const x = scale(v);
      return x < 24 ? 'start' : x > widthCss - 24 ? 'end' : 'middle';
    });
    this.corner.textContent = `Visible ${formatDuration(spanOf(win))}`;
    return ticks;
  }

  /** Says in the corner that arrows were left out of the frame. */
  setThinned(thinned: boolean): void {
    if (thinned) this.corner.textContent = `${this.corner.textContent ?? ''} · arrows thinned`;
    this.corner.title = thinned ? 'Too many arrows between lanes to draw them all here: zoom in to see each one.' : '';
  }
}

/** Grid lines at the axis ticks, full height of the lanes canvas (device px). */
export function drawGrid(ctx: CanvasRenderingContext2D, ticks: readonly number[], toX: (ns: number) => number, heightDevice: number, color: string): void {
  ctx.fillStyle = color;
  for (const t of ticks) ctx.fillRect(Math.round(toX(t)), 0, 1, heightDevice);
}
