/**
 * asyncio in the summary JSON, its text and the CLI options (`weft summary --loop-block-ms`,
 * `weft run --loop-block-ms`), against the `asyncio/` fixture (test/fixtures/README.md); and
 * summaries of traces without asyncio, which only gain two empty arrays.
 */
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { LOOP_BLOCK_MS, parseArgs } from '../../../runtime/src/cli/args';
import { writeChromeTrace } from '../../../runtime/src/cli/export-chrome';
import { main } from '../../../runtime/src/cli/main';
import { agentCommand } from '../../../runtime/src/launcher/launch';
import { loadTrace } from '../../../runtime/src/model/build-model';
import type { TraceModel } from '../../../runtime/src/model/types';
import { SUMMARY_JSON_SCHEMA, type Summary } from '../../../runtime/src/summary/schema';
import { buildSummary, formatSummary, loopBlockLine } from '../../../runtime/src/summary/summary';
import { validate } from './helpers/json-schema';
import { FIXTURES } from './helpers/traces';
import { capture } from './helpers/capture';

let m: TraceModel;
let s: Summary;
beforeAll(async () => {
  m = await loadTrace(path.join(FIXTURES, 'asyncio'));
  s = buildSummary(m);
});


describe('summary JSON with asyncio', () => {
  it('validates against the schema after a JSON round trip, which checks the new arrays too', () => {
    const schema = SUMMARY_JSON_SCHEMA as unknown as Record<string, unknown>;
    expect(validate(schema, JSON.parse(JSON.stringify(s)) as unknown)).toEqual([]);
    const bad = JSON.parse(JSON.stringify(s)) as { loopBlocks: { siteSource: unknown }[]; tasks: { count: unknown }[] };
    (bad.loopBlocks[0] as { siteSource: unknown }).siteSource = 'guess';
    (bad.tasks[0] as { count: unknown }).count = -1;
    expect(validate(schema, bad)).toHaveLength(2);
    // Older summaries, without them, stay valid.
    const { tasks: _t, loopBlocks: _l, ...older } = JSON.parse(JSON.stringify(s)) as Record<string, unknown>;
    expect(validate(schema, older)).toEqual([]);
  });

  it('lists loop blocks longest first, with the line, how it was found and the delayed tasks', () => {
    expect(s.loopBlocks).toEqual([
      {
        pid: 700, thread: 'MainThread', task: 'Task-2', beginMs: 10, durationMs: 300, file: '/w/app.py', line: 12, function: 'blocker',
        siteSource: 'wait', delayed: ['Task-3', 'Task-4', 'Task-6'], delayedCount: 3,
      },
      {
        pid: 700, thread: 'MainThread', task: 'Task-4', beginMs: 420, durationMs: 200, file: '/w/app.py', line: 24, function: 'worker',
        siteSource: 'samples', delayed: [], delayedCount: 0,
      },
    ]);
    expect(s.omitted).toEqual({ locks: 0, hotspots: 0 });
  });

  it('groups tasks by coroutine with run, awaits, duration percentiles and outcomes', () => {
    expect(s.tasks?.map((t) => t.coroutine)).toEqual(['blocker', 'worker', 'main', 'sleeper', 'failing']);
    expect(s.tasks?.[1]).toEqual({
      pid: 700, kind: 'task', coroutine: 'worker', site: { file: '/w/app.py', line: 20, func: 'worker' }, createdAt: { file: '/w/app.py', line: 41, func: 'main' },
      count: 2, runMs: 204, awaitMs: { sleep: 105, lock: 100 }, p50DurationMs: 410, p95DurationMs: 616, maxDurationMs: 616, cancelled: 0, failed: 0,
    });
    expect(s.tasks?.find((t) => t.coroutine === 'sleeper')).toMatchObject({ cancelled: 1, failed: 0 });
    expect(s.tasks?.find((t) => t.coroutine === 'failing')).toMatchObject({ cancelled: 0, failed: 1 });
  });

  it('has a lock row for the asyncio lock, holder and waiter named by task', () => {
    expect(s.locks).toHaveLength(1);
    expect(s.locks[0]).toMatchObject({
      kind: 'aio_lock', name: 'lock', contentions: 1, waitMs: 100,
      holders: [{ thread: 'Task-3', site: { file: '/w/app.py', line: 22, func: 'worker' }, waits: 1, waitMs: 100 }],
      waiters: [{ thread: 'Task-4', waits: 1, waitMs: 100 }],
    });
  });

  it('leaves out blocks under minLoopBlockMs, and counts blocks over the limit as omitted', () => {
    expect(buildSummary(m, { locks: 50, hotspots: 30, minLoopBlockMs: 250 }).loopBlocks?.map((b) => b.durationMs)).toEqual([300]);
    const capped = buildSummary(m, { locks: 50, hotspots: 30, loopBlocks: 1 });
    expect(capped.loopBlocks?.map((b) => b.durationMs)).toEqual([300]);
    expect(capped.omitted).toEqual({ locks: 0, hotspots: 0, loopBlocks: 1 });
  });
});

describe('summary text with asyncio', () => {
  it('says each loop block in one line, and shows the task table', () => {
    const text = formatSummary(s, '/w');
    expect(text.split('\n')[0]).toBe('Weft summary: 700 ms, 1 process, 1 thread, 6 asyncio tasks');
    expect(text).toContain('Event loop blocks (longest first; 2 blocks):\n'
      + '  event loop blocked 300 ms at app.py:12 (in blocker; task "Task-2"; delayed 3 tasks)\n'
      + '  event loop blocked 200 ms at app.py:24 (in worker; task "Task-4"; line from samples)\n');
    expect(text).toContain('asyncio tasks by coroutine');
    expect(text).toMatch(/^ {2}coroutine +tasks +running +awaiting, by reason +p50 +p95 +max +cancelled +failed +created at$/m);
    expect(text).toMatch(/^ {2}worker +2 +204 ms +sleep 105 ms, lock 100 ms +410 ms +616 ms +616 ms +0 +0 +app\.py:41$/m);
    expect(text).toMatch(/^ {2}sleeper +1 .* 1 +0 +app\.py:40$/m);
    // An asyncio lock is a lock: its holder held it.
    expect(text).toContain('held by    Task-3 at app.py:22: 1 wait, 100 ms');
  });

  it('says what it knows of a callback block without a line', () => {
    expect(loopBlockLine({
      pid: 1, thread: 'MainThread', task: null, beginMs: 0, durationMs: 150, file: null, line: null, function: null, siteSource: null,
      delayed: ['a'], delayedCount: 1,
    }, '/w')).toBe('event loop blocked 150 ms (line unknown: no wait or sample inside it) (a callback; delayed 1 task)');
  });

  it('lists at most a few task lanes per process; the table covers the rest', () => {
    const text = formatSummary(s, '/w', { maxTaskLanes: 2 });
    expect(text).toContain('  task "Task-2" on MainThread');
    expect(text).not.toContain('  task "Task-3" on MainThread');
    expect(text).toContain('  ... and 4 more tasks (the asyncio task table below groups them).');
  });
});

describe('traces without asyncio', () => {
  it('summarize as before, plus two empty arrays', async () => {
    // (multi-host has a task lane, so a task group: not a trace without asyncio.)
    for (const dir of ['contention', 'processes', 'two-threads', 'pool-messages', 'mp-lock-holds']) {
      const model = await loadTrace(path.join(FIXTURES, dir));
      const sum = buildSummary(model);
      const { tasks, loopBlocks, ...rest } = sum;
      expect(tasks, dir).toEqual([]);
      expect(loopBlocks, dir).toEqual([]);
      expect(Object.keys(rest), dir).not.toContain('tasks');
      expect(Object.keys(rest.omitted), dir).toEqual(['locks', 'hotspots']);
      const text = formatSummary(sum, '/w');
      expect(text).not.toContain('Event loop');
      expect(text).not.toContain('asyncio tasks');
      // Older summaries (without the two arrays) still format.
      expect(formatSummary(rest as Summary, '/w'), dir).toBe(text);
    }
  });
});

describe('the --loop-block-ms options', () => {
  it('parse for run and summary, within bounds', () => {
    expect(parseArgs(['run', '--loop-block-ms', '50', 'a.py'])).toMatchObject({ kind: 'run', loopBlockMs: 50, target: ['a.py'] });
    expect(parseArgs(['run', '--loop-block-ms=5', 'a.py'])).toMatchObject({ loopBlockMs: 5 });
    expect(parseArgs(['summary', 'd', '--loop-block-ms', '250'])).toMatchObject({ kind: 'summary', dirs: ['d'], loopBlockMs: 250 });
    expect(() => parseArgs(['run', '--loop-block-ms', '0', 'a.py'])).toThrow(`--loop-block-ms needs a whole number from ${LOOP_BLOCK_MS.min} to ${LOOP_BLOCK_MS.max}`);
    expect(() => parseArgs(['summary', 'd', '--loop-block-ms', 'x'])).toThrow(/--loop-block-ms needs a whole number/);
    expect(() => parseArgs(['summary', 'd', '--json=1'])).toThrow('unknown option --json=1 for "weft summary"');
  });

  it('reach the agent as WEFT_LOOP_BLOCK_MS only when given', () => {
    const base = { python: 'python3', outDir: 'o', cwd: '/w', target: ['a.py'], env: {} };
    expect(agentCommand({ ...base, loopBlockMs: 40 }).env.WEFT_LOOP_BLOCK_MS).toBe('40');
    expect('WEFT_LOOP_BLOCK_MS' in agentCommand(base).env).toBe(false);
    // Not a command-line option: an agent that does not know it would refuse to start.
    expect(agentCommand({ ...base, loopBlockMs: 40 }).args).not.toContain('--loop-block-ms');
  });

  it('weft summary --loop-block-ms filters the blocks in the text and the JSON', async () => {
    const out = capture();
    const err = capture();
    expect(await main(['summary', 'asyncio', '--loop-block-ms', '250'], { stdout: out, stderr: err, cwd: FIXTURES })).toBe(0);
    expect(out.text()).toContain('event loop blocked 300 ms at /w/app.py:12');
    expect(out.text()).not.toContain('event loop blocked 200 ms');
    const json = capture();
    expect(await main(['summary', 'asyncio', '--json', '--loop-block-ms=250'], { stdout: json, stderr: err, cwd: FIXTURES })).toBe(0);
    expect((JSON.parse(json.text()) as Summary).loopBlocks?.map((b) => b.line)).toEqual([12]);
    expect(err.text()).toBe('');
  });
});

describe('Chrome export with asyncio', () => {
  it('has a slice per task step (named by coroutine) and per loop block (with its line), and create arrows', async () => {
    const out = capture();
    await writeChromeTrace(m, out);
    const t = JSON.parse(out.text()) as { traceEvents: { ph: string; cat?: string; name: string; tid: number; ts?: number; dur?: number; args?: Record<string, unknown> }[] };
    const steps = t.traceEvents.filter((e) => e.cat === 'step');
    expect(steps).toHaveLength(11);
    expect(steps.find((e) => e.name === 'blocker')).toMatchObject({ ph: 'X', ts: 10_000, dur: 300_000 });
    const blocks = t.traceEvents.filter((e) => e.cat === 'loop_block');
    expect(blocks.map((e) => [e.ts, e.dur, e.args?.site, e.args?.siteSource, e.args?.delayed])).toEqual([
      [10_000, 300_000, '/w/app.py:12 (blocker)', 'wait', 3], [420_000, 200_000, '/w/app.py:24 (worker)', 'samples', 0],
    ]);
    expect(t.traceEvents.filter((e) => e.ph === 's' && e.cat === 'create')).toHaveLength(6);
  });
});
