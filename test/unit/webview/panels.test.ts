/** The words of tooltips and details, the lock table order, the waiter × holder matrix, hotspots. */
import { describe, expect, it } from 'vitest';
import { WaitFlags } from '../../../runtime/src/format/spec';
import { buildViewData } from '../../../runtime/src/view/view-data';
import { describeBlock, describeSegment, describeWait, laneOfSegment, siteShort } from '../../../webview/src/describe';
import { rankHotspots } from '../../../webview/src/hotspots';
import { sortLocks } from '../../../webview/src/locks';
import { lockMatrix } from '../../../webview/src/matrix';
import { makeModel } from './synthetic';

const MS = 1_000_000;

// Three tellers wait on bank_lock; the auditor holds it for the long waits.
const bank = () => buildViewData(makeModel({
  lanes: ['auditor', 'teller-0', 'teller-1', 'MainThread'].map((name) => ({ name, start: 0, end: 1000 * MS })),
  sites: [
    { file: '/w/examples/bank_transfer.py', line: 18, func: '<module>' },
    { file: '/w/examples/bank_transfer.py', line: 25, func: 'transfer' },
    { file: '/w/examples/bank_transfer.py', line: 40, func: 'auditor' },
  ],
  objects: [{ kind: 'lock', name: 'bank_lock', site: 0 }, { kind: 'event', name: 'done', site: 0 }],
  waits: [
    { lane: 1, begin: 100 * MS, end: 130 * MS, object: 0, reason: 'lock', site: 1, holder: 0, holderSite: 2, waker: 0 },
    { lane: 2, begin: 105 * MS, end: 160 * MS, object: 0, reason: 'lock', site: 1, holder: 0, holderSite: 2, waker: 1 },
    { lane: 1, begin: 200 * MS, end: 201 * MS, object: 0, reason: 'lock', site: 1, holder: 2, holderSite: 1, waker: 2 },
    { lane: 0, begin: 300 * MS, end: 350 * MS, object: 0, reason: 'lock', site: 2, waker: 1, flags: WaitFlags.HOLDER_CHANGED },
    { lane: 3, begin: 400 * MS, end: 900 * MS, object: 1, reason: 'event', site: 0, waker: 0, flags: WaitFlags.TIMED_OUT },
  ],
}));

describe('describing what is drawn', () => {
  it('says what a lock wait was, who held it on which line, and who released it', () => {
    const d = bank();
    const w = describeWait(d, 1);
    expect(w.title).toBe('Lock wait · 55 ms');
    expect(w.objectText).toBe('bank_lock');
    expect(w.creationSite && siteShort(w.creationSite)).toBe('bank_transfer.py:18');
    expect(w.holderText).toBe('Held by auditor at bank_transfer.py:40');
    expect(w.wakerText).toBe('Released by teller-0');
  });

  it('flags timed-out waits and estimated holders in plain words', () => {
    const d = bank();
    expect(describeWait(d, 3).notes.join(' ')).toMatch(/holder changed during the wait/);
    const ev = describeWait(d, 4);
    expect(ev.notes.join(' ')).toMatch(/Timed out/);
    expect(ev.wakerText).toBe('Set by auditor');
  });

  it('tooltips name the segment, and blocks count their waits', () => {
    const d = bank();
    const s = d.segments;
    const lane1 = Array.from({ length: s.count }, (_v, i) => i).filter((i) => laneOfSegment(d, i) === 1);
    const waitSeg = lane1.find((i) => s.wait[i] === 0) as number;
    expect(describeSegment(d, waitSeg).title).toBe('Lock wait · 30 ms');
    expect(describeSegment(d, waitSeg).lines).toContain('waiting at bank_transfer.py:25 in transfer');
    const first = lane1[0] as number;
    const block = describeBlock(d, first, lane1.length);
    expect(block.title).toBe(`2 waits in ${lane1.length} segments · 1 s`);
    expect(block.lines[0]).toBe('waiting 31 ms in total');
  });

  it('finds the lane of any segment', () => {
    const d = bank();
    for (let l = 0; l < d.lanes.length; l++) {
      for (let k = d.segments.laneOffsets[l] as number; k < (d.segments.laneOffsets[l + 1] as number); k++) expect(laneOfSegment(d, k)).toBe(l);
    }
  });
});

describe('lock table and matrix', () => {
  it('sorts by any column, both ways, ties by total wait', () => {
    const d = bank();
    const names = (order: number[]) => order.map((i) => d.locks[i]?.name);
    expect(names(sortLocks(d, { column: 'waitNs', descending: true }))).toEqual(['done', 'bank_lock']);
    expect(names(sortLocks(d, { column: 'contentions', descending: true }))).toEqual(['bank_lock', 'done']);
    expect(names(sortLocks(d, { column: 'name', descending: false }))).toEqual(['bank_lock', 'done']);
    expect(names(sortLocks(d, { column: 'name', descending: true }))).toEqual(['done', 'bank_lock']);
  });

  it('counts who waited for whom, using the releaser when the holder is unknown', () => {
    const d = bank();
    const m = lockMatrix(d, 0);
    const name = (l: number) => d.lanes[l]?.name;
    const cells: Record<string, number> = {};
    m.waiters.forEach((w, i) => m.holders.forEach((h, j) => {
      const c = m.cells[i]?.[j];
      if (c?.waits) cells[`${name(w)}<-${name(h)}`] = c.waitNs / MS;
    }));
    expect(cells).toEqual({ 'teller-1<-auditor': 55, 'teller-0<-auditor': 30, 'teller-0<-teller-1': 1, 'auditor<-teller-0': 50 });
    expect(m.unknownHolder.waits).toBe(0);
    expect(m.maxWaitNs).toBe(55 * MS);
  });
});

describe('hotspots', () => {
  it('ranks lines separately by CPU and by wait, leaving out lines with none', () => {
    const rows = [
      { site: 0, cpuNs: 10, waitNs: 0, samples: 1 },
      { site: 1, cpuNs: 30, waitNs: 5, samples: 4 },
      { site: 2, cpuNs: 0, waitNs: 50, samples: 5 },
    ];
    expect(rankHotspots(rows, 'cpuNs').map((r) => r.site)).toEqual([1, 0]);
    expect(rankHotspots(rows, 'waitNs').map((r) => r.site)).toEqual([2, 1]);
  });
});
