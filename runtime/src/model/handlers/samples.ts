/**
 * Samples: every file's `K` rows, re-keyed to lanes and model frames, sorted by time, with
 * the leaf site of each stack and the CPU clock read with it.
 */
import { F64Column, I32Column, U8Column, permuteF64, permuteI32, permuteU8, sortOrderOrNull } from '../columns';
import type { ParsedFile } from '../parsed-file';
import type { FrameNode, SampleColumns } from '../types';
import { ready, type FileContext, type ModelHandler } from './handler';

function columns() {
  return { ts: new F64Column(), lane: new I32Column(), frame: new I32Column(), state: new U8Column(), cpu: new F64Column() };
}

export class SamplesHandler implements ModelHandler<SampleColumns> {
  private c = columns();
  private result: SampleColumns | null = null;

  /** `frames` gives the model's frame table once interning is finalized. */
  constructor(private readonly frames: () => FrameNode[]) {}

  reset(): void {
    this.c = columns();
    this.result = null;
  }

  handleFile(f: ParsedFile, ctx: FileContext): void {
    const s = f.samples;
    const c = this.c;
    const at = c.ts.length;
    const n = at + s.count;
    // Exact sizes when this is the only file: finish() then hands the arrays over uncopied.
    for (const col of Object.values(c)) col.grow(n, at === 0);
    const ts = c.ts.data;
    const lane = c.lane.data;
    const frame = c.frame.data;
    const state = c.state.data;
    const cpu = c.cpu.data;
    for (let i = 0; i < s.count; i++) {
      const j = at + i;
      ts[j] = s.ts[i] as number;
      lane[j] = ctx.lanes.get(s.tid[i] as number);
      frame[j] = ctx.frames.get(s.frame[i] as number);
      state[j] = s.state[i] as number;
      cpu[j] = s.cpu[i] as number;
    }
    for (const col of Object.values(c)) col.length = n;
  }

  finalize(): void {
    const c = this.c;
    const ts = c.ts.finish();
    const order = sortOrderOrNull(ts);
    const frame = permuteI32(c.frame.finish(), order);
    const frames = this.frames();
    const site = new Int32Array(frame.length);
    for (let i = 0; i < frame.length; i++) {
      const fr = frame[i] as number;
      site[i] = fr >= 0 ? (frames[fr]?.site ?? -1) : -1;
    }
    this.result = {
      count: ts.length, ts: permuteF64(ts, order), lane: permuteI32(c.lane.finish(), order), site, frame,
      state: permuteU8(c.state.finish(), order), cpu: permuteF64(c.cpu.finish(), order),
    };
    this.c = columns();
  }

  data(): SampleColumns {
    return ready(this.result, 'SamplesHandler');
  }
}
