/**
 * Who held a multiprocessing lock, across processes.
 *
 * A process cannot see which other process holds an mp.Lock/RLock, so the agent writes its
 * `mp_lock` waits with no holder and no waker. Instead every process records each hold of a
 * user-visible multiprocessing Lock/RLock as an `X` span of kind "hold" keyed by the lock's
 * globalKey (the same string as the 8th field of its `O` record, which the interning handler
 * already used to merge the lock's definitions from every process into one model object).
 *
 * This handler indexes those holds per model object, sorted by begin, and then, for each wait
 * on such an object whose holder is unknown, fills in the wait columns:
 *
 * - holder: the lane of the hold, in any process and on any lane but the waiter's own, that
 *   covers the wait's begin (`begin <= wait.begin < end`); the latest-begun one when several
 *   do. The wait is flagged `HOLDER_CHANGED` ("the holder is an estimate"): it is a match of
 *   clock reads in two processes, not something a process saw.
 * - waker: the lane whose hold ended last at or before the wait's end (the release that let
 *   the waiter in), again never the waiter's own lane, and only when that release is within
 *   {@link HOLD_WAKE_TOLERANCE_NS} of the wait's end; else unknown. The holder reads its clock
 *   just after releasing and the waiter just after acquiring, so the release may be read a
 *   little after the waiter's end too: the tolerance applies on both sides. Waits that timed
 *   out or were still open were ended by nobody and get no waker.
 *
 * Holders and wakers that the agent recorded (threading locks) are never replaced. Everything
 * downstream reads these columns: lock statistics (holders with their process), unblock
 * arrows (flows handler, view data), the details pane. So the handlers that read waits take
 * them from this handler's `data().waits`, which makes the order explicit.
 *
 * Holds stay in the model's span list (kind "hold"); they are not work items (the work items
 * handler and the view's WORK state only use kind "task").
 */
import { WaitFlags, type Ns } from '../../format/spec';
import type { ParsedFile } from '../parsed-file';
import type { LockHold, SyncObject, WaitColumns } from '../types';
import { ready, type FileContext, type ModelHandler } from './handler';

/** How far (ns) the end of a hold may be from the end of a wait to count as its release. */
export const HOLD_WAKE_TOLERANCE_NS = 2_000_000;
/** Object kinds whose holds the agent records. */
const HELD_KINDS: ReadonlySet<string> = new Set(['mp_lock', 'mp_rlock']);
/** Most candidate holds looked at per wait: holds of one lock do not overlap, so a real trace
 * needs one or two; the cap keeps a corrupt one (thousands of overlapping holds) linear. */
const MAX_SCAN = 256;

/** The holds of one object as columns, sorted by begin, with what the searches need. */
export interface HoldIndex {
  count: number;
  begin: Float64Array;
  end: Float64Array;
  lane: Int32Array;
  /** Largest end among rows 0..i: no hold before row i+1 ends later. */
  maxEnd: Float64Array;
  /** Rows sorted by end. */
  byEnd: Uint32Array;
  /** end[byEnd[k]], ascending. */
  endSorted: Float64Array;
}

export interface LockHoldsData {
  /** The waits handler's columns, with estimated holders and wakers filled in. */
  waits: WaitColumns;
  /** Every hold joined to its object, sorted by begin. */
  holds: LockHold[];
  /** Per model object with holds. */
  byObject: Map<number, HoldIndex>;
  /** Waits that got a holder from a hold, and waits that got a waker. */
  holdersFound: number;
  wakersFound: number;
}

interface RawHold {
  key: string;
  lane: number;
  begin: number;
  end: number;
}

/** First index in [lo, hi) whose value is > v (values ascending). */
function upperBound(a: Float64Array, v: number, lo: number, hi: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function buildIndex(holds: LockHold[]): HoldIndex {
  const n = holds.length;
  const begin = new Float64Array(n);
  const end = new Float64Array(n);
  const lane = new Int32Array(n);
  const maxEnd = new Float64Array(n);
  let m = Number.NEGATIVE_INFINITY;
  holds.forEach((h, i) => {
    begin[i] = h.begin;
    end[i] = h.end;
    lane[i] = h.lane;
    m = Math.max(m, h.end);
    maxEnd[i] = m;
  });
  const byEnd = new Uint32Array(n);
  for (let i = 0; i < n; i++) byEnd[i] = i;
  byEnd.sort((a, b) => (end[a] as number) - (end[b] as number) || a - b);
  const endSorted = new Float64Array(n);
  for (let k = 0; k < n; k++) endSorted[k] = end[byEnd[k] as number] as number;
  return { count: n, begin, end, lane, maxEnd, byEnd, endSorted };
}

/** The lane of the hold (not on `waiter`) that covers `t`, latest-begun first; -1 if none. */
export function holderAt(ix: HoldIndex, t: number, waiter: number): number {
  let k = upperBound(ix.begin, t, 0, ix.count) - 1;
  for (let scanned = 0; k >= 0 && scanned < MAX_SCAN && (ix.maxEnd[k] as number) > t; k--, scanned++) {
    if ((ix.end[k] as number) > t && ix.lane[k] !== waiter) return ix.lane[k] as number;
  }
  return -1;
}

/** The lane (not `waiter`) whose hold, begun before `t`, ended last by `t + tol`, if that end
 * is no earlier than `t - tol`; -1 if none. */
export function releaserAt(ix: HoldIndex, t: number, waiter: number, tol = HOLD_WAKE_TOLERANCE_NS): number {
  let k = upperBound(ix.endSorted, t + tol, 0, ix.count) - 1;
  for (let scanned = 0; k >= 0 && scanned < MAX_SCAN && (ix.endSorted[k] as number) >= t - tol; k--, scanned++) {
    const row = ix.byEnd[k] as number;
    if (ix.lane[row] !== waiter && (ix.begin[row] as number) < t) return ix.lane[row] as number;
  }
  return -1;
}

export class LockHoldsHandler implements ModelHandler<LockHoldsData> {
  private raw: RawHold[] = [];
  private result: LockHoldsData | null = null;

  constructor(private readonly objects: () => SyncObject[], private readonly waits: () => WaitColumns) {}

  reset(): void {
    this.raw = [];
    this.result = null;
  }

  handleFile(f: ParsedFile, ctx: FileContext): void {
    for (const s of f.spans) {
      if (s.kind !== 'hold' || s.key === undefined) continue;
      const lane = ctx.lanes.get(s.tid);
      if (lane < 0 || !(s.end >= s.begin)) continue;
      this.raw.push({ key: s.key, lane, begin: s.begin, end: s.end });
    }
  }

  finalize(): void {
    const objects = this.objects();
    // globalKey -> the lock objects that carry it (one, unless two kinds share a key).
    const byKey = new Map<string, number[]>();
    for (const o of objects) {
      if (o.globalKey === undefined || !HELD_KINDS.has(o.kind)) continue;
      const list = byKey.get(o.globalKey) ?? [];
      list.push(o.index);
      byKey.set(o.globalKey, list);
    }
    const holds: LockHold[] = [];
    for (const r of this.raw) {
      for (const object of byKey.get(r.key) ?? []) holds.push({ object, lane: r.lane, begin: r.begin as Ns, end: r.end as Ns });
    }
    holds.sort((a, b) => a.begin - b.begin || a.end - b.end || a.lane - b.lane);
    const grouped = new Map<number, LockHold[]>();
    for (const h of holds) {
      const list = grouped.get(h.object) ?? [];
      list.push(h);
      grouped.set(h.object, list);
    }
    const byObject = new Map<number, HoldIndex>();
    for (const [o, list] of grouped) byObject.set(o, buildIndex(list));

    const w = this.waits();
    let holdersFound = 0;
    let wakersFound = 0;
    if (byObject.size > 0) {
      // By object index, so the loop over every wait of the trace does no hashing.
      const dense: (HoldIndex | undefined)[] = new Array<HoldIndex | undefined>(objects.length);
      for (const [o, ix] of byObject) dense[o] = ix;
      for (let i = 0; i < w.count; i++) {
        const o = w.object[i] as number;
        const ix = o >= 0 ? dense[o] : undefined;
        if (ix === undefined || (w.holderLane[i] as number) >= 0) continue;
        const waiter = w.lane[i] as number;
        const holder = holderAt(ix, w.begin[i] as number, waiter);
        if (holder >= 0) {
          w.holderLane[i] = holder;
          w.flags[i] = (w.flags[i] as number) | WaitFlags.HOLDER_CHANGED;
          holdersFound++;
        }
        if ((w.wakerLane[i] as number) >= 0 || ((w.flags[i] as number) & (WaitFlags.TIMED_OUT | WaitFlags.OPEN)) !== 0) continue;
        const waker = releaserAt(ix, w.end[i] as number, waiter);
        if (waker >= 0) {
          w.wakerLane[i] = waker;
          wakersFound++;
        }
      }
    }
    this.raw = [];
    this.result = { waits: w, holds, byObject, holdersFound, wakersFound };
  }

  data(): LockHoldsData {
    return ready(this.result, 'LockHoldsHandler');
  }
}
