/**
 * Hotspots: the lines of the user's code where sampled threads were, ranked twice, by time on
 * a CPU and by time waiting. Both figures are estimates (samples × sampling period) and the
 * headers say so. Clicking a row opens the line.
 */
import type { HotspotRow, ViewData } from '../../runtime/src/view/view-data';
import { site, siteShort } from './describe';
import { clear, h } from './dom';
import { formatDuration, formatPercent } from './format';
import type { SourceRef } from './protocol';

export interface HotspotHost {
  data(): ViewData | null;
  openSource(ref: SourceRef): void;
}

/** Rows with some time of the given kind, largest first, at most `limit`. */
export function rankHotspots(rows: readonly HotspotRow[], by: 'cpuNs' | 'waitNs', limit = 200): HotspotRow[] {
  return rows.filter((r) => r[by] > 0).sort((a, b) => b[by] - a[by] || a.site - b.site).slice(0, limit);
}

export class HotspotPanel {
  readonly root: HTMLElement;
  private readonly cpu = h('div', { className: 'weft-table-wrap' });
  private readonly wait = h('div', { className: 'weft-table-wrap' });

  constructor(private readonly host: HotspotHost) {
    this.root = h('div', { className: 'weft-tabpanel', attrs: { role: 'tabpanel', id: 'weft-tab-hotspots', hidden: true } }, [
      h('div', { className: 'weft-hotspots' }, [
        h('section', {}, [h('h4', { text: 'Running: lines by time on a CPU (estimated from samples)' }), this.cpu]),
        h('section', {}, [h('h4', { text: 'Waiting: lines by time blocked (estimated from samples)' }), this.wait]),
      ]),
    ]);
  }

  render(): void {
    const d = this.host.data();
    clear(this.cpu);
    clear(this.wait);
    if (!d) return;
    this.fill(this.cpu, d, 'cpuNs');
    this.fill(this.wait, d, 'waitNs');
  }

  private fill(into: HTMLElement, d: ViewData, by: 'cpuNs' | 'waitNs'): void {
    const rows = rankHotspots(d.hotspots, by);
    if (rows.length === 0) {
      const sampled = d.processes.some((p) => p.sampleHz > 0);
      into.append(h('div', { className: 'weft-empty', text: sampled ? 'No samples in the user\'s code.' : 'Sampling was off for this run (--sample-hz 0).' }));
      return;
    }
    const total = d.hotspots.reduce((a, r) => a + r[by], 0);
    const max = rows[0]?.[by] ?? 0;
    const body = h('tbody');
    for (const r of rows) {
      const s = site(d, r.site);
      if (!s) continue;
      const bar = h('span', { className: `weft-bar ${by === 'cpuNs' ? 'cpu' : 'wait'}` });
      bar.style.width = `${Math.round(60 * (max > 0 ? r[by] / max : 0))}px`;
      const open = (): void => this.host.openSource({ file: s.file, line: s.line });
      body.append(h('tr', {
        data: { hotspotRow: '' },
        title: `${s.file}:${s.line}`,
        attrs: { tabindex: 0 },
        on: { click: open, keydown: (ev) => { if (ev.key === 'Enter') open(); } },
      }, [
        h('td', { className: 'loc', text: siteShort(s) }),
        h('td', { className: 'muted', text: s.func }),
        h('td', { className: 'num' }, [bar, formatDuration(r[by])]),
        h('td', { className: 'num muted', text: formatPercent(total > 0 ? r[by] / total : 0) }),
        h('td', { className: 'num muted', text: String(r.samples) }),
      ]));
    }
    const head = h('tr', {}, [
      h('th', { text: 'Line' }), h('th', { text: 'Function' }),
      h('th', { className: 'num', text: by === 'cpuNs' ? 'CPU (est.)' : 'Wait (est.)' }),
      h('th', { className: 'num', text: 'Share' }), h('th', { className: 'num', text: 'Samples', title: 'All samples at this line, running and waiting' }),
    ]);
    into.append(h('table', { className: 'weft-table' }, [h('thead', {}, [head]), body]));
  }
}
