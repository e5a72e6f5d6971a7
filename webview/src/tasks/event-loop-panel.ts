/**
 * The "Event loop" panel: every event-loop block, longest first (how long, the line that was
 * running, the task whose step it was, how many tasks it delayed), and the asyncio tasks grouped
 * by coroutine function (count, percentiles of duration, run and await time). A block's row
 * zooms the timeline to it; its line opens the source. The line of a block is what the model
 * found running: the thread's longest recorded wait inside the block when waits cover most of
 * it (exact, e.g. a time.sleep), else the line most of its samples show (an estimate, marked).
 */
import type { LoopBlockRow, ViewData } from '../../../runtime/src/view/view-data';
import { laneInProcess, site, siteShort } from '../describe';
import { clear, h } from '../dom';
import { formatDuration } from '../format';
import type { SourceRef } from '../protocol';

export interface EventLoopHost {
  data(): ViewData | null;
  openSource(ref: SourceRef): void;
  /** Zooms to a block and shows its loop thread. */
  showBlock(block: LoopBlockRow): void;
}

/** "event loop blocked 300 ms at app.py:12": the sentence every surface uses for a block. */
export function blockSentence(d: ViewData, b: LoopBlockRow): string {
  const s = site(d, b.site);
  return `event loop blocked ${formatDuration(b.durationNs)}${s ? ` at ${siteShort(s)}` : ''}`;
}

export class EventLoopPanel {
  readonly root: HTMLElement;
  private readonly blocks = h('div', { className: 'weft-table-wrap' });
  private readonly groups = h('div', { className: 'weft-table-wrap' });

  constructor(private readonly host: EventLoopHost) {
    this.root = h('div', { className: 'weft-tabpanel', attrs: { role: 'tabpanel', id: 'weft-tab-asyncio', hidden: true } }, [
      h('div', { className: 'weft-hotspots' }, [
        h('section', {}, [h('h4', { text: 'Event-loop blocks: steps and callbacks that held the loop, longest first' }), this.blocks]),
        h('section', {}, [h('h4', { text: 'Tasks by coroutine' }), this.groups]),
      ]),
    ]);
  }

  /** Rows for the tab's count: blocks and task groups. */
  static count(d: ViewData | null): number {
    return d ? d.loopBlocks.length : 0;
  }

  render(): void {
    const d = this.host.data();
    clear(this.blocks);
    clear(this.groups);
    if (!d) return;
    this.fillBlocks(d);
    this.fillGroups(d);
  }

  private fillBlocks(d: ViewData): void {
    if (d.loopBlocks.length === 0) {
      this.blocks.append(h('div', { className: 'weft-empty', text: d.taskGroups.length > 0 ? 'No step or callback held the event loop past the threshold.' : 'No asyncio event loop ran.' }));
      return;
    }
    const body = h('tbody');
    for (const b of d.loopBlocks.slice(0, 500)) {
      const s = site(d, b.site);
      const open = (ev: Event): void => {
        ev.stopPropagation();
        if (s) this.host.openSource({ file: s.file, line: s.line });
      };
      body.append(h('tr', {
        data: { loopBlockRow: '' }, title: blockSentence(d, b), attrs: { tabindex: 0 },
        on: { click: () => this.host.showBlock(b), keydown: (ev) => { if (ev.key === 'Enter') this.host.showBlock(b); } },
      }, [
        h('td', { className: 'num', text: formatDuration(b.durationNs) }),
        h('td', {}, s ? [h('button', { className: 'weft-link loc', text: siteShort(s), title: `${s.file}:${s.line}`, data: { action: 'go-to-source', file: s.file, line: s.line }, on: { click: open } }),
          b.siteSource === 'samples' ? h('span', { className: 'muted', text: ' (from samples)' }) : null] : [h('span', { className: 'muted', text: 'unknown' })]),
        h('td', { className: 'muted', text: s?.func ?? '' }),
        h('td', { text: b.taskLane !== null ? laneInProcess(d, b.taskLane) : 'a callback' }),
        h('td', { className: 'num', text: String(b.delayedLanes.length) }),
        h('td', { className: 'muted', text: laneInProcess(d, b.loopLane) }),
      ]));
    }
    const head = h('tr', {}, [
      h('th', { className: 'num', text: 'Blocked' }), h('th', { text: 'Line' }), h('th', { text: 'Function' }), h('th', { text: 'Step of' }),
      h('th', { className: 'num', text: 'Delayed', title: 'Tasks that were ready to run, or whose timers fell due, while the loop was blocked' }),
      h('th', { text: 'Loop thread' }),
    ]);
    this.blocks.append(h('table', { className: 'weft-table' }, [h('thead', {}, [head]), body]));
  }

  private fillGroups(d: ViewData): void {
    if (d.taskGroups.length === 0) {
      this.groups.append(h('div', { className: 'weft-empty', text: 'No asyncio tasks.' }));
      return;
    }
    const body = h('tbody');
    for (const g of [...d.taskGroups].sort((a, b) => b.runNs - a.runNs || b.tasks.length - a.tasks.length)) {
      const def = site(d, g.coroutineSite);
      const awaits = Object.entries(g.awaitNs).filter(([, v]) => v > 0).sort((x, y) => y[1] - x[1]);
      body.append(h('tr', { data: { taskGroupRow: '' }, title: def ? `${def.file}:${def.line}` : '', attrs: { tabindex: 0 },
        on: { click: () => { if (def) this.host.openSource({ file: def.file, line: def.line }); } } }, [
        h('td', { className: 'loc', text: g.coroutine || '(unknown)' }),
        h('td', { className: 'num', text: String(g.tasks.length) }),
        h('td', { className: 'num', text: g.p50DurationNs === null ? '–' : formatDuration(g.p50DurationNs) }),
        h('td', { className: 'num', text: g.p95DurationNs === null ? '–' : formatDuration(g.p95DurationNs) }),
        h('td', { className: 'num', text: formatDuration(g.runNs) }),
        h('td', { className: 'muted', text: awaits.slice(0, 3).map(([k, v]) => `${k} ${formatDuration(v)}`).join(', ') }),
        h('td', { className: 'num', text: g.cancelled || g.failed ? `${g.cancelled} / ${g.failed}` : '' }),
      ]));
    }
    const head = h('tr', {}, [
      h('th', { text: 'Coroutine' }), h('th', { className: 'num', text: 'Tasks' }), h('th', { className: 'num', text: 'p50' }),
      h('th', { className: 'num', text: 'p95' }), h('th', { className: 'num', text: 'Ran', title: 'Sum of the steps of its tasks' }),
      h('th', { text: 'Awaited' }), h('th', { className: 'num', text: 'Cancelled / raised' }),
    ]);
    this.groups.append(h('table', { className: 'weft-table' }, [h('thead', {}, [head]), body]));
  }
}
