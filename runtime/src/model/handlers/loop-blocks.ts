/**
 * Event-loop blocks (`B` records): a step or callback that ran longer than the agent's
 * threshold on a loop thread, with the line that was running.
 *
 * The agent cannot see the line while the block runs (the loop thread is busy running it), so
 * the model finds it afterwards from what else was recorded inside [begin, end]:
 * - waits of the loop thread, or of the blocking task itself (a task's own awaits lie between
 *   its steps, so a wait inside its step is a blocking call such as time.sleep or a threading
 *   lock): when they cover at least half of the block, the longest one's line is the site
 *   (exact: the agent recorded the call), `siteSource` "wait";
 * - otherwise the thread's (and the task's) samples within it: the user line most of them show
 *   innermost (library frames skipped, as for hotspots), `siteSource` "samples";
 * - otherwise null (sampling off and nothing recorded).
 * Other tasks' waits are never used: they were awaiting while this one blocked.
 */
import type { Ns } from '../../format/spec';
import type { ParsedFile } from '../parsed-file';
import type { FrameNode, LoopBlock, SampleColumns, SourceSite, WaitColumns } from '../types';
import { ready, type FileContext, type ModelHandler } from './handler';
import { userSiteResolver } from './hotspots';

/** Waits must cover this share of a block for the longest one to name its line. */
export const WAIT_COVERAGE = 0.5;

export class LoopBlocksHandler implements ModelHandler<LoopBlock[]> {
  private blocks: LoopBlock[] = [];
  private result: LoopBlock[] | null = null;

  constructor(
    private readonly waits: () => WaitColumns,
    private readonly samples: () => SampleColumns,
    private readonly frames: () => FrameNode[],
    private readonly sites: () => SourceSite[],
  ) {}

  reset(): void {
    this.blocks = [];
    this.result = null;
  }

  handleFile(f: ParsedFile, ctx: FileContext): void {
    for (const b of f.loopBlocks ?? []) {
      const loopLane = ctx.lanes.get(b.tid);
      if (loopLane < 0) continue;
      const task = b.task === null ? -1 : ctx.lanes.get(b.task);
      // In the agent's order, each lane once (a Set: a hostile file may list a million).
      const delayed = [...new Set(b.delayed.map((id) => ctx.lanes.get(id)).filter((l) => l >= 0))];
      this.blocks.push({
        loopLane, taskLane: task >= 0 ? task : null, begin: b.begin as Ns, end: b.end as Ns, durationNs: b.end - b.begin,
        site: null, siteSource: null, delayedLanes: delayed,
      });
    }
  }

  finalize(): void {
    const blocks = this.blocks.sort((a, b) => a.begin - b.begin || a.loopLane - b.loopLane);
    this.blocks = [];
    if (blocks.length > 0) {
      const relevant = new Set<number>();
      for (const b of blocks) {
        relevant.add(b.loopLane);
        if (b.taskLane !== null) relevant.add(b.taskLane);
      }
      const waitsOf = indexByLane(this.waits().lane, this.waits().count, relevant);
      const samplesOf = indexByLane(this.samples().lane, this.samples().count, relevant);
      const resolve = userSiteResolver(this.frames(), this.sites());
      for (const b of blocks) this.nameSite(b, waitsOf, samplesOf, resolve);
    }
    this.result = blocks;
  }

  private nameSite(
    b: LoopBlock, waitsOf: Map<number, number[]>, samplesOf: Map<number, number[]>, resolve: (frame: number) => number,
  ): void {
    const w = this.waits();
    const lanes = b.taskLane === null || b.taskLane === b.loopLane ? [b.loopLane] : [b.loopLane, b.taskLane];
    // Waits clipped to the block, merged for the coverage (a task's wait and its thread's
    // can be the same call recorded twice, so overlaps count once).
    const clipped: { begin: number; end: number; site: number }[] = [];
    for (const lane of lanes) {
      for (const i of waitsOf.get(lane) ?? []) {
        const begin = Math.max(w.begin[i] as number, b.begin);
        const end = Math.min(w.end[i] as number, b.end);
        if (end > begin) clipped.push({ begin, end, site: w.site[i] as number });
      }
    }
    clipped.sort((x, y) => x.begin - y.begin);
    let covered = 0;
    let curBegin = 0;
    let curEnd = -Infinity;
    let longest: { begin: number; end: number; site: number } | null = null;
    for (const c of clipped) {
      if (c.begin > curEnd) {
        if (curEnd > curBegin) covered += curEnd - curBegin;
        curBegin = c.begin;
        curEnd = c.end;
      } else if (c.end > curEnd) curEnd = c.end;
      if (c.site >= 0 && (longest === null || c.end - c.begin > longest.end - longest.begin)) longest = c;
    }
    if (curEnd > curBegin) covered += curEnd - curBegin;
    if (longest !== null && b.durationNs > 0 && covered >= WAIT_COVERAGE * b.durationNs) {
      b.site = longest.site;
      b.siteSource = 'wait';
      return;
    }
    const s = this.samples();
    const counts = new Map<number, number>();
    for (const lane of lanes) {
      for (const i of samplesOf.get(lane) ?? []) {
        const t = s.ts[i] as number;
        if (t < b.begin || t > b.end) continue;
        const site = resolve(s.frame[i] as number);
        if (site >= 0) counts.set(site, (counts.get(site) ?? 0) + 1);
      }
    }
    let best = -1;
    let bestCount = 0;
    for (const [site, n] of counts) {
      if (n > bestCount || (n === bestCount && site < best)) {
        best = site;
        bestCount = n;
      }
    }
    if (best >= 0) {
      b.site = best;
      b.siteSource = 'samples';
    }
  }

  data(): LoopBlock[] {
    return ready(this.result, 'LoopBlocksHandler');
  }
}

/** Row indexes of `lane` values in `wanted`, per lane, in row order (one pass). */
function indexByLane(lane: Int32Array, count: number, wanted: ReadonlySet<number>): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (let i = 0; i < count; i++) {
    const l = lane[i] as number;
    if (!wanted.has(l)) continue;
    let list = out.get(l);
    if (list === undefined) out.set(l, (list = []));
    list.push(i);
  }
  return out;
}
