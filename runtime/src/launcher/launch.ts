/**
 * Starts a Python program under the agent and waits for it.
 *
 * - An argument array, never a shell: a script path or argument with spaces or quotes
 *   reaches Python unchanged.
 * - The environment gains the agent's directory at the front of PYTHONPATH and the WEFT_*
 *   settings (which the agent also passes on to child processes).
 * - stdio is inherited by default, so the program's input and output are the user's; the
 *   editor passes "pipe" and reads them itself.
 * - run.json records the command, working directory and, at the end, the exit status.
 * - stop() ends the whole process tree: with `detached` the program leads its own process
 *   group and the group gets SIGTERM (the agent then writes its end record), and SIGKILL
 *   after a grace period. The trace files stay; a killed process's file is read as cut short.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { RUN_FILE, type RunInfo } from '../format/spec';
import { agentPath } from './agent-path';
import { ProgressWatcher, type RunProgress } from './progress';
import { LaunchError, type PythonInfo } from './python';

export interface LaunchOptions {
  /** The interpreter: from resolvePython(), or a command the caller has already checked. */
  python: PythonInfo | string;
  outDir: string;
  /** `script.py args...` or `-m module args...`. */
  target: string[];
  sampleHz?: number;
  flushMs?: number;
  /** The event-loop block threshold (ms) for the agent's `B` records, passed as
   * WEFT_LOOP_BLOCK_MS; absent: the agent's default. Environment only, not a command-line
   * option of the agent, so that an agent without asyncio support ignores it. */
  loopBlockMs?: number;
  /** Lock-order mode (the agent's `I` records), passed as WEFT_LOCK_ORDER=1; absent or
   * false: the agent's default (off), or what the base environment says. */
  lockOrder?: boolean;
  cwd?: string;
  /** Base environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  stdio?: StdioOptions;
  /** Start the program as the leader of its own process group, so stop() reaches its children. */
  detached?: boolean;
  /** Called while the program runs (every `progressIntervalMs`) and once at its end. */
  onProgress?: (p: RunProgress) => void;
  progressIntervalMs?: number;
  /** Override of the agent directory (tests). */
  agentDir?: string;
}

export interface ExitStatus {
  /** The exit code, or null when a signal ended the process. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningProgram {
  child: ChildProcess;
  outDir: string;
  /** Resolves when the program has exited and run.json has its exit status. */
  done: Promise<ExitStatus>;
  /** Ends the program and its children: SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): void;
}

/** The agent's command line and environment for a target (no side effects). */
export function agentCommand(opts: LaunchOptions): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  const agent = opts.agentDir ?? agentPath();
  const base = opts.env ?? process.env;
  const out = path.resolve(opts.cwd ?? process.cwd(), opts.outDir);
  const sampleHz = String(opts.sampleHz ?? 100);
  const flushMs = String(opts.flushMs ?? 100);
  const env: NodeJS.ProcessEnv = {
    ...base,
    PYTHONPATH: base.PYTHONPATH ? `${agent}${path.delimiter}${base.PYTHONPATH}` : agent,
    WEFT_OUT: out,
    WEFT_SAMPLE_HZ: sampleHz,
    WEFT_FLUSH_MS: flushMs,
    // The program ends with this process even when it is killed outright (weft/launcher_link.py).
    WEFT_LAUNCHER_PID: String(process.pid),
  };
  if (opts.loopBlockMs !== undefined) env.WEFT_LOOP_BLOCK_MS = String(opts.loopBlockMs);
  if (opts.lockOrder) env.WEFT_LOCK_ORDER = '1';
  const args = ['-m', 'weft', '--out', out, '--sample-hz', sampleHz, '--flush-ms', flushMs, '--', ...opts.target];
  const command = typeof opts.python === 'string' ? opts.python : opts.python.executable;
  return { command, args, env };
}

/** The shell-free spawn, run.json bookkeeping, progress and stop(). */
export function launch(opts: LaunchOptions): RunningProgram {
  const { command, args, env } = agentCommand(opts);
  const outDir = path.resolve(opts.cwd ?? process.cwd(), opts.outDir);
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (e) {
    throw new LaunchError(`cannot create the trace directory ${outDir}: ${(e as Error).message}. Choose another with --out.`);
  }
  const run: RunInfo = {
    format: 'weft-run', version: 1, command: [command, ...args], cwd: opts.cwd ?? process.cwd(),
    python: typeof opts.python === 'string' ? '' : opts.python.version, startWallMs: Date.now(),
  };
  const writeRun = (): void => {
    try {
      writeFileSync(path.join(outDir, RUN_FILE), `${JSON.stringify(run, null, 2)}\n`);
    } catch {
      // The trace stays readable without run.json; only the root's exit status is lost.
    }
  };
  writeRun();
  const child = spawn(command, args, {
    cwd: opts.cwd, env, stdio: opts.stdio ?? 'inherit', detached: opts.detached ?? false, shell: false, windowsHide: true,
  });
  const watcher = opts.onProgress ? new ProgressWatcher(outDir, opts.onProgress, opts.progressIntervalMs) : null;
  watcher?.start();
  let exited = false;
  const done = new Promise<ExitStatus>((resolve, reject) => {
    child.once('error', (e) => {
      void watcher?.stop();
      reject(new LaunchError(`could not start ${command}: ${e.message}. Check the interpreter given to --python.`));
    });
    child.once('exit', (code, signal) => {
      exited = true;
      run.endWallMs = Date.now();
      run.exitCode = code;
      run.signal = signal;
      writeRun();
      const finish = (): void => resolve({ exitCode: code, signal });
      if (watcher !== null) watcher.stop().then(finish, finish);
      else finish();
    });
  });
  const kill = (sig: NodeJS.Signals): void => {
    if (child.pid === undefined) return;
    try {
      // The group may outlive its leader (children still running), so signal it even after exit.
      if (opts.detached && process.platform !== 'win32') process.kill(-child.pid, sig);
      else if (!exited) child.kill(sig);
    } catch {
      // Already gone.
    }
  };
  return {
    child,
    outDir,
    done,
    stop(graceMs = 3000) {
      kill('SIGTERM');
      const t = setTimeout(() => kill('SIGKILL'), graceMs);
      t.unref();
      const clear = (): void => {
        // The leader is gone; children in its group get the rest of the grace period.
        if (!opts.detached) clearTimeout(t);
      };
      done.then(clear, clear);
    },
  };
}
