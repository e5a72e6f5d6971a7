/**
 * Which Python runs the program. Order: the interpreter selected in the Python extension (the
 * user's choice for this workspace, with its virtual environment), else `weft.pythonPath`,
 * else `python3` then `python` on PATH. Pure apart from the injected probe, so the order and
 * the error messages are unit-tested; `probePython` is the real probe.
 *
 * An interpreter the user chose (Python extension or setting) that does not run is an error,
 * never a silent fallback to another Python: profiling the wrong environment fails later with
 * confusing ImportErrors and a trace of the wrong program.
 */
import { execFile } from 'node:child_process';
import { assertUnreachable } from './assert';

export type InterpreterSource = 'python-extension' | 'setting' | 'path';

export interface InterpreterCandidate {
  command: string;
  source: InterpreterSource;
}

export interface ResolvedInterpreter {
  /** As chosen ("python3", a venv path). */
  command: string;
  /** `sys.executable`: the interpreter that actually runs (a PATH name resolved). */
  executable: string;
  source: InterpreterSource;
  version: string;
}

export type ProbeResult = { ok: true; version: string; executable: string } | { ok: false; error: string };

/** Runs `command -c ...` and reports the Python version, or why it could not. */
export type Probe = (command: string) => Promise<ProbeResult>;

export const MIN_PYTHON: readonly [number, number] = [3, 9];

export class InterpreterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InterpreterError';
  }
}

export function interpreterCandidates(input: { pythonExtension?: string | undefined; setting?: string | undefined }): InterpreterCandidate[] {
  if (input.pythonExtension) return [{ command: input.pythonExtension, source: 'python-extension' }];
  if (input.setting) return [{ command: input.setting, source: 'setting' }];
  return [
    { command: 'python3', source: 'path' },
    { command: 'python', source: 'path' },
  ];
}

export function describeSource(source: InterpreterSource): string {
  switch (source) {
    case 'python-extension':
      return 'selected in the Python extension';
    case 'setting':
      return 'from the weft.pythonPath setting';
    case 'path':
      return 'found on PATH';
    default:
      return assertUnreachable(source);
  }
}

export function isSupportedVersion(version: string): boolean {
  const [maj, min] = version.split('.').map(Number);
  if (maj === undefined || min === undefined || Number.isNaN(maj) || Number.isNaN(min)) return false;
  return maj > MIN_PYTHON[0] || (maj === MIN_PYTHON[0] && min >= MIN_PYTHON[1]);
}

function fixFor(source: InterpreterSource): string {
  switch (source) {
    case 'python-extension':
      return 'Select another interpreter with "Python: Select Interpreter".';
    case 'setting':
      return 'Fix or clear the weft.pythonPath setting.';
    case 'path':
      return 'Install Python 3.9 or newer, select an interpreter in the Python extension, or set weft.pythonPath.';
    default:
      return assertUnreachable(source);
  }
}

/** Probes the candidates in order and returns the first usable one. */
export async function resolveInterpreter(candidates: readonly InterpreterCandidate[], probe: Probe): Promise<ResolvedInterpreter> {
  const failures: string[] = [];
  for (const c of candidates) {
    const r = await probe(c.command);
    if (r.ok) {
      if (!isSupportedVersion(r.version)) {
        throw new InterpreterError(
          `${c.command} (${describeSource(c.source)}) is Python ${r.version}; Weft needs Python ${MIN_PYTHON.join('.')} or newer. ${fixFor(c.source)}`,
        );
      }
      return { command: c.command, executable: r.executable || c.command, source: c.source, version: r.version };
    }
    if (c.source !== 'path') {
      throw new InterpreterError(`the Python interpreter ${c.command} (${describeSource(c.source)}) does not run: ${r.error}. ${fixFor(c.source)}`);
    }
    failures.push(`${c.command}: ${r.error}`);
  }
  throw new InterpreterError(`no Python found on PATH (${failures.join('; ')}). ${fixFor('path')}`);
}

/**
 * The real probe: runs the interpreter with a one-line script, asynchronously (the extension
 * host is shared with every other extension and must never block on a child process).
 */
export function probePython(command: string, timeoutMs = 15_000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3]); print(sys.executable)'],
      { timeout: timeoutMs, windowsHide: true, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') resolve({ ok: false, error: 'not found' });
          else if (code === 'EACCES') resolve({ ok: false, error: 'not executable (permission denied)' });
          else if (err.killed) resolve({ ok: false, error: `did not answer within ${timeoutMs / 1000} s` });
          else resolve({ ok: false, error: (stderr.trim().split('\n').pop() ?? '') || err.message });
          return;
        }
        const [version = '', executable = ''] = stdout.trim().split(/\r?\n/);
        if (!/^\d+\.\d+\.\d+$/.test(version)) {
          resolve({ ok: false, error: `it is not a Python interpreter (printed ${JSON.stringify(stdout.slice(0, 80))})` });
          return;
        }
        resolve({ ok: true, version, executable });
      },
    );
  });
}
