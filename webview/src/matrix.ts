/**
 * Waiter-by-holder matrix of one lock: who waited for whom, and how long. Rows are the
 * waiting threads, columns the threads that held the lock when the wait began (or, when the
 * agent did not know the holder, the thread that released it). Drawn as SVG: a few dozen
 * cells at most, and SVG gives each a native tooltip.
 */
import type { ViewData } from '../../runtime/src/view/view-data';
import { laneName } from './describe';
import { formatDuration } from './format';
import { svg } from './dom';

export interface MatrixCell {
  waits: number;
  waitNs: number;
}

export interface LockMatrix {
  waiters: number[];
  holders: number[];
  /** cells[i][j]: waiter i, holder j. */
  cells: MatrixCell[][];
  /** Waits whose holder was unknown. */
  unknownHolder: MatrixCell;
  maxWaitNs: number;
}

/** Builds the matrix by one pass over the waits. `limit` keeps the largest rows/columns. */
export function lockMatrix(data: ViewData, object: number, limit = 16): LockMatrix {
  const w = data.waits;
  const pair = new Map<number, MatrixCell>();
  const waiterTotal = new Map<number, number>();
  const holderTotal = new Map<number, number>();
  const unknownHolder: MatrixCell = { waits: 0, waitNs: 0 };
  const laneCount = data.lanes.length + 1;
  for (let i = 0; i < w.count; i++) {
    if (w.object[i] !== object) continue;
    const d = (w.end[i] as number) - (w.begin[i] as number);
    const waiter = w.lane[i] as number;
    const hl = w.holderLane[i] as number;
    const holder = hl >= 0 ? hl : (w.wakerLane[i] as number);
    if (holder < 0) {
      unknownHolder.waits++;
      unknownHolder.waitNs += d;
      continue;
    }
    const key = waiter * laneCount + holder;
    const c = pair.get(key) ?? { waits: 0, waitNs: 0 };
    c.waits++;
    c.waitNs += d;
    pair.set(key, c);
    waiterTotal.set(waiter, (waiterTotal.get(waiter) ?? 0) + d);
    holderTotal.set(holder, (holderTotal.get(holder) ?? 0) + d);
  }
  const top = (m: Map<number, number>): number[] => [...m.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, limit).map((e) => e[0]);
  const waiters = top(waiterTotal);
  const holders = top(holderTotal);
  let maxWaitNs = 0;
  const cells = waiters.map((wl) => holders.map((hl) => {
    const c = pair.get(wl * laneCount + hl) ?? { waits: 0, waitNs: 0 };
    maxWaitNs = Math.max(maxWaitNs, c.waitNs);
    return c;
  }));
  return { waiters, holders, cells, unknownHolder, maxWaitNs };
}

const CELL = 30;

/** SVG rendering of a matrix; cell colour intensity follows total wait. */
export function renderMatrix(data: ViewData, m: LockMatrix, color: string): SVGSVGElement {
  const labelW = 110;
  const headH = 90;
  const width = labelW + m.holders.length * CELL + 70;
  const height = headH + m.waiters.length * CELL + 4;
  const root = svg('svg', { width, height, class: 'weft-matrix', role: 'img', 'aria-label': 'Waiter by holder matrix' });
  root.append(svg('text', { x: labelW - 6, y: headH - 6, 'text-anchor': 'end', class: 'muted' }, 'waiter ↓ · holder →'));
  m.holders.forEach((hl, j) => {
    const x = labelW + j * CELL + CELL / 2;
    root.append(svg('text', { x, y: headH - 6, transform: `rotate(-45 ${x} ${headH - 6})` }, clip(laneName(data, hl), 14)));
  });
  m.waiters.forEach((wl, i) => {
    const y = headH + i * CELL;
    root.append(svg('text', { x: labelW - 6, y: y + CELL / 2 + 4, 'text-anchor': 'end' }, clip(laneName(data, wl), 16)));
    m.holders.forEach((hl, j) => {
      const c = m.cells[i]?.[j] ?? { waits: 0, waitNs: 0 };
      const x = labelW + j * CELL;
      const rect = svg('rect', { x, y, width: CELL, height: CELL, class: c.waits ? 'cell' : 'cell empty' });
      if (c.waits) {
        rect.setAttribute('fill', color);
        // At least a faint tint for any wait; full strength for the largest cell.
        rect.setAttribute('fill-opacity', String(0.15 + 0.85 * (m.maxWaitNs > 0 ? c.waitNs / m.maxWaitNs : 0)));
      }
      const title = svg('title', {}, c.waits
        ? `${laneName(data, wl)} waited ${formatDuration(c.waitNs)} in ${c.waits} wait${c.waits === 1 ? '' : 's'} for ${laneName(data, hl)}`
        : `${laneName(data, wl)} never waited for ${laneName(data, hl)}`);
      rect.append(title);
      root.append(rect);
      const strength = m.maxWaitNs > 0 ? c.waitNs / m.maxWaitNs : 0;
      // Light text on the strongest cells, where the fill is dark enough to need it.
      if (c.waits) root.append(svg('text', { x: x + CELL / 2, y: y + CELL / 2 + 4, 'text-anchor': 'middle', class: strength > 0.55 ? 'strong' : '' }, String(c.waits)));
    });
  });
  return root;
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
