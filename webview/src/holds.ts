/**
 * Holds of the selected lock, outlined on the holders' lanes: who had a multiprocessing lock
 * while others waited for it, in whatever process (view-data.ts `HoldTable`).
 *
 * The same promise as lod.ts: a frame costs what can be seen, not what the trace holds. The
 * selected lock's holds are grouped by lane (CSR), each lane's sorted by begin with a running
 * maximum of the ends; a frame finds its first visible hold by binary search and merges holds
 * closer than one device pixel into one run with further binary searches, so a lane with a
 * million tiny holds costs O(runs · log n), at most about one run per pixel. Pure: no DOM.
 */
import type { HoldTable } from '../../runtime/src/view/view-data';

/** The holds of one lock, by lane. Rows of lane L are `laneOffsets[L]` to `laneOffsets[L+1]-1`. */
export interface LaneHolds {
  laneOffsets: Uint32Array;
  begin: Float64Array;
  /** Largest end among the lane's rows up to this one (ascending within a lane). */
  maxEnd: Float64Array;
}

/** The holds of `object`, grouped by lane. */
export function holdsOfObject(t: HoldTable, object: number, laneCount: number): LaneHolds {
  const byLane: number[][] = Array.from({ length: laneCount }, () => []);
  for (let i = 0; i < t.count; i++) {
    if (t.object[i] === object) byLane[t.lane[i] as number]?.push(i);
  }
  const laneOffsets = new Uint32Array(laneCount + 1);
  let n = 0;
  for (let l = 0; l < laneCount; l++) {
    laneOffsets[l] = n;
    n += (byLane[l] as number[]).length;
  }
  laneOffsets[laneCount] = n;
  const begin = new Float64Array(n);
  const maxEnd = new Float64Array(n);
  let k = 0;
  for (const rows of byLane) {
    rows.sort((a, b) => (t.begin[a] as number) - (t.begin[b] as number) || a - b);
    let m = Number.NEGATIVE_INFINITY;
    for (const r of rows) {
      begin[k] = t.begin[r] as number;
      m = Math.max(m, t.end[r] as number);
      maxEnd[k] = m;
      k++;
    }
  }
  return { laneOffsets, begin, maxEnd };
}

/** First row in [lo, hi) whose value is > v (values ascending over the range). */
function upperBound(arr: Float64Array, v: number, lo: number, hi: number): number {
  let a = lo;
  let b = hi;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if ((arr[mid] as number) <= v) a = mid + 1;
    else b = mid;
  }
  return a;
}

export interface HoldRuns {
  /** [begin, end] pairs in view ns, ascending and apart by at least `minNs`. */
  runs: number[];
  /** Rows looked at by binary search or scan (for tests of the bound). */
  steps: number;
}

/**
 * Runs of `lane`'s holds that touch [startNs, endNs]: holds less than `minNs` apart (one
 * device pixel) are one run. Overlapping holds are merged too.
 */
export function holdRuns(h: LaneHolds, lane: number, startNs: number, endNs: number, minNs: number): HoldRuns {
  const lo = h.laneOffsets[lane] ?? 0;
  const hi = h.laneOffsets[lane + 1] ?? lo;
  const runs: number[] = [];
  let steps = 0;
  // maxEnd is ascending within the lane: the first row that reaches into the window.
  let i = upperBound(h.maxEnd, startNs, lo, hi);
  const stop = upperBound(h.begin, endNs, i, hi);
  while (i < stop) {
    const b = h.begin[i] as number;
    let e = h.maxEnd[i] as number;
    let k = i + 1;
    // Swallow every hold that begins within a pixel of the run's end, as long as that extends it.
    for (;;) {
      steps++;
      const j = upperBound(h.begin, e + minNs, k, stop);
      if (j === k) break;
      k = j;
      e = Math.max(e, h.maxEnd[j - 1] as number);
    }
    runs.push(b, e);
    i = k;
  }
  return { runs, steps };
}
