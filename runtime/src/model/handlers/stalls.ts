/**
 * Stalls: deadlocks and hangs (issue 12).
 *
 * From the agent's watchdog (`D` records): each member's lane, object, waiting line and stack
 * leaf are re-keyed to the model's indexes, and its wait (the row in the wait columns that was
 * in progress when the stall was found, usually an open one) is looked up so that views can
 * select the cycle on the timeline. Ids of 0 mean none.
 *
 * From open waits: a process whose trace has no `D` deadlock (killed before the watchdog fired,
 * the watchdog off, an older agent) but whose threads were still waiting for locks held by one
 * another when it stopped. Each thread's last open wait on a lock names the lane that held the
 * lock when the wait began; a cycle in that graph is a deadlock, reported with `source`
 * "open-waits". Evidence, not proof: every member was blocked until the end, so none released
 * anything after its own wait began; a holder could only have let its lock go to a third thread
 * between the waiter's begin and its own, which the holder field cannot show. The summary says
 * "found in the open waits" so that a reader knows the watchdog did not see it.
 */
import { WaitFlags } from '../../format/spec';
import type { ParsedFile } from '../parsed-file';
import type { Lane, Stall, SyncObject, WaitColumns } from '../types';
import { ready, type FileContext, type ModelHandler } from './handler';

/** Objects a thread holds exclusively (a holder that can be waited for in a cycle). */
const LOCK_KINDS = new Set(['lock', 'rlock', 'mp_lock', 'mp_rlock', 'aio_lock']);

export class StallsHandler implements ModelHandler<Stall[]> {
  private stalls: Stall[] = [];
  private result: Stall[] | null = null;

  constructor(
    private readonly lanes: () => Lane[],
    private readonly objects: () => SyncObject[],
    private readonly waits: () => WaitColumns,
  ) {}

  reset(): void {
    this.stalls = [];
    this.result = null;
  }

  handleFile(f: ParsedFile, ctx: FileContext): void {
    const id = (map: { get(id: number): number }, v: number | undefined): number | null => {
      if (v === undefined || v === null || v <= 0) return null;
      const i = map.get(v);
      return i >= 0 ? i : null;
    };
    for (const d of f.stalls ?? []) {
      const members = d.lanes.flatMap((l, i) => {
        const lane = id(ctx.lanes, l);
        if (lane === null) return [];
        return [{
          lane, object: id(ctx.objects, d.objects[i]), site: id(ctx.sites, d.sites[i]), frame: id(ctx.frames, d.frames[i]), wait: null,
        }];
      });
      if (members.length === 0) continue;
      const kind = d.kind === 'deadlock' || d.kind === 'hang' ? d.kind : 'unknown';
      this.stalls.push({ kind, source: 'watchdog', process: ctx.process, detectedNs: d.ts as Stall['detectedNs'], members });
    }
  }

  finalize(): void {
    const lanes = this.lanes();
    const objects = this.objects();
    const w = this.waits();
    // Each member's wait: on its lane, begun at or before the stall was found and not ended
    // before it, the latest such (and one on the member's object first). One pass over waits.
    const wanted = new Map<number, { stall: Stall; m: number }[]>();
    this.stalls.forEach((stall) => stall.members.forEach((mem, m) => {
      const list = wanted.get(mem.lane) ?? [];
      list.push({ stall, m });
      wanted.set(mem.lane, list);
    }));
    // Last open wait on a lock per lane, for the inference below.
    const lastOpen = new Map<number, number>();
    for (let i = 0; i < w.count; i++) {
      const lane = w.lane[i] as number;
      const open = ((w.flags[i] as number) & WaitFlags.OPEN) !== 0;
      if (open) {
        const kind = objects[w.object[i] as number]?.kind;
        if (kind !== undefined && LOCK_KINDS.has(kind)) lastOpen.set(lane, i);
      }
      const list = wanted.size > 0 ? wanted.get(lane) : undefined;
      if (list === undefined) continue;
      const b = w.begin[i] as number;
      const e = w.end[i] as number;
      for (const { stall, m } of list) {
        const mem = stall.members[m];
        if (mem === undefined || b > stall.detectedNs || (e < stall.detectedNs && !open)) continue;
        const prev = mem.wait;
        const objectMatch = mem.object === null || (w.object[i] as number) === mem.object;
        const prevMatch = prev !== null && (mem.object === null || (w.object[prev] as number) === mem.object);
        if (prev === null || (objectMatch && !prevMatch) || (objectMatch === prevMatch && b >= (w.begin[prev] as number))) {
          mem.wait = i;
          if (mem.site === null && (w.site[i] as number) >= 0) mem.site = w.site[i] as number;
        }
      }
    }
    const out = [...this.stalls];
    const covered = new Set(this.stalls.filter((s) => s.kind === 'deadlock').map((s) => s.process));
    out.push(...inferDeadlocks(lanes, w, lastOpen, covered));
    this.result = out.sort((a, b) => a.process - b.process || a.detectedNs - b.detectedNs);
    this.stalls = [];
  }

  data(): Stall[] {
    return ready(this.result, 'StallsHandler');
  }
}

/** Cycles of "waits for a lock held by" among the lanes' last open lock waits, in processes
 * without a watchdog deadlock. Members in cycle order, starting from the lowest lane. */
function inferDeadlocks(lanes: readonly Lane[], w: WaitColumns, lastOpen: Map<number, number>, covered: ReadonlySet<number>): Stall[] {
  const out: Stall[] = [];
  const done = new Set<number>();
  for (const start of [...lastOpen.keys()].sort((a, b) => a - b)) {
    if (done.has(start)) continue;
    const path: number[] = [];
    const onPath = new Map<number, number>();
    let cur: number | undefined = start;
    while (cur !== undefined && !done.has(cur) && !onPath.has(cur)) {
      onPath.set(cur, path.length);
      path.push(cur);
      const row = lastOpen.get(cur);
      const holder = row === undefined ? -1 : (w.holderLane[row] as number);
      cur = holder >= 0 && holder !== cur ? holder : undefined;
    }
    for (const l of path) done.add(l);
    if (cur === undefined || !onPath.has(cur)) continue;
    const cycle = path.slice(onPath.get(cur));
    const process = lanes[cycle[0] as number]?.process ?? -1;
    if (cycle.length < 2 || covered.has(process) || cycle.some((l) => lanes[l]?.process !== process)) continue;
    const first = cycle.indexOf(Math.min(...cycle));
    const ordered = [...cycle.slice(first), ...cycle.slice(0, first)];
    let detected = -Infinity;
    const members = ordered.map((lane) => {
      const row = lastOpen.get(lane) as number;
      detected = Math.max(detected, w.begin[row] as number);
      const site = w.site[row] as number;
      return { lane, object: w.object[row] as number, site: site >= 0 ? site : null, frame: null, wait: row };
    });
    out.push({ kind: 'deadlock', source: 'open-waits', process, detectedNs: detected as Stall['detectedNs'], members });
  }
  return out;
}
