/**
 * The pure half of the hotspots language server: Summary → per-line facts, and the lens
 * titles, hover tables and diagnostics made from them. Uses the hand-written `contention`
 * fixture through the real reader, model and summary (its numbers are worked out in
 * test/fixtures/README.md), and a hand-made Summary for the cases the fixture lacks.
 */
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTrace } from '../../../runtime/src/model/build-model';
import type { LockSummary, Summary } from '../../../runtime/src/summary/schema';
import { buildSummary } from '../../../runtime/src/summary/summary';
import {
  diagnosticOf, diagnosticsOf, gpuStallLens, hoverMarkdown, lensTitle, lensTitles, lineFactsFromSummary, loopBlockDiagnosticOf, lspLine, resolveTraceFile,
  type LineFacts,
} from '../../../extension/src/server/hotspots';
import { loadViewData } from '../../../extension/src/trace-loader';

const FIX = path.resolve(__dirname, '..', '..', 'fixtures');
let facts: LineFacts[];
const line = (n: number): LineFacts => {
  const f = facts.find((x) => x.line === n);
  if (!f) throw new Error(`no facts for line ${n}`);
  return f;
};

beforeAll(async () => {
  facts = lineFactsFromSummary(buildSummary(await loadTrace(path.join(FIX, 'contention'))), '/w');
});

describe('lineFactsFromSummary on the contention fixture', () => {
  it('finds the wait, hold, creation and sampled lines of prog.py, with absolute paths', () => {
    expect(facts.map((f) => `${f.file}:${f.line}`)).toEqual(['/w/prog.py:5', '/w/prog.py:10', '/w/prog.py:12']);
  });

  it('sums a line\'s waits over its threads, keeps the object\'s p95 and max, and its holders', () => {
    const f = line(10);
    expect(f.waits).toHaveLength(1);
    expect(f.waits[0]).toMatchObject({ object: 'lock', kind: 'lock', waits: 3, waitMs: 350, objectP95Ms: 150, objectMaxMs: 150, lineIsOnlySite: true });
    expect(f.waits[0]?.holders.map((h) => [h.thread, h.line, h.waits])).toEqual([['worker-a', 10, 2], ['worker-b', 10, 1]]);
    expect(f.holds).toEqual([{ object: 'lock', kind: 'lock', waits: 3, waitMs: 350, threads: ['worker-a', 'worker-b'] }]);
    expect(f.cpu).toEqual({ func: 'work', samples: 5, cpuMs: 0, waitMs: 50 });
    expect(f.runMs).toBe(700);
  });

  it('records creation sites of contended objects', () => {
    expect(line(5).created.map((c) => [c.object, c.contentions, c.waitMs])).toEqual([['lock', 3, 350], ['cond', 2, 20]]);
    expect(line(5).waits).toEqual([]);
  });

  it('LSP lines are 0-based, trace lines 1-based', () => {
    expect(lspLine(line(10))).toBe(9);
    expect(lspLine(line(5))).toBe(4);
  });
});

describe('formatting', () => {
  it('a wait site\'s lens names the object, count, blocked time, p95 and the top holder\'s line', () => {
    expect(lensTitle(line(10), '/w')).toBe('Weft: 3 waits on lock · 350 ms blocked · p95 150 ms · held at prog.py:10');
    expect(lensTitle(line(12), '/w')).toBe('Weft: 2 waits on cond · 20.0 ms blocked · p95 10.0 ms · held at prog.py:12');
    expect(lensTitle(line(5), '/w')).toBe('Weft: lock (lock) created here · 3 waits · 350 ms blocked · p95 150 ms');
  });

  it('the hover has one row per object, the top holders, and the samples', () => {
    const md = hoverMarkdown(line(10), '/w');
    expect(md).toContain('| object | waits | total | p95 | max |');
    expect(md).toContain('| lock (lock) | 3 | 350 ms | 150 ms | 150 ms |');
    expect(md).toContain('| lock | worker-a | prog.py:10 | 2 | 250 ms |');
    expect(md).toContain('| lock | worker-b | prog.py:10 | 1 | 100 ms |');
    expect(md).toContain('CPU hotspot in `work`: 5 samples');
  });

  it('diagnostics: warning at >= 10% of the run, information below, none for creation-only lines', () => {
    expect(diagnosticOf(line(10))).toEqual({
      line: 9, severity: 'warning', source: 'weft', message: 'Threads blocked 350 ms here waiting on lock (50% of the run)',
    });
    expect(diagnosticOf(line(12))).toMatchObject({ line: 11, severity: 'information', message: 'Threads blocked 20.0 ms here waiting on cond (2.9% of the run)' });
    expect(diagnosticOf(line(5))).toBeNull();
  });
});

describe('hand-made summary', () => {
  const lock = (over: Partial<LockSummary>): LockSummary => ({
    kind: 'lock', name: 'bank_lock', pid: 1, site: { file: 'bank.py', line: 3, func: '<module>' }, acquisitions: 1000,
    contentions: 458, waitMs: 2100, maxWaitMs: 40, p50WaitMs: 4, p95WaitMs: 23.6, contendedHoldMs: 1900,
    holders: [{ thread: 'teller-1', site: { file: 'bank.py', line: 42, func: 'transfer' }, waits: 458, waitMs: 2100 }],
    waiters: [
      { thread: 'teller-2', site: { file: 'bank.py', line: 40, func: 'transfer' }, waits: 400, waitMs: 1900 },
      { thread: 'teller-3', site: { file: 'bank.py', line: 40, func: 'transfer' }, waits: 50, waitMs: 180 },
      { thread: 'teller-3', site: { file: '/lib/other.py', line: 7, func: 'f' }, waits: 8, waitMs: 20 },
    ],
    ...over,
  });
  const summary = (locks: LockSummary[], durationMs: number): Summary => ({
    schemaVersion: 1, formatVersion: 1, durationMs, processes: [], locks, hotspots: [], diagnostics: [], warnings: [],
    omitted: { locks: 0, hotspots: 0 }, workItems: { count: 0, completed: 0, byFunction: [] }, messages: { count: 0, bytes: 0, unreceived: 0, byChannel: [] },
  });

  it('resolves relative paths against the cwd, sums threads per line, marks shared p95', () => {
    const fs = lineFactsFromSummary(summary([lock({})], 10_000), '/home/u/proj');
    expect(fs.map((f) => `${f.file}:${f.line}`)).toEqual(['/home/u/proj/bank.py:3', '/home/u/proj/bank.py:40', '/home/u/proj/bank.py:42', '/lib/other.py:7']);
    const at40 = fs[1] as LineFacts;
    expect(lensTitle(at40, '/home/u/proj')).toBe('Weft: 450 waits on bank_lock · 2.08 s blocked · p95 23.6 ms · held at bank.py:42');
    expect(hoverMarkdown(at40, '/home/u/proj')).toContain('| bank\\_lock (lock) | 450 | 2.08 s | 23.6 ms ¹ | 40.0 ms ¹ |');
    // 2080 ms of a 10 s run: 20.8% >= 10%.
    expect(diagnosticOf(at40)?.severity).toBe('warning');
    const at42 = fs[2] as LineFacts;
    expect(lensTitle(at42, '/home/u/proj')).toBe('Weft: bank_lock held here while others waited 458 times · 2.10 s blocked · by teller-1');
    expect(diagnosticOf(at42)?.message).toBe('While bank_lock was held here, other threads blocked 2.10 s (21% of the run)');
  });

  it('says tasks, not threads, for an asyncio lock', () => {
    const fs = lineFactsFromSummary(summary([lock({ kind: 'aio_lock' })], 10_000), '/home/u/proj');
    expect(diagnosticOf(fs[1] as LineFacts)?.message).toBe('Tasks blocked 2.08 s here waiting on bank_lock (21% of the run)');
    expect(diagnosticOf(fs[2] as LineFacts)?.message).toBe('While bank_lock was held here, other tasks blocked 2.10 s (21% of the run)');
  });

  it('the 10% threshold is inclusive; below it is information', () => {
    const at = (d: number): string | undefined => diagnosticOf(lineFactsFromSummary(summary([lock({})], d), '/p').find((f) => f.line === 40) as LineFacts)?.severity;
    expect(at(20_800)).toBe('warning');
    expect(at(20_801)).toBe('information');
  });

  it('the lens names the top holder whose line is known; blocked time over the wall time is a multiple', () => {
    const l = lock({
      holders: [
        { thread: 'teller-9', site: null, waits: 300, waitMs: 1500 },
        { thread: 'teller-1', site: { file: 'bank.py', line: 44, func: 'audit' }, waits: 158, waitMs: 600 },
      ],
    });
    const at40 = lineFactsFromSummary(summary([l], 1000), '/p').find((f) => f.line === 40) as LineFacts;
    expect(lensTitle(at40, '/p')).toBe('Weft: 450 waits on bank_lock · 2.08 s blocked · p95 23.6 ms · held at bank.py:44');
    expect(hoverMarkdown(at40, '/p')).toContain('| bank\\_lock | teller-9 | unknown | 300 | 1.50 s |');
    expect(diagnosticOf(at40)?.message).toBe("Threads blocked 2.08 s here waiting on bank_lock (2.1× the run's wall time, threads waiting at once)");
  });

  it('pseudo-files and uncontended objects give no facts', () => {
    expect(resolveTraceFile('<string>', '/p')).toBeNull();
    expect(lineFactsFromSummary(summary([lock({ contentions: 0 })], 1000), '/p')).toEqual([]);
  });
});

it('the trace loader hands the facts to the host with the view data', async () => {
  const loaded = await loadViewData(path.join(FIX, 'contention'));
  expect(loaded.hotspots.map((f) => f.line)).toEqual([5, 10, 12]);
});

describe('asyncio: event-loop blocks and asyncio locks (the asyncio fixture)', () => {
  let aio: LineFacts[];
  const at = (n: number): LineFacts => {
    const f = aio.find((x) => x.file === '/w/app.py' && x.line === n);
    if (!f) throw new Error(`no facts for app.py:${n}`);
    return f;
  };
  beforeAll(async () => {
    aio = lineFactsFromSummary(buildSummary(await loadTrace(path.join(FIX, 'asyncio'))), '/w');
  });

  it('puts each block on its line, with its task and the tasks it delayed', () => {
    expect(at(12).loopBlocks).toEqual({ count: 1, totalMs: 300, maxMs: 300, tasks: ['Task-2'], taskCount: 1, maxDelayed: 3, siteSource: 'wait' });
    expect(at(24).loopBlocks).toMatchObject({ count: 1, maxMs: 200, tasks: ['Task-4'], maxDelayed: 0, siteSource: 'samples' });
    expect(at(22).loopBlocks).toBeUndefined();
  });

  it('a warning diagnostic on the blocking line, in the Problems panel\'s words', () => {
    expect(loopBlockDiagnosticOf(at(12))).toEqual({
      line: 11, severity: 'warning', source: 'weft', message: 'event loop blocked 300 ms (task Task-2; 3 tasks delayed)',
    });
    expect(diagnosticsOf(at(24)).map((d) => d.message)).toEqual(['event loop blocked 200 ms (task Task-4; line from samples)']);
    expect(loopBlockDiagnosticOf(at(22))).toBeNull();
  });

  it('a lens in the lock lens\'s style, before the line\'s other lens; a hover table', () => {
    // Both lines are sampled hotspots too (one sample of the sleep, 19 of the loop): two lenses.
    expect(lensTitles(at(12), '/w')).toEqual([
      'Weft: event loop blocked 300 ms · task Task-2 · 3 tasks delayed', expect.stringMatching(/^Weft: CPU hotspot · 1 sample/),
    ]);
    expect(lensTitles(at(24), '/w')).toEqual([
      'Weft: event loop blocked 200 ms · task Task-4 · from samples', expect.stringMatching(/^Weft: CPU hotspot/),
    ]);
    const md = hoverMarkdown(at(12), '/w');
    expect(md).toContain('Event loop blocked here');
    expect(md).toContain('| 1 | 300 ms | 300 ms | task Task-2 | 3 tasks |');
  });

  it('aggregates several blocks at one line: count, total, max, tasks', () => {
    const block = (task: string | null, durationMs: number, delayedCount: number) => ({
      pid: 1, thread: 'MainThread', task, beginMs: 0, durationMs, file: '/w/a.py', line: 7, function: 'f', siteSource: 'wait' as const,
      delayed: [], delayedCount,
    });
    const s: Summary = {
      schemaVersion: 1, formatVersion: 2, durationMs: 5000, processes: [], locks: [], hotspots: [], diagnostics: [], warnings: [],
      omitted: { locks: 0, hotspots: 0 }, workItems: { count: 0, completed: 0, byFunction: [] }, messages: { count: 0, bytes: 0, unreceived: 0, byChannel: [] },
      loopBlocks: [block('Task-2', 300, 3), block('Task-9', 200, 5), block(null, 150, 0), block('Task-2', 100, 1)],
    };
    const [f] = lineFactsFromSummary(s, '/w');
    expect(f?.loopBlocks).toEqual({ count: 4, totalMs: 750, maxMs: 300, tasks: ['Task-2', 'Task-9', ''], taskCount: 3, maxDelayed: 5, siteSource: 'wait' });
    expect(loopBlockDiagnosticOf(f as LineFacts)?.message)
      .toBe('event loop blocked 4 times here, 750 ms in total, longest 300 ms (tasks Task-2, Task-9, a callback; up to 5 tasks delayed)');
    expect(lensTitles(f as LineFacts, '/w')).toEqual(['Weft: event loop blocked 4× · 750 ms in total · longest 300 ms · tasks Task-2, Task-9, a callback · up to 5 tasks delayed']);
  });

  it('asyncio lock contention gets the same lenses as a threading lock, with task names', () => {
    expect(lensTitle(at(22), '/w')).toBe('Weft: 1 wait on lock · 100 ms blocked · p95 100 ms · held at app.py:22');
    expect(at(22).waits[0]?.holders.map((h) => h.thread)).toEqual(['Task-3']);
    expect(lensTitle(at(5), '/w')).toBe('Weft: lock (aio_lock) created here · 1 wait · 100 ms blocked · p95 100 ms');
  });
});

describe('GPU stalls (the gpu fixture)', () => {
  let gpu: LineFacts[];
  const at = (n: number): LineFacts => {
    const f = gpu.find((x) => x.line === n);
    if (!f) throw new Error(`no facts for line ${n}`);
    return f;
  };
  beforeAll(async () => {
    gpu = lineFactsFromSummary(buildSummary(await loadTrace(path.join(FIX, 'gpu'))), '/w');
  });

  it('a line where the host waited for the queue has a stall fact naming what it waited for', () => {
    expect(at(12).gpuStalls).toEqual([{ queue: 'dev queue 1', waits: 1, waitMs: 21, waitedFor: { kind: 'kernel', name: 'vadd' } }]);
    expect(at(14).gpuStalls).toEqual([{ queue: 'dev queue 1', waits: 1, waitMs: 6, waitedFor: { kind: 'copy', name: 'device→host 4.0 MB' } }]);
  });

  it('its lens reads "GPU stall 21.0 ms: waited for kernel vadd", alone on the line', () => {
    expect(gpuStallLens(at(12))).toBe('Weft: GPU stall 21.0 ms: waited for kernel vadd · queue "dev queue 1"');
    expect(lensTitles(at(12), '/w')).toEqual(['Weft: GPU stall 21.0 ms: waited for kernel vadd · queue "dev queue 1"']);
    expect(lensTitles(at(14), '/w')).toEqual(['Weft: GPU stall 6.00 ms: waited for copy device→host 4.0 MB · queue "dev queue 1"']);
    expect(hoverMarkdown(at(12), '/w')).toContain('| dev queue 1 | 1 | 21.0 ms | kernel vadd |');
  });

  it('several waits, queues and an unknown operation are said so', () => {
    const f: LineFacts = {
      ...at(12),
      gpuStalls: [{ queue: 'q1', waits: 3, waitMs: 120, waitedFor: null }, { queue: 'q2', waits: 1, waitMs: 5, waitedFor: null }],
    };
    expect(gpuStallLens(f)).toBe('Weft: GPU stall 120 ms · 3 waits · queue "q1" · +1 queue');
    expect(gpuStallLens({ ...f, gpuStalls: [] })).toBeNull();
  });
});
