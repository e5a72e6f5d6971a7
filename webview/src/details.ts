/**
 * The details pane: what is selected, in full. For a wait: the object (kind, name, creation
 * site), where the thread waited, who held it and on which line, who woke it, how long; for a
 * running segment its CPU share; for a lock its statistics and holders. Every location has a
 * "Go to source" button (`data-action="go-to-source"`, the e2e tests' handle); for a lock the
 * first one is its creation site.
 */
import { SegmentState, STATE_INFO, objectLabel, type LockRow, type ViewData, type ViewSite } from '../../runtime/src/view/view-data';
import {
  describeSpan, describeWait, formatBytes, laneInProcess, laneOfSegment, site, siteLong, siteShort, stateKeyOfKind, stateLabel,
} from './describe';
import { clear, h } from './dom';
import { formatDuration, formatPercent } from './format';
import type { SourceRef } from './protocol';

export interface DetailsHost {
  openSource(ref: SourceRef): void;
  selectLane(lane: number): void;
  zoomTo(startNs: number, endNs: number): void;
  stateColor(key: string): string;
  clearSelection(): void;
}

export class DetailsPane {
  readonly root = h('aside', { className: 'weft-details', attrs: { hidden: true, 'aria-label': 'Details', 'aria-live': 'polite' } });

  constructor(private readonly host: DetailsHost) {}

  hide(): void {
    clear(this.root);
    this.root.hidden = true;
  }

  private heading(text: string, stateKey: string | null, estimated = false): HTMLElement {
    const sw = h('span', { className: `weft-swatch${estimated ? ' estimated' : ''}` });
    if (stateKey) sw.style.backgroundColor = this.host.stateColor(stateKey);
    return h('h3', {}, [stateKey ? sw : null, text, h('span', { className: 'weft-spacer' }),
      h('button', { className: 'weft-link', text: '✕', title: 'Clear the selection (Esc)', attrs: { 'aria-label': 'Clear selection' }, on: { click: () => this.host.clearSelection() } })]);
  }

  private goButton(s: ViewSite | null, label = 'Go to source'): HTMLElement | null {
    if (!s) return null;
    return h('button', {
      className: 'weft-button',
      text: label,
      title: `${s.file}:${s.line}`,
      data: { action: 'go-to-source', file: s.file, line: s.line },
      on: { click: () => this.host.openSource({ file: s.file, line: s.line }) },
    });
  }

  /** A location with its own Go-to-source button. */
  private loc(s: ViewSite | null): HTMLElement {
    if (!s) return h('span', { className: 'muted', text: 'unknown' });
    return h('span', {}, [h('span', { className: 'loc', text: siteLong(s), title: s.file }), ' ', this.goButton(s, 'Go')]);
  }

  private laneLink(d: ViewData, lane: number): HTMLElement {
    if (lane < 0) return h('span', { className: 'muted', text: 'unknown' });
    const what = d.lanes[lane]?.kind === 'task' ? 'task' : d.lanes[lane]?.kind === 'thread' ? 'thread' : 'lane';
    return h('button', { className: 'weft-link', text: laneInProcess(d, lane), title: `Show this ${what}`, on: { click: () => this.host.selectLane(lane) } });
  }

  /** The work item a segment runs in: its function, who submitted it, how long it queued and
   * ran, where its result went. */
  private workItemRows(d: ViewData, span: number): HTMLElement[] {
    const w = describeSpan(d, span);
    const rows: HTMLElement[] = [
      h('dt', { text: w.workItem >= 0 ? 'Function' : `Span (${w.kind})` }),
      h('dd', {}, [h('span', { className: 'loc', text: w.label || '(unnamed)' }), ' ', w.site ? this.loc(w.site) : null]),
    ];
    if (w.workItem < 0) {
      rows.push(h('dt', { text: 'Span length' }), h('dd', { text: formatDuration(w.endNs - w.beginNs) }));
      return rows;
    }
    const dd = (text: string): HTMLElement => h('dd', { text });
    rows.push(
      h('dt', { text: 'Submitted by' }),
      h('dd', {}, w.submitLane >= 0 ? [this.laneLink(d, w.submitLane), ` at ${formatDuration(w.submitNs)}`] : [h('span', { className: 'muted', text: 'unknown' })]),
      h('dt', { text: 'Queue wait' }), dd(Number.isNaN(w.queueWaitNs) ? 'unknown' : formatDuration(w.queueWaitNs)),
      h('dt', { text: 'Run time' }), dd(formatDuration(w.runNs)),
      h('dt', { text: 'Result to' }),
      h('dd', {}, w.resultLane >= 0 && !Number.isNaN(w.resultNs)
        ? [this.laneLink(d, w.resultLane), ` ${formatDuration(Math.max(0, w.resultNs - w.endNs))} after it returned`]
        : [h('span', { className: 'muted', text: 'not received' })]),
      h('dt', { text: 'Sizes' }),
      dd(`arguments ${Number.isNaN(w.size) ? '?' : formatBytes(w.size)}, result ${Number.isNaN(w.resultSize) ? '?' : formatBytes(w.resultSize)}`),
    );
    return rows;
  }

  showSegment(d: ViewData, seg: number): void {
    clear(this.root);
    this.root.hidden = false;
    const s = d.segments;
    const state = s.state[seg] as number;
    const info = STATE_INFO[state];
    const lane = laneOfSegment(d, seg);
    const begin = s.begin[seg] as number;
    const end = s.end[seg] as number;
    const wait = s.wait[seg] as number;
    if (wait >= 0) {
      const w = describeWait(d, wait);
      const isLock = ['lock', 'rlock', 'mp_lock'].includes(w.reason);
      // A sleep has no holder and no waker; its "object" is the clock.
      const isSleep = w.reason === 'sleep';
      this.root.append(
        this.heading(w.title, info?.key ?? null),
        h('div', { className: 'actions' }, [this.goButton(w.waitSite, 'Go to waiting line'), this.goButton(w.holderSite, isLock ? 'Go to holder\'s line' : 'Go to holder line')]),
        h('dl', {}, [
          h('dt', { text: 'Thread' }), h('dd', {}, [this.laneLink(d, lane)]),
          ...(isSleep ? [] : [
            h('dt', { text: 'Object' }), h('dd', { text: `${w.objectKind} ${w.objectText}` }),
            h('dt', { text: 'Created at' }), h('dd', {}, [this.loc(w.creationSite)]),
          ]),
          h('dt', { text: 'Waiting at' }), h('dd', {}, [this.loc(w.waitSite)]),
          ...(isSleep ? [] : [
            h('dt', { text: isLock ? 'Held by' : 'Holder' }),
            h('dd', {}, w.holderLane >= 0 ? [this.laneLink(d, w.holderLane), ' at ', this.loc(w.holderSite)] : [h('span', { className: 'muted', text: isLock ? 'unknown' : 'not recorded for this kind of wait' })]),
            h('dt', { text: 'Woken by' }),
            h('dd', {}, w.wakerLane >= 0 && w.wakerLane !== lane ? [this.laneLink(d, w.wakerLane), h('span', { className: 'muted', text: ' (arrow on the timeline)' })] : [h('span', { className: 'muted', text: 'not recorded' })]),
          ]),
          h('dt', { text: 'Reason' }), h('dd', { text: w.reason }),
          h('dt', { text: 'Began' }), h('dd', { className: 'loc', text: formatDuration(w.beginNs) }),
          h('dt', { text: 'Duration' }), h('dd', { text: formatDuration(w.durationNs) }),
          ...((s.span[seg] as number) >= 0 ? [h('dt', { text: 'Inside work item' }), h('dd', { text: describeSpan(d, s.span[seg] as number).label || '(unnamed)' })] : []),
        ]),
        ...w.notes.map((n) => h('div', { className: 'note', text: n })),
      );
    } else {
      const share = s.cpuShare[seg] as number;
      const span = s.span[seg] as number;
      const spanSite = span >= 0 ? describeSpan(d, span).site : null;
      this.root.append(
        this.heading(`${stateLabel(state)} · ${formatDuration(end - begin)}`, info?.key ?? null, state === SegmentState.OFF_CPU_ESTIMATE),
        h('div', { className: 'actions' }, [this.goButton(spanSite, 'Go to function')]),
        h('dl', {}, [
          h('dt', { text: 'Thread' }), h('dd', {}, [this.laneLink(d, lane)]),
          ...(span >= 0 ? this.workItemRows(d, span) : []),
          h('dt', { text: 'Began' }), h('dd', { className: 'loc', text: formatDuration(begin) }),
          h('dt', { text: 'Duration' }), h('dd', { text: formatDuration(end - begin) }),
          h('dt', { text: 'On a CPU' }), h('dd', { text: Number.isNaN(share) ? 'not sampled' : `${formatPercent(share)} of the sampled time (thread CPU clock)` }),
        ]),
        h('div', { className: 'note', text: info?.description ?? '' }),
      );
    }
    this.root.append(h('div', { className: 'actions' }, [h('button', { className: 'weft-button', text: 'Zoom to this', on: { click: () => {
      const pad = Math.max((end - begin) * 0.25, 1000);
      this.host.zoomTo(begin - pad, end + pad);
    } } })]));
  }

  /**
   * A task group of one thread (layout.ts `tasks` row): how many tasks, their durations as
   * percentiles over the tasks on this thread, run and await time, outcomes, and the tasks
   * themselves, longest first, each a link that shows its row.
   */
  showTaskGroup(d: ViewData, thread: number, coroutine: string, lanes: readonly number[], group: number): void {
    clear(this.root);
    this.root.hidden = false;
    const g = d.taskGroups[group];
    const durations = lanes.map((l) => {
      const lane = d.lanes[l];
      return lane ? lane.endNs - lane.startNs : 0;
    }).sort((a, b) => a - b);
    const pct = (q: number): number => durations[Math.min(durations.length - 1, Math.max(0, Math.ceil(q * durations.length) - 1))] ?? 0;
    let runNs = 0;
    let cancelled = 0;
    let failed = 0;
    for (const l of lanes) {
      const t = d.lanes[l]?.task;
      runNs += t?.runNs ?? 0;
      if (t?.outcome === 'cancelled') cancelled++;
      if (t?.outcome === 'exception') failed++;
    }
    const def = g ? site(d, g.coroutineSite) : null;
    const created = g ? site(d, g.createSite) : null;
    const awaits = g ? Object.entries(g.awaitNs).filter(([, v]) => v > 0).sort((x, y) => y[1] - x[1]) : [];
    this.root.append(
      this.heading(`${coroutine || 'tasks'} · ${lanes.length} task${lanes.length === 1 ? '' : 's'}`, 'running'),
      h('div', { className: 'actions' }, [this.goButton(def, 'Go to coroutine'), this.goButton(created, 'Go to creation')]),
      h('dl', {}, [
        h('dt', { text: 'Loop thread' }), h('dd', {}, [this.laneLink(d, thread)]),
        h('dt', { text: 'Duration p50 / p95 / max' }), h('dd', { text: `${formatDuration(pct(0.5))} / ${formatDuration(pct(0.95))} / ${formatDuration(durations[durations.length - 1] ?? 0)}` }),
        h('dt', { text: 'Ran (sum of steps)' }), h('dd', { text: formatDuration(runNs) }),
        h('dt', { text: 'Ended' }), h('dd', { text: `${lanes.length - cancelled - failed} with a result or running, ${cancelled} cancelled, ${failed} raised` }),
        ...(g && g.tasks.length !== lanes.length ? [h('dt', { text: 'In the process' }), h('dd', { text: `${g.tasks.length} tasks of this coroutine` })] : []),
        ...(awaits.length > 0 ? [h('dt', { text: 'Awaited (process)' }), h('dd', { text: awaits.slice(0, 6).map(([k, v]) => `${k} ${formatDuration(v)}`).join(', ') })] : []),
        h('dt', { text: 'Created at' }), h('dd', {}, [this.loc(created)]),
      ]),
    );
    const longest = [...lanes].sort((a, b) => {
      const la = d.lanes[a];
      const lb = d.lanes[b];
      return (lb ? lb.endNs - lb.startNs : 0) - (la ? la.endNs - la.startNs : 0);
    }).slice(0, 50);
    this.root.append(h('h3', { text: lanes.length > 50 ? 'The 50 longest tasks' : 'Tasks, longest first' }), h('ol', { className: 'weft-task-list' }, longest.map((l) => {
      const lane = d.lanes[l];
      const t = lane?.task;
      const end = t?.outcome === 'cancelled' ? ', cancelled' : t?.outcome === 'exception' ? `, raised ${t.detail ?? ''}` : '';
      return h('li', {}, [this.laneLink(d, l), h('span', { className: 'muted', text: ` ${formatDuration(lane ? lane.endNs - lane.startNs : 0)}, ran ${formatDuration(t?.runNs ?? 0)} in ${t?.steps ?? 0} steps${end}` })]);
    })));
  }

  showLock(d: ViewData, r: LockRow): void {
    clear(this.root);
    this.root.hidden = false;
    const created = site(d, r.site);
    this.root.append(
      this.heading(`${r.kind} ${r.name || objectLabel(d, r.object)}`, stateKeyOfKind(r.kind)),
      h('div', { className: 'actions' }, [this.goButton(created, 'Go to source')]),
      h('dl', {}, [
        h('dt', { text: 'Created at' }), h('dd', { className: 'loc', text: created ? siteLong(created) : 'unknown' }),
        h('dt', { text: 'Acquired' }), h('dd', { text: `${r.acquisitions} times` }),
        h('dt', { text: 'Waits' }), h('dd', { text: `${r.contentions} (${formatDuration(r.waitNs)} in total)` }),
        h('dt', { text: 'p50 / p95 / max' }), h('dd', { text: `${formatDuration(r.p50WaitNs)} / ${formatDuration(r.p95WaitNs)} / ${formatDuration(r.maxWaitNs)}` }),
        h('dt', { text: 'Contended hold' }), h('dd', { text: formatDuration(r.contendedHoldNs) }),
      ]),
      h('div', { className: 'note', text: 'Its waits are outlined on the timeline; everything else is dimmed.' }),
    );
    const peers = (title: string, list: LockRow['holders']): void => {
      if (list.length === 0) return;
      this.root.append(h('h3', { text: title }), h('ol', {}, list.slice(0, 8).map((p) => {
        const s = site(d, p.site);
        return h('li', {}, [this.laneLink(d, p.lane), s ? ` at ${siteShort(s)} ` : ' ', this.goButton(s, 'Go'),
          h('span', { className: 'muted', text: ` ${p.waits} wait${p.waits === 1 ? '' : 's'}, ${formatDuration(p.waitNs)}` })]);
      })));
    };
    peers(r.kind === 'lock' || r.kind === 'rlock' ? 'Holders that made others wait' : 'Threads that released waiters', r.holders);
    peers('Waiters', r.waiters);
  }
}
