/**
 * Chrome Trace Event export (the JSON object form: `{"traceEvents": [...]}`), which Perfetto
 * UI and chrome://tracing open.
 *
 * Mapping: each process is a pid and each thread its OS thread id, named with `M` metadata
 * events; waits and spans are complete (`X`) slices whose args carry the object, the waiting
 * line, the holder and its line; arrows are flow events `s` -> `f`. A flow event binds to the
 * slice around it on its thread, so each unblock arrow starts on a 1 µs "release" slice at the
 * releasing thread and ends just inside the wait it ended. Timestamps are microseconds from
 * the first event of the trace.
 *
 * Written as a stream, in batches that respect the destination's back-pressure: a trace with
 * millions of waits never becomes one string.
 */
import type { Writable } from 'node:stream';
import { WAIT_REASONS, WaitFlags } from '../format/spec';
import type { TraceModel } from '../model/types';

/** Flow ends sit this far (µs) inside their slices so that binding to them is unambiguous. */
const INSIDE_US = 0.001;
const RELEASE_US = 1;

export async function writeChromeTrace(model: TraceModel, out: Writable, opts: { closeStream?: boolean } = {}): Promise<void> {
  let failed: Error | null = null;
  const onError = (e: Error): void => {
    failed = e;
  };
  out.on('error', onError);
  let first = true;
  let batch: string[] = [];
  const write = (chunk: string): Promise<void> => {
    if (failed !== null) throw failed;
    if (out.write(chunk)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        out.off('drain', done);
        out.off('error', fail);
        resolve();
      };
      const fail = (e: Error): void => {
        out.off('drain', done);
        reject(e);
      };
      out.once('drain', done);
      out.once('error', fail);
    });
  };
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const chunk = batch.join('');
    batch = [];
    await write(chunk);
  };
  const emit = async (ev: Record<string, unknown>): Promise<void> => {
    batch.push(`${first ? '' : ',\n'}${JSON.stringify(ev)}`);
    first = false;
    if (batch.length >= 2048) await flush();
  };

  const us = (ns: number): number => Math.round(ns - model.startNs) / 1000;
  const pidOf = (lane: number): number => model.processes[model.lanes[lane]?.process ?? -1]?.pid ?? 0;
  const tidOf = (lane: number): number => {
    const l = model.lanes[lane];
    return l === undefined ? 0 : l.nativeId > 0 ? l.nativeId : l.tid;
  };
  const site = (i: number | null): string | undefined => {
    const s = i !== null && i >= 0 ? model.sites[i] : undefined;
    return s === undefined ? undefined : `${s.file}:${s.line} (${s.func})`;
  };
  const objectLabel = (i: number | null): string | undefined => {
    const o = i !== null && i >= 0 ? model.objects[i] : undefined;
    return o === undefined ? undefined : `${o.kind}${o.name ? ` "${o.name}"` : ''}`;
  };
  const laneName = (i: number): string | undefined => (i >= 0 ? model.lanes[i]?.name : undefined);

  await write(`{"displayTimeUnit":"ms","otherData":${JSON.stringify({ generator: 'weft', formatVersion: model.formatVersion, warnings: model.warnings.length })},"traceEvents":[\n`);
  for (const p of model.processes) {
    await emit({ ph: 'M', name: 'process_name', pid: p.pid, tid: 0, args: { name: `${p.argv.join(' ') || 'python'} (${p.startMethod}, pid ${p.pid})` } });
    await emit({ ph: 'M', name: 'process_sort_index', pid: p.pid, tid: 0, args: { sort_index: p.index } });
  }
  for (const l of model.lanes) {
    await emit({ ph: 'M', name: 'thread_name', pid: pidOf(l.index), tid: tidOf(l.index), args: { name: l.name } });
    await emit({ ph: 'M', name: 'thread_sort_index', pid: pidOf(l.index), tid: tidOf(l.index), args: { sort_index: l.tid } });
  }

  const w = model.waits;
  for (let i = 0; i < w.count; i++) {
    const lane = w.lane[i] as number;
    const object = w.object[i] as number;
    const flags = w.flags[i] as number;
    const reason = WAIT_REASONS[w.reason[i] as number] ?? 'wait';
    const label = objectLabel(object);
    await emit({
      ph: 'X', cat: 'wait', name: `${reason}${label ? ` ${label}` : ''}`, pid: pidOf(lane), tid: tidOf(lane),
      ts: us(w.begin[i] as number), dur: ((w.end[i] as number) - (w.begin[i] as number)) / 1000,
      args: {
        object: label, site: site(w.site[i] as number), holder: laneName(w.holderLane[i] as number),
        holderSite: site(w.holderSite[i] as number), wokenBy: laneName(w.wakerLane[i] as number),
        timedOut: (flags & WaitFlags.TIMED_OUT) !== 0 ? true : undefined,
        openAtExit: (flags & WaitFlags.OPEN) !== 0 ? true : undefined,
      },
    });
  }
  for (const s of model.spans) {
    await emit({
      ph: 'X', cat: s.kind, name: s.label || s.kind, pid: pidOf(s.lane), tid: tidOf(s.lane), ts: us(s.begin),
      dur: (s.end - s.begin) / 1000, args: { site: site(s.site) },
    });
  }
  let id = 0;
  for (const f of model.flows) {
    id++;
    const from = { pid: pidOf(f.fromLane), tid: tidOf(f.fromLane) };
    const to = { pid: pidOf(f.toLane), tid: tidOf(f.toLane) };
    if (f.kind === 'unblock') {
      await emit({ ph: 'X', cat: 'release', name: `release ${objectLabel(f.object) ?? ''}`.trim(), ...from, ts: us(f.fromNs) - RELEASE_US, dur: RELEASE_US });
      await emit({ ph: 's', cat: f.kind, name: f.kind, id, ...from, ts: us(f.fromNs) - RELEASE_US / 2 });
      await emit({ ph: 'f', bp: 'e', cat: f.kind, name: f.kind, id, ...to, ts: us(f.toNs) - INSIDE_US });
    } else {
      await emit({ ph: 's', cat: f.kind, name: f.kind, id, ...from, ts: us(f.fromNs), args: { object: objectLabel(f.object), size: f.size ?? undefined } });
      await emit({ ph: 'f', bp: 'e', cat: f.kind, name: f.kind, id, ...to, ts: us(f.toNs) });
    }
  }
  await flush();
  await write('\n]}\n');
  out.off('error', onError);
  if (opts.closeStream ?? true) {
    await new Promise<void>((resolve, reject) => {
      out.once('error', reject);
      out.end(() => resolve());
    });
  }
}
