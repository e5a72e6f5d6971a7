/**
 * asyncio end to end, on the real agent and the real CLI: `weft run` of
 * test/contract/programs/aio_block.py finds the 300 ms event-loop block at its time.sleep line
 * (from the recorded wait), the asyncio lock's 100 ms wait with its holder task, the task
 * groups with a cancelled and a failed task, and says the block in its end-of-run summary.
 * Needs the bundle (`npm test` builds it).
 */
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../runtime/src/cli/main';
import { SUMMARY_JSON_SCHEMA, type Summary } from '../../runtime/src/summary/schema';
import { validate } from '../unit/runtime/helpers/json-schema';
import { cli, lineOf, PROGRAMS, ROOT, tempDir } from './helpers';

const PROGRAM = path.join(PROGRAMS, 'aio_block.py');

async function summaryOf(dir: string, extra: string[] = []): Promise<Summary> {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (b: Buffer) => chunks.push(b));
  expect(await main(['summary', dir, '--json', ...extra], { stdout, stderr: new PassThrough(), cwd: ROOT })).toBe(0);
  return JSON.parse(Buffer.concat(chunks).toString()) as Summary;
}

describe('weft run on an asyncio program', () => {
  it('finds the event-loop block at the time.sleep line, the asyncio lock wait and the task groups', async () => {
    const out = tempDir('weft-aio-');
    const r = await cli(['run', '--loop-block-ms', '100', '--out', out, PROGRAM]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('done\n');
    const blockLine = lineOf('aio_block.py', '# BLOCK_LINE');
    expect(r.stderr).toMatch(new RegExp(`event loop blocked \\d+ ms at .*aio_block\\.py:${blockLine} \\(in blocker; task "[^"]+"`));
    expect(r.stderr).toContain('asyncio tasks by coroutine');

    const s = await summaryOf(out);
    expect(validate(SUMMARY_JSON_SCHEMA as unknown as Record<string, unknown>, s)).toEqual([]);
    const block = s.loopBlocks?.[0];
    expect(block?.line).toBe(blockLine);
    expect(block?.function).toBe('blocker');
    expect(block?.siteSource).toBe('wait');
    // 300 ms within 5 %.
    expect(block?.durationMs).toBeGreaterThanOrEqual(285);
    expect(block?.durationMs).toBeLessThanOrEqual(315);
    // The two tickers' timers fell due while it blocked.
    expect(block?.delayedCount).toBeGreaterThanOrEqual(1);

    const lock = s.locks.find((l) => l.kind === 'aio_lock');
    expect(lock?.contentions).toBe(1);
    // Held 100 ms, waited for from 10 ms in: 90 ms ± 5 ms.
    expect(lock?.maxWaitMs).toBeGreaterThan(85);
    expect(lock?.maxWaitMs).toBeLessThan(100);
    // The holder is a task (not the loop thread), at its `async with` or the await inside it.
    const hold = lineOf('aio_block.py', '# HOLD_LINE');
    expect(lock?.holders[0]?.thread).not.toBe('MainThread');
    expect([hold - 1, hold]).toContain(lock?.holders[0]?.site?.line);
    expect(lock?.waiters[0]?.site?.line).toBe(lineOf('aio_block.py', '# WAIT_LINE'));

    const groups = new Map((s.tasks ?? []).map((g) => [g.coroutine, g]));
    expect(groups.get('ticker')?.count).toBe(2);
    expect(groups.get('blocker')?.runMs).toBeGreaterThanOrEqual(290);
    expect(groups.get('failing')?.failed).toBe(1);
    expect(groups.get('forever')?.cancelled).toBe(1);

    // A threshold above the block leaves it out.
    expect((await summaryOf(out, ['--loop-block-ms', '5000'])).loopBlocks).toEqual([]);
  });
});
