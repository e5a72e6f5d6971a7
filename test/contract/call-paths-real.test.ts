/**
 * Time by call path, end to end on the real agent and the real CLI (issue 16's ground truth):
 * examples/call_paths.py burns 0.6 s of CPU in f() and 0.3 s in g(), both through burn(), and
 * 0.1 s at the bottom of a 6-deep recursion. The summary must give f and g their CPU time
 * within 10 %, burn the self time of all of it, the recursion its time once (not per frame),
 * and the def line of each function. Needs the bundle (`npm test` builds it).
 *
 * CPU time rather than wall time is the truth here: the test machine is shared, a busy loop
 * gets a fraction of a core, and then `totalMs` (time on the stack) is longer than the CPU
 * time the loop measured, while `runningMs` (the part the thread's CPU clock measured) is not.
 * On an idle machine the two agree.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../runtime/src/cli/main';
import { SUMMARY_JSON_SCHEMA, type FunctionSummary, type Summary } from '../../runtime/src/summary/schema';
import { validate } from '../unit/runtime/helpers/json-schema';
import { cli, ROOT, tempDir } from './helpers';

const PROGRAM = path.join(ROOT, 'examples', 'call_paths.py');

async function run(args: string[]): Promise<string> {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (b: Buffer) => chunks.push(b));
  expect(await main(args, { stdout, stderr: new PassThrough(), cwd: ROOT })).toBe(0);
  return Buffer.concat(chunks).toString();
}

function defLine(name: string): number {
  const lines = readFileSync(PROGRAM, 'utf8').split('\n');
  return lines.findIndex((l) => l.startsWith(`def ${name}(`)) + 1;
}

describe('time by function on a program with known CPU time per call path', () => {
  let s: Summary;
  let text: string;
  const fn = (name: string): FunctionSummary => {
    const f = s.functions?.find((x) => x.name === name && x.file === PROGRAM);
    if (f === undefined) throw new Error(`no function ${name} in ${JSON.stringify(s.functions?.map((x) => x.name))}`);
    return f;
  };

  beforeAll(async () => {
    const out = tempDir('weft-calls-');
    const r = await cli(['run', '--no-summary', '--out', out, PROGRAM]);
    expect(r.status).toBe(0);
    s = JSON.parse(await run(['summary', out, '--json'])) as Summary;
    text = await run(['summary', out]);
  }, 60_000);

  it('gives f 600 ms and g 300 ms of CPU within 10 %, f twice g, and no less on the stack', () => {
    expect(validate(SUMMARY_JSON_SCHEMA as unknown as Record<string, unknown>, s)).toEqual([]);
    const f = fn('f');
    const g = fn('g');
    expect(Math.abs(f.runningMs - 600)).toBeLessThan(60);
    expect(Math.abs(g.runningMs - 300)).toBeLessThan(30);
    // f costs twice g. On the stack (wall) time holds the CPU time and more: how much more
    // depends on how the machine's load varied while each ran (in a full parallel test run,
    // f:g on the stack was once 1.45), so the ratio is asserted on CPU time.
    expect(f.runningMs / g.runningMs).toBeGreaterThan(1.8);
    expect(f.runningMs / g.runningMs).toBeLessThan(2.2);
    expect(f.totalMs).toBeGreaterThanOrEqual(0.97 * f.runningMs);
    expect(g.totalMs).toBeGreaterThanOrEqual(0.97 * g.runningMs);
    expect(f.selfMs).toBeLessThan(0.05 * f.totalMs);
    expect([f.line, g.line, f.defLine]).toEqual([defLine('f'), defLine('g'), true]);
  });

  it('gives burn the self time of both callers, and the recursion its time once', () => {
    const burn = fn('burn');
    const depth = fn('depth');
    expect(Math.abs(burn.selfMs - (fn('f').totalMs + fn('g').totalMs + depth.totalMs))).toBeLessThan(0.05 * burn.selfMs);
    expect(Math.abs(burn.runningMs - 1000)).toBeLessThan(100);
    // 0.1 s under 6 frames of depth(): about 100 ms, not 600.
    expect(depth.runningMs).toBeGreaterThan(70);
    expect(depth.runningMs).toBeLessThan(130);
    expect(depth.runningMs).toBeLessThan(0.2 * fn('main').runningMs);
  });

  it('reports the sampling period it achieved and prints the section', () => {
    expect(s.samplingPeriodMs).toBeGreaterThanOrEqual(9.5);
    expect(s.sampling?.[0]?.requestedHz).toBe(100);
    expect(s.hotPaths?.[0]?.frames.map((p) => p.name)).toEqual(['<module>', 'main', 'f', 'burn']);
    expect(text).toContain('Time by function');
    expect(text).toMatch(/ f +examples\/call_paths\.py:\d+/);
  });
});
