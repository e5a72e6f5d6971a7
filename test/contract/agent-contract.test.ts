/**
 * Contract between the Python agent and the TypeScript format spec: the agent's real output
 * on fixture programs must validate record by record, and every id must be defined before use.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateHeader, validateRecord } from '../../runtime/src/format/spec';

const ROOT = path.resolve(__dirname, '..', '..');
const AGENT = path.join(ROOT, 'runtime', 'python');

function runAgent(script: string, args: string[] = []): string {
  const out = mkdtempSync(path.join(tmpdir(), 'weft-contract-'));
  const r = spawnSync('python3', ['-m', 'weft', '--out', out, '--sample-hz', '200', path.join(ROOT, script), ...args], {
    env: { ...process.env, PYTHONPATH: AGENT }, encoding: 'utf8', timeout: 60_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return out;
}

function checkFile(file: string): Set<string> {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
  expect(validateHeader(JSON.parse(lines[0] as string))).toBeNull();
  const defined = { S: new Set<number>(), O: new Set<number>(), F: new Set<number>(), T: new Set<number>() };
  const codes = new Set<string>();
  const need = (kind: keyof typeof defined, id: unknown, line: string): void => {
    if (id === null) return;
    expect(defined[kind].has(id as number), `${kind} ${String(id)} used before definition: ${line}`).toBe(true);
  };
  let count = 0;
  for (const line of lines.slice(1)) {
    const rec = JSON.parse(line) as unknown[];
    expect(validateRecord(rec), line).toBeNull();
    codes.add(rec[0] as string);
    switch (rec[0]) {
      case 'S': defined.S.add(rec[1] as number); break;
      case 'O': need('S', rec[4], line); need('O', rec[5], line); defined.O.add(rec[1] as number); break;
      case 'F': need('F', rec[2], line); need('S', rec[3], line); defined.F.add(rec[1] as number); break;
      case 'T': need('S', rec[7], line); defined.T.add(rec[2] as number); break;
      case 'W': need('T', rec[3], line); need('O', rec[4], line); need('S', rec[6], line); need('T', rec[7], line); need('S', rec[8], line); need('T', rec[9], line); break;
      case 'K': need('T', rec[2], line); need('F', rec[3], line); break;
      case 'C': case 'E': case 'N': need('T', rec[2], line); break;
      case 'A': need('O', rec[2], line); break;
      case 'Z': expect(rec[4]).toBe(count); break;
      default: break;
    }
    if (rec[0] !== 'Z') count++;
  }
  expect(lines[lines.length - 1]?.startsWith('["Z"')).toBe(true);
  return codes;
}

describe('agent output matches the trace format spec', () => {
  for (const example of ['examples/bank_transfer.py', 'examples/producer_consumer.py', 'examples/barrier_semaphore.py', 'test/python/programs/primitives.py']) {
    it(`every record of ${example} validates and refers only to defined ids`, () => {
      const out = runAgent(example);
      const files = readdirSync(out).filter((f) => f.endsWith('.jsonl'));
      expect(files.length).toBe(1);
      const codes = checkFile(path.join(out, files[0] as string));
      for (const c of ['S', 'O', 'T', 'E', 'W', 'K', 'F', 'C', 'Z']) expect(codes.has(c), `record ${c} present`).toBe(true);
    });
  }
});

describe('weft CLI end to end', () => {
  it('run keeps the program output and exit code and summary --json names the holder', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'weft-cli-'));
    const prog = path.join(ROOT, 'test', 'python', 'programs', 'lock_200ms.py');
    const r = spawnSync('node', [path.join(ROOT, 'bin', 'weft.js'), 'run', '--out', out, prog], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('Contended synchronisation');
    const summary = JSON.parse(execFileSync('node', [path.join(ROOT, 'bin', 'weft.js'), 'summary', out, '--json'], { encoding: 'utf8' })) as {
      locks: { kind: string; name: string; contentions: number; maxWaitMs: number; holders: { thread: string; site: { line: number } | null }[] }[];
    };
    const lock = summary.locks.find((l) => l.kind === 'lock' && l.name === 'lock');
    expect(lock?.contentions).toBe(1);
    expect(lock?.maxWaitMs).toBeGreaterThan(150);
    expect(lock?.holders[0]?.thread).toBe('holder');
    expect(lock?.holders[0]?.site?.line).toBe(11);
  });

  it('passes the exit code through and reports a missing script clearly', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'weft-cli-'));
    const prog = path.join(ROOT, 'test', 'python', 'programs', 'exits.py');
    const r = spawnSync('node', [path.join(ROOT, 'bin', 'weft.js'), 'run', '--no-summary', '--out', out, prog, 'code'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(3);
    expect(r.stdout).toContain("out: ['code']");
    const missing = spawnSync('node', [path.join(ROOT, 'bin', 'weft.js'), 'run', 'nope.py'], { encoding: 'utf8' });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('does not exist');
  });
});
