/**
 * Waits: every file's `W` rows, re-keyed to lanes, objects and sites, in one set of columns
 * sorted by begin time (views scan them by time; thread times and lock statistics rely on
 * the order). The agent writes a wait when it ends, so files are ordered by end, not begin.
 *
 * Open waits (flag OPEN; repeated records of one wait were already reduced to the last in
 * file-handlers.ts) end where their lane ends: `end` in the file is when the agent last saw
 * the thread still waiting, and nothing ended the wait after that, so the thread was still
 * blocked when its process stopped. Every reader (the timeline, thread times and their GIL
 * estimate, lock statistics) then sees a hung thread as waiting to the end of the trace, never
 * as "not on CPU".
 */
import { F64Column, I32Column, U8Column, permuteF64, permuteI32, permuteU8, sortOrderOrNull } from '../columns';
import type { ParsedFile } from '../parsed-file';
import { WaitFlags } from '../../format/spec';
import type { Lane, WaitColumns } from '../types';
import { ready, type FileContext, type ModelHandler } from './handler';

function columns() {
  return {
    begin: new F64Column(), end: new F64Column(), lane: new I32Column(), object: new I32Column(), reason: new U8Column(),
    site: new I32Column(), holderLane: new I32Column(), holderSite: new I32Column(), wakerLane: new I32Column(), flags: new U8Column(),
  };
}

export class WaitsHandler implements ModelHandler<WaitColumns> {
  private c = columns();
  private result: WaitColumns | null = null;

  /** `lanes`: to draw open waits to their lane's end (absent: open waits keep their end). */
  constructor(private readonly lanes?: () => Lane[]) {}

  reset(): void {
    this.c = columns();
    this.result = null;
  }

  handleFile(f: ParsedFile, ctx: FileContext): void {
    const w = f.waits;
    const c = this.c;
    const at = c.begin.length;
    const n = at + w.count;
    // Exact sizes when this is the only file: finish() then hands the arrays over uncopied.
    for (const col of Object.values(c)) col.grow(n, at === 0);
    const { lanes, objects, sites } = ctx;
    // Direct writes into the grown arrays: this loop runs once per wait of the trace.
    const begin = c.begin.data;
    const end = c.end.data;
    const lane = c.lane.data;
    const object = c.object.data;
    const reason = c.reason.data;
    const site = c.site.data;
    const holderLane = c.holderLane.data;
    const holderSite = c.holderSite.data;
    const wakerLane = c.wakerLane.data;
    const flags = c.flags.data;
    for (let i = 0; i < w.count; i++) {
      const j = at + i;
      begin[j] = w.begin[i] as number;
      end[j] = w.end[i] as number;
      lane[j] = lanes.get(w.tid[i] as number);
      object[j] = objects.get(w.object[i] as number);
      reason[j] = w.reason[i] as number;
      site[j] = sites.get(w.site[i] as number);
      holderLane[j] = lanes.get(w.holder[i] as number);
      holderSite[j] = sites.get(w.holderSite[i] as number);
      wakerLane[j] = lanes.get(w.waker[i] as number);
      flags[j] = w.flags[i] as number;
    }
    for (const col of Object.values(c)) col.length = n;
  }

  finalize(): void {
    const c = this.c;
    const begin = c.begin.finish();
    const order = sortOrderOrNull(begin);
    this.result = {
      count: begin.length,
      begin: permuteF64(begin, order), end: permuteF64(c.end.finish(), order),
      lane: permuteI32(c.lane.finish(), order), object: permuteI32(c.object.finish(), order),
      reason: permuteU8(c.reason.finish(), order), site: permuteI32(c.site.finish(), order),
      holderLane: permuteI32(c.holderLane.finish(), order), holderSite: permuteI32(c.holderSite.finish(), order),
      wakerLane: permuteI32(c.wakerLane.finish(), order), flags: permuteU8(c.flags.finish(), order),
    };
    const lanes = this.lanes?.();
    if (lanes !== undefined) {
      const r = this.result;
      for (let i = 0; i < r.count; i++) {
        if (((r.flags[i] as number) & WaitFlags.OPEN) === 0) continue;
        const laneEnd = lanes[r.lane[i] as number]?.endNs;
        if (laneEnd !== undefined && laneEnd > (r.end[i] as number)) r.end[i] = laneEnd;
      }
    }
    this.c = columns();
  }

  data(): WaitColumns {
    return ready(this.result, 'WaitsHandler');
  }
}
