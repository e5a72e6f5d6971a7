/** Vertical layout of lanes grouped by process. */
import { describe, expect, it } from 'vitest';
import { buildViewData } from '../../../runtime/src/view/view-data';
import { LANE_HEIGHT, PROCESS_ROW_HEIGHT, layoutLanes, processKey, rowAt } from '../../../webview/src/layout';
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

describe('lane layout', () => {
  it('puts a header row per process, children after their parent, lanes in start order', () => {
    const d = buildViewData(model());
    const l = layoutLanes(d, new Set());
    const labels = l.rows.map((r) => (r.kind === 'process' ? `P${d.processes[r.process]?.pid}` : d.lanes[r.lane]?.name));
    expect(labels).toEqual(['P10', 'MainThread', 'worker', 'P20', 'child-main', 'P30', 'other-main']);
    expect(l.height).toBe(3 * PROCESS_ROW_HEIGHT + 4 * LANE_HEIGHT);
    // Rows tile the height without gaps.
    for (let i = 1; i < l.rows.length; i++) expect(l.rows[i]?.y).toBe((l.rows[i - 1]?.y ?? 0) + (l.rows[i - 1]?.height ?? 0));
  });

  it('hides the lanes of a collapsed process but keeps its header', () => {
    const d = buildViewData(model());
    const l = layoutLanes(d, new Set([processKey(d, 0)]));
    expect(l.rows.filter((r) => r.kind === 'lane').map((r) => (r.kind === 'lane' ? d.lanes[r.lane]?.name : ''))).toEqual(['child-main', 'other-main']);
    expect(l.rowOfLane[0]).toBe(-1);
    expect(l.rows[0]).toMatchObject({ kind: 'process', collapsed: true, laneCount: 2 });
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
