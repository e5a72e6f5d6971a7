/**
 * speedscope export of the stack samples (https://www.speedscope.app; format:
 * https://www.speedscope.app/file-format-schema.json, from speedscope's
 * src/lib/file-format-spec.ts): one "sampled" profile per lane that has samples (a thread, an
 * asyncio task, a greenlet), sharing one frame table, so speedscope shows a flame graph, a
 * "left heavy" view and a sandwich view per thread or task.
 *
 * A frame is a source site (function, file, line of the frame's current line): speedscope
 * merges samples by frame index, so two lines of one function are two frames, as in the
 * hotspots view. Stacks are written root first, as the format requires. A sample taken while
 * its lane was in a recorded wait (state WAITING) ends in a "(waiting)" frame, so blocked time
 * is visible beside running time instead of looking like CPU work; a sample with no Python
 * frame is "(no Python frame)". Each sample weighs the period its lane was sampled at: first
 * to last sample over the number of ticks, at least the nominal period (the summary's hotspots
 * use the same achieved period, per process), in nanoseconds.
 *
 * Written as a stream: the frame table first, then each profile's samples in batches.
 */
import type { Writable } from 'node:stream';
import { SampleState } from '../format/spec';
import type { TraceModel } from '../model/types';
import { ByteSink } from './sink';

export const SPEEDSCOPE_SCHEMA = 'https://www.speedscope.app/file-format-schema.json';

export interface SpeedscopeStats {
  bytes: number;
  profiles: number;
  samples: number;
  frames: number;
}

export async function writeSpeedscope(model: TraceModel, out: Writable, opts: { closeStream?: boolean; name?: string; exporter?: string } = {}): Promise<SpeedscopeStats> {
  const sink = new ByteSink(out);
  const s = model.samples;
  const frames = model.frames;
  // Frame table: one entry per site that a sampled stack reaches, plus the two markers.
  const frameOfSite = new Int32Array(model.sites.length).fill(-1);
  const table: { name: string; file?: string; line?: number }[] = [];
  const WAITING = table.push({ name: '(waiting)' }) - 1;
  const NO_FRAME = table.push({ name: '(no Python frame)' }) - 1;
  /** Root-first stack of a model frame node as a JSON list body ("3,7,9"), memoised. */
  const stackText = new Map<number, string>();
  const stackOf = (node: number): string => {
    const hit = stackText.get(node);
    if (hit !== undefined) return hit;
    const ids: number[] = [];
    for (let f = node, guard = 0; f >= 0 && guard < 4096; guard++) {
      const n = frames[f];
      if (n === undefined) break;
      const site = model.sites[n.site];
      if (site !== undefined) {
        let id = frameOfSite[n.site] as number;
        if (id < 0) {
          id = table.push({ name: site.func || '(unknown)', file: site.file, line: site.line }) - 1;
          frameOfSite[n.site] = id;
        }
        ids.push(id);
      }
      f = n.parent;
    }
    const text = ids.reverse().join(',');
    stackText.set(node, text);
    return text;
  };
  // Samples per lane, in time order (the columns are sorted by ts).
  const perLane = new Map<number, number[]>();
  for (let i = 0; i < s.count; i++) {
    const lane = s.lane[i] as number;
    if (model.lanes[lane] === undefined) continue;
    let list = perLane.get(lane);
    if (list === undefined) perLane.set(lane, (list = []));
    list.push(i);
    stackOf(s.frame[i] as number);
  }
  const lanes = [...perLane.keys()].sort((a, b) => {
    const la = model.lanes[a];
    const lb = model.lanes[b];
    return (la?.process ?? 0) - (lb?.process ?? 0) || a - b;
  });

  const name = opts.name ?? (model.processes[0]?.argv.join(' ') || 'weft trace');
  await sink.text(`{"$schema":${JSON.stringify(SPEEDSCOPE_SCHEMA)},"name":${JSON.stringify(name)},"exporter":${JSON.stringify(opts.exporter ?? 'weft')},"activeProfileIndex":0,"shared":{"frames":[`);
  for (let k = 0; k < table.length; k += 1000) {
    await sink.text(`${k > 0 ? ',' : ''}${table.slice(k, k + 1000).map((f) => JSON.stringify(f)).join(',')}`);
  }
  await sink.text(']},"profiles":[');
  const t0 = model.startNs;
  let samples = 0;
  for (const [p, lane] of lanes.entries()) {
    const idx = perLane.get(lane) as number[];
    const l = model.lanes[lane];
    const proc = model.processes[l?.process ?? -1];
    const hz = proc?.sampleHz ?? 0;
    const nominal = hz > 0 ? 1e9 / hz : 1e7;
    const first = s.ts[idx[0] as number] as number;
    const last = s.ts[idx[idx.length - 1] as number] as number;
    const period = Math.round(idx.length > 1 ? Math.max(nominal, (last - first) / (idx.length - 1)) : nominal);
    const kind = l?.kind === 'thread' ? 'thread' : (l?.kind ?? 'lane');
    const profileName = `${l?.name ?? lane} (${kind}, pid ${proc?.pid ?? '?'})`;
    await sink.text(`${p > 0 ? ',' : ''}{"type":"sampled","name":${JSON.stringify(profileName)},"unit":"nanoseconds","startValue":${Math.round(first - t0)},"endValue":${Math.round(last - t0 + period)},"samples":[`);
    for (let k = 0; k < idx.length; k += 4096) {
      const parts: string[] = [];
      for (const i of idx.slice(k, k + 4096)) {
        const node = s.frame[i] as number;
        let body = stackOf(node);
        if (body === '') body = String(NO_FRAME);
        if ((s.state[i] as number) === SampleState.WAITING) body = `${body},${WAITING}`;
        parts.push(`[${body}]`);
      }
      await sink.text(`${k > 0 ? ',' : ''}${parts.join(',')}`);
    }
    await sink.text('],"weights":[');
    const weight = String(period);
    for (let k = 0; k < idx.length; k += 16384) {
      const n = Math.min(16384, idx.length - k);
      await sink.text(`${k > 0 ? ',' : ''}${new Array<string>(n).fill(weight).join(',')}`);
    }
    await sink.text(']}');
    samples += idx.length;
  }
  await sink.text(']}\n');
  await sink.finish(opts.closeStream ?? true);
  return { bytes: sink.bytes, profiles: lanes.length, samples, frames: table.length };
}
