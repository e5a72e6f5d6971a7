/**
 * Hotspots: lines of the user's code ranked by sampled time, split into running and waiting.
 *
 * Each sample is charged to the innermost frame of its stack that is the user's code rather
 * than the standard library or the agent (a thread blocked in `threading.py` is charged to
 * the user's line that called `acquire`). Stacks with no user frame at all (a pool's handler
 * threads, multiprocessing's resource tracker) are left out: no line of the user's could be
 * changed for them, and they would crowd out the lines that can.
 * A sample stands for one sampling period of its process: the period actually achieved
 * (first to last tick over the number of ticks) rather than the one asked for, because a busy
 * machine delays the sampler, and then counting the nominal period would under-report.
 */
import { SampleState } from '../../format/spec';
import { isLibraryFile } from '../call-tree';
import type { ParsedFile } from '../parsed-file';
import type { FrameNode, Hotspot, Lane, SampleColumns, SourceSite } from '../types';
import { ready, type FileContext, type ModelHandler } from './handler';

/** True for the Python standard library (not site-packages), pseudo-files and the Weft agent
 * (defined beside the call tree, which folds such frames away). */
export { isLibraryFile };

/** The period a process's samples stand for, in ns; 0 when it did not sample. */
export function effectiveSamplePeriod(f: ParsedFile): number {
  const hz = f.header.sampleHz;
  if (hz <= 0) return 0;
  const nominal = 1e9 / hz;
  const s = f.samples;
  let ticks = 0;
  let first = Infinity;
  let last = -Infinity;
  for (let i = 0; i < s.count; i++) {
    const t = s.ts[i] as number;
    if (i === 0 || t !== s.ts[i - 1]) ticks++;
    if (t < first) first = t;
    if (t > last) last = t;
  }
  if (ticks < 2) return nominal;
  return Math.max(nominal, (last - first) / (ticks - 1));
}

/**
 * A memoised map from a model frame to the site of the innermost frame of its stack that is
 * the user's code (see {@link isLibraryFile}), or -1 when the stack has none. Shared with the
 * loop-blocks handler, which names a block's line by the same rule.
 */
export function userSiteResolver(frames: readonly FrameNode[], sites: readonly SourceSite[]): (frame: number) => number {
  const library = sites.map((site) => isLibraryFile(site.file));
  const userSite = new Int32Array(frames.length).fill(-2);
  return (frame: number): number => {
    if (frame < 0 || frame >= frames.length) return -1;
    const hit = userSite[frame] as number;
    if (hit !== -2) return hit;
    let f = frame;
    let result = -1;
    for (let guard = 0; f >= 0 && guard < 512; guard++) {
      const node = frames[f];
      if (node === undefined) break;
      if (node.site >= 0 && library[node.site] === false) {
        result = node.site;
        break;
      }
      f = node.parent;
    }
    userSite[frame] = result;
    return result;
  };
}

export class HotspotsHandler implements ModelHandler<Hotspot[]> {
  private period: number[] = [];
  private result: Hotspot[] | null = null;

  constructor(
    private readonly samples: () => SampleColumns,
    private readonly lanes: () => Lane[],
    private readonly frames: () => FrameNode[],
    private readonly sites: () => SourceSite[],
  ) {}

  reset(): void {
    this.period = [];
    this.result = null;
  }

  handleFile(f: ParsedFile, ctx: FileContext): void {
    this.period[ctx.process] = effectiveSamplePeriod(f);
  }

  finalize(): void {
    const s = this.samples();
    const lanes = this.lanes();
    const frames = this.frames();
    const sites = this.sites();
    const resolve = userSiteResolver(frames, sites);
    const acc = new Map<number, Hotspot>();
    for (let i = 0; i < s.count; i++) {
      const frame = s.frame[i] as number;
      if (frame < 0 || frame >= frames.length) continue;
      const site = resolve(frame);
      if (site < 0) continue;
      const lane = lanes[s.lane[i] as number];
      const period = lane === undefined ? 0 : (this.period[lane.process] ?? 0);
      let h = acc.get(site);
      if (h === undefined) {
        h = { site, cpuNs: 0, waitNs: 0, samples: 0 };
        acc.set(site, h);
      }
      h.samples++;
      if (s.state[i] === SampleState.WAITING) h.waitNs += period;
      else h.cpuNs += period;
    }
    this.result = [...acc.values()].sort((a, b) => b.cpuNs + b.waitNs - (a.cpuNs + a.waitNs) || a.site - b.site);
  }

  data(): Hotspot[] {
    return ready(this.result, 'HotspotsHandler');
  }
}
