/** Shared by the tests that run the real agent and the real CLI. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const AGENT = path.join(ROOT, 'runtime', 'python');
export const PROGRAMS = path.join(__dirname, 'programs');
export const CLI = path.join(ROOT, 'bin', 'weft.js');

export function tempDir(prefix = 'weft-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** The 1-based line of a program that contains `marker`. */
export function lineOf(program: string, marker: string): number {
  const lines = readFileSync(path.join(PROGRAMS, program), 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`${marker} not in ${program}`);
  return i + 1;
}

/** Resolves with everything the stream printed once `text` appears in it (readiness, not a sleep). */
export function waitForOutput(child: ChildProcess, text: string, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no "${text}" within ${timeoutMs} ms; got: ${seen}`)), timeoutMs);
    child.stdout?.on('data', (b: Buffer) => {
      seen += b.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve(seen);
      }
    });
  });
}

export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** True while the process exists and is not a zombie (Linux; elsewhere, while it exists). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return true;
  try {
    const s = readFileSync(stat, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Polls until `cond` holds (each check is cheap), failing after `timeoutMs`. */
export async function until(cond: () => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function runCli(args: string[], opts: { cwd?: string; input?: string } = {}): ChildProcess {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  if (opts.input !== undefined) child.stdin?.end(opts.input);
  return child;
}

export async function cli(args: string[], opts: { cwd?: string; input?: string } = {}): Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const child = runCli(args, opts);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const closed = new Promise<void>((r) => child.once('close', () => r()));
  const { code, signal } = await exited(child);
  await closed;
  return { status: code, signal, stdout, stderr };
}
