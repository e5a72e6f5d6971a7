/**
 * The call tree (model/call-tree.ts, model/handlers/call-tree.ts) and the summary's time by
 * function, on synthetic traces whose answer is known: sample counts × a 10 ms period.
 */
import { describe, expect, it } from 'vitest';
import { WAIT_REASONS } from '../../../runtime/src/format/spec';
import { loadTrace } from '../../../runtime/src/model/build-model';
import { buildCallTree, callEdges, nodePath, samplesUnder } from '../../../runtime/src/model/call-tree';
import type { TraceModel } from '../../../runtime/src/model/types';
import { SUMMARY_JSON_SCHEMA } from '../../../runtime/src/summary/schema';
import { buildSummary, formatSummary } from '../../../runtime/src/summary/summary';
import { validate } from './helpers/json-schema';
import { header, tempDir, writeProcessFile } from './helpers/traces';

const MS = 1_000_000;
const T0 = 1_000_000_000;

/** Samples every 10 ms on lane 1, one per frame id given (state RUNNING unless waiting). */
function samples(frames: number[], from = T0, lane = 1, state = 0): unknown[][] {
  return frames.map((fr, i) => ['K', from + i * 10 * MS, lane, fr, state]);
}

function repeat(n: number, frame: number): number[] {
  return Array.from({ length: n }, () => frame);
}

/** main → f → burn (60 samples) and main → g → burn (30), burn called from two lines. */
async function fgTrace(extra: unknown[][] = [], over: { def?: boolean } = {}): Promise<TraceModel> {
  const dir = tempDir();
  const def = (n: number): number[] => (over.def === false ? [] : [n]);
  writeProcessFile(dir, header({ sampleHz: 100, version: 2 }), [
    ['T', T0, 1, 1, 'MainThread', 0, null, null],
    ['S', 1, 'app.py', 40, 'main', ...def(38)],
    ['S', 2, 'app.py', 11, 'f', ...def(10)],
    ['S', 3, 'app.py', 21, 'g', ...def(20)],
    ['S', 4, 'app.py', 5, 'burn', ...def(3)],
    ['S', 5, 'app.py', 41, 'main', ...def(38)],
    ['S', 6, 'app.py', 6, 'burn', ...def(3)],
    ['F', 1, null, 1], ['F', 2, 1, 2], ['F', 3, 2, 4],
    ['F', 4, null, 5], ['F', 5, 4, 3], ['F', 6, 5, 6],
    ...samples([...repeat(60, 3), ...repeat(30, 6)]),
    ...extra,
  ], T0 + 900 * MS);
  return loadTrace(dir);
}

const fn = (m: TraceModel, name: string) => {
  const s = buildSummary(m);
  const f = s.functions?.find((x) => x.name === name);
  if (f === undefined) throw new Error(`no function ${name}`);
  return f;
};

describe('call tree: time by function', () => {
  it('gives f twice g through the same helper, and burn self time for both', async () => {
    const m = await fgTrace();
    expect(fn(m, 'f')).toMatchObject({ totalMs: 600, selfMs: 0, runningMs: 600, samples: 60, line: 10, defLine: true, file: '/w/app.py' });
    expect(fn(m, 'g')).toMatchObject({ totalMs: 300, selfMs: 0, samples: 30, line: 20 });
    expect(fn(m, 'burn')).toMatchObject({ totalMs: 900, selfMs: 900, selfSamples: 90, line: 3 });
    expect(fn(m, 'main')).toMatchObject({ totalMs: 900, share: 1, line: 38 });
    expect(buildSummary(m).samplingPeriodMs).toBe(10);
  });

  it('builds one node per function on a path, not per line, heaviest child first', async () => {
    const m = await fgTrace();
    const t = m.callTree?.all.tree;
    if (t === undefined) throw new Error('no tree');
    const fns = m.callTree?.functions;
    const name = (n: number): string => fns?.name[t.func[n] as number] ?? '';
    // root, main, f, burn, g, burn: main's two lines are one node.
    expect(t.nodeCount).toBe(6);
    const main = t.children[t.childOffsets[0] as number] as number;
    expect(name(main)).toBe('main');
    const kids = Array.from(t.children.subarray(t.childOffsets[main], t.childOffsets[main + 1]), name);
    expect(kids).toEqual(['f', 'g']);
    expect(t.totalNs[0]).toBe(900 * MS);
  });

  it('falls back to the lowest sampled line when the trace has no def lines', async () => {
    const m = await fgTrace([], { def: false });
    expect(fn(m, 'burn')).toMatchObject({ line: 5, defLine: false, totalMs: 900 });
    expect(fn(m, 'main')).toMatchObject({ line: 40, defLine: false });
  });

  it('counts a recursive function once per sample in its total', async () => {
    const dir = tempDir();
    writeProcessFile(dir, header({ sampleHz: 100, version: 2 }), [
      ['T', T0, 1, 1, 'MainThread', 0, null, null],
      ['S', 1, 'rec.py', 9, 'main', 8], ['S', 2, 'rec.py', 3, 'depth', 1], ['S', 3, 'rec.py', 2, 'depth', 1], ['S', 4, 'rec.py', 6, 'leaf', 5],
      ['F', 1, null, 1], ['F', 2, 1, 2], ['F', 3, 2, 2], ['F', 4, 3, 2], ['F', 5, 4, 4], ['F', 6, 4, 3],
      ...samples([...repeat(10, 5), ...repeat(5, 6)]),
    ]);
    const m = await loadTrace(dir);
    expect(fn(m, 'depth')).toMatchObject({ totalMs: 150, selfMs: 50, samples: 15 });
    expect(fn(m, 'leaf')).toMatchObject({ totalMs: 100, selfMs: 100 });
    // The tree keeps the recursion (one node per level) ...
    const t = m.callTree?.all.tree;
    expect(t?.maxDepth).toBe(5);
    // ... and a line on the recursive path counts once per sample too.
    const line3 = m.sites.findIndex((s) => s.line === 3);
    expect(m.callTree?.all.lines?.totalNs[line3]).toBe(150 * MS);
  });

  it('splits waiting time by the reason of the covering wait, and running time by the CPU clock', async () => {
    const sleep = WAIT_REASONS.indexOf('sleep');
    const m = await fgTrace([
      ['O', 1, 'lock', 'l', null, null, null],
      // 20 waiting samples of g → burn's line 6 inside a sleep wait.
      ['W', T0 + 895 * MS, T0 + 1100 * MS, 1, 1, 'sleep', 6, null, null, null, 0],
      ...samples(repeat(20, 6), T0 + 900 * MS, 1, 1),
    ]);
    expect(sleep).toBeGreaterThanOrEqual(0);
    expect(fn(m, 'g')).toMatchObject({ totalMs: 500, waitingMs: { sleep: 200 }, runningMs: 300 });
    expect(fn(m, 'f').waitingMs).toEqual({});
  });

  it('counts only the CPU clock\'s share of a running sample as on a CPU (the rest an estimate)', async () => {
    // Ten samples of f → burn, the thread's CPU clock advancing 5 ms per 10 ms.
    const dir = tempDir();
    const recs: unknown[][] = [
      ['T', T0, 1, 1, 'MainThread', 0, null, null],
      ['S', 1, 'app.py', 11, 'f', 10], ['S', 2, 'app.py', 5, 'burn', 3],
      ['F', 1, null, 1], ['F', 2, 1, 2],
    ];
    for (let i = 0; i < 11; i++) recs.push(['K', T0 + i * 10 * MS, 1, 2, 0], ['C', T0 + i * 10 * MS, 1, i * 5 * MS]);
    writeProcessFile(dir, header({ sampleHz: 100, version: 2 }), recs);
    const m = await loadTrace(dir);
    // The first sample has no interval before it (counted on a CPU): 10 + 10 × 5 ms.
    // (Shares are stored in 1/255 steps.)
    const f = fn(m, 'f');
    expect(f.totalMs).toBe(110);
    expect(f.runningMs).toBeCloseTo(60, 0);
    expect(f.notOnCpuEstimateMs).toBeCloseTo(50, 0);
  });

  it('restricts to a time range and to lanes, and folds library frames into their callers', async () => {
    const m = await fgTrace([
      ['T', T0, 2, 2, 'worker', 0, null, null],
      ['S', 7, '/usr/lib/python3.11/threading.py', 1012, 'Thread.run', 1000],
      ['S', 8, 'app.py', 31, 'work', 30],
      ['S', 9, '/usr/lib/python3.11/json/encoder.py', 200, 'JSONEncoder.encode', 190],
      ['F', 7, null, 7], ['F', 8, 7, 8], ['F', 9, 8, 9],
      ...samples(repeat(10, 9), T0, 2),
    ]);
    const ct = m.callTree;
    if (ct === undefined) throw new Error('no call tree');
    const name = (t: typeof ct.all.tree, n: number): string => ct.functions.name[t.func[n] as number] ?? '';
    // First 300 ms: 30 samples of f (main thread) and 10 of the worker.
    const early = buildCallTree(ct.input, ct.functions, { toNs: T0 + 295 * MS });
    expect(early.tree.totalNs[0]).toBe(400 * MS);
    const worker = m.lanes.findIndex((l) => l.name === 'worker');
    const only = buildCallTree(ct.input, ct.functions, { lanes: new Set([worker]), hideLibrary: true });
    // Thread.run and the encoder folded: work is a root, with the encoder's time as self.
    expect(only.tree.nodeCount).toBe(2);
    expect(name(only.tree, 1)).toBe('work');
    expect(only.tree.selfNs[1]).toBe(100 * MS);
    // Samples under a node, for highlighting on the timeline.
    const all = buildCallTree(ct.input, ct.functions, {});
    const f = Array.from({ length: all.tree.nodeCount }, (_, n) => n).find((n) => name(all.tree, n) === 'f') as number;
    expect(nodePath(all.tree, f).map((n) => name(all.tree, n))).toEqual(['main', 'f']);
    const rows = samplesUnder(ct.input, ct.functions, all.tree, f, all.rowBegin, all.rowEnd);
    expect(rows.length).toBe(60);
    const folded = buildCallTree(ct.input, ct.functions, { hideLibrary: true });
    const work = Array.from({ length: folded.tree.nodeCount }, (_, n) => n).find((n) => name(folded.tree, n) === 'work') as number;
    expect(samplesUnder(ct.input, ct.functions, folded.tree, work, 0, m.samples.count, { hideLibrary: true }).length).toBe(10);
    // Callers and callees.
    const burn = ct.functions.name.indexOf('burn');
    const edges = callEdges(all.tree, burn);
    expect([...edges.callers].map(([k, v]) => [ct.functions.name[k], v / MS]).sort()).toEqual([['f', 600], ['g', 300]]);
  });

  it('writes functions, hot paths, lines and the achieved period into a summary that matches its schema', async () => {
    const m = await fgTrace();
    const s = buildSummary(m);
    expect(validate(SUMMARY_JSON_SCHEMA as unknown as Record<string, unknown>, JSON.parse(JSON.stringify(s)))).toEqual([]);
    expect(s.hotPaths?.[0]).toMatchObject({ selfMs: 600, samples: 60, frames: [{ name: 'main' }, { name: 'f' }, { name: 'burn' }] });
    expect(s.lines?.find((l) => l.line === 40)).toMatchObject({ totalMs: 600, selfMs: 0 });
    expect(s.sampling).toEqual([{ pid: 1, requestedHz: 100, periodMs: 10 }]);
    const text = formatSummary(s, '/w');
    expect(text).toContain('Time by function');
    expect(text).toMatch(/600 ms +600 ms +0\.00 ms +67 % +f +app\.py:10/);
    expect(text).toContain('main → f → burn');
  });

  it('gives an asyncio task the samples its steps cover on its thread', async () => {
    const dir = tempDir();
    writeProcessFile(dir, header({ sampleHz: 100, version: 2 }), [
      ['T', T0, 1, 1, 'MainThread', 0, null, null],
      ['Y', T0, 2, 'task', 1, 'Task-1', null, null],
      ['Y', T0, 3, 'task', 1, 'Task-2', null, null],
      ['S', 1, 'aio.py', 5, 'work', 4], ['S', 2, 'aio.py', 9, 'other', 8],
      ['F', 1, null, 1], ['F', 2, null, 2],
      // Task-1 runs 0-45 ms, Task-2 50-95 ms.
      ['R', T0, T0 + 45 * MS, 2], ['R', T0 + 50 * MS, T0 + 95 * MS, 3],
      ...samples([1, 1, 1, 1, 1, 2, 2, 2, 2, 2]),
    ], T0 + 100 * MS);
    const m = await loadTrace(dir);
    const ct = m.callTree;
    if (ct === undefined) throw new Error('no call tree');
    const lane = (name: string): number => m.lanes.findIndex((l) => l.name === name);
    const only = (name: string) => buildCallTree(ct.input, ct.functions, { lanes: new Set([lane(name)]) });
    expect(only('Task-1').tree.samples).toBe(5);
    expect(ct.functions.name[only('Task-2').tree.func[1] as number]).toBe('other');
    expect(only('MainThread').tree.samples).toBe(10);
  });
});
