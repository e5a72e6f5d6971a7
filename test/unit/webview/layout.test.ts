/** Vertical layout: the tree host → process → thread → its tasks, and collapse at every level. */
import { describe, expect, it } from 'vitest';
import type { Ns } from '../../../runtime/src/format/spec';
import { buildViewData, type ViewData } from '../../../runtime/src/view/view-data';
import { FlowIndex, visibleFlows } from '../../../webview/src/flows';
import {
  HOST_ROW_HEIGHT, LANE_HEIGHT, PROCESS_ROW_HEIGHT, collapseKeys, groupsAbove, hostGroupKey, laneGroupKey, layoutLanes,
  processGroupKey, processKey, rowAt, upgradeCollapsed, type Layout,
} from '../../../webview/src/layout';
import { makeModel } from './synthetic';

const model = () => makeModel({
  processes: [{ pid: 10 }, { pid: 20, parent: 0 }, { pid: 30 }],
  lanes: [
    { name: 'worker', start: 50, end: 100, process: 0 },
    { name: 'child-main', start: 20, end: 90, process: 1 },
    { name: 'MainThread', start: 0, end: 100, process: 0, tid: 1 },
    { name: 'other-main', start: 5, end: 100, process: 2 },
  ],
});

/** Two hosts; on host a, a process whose main thread runs two asyncio tasks (one started by
 * the other) and owns a GPU queue; a second thread; on host b, one process. */
const tree = () => buildViewData(makeModel({
  hosts: [{ name: 'node-a', id: 'aaaaaaaaaaaa' }, { name: 'node-b', id: 'bbbbbbbbbbbb' }],
  processes: [{ pid: 10, host: 0 }, { pid: 20, host: 1 }],
  lanes: [
    { name: 'MainThread', start: 0, end: 100, tid: 1 },
    { name: 'fetch()', start: 10, end: 80, tid: 2, kind: 'task', parent: 0 },
    { name: 'parse()', start: 20, end: 60, tid: 3, kind: 'task', parent: 1 },
    { name: 'cuda:0', start: 0, end: 100, tid: 4, kind: 'gpu-queue' },
    { name: 'saver', start: 5, end: 100, tid: 5, parent: 0 },
    { name: 'MainThread', start: 0, end: 100, tid: 1, process: 1 },
  ],
}));

/** Each row as text: "H name", "P pid", lane names indented by nesting. */
function labels(d: ViewData, l: Layout): string[] {
  return l.rows.map((r) => {
    switch (r.kind) {
      case 'host': return `H ${d.hosts[r.host]?.name}${r.collapsed ? ' +' : ''}`;
      case 'process': return `P ${d.processes[r.process]?.pid}${r.collapsed ? ' +' : ''}`;
      case 'lane': return `${r.nested ? '  ' : ''}${d.lanes[r.lane]?.name}${r.collapsed ? ' +' : ''}`;
      case 'tasks': return `  G ${r.coroutine} ×${r.lanes.length}${r.collapsed ? ' +' : ''}${r.hiddenCount ? ` (${r.hiddenCount} hidden)` : ''}`;
      case 'pack': return `    [${r.lanes.map((x) => d.lanes[x]?.name).join(' ')}]`;
      case 'counter': return `  C ${d.counters[r.counter]?.name}`;
    }
  });
}

describe('lane layout', () => {
  it('puts a header row per process, children after their parent, lanes in start order, and no host row for one host', () => {
    const d = buildViewData(model());
    const l = layoutLanes(d, new Set());
    expect(labels(d, l)).toEqual(['P 10', 'MainThread', 'worker', 'P 20', 'child-main', 'P 30', 'other-main']);
    expect(l.hostRows).toBe(false);
    expect(l.height).toBe(3 * PROCESS_ROW_HEIGHT + 4 * LANE_HEIGHT);
    // Rows tile the height without gaps.
    for (let i = 1; i < l.rows.length; i++) expect(l.rows[i]?.y).toBe((l.rows[i - 1]?.y ?? 0) + (l.rows[i - 1]?.height ?? 0));
  });

  it('hides the lanes of a collapsed process but keeps its header', () => {
    const d = buildViewData(model());
    const l = layoutLanes(d, new Set([processGroupKey(d, 0)]));
    expect(labels(d, l)).toEqual(['P 10 +', 'P 20', 'child-main', 'P 30', 'other-main']);
    expect(l.rowOfLane[0]).toBe(-1);
    expect(l.rows[0]).toMatchObject({ kind: 'process', collapsed: true, laneCount: 2 });
  });

  it('groups host → process → thread → its tasks: tasks indented under their thread (a task of a task too), other kinds after the threads', () => {
    const d = tree();
    const l = layoutLanes(d, new Set());
    expect(labels(d, l)).toEqual([
      'H node-a', 'P 10', 'MainThread', '  fetch()', '  parse()', 'saver', 'cuda:0',
      'H node-b', 'P 20', 'MainThread',
    ]);
    expect(l.hostRows).toBe(true);
    expect(l.rows[0]).toMatchObject({ kind: 'host', height: HOST_ROW_HEIGHT, processCount: 1 });
    expect(l.rows[2]).toMatchObject({ kind: 'lane', childCount: 2, nested: false });
    expect(l.rows[1]).toMatchObject({ kind: 'process', kindCounts: [['thread', 2], ['task', 2], ['gpu-queue', 1]] });
    // Each level is one deeper: host 0, process 1, thread 2, its tasks 3.
    expect(l.rows.slice(0, 4).map((r) => r.depth)).toEqual([0, 1, 2, 3]);
  });

  it('a collapsed thread hides its tasks, and arrows to them end on the thread row', () => {
    const d = tree();
    const l = layoutLanes(d, new Set([laneGroupKey(d, 0)]));
    expect(labels(d, l)).toEqual(['H node-a', 'P 10', 'MainThread +', 'saver', 'cuda:0', 'H node-b', 'P 20', 'MainThread']);
    expect(l.rowOfLane[1]).toBe(-1);
    expect(l.rowOfLane[2]).toBe(-1);
    expect(l.anchorRowOfLane[1]).toBe(l.rowOfLane[0]);
    expect(l.anchorRowOfLane[2]).toBe(l.rowOfLane[0]);
  });

  it('a collapsed process hides every lane of it; arrows to them end on its header', () => {
    const d = tree();
    const l = layoutLanes(d, new Set([processGroupKey(d, 0), laneGroupKey(d, 0)]));
    expect(labels(d, l)).toEqual(['H node-a', 'P 10 +', 'H node-b', 'P 20', 'MainThread']);
    for (const lane of [0, 1, 2, 3, 4]) expect(l.anchorRowOfLane[lane]).toBe(1);
  });

  it('a collapsed host hides its processes; arrows to their lanes end on the host row', () => {
    const d = tree();
    const l = layoutLanes(d, new Set([hostGroupKey(d, 1)]));
    expect(labels(d, l).slice(-2)).toEqual(['cuda:0', 'H node-b +']);
    expect(l.rowOfLane[5]).toBe(-1);
    expect(l.anchorRowOfLane[5]).toBe(l.rows.length - 1);
  });

  it('arrows between lanes are drawn to the visible row that stands for a hidden lane', () => {
    const m = makeModel({
      lanes: [
        { name: 'MainThread', start: 0, end: 100, tid: 1 },
        { name: 'task', start: 0, end: 100, tid: 2, kind: 'task', parent: 0 },
        { name: 'other', start: 0, end: 100, tid: 3 },
      ],
    });
    m.flows = [{ kind: 'queue', fromLane: 2, fromNs: (m.startNs + 10) as Ns, toLane: 1, toNs: (m.startNs + 20) as Ns, object: null, size: null }];
    const d = buildViewData(m);
    const l = layoutLanes(d, new Set([laneGroupKey(d, 0)]));
    const shown = (lane: number): boolean => (l.anchorRowOfLane[lane] ?? -1) >= 0;
    const sel = visibleFlows(new FlowIndex(d), d, { startNs: 0, endNs: 100, bucketNs: 1, laneShown: shown });
    expect(sel.rows).toHaveLength(1);
    expect(l.rows[l.anchorRowOfLane[1] as number]).toMatchObject({ kind: 'lane', lane: 0, collapsed: true });
  });

  it('lists the groups a hidden lane is in, so that showing it can expand them', () => {
    const d = tree();
    expect(groupsAbove(d, 2)).toEqual([laneGroupKey(d, 0), processGroupKey(d, 0), hostGroupKey(d, 0)]);
    expect(groupsAbove(d, 3)).toEqual([processGroupKey(d, 0), hostGroupKey(d, 0)]);
  });

  it('finds the row under a y position', () => {
    const d = buildViewData(model());
    const l = layoutLanes(d, new Set());
    expect(rowAt(l, 0)).toBe(0);
    expect(rowAt(l, PROCESS_ROW_HEIGHT + 1)).toBe(1);
    expect(rowAt(l, PROCESS_ROW_HEIGHT + LANE_HEIGHT)).toBe(2);
    expect(rowAt(l, l.height + 5)).toBe(-1);
  });
});

describe('collapse keys in saved state', () => {
  it('name hosts by machine id, processes by host and pid.serial, lanes by lane id', () => {
    const d = tree();
    expect(hostGroupKey(d, 1)).toBe('h:bbbbbbbbbbbb');
    expect(processGroupKey(d, 1)).toBe('p:bbbbbbbbbbbb/20.0');
    expect(laneGroupKey(d, 0)).toBe('l:p10.0/t1');
    // A model without hosts (v1) has one unnamed host, keyed by its index.
    expect(processGroupKey(buildViewData(model()), 0)).toBe('p:0/10.0');
  });

  it('restores a state saved with bare "pid.serial" process keys as the same collapsed processes', () => {
    const d = buildViewData(model());
    const old = [processKey(d, 0), processKey(d, 2)];
    expect(old).toEqual(['10.0', '30.0']);
    const keys = upgradeCollapsed(d, old);
    expect([...keys]).toEqual([processGroupKey(d, 0), processGroupKey(d, 2)]);
    expect(labels(d, layoutLanes(d, keys))).toEqual(['P 10 +', 'P 20', 'child-main', 'P 30 +']);
  });

  it('keeps keys it does not know (a live run may add the group) and today\'s keys as they are', () => {
    const d = tree();
    const keys = upgradeCollapsed(d, ['99.0', laneGroupKey(d, 0), 'h:cccccccccccc']);
    expect([...keys]).toEqual(['99.0', laneGroupKey(d, 0), 'h:cccccccccccc']);
    // Saving keeps only keys of groups the data has.
    const known = collapseKeys(d);
    expect([...keys].filter((k) => known.has(k))).toEqual([laneGroupKey(d, 0)]);
  });
});
