/**
 * Chrome Trace Event JSON export (object form, microsecond timestamps), written as a stream
 * so that a large trace never becomes one giant string. Waits and spans are `X` slices, thread
 * and process names are `M` metadata, unblock arrows are `s`/`f` flow events.
 */
import type { Writable } from 'node:stream';
import { WAIT_REASONS } from '../format/spec';
import type { TraceModel } from '../model/types';

export async function writeChromeTrace(model: TraceModel, out: Writable): Promise<void> {
  let first = true;
  let pending: string[] = [];
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const chunk = pending.join('');
    pending = [];
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  };
  const emit = async (ev: object): Promise<void> => {
    pending.push((first ? '' : ',\n') + JSON.stringify(ev));
    first = false;
    if (pending.length >= 4096) await flush();
  };
  const us = (ns: number): number => (ns - model.startNs) / 1000;
  const pidOf = (lane: number): number => model.processes[model.lanes[lane]?.process ?? 0]?.pid ?? 0;
  const tidOf = (lane: number): number => model.lanes[lane]?.nativeId || model.lanes[lane]?.tid || lane;
  const site = (i: number): string | undefined => {
    const s = i >= 0 ? model.sites[i] : undefined;
    return s ? `${s.file}:${s.line}` : undefined;
  };

  out.write('{"displayTimeUnit":"ms","otherData":{"generator":"weft"},"traceEvents":[\n');
  for (const p of model.processes) {
    await emit({ ph: 'M', name: 'process_name', pid: p.pid, tid: 0, args: { name: `${p.argv.join(' ')} (${p.startMethod})` } });
  }
  for (const l of model.lanes) {
    await emit({ ph: 'M', name: 'thread_name', pid: pidOf(l.index), tid: tidOf(l.index), args: { name: l.name } });
  }
  const w = model.waits;
  for (let i = 0; i < w.count; i++) {
    const lane = w.lane[i] as number;
    const obj = model.objects[w.object[i] as number];
    const reason = WAIT_REASONS[w.reason[i] as number] ?? 'wait';
    const holder = w.holderLane[i] as number;
    await emit({
      ph: 'X', cat: 'wait', name: `wait ${reason}${obj?.name ? ` ${obj.name}` : ''}`,
      pid: pidOf(lane), tid: tidOf(lane), ts: us(w.begin[i] as number),
      dur: ((w.end[i] as number) - (w.begin[i] as number)) / 1000,
      args: {
        object: obj ? `${obj.kind} ${obj.name}` : undefined, site: site(w.site[i] as number),
        holder: holder >= 0 ? model.lanes[holder]?.name : undefined, holderSite: site(w.holderSite[i] as number),
      },
    });
  }
  for (const s of model.spans) {
    await emit({ ph: 'X', cat: s.kind, name: s.label, pid: pidOf(s.lane), tid: tidOf(s.lane), ts: us(s.begin), dur: (s.end - s.begin) / 1000 });
  }
  let id = 0;
  for (const f of model.flows) {
    id++;
    await emit({ ph: 's', cat: f.kind, name: f.kind, id, pid: pidOf(f.fromLane), tid: tidOf(f.fromLane), ts: us(f.fromNs) });
    await emit({ ph: 'f', bp: 'e', cat: f.kind, name: f.kind, id, pid: pidOf(f.toLane), tid: tidOf(f.toLane), ts: us(f.toNs) });
  }
  await flush();
  await new Promise<void>((resolve, reject) => {
    out.end('\n]}\n', () => resolve());
    out.once('error', reject);
  });
}
