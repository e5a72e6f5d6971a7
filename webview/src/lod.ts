/**
 * Level of detail for the lanes: turns the segments of a lane that fall in the visible window
 * into at most about two draw items per pixel, however many segments there are.
 *
 * Segments wider than the threshold (one device pixel, in ns) are drawn as they are. A run of
 * narrower segments is merged into one *block* that starts at the first of them and covers at
 * least one threshold of begin times; its colour is chosen by time, not by count: when the
 * block spends at least half its time in non-running states (waits or the off-CPU estimate),
 * it takes the state of its longest such segment, otherwise it is running and carries a
 * marker with the state of its longest wait, so short waits never vanish when zoomed out
 * (Tracy draws merged zones the same way; Perfetto's "mipmap" keeps the longest slice).
 * Running comes in two colours, plain and inside a work item (WORK): a running block is WORK
 * when at least half its time is, so a worker busy with many short tasks reads as busy with
 * work items at any zoom.
 *
 * Cost. Per lane the index keeps a segment tree of "longest non-running segment" (2n int32)
 * and prefix sums of non-running and of work item time (2(n+1) float64), built once in O(n). A query finds the
 * first visible segment by binary search, then each emitted item costs one binary search for
 * the end of its block and one tree query: O(items · log n), and items ≤ 2 · pixels + 2, so a
 * frame costs O(visible pixels · log n) whatever n is. A 1M-wait lane aggregates in well under
 * a millisecond (test/unit/webview/lod.test.ts measures it).
 */
import { SegmentState, isRunningState, type SegmentTable } from '../../runtime/src/view/view-data';

/** Minimal segment columns the index works on: a lane's rows are [offset, offset+count). */
export interface SegmentColumns {
  begin: Float64Array;
  end: Float64Array;
  state: Uint8Array;
}

/** Per-lane level-of-detail index over segment columns. */
export class LodIndex {
  /** For each lane, where its tree and prefix start. */
  private readonly treeOffset: Uint32Array;
  private readonly prefixOffset: Uint32Array;
  /** Concatenated bottom-up segment trees: for lane L with n rows, nodes 1..2n-1 (leaves at
   * n..2n-1) hold the row (global index) of the longest non-running segment, or -1. */
  private readonly tree: Int32Array;
  /** Concatenated prefix sums of non-running time: prefix[k] = time of rows offset..offset+k-1. */
  private readonly prefix: Float64Array;
  /** The same for time running inside a work item (WORK), laid out like `prefix`. */
  private readonly workPrefix: Float64Array;

  constructor(readonly cols: SegmentColumns, readonly laneOffsets: Uint32Array) {
    const lanes = laneOffsets.length - 1;
    this.treeOffset = new Uint32Array(lanes + 1);
    this.prefixOffset = new Uint32Array(lanes + 1);
    let t = 0;
    let p = 0;
    for (let l = 0; l < lanes; l++) {
      const n = (laneOffsets[l + 1] as number) - (laneOffsets[l] as number);
      this.treeOffset[l] = t;
      this.prefixOffset[l] = p;
      t += 2 * n;
      p += n + 1;
    }
    this.treeOffset[lanes] = t;
    this.prefixOffset[lanes] = p;
    this.tree = new Int32Array(t).fill(-1);
    this.prefix = new Float64Array(p);
    this.workPrefix = new Float64Array(p);
    for (let l = 0; l < lanes; l++) this.buildLane(l);
  }

  static fromTable(t: SegmentTable): LodIndex {
    return new LodIndex(t, t.laneOffsets);
  }

  laneCount(): number {
    return this.laneOffsets.length - 1;
  }

  private duration(row: number): number {
    return (this.cols.end[row] as number) - (this.cols.begin[row] as number);
  }

  private longer(a: number, b: number): number {
    if (a < 0) return b;
    if (b < 0) return a;
    return this.duration(b) > this.duration(a) ? b : a;
  }

  private buildLane(l: number): void {
    const off = this.laneOffsets[l] as number;
    const n = (this.laneOffsets[l + 1] as number) - off;
    const t0 = this.treeOffset[l] as number;
    const p0 = this.prefixOffset[l] as number;
    const { state } = this.cols;
    let acc = 0;
    let work = 0;
    this.prefix[p0] = 0;
    this.workPrefix[p0] = 0;
    for (let k = 0; k < n; k++) {
      const row = off + k;
      const st = state[row] as number;
      const idle = !isRunningState(st);
      this.tree[t0 + n + k] = idle ? row : -1;
      if (idle) acc += this.duration(row);
      else if (st === SegmentState.WORK) work += this.duration(row);
      this.prefix[p0 + k + 1] = acc;
      this.workPrefix[p0 + k + 1] = work;
    }
    for (let k = n - 1; k >= 1; k--) {
      this.tree[t0 + k] = this.longer(this.tree[t0 + 2 * k] as number, this.tree[t0 + 2 * k + 1] as number);
    }
  }

  /** Longest non-running row among lane rows [a, b) (lane-relative), or -1. O(log n). */
  longestIdle(lane: number, a: number, b: number): number {
    const off = this.laneOffsets[lane] as number;
    const n = (this.laneOffsets[lane + 1] as number) - off;
    const t0 = this.treeOffset[lane] as number;
    let best = -1;
    let lo = a + n;
    let hi = b + n;
    while (lo < hi) {
      if (lo & 1) best = this.longer(best, this.tree[t0 + lo++] as number);
      if (hi & 1) best = this.longer(best, this.tree[t0 + --hi] as number);
      lo >>= 1;
      hi >>= 1;
    }
    return best;
  }

  /** Non-running time of lane rows [a, b) (lane-relative). O(1). */
  idleTime(lane: number, a: number, b: number): number {
    const p0 = this.prefixOffset[lane] as number;
    return (this.prefix[p0 + b] as number) - (this.prefix[p0 + a] as number);
  }

  /** Time running inside work items in lane rows [a, b) (lane-relative). O(1). */
  workTime(lane: number, a: number, b: number): number {
    const p0 = this.prefixOffset[lane] as number;
    return (this.workPrefix[p0 + b] as number) - (this.workPrefix[p0 + a] as number);
  }
}

/** Output of one lane's aggregation, reused across frames (no allocation per frame). */
export class LodItems {
  length = 0;
  begin: Float64Array = new Float64Array(256);
  end: Float64Array = new Float64Array(256);
  /** State to fill with. */
  state: Uint8Array = new Uint8Array(256);
  /** For a running block: the state of its longest wait (a marker), else 255 (none). */
  marker: Uint8Array = new Uint8Array(256);
  /** First row and number of rows merged (1 for a segment drawn as it is). */
  first: Int32Array = new Int32Array(256);
  count: Int32Array = new Int32Array(256);

  clear(): void {
    this.length = 0;
  }

  push(b: number, e: number, state: number, marker: number, first: number, count: number): void {
    if (this.length === this.begin.length) this.grow();
    const i = this.length++;
    this.begin[i] = b;
    this.end[i] = e;
    this.state[i] = state;
    this.marker[i] = marker;
    this.first[i] = first;
    this.count[i] = count;
  }

  private grow(): void {
    const n = this.begin.length * 2;
    const f64 = (a: Float64Array): Float64Array => { const x = new Float64Array(n); x.set(a); return x; };
    const u8 = (a: Uint8Array): Uint8Array => { const x = new Uint8Array(n); x.set(a); return x; };
    const i32 = (a: Int32Array): Int32Array => { const x = new Int32Array(n); x.set(a); return x; };
    this.begin = f64(this.begin);
    this.end = f64(this.end);
    this.state = u8(this.state);
    this.marker = u8(this.marker);
    this.first = i32(this.first);
    this.count = i32(this.count);
  }

  /** The item under view time `ns`, by binary search over item begins; -1 when none. A
   * tolerance (ns) makes items narrower than a pixel easy to hit. */
  find(ns: number, toleranceNs = 0): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.end[mid] as number) + toleranceNs <= ns) lo = mid + 1;
      else hi = mid;
    }
    if (lo < this.length && (this.begin[lo] as number) - toleranceNs <= ns) return lo;
    return -1;
  }
}

export const NO_MARKER = 255;

/** First row in [lo, hi) whose `arr` value is >= v (arr sorted ascending over the range). */
export function lowerBound(arr: Float64Array, v: number, lo: number, hi: number): number {
  let a = lo;
  let b = hi;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if ((arr[mid] as number) < v) a = mid + 1;
    else b = mid;
  }
  return a;
}

/** First row in [lo, hi) whose end is > v. Ends are sorted because segments do not overlap. */
function firstEndingAfter(end: Float64Array, v: number, lo: number, hi: number): number {
  let a = lo;
  let b = hi;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if ((end[mid] as number) <= v) a = mid + 1;
    else b = mid;
  }
  return a;
}

/**
 * Fills `out` with the draw items of `lane` in the window [startNs, endNs], merging segments
 * narrower than `minNs` (the ns of one device pixel). See the file comment for the rules.
 */
export function aggregateLane(index: LodIndex, lane: number, startNs: number, endNs: number, minNs: number, out: LodItems): void {
  out.clear();
  const { begin, end, state } = index.cols;
  const off = index.laneOffsets[lane] as number;
  const hiRow = index.laneOffsets[lane + 1] as number;
  let i = firstEndingAfter(end, startNs, off, hiRow);
  while (i < hiRow && (begin[i] as number) < endNs) {
    const b = begin[i] as number;
    const d = (end[i] as number) - b;
    if (d >= minNs) {
      out.push(b, end[i] as number, state[i] as number, NO_MARKER, i, 1);
      i++;
      continue;
    }
    // A block: every segment that begins within one threshold of this one.
    let j = lowerBound(begin, b + minNs, i + 1, hiRow);
    // Keep a wide last segment out of the block; it is drawn on its own next.
    if (j - 1 > i && (end[j - 1] as number) - (begin[j - 1] as number) >= minNs) j--;
    if (j === i + 1) {
      out.push(b, end[i] as number, state[i] as number, NO_MARKER, i, 1);
      i++;
      continue;
    }
    const blockEnd = end[j - 1] as number;
    const idle = index.idleTime(lane, i - off, j - off);
    const longest = index.longestIdle(lane, i - off, j - off);
    const longestState = longest >= 0 ? (state[longest] as number) : SegmentState.RUNNING;
    if (longest >= 0 && idle * 2 >= blockEnd - b) {
      out.push(b, blockEnd, longestState, NO_MARKER, i, j - i);
    } else {
      const running = index.workTime(lane, i - off, j - off) * 2 >= blockEnd - b ? SegmentState.WORK : SegmentState.RUNNING;
      out.push(b, blockEnd, running, longest >= 0 ? longestState : NO_MARKER, i, j - i);
    }
    i = j;
  }
}

/**
 * Builds segment columns holding only the rows `rows` (sorted by lane, then time) of a table,
 * with lane offsets: used to draw the waits of one selected lock with the same LOD.
 */
export function subsetTable(
  t: Pick<SegmentTable, 'begin' | 'end' | 'state' | 'laneOffsets'>, rows: number[], laneCount: number,
): { cols: SegmentColumns; laneOffsets: Uint32Array; source: Int32Array } {
  const n = rows.length;
  const cols = { begin: new Float64Array(n), end: new Float64Array(n), state: new Uint8Array(n) };
  const source = new Int32Array(n);
  const laneOffsets = new Uint32Array(laneCount + 1);
  let lane = 0;
  for (let k = 0; k < n; k++) {
    const r = rows[k] as number;
    cols.begin[k] = t.begin[r] as number;
    cols.end[k] = t.end[r] as number;
    cols.state[k] = t.state[r] as number;
    source[k] = r;
    // Advance lane offsets to the lane of row r.
    while (lane < laneCount && r >= (t.laneOffsets[lane + 1] as number)) laneOffsets[++lane] = k;
  }
  while (lane < laneCount) laneOffsets[++lane] = n;
  return { cols, laneOffsets, source };
}
