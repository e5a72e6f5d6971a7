/**
 * When the program hangs (issue 12): open waits rewritten at flushes (the last record of a
 * wait wins), open waits drawn to the end of their lane, deadlocks and hangs (`D`), lock-order
 * inversions (`I`), locks held across blocking calls, and what the summary makes of them. The
 * numbers are worked out by hand from the traces written here and from
 * test/fixtures/deadlock-killed (README).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { WaitFlags } from '../../../runtime/src/format/spec';
import { loadTrace } from '../../../runtime/src/model/build-model';
import type { TraceModel } from '../../../runtime/src/model/types';
import { SUMMARY_JSON_SCHEMA } from '../../../runtime/src/summary/schema';
import { buildSummary, formatSummary } from '../../../runtime/src/summary/summary';
import { buildViewData, SegmentState } from '../../../runtime/src/view/view-data';
import { validate } from './helpers/json-schema';
import { FIXTURES, header, tempDir, writeProcessFile } from './helpers/traces';

const S = 1e9;
const MS = 1e6;
const DEADLOCK = path.join(FIXTURES, 'deadlock-killed');
const ROOT = path.resolve(__dirname, '..', '..', '..');

const defs = (): unknown[][] => [
  ['S', 1, 'x.py', 5, '<module>'], ['S', 2, 'x.py', 6, '<module>'], ['S', 3, 'x.py', 9, 'slow'], ['S', 4, 'x.py', 20, 'fast'],
  ['O', 1, 'lock', 'X', 1, null, null], ['O', 2, 'lock', 'Y', 2, null, null], ['O', 3, 'timer', '', null, null, null],
  ['T', 1 * S, 1, 11, 'MainThread', 0, null, null],
  ['T', 1 * S, 2, 12, 'T', 0, 1, null], ['T', 1 * S, 3, 13, 'w1', 0, 1, null], ['T', 1 * S, 4, 14, 'w2', 0, 1, null],
  ['T', 1 * S, 5, 15, 'w3', 0, 1, null], ['T', 1 * S, 6, 16, 'u', 0, 1, null],
];

const laneNamed = (m: TraceModel, name: string): number => m.lanes.findIndex((l) => l.name === name);

describe('open waits written at every flush', () => {
  it('keep only the last record of a (lane, begin): a later open one, or the complete one', async () => {
    const dir = tempDir();
    writeProcessFile(dir, header(), [
      ...defs(),
      // T's wait, open at two flushes, then complete.
      ['W', 1.1 * S, 1.5 * S, 2, 3, 'sleep', 3, null, null, null, WaitFlags.OPEN],
      ['W', 1.1 * S, 1.9 * S, 2, 3, 'sleep', 3, null, null, null, WaitFlags.OPEN],
      ['W', 1.1 * S, 2.0 * S, 2, 3, 'sleep', 3, null, null, null, 0],
      // w1's wait with the same begin on another lane is another wait; still open at the end.
      ['W', 1.1 * S, 1.5 * S, 3, 1, 'lock', 4, 6, 4, null, WaitFlags.OPEN],
      ['W', 1.1 * S, 2.2 * S, 3, 1, 'lock', 4, 6, 4, null, WaitFlags.OPEN],
      // Two complete waits of w2 at one begin time are not merged (only open ones are rewritten).
      ['W', 1.3 * S, 1.4 * S, 4, 3, 'sleep', 4, null, null, null, 0],
      ['C', 2.4 * S, 6, 1000],
    ], 2.5 * S);
    const m = await loadTrace(dir);
    const w = m.waits;
    const rows = [...Array(w.count).keys()].map((i) => ({
      lane: m.lanes[w.lane[i] as number]?.name, begin: w.begin[i], end: w.end[i], open: ((w.flags[i] as number) & WaitFlags.OPEN) !== 0,
    }));
    expect(rows).toEqual([
      { lane: 'T', begin: 1.1 * S, end: 2.0 * S, open: false },
      // Drawn to the end of its lane (the process's end record at 2.5 s), not where it was last seen.
      { lane: 'w1', begin: 1.1 * S, end: 2.5 * S, open: true },
      { lane: 'w2', begin: 1.3 * S, end: 1.4 * S, open: false },
    ]);
    expect(m.locks[0]?.openWaits).toBe(1);
  });
});

describe('a two-lock deadlock killed with SIGKILL (fixture deadlock-killed)', () => {
  let m: TraceModel;
  beforeAll(async () => {
    m = await loadTrace(DEADLOCK);
  });

  it('keeps one open wait per thread, each to the end of the trace', () => {
    const w = m.waits;
    expect(w.count).toBe(3);
    for (let i = 0; i < w.count; i++) {
      expect((w.flags[i] as number) & WaitFlags.OPEN).toBe(WaitFlags.OPEN);
      expect(w.end[i]).toBe(2.6 * S);
    }
  });

  it('resolves the D record: members in cycle order with their locks, lines, stacks and waits', () => {
    expect(m.stalls).toHaveLength(1);
    const s = m.stalls?.[0];
    expect(s?.kind).toBe('deadlock');
    expect(s?.source).toBe('watchdog');
    expect(s?.detectedNs).toBe(2_021_000_000);
    const names = s?.members.map((mem) => ({
      lane: m.lanes[mem.lane]?.name, object: mem.object === null ? null : m.objects[mem.object]?.name,
      line: mem.site === null ? null : m.sites[mem.site]?.line,
      leaf: mem.frame === null ? null : m.sites[m.frames[mem.frame]?.site ?? -1]?.line,
      waitBegin: mem.wait === null ? null : m.waits.begin[mem.wait],
    }));
    expect(names).toEqual([
      { lane: 't1', object: 'B', line: 12, leaf: 12, waitBegin: 1_020_000_000 },
      { lane: 't2', object: 'A', line: 18, leaf: 18, waitBegin: 1_021_000_000 },
    ]);
  });

  it('never estimates a blocked thread as waiting for the GIL', () => {
    for (const t of m.threadTimes) expect(t.gilWaitEstimateNs).toBe(0);
    // Nor does the timeline call any of their time "not on CPU": every lane ends in its wait.
    const v = buildViewData(m);
    for (let l = 0; l < v.lanes.length; l++) {
      const last = (v.segments.laneOffsets[l + 1] as number) - 1;
      expect(v.segments.state[last]).not.toBe(SegmentState.OFF_CPU_ESTIMATE);
      expect(v.segments.wait[last]).toBeGreaterThanOrEqual(0);
      expect(v.segments.end[last]).toBe(v.durationNs);
    }
  });

  it('summarises the cycle first, with both open waits and their holders', () => {
    const s = buildSummary(m);
    expect(validate(SUMMARY_JSON_SCHEMA as unknown as Record<string, unknown>, s)).toEqual([]);
    expect(s.deadlocks).toHaveLength(1);
    const d = s.deadlocks?.[0];
    expect(d?.sentence).toBe('deadlock: t1 waits for B (created at x.py:6) held by t2 at x.py:18; t2 waits for A (created at x.py:5) held by t1 at x.py:12');
    expect(d?.detectedAtMs).toBe(1021);
    expect(d?.members.map((x) => [x.thread, x.object?.name, x.waitSite?.line, x.heldBy, x.stack.map((f) => f.line)])).toEqual([
      ['t1', 'B', 12, 't2', [12, 1038]],
      ['t2', 'A', 18, 't1', [18, 1038]],
    ]);
    expect(s.hangs).toEqual([]);
    expect(s.locks.map((l) => [l.name, l.openWaits, l.holders[0]?.thread])).toEqual([['B', 1, 't2'], ['A', 1, 't1']]);
    const finding = s.diagnostics.find((x) => x.code === 'deadlock');
    expect(finding?.severity).toBe('error');
    expect(finding?.site?.line).toBe(12);
    expect(finding?.related).toEqual([{ site: { file: '/w/x.py', line: 18, func: 'worker2' }, message: 't2 waits for A here, held by t1' }]);
    const text = formatSummary(s, '/w');
    const lines = text.split('\n');
    expect(lines[2]).toBe('Deadlocks and hangs:');
    expect(text).toContain('t1 waits at x.py:12 for lock "B" created at x.py:6, held by t2');
    expect(text).toContain('t2 waits at x.py:18 for lock "A" created at x.py:5, held by t1');
    expect(text).toContain('1 wait never ended (still waiting when the process stopped)');
    expect(text).not.toContain('No thread waited on a lock');
  });

  it('is found in the open waits alone when the watchdog did not write D', async () => {
    const dir = tempDir();
    writeProcessFile(dir, header({ pid: 7 }), [
      ...defs(),
      // T holds X and waits for Y, held by u; u waits for X, held by T.
      ['W', 1.1 * S, 1.5 * S, 2, 2, 'lock', 3, 6, 4, null, WaitFlags.OPEN],
      ['W', 1.2 * S, 1.5 * S, 6, 1, 'lock', 4, 2, 3, null, WaitFlags.OPEN],
      // w1 waits for X behind T too: in no cycle.
      ['W', 1.3 * S, 1.5 * S, 3, 1, 'lock', 4, 2, 3, null, WaitFlags.OPEN],
    ], false);
    const model = await loadTrace(dir);
    expect(model.stalls?.map((s) => [s.source, s.detectedNs, s.members.map((x) => model.lanes[x.lane]?.name)])).toEqual([
      ['open-waits', 1.2 * S, ['T', 'u']],
    ]);
    const s = buildSummary(model);
    expect(s.deadlocks?.[0]?.sentence).toBe('deadlock: T waits for Y (created at x.py:6) held by u at x.py:20; u waits for X (created at x.py:5) held by T at x.py:9 (found in the waits still open when the process stopped)');
    // The members' open waits are said once, by the deadlock; w1's is its own finding.
    expect(s.diagnostics.filter((x) => x.message.includes('was still waiting')).map((x) => x.message.slice(0, 12))).toEqual(['thread "w1" ']);
  });

  it('`weft summary` (the bundled CLI) prints the cycle and the open waits', () => {
    const cli = path.join(ROOT, 'bin', 'weft.js');
    if (!existsSync(path.join(ROOT, 'dist', 'cli.js'))) throw new Error('run `npm run build` first');
    const r = spawnSync(process.execPath, [cli, 'summary', DEADLOCK], { encoding: 'utf8', cwd: tmpdir() });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Deadlocks and hangs:\n  deadlock: t1 waits for B (created at x.py:6) held by t2 at x.py:18; t2 waits for A (created at x.py:5) held by t1 at x.py:12\n');
    expect(r.stdout).toMatch(/lock "B" created at \/w\/x\.py:6\n {4}1 wait in 1 acquisition; 1\.58 s waited/);
    expect(r.stdout).toMatch(/held by {4}t2 at \/w\/x\.py:18: 1 wait, 1\.58 s/);
    expect(r.stdout).toMatch(/held by {4}t1 at \/w\/x\.py:12: 1 wait, 1\.58 s/);
    expect(r.stdout).toMatch(/t1 +1\.59 s +10\.0 ms +lock 1\.58 s +0\.00 ms/);
  });
});

describe('hangs and lock-order inversions from the agent', () => {
  it('resolve D hang and I records to threads, objects and both acquisition paths', async () => {
    const dir = tempDir();
    writeProcessFile(dir, header({ version: 2, lockOrder: true }), [
      ...defs(),
      ['I', 1.5 * S, 1, 2, 3, 1, 2, 4, 3, 4],
      ['W', 1.1 * S, 1.9 * S, 1, 3, 'sleep', 4, null, null, null, WaitFlags.OPEN],
      ['D', 1.8 * S, 'hang', [1], [3], [0], [0]],
    ], 2 * S);
    const m = await loadTrace(dir);
    expect(m.stalls?.[0]).toMatchObject({ kind: 'hang', source: 'watchdog', members: [{ lane: laneNamed(m, 'MainThread'), site: 3, frame: null, wait: 0 }] });
    const s = buildSummary(m);
    expect(s.hangs?.[0]?.sentence).toBe('hang: every thread is blocked; MainThread waits for a timer at x.py:20');
    expect(s.lockOrderInversions).toEqual([{
      pid: 1, detectedAtMs: 500,
      first: { name: 'X', kind: 'lock', site: { file: '/w/x.py', line: 5, func: '<module>' } },
      second: { name: 'Y', kind: 'lock', site: { file: '/w/x.py', line: 6, func: '<module>' } },
      paths: [
        { thread: 'w1', firstSite: { file: '/w/x.py', line: 5, func: '<module>' }, secondSite: { file: '/w/x.py', line: 6, func: '<module>' } },
        { thread: 'w2', firstSite: { file: '/w/x.py', line: 9, func: 'slow' }, secondSite: { file: '/w/x.py', line: 20, func: 'fast' } },
      ],
      sentence: 'lock-order inversion: w1 took X at x.py:5 then Y at x.py:6; w2 took Y at x.py:9 then X at x.py:20 (the two can deadlock when they run at once: take the locks in one order)',
    }]);
    const inv = s.diagnostics.find((d) => d.code === 'lock-order-inversion');
    expect(inv?.site?.line).toBe(6);
    expect(inv?.related?.map((r) => r.site.line)).toEqual([5, 9, 20]);
    expect(validate(SUMMARY_JSON_SCHEMA as unknown as Record<string, unknown>, s)).toEqual([]);
  });
});

describe('a lock held across a blocking call', () => {
  // T holds X and sleeps 1.2 s (1.1 to 2.3 s at x.py:9). Behind it:
  //   w1 waits for X from 1.2 to 2.31 s (holder T): 1.1 s of it overlaps the sleep;
  //   w2 from 1.5 to 2.32 s (holder T): 0.8 s;
  //   w3 from 1.0 to 2.35 s (holder T, woken by T's release after the sleep): 1.2 s (its 0.1 s
  //   before the sleep is plain contention, not counted).
  // Not counted: u's wait for X after the sleep, and w2's wait for Y (held by u).
  const records = (): unknown[][] => [
    ...defs(),
    ['W', 1.0 * S, 2.35 * S, 5, 1, 'lock', 4, 2, 4, 2, 0],
    ['W', 1.1 * S, 2.3 * S, 2, 3, 'sleep', 3, null, null, null, 0],
    ['W', 1.2 * S, 2.31 * S, 3, 1, 'lock', 4, 2, 3, 2, 0],
    ['W', 1.5 * S, 2.32 * S, 4, 1, 'lock', 4, 2, 3, 3, 0],
    ['W', 2.4 * S, 2.5 * S, 6, 1, 'lock', 4, 2, 4, 2, 0],
    ['W', 2.6 * S, 2.65 * S, 4, 2, 'lock', 4, 6, 4, 6, 0],
  ];

  it('counts the threads that waited and only their waiting that overlaps the call', async () => {
    const dir = tempDir();
    writeProcessFile(dir, header(), records(), 3 * S);
    const m = await loadTrace(dir);
    expect(m.heldAcrossWaits).toHaveLength(1);
    const h = m.heldAcrossWaits?.[0];
    expect(h?.lock).toBe(m.objects.findIndex((o) => o.name === 'X'));
    expect(m.sites[h?.site ?? -1]?.line).toBe(9);
    expect(h?.holderLanes).toEqual([laneNamed(m, 'T')]);
    expect(h?.waiterLanes.map((l) => m.lanes[l]?.name)).toEqual(['w1', 'w2', 'w3']);
    expect(h).toMatchObject({ occurrences: 1, heldNs: 1200 * MS, longestNs: 1200 * MS, waits: 3 });
    expect(h?.waitedNs).toBeCloseTo(3100 * MS, -1);
    const s = buildSummary(m);
    expect(s.heldAcrossWaits?.[0]).toMatchObject({
      reason: 'sleep', holders: ['T'], waiters: ['w1', 'w2', 'w3'], occurrences: 1, heldMs: 1200, waits: 3, waitedMs: 3100,
      sentence: 'lock "X" held across time.sleep at x.py:9 (1.20 s); 3 threads waited 3.10 s behind it',
    });
    const d = s.diagnostics.find((x) => x.code === 'lock-held-across-wait');
    expect(d).toMatchObject({ severity: 'warning', site: { line: 9 }, related: [{ site: { line: 5 }, message: 'X was created here' }] });
    expect(formatSummary(s, '/w')).toContain('Locks held across blocking calls (most waiting caused first):\n  lock "X" held across time.sleep at x.py:9 (1.20 s); 3 threads waited 3.10 s behind it\n    held by T; waited: w1, w2, w3; lock created at x.py:5');
  });

  it('needs proof that the lock was held during the call: a waiter that began before it and was not released by it is none', async () => {
    const dir = tempDir();
    writeProcessFile(dir, header(), [
      ...defs(),
      // w3 waited for X behind T from before T's sleep, and someone else let it go.
      ['W', 1.0 * S, 2.35 * S, 5, 1, 'lock', 4, 2, 4, 6, 0],
      ['W', 1.1 * S, 2.3 * S, 2, 3, 'sleep', 3, null, null, null, 0],
    ], 3 * S);
    const m = await loadTrace(dir);
    expect(m.heldAcrossWaits).toEqual([]);
  });
});

describe('a lock released just before a blocking call (the agent\'s hand-off window)', () => {
  it('is not held across it, although a later waiter names the releaser as holder', async () => {
    // T releases X to w1 (woken at 1.0 s, running at 1.05 s) and then waits on an event from
    // 1.01 s; w2 begins to wait at 1.02 s and reads the last taker, T, as holder.
    const dir = tempDir();
    writeProcessFile(dir, header(), [
      ...defs(),
      ['W', 0.9 * S, 1.05 * S, 3, 1, 'lock', 4, 2, 4, 2, 0],
      ['W', 1.01 * S, 1.5 * S, 2, 3, 'event', 3, null, null, null, 0],
      ['W', 1.02 * S, 1.2 * S, 4, 1, 'lock', 4, 2, 3, 3, WaitFlags.HOLDER_CHANGED],
    ], 3 * S);
    expect((await loadTrace(dir)).heldAcrossWaits).toEqual([]);
  });
});

describe('traces written before issue 12', () => {
  it('summarise as before: empty stall lists, no codes', async () => {
    for (const name of ['two-threads', 'contention', 'processes', 'mp-lock-holds', 'asyncio', 'pool-messages']) {
      const s = buildSummary(await loadTrace(path.join(FIXTURES, name)));
      expect([s.deadlocks, s.hangs, s.lockOrderInversions, s.heldAcrossWaits], name).toEqual([[], [], [], []]);
      expect(s.diagnostics.filter((d) => d.code !== undefined || d.related !== undefined), name).toEqual([]);
      expect(formatSummary(s, '/w'), name).not.toContain('Deadlocks and hangs');
    }
  });
});
