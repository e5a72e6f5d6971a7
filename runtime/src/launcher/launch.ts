/**
 * Starts a Python program under the agent: argument arrays only (never a shell), explicit
 * interpreter choice, and the agent found next to the bundle (dist/ and runtime/python/ are
 * siblings both in the repository and in the packaged extension).
 */
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { RUN_FILE, type RunInfo } from '../format/spec';

/** Directory holding the `weft` Python package. */
export function agentPath(fromDir: string = __dirname): string {
  for (const candidate of [
    path.join(fromDir, '..', 'runtime', 'python'),
    path.join(fromDir, '..', '..', 'python'),
    path.join(fromDir, '..', 'python'),
  ]) {
    if (existsSync(path.join(candidate, 'weft', '__main__.py'))) return path.resolve(candidate);
  }
  throw new Error(`the Weft Python agent was not found near ${fromDir}; reinstall Weft.`);
}

export class LaunchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LaunchError';
  }
}

/** Picks the interpreter: explicit choice, then WEFT_PYTHON, then python3, then python. */
export function resolvePython(explicit?: string, env: NodeJS.ProcessEnv = process.env): { path: string; version: string } {
  const candidates = explicit ? [explicit] : [env.WEFT_PYTHON, 'python3', 'python'].filter((c): c is string => !!c);
  for (const c of candidates) {
    const r = spawnSync(c, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], { encoding: 'utf8', timeout: 15000 });
    if (r.status === 0) {
      const version = r.stdout.trim();
      const [maj, min] = version.split('.').map(Number);
      if ((maj ?? 0) < 3 || ((maj ?? 0) === 3 && (min ?? 0) < 9)) {
        throw new LaunchError(`${c} is Python ${version}; Weft needs Python 3.9 or newer. Use --python to choose another interpreter.`);
      }
      return { path: c, version };
    }
  }
  throw new LaunchError(explicit
    ? `no Python found at "${explicit}" (it did not run). Check the path given to --python.`
    : 'no Python found: neither python3 nor python is on PATH. Install Python 3.9+ or pass --python PATH.');
}

export interface LaunchOptions {
  python: string;
  outDir: string;
  /** Script and its arguments, or `-m module args`. */
  target: string[];
  sampleHz?: number;
  flushMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  stdio?: StdioOptions;
  /** Start the program in its own process group so stop() can end the whole tree. */
  detached?: boolean;
}

/** The agent command line for a target. */
export function agentCommand(opts: LaunchOptions): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  const agent = agentPath();
  const base = opts.env ?? process.env;
  const env: NodeJS.ProcessEnv = {
    ...base,
    PYTHONPATH: base.PYTHONPATH ? `${agent}${path.delimiter}${base.PYTHONPATH}` : agent,
    WEFT_OUT: path.resolve(opts.outDir),
    WEFT_SAMPLE_HZ: String(opts.sampleHz ?? 100),
    WEFT_FLUSH_MS: String(opts.flushMs ?? 100),
  };
  const args = ['-m', 'weft', '--out', path.resolve(opts.outDir), '--sample-hz', String(opts.sampleHz ?? 100),
    '--flush-ms', String(opts.flushMs ?? 100), '--', ...opts.target];
  return { command: opts.python, args, env };
}

export interface RunningProgram {
  child: ChildProcess;
  /** Resolves when the program has exited and run.json is written. */
  done: Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>;
  /** Ends the whole process tree: SIGTERM, then SIGKILL after `graceMs`. The trace stays. */
  stop(graceMs?: number): void;
}

export function launch(opts: LaunchOptions): RunningProgram {
  mkdirSync(opts.outDir, { recursive: true });
  const { command, args, env } = agentCommand(opts);
  const started = Date.now();
  const child = spawn(command, args, {
    cwd: opts.cwd, env, stdio: opts.stdio ?? 'inherit', detached: opts.detached ?? false, shell: false,
  });
  const run: RunInfo = {
    format: 'weft-run', version: 1, command: [command, ...args], cwd: opts.cwd ?? process.cwd(),
    python: command, startWallMs: started,
  };
  const writeRun = (): void => {
    try {
      writeFileSync(path.join(opts.outDir, RUN_FILE), JSON.stringify(run, null, 2));
    } catch {
      // The trace is still readable without run.json.
    }
  };
  writeRun();
  const done = new Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', (e) => reject(new LaunchError(`could not start ${command}: ${e.message}`)));
    child.on('exit', (code, signal) => {
      run.endWallMs = Date.now();
      run.exitCode = code;
      run.signal = signal;
      writeRun();
      resolve({ exitCode: code, signal });
    });
  });
  const kill = (sig: NodeJS.Signals): void => {
    try {
      if (opts.detached && child.pid) process.kill(-child.pid, sig);
      else child.kill(sig);
    } catch {
      // Already gone.
    }
  };
  return {
    child,
    done,
    stop(graceMs = 2000) {
      kill('SIGTERM');
      const t = setTimeout(() => kill('SIGKILL'), graceMs);
      t.unref();
      void done.then(() => clearTimeout(t), () => clearTimeout(t));
    },
  };
}
