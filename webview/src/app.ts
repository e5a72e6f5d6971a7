/**
 * The Weft view: owns the state (data, visible window, selection, tab, sort) and wires the
 * toolbar, banners, timeline, details pane and the lock and hotspot panels together. Views
 * read state through small host interfaces and report user actions back here; this class is
 * the only place that changes state, saves it (`setState`) and talks to the host.
 */
import { decodeViewData, checkViewData } from '../../runtime/src/view/codec';
import { STATE_INFO, type ViewData } from '../../runtime/src/view/view-data';
import { clampWindow, panWindow, spanOf, zoomWindow, type TimeWindow } from './coords';
import { DetailsPane } from './details';
import { EventLoopPanel } from './tasks/event-loop-panel';
import { laneOfSegment } from './describe';
import { clear, h } from './dom';
import { formatCount, formatDuration } from './format';
import type { Host } from './host';
import { holdsOfObject } from './holds';
import { FlamePanel } from './flame/flame-panel';
import { HotspotPanel } from './hotspots';
import { keyCommand, ZOOM_STEP, type KeyCommand } from './interaction';
import { collapseKeys, groupsAbove, taskGroupAbove, upgradeCollapsed } from './layout';
import { LodIndex, lowerBound, subsetTable } from './lod';
import { LockPanel, type LockSort } from './locks';
import {
  PANEL_TABS, assertUnreachable, type HostToWebviewMessage, type PanelTab, type SavedSelection, type SavedState,
  type SourceRef, type StatusMessage, type ViewPayload,
} from './protocol';
import { stallSelection } from './stalls';
import { Timeline, type LockOverlay, type TimelineHost } from './timeline';
import { Tooltip } from './tooltip';

const DEFAULT_SORT: LockSort = { column: 'waitNs', descending: true };

const TAB_LABELS: Record<PanelTab, string> = { locks: 'Lock contention', hotspots: 'Hotspots', asyncio: 'Event loop', flame: 'Call tree' };

type Selection =
  | { kind: 'segment'; seg: number }
  | { kind: 'lock'; lock: number }
  | { kind: 'tasks'; thread: number; coroutine: string; lanes: readonly number[]; group: number }
  /** A deadlock or hang (ViewData.stalls): its members' waits outlined, the rest dimmed. */
  | { kind: 'stall'; stall: number }
  | null;

export class App implements TimelineHost {
  private d: ViewData | null = null;
  private lodIndex: LodIndex | null = null;
  private win: TimeWindow = { startNs: 0, endNs: 1 };
  private selection: Selection = null;
  private overlay: LockOverlay | null = null;
  /** The samples of the flame graph's selected frame, highlighted on the timeline. */
  private sampleHighlight: LockOverlay | null = null;
  private flameTimer = 0;
  private tab: PanelTab = 'locks';
  private sort: LockSort = DEFAULT_SORT;
  private collapsedSet = new Set<string>();
  private traceId: string | null = null;
  private live = false;
  private hostWarnings: string[] = [];
  private errorText: { message: string; detail?: string } | null = null;
  private saveTimer = 0;
  private rangeTimer = 0;
  private toastTimer = 0;
  /** Selection and scroll from a saved state, applied when matching data arrives. */
  private pending: SavedState | null = null;

  private readonly tooltip = new Tooltip();
  private readonly timeline: Timeline;
  private readonly details: DetailsPane;
  private readonly locks: LockPanel;
  private readonly hotspots: HotspotPanel;
  private readonly eventLoop: EventLoopPanel;
  private readonly flame: FlamePanel;
  private readonly titleMain = h('span', { className: 'weft-title-main', text: 'Weft' });
  private readonly titleMeta = h('span', { className: 'weft-title-meta' });
  private readonly status = h('span', { className: 'weft-status', attrs: { role: 'status' } });
  private readonly windowLabel = h('span', { className: 'weft-window-label' });
  private readonly banners = h('div', { className: 'weft-banners' });
  private readonly hint = h('div', { className: 'weft-hint' });
  private readonly toast = h('div', { className: 'weft-toast', attrs: { hidden: true, role: 'status' } });
  private readonly tabButtons = new Map<PanelTab, HTMLButtonElement>();
  private readonly panel: HTMLElement;
  private readonly timelineSection: HTMLElement;

  constructor(private readonly host: Host, mount: HTMLElement) {
    this.timeline = new Timeline(this, this.tooltip);
    this.details = new DetailsPane({
      openSource: (ref) => this.openSource(ref),
      selectLane: (lane) => this.revealLane(lane),
      zoomTo: (a, b) => this.setWindow({ startNs: a, endNs: b }),
      stateColor: (key) => this.stateColor(key),
      clearSelection: () => this.select(null),
    });
    this.locks = new LockPanel({
      data: () => this.d,
      selectedLock: () => (this.selection?.kind === 'lock' ? this.selection.lock : -1),
      selectLock: (i) => this.select(i === null ? null : { kind: 'lock', lock: i }),
      lockSort: () => this.sort,
      setLockSort: (s) => {
        this.sort = s;
        this.locks.render();
        this.save();
      },
      stateColor: (key) => this.stateColor(key),
    });
    this.hotspots = new HotspotPanel({ data: () => this.d, openSource: (ref) => this.openSource(ref) });
    this.eventLoop = new EventLoopPanel({
      data: () => this.d,
      openSource: (ref) => this.openSource(ref),
      showBlock: (b) => {
        const pad = Math.max(b.durationNs * 0.5, 1000);
        this.revealLane(b.loopLane);
        this.setWindow({ startNs: b.beginNs - pad, endNs: b.endNs + pad });
      },
    });

    this.flame = new FlamePanel({
      data: () => this.d,
      window: () => this.win,
      openSource: (ref) => this.openSource(ref),
      highlightSamples: (o) => {
        this.sampleHighlight = o;
        this.timeline.requestRender();
      },
    });

    const legend = h('div', { className: 'weft-legend', attrs: { 'aria-label': 'Legend' } }, STATE_INFO.map((s) => {
      const sw = h('span', { className: `weft-swatch${s.estimated ? ' estimated' : ''}` });
      sw.dataset.state = s.key;
      return h('span', { className: 'weft-legend-item', title: s.description, data: { legend: s.key } }, [sw, s.label]);
    }));
    const button = (text: string, title: string, fn: () => void): HTMLButtonElement =>
      h('button', { className: 'weft-button', text, title, attrs: { 'aria-label': title }, on: { click: fn } });
    const toolbar = h('header', { className: 'weft-toolbar' }, [
      h('div', { className: 'weft-title' }, [this.titleMain, this.titleMeta]),
      h('div', { className: 'weft-controls' }, [
        button('−', 'Zoom out (-)', () => this.zoomBy(1 / ZOOM_STEP)),
        button('+', 'Zoom in (+)', () => this.zoomBy(ZOOM_STEP)),
        button('Whole run', 'Show the whole run (0)', () => this.resetZoom()),
        this.windowLabel,
      ]),
      this.status,
    ]);
    this.timelineSection = h('section', { className: 'weft-timeline', attrs: { tabindex: 0, 'aria-label': 'Timeline' } }, [
      h('div', { className: 'weft-timeline-main' }, [this.timeline.root, this.details.root]),
      h('div', { className: 'weft-footer' }, [legend, this.hint]),
    ]);
    const tabs = h('nav', { className: 'weft-tabs', attrs: { role: 'tablist' } }, PANEL_TABS.map((t) => {
      const b = h('button', {
        className: 'weft-tab',
        attrs: { role: 'tab', 'aria-controls': `weft-tab-${t}`, 'aria-selected': 'false' },
        on: { click: () => this.setTab(t) },
      });
      this.tabButtons.set(t, b);
      return b;
    }));
    this.panel = h('section', { className: 'weft-panel' }, [tabs, h('div', { className: 'weft-panel-body' }, [this.locks.root, this.hotspots.root, this.eventLoop.root, this.flame.root])]);
    const splitter = h('div', { className: 'weft-splitter', attrs: { role: 'separator', 'aria-orientation': 'horizontal', title: 'Drag to resize' } });
    this.makeSplitter(splitter);
    mount.append(h('div', { className: 'weft-app' }, [toolbar, this.banners, this.timelineSection, splitter, this.panel]), this.tooltip.el, this.toast);
    this.applyLegendColors(legend);
    new MutationObserver(() => this.applyLegendColors(legend)).observe(document.body, { attributes: true, attributeFilter: ['class'] });

    document.addEventListener('keydown', (ev) => this.onKey(ev));
    this.hint.textContent = 'Wheel zoom · drag pan · Shift+wheel scroll · +/− zoom · ←/→ pan · 0 whole run · Esc clear';
    this.hint.title = 'Wheel: zoom around the pointer. Drag: pan (and scroll lanes). Shift+wheel or wheel over the names: scroll lanes. Keys: + and − zoom, ← and → pan (Shift: by half a screen), ↑ and ↓ scroll, 0 shows the whole run, Esc clears the selection. Click a merged block to zoom into it.';
    const saved = host.getState();
    if (saved) this.restore(saved);
    this.renderTabs();
    this.timeline.showEmpty(host.kind === 'vscode' ? 'Waiting for trace data…' : 'No trace data in this report.');
  }

  // ------------------------------------------------------------------ host messages

  handleMessage(msg: HostToWebviewMessage): void {
    switch (msg.type) {
      case 'load':
        this.load(msg.traceId, msg.data, msg.live, false);
        return;
      case 'update':
        this.load(msg.traceId, msg.data, msg.live, msg.traceId === this.traceId);
        return;
      case 'status':
        this.setStatus(msg);
        return;
      case 'error':
        this.errorText = { message: msg.message, ...(msg.detail !== undefined ? { detail: msg.detail } : {}) };
        this.renderBanners();
        return;
      case 'warnings':
        this.hostWarnings = [...this.hostWarnings, ...msg.warnings];
        this.renderBanners();
        return;
      case 'reveal':
        this.reveal(msg.tab, msg.lockKey, msg.lockName, msg.site);
        if (msg.stall !== undefined) this.selectStall(msg.stall);
        return;
      default:
        assertUnreachable(msg);
    }
  }

  /**
   * Shows data. A new trace resets the window (or takes the saved one when the panel was
   * restored for the same trace); an update of the same trace keeps the window, following the
   * end of a live run, and keeps the selection by its stable keys.
   */
  load(traceId: string, payload: ViewPayload, live: boolean, isUpdate: boolean): void {
    let data: ViewData;
    try {
      data = typeof payload === 'string' ? decodeViewData(payload) : checkViewData(payload);
    } catch (e) {
      this.errorText = { message: 'The view data could not be read.', detail: e instanceof Error ? e.message : String(e) };
      this.renderBanners();
      return;
    }
    const prev = this.d;
    const prevWin = this.win;
    const keep = isUpdate && prev ? this.savedSelection() : null;
    const wasWhole = prev ? prevWin.startNs <= 0 && prevWin.endNs >= prev.durationNs : true;
    const wasAtEnd = prev ? prevWin.endNs >= prev.durationNs - spanOf(prevWin) * 0.01 : false;
    // A later origin (should not happen) would move everything: keep times aligned.
    const shift = prev ? prev.originNs - data.originNs : 0;

    if (!isUpdate) this.hostWarnings = [];
    this.errorText = null;
    this.d = data;
    this.traceId = traceId;
    this.live = live;
    this.lodIndex = LodIndex.fromTable(data.segments);
    // Saved states from before hosts name processes "pid.serial": read them as today's keys.
    this.collapsedSet = upgradeCollapsed(data, this.collapsedSet);
    this.overlay = null;
    this.sampleHighlight = null;
    this.selection = null;

    if (isUpdate && prev) {
      if (wasWhole) this.win = { startNs: 0, endNs: data.durationNs };
      else if (wasAtEnd && live) this.win = { startNs: data.durationNs - spanOf(prevWin), endNs: data.durationNs };
      else this.win = { startNs: prevWin.startNs + shift, endNs: prevWin.endNs + shift };
      if (keep) this.applySelection(keep, shift);
    } else if (this.pending && this.pending.traceId === traceId) {
      const p = this.pending;
      this.win = p.window ?? { startNs: 0, endNs: data.durationNs };
      if (p.selection) this.applySelection(p.selection, 0);
    } else {
      this.win = { startNs: 0, endNs: data.durationNs };
    }
    this.win = clampWindow(this.win, data.durationNs);

    this.renderHeader();
    this.renderBanners();
    this.timeline.dataChanged();
    if (this.pending && this.pending.traceId === traceId && !isUpdate) this.timeline.setScrollTop(this.pending.scrollTop);
    this.pending = null;
    this.locks.render();
    this.hotspots.render();
    this.eventLoop.render();
    this.flame.render();
    this.renderTabs();
    this.selectionChanged(false);
    this.windowMoved();
  }

  // ------------------------------------------------------------------ TimelineHost

  data(): ViewData | null {
    return this.d;
  }

  lod(): LodIndex | null {
    return this.lodIndex;
  }

  window(): TimeWindow {
    return this.win;
  }

  setWindow(w: TimeWindow): void {
    if (!this.d) return;
    this.win = clampWindow(w, this.d.durationNs);
    this.timeline.windowChanged();
    this.windowMoved();
  }

  selectedSegment(): number {
    return this.selection?.kind === 'segment' ? this.selection.seg : -1;
  }

  lockOverlay(): LockOverlay | null {
    // A selected lock wins over the flame graph's highlighted samples.
    return this.overlay ?? this.sampleHighlight;
  }

  collapsed(): ReadonlySet<string> {
    return this.collapsedSet;
  }

  toggleGroup(key: string): void {
    if (this.collapsedSet.has(key)) this.collapsedSet.delete(key);
    else this.collapsedSet.add(key);
    this.timeline.dataChanged();
    this.save();
  }

  selectSegment(seg: number | null): void {
    this.select(seg === null ? null : { kind: 'segment', seg });
  }

  selectTaskGroup(thread: number, coroutine: string, lanes: readonly number[], group: number): void {
    this.select({ kind: 'tasks', thread, coroutine, lanes, group });
  }

  // ------------------------------------------------------------------ state changes

  /** Shows a lane (from the details pane): expands the groups it is hidden in, then scrolls. */
  private revealLane(lane: number): void {
    const d = this.d;
    if (!d) return;
    if (!this.timeline.laneShown(lane)) {
      let changed = false;
      for (const k of groupsAbove(d, lane)) changed = this.collapsedSet.delete(k) || changed;
      // A task group's key means "expanded" (layout.ts).
      const group = taskGroupAbove(d, lane);
      if (group !== null && !this.collapsedSet.has(group)) {
        this.collapsedSet.add(group);
        changed = true;
      }
      if (changed) {
        this.timeline.dataChanged();
        this.save();
      }
    }
    this.timeline.revealLane(lane);
  }

  private select(sel: Selection): void {
    this.selection = sel;
    this.selectionChanged(true);
  }

  private selectionChanged(notify: boolean): void {
    const d = this.d;
    const sel = this.selection;
    this.overlay = null;
    if (!d || !sel) {
      this.details.hide();
    } else if (sel.kind === 'segment') {
      this.details.showSegment(d, sel.seg);
    } else if (sel.kind === 'tasks') {
      this.details.showTaskGroup(d, sel.thread, sel.coroutine, sel.lanes, sel.group);
    } else if (sel.kind === 'stall') {
      // The member waits say it on the timeline; the banner holds the sentence.
      this.details.hide();
      const st = stallSelection(d, sel.stall);
      if (st) this.overlay = this.buildStallOverlay(d, st.segments);
    } else {
      const row = d.locks[sel.lock];
      if (row) {
        this.details.showLock(d, row);
        this.overlay = this.buildOverlay(d, row.object);
      }
    }
    this.locks.updateSelection();
    // The details pane takes width from the lanes: re-measure.
    this.timeline.resize();
    if (notify && d) {
      const lock = sel?.kind === 'lock' ? d.locks[sel.lock] : undefined;
      const s = lock && lock.site !== null ? d.sites[lock.site] : undefined;
      this.host.post({ type: 'selectLock', key: lock?.key ?? null, name: lock ? lock.name : null, site: s ? { file: s.file, line: s.line } : null });
    }
    this.save();
  }

  /** The selected lock's wait segments, as their own LOD index (drawn on top, outlined), and
   * its holds by lane (a multiprocessing lock's; outlined on the holders' lanes). */
  private buildOverlay(d: ViewData, object: number): LockOverlay {
    const s = d.segments;
    const rows: number[] = [];
    for (let i = 0; i < s.count; i++) {
      const w = s.wait[i] as number;
      if (w >= 0 && d.waits.object[w] === object) rows.push(i);
    }
    const sub = subsetTable(s, rows, d.lanes.length);
    const holds = holdsOfObject(d.holds, object, d.lanes.length);
    return {
      lod: new LodIndex(sub.cols, sub.laneOffsets), source: sub.source,
      holds: holds.begin.length > 0 ? holds : null,
    };
  }

  /** The waits of a stall's members as an overlay (like a lock's waits). */
  private buildStallOverlay(d: ViewData, rows: number[]): LockOverlay {
    const sub = subsetTable(d.segments, rows, d.lanes.length);
    return { lod: new LodIndex(sub.cols, sub.laneOffsets), source: sub.source, holds: null };
  }

  /** Selects stall `i` (the banner's "Show", the host's reveal from the notification): outlines
   * its members' waits, zooms from the first of them to the end and shows its first lane. */
  private selectStall(i: number): void {
    const d = this.d;
    const st = d ? stallSelection(d, i) : null;
    if (!st) return;
    this.select({ kind: 'stall', stall: i });
    for (const lane of [...st.lanes].reverse()) this.revealLane(lane);
    this.setWindow(st.window);
  }

  private savedSelection(): SavedSelection | null {
    const d = this.d;
    const sel = this.selection;
    if (!d || !sel) return null;
    if (sel.kind === 'lock') {
      const r = d.locks[sel.lock];
      return r ? { kind: 'lock', key: r.key } : null;
    }
    // A task group is a view of rows, not an event: it is not kept across reloads; nor is a
    // stall (a live update may find it again, with another index).
    if (sel.kind === 'tasks' || sel.kind === 'stall') return null;
    const lane = d.lanes[laneOfSegment(d, sel.seg)];
    return lane ? { kind: 'segment', laneId: lane.id, beginNs: d.segments.begin[sel.seg] as number } : null;
  }

  private applySelection(s: SavedSelection, shift: number): void {
    const d = this.d;
    if (!d) return;
    if (s.kind === 'lock') {
      const i = d.locks.findIndex((r) => r.key === s.key);
      this.selection = i >= 0 ? { kind: 'lock', lock: i } : null;
      return;
    }
    const lane = d.lanes.find((l) => l.id === s.laneId);
    if (!lane) return;
    const lo = d.segments.laneOffsets[lane.index] as number;
    const hi = d.segments.laneOffsets[lane.index + 1] as number;
    const t = s.beginNs + shift;
    const k = lowerBound(d.segments.begin, t, lo, hi);
    if (k < hi && d.segments.begin[k] === t) this.selection = { kind: 'segment', seg: k };
  }

  private setTab(t: PanelTab): void {
    this.tab = t;
    this.renderTabs();
    this.save();
  }

  private zoomBy(factor: number): void {
    if (!this.d) return;
    const anchor = this.timeline.pointerNs() ?? (this.win.startNs + this.win.endNs) / 2;
    this.setWindow(zoomWindow(this.win, factor, anchor, this.d.durationNs));
  }

  private resetZoom(): void {
    if (!this.d) return;
    this.setWindow({ startNs: 0, endNs: this.d.durationNs });
  }

  private windowMoved(): void {
    this.windowLabel.textContent = this.d ? `${formatDuration(this.win.startNs)} – ${formatDuration(this.win.endNs)}` : '';
    this.save();
    // The flame graph follows the visible window; rebuilding it on every wheel tick would not.
    window.clearTimeout(this.flameTimer);
    this.flameTimer = window.setTimeout(() => this.flame.windowChanged(), 250);
    if (this.host.kind === 'vscode' && this.d) {
      window.clearTimeout(this.rangeTimer);
      this.rangeTimer = window.setTimeout(() => this.host.post({ type: 'requestRange', startNs: this.win.startNs, endNs: this.win.endNs }), 300);
    }
  }

  private reveal(tab: PanelTab | undefined, lockKey: string | undefined, lockName: string | undefined, site: SourceRef | undefined): void {
    if (tab) this.setTab(tab);
    const d = this.d;
    if (!d || (!lockKey && !lockName && !site)) return;
    const i = d.locks.findIndex((r) => {
      if (lockKey) return r.key === lockKey;
      const s = r.site !== null ? d.sites[r.site] : undefined;
      const siteOk = !site || (s !== undefined && s.line === site.line && (s.file === site.file || site.file.endsWith(`/${s.file}`) || s.file.endsWith(`/${site.file}`)));
      return (!lockName || r.name === lockName) && siteOk;
    });
    if (i >= 0) {
      this.setTab('locks');
      this.select({ kind: 'lock', lock: i });
    }
  }

  private openSource(ref: SourceRef): void {
    this.host.openSource(ref, (text) => this.showToast(text));
  }

  private showToast(text: string): void {
    this.toast.textContent = text;
    this.toast.hidden = false;
    window.clearTimeout(this.toastTimer);
    this.toastTimer = window.setTimeout(() => {
      this.toast.hidden = true;
    }, 3500);
  }

  // ------------------------------------------------------------------ rendering

  private renderHeader(): void {
    const d = this.d;
    if (!d) return;
    this.titleMain.textContent = d.title;
    this.titleMain.title = d.title;
    const threads = d.lanes.filter((l) => l.kind === 'thread').length;
    this.titleMeta.textContent = [
      formatDuration(d.durationNs),
      `${d.processes.length} process${d.processes.length === 1 ? '' : 'es'}`,
      `${threads} thread${threads === 1 ? '' : 's'}`,
      `${formatCount(d.waits.count)} wait${d.waits.count === 1 ? '' : 's'}`,
    ].join(' · ');
  }

  private renderTabs(): void {
    for (const [t, b] of this.tabButtons) {
      const count = !this.d ? 0 : t === 'locks' ? this.d.locks.length : t === 'hotspots' ? this.d.hotspots.length : t === 'flame' ? (this.d.callStacks?.samples.count ?? 0) : EventLoopPanel.count(this.d);
      clear(b);
      b.append(TAB_LABELS[t], h('span', { className: 'count', text: String(count) }));
      b.setAttribute('aria-selected', String(t === this.tab));
    }
    this.locks.root.hidden = this.tab !== 'locks';
    this.hotspots.root.hidden = this.tab !== 'hotspots';
    this.eventLoop.root.hidden = this.tab !== 'asyncio';
    this.flame.root.hidden = this.tab !== 'flame';
    this.flame.setVisible(this.tab === 'flame');
  }

  private renderBanners(): void {
    clear(this.banners);
    if (this.errorText) {
      this.banners.append(h('div', { className: 'weft-banner error', data: { banner: 'error' }, attrs: { role: 'alert' } }, [
        h('div', { className: 'weft-banner-body' }, [
          h('div', { className: 'weft-banner-title', text: this.errorText.message }),
          this.errorText.detail ? h('div', { text: this.errorText.detail }) : null,
        ]),
      ]));
    }
    // When the program hung, that is the first thing to see (issue 12), with a way to the cycle.
    const stalls = this.d?.stalls ?? [];
    stalls.slice(0, 3).forEach((st, i) => {
      const how = st.source === 'watchdog' ? 'found by Weft\'s watchdog while the program ran' : 'found in the waits still open when the process stopped';
      this.banners.append(h('div', { className: 'weft-banner error', data: { banner: 'stall', stall: String(i) }, attrs: { role: 'alert' } }, [
        h('div', { className: 'weft-banner-body' }, [
          h('div', { className: 'weft-banner-title', text: st.sentence }),
          h('div', { text: `${how}${this.d && this.d.processes.length > 1 ? ` (pid ${st.pid})` : ''}.` }),
        ]),
        h('button', {
          className: 'weft-button', text: st.kind === 'deadlock' ? 'Show cycle' : 'Show threads',
          title: 'Select these waits on the timeline', data: { action: 'select-stall' }, on: { click: () => this.selectStall(i) },
        }),
      ]));
    });
    if (stalls.length > 3) this.banners.append(h('div', { className: 'weft-banner', data: { banner: 'stall-more' }, text: `${stalls.length - 3} more deadlocks or hangs (weft summary lists them).` }));
    const warnings = [...(this.d?.warnings ?? []), ...this.hostWarnings];
    if (warnings.length > 0) {
      const shown = warnings.slice(0, 3);
      const rest = warnings.slice(3);
      this.banners.append(h('div', { className: 'weft-banner', data: { banner: 'warning' }, attrs: { role: 'status' } }, [
        h('div', { className: 'weft-banner-body' }, [
          h('div', { className: 'weft-banner-title', text: warnings.length === 1 ? 'This trace has a warning: what is shown may be incomplete.' : `This trace has ${warnings.length} warnings: what is shown may be incomplete.` }),
          h('ul', {}, shown.map((w) => h('li', { text: w }))),
          rest.length > 0 ? h('details', {}, [h('summary', { text: `${rest.length} more` }), h('ul', {}, rest.map((w) => h('li', { text: w })))]) : null,
        ]),
        h('button', { className: 'weft-link', text: '✕', title: 'Hide', attrs: { 'aria-label': 'Hide warnings' }, on: { click: (ev) => (ev.currentTarget as HTMLElement).parentElement?.remove() } }),
      ]));
    }
    // Banners take height from the lanes: re-measure.
    if (this.d) this.timeline.resize();
  }

  private setStatus(msg: StatusMessage): void {
    this.status.textContent = msg.text;
    this.status.className = `weft-status ${msg.state}`;
  }

  private applyLegendColors(legend: HTMLElement): void {
    for (const sw of Array.from(legend.querySelectorAll<HTMLElement>('.weft-swatch'))) {
      sw.style.backgroundColor = this.stateColor(sw.dataset.state ?? 'running');
    }
  }

  stateColor(key: string): string {
    return getComputedStyle(document.body).getPropertyValue(`--weft-state-${key}`).trim() || '#888';
  }

  private makeSplitter(el: HTMLElement): void {
    el.addEventListener('pointerdown', (ev) => {
      el.setPointerCapture(ev.pointerId);
      const startY = ev.clientY;
      const startH = this.panel.getBoundingClientRect().height;
      const move = (e: PointerEvent): void => {
        const hgt = Math.max(90, Math.min(window.innerHeight - 200, startH - (e.clientY - startY)));
        this.panel.style.flex = `0 0 ${hgt}px`;
        this.timeline.resize();
      };
      const up = (): void => {
        el.removeEventListener('pointermove', move);
        el.removeEventListener('pointerup', up);
      };
      el.addEventListener('pointermove', move);
      el.addEventListener('pointerup', up);
    });
  }

  // ------------------------------------------------------------------ keyboard

  private onKey(ev: KeyboardEvent): void {
    const t = ev.target as HTMLElement | null;
    // Keys typed into controls and table rows belong to them.
    if (t && (t.closest('input, textarea, select') || (t.closest('.weft-panel') && ev.key.startsWith('Arrow')))) return;
    if (ev.ctrlKey || ev.metaKey || ev.altKey || !this.d) return;
    const cmd = keyCommand(ev.key, ev.shiftKey);
    if (!cmd) return;
    this.run(cmd, this.d);
    ev.preventDefault();
  }

  private run(cmd: KeyCommand, d: ViewData): void {
    switch (cmd.type) {
      case 'zoom':
        this.zoomBy(cmd.factor);
        return;
      case 'pan':
        this.setWindow(panWindow(this.win, cmd.fraction, d.durationNs));
        return;
      case 'whole':
        this.resetZoom();
        return;
      case 'scroll':
        this.timeline.scrollBy(cmd.dy);
        return;
      case 'clear':
        this.select(null);
        this.flame.clearSelection();
        return;
      default:
        assertUnreachable(cmd);
    }
  }

  // ------------------------------------------------------------------ saved state

  private restore(s: SavedState): void {
    if ((PANEL_TABS as readonly string[]).includes(s.tab)) this.tab = s.tab;
    if (s.lockSort && typeof s.lockSort.column === 'string') this.sort = s.lockSort;
    this.collapsedSet = new Set(Array.isArray(s.collapsed) ? s.collapsed : []);
    this.pending = s;
  }

  private save(): void {
    window.clearTimeout(this.saveTimer);
    this.saveTimer = window.setTimeout(() => {
      const d = this.d;
      const state: SavedState = {
        traceId: this.traceId,
        tab: this.tab,
        window: d ? { ...this.win } : null,
        followEnd: d ? this.win.endNs >= d.durationNs : true,
        selection: this.savedSelection(),
        lockSort: this.sort,
        scrollTop: this.timeline.getScrollTop(),
        collapsed: d ? keepKnown(this.collapsedSet, collapseKeys(d)) : [...this.collapsedSet],
      };
      this.host.setState(state);
    }, 150);
  }

  /** For the report and tests: whether the data is from a live run. */
  isLive(): boolean {
    return this.live;
  }
}

/** The keys of `set` that name a group of the data (a saved state keeps only those). */
function keepKnown(set: ReadonlySet<string>, known: ReadonlySet<string>): string[] {
  return [...set].filter((k) => known.has(k));
}
