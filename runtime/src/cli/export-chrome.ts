/**
 * Chrome Trace Event export (the JSON object form: `{"traceEvents": [...]}`), which Perfetto
 * UI and chrome://tracing open.
 *
 * Mapping: each process is a pid and each thread its OS thread id, named with `M` metadata
 * events; waits and spans are complete (`X`) slices whose args carry the object, the waiting
 * line, the holder and its line (for a work item's run, cat "work": its key, queue wait, run
 * time and sizes); arrows are flow events `s` -> `f`. A flow event binds to the slice around
 * it on its thread, so each unblock arrow starts on a 1 µs "release" slice at the releasing
 * thread and ends just inside the wait it ended. Other arrows (work items submitted and taken,
 * results, messages through multiprocessing queues and pipes, process starts; across
 * processes) start on a 1 µs slice that ends at the sending moment ("submit square",
 * "put \"events\"") and end just inside the work item's run when they lead to one, else on a
 * 1 µs slice that begins at the receiving moment ("get \"events\""). Timestamps are
 * microseconds from the first event of the trace.
 *
 * Written as a stream, in batches that respect the destination's back-pressure: a trace with
 * millions of waits never becomes one string.
 */
import type { Writable } from 'node:stream';
import { WAIT_REASONS, WaitFlags } from '../format/spec';
import type { Flow, TraceModel, WorkItem } from '../model/types';

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
  // Work items by their run's span, by where a worker took them and by where their result
  // left: the span args and the flow ends' names come from them.
  const itemOfSpan = new Map<number, WorkItem>();
  const itemAt = new Map<string, WorkItem>();
  for (const w of model.workItems ?? []) {
    if (w.span !== null) itemOfSpan.set(w.span, w);
    if (w.workerLane !== null && w.startNs !== null) itemAt.set(`take ${w.workerLane} ${w.startNs}`, w);
    if (w.workerLane !== null && w.endNs !== null) itemAt.set(`return ${w.workerLane} ${w.endNs}`, w);
  }
  const ms = (ns: number | null): number | undefined => (ns === null ? undefined : Math.round(ns / 1e3) / 1e3);
  for (const [i, s] of model.spans.entries()) {
    const item = itemOfSpan.get(i);
    const work = item === undefined ? {} : {
      key: item.key, queueWaitMs: ms(item.queueWaitNs), runMs: ms(item.runNs), argumentBytes: item.size ?? undefined,
      resultBytes: item.resultSize ?? undefined, submittedBy: laneName(item.submitLane ?? -1),
    };
    await emit({
      ph: 'X', cat: s.kind, name: s.label || s.kind, pid: pidOf(s.lane), tid: tidOf(s.lane), ts: us(s.begin),
      dur: (s.end - s.begin) / 1000, args: { site: site(s.site), ...work },
    });
  }
  // asyncio: each task step is a slice on its task's track (when its coroutine ran), each
  // loop block a slice on the loop thread's track with the line that was running.
  const steps = model.taskSteps;
  const coroutineOf = new Map((model.tasks ?? []).map((t) => [t.lane, t.coroutine]));
  for (let i = 0; i < (steps?.count ?? 0); i++) {
    const lane = steps?.lane[i] as number;
    const begin = steps?.begin[i] as number;
    await emit({
      ph: 'X', cat: 'step', name: coroutineOf.get(lane) || 'step', pid: pidOf(lane), tid: tidOf(lane), ts: us(begin),
      dur: ((steps?.end[i] as number) - begin) / 1000,
    });
  }
  for (const b of model.loopBlocks ?? []) {
    await emit({
      ph: 'X', cat: 'loop_block', name: 'event loop blocked', pid: pidOf(b.loopLane), tid: tidOf(b.loopLane), ts: us(b.begin), dur: b.durationNs / 1000,
      args: {
        task: b.taskLane === null ? undefined : laneName(b.taskLane), site: site(b.site), siteSource: b.siteSource ?? undefined,
        delayed: b.delayedLanes.length, delayedTasks: b.delayedLanes.slice(0, 20).map((l) => laneName(l) ?? ''),
      },
    });
  }
  /** The two ends' slice names of a flow other than unblock. */
  const endNames = (f: Flow): [string, string] => {
    const obj = f.object !== null ? model.objects[f.object] : undefined;
    const what = obj === undefined ? '' : obj.name ? ` "${obj.name}"` : ` ${obj.kind}`;
    switch (f.kind) {
      case 'work': {
        const label = itemAt.get(`take ${f.toLane} ${f.toNs}`)?.label || 'work item';
        return [`submit ${label}`, `take ${label}`];
      }
      case 'result': {
        const label = itemAt.get(`return ${f.fromLane} ${f.fromNs}`)?.label || 'work item';
        return [`return ${label}`, `result of ${label}`];
      }
      case 'queue': return [`put${what}`, `get${what}`];
      case 'pipe': return [`send${what}`, `recv${what}`];
      case 'spawn': return [`start process ${pidOf(f.toLane)}`, 'process start'];
      default: return [`${f.kind} out`, `${f.kind} in`];
    }
  };
  // Where a work item's run begins, so that the arrow that starts it ends inside the run.
  const runBegins = new Set<string>();
  for (const s of model.spans) if (s.kind === 'work' && s.end - s.begin > 2 * INSIDE_US * 1000) runBegins.add(`${s.lane} ${s.begin}`);
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
      const [out, into] = endNames(f);
      const args = { object: objectLabel(f.object), size: f.size ?? undefined };
      await emit({ ph: 'X', cat: f.kind, name: out, ...from, ts: us(f.fromNs) - RELEASE_US, dur: RELEASE_US, args });
      await emit({ ph: 's', cat: f.kind, name: f.kind, id, ...from, ts: us(f.fromNs) - RELEASE_US / 2, args });
      if (f.kind === 'work' && runBegins.has(`${f.toLane} ${f.toNs}`)) {
        await emit({ ph: 'f', bp: 'e', cat: f.kind, name: f.kind, id, ...to, ts: us(f.toNs) + INSIDE_US });
      } else {
        await emit({ ph: 'X', cat: f.kind, name: into, ...to, ts: us(f.toNs), dur: RELEASE_US, args });
        await emit({ ph: 'f', bp: 'e', cat: f.kind, name: f.kind, id, ...to, ts: us(f.toNs) + RELEASE_US / 2 });
      }
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
