/**
 * Work items: multiprocessing Pool tasks (or chunks) and ProcessPoolExecutor calls, one row
 * each, joined across processes from three kinds of records that share a key (format/spec.ts,
 * `L` and `X`):
 *
 * - the `task` flow: `s` when the submitting thread submitted it, `f` when a worker thread
 *   took it (with the size of its pickled arguments);
 * - the worker's `X` span of kind "task" with the same key: the function's run, which names
 *   the function and its `def` line;
 * - the `result` flow ("result:" + the rest of the key): `f` when the result arrived back in
 *   the submitting process (with its size).
 *
 * Every key seen in any of these is one work item, exactly once, whatever arrived: a worker
 * killed mid-task leaves a submit (and maybe a start) without a span, and that item is counted
 * as not completed rather than dropped. When a record repeats (it should not), the earliest
 * one counts. Queue wait = start − submit (time in the pool's queue), run time = end − start.
 *
 * The arrows themselves (submit → start, end → result) are drawn from the flows handler's
 * pairs; this handler only builds the table.
 */
import type { Ns } from '../../format/spec';
import type { ParsedFile } from '../parsed-file';
import type { WorkItem, WorkSpan } from '../types';
import { ready, type FileContext, type ModelHandler } from './handler';

const WORK = 'work:';
const RESULT = 'result:';

/** One end as re-keyed to the model: time, lane (-1 unknown), object, size. */
interface Seen {
  ts: number;
  lane: number;
  object: number | null;
  size: number | null;
}

interface Parts {
  submit: Seen | null;
  start: Seen | null;
  result: Seen | null;
}

/** Keeps the earliest of two ends. */
function earlier(a: Seen | null, b: Seen): Seen {
  return a === null || b.ts < a.ts ? b : a;
}

const lane = (l: number): number | null => (l >= 0 ? l : null);

export class WorkItemsHandler implements ModelHandler<WorkItem[]> {
  /** By work item key ("task:..."), in order of first sight. */
  private parts = new Map<string, Parts>();
  private result: WorkItem[] | null = null;

  constructor(private readonly spans: () => WorkSpan[]) {}

  reset(): void {
    this.parts = new Map();
    this.result = null;
  }

  private get(key: string): Parts {
    let p = this.parts.get(key);
    if (p === undefined) {
      p = { submit: null, start: null, result: null };
      this.parts.set(key, p);
    }
    return p;
  }

  handleFile(f: ParsedFile, ctx: FileContext): void {
    for (const e of f.flowEnds) {
      if (e.kind !== 'work' && e.kind !== 'result') continue;
      const object = e.object === null ? -1 : ctx.objects.get(e.object);
      const seen: Seen = { ts: e.ts, lane: ctx.lanes.get(e.tid), object: object >= 0 ? object : null, size: e.size };
      if (e.kind === 'work') {
        const p = this.get(e.key);
        if (e.phase === 's') p.submit = earlier(p.submit, seen);
        else if (e.phase === 'f') p.start = earlier(p.start, seen);
      } else if (e.phase === 'f' && e.key.startsWith(RESULT)) {
        // The result's key is the task's with another prefix; a result whose key has another
        // form cannot be joined (its arrow is still drawn by the flows handler).
        const p = this.get(WORK + e.key.slice(RESULT.length));
        p.result = earlier(p.result, seen);
      }
    }
  }

  finalize(): void {
    const spans = this.spans();
    // The run of each key: the earliest "work" span that carries it (spans are sorted by begin).
    const runOf = new Map<string, number>();
    spans.forEach((s, i) => {
      if (s.kind !== 'work' || s.key === undefined || runOf.has(s.key)) return;
      runOf.set(s.key, i);
      // A span whose flow ends were all lost is still a work item.
      this.get(s.key);
    });
    const items: WorkItem[] = [];
    for (const [key, p] of this.parts) {
      const spanIndex = runOf.get(key);
      const span = spanIndex === undefined ? undefined : spans[spanIndex];
      const submitNs = p.submit?.ts ?? null;
      // The worker's take and the span's begin are the same moment; the flow end is preferred
      // because it exists even when the function never returned.
      const startNs = p.start?.ts ?? span?.begin ?? null;
      const endNs = span?.end ?? null;
      const workerLane = p.start !== null ? lane(p.start.lane) : span !== undefined ? lane(span.lane) : null;
      items.push({
        key,
        pool: p.submit?.object ?? null,
        submitNs: submitNs as Ns | null,
        submitLane: p.submit === null ? null : lane(p.submit.lane),
        startNs: startNs as Ns | null,
        workerLane,
        endNs: endNs as Ns | null,
        resultNs: (p.result?.ts ?? null) as Ns | null,
        resultLane: p.result === null ? null : lane(p.result.lane),
        span: spanIndex ?? null,
        label: span?.label ?? '',
        site: span?.site ?? null,
        size: p.start?.size ?? null,
        resultSize: p.result?.size ?? null,
        // One clock for every process, so a negative difference is a broken record: clamp it
        // rather than report a negative wait.
        queueWaitNs: submitNs !== null && startNs !== null ? Math.max(0, startNs - submitNs) : null,
        runNs: startNs !== null && endNs !== null ? Math.max(0, endNs - startNs) : null,
        completed: span !== undefined,
      });
    }
    const when = (w: WorkItem): number => w.submitNs ?? w.startNs ?? w.endNs ?? Number.POSITIVE_INFINITY;
    items.sort((a, b) => when(a) - when(b) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    this.parts = new Map();
    this.result = items;
  }

  data(): WorkItem[] {
    return ready(this.result, 'WorkItemsHandler');
  }
}
