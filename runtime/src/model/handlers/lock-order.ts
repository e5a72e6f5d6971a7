/**
 * Lock-order inversions (`I` records, written by the agent's opt-in lock-order mode): two
 * locks that two lanes took in opposite orders, each while holding the other one, whether or
 * not the run hung. Re-keyed to model indexes; one per record (the agent writes one per pair of
 * locks and process). A lock shared between processes (one model object) keeps the record of
 * each process that saw the inversion.
 */
import type { ParsedFile } from '../parsed-file';
import type { LockOrderInversion } from '../types';
import { ready, type FileContext, type ModelHandler } from './handler';

export class LockOrderHandler implements ModelHandler<LockOrderInversion[]> {
  private rows: LockOrderInversion[] = [];
  private result: LockOrderInversion[] | null = null;

  reset(): void {
    this.rows = [];
    this.result = null;
  }

  handleFile(f: ParsedFile, ctx: FileContext): void {
    const id = (map: { get(id: number): number }, v: number | null): number | null => {
      if (v === null || v <= 0) return null;
      const i = map.get(v);
      return i >= 0 ? i : null;
    };
    for (const r of f.lockOrders ?? []) {
      this.rows.push({
        process: ctx.process, detectedNs: r.ts as LockOrderInversion['detectedNs'],
        first: id(ctx.objects, r.first), second: id(ctx.objects, r.second),
        lane: id(ctx.lanes, r.lane), firstSite: id(ctx.sites, r.firstSite), secondSite: id(ctx.sites, r.secondSite),
        otherLane: id(ctx.lanes, r.otherLane), otherFirstSite: id(ctx.sites, r.otherFirstSite), otherSecondSite: id(ctx.sites, r.otherSecondSite),
      });
    }
  }

  finalize(): void {
    this.result = this.rows.sort((a, b) => a.process - b.process || a.detectedNs - b.detectedNs);
    this.rows = [];
  }

  data(): LockOrderInversion[] {
    return ready(this.result, 'LockOrderHandler');
  }
}
