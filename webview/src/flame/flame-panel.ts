/**
 * The "Call tree" tab (issue 16): a flame graph (canvas) and a call tree table of the stack
 * samples, for all lanes, one process or one lane, over the timeline's visible window or the
 * whole run, with library frames (standard library, Weft) folded into their callers or shown.
 *
 * Every figure is an estimate: samples × the sampling period each process achieved (the
 * header says which). A frame's width is its inclusive time (on the stack, or on a CPU when
 * "Width by CPU time" is checked: on a loaded machine the two differ, and CPU time is what the
 * code cost); a strip along its bottom splits
 * it into on a CPU, running but not on a CPU (estimated, hatched as on the timeline) and
 * waiting. Clicking a frame selects it: its samples are highlighted on the timeline (the
 * rest dimmed) and the table opens its path; double-click zooms into it.
 *
 * Cost: the tree is rebuilt only when the selection of samples changes (lane, range, folding;
 * the window is debounced by the app), ~0.1 s for 1M samples; a frame draws only the
 * rectangles flame-layout.ts keeps (level of detail), so panning the flame graph of 1M
 * samples stays at a few thousand rectangles.
 */
import {
  SampleCategory, buildCallTree, callTreeInput, functionTable, samplesUnder, type CallTree, type CallTreeInput,
  type CallTreeOptions, type CallTreeResult, type FunctionTable,
} from '../../../runtime/src/view/call-stacks';
import { SegmentState, stateOfReason, type ViewData } from '../../../runtime/src/view/view-data';
import type { TimeWindow } from '../coords';
import { clear, h } from '../dom';
import { formatDuration, formatPercent } from '../format';
import { LodIndex } from '../lod';
import type { LockOverlay } from '../overlays';
import type { SourceRef } from '../protocol';
import { readTheme, type Theme } from '../theme';
import { FlameRects, hitFlame, layoutFlame, metricBy, nodeStarts, totalMetric, type FlameMetric } from './flame-layout';

export interface FlameHost {
  data(): ViewData | null;
  window(): TimeWindow;
  openSource(ref: SourceRef): void;
  /** Highlights these samples on the timeline (null: none). */
  highlightSamples(overlay: LockOverlay | null): void;
}

const ROW_PX = 18;
const MAX_TABLE_ROWS = 400;
const MAX_TASK_OPTIONS = 100;

/** What the flame graph shows: "all", "p<process>" or "l<lane>". */
type Scope = string;

interface Built {
  input: CallTreeInput;
  fns: FunctionTable;
  result: CallTreeResult;
  starts: Float64Array;
  metric: FlameMetric;
  opts: CallTreeOptions;
}

/** The samples of `rows` as timeline segments (the interval each stands for, before it). */
export function sampleOverlay(d: ViewData, rows: Int32Array): LockOverlay | null {
  const cs = d.callStacks;
  if (!cs || rows.length === 0) return null;
  const lanes = d.lanes.length;
  const laneOffsets = new Uint32Array(lanes + 1);
  for (const r of rows) {
    const l = cs.samples.lane[r] as number;
    if (l >= 0 && l < lanes) laneOffsets[l + 1] = (laneOffsets[l + 1] as number) + 1;
  }
  for (let l = 0; l < lanes; l++) laneOffsets[l + 1] = (laneOffsets[l + 1] as number) + (laneOffsets[l] as number);
  const n = laneOffsets[lanes] as number;
  const cols = { begin: new Float64Array(n), end: new Float64Array(n), state: new Uint8Array(n) };
  const source = new Int32Array(n).fill(-1);
  const fill = laneOffsets.slice(0, lanes);
  for (const r of rows) {
    const l = cs.samples.lane[r] as number;
    if (l < 0 || l >= lanes) continue;
    const k = fill[l] as number;
    fill[l] = k + 1;
    const t = cs.samples.ts[r] as number;
    const w = cs.laneWeightNs[l] as number;
    // Rows come in time order, so a lane's segments do too; clip to the previous one.
    const prevEnd = k > (laneOffsets[l] as number) ? (cols.end[k - 1] as number) : -Infinity;
    cols.begin[k] = Math.max(t - w, prevEnd);
    cols.end[k] = Math.max(t, cols.begin[k] as number);
    const c = cs.samples.category[r] as number;
    cols.state[k] = c === SampleCategory.RUNNING ? SegmentState.RUNNING : c >= SampleCategory.WAIT_BASE ? stateOfReason(c - SampleCategory.WAIT_BASE) : SegmentState.SYNC;
  }
  return { lod: new LodIndex(cols, laneOffsets), source, holds: null };
}

export class FlamePanel {
  readonly root: HTMLElement;
  private readonly scopeSelect = h('select', { attrs: { 'aria-label': 'Lanes' } });
  private readonly foldBox = h('input', { attrs: { type: 'checkbox', checked: true, 'aria-label': 'Fold library frames' } });
  private readonly windowBox = h('input', { attrs: { type: 'checkbox', checked: true, 'aria-label': 'Visible window only' } });
  private readonly cpuBox = h('input', { attrs: { type: 'checkbox', 'aria-label': 'Width by CPU time' } });
  private readonly info = h('span', { className: 'weft-flame-info muted' });
  private readonly canvas = h('canvas', { className: 'weft-flame-canvas', attrs: { 'aria-label': 'Flame graph' } });
  private readonly canvasWrap = h('div', { className: 'weft-flame-wrap' });
  private readonly detail = h('div', { className: 'weft-flame-detail' });
  private readonly table = h('div', { className: 'weft-table-wrap weft-flame-table' });
  private readonly tooltip = h('div', { className: 'weft-tooltip', attrs: { role: 'tooltip', hidden: true } });
  private built: Built | null = null;
  private fnsFor: ViewData | null = null;
  private fns: FunctionTable | null = null;
  private focus = 0;
  private selected = 0;
  private firstDepth = 1;
  private readonly rects = new FlameRects();
  private expanded = new Set<number>();
  private theme: Theme | null = null;
  private frame = 0;
  private visible = false;

  constructor(private readonly host: FlameHost) {
    const label = (el: HTMLElement, text: string, title: string): HTMLElement => h('label', { className: 'weft-flame-toggle', title }, [el, text]);
    const reset = h('button', { className: 'weft-button', text: 'Reset zoom', title: 'Show the whole tree again', on: { click: () => this.zoomTo(0) } });
    this.canvasWrap.append(this.canvas);
    this.root = h('div', { className: 'weft-tabpanel weft-flame', attrs: { role: 'tabpanel', id: 'weft-tab-flame', hidden: true } }, [
      h('div', { className: 'weft-flame-toolbar' }, [
        this.scopeSelect,
        label(this.foldBox, 'Fold library frames', 'Fold frames of the standard library and of Weft into the user\'s function that called them'),
        label(this.windowBox, 'Visible window only', 'Only samples in the timeline\'s visible window (zoom the timeline to pick a range)'),
        label(this.cpuBox, 'Width by CPU time', 'Frame widths by time on a CPU (from the thread CPU clock) rather than time on the stack: on a busy machine, or with threads competing for the GIL, the stack time of a CPU-bound function grows with the wait for a CPU'),
        reset, this.info,
      ]),
      this.canvasWrap, this.detail, this.table, this.tooltip,
    ]);
    this.scopeSelect.addEventListener('change', () => this.rebuild(true));
    this.foldBox.addEventListener('change', () => this.rebuild(true));
    this.windowBox.addEventListener('change', () => this.rebuild(true));
    this.cpuBox.addEventListener('change', () => this.remeasure());
    this.canvas.addEventListener('mousemove', (ev) => this.onHover(ev));
    this.canvas.addEventListener('mouseleave', () => {
      this.tooltip.hidden = true;
    });
    this.canvas.addEventListener('click', (ev) => this.onClick(ev, false));
    this.canvas.addEventListener('dblclick', (ev) => this.onClick(ev, true));
    this.canvas.addEventListener('wheel', (ev) => {
      const t = this.built?.result.tree;
      if (!t) return;
      this.firstDepth = Math.max(1, Math.min(Math.max(1, t.maxDepth), this.firstDepth + Math.sign(ev.deltaY)));
      this.draw();
      ev.preventDefault();
    }, { passive: false });
    if (typeof ResizeObserver !== 'undefined') new ResizeObserver(() => this.schedule()).observe(this.canvasWrap);
  }

  /** Shown or hidden with its tab: a hidden panel builds nothing. */
  setVisible(v: boolean): void {
    this.visible = v;
    if (v) this.rebuild(false);
  }

  /** New data: scopes are listed again and the tree rebuilt. */
  render(): void {
    const d = this.host.data();
    clear(this.scopeSelect);
    this.built = null;
    this.fns = null;
    this.fnsFor = null;
    if (!d) return;
    this.scopeSelect.append(h('option', { text: 'All lanes', attrs: { value: 'all' } }));
    const sampled = new Set<number>();
    const cs = d.callStacks;
    if (cs) {
      const step = Math.max(1, Math.floor(cs.samples.count / 200_000));
      for (let i = 0; i < cs.samples.count; i += step) sampled.add(cs.samples.lane[i] as number);
      // asyncio tasks: every task a step covered a sample of (not thinned: tasks are short).
      const task = cs.samples.task;
      if (task) for (let i = 0; i < task.length; i++) if ((task[i] as number) >= 0) sampled.add(task[i] as number);
    }
    for (const p of d.processes) {
      // Threads, then at most MAX_TASK_OPTIONS other lanes (a server has thousands of tasks).
      const all = d.lanes.filter((l) => l.process === p.index && sampled.has(l.index));
      const lanes = [...all.filter((l) => l.kind === 'thread'), ...all.filter((l) => l.kind !== 'thread').slice(0, MAX_TASK_OPTIONS)];
      if (lanes.length === 0) continue;
      if (d.processes.length > 1) this.scopeSelect.append(h('option', { text: `Process ${p.pid}`, attrs: { value: `p${p.index}` } }));
      for (const l of lanes) this.scopeSelect.append(h('option', { text: `${d.processes.length > 1 ? '  ' : ''}${l.kind === 'thread' ? '' : `${l.kind} `}${l.name}${d.processes.length > 1 ? ` (pid ${p.pid})` : ''}`, attrs: { value: `l${l.index}` } }));
    }
    this.focus = 0;
    this.selected = 0;
    this.rebuild(true);
  }

  /** The timeline's window moved (debounced by the app). */
  windowChanged(): void {
    if (this.windowBox.checked) this.rebuild(false);
  }

  private options(d: ViewData): CallTreeOptions {
    const scope: Scope = this.scopeSelect.value || 'all';
    const opts: CallTreeOptions = { hideLibrary: this.foldBox.checked };
    if (scope.startsWith('l')) opts.lanes = new Set([Number(scope.slice(1))]);
    else if (scope.startsWith('p')) {
      const p = Number(scope.slice(1));
      opts.lanes = new Set(d.lanes.filter((l) => l.process === p).map((l) => l.index));
    }
    if (this.windowBox.checked) {
      const w = this.host.window();
      if (w.startNs > 0 || w.endNs < d.durationNs) {
        opts.fromNs = w.startNs;
        opts.toNs = w.endNs;
      }
    }
    return opts;
  }

  /** Rebuilds the tree when what it selects changed (`force`: always). */
  rebuild(force: boolean): void {
    const d = this.host.data();
    if (!d || !this.visible) return;
    const cs = d.callStacks;
    if (!cs) {
      this.built = null;
      this.info.textContent = '';
      clear(this.table);
      this.table.append(h('div', { className: 'weft-empty', text: d.processes.some((p) => p.sampleHz > 0) ? 'No stack samples in this trace.' : 'Sampling was off for this run (--sample-hz 0).' }));
      this.draw();
      return;
    }
    const opts = this.options(d);
    const prev = this.built?.opts;
    if (!force && prev && sameOptions(prev, opts)) return;
    if (this.fnsFor !== d || this.fns === null) {
      this.fns = functionTable(d.sites);
      this.fnsFor = d;
    }
    const input = callTreeInput(cs, d.sites);
    const result = buildCallTree(input, this.fns, opts);
    // A new selection of samples keeps the zoomed and selected path when it still exists.
    const keepFocus = this.built ? this.pathOf(this.built, this.focus) : [];
    const keepSel = this.built ? this.pathOf(this.built, this.selected) : [];
    const metric = this.cpuBox.checked ? metricBy(result.tree, result.tree.cpuNs) : totalMetric(result.tree);
    this.built = { input, fns: this.fns, result, starts: nodeStarts(result.tree, metric), metric, opts };
    this.focus = this.findPath(keepFocus);
    this.selected = this.findPath(keepSel);
    if (force) this.expanded = new Set();
    this.renderInfo(d);
    this.renderTable();
    this.draw();
    this.updateHighlight();
  }

  /** The width metric changed: same tree, new order and offsets. */
  private remeasure(): void {
    const b = this.built;
    if (!b) return;
    b.metric = this.cpuBox.checked ? metricBy(b.result.tree, b.result.tree.cpuNs) : totalMetric(b.result.tree);
    b.starts = nodeStarts(b.result.tree, b.metric);
    this.draw();
  }

  private renderInfo(d: ViewData): void {
    const b = this.built;
    if (!b) return;
    const t = b.result.tree;
    const periods = new Set<number>();
    const lanes = b.opts.lanes;
    for (const p of d.processes) {
      const period = d.callStacks?.periodNs[p.index] ?? 0;
      if (period > 0 && (!lanes || d.lanes.some((l) => l.process === p.index && lanes.has(l.index)))) periods.add(Math.round(period / 1e4) * 1e4);
    }
    const period = periods.size === 1 ? `one sample = ${formatDuration([...periods][0] as number)} (achieved)` : periods.size > 1 ? 'sampling periods differ per process (achieved)' : '';
    this.info.textContent = [`${t.samples.toLocaleString('en-US')} samples`, `${formatDuration(t.totalNs[0] as number)} sampled`, period, 'estimates'].filter(Boolean).join(' · ');
  }

  private pathOf(b: Built, node: number): number[] {
    const out: number[] = [];
    for (let n = node; n > 0; n = b.result.tree.parent[n] as number) out.push(b.result.tree.func[n] as number);
    return out.reverse();
  }

  private findPath(path: number[]): number {
    const t = this.built?.result.tree;
    if (!t) return 0;
    let n = 0;
    for (const fn of path) {
      let next = -1;
      for (let k = t.childOffsets[n] as number; k < (t.childOffsets[n + 1] as number); k++) {
        if (t.func[t.children[k] as number] === fn) {
          next = t.children[k] as number;
          break;
        }
      }
      if (next < 0) return n;
      n = next;
    }
    return n;
  }

  private schedule(): void {
    if (this.frame !== 0) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private name(fn: number): string {
    return this.built?.fns.name[fn] ?? '';
  }

  /** Draws the visible rectangles. */
  draw(): void {
    const b = this.built;
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    const dpr = window.devicePixelRatio || 1;
    const widthCss = Math.max(50, this.canvasWrap.clientWidth);
    const t = b?.result.tree;
    const rows = t ? Math.max(1, Math.min(t.maxDepth - this.firstDepth + 1, 40)) : 1;
    const heightCss = rows * ROW_PX;
    if (this.canvas.width !== Math.round(widthCss * dpr) || this.canvas.height !== Math.round(heightCss * dpr)) {
      this.canvas.width = Math.round(widthCss * dpr);
      this.canvas.height = Math.round(heightCss * dpr);
      this.canvas.style.width = `${widthCss}px`;
      this.canvas.style.height = `${heightCss}px`;
      this.theme = null;
    }
    this.theme ??= readTheme(ctx);
    const theme = this.theme;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = theme.background;
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    if (!b || !t) return;
    layoutFlame(t, b.starts, { focus: this.focus, widthPx: widthCss, firstDepth: this.firstDepth, rows, minPx: 1 / dpr }, this.rects, b.metric);
    drawFlame(ctx, t, b.fns, this.rects, theme, { dpr, firstDepth: this.firstDepth, selected: this.selected, rowPx: ROW_PX });
    this.canvas.dataset.rects = String(this.rects.length);
  }

  private hitAt(ev: MouseEvent): number {
    const r = this.canvas.getBoundingClientRect();
    const i = hitFlame(this.rects, ev.clientX - r.left, ev.clientY - r.top, ROW_PX, this.firstDepth);
    return i;
  }

  private onHover(ev: MouseEvent): void {
    const b = this.built;
    const i = this.hitAt(ev);
    if (!b || i < 0) {
      this.tooltip.hidden = true;
      return;
    }
    const t = b.result.tree;
    const n = this.rects.node[i] as number;
    clear(this.tooltip);
    if (n < 0) {
      this.tooltip.append(h('div', { className: 't', text: `${this.rects.merged[i]} calls narrower than a pixel` }), h('div', { className: 'l', text: 'Zoom in (double-click the caller) to see them.' }));
    } else {
      const total = t.totalNs[0] as number;
      const fn = t.func[n] as number;
      this.tooltip.append(
        h('div', { className: 't', text: this.name(fn) }),
        h('div', { className: 'l', text: `${b.fns.file[fn] ?? ''}:${b.fns.line[fn] ?? ''}` }),
        h('div', { className: 'l', text: `total ${formatDuration(t.totalNs[n] as number)} (${formatPercent(total > 0 ? (t.totalNs[n] as number) / total : 0)}) · self ${formatDuration(t.selfNs[n] as number)}` }),
        h('div', { className: 'l', text: `on CPU ${formatDuration(t.cpuNs[n] as number)} · not on CPU (estimate) ${formatDuration(t.offCpuNs[n] as number)} · waiting ${formatDuration(t.waitNs[n] as number)}` }),
        h('div', { className: 'l', text: `${t.totalSamples[n]} samples · click: highlight on the timeline · double-click: zoom` }),
      );
    }
    this.tooltip.hidden = false;
    const x = ev.clientX + 14 + this.tooltip.offsetWidth > window.innerWidth ? ev.clientX - 14 - this.tooltip.offsetWidth : ev.clientX + 14;
    this.tooltip.style.left = `${Math.max(2, x)}px`;
    this.tooltip.style.top = `${ev.clientY + 16}px`;
  }

  private onClick(ev: MouseEvent, zoom: boolean): void {
    const i = this.hitAt(ev);
    if (i < 0) return;
    const n = this.rects.node[i] as number;
    if (n < 0) return;
    if (zoom) this.zoomTo(n);
    else this.select(n);
  }

  /** Zooms the flame graph so that `node` fills the width. */
  zoomTo(node: number): void {
    this.focus = node;
    const t = this.built?.result.tree;
    this.firstDepth = t && node > 0 ? Math.max(1, (t.depth[node] as number) - 3) : 1;
    this.draw();
  }

  /** Selects a node: its samples are highlighted on the timeline, its path opened in the table. */
  select(node: number): void {
    this.selected = this.selected === node ? 0 : node;
    const t = this.built?.result.tree;
    if (t) for (let n = this.selected; n > 0; n = t.parent[n] as number) this.expanded.add(n);
    this.draw();
    this.renderTable();
    this.updateHighlight();
  }

  /** Esc on the timeline: no frame selected, nothing highlighted. */
  clearSelection(): void {
    if (this.selected === 0) return;
    this.selected = 0;
    this.draw();
    this.renderTable();
    this.updateHighlight();
  }

  private updateHighlight(): void {
    const b = this.built;
    const d = this.host.data();
    if (!b || !d || this.selected <= 0) {
      this.host.highlightSamples(null);
      clear(this.detail);
      return;
    }
    const rows = samplesUnder(b.input, b.fns, b.result.tree, this.selected, b.result.rowBegin, b.result.rowEnd, b.opts);
    this.host.highlightSamples(sampleOverlay(d, rows));
    clear(this.detail);
    const path = this.pathOf(b, this.selected).map((fn) => this.name(fn));
    this.detail.append(h('span', { text: `Selected: ${path.join(' → ')} — ${rows.length.toLocaleString('en-US')} samples highlighted on the timeline` }));
  }

  /** The call tree table: the expanded part of the tree, heaviest first. */
  private renderTable(): void {
    clear(this.table);
    const b = this.built;
    if (!b) return;
    const t = b.result.tree;
    const total = t.totalNs[0] as number;
    if (t.samples === 0) {
      this.table.append(h('div', { className: 'weft-empty', text: 'No samples in this selection.' }));
      return;
    }
    // Open the heaviest path by default, while one child holds most of its parent.
    if (this.expanded.size === 0) {
      let n = 0;
      for (let guard = 0; guard < 64; guard++) {
        const a = t.childOffsets[n] as number;
        if (a === (t.childOffsets[n + 1] as number)) break;
        const c = t.children[a] as number;
        this.expanded.add(c);
        if ((t.totalNs[c] as number) < 0.5 * (t.totalNs[n] as number)) break;
        n = c;
      }
    }
    const body = h('tbody');
    let shown = 0;
    const add = (n: number, depth: number): void => {
      for (let k = t.childOffsets[n] as number; k < (t.childOffsets[n + 1] as number) && shown < MAX_TABLE_ROWS; k++) {
        const c = t.children[k] as number;
        shown++;
        const fn = t.func[c] as number;
        const hasKids = (t.childOffsets[c + 1] as number) > (t.childOffsets[c] as number);
        const open = this.expanded.has(c);
        const toggle = h('span', { className: 'weft-flame-twisty', text: hasKids ? (open ? '▾' : '▸') : '' });
        const nameCell = h('td', { className: `weft-flame-name${b.fns.library[fn] ? ' muted' : ''}` }, [toggle, b.fns.name[fn] ?? '']);
        nameCell.style.paddingLeft = `${4 + depth * 12}px`;
        const row = h('tr', {
          className: c === this.selected ? 'selected' : '',
          data: { flameNode: c },
          attrs: { tabindex: 0 },
          title: `${b.fns.file[fn] ?? ''}:${b.fns.line[fn] ?? ''}`,
          on: {
            click: (ev) => {
              if ((ev.target as HTMLElement).classList.contains('weft-flame-twisty')) {
                if (open) this.expanded.delete(c);
                else this.expanded.add(c);
                this.renderTable();
              } else this.select(c);
            },
            dblclick: () => this.host.openSource({ file: b.fns.file[fn] ?? '', line: b.fns.line[fn] ?? 1 }),
            keydown: (ev) => {
              if (ev.key === 'Enter') this.host.openSource({ file: b.fns.file[fn] ?? '', line: b.fns.line[fn] ?? 1 });
            },
          },
        }, [
          nameCell,
          h('td', { className: 'num', text: formatDuration(t.totalNs[c] as number) }),
          h('td', { className: 'num', text: formatDuration(t.selfNs[c] as number) }),
          h('td', { className: 'num muted', text: formatPercent(total > 0 ? (t.totalNs[c] as number) / total : 0) }),
          h('td', { className: 'num', text: formatDuration(t.cpuNs[c] as number) }),
          h('td', { className: 'num muted', text: formatDuration(t.offCpuNs[c] as number) }),
          h('td', { className: 'num', text: formatDuration(t.waitNs[c] as number) }),
          h('td', { className: 'loc muted', text: `${shortFile(b.fns.file[fn] ?? '')}:${b.fns.line[fn] ?? ''}` }),
        ]);
        body.append(row);
        if (open) add(c, depth + 1);
      }
    };
    add(0, 0);
    const head = h('tr', {}, [
      h('th', { text: 'Function (call tree)' }), h('th', { className: 'num', text: 'Total' }), h('th', { className: 'num', text: 'Self' }),
      h('th', { className: 'num', text: 'Share' }), h('th', { className: 'num', text: 'On CPU' }),
      h('th', { className: 'num', text: 'Not on CPU (est.)', title: 'Running but not on a CPU: GIL wait, a busy machine, native code (an estimate from the thread CPU clock)' }),
      h('th', { className: 'num', text: 'Waiting' }), h('th', { text: 'Defined at' }),
    ]);
    this.table.append(h('table', { className: 'weft-table' }, [h('thead', {}, [head]), body]));
    if (shown >= MAX_TABLE_ROWS) this.table.append(h('div', { className: 'weft-empty', text: `First ${MAX_TABLE_ROWS} rows shown: collapse a branch to see others.` }));
  }

  /** For tests and the report: the current tree. */
  tree(): CallTree | null {
    return this.built?.result.tree ?? null;
  }
}

function sameOptions(a: CallTreeOptions, b: CallTreeOptions): boolean {
  const lanes = (o: CallTreeOptions): string => (o.lanes ? [...o.lanes].join(',') : '*');
  return a.hideLibrary === b.hideLibrary && a.fromNs === b.fromNs && a.toNs === b.toNs && lanes(a) === lanes(b);
}

/** Colour buckets of user frames. */
const HUES = 8;

/** A stable bucket per function name (FNV-1a), so a function keeps its colour. */
function hueOf(name: string): number {
  let x = 2166136261;
  for (let i = 0; i < name.length; i++) x = Math.imul(x ^ name.charCodeAt(i), 16777619);
  return (x >>> 0) % HUES;
}

function shortFile(file: string): string {
  const i = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return i >= 0 ? file.slice(i + 1) : file;
}

/**
 * Paints laid-out rectangles: user frames in warm hues, library frames grey,
 * merged blocks in the grid colour; a strip at the bottom of each frame splits it into on a
 * CPU, not on a CPU (estimated, hatched) and waiting; names where they fit. One path per
 * colour, so a frame of thousands of rectangles is a handful of fills.
 */
export function drawFlame(
  ctx: CanvasRenderingContext2D, t: CallTree, fns: FunctionTable, rects: FlameRects, theme: Theme,
  o: { dpr: number; firstDepth: number; selected: number; rowPx: number },
): void {
  const { dpr, rowPx } = o;
  // User frames in warm hues by function (the classic flame graph palette, stable per name),
  // library frames grey: one path per colour bucket.
  const user: Path2D[] = Array.from({ length: HUES }, () => new Path2D());
  const lib = new Path2D();
  const merged = new Path2D();
  const cpu = new Path2D();
  const off = new Path2D();
  const wait = new Path2D();
  const strip = Math.max(2, Math.round(3 * dpr));
  for (let i = 0; i < rects.length; i++) {
    const n = rects.node[i] as number;
    const x0 = Math.round((rects.x[i] as number) * dpr);
    let w = Math.max(1, Math.round(((rects.x[i] as number) + (rects.w[i] as number)) * dpr) - x0);
    // A device pixel of gap between frames wide enough to spare it.
    if (w > 3) w -= 1;
    const y = ((rects.depth[i] as number) - o.firstDepth) * rowPx * dpr;
    const hgt = rowPx * dpr - Math.max(1, dpr);
    if (n < 0) {
      merged.rect(x0, y, w, hgt);
      continue;
    }
    const fn = t.func[n] as number;
    (fns.library[fn] ? lib : (user[hueOf(fns.name[fn] ?? '')] as Path2D)).rect(x0, y, w, hgt);
    const tot = t.totalNs[n] as number;
    if (tot > 0 && w >= 3) {
      const wc = Math.round((w * (t.cpuNs[n] as number)) / tot);
      const wo = Math.round((w * (t.offCpuNs[n] as number)) / tot);
      const ww = Math.round((w * (t.waitNs[n] as number)) / tot);
      const ys = y + hgt - strip;
      if (wc > 0) cpu.rect(x0, ys, wc, strip);
      if (wo > 0) off.rect(x0 + wc, ys, wo, strip);
      if (ww > 0) wait.rect(x0 + wc + wo, ys, ww, strip);
    }
  }
  user.forEach((p, k) => {
    ctx.fillStyle = `hsl(${20 + (k * 30) / HUES}, ${theme.highContrast ? 100 : 75}%, ${62 + (k % 3) * 4}%)`;
    ctx.fill(p);
  });
  ctx.fillStyle = 'hsl(220, 8%, 68%)';
  ctx.fill(lib);
  ctx.fillStyle = theme.grid;
  ctx.fill(merged);
  ctx.fillStyle = theme.state[SegmentState.RUNNING] ?? '#3a3';
  ctx.fill(cpu);
  ctx.fillStyle = theme.offCpuPattern;
  ctx.fill(off);
  ctx.fillStyle = theme.state[SegmentState.LOCK] ?? '#c33';
  ctx.fill(wait);
  // Names, where at least a few characters fit.
  ctx.font = theme.font;
  ctx.textBaseline = 'middle';
  // Dark text: every frame fill is light.
  ctx.fillStyle = '#1a1a1a';
  const charPx = 7 * dpr;
  for (let i = 0; i < rects.length; i++) {
    const n = rects.node[i] as number;
    const w = (rects.w[i] as number) * dpr;
    if (n < 0 || w < charPx * 3) continue;
    const name = fns.name[t.func[n] as number] ?? '';
    const fit = Math.floor((w - 6 * dpr) / charPx);
    const label = name.length <= fit ? name : `${name.slice(0, Math.max(1, fit - 1))}…`;
    const y = ((rects.depth[i] as number) - o.firstDepth + 0.45) * rowPx * dpr;
    ctx.fillText(label, Math.round((rects.x[i] as number) * dpr) + 4 * dpr, y);
  }
  // The selection's outline.
  for (let i = 0; i < rects.length; i++) {
    if (rects.node[i] !== o.selected || o.selected <= 0) continue;
    ctx.strokeStyle = theme.highlight;
    ctx.lineWidth = Math.max(1, 2 * dpr);
    const y = ((rects.depth[i] as number) - o.firstDepth) * rowPx * dpr;
    ctx.strokeRect(Math.round((rects.x[i] as number) * dpr) + 1, y + 1, Math.max(2, (rects.w[i] as number) * dpr - 2), rowPx * dpr - 2);
  }
}
