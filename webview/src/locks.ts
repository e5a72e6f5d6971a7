/**
 * The lock contention view: a sortable table of every contended synchronisation object, and
 * for the selected one a waiter-by-holder matrix. Selecting a row highlights the lock's waits
 * on the timeline (the app does that) and fills the details pane.
 *
 * Testing contract (test/e2e/lib/weft-view.mjs): each row has `data-lock-row`,
 * `data-lock-name` (the lock's name) and `data-waits` (its contention count, also shown as
 * plain digits in the row); the creation site "file.py:line" is the first location in the row.
 */
import { type LockRow, type ViewData, objectLabel } from '../../runtime/src/view/view-data';
import { laneInProcess, site, siteLong, siteShort, stateKeyOfKind } from './describe';
import { clear, h } from './dom';
import { formatDuration } from './format';
import { lockMatrix, renderMatrix } from './matrix';

export interface LockSort {
  column: string;
  descending: boolean;
}

export interface LockPanelHost {
  data(): ViewData | null;
  selectedLock(): number;
  selectLock(index: number | null): void;
  lockSort(): LockSort;
  setLockSort(s: LockSort): void;
  stateColor(key: string): string;
}

interface Column {
  id: string;
  label: string;
  title: string;
  numeric: boolean;
  value(d: ViewData, r: LockRow): number | string;
  cell(d: ViewData, r: LockRow, max: Maxima): HTMLElement;
}

interface Maxima {
  waitNs: number;
}

function lockName(d: ViewData, r: LockRow): string {
  return r.name || objectLabel(d, r.object);
}

const td = (text: string, className = ''): HTMLTableCellElement => h('td', { className, text });

/** Columns of the lock table, in display order. */
export const LOCK_COLUMNS: Column[] = [
  { id: 'name', label: 'Lock', title: 'The object threads waited on (its variable name when known)', numeric: false,
    value: (d, r) => lockName(d, r).toLowerCase(), cell: (d, r) => td(lockName(d, r), 'name') },
  { id: 'kind', label: 'Kind', title: 'Lock, RLock, Condition, Queue…', numeric: false,
    value: (_d, r) => r.kind, cell: (_d, r) => td(r.kind, 'muted') },
  { id: 'site', label: 'Created at', title: 'Where the object was created', numeric: false,
    value: (d, r) => { const s = site(d, r.site); return s ? siteShort(s) : ''; },
    cell: (d, r) => { const s = site(d, r.site); const c = td(s ? siteShort(s) : '–', 'loc'); if (s) c.title = siteLong(s); return c; } },
  { id: 'acquisitions', label: 'Acquired', title: 'Acquisitions counted by the agent (contended or not)', numeric: true,
    value: (_d, r) => r.acquisitions, cell: (_d, r) => td(String(r.acquisitions), 'num') },
  { id: 'contentions', label: 'Waits', title: 'Acquisitions that had to wait', numeric: true,
    value: (_d, r) => r.contentions, cell: (_d, r) => td(String(r.contentions), 'num') },
  { id: 'waitNs', label: 'Total wait', title: 'Sum of all waits (threads waiting at once each count)', numeric: true,
    value: (_d, r) => r.waitNs,
    cell: (_d, r, m) => {
      const bar = h('span', { className: 'weft-bar wait' });
      bar.style.width = `${Math.round(48 * (m.waitNs > 0 ? r.waitNs / m.waitNs : 0))}px`;
      return h('td', { className: 'num' }, [bar, formatDuration(r.waitNs)]);
    } },
  { id: 'maxWaitNs', label: 'Max', title: 'Longest single wait', numeric: true,
    value: (_d, r) => r.maxWaitNs, cell: (_d, r) => td(formatDuration(r.maxWaitNs), 'num') },
  { id: 'p95WaitNs', label: 'p95', title: '95th percentile of wait durations', numeric: true,
    value: (_d, r) => r.p95WaitNs, cell: (_d, r) => td(formatDuration(r.p95WaitNs), 'num') },
  { id: 'contendedHoldNs', label: 'Contended hold', title: 'Time the object was held while at least one thread waited for it', numeric: true,
    value: (_d, r) => r.contendedHoldNs, cell: (_d, r) => td(formatDuration(r.contendedHoldNs), 'num') },
  { id: 'holders', label: 'Top holder', title: 'The thread (and its line) that made others wait longest', numeric: false,
    value: (d, r) => (r.holders[0] ? laneInProcess(d, r.holders[0].lane) : ''),
    cell: (d, r) => {
      const top = r.holders[0];
      if (!top) return td('–', 'muted');
      const s = site(d, top.site);
      const more = r.holders.length > 1 ? ` (+${r.holders.length - 1})` : '';
      return td(`${laneInProcess(d, top.lane)}${s ? ` @ ${siteShort(s)}` : ''}${more}`);
    } },
  { id: 'waiters', label: 'Waiters', title: 'Threads that waited (distinct)', numeric: true,
    value: (_d, r) => new Set(r.waiters.map((w) => w.lane)).size,
    cell: (_d, r) => td(String(new Set(r.waiters.map((w) => w.lane)).size), 'num') },
];

/** Row order for a sort: stable, ties broken by total wait. */
export function sortLocks(d: ViewData, sort: LockSort): number[] {
  const col = LOCK_COLUMNS.find((c) => c.id === sort.column) ?? (LOCK_COLUMNS[5] as Column);
  const order = d.locks.map((_r, i) => i);
  const keys = d.locks.map((r) => col.value(d, r));
  order.sort((a, b) => {
    const ka = keys[a] as number | string;
    const kb = keys[b] as number | string;
    let c = typeof ka === 'number' && typeof kb === 'number' ? ka - kb : String(ka).localeCompare(String(kb));
    if (sort.descending) c = -c;
    return c || (d.locks[b] as LockRow).waitNs - (d.locks[a] as LockRow).waitNs || a - b;
  });
  return order;
}

export class LockPanel {
  readonly root: HTMLElement;
  private readonly tableWrap = h('div', { className: 'weft-table-wrap' });
  private readonly side = h('aside', { className: 'weft-lock-side', attrs: { hidden: true } });
  private readonly findings = h('div', { className: 'weft-findings' });
  private rows: HTMLTableRowElement[] = [];
  private order: number[] = [];

  constructor(private readonly host: LockPanelHost) {
    this.root = h('div', { className: 'weft-tabpanel', attrs: { role: 'tabpanel', id: 'weft-tab-locks' } }, [
      h('div', { className: 'weft-table-wrap' }, [this.findings, this.tableWrap]),
      this.side,
    ]);
    // The outer wrap scrolls; the inner one only groups.
    this.tableWrap.className = '';
  }

  render(): void {
    clear(this.tableWrap);
    clear(this.findings);
    const d = this.host.data();
    this.rows = [];
    if (!d) return;
    this.renderFindings(d);
    if (d.locks.length === 0) {
      this.tableWrap.append(h('div', { className: 'weft-empty', text: 'No thread waited on a lock, queue or other synchronisation object in this trace.' }));
      this.updateSelection();
      return;
    }
    const sort = this.host.lockSort();
    this.order = sortLocks(d, sort);
    const maxima: Maxima = { waitNs: d.locks.reduce((m, r) => Math.max(m, r.waitNs), 0) };
    const head = h('tr', {}, LOCK_COLUMNS.map((c) => h('th', {
      className: c.numeric ? 'num' : '',
      title: c.title,
      text: c.label,
      attrs: { scope: 'col', 'aria-sort': c.id === sort.column ? (sort.descending ? 'descending' : 'ascending') : 'none', tabindex: 0 },
      on: {
        click: () => this.toggleSort(c),
        keydown: (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); this.toggleSort(c); } },
      },
    })));
    const body = h('tbody');
    for (const i of this.order) {
      const r = d.locks[i] as LockRow;
      const tr = h('tr', {
        data: { lockRow: '', lockName: lockName(d, r), waits: r.contentions, lockKey: r.key },
        attrs: { tabindex: 0, 'aria-selected': 'false' },
        on: {
          click: () => this.host.selectLock(this.host.selectedLock() === i ? null : i),
          keydown: (ev) => this.onRowKey(ev, i),
        },
      }, LOCK_COLUMNS.map((c) => c.cell(d, r, maxima)));
      this.rows[i] = tr;
      body.append(tr);
    }
    this.tableWrap.append(h('table', { className: 'weft-table', attrs: { 'aria-label': 'Lock contention' } }, [h('thead', {}, [head]), body]));
    this.updateSelection();
  }

  private renderFindings(d: ViewData): void {
    const items = d.diagnostics.filter((x) => x.severity !== 'info' || d.diagnostics.length <= 3);
    if (items.length === 0) {
      this.findings.hidden = true;
      return;
    }
    this.findings.hidden = false;
    const li = (x: (typeof items)[number]): HTMLElement => h('li', { className: x.severity, text: x.message });
    // Two findings at most in view: the table is what this panel is for.
    this.findings.append(h('ul', { attrs: { 'aria-label': 'Findings' } }, items.slice(0, 2).map(li)));
    if (items.length > 2) {
      this.findings.append(h('details', {}, [h('summary', { text: `${items.length - 2} more finding${items.length === 3 ? '' : 's'}` }), h('ul', {}, items.slice(2).map(li))]));
    }
  }

  private toggleSort(c: Column): void {
    const cur = this.host.lockSort();
    this.host.setLockSort({ column: c.id, descending: cur.column === c.id ? !cur.descending : c.numeric });
  }

  private onRowKey(ev: KeyboardEvent, i: number): void {
    if (ev.key === 'Enter' || ev.key === ' ') {
      ev.preventDefault();
      this.host.selectLock(i);
    } else if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      ev.preventDefault();
      const pos = this.order.indexOf(i) + (ev.key === 'ArrowDown' ? 1 : -1);
      const next = this.order[pos];
      if (next !== undefined) {
        this.host.selectLock(next);
        this.rows[next]?.focus();
      }
    }
  }

  /** Marks the selected row and draws its matrix. */
  updateSelection(): void {
    const d = this.host.data();
    const sel = this.host.selectedLock();
    this.rows.forEach((tr, i) => {
      tr.classList.toggle('selected', i === sel);
      tr.setAttribute('aria-selected', String(i === sel));
    });
    clear(this.side);
    const r = d && sel >= 0 ? d.locks[sel] : undefined;
    if (!d || !r) {
      this.side.hidden = true;
      return;
    }
    this.side.hidden = false;
    const m = lockMatrix(d, r.object);
    this.side.append(h('h4', { text: `Who waited for whom: ${lockName(d, r)}` }));
    if (m.waiters.length === 0) {
      this.side.append(h('div', { className: 'weft-empty', text: 'No wait on this object recorded who held it.' }));
    } else {
      this.side.append(renderMatrix(d, m, this.host.stateColor(stateKeyOfKind(r.kind))));
    }
    if (m.unknownHolder.waits > 0) {
      this.side.append(h('div', { className: 'muted', text: `${m.unknownHolder.waits} wait(s), ${formatDuration(m.unknownHolder.waitNs)}, with no known holder.` }));
    }
    this.rows[sel]?.scrollIntoView({ block: 'nearest' });
  }
}
