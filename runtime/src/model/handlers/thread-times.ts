/**
 * Per-thread time split: wall time alive = CPU + waiting (by reason) + the rest.
 *
 * CPU comes from the thread's own CPU clock (`C` records). A thread started under the agent
 * has a clock that began near zero at its creation; a thread that existed before the agent
 * (the main thread) had already spent interpreter start-up, so only the CPU time after the
 * first reading counts for it. Waits are merged per lane before summing, so overlapping
 * records never count twice, and clipped to the thread's life.
 *
 * The rest, wall - CPU - waits, is time the thread was runnable but not running: on CPython
 * with the GIL, mostly waiting for the GIL; also blocking native calls Weft does not record.
 * It is an estimate and is labelled so everywhere it is shown.
 */
import { WAIT_REASONS, type WaitReason } from '../../format/spec';
import type { ParsedFile } from '../parsed-file';
import type { Lane, ThreadTime, WaitColumns } from '../types';
import { ready, type FileContext, type ModelHandler } from './handler';

export class ThreadTimesHandler implements ModelHandler<ThreadTime[]> {
  /** CPU time per lane index, from its clock readings. */
  private cpu = new Map<number, number>();
  private result: ThreadTime[] | null = null;

  constructor(private readonly lanes: () => Lane[], private readonly waits: () => WaitColumns) {}

  reset(): void {
    this.cpu = new Map();
    this.result = null;
  }

  handleFile(f: ParsedFile, ctx: FileContext): void {
    const startedBefore = new Set(f.lanes.filter((t) => t.id === 1 || t.startNs <= f.header.startNs).map((t) => t.id));
    for (const r of f.cpu) {
      const lane = ctx.lanes.get(r.tid);
      if (lane < 0) continue;
      if (startedBefore.has(r.tid)) {
        // One reading of such a thread says nothing about its CPU time in the trace.
        if (r.readings >= 2) this.cpu.set(lane, Math.max(0, r.lastNs - r.firstNs));
      } else {
        this.cpu.set(lane, Math.max(0, r.lastNs));
      }
    }
  }

  finalize(): void {
    const lanes = this.lanes();
    const w = this.waits();
    const reasons = lanes.map(() => new Float64Array(WAIT_REASONS.length));
    const total = new Float64Array(lanes.length);
    const lastEnd = new Float64Array(lanes.length).fill(-Infinity);
    for (let i = 0; i < w.count; i++) {
      const l = w.lane[i] as number;
      const lane = lanes[l];
      if (lane === undefined) continue;
      const b = Math.max(w.begin[i] as number, lastEnd[l] as number, lane.startNs);
      const e = Math.min(w.end[i] as number, lane.endNs);
      if (e <= b) continue;
      const r = reasons[l] as Float64Array;
      const reason = w.reason[i] as number;
      r[reason] = (r[reason] as number) + (e - b);
      total[l] = (total[l] as number) + (e - b);
      lastEnd[l] = e;
    }
    this.result = lanes.map((lane, i) => {
      const wallNs = Math.max(0, lane.endNs - lane.startNs);
      // CPU clocks (and so the GIL estimate) exist for thread lanes only.
      const measured = lane.kind === 'thread' ? this.cpu.get(i) : undefined;
      const cpuNs = measured === undefined ? null : Math.min(wallNs, measured);
      const waitNs: Partial<Record<WaitReason, number>> = {};
      (reasons[i] as Float64Array).forEach((ns, r) => {
        if (ns > 0) waitNs[WAIT_REASONS[r] as WaitReason] = ns;
      });
      const waited = total[i] as number;
      const gilWaitEstimateNs = cpuNs === null ? null : Math.max(0, wallNs - cpuNs - waited);
      return { lane: i, wallNs, cpuNs, waitNs, gilWaitEstimateNs };
    });
    this.cpu = new Map();
  }

  data(): ThreadTime[] {
    return ready(this.result, 'ThreadTimesHandler');
  }
}
