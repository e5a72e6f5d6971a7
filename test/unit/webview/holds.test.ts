/**
 * The holds of the selected lock, outlined on the holders' lanes (webview/src/holds.ts): built
 * from the `mp-lock-holds` fixture's view data (holds in three processes, see
 * test/fixtures/README.md) and from synthetic tables, with the per-frame cost bounded by what
 * can be seen.
 */
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTrace } from '../../../runtime/src/model/build-model';
import { decodeViewData, encodeViewData } from '../../../runtime/src/view/codec';
import { buildViewData, type HoldTable, type ViewData } from '../../../runtime/src/view/view-data';
import { describeWait } from '../../../webview/src/describe';
import { holdRuns, holdsOfObject } from '../../../webview/src/holds';

const MS = 1_000_000;
const FIXTURE = path.resolve(__dirname, '..', '..', 'fixtures', 'mp-lock-holds');

let d: ViewData;
beforeAll(async () => {
  d = buildViewData(await loadTrace(FIXTURE));
});

const laneOf = (pid: number): number => d.lanes.findIndex((l) => l.tid === 1 && d.processes[l.process]?.pid === pid);

describe('view data: holds of multiprocessing locks', () => {
  it('lists every hold with its lane and lock in view ns, and survives the report encoding', () => {
    const lock = d.locks.find((r) => r.kind === 'mp_lock')?.object ?? -1;
    expect(lock).toBeGreaterThanOrEqual(0);
    const rows = Array.from({ length: d.holds.count }, (_, i) => [
      d.holds.lane[i], d.holds.object[i], (d.holds.begin[i] as number) / MS, (d.holds.end[i] as number) / MS,
    ]);
    expect(rows).toEqual([
      [laneOf(500), lock, 20, 30], [laneOf(501), lock, 100, 300], [laneOf(502), lock, 300.5, 350], [laneOf(502), lock, 400, 450],
    ]);
    const back = decodeViewData(encodeViewData(d));
    expect(Array.from(back.holds.end)).toEqual(Array.from(d.holds.end));
  });

  it("describes the cross-process wait with the holder's pid and says the holder is an estimate", () => {
    const w = d.waits;
    const row = Array.from({ length: w.count }, (_, i) => i).find((i) => w.lane[i] === laneOf(502) && (w.holderLane[i] as number) >= 0) ?? -1;
    const text = describeWait(d, row);
    expect(text.holderText).toBe('Held by MainThread (pid 501)');
    expect(text.wakerText).toMatch(/MainThread \(pid 501\)$/);
    expect(text.notes.join(' ')).toMatch(/holder is an estimate: the hold of this lock, in any process/);
  });

  it("groups the selected lock's holds by lane and outlines the ones in the window", () => {
    const lock = d.locks.find((r) => r.kind === 'mp_lock')?.object ?? -1;
    const h = holdsOfObject(d.holds, lock, d.lanes.length);
    expect(holdRuns(h, laneOf(501), 0, d.durationNs, 1000).runs).toEqual([100 * MS, 300 * MS]);
    // B's two holds, and only the first when the window ends before the second begins.
    expect(holdRuns(h, laneOf(502), 0, d.durationNs, 1000).runs).toEqual([300.5 * MS, 350 * MS, 400 * MS, 450 * MS]);
    expect(holdRuns(h, laneOf(502), 0, 399 * MS, 1000).runs).toEqual([300.5 * MS, 350 * MS]);
    // Zoomed out so that 60 ms is a pixel: they merge into one run.
    expect(holdRuns(h, laneOf(502), 0, d.durationNs, 60 * MS).runs).toEqual([300.5 * MS, 450 * MS]);
    // Another object has none.
    expect(holdsOfObject(d.holds, lock + 1, d.lanes.length).begin.length).toBe(0);
  });
});

describe('hold outlines at scale', () => {
  /** `n` holds of object 0 on lane 0, each `len` ns long, one every `every` ns. */
  function table(n: number, every: number, len: number): HoldTable {
    const t: HoldTable = { count: n, begin: new Float64Array(n), end: new Float64Array(n), lane: new Int32Array(n), object: new Int32Array(n) };
    for (let i = 0; i < n; i++) {
      t.begin[i] = i * every;
      t.end[i] = i * every + len;
    }
    return t;
  }

  it('costs about one step per pixel, not per hold: a million holds in a 2000-pixel frame', () => {
    const h = holdsOfObject(table(1_000_000, 1000, 300), 0, 1);
    const px = 1e9 / 2000;
    const all = holdRuns(h, 0, 0, 1e9, px);
    // Holds 700 ns apart are far closer than a pixel: one run covers them all.
    expect(all.runs).toEqual([0, 999_999_300]);
    expect(all.steps).toBeLessThan(2 * 2000 + 10);
    // Zoomed in to 20 holds: each its own run.
    const near = holdRuns(h, 0, 5_000_000, 5_020_000, 1);
    expect(near.runs.length / 2).toBe(21);
    expect(near.steps).toBeLessThan(50);
  });

  it('merges overlapping holds, and a long hold begun before the window still shows', () => {
    const t: HoldTable = {
      count: 3, begin: Float64Array.from([0, 10, 500]), end: Float64Array.from([400, 20, 600]),
      lane: new Int32Array(3), object: new Int32Array(3),
    };
    const h = holdsOfObject(t, 0, 1);
    expect(holdRuns(h, 0, 300, 1000, 1).runs).toEqual([0, 400, 500, 600]);
    expect(holdRuns(h, 0, 450, 480, 1).runs).toEqual([]);
  });
});
