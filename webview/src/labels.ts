/**
 * The label column: one DOM row per layout row, placed at its content CSS y. Host and process
 * header rows and threads with tasks under them have a caret that collapses the group (the
 * coordinator owns the state, by the keys of layout.ts). Header rows span the full width but
 * are painted only over the label column (styles.css); over the lanes the canvas paints the
 * band, so arrows between processes stay visible across it.
 *
 * Testing contract (test/e2e/lib/weft-view.mjs): each lane label carries `data-lane-id` and
 * its text is exactly the lane's name.
 */
import type { ViewData } from '../../runtime/src/view/view-data';
import { laneName } from './describe';
import { h, type Props } from './dom';
import type { LayoutRow } from './layout';
import { assertUnreachable } from './protocol';
import { formatDuration } from './format';
import { groupTitle } from './tasks/task-groups';
import { trackFor } from './tracks/registry';

/** Width of the label column, CSS px (styles.css repeats it for the header rows). */
export const LABEL_WIDTH = 210;

const NOUNS: Record<string, [string, string]> = {
  thread: ['thread', 'threads'], task: ['task', 'tasks'], greenlet: ['greenlet', 'greenlets'],
  'gpu-queue': ['GPU queue', 'GPU queues'], gpu: ['GPU queue', 'GPU queues'], rank: ['rank', 'ranks'], worker: ['worker', 'workers'],
};

/** "1 thread", "3 tasks", "2 lanes of unknown kind". */
export function countText(kind: string, n: number): string {
  const noun = NOUNS[kind];
  if (!noun) return `${n} lane${n === 1 ? '' : 's'} of unknown kind`;
  return `${n} ${n === 1 ? noun[0] : noun[1]}`;
}

/** End reasons of a process without an exit code, as the badge says them. */
const END_WITHOUT_CODE: Readonly<Record<string, string>> = { exit: 'exit ?', os_exit: 'os._exit', signal: 'ended by a signal', exec: 'exec' };

/** "exit 0", "killed by signal 9", "ended by its parent (signal 15)", "still running or killed". */
function exitText(d: ViewData, p: number): string {
  const proc = d.processes[p];
  const exit = proc?.exitCode;
  if (exit === null || exit === undefined) {
    const reason = proc?.endReason ?? null;
    if (reason !== null) return END_WITHOUT_CODE[reason] ?? reason;
    return proc?.complete ? 'exit ?' : 'still running or killed';
  }
  return exit < 0 ? `killed by signal ${-exit}` : `exit ${exit}`;
}

/** 16000 → "16k": room is short beside a group's name. */
function compactCount(n: number): string {
  return n >= 10_000 ? `${Math.round(n / 1000)}k` : String(n);
}

/** A caret that toggles a group by keyboard and mouse. */
function caret(collapsed: boolean, toggle: () => void, label: string): HTMLElement {
  return h('span', {
    className: 'caret',
    text: collapsed ? '▸' : '▾',
    title: collapsed ? `Show ${label}` : `Hide ${label}`,
    attrs: { role: 'button', tabindex: 0, 'aria-expanded': String(!collapsed), 'aria-label': collapsed ? `Show ${label}` : `Hide ${label}` },
    on: {
      click: (ev) => {
        ev.stopPropagation();
        toggle();
      },
      keydown: (ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') {
          ev.preventDefault();
          ev.stopPropagation();
          toggle();
        }
      },
    },
  });
}

/** Clicking anywhere on a header row toggles it, Enter and Space too. */
function headerHandlers(toggle: () => void): Props['on'] {
  return {
    click: () => toggle(),
    keydown: (ev: KeyboardEvent) => {
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        toggle();
      }
    },
  };
}

/** The label element of one layout row; `toggle(key)` collapses or expands its group. */
export function labelRow(
  d: ViewData, row: LayoutRow, toggle: (key: string) => void, selectGroup?: (row: Extract<LayoutRow, { kind: 'tasks' }>) => void,
): HTMLElement {
  let el: HTMLElement;
  switch (row.kind) {
    case 'host': {
      const hst = d.hosts[row.host];
      const name = hst?.name || hst?.id || `host ${row.host + 1}`;
      el = h('div', {
        className: 'weft-row process host',
        attrs: { role: 'button', tabindex: 0, 'aria-expanded': String(!row.collapsed) },
        title: hst ? `Host ${hst.name || '(unnamed)'}${hst.id ? `, machine id ${hst.id}` : ''}` : '',
        data: { groupKey: row.key },
        on: headerHandlers(() => toggle(row.key)),
      }, [
        h('span', { className: 'caret', text: row.collapsed ? '▸' : '▾' }),
        h('span', { text: `Host ${name}` }),
        h('span', { className: 'argv', text: `${row.processCount} process${row.processCount === 1 ? '' : 'es'}` }),
      ]);
      break;
    }
    case 'process': {
      const p = d.processes[row.process];
      const exit = p?.exitCode;
      el = h('div', {
        className: `weft-row process${row.depth > 0 ? ' in-host' : ''}`,
        attrs: { role: 'button', tabindex: 0, 'aria-expanded': String(!row.collapsed) },
        title: p ? `pid ${p.pid} (parent ${p.ppid}), ${p.startMethod}, Python ${p.python}\n${p.argv.join(' ')}` : '',
        data: { groupKey: row.key },
        on: headerHandlers(() => toggle(row.key)),
      }, [
        h('span', { className: 'caret', text: row.collapsed ? '▸' : '▾' }),
        h('span', { text: `Process ${p?.pid ?? '?'}` }),
        h('span', { className: `weft-exit${exit ? ' bad' : ''}`, text: exitText(d, row.process) }),
        h('span', { className: 'argv', text: p ? p.label : '' }),
        h('span', { className: 'argv', text: row.kindCounts.map(([k, n]) => countText(k, n)).join(', ') || countText('thread', 0) }),
        p && p.parent !== null ? h('span', { className: 'argv', text: `started by ${d.processes[p.parent]?.pid ?? '?'} (${p.startMethod})` }) : null,
      ]);
      break;
    }
    case 'lane': {
      const lane = d.lanes[row.lane];
      const track = trackFor(lane?.kind ?? 'unknown');
      el = h('div', { className: `weft-row lane${row.nested ? ' nested' : ''}`, title: track.labelTitle(d, row.lane), data: { track: track.renderer } }, [
        row.childCount > 0 ? caret(row.collapsed, () => toggle(row.key), `the ${row.childCount === 1 ? 'lane' : `${row.childCount} lanes`} running on this thread`) : null,
        h('span', { className: 'weft-lane-name', text: lane ? laneName(d, lane.index) : '?', data: { laneId: lane?.id ?? '' } }),
        h('span', { className: 'weft-lane-meta', text: track.labelMeta(d, row.lane) }),
      ]);
      el.style.width = `${LABEL_WIDTH}px`;
      break;
    }
    case 'tasks': {
      const g = d.taskGroups[row.group];
      el = h('div', {
        className: 'weft-row lane nested task-group', title: groupTitle(d, row.coroutine, row.lanes, row.group),
        data: { track: 'tasks', groupKey: row.key }, on: { click: () => selectGroup?.(row) },
      }, [
        caret(row.collapsed, () => toggle(row.key), `the ${row.lanes.length} ${row.coroutine} tasks`),
        h('span', { className: 'weft-lane-name', text: `${row.coroutine || 'tasks'} ×${row.lanes.length}` }),
        // Short, so the coroutine's name keeps the room; the full percentiles are in the title.
        h('span', { className: 'weft-lane-meta', text: row.hiddenCount > 0 ? `${compactCount(row.hiddenCount)} hidden` : g?.p95DurationNs != null ? `p95 ${formatDuration(g.p95DurationNs)}` : '' }),
      ]);
      el.style.width = `${LABEL_WIDTH}px`;
      break;
    }
    case 'pack': {
      el = h('div', { className: 'weft-row lane nested pack', title: `${row.lanes.length} short tasks that never overlap in time, one after another on this row` }, [
        h('span', { className: 'weft-lane-name', text: `${row.lanes.length} task${row.lanes.length === 1 ? '' : 's'}` }),
      ]);
      el.style.width = `${LABEL_WIDTH}px`;
      break;
    }
    case 'counter': {
      const c = d.counters[row.counter];
      const lag = c?.name.startsWith('loop_lag:') ?? false;
      let max = 0;
      if (c) for (let i = 0; i < c.value.length; i++) max = Math.max(max, c.value[i] as number);
      el = h('div', {
        className: 'weft-row lane nested counter',
        title: lag ? 'Event-loop lag: how late the loop ran timers that were due (ms). Long steps and callbacks make it grow.' : (c?.name ?? ''),
      }, [
        h('span', { className: 'weft-lane-name', text: lag ? 'loop lag' : (c?.name ?? '?') }),
        h('span', { className: 'weft-lane-meta', text: lag ? `max ${max >= 10 ? max.toFixed(0) : max.toFixed(1)} ms` : `max ${max}` }),
      ]);
      el.style.width = `${LABEL_WIDTH}px`;
      break;
    }
    default:
      return assertUnreachable(row);
  }
  el.style.top = `${row.y}px`;
  el.style.height = `${row.height}px`;
  return el;
}
