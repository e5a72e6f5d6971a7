/** The live stall line of `weft run`: options to the agent, and the tail reader that turns a
 * `D` record into stallSentence's line as the file grows (pure file I/O, no Python). */
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs, WATCHDOG_MS } from '../../../runtime/src/cli/args';
import { agentCommand } from '../../../runtime/src/launcher/launch';
import { StallWatcher, type LiveStall } from '../../../runtime/src/launcher/stall-watch';

const line = (r: unknown): string => `${JSON.stringify(r)}\n`;

describe('the watchdog options', () => {
  it('parse for run, within bounds, and reach the agent only when given', () => {
    expect(parseArgs(['run', '--watchdog-ms', '300', '--hang-ms=0', 'a.py'])).toMatchObject({ kind: 'run', watchdogMs: 300, hangMs: 0, target: ['a.py'] });
    expect(parseArgs(['run', 'a.py'])).toMatchObject({ watchdogMs: null, hangMs: null });
    expect(() => parseArgs(['run', '--watchdog-ms', '-1', 'a.py'])).toThrow(/--watchdog-ms needs a value|--watchdog-ms needs a whole number/);
    expect(() => parseArgs(['run', '--hang-ms', String(WATCHDOG_MS.max + 1), 'a.py'])).toThrow(`--hang-ms needs a whole number from 0 to ${WATCHDOG_MS.max}`);
    const base = { python: 'python3', outDir: 'o', cwd: '/w', target: ['a.py'], env: {} };
    const { env, args } = agentCommand({ ...base, watchdogMs: 250, hangMs: 2000 });
    expect(env).toMatchObject({ WEFT_WATCHDOG_MS: '250', WEFT_HANG_MS: '2000' });
    expect(args).not.toContain('--watchdog-ms');
    expect('WEFT_WATCHDOG_MS' in agentCommand(base).env).toBe(false);
  });
});

describe('StallWatcher', () => {
  it('prints each D once, with names from the definitions read so far, across partial writes', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'weft-stall-'));
    const file = path.join(dir, 'weft-abc123abc123-42-0.jsonl');
    writeFileSync(file, line({ format: 'weft-trace', version: 2, pid: 42 }));
    const seen: LiveStall[] = [];
    const w = new StallWatcher(dir, (s) => seen.push(s));
    appendFileSync(file, [
      line(['T', 1, 2, 0, 't1', 0, 1, null]), line(['T', 1, 3, 0, 'worker', 0, 1, null]), line(['N', 2, 3, 't2']),
      line(['S', 1, '/x/x.py', 5, '<module>']), line(['S', 2, '/x/x.py', 6, '<module>']),
      line(['S', 3, '/x/x.py', 12, 'f']), line(['S', 4, '/x/x.py', 18, 'g']),
      line(['O', 1, 'lock', 'A', 1, null, null]), line(['O', 2, 'lock', 'B', 2, null, null]),
      line(['W', 5, 9, 2, 2, 'lock', 3, 3, 4, null, 2]),
    ].join(''));
    await w.poll();
    expect(seen).toEqual([]);
    const d = line(['D', 10, 'deadlock', [2, 3], [2, 1], [3, 4], [0, 0]]);
    appendFileSync(file, d.slice(0, 20));
    await w.poll();
    expect(seen).toEqual([]); // half a line: not yet
    appendFileSync(file, d.slice(20));
    await w.stop();
    expect(seen).toEqual([{
      file, pid: 42, kind: 'deadlock',
      sentence: 'deadlock: t1 waits for B (created at x.py:6) held by t2 at x.py:18; t2 waits for A (created at x.py:5) held by t1 at x.py:12',
    }]);
    await w.poll();
    expect(seen).toHaveLength(1);
  });

  it('names an unnamed object by kind and id, and a hang by its members', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'weft-stall-'));
    const file = path.join(dir, 'weft-abc123abc123-7-0.jsonl');
    writeFileSync(file, [
      line({ format: 'weft-trace', version: 2, pid: 7 }), line(['T', 1, 1, 0, 'MainThread', 0, null, null]),
      line(['O', 3, 'event', '', null, null, null]), line(['O', 4, 'condition', '', null, 3, 'cond']), 'not json\n',
      line(['D', 10, 'hang', [1], [4], [0], [0]]),
    ].join(''));
    const seen: LiveStall[] = [];
    await new StallWatcher(dir, (s) => seen.push(s)).poll();
    expect(seen.map((s) => s.sentence)).toEqual(['hang: every thread is blocked; MainThread waits for event 3']);
  });
});
