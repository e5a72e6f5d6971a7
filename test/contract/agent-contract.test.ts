/**
 * The contract between the Python agent and the TypeScript format spec: the agent's real
 * output on the programs in test/contract/programs must validate line by line against
 * format/spec.ts, its end record must count the records, every id must be defined before it
 * is used, and the model built from it must show what the program is known to do.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateHeader, validateRecord, WAIT_REASONS } from '../../runtime/src/format/spec';
import { loadTrace } from '../../runtime/src/model/build-model';
import { AGENT, PROGRAMS, lineOf, tempDir } from './helpers';

function runAgent(program: string, args: string[] = []): { dir: string; stdout: string; status: number | null } {
  const dir = tempDir('weft-contract-');
  const r = spawnSync('python3', ['-m', 'weft', '--out', dir, '--sample-hz', '200', path.join(PROGRAMS, program), ...args], {
    env: { ...process.env, PYTHONPATH: AGENT }, encoding: 'utf8', timeout: 60_000,
  });
  expect(r.error).toBeUndefined();
  return { dir, stdout: r.stdout, status: r.status };
}

/** Checks one process file; returns the record codes and wait reasons seen. */
function checkFile(file: string): { codes: Set<string>; reasons: Set<string> } {
  const text = readFileSync(file, 'utf8');
  expect(text.endsWith('\n'), 'the file ends with a newline').toBe(true);
  const lines = text.split('\n').slice(0, -1);
  expect(validateHeader(JSON.parse(lines[0] as string))).toBeNull();
  const defined = { S: new Set<unknown>(), O: new Set<unknown>(), F: new Set<unknown>(), T: new Set<unknown>() };
  const codes = new Set<string>();
  const reasons = new Set<string>();
  const need = (kind: keyof typeof defined, id: unknown, line: string): void => {
    if (id === null) return;
    expect(defined[kind].has(id), `${kind} ${String(id)} used before it is defined: ${line}`).toBe(true);
  };
  let count = 0;
  let ended = false;
  for (const line of lines.slice(1)) {
    expect(ended, `nothing follows the end record: ${line}`).toBe(false);
    const rec = JSON.parse(line) as unknown[];
    expect(validateRecord(rec), line).toBeNull();
    codes.add(rec[0] as string);
    switch (rec[0]) {
      case 'S': defined.S.add(rec[1]); break;
      case 'O': need('S', rec[4], line); need('O', rec[5], line); defined.O.add(rec[1]); break;
      case 'F': need('F', rec[2], line); need('S', rec[3], line); defined.F.add(rec[1]); break;
      case 'T': need('T', rec[6], line); need('S', rec[7], line); defined.T.add(rec[2]); break;
      case 'W':
        need('T', rec[3], line); need('O', rec[4], line); need('S', rec[6], line); need('T', rec[7], line);
        need('S', rec[8], line); need('T', rec[9], line);
        reasons.add(rec[5] as string);
        expect(rec[2] as number, `a wait ends after it begins: ${line}`).toBeGreaterThanOrEqual(rec[1] as number);
        break;
      case 'K': need('T', rec[2], line); need('F', rec[3], line); break;
      case 'C': case 'E': case 'N': need('T', rec[2], line); break;
      case 'A': need('O', rec[2], line); break;
      case 'X': need('T', rec[3], line); need('S', rec[6], line); break;
      case 'L': need('T', rec[2], line); need('O', rec[6], line); break;
      case 'P': need('T', rec[5], line); need('S', rec[6], line); break;
      case 'Z': expect(rec[4], 'the end record counts the records before it').toBe(count); ended = true; break;
      default: break;
    }
    if (rec[0] !== 'Z') count++;
  }
  expect(ended, 'the file has an end record').toBe(true);
  return { codes, reasons };
}

function checkTrace(dir: string): { codes: Set<string>; reasons: Set<string> } {
  const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
  expect(files.length).toBeGreaterThanOrEqual(1);
  const codes = new Set<string>();
  const reasons = new Set<string>();
  for (const f of files) {
    const r = checkFile(path.join(dir, f));
    r.codes.forEach((c) => codes.add(c));
    r.reasons.forEach((c) => reasons.add(c));
  }
  return { codes, reasons };
}

describe('agent output matches the trace format spec', () => {
  it('threads and a contended lock: valid records, and the holder named at its line', async () => {
    const { dir, stdout, status } = runAgent('lock_contention.py', ['3']);
    expect(status).toBe(3);
    expect(stdout).toBe("done: 2 threads, argv ['3']\n");
    const { codes, reasons } = checkTrace(dir);
    for (const c of ['S', 'O', 'T', 'E', 'W', 'A', 'K', 'F', 'C', 'Z']) expect(codes.has(c), `record ${c} present`).toBe(true);
    expect(reasons.has('lock')).toBe(true);

    const m = await loadTrace(dir);
    expect(m.warnings).toEqual([]);
    const lock = m.locks.find((l) => m.objects[l.object]?.name === 'lock');
    expect(lock?.contentions).toBe(1);
    // The waiter starts waiting once the lock is held and the holder keeps it 200 ms.
    expect(lock?.maxWaitNs).toBeGreaterThan(150e6);
    expect(lock?.maxWaitNs).toBeLessThan(2000e6);
    const holder = lock?.holders[0];
    expect(m.lanes[holder?.lane ?? -1]?.name).toBe('holder');
    expect(m.sites[holder?.site ?? -1]?.line).toBe(lineOf('lock_contention.py', '# BUSY_LINE'));
    expect(m.sites[lock?.waiters[0]?.site ?? -1]?.line).toBe(lineOf('lock_contention.py', '# WAIT_LINE'));
    expect(m.processes[0]?.exitCode).toBe(3);
  });

  it('a bounded queue and a condition: queue_put and condition waits, woken by the consumer', async () => {
    const { dir, stdout, status } = runAgent('queue_condition.py');
    expect(status).toBe(0);
    expect(stdout).toBe('consumed 5\n');
    const { reasons } = checkTrace(dir);
    expect(reasons.has('queue_put')).toBe(true);
    expect(reasons.has('condition')).toBe(true);
    const m = await loadTrace(dir);
    const byName = (n: string) => m.locks.find((l) => m.objects[l.object]?.name === n);
    expect(byName('work')?.contentions).toBeGreaterThanOrEqual(1);
    expect(m.lanes[byName('work')?.holders[0]?.lane ?? -1]?.name).toBe('consumer');
    expect(m.lanes[byName('cond')?.waiters[0]?.lane ?? -1]?.name).toBe('waiter');
    expect(m.flows.some((f) => f.kind === 'unblock' && m.lanes[f.fromLane]?.name === 'consumer' && m.lanes[f.toLane]?.name === 'producer')).toBe(true);
  });

  it('a barrier and a semaphore: barrier and semaphore waits', async () => {
    const { dir, stdout, status } = runAgent('barrier_semaphore.py');
    expect(status).toBe(0);
    expect(stdout).toBe('all through\n');
    const { reasons } = checkTrace(dir);
    expect(reasons.has('barrier')).toBe(true);
    expect(reasons.has('semaphore')).toBe(true);
    const m = await loadTrace(dir);
    const kinds = m.locks.map((l) => m.objects[l.object]?.kind);
    expect(kinds).toContain('barrier');
    expect(kinds).toContain('semaphore');
    const barrier = m.locks.find((l) => m.objects[l.object]?.kind === 'barrier');
    // Three workers arrive 10 ms apart: the first two wait for the third.
    expect(barrier?.contentions).toBe(2);
    for (const t of m.threadTimes) for (const r of Object.keys(t.waitNs)) expect(WAIT_REASONS).toContain(r);
  });
});
