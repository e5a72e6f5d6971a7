/**
 * Choosing the Python interpreter: `--python PATH`, else `$WEFT_PYTHON`, else `python3`, else
 * `python`. The choice is run once to check that it is Python 3.9 or newer (the agent's
 * minimum) and to learn its version and real executable. An explicit choice that fails is an
 * error, never silently replaced by another interpreter.
 */
import { execFile } from 'node:child_process';

export class LaunchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LaunchError';
  }
}

export interface PythonInfo {
  /** The command as given or found ("python3", "/usr/bin/python3.11"). */
  command: string;
  /** sys.executable. */
  executable: string;
  /** e.g. "3.11.7". */
  version: string;
}

const PROBE = 'import sys; print("%d.%d.%d" % sys.version_info[:3]); print(sys.executable)';
export const MIN_PYTHON: readonly [number, number] = [3, 9];

/** Runs the candidate once; `env` matters: its PATH is where a bare name is looked up. */
function probe(command: string, env: NodeJS.ProcessEnv): Promise<PythonInfo | null> {
  return new Promise((resolve) => {
    execFile(command, ['-c', PROBE], { timeout: 20_000, windowsHide: true, env }, (err, stdout) => {
      if (err) {
        resolve(null);
        return;
      }
      const [version = '', executable = ''] = stdout.trim().split(/\r?\n/);
      resolve(/^\d+\.\d+\.\d+$/.test(version) ? { command, executable: executable || command, version } : null);
    });
  });
}

function tooOld(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major < (MIN_PYTHON[0] as number) || (major === MIN_PYTHON[0] && minor < (MIN_PYTHON[1] as number));
}

export async function resolvePython(explicit?: string | null, env: NodeJS.ProcessEnv = process.env): Promise<PythonInfo> {
  const need = `Python ${MIN_PYTHON.join('.')} or newer`;
  const chosen = explicit ? { command: explicit, from: '--python' } : env.WEFT_PYTHON ? { command: env.WEFT_PYTHON, from: 'WEFT_PYTHON' } : null;
  if (chosen !== null) {
    const info = await probe(chosen.command, env);
    if (info === null) throw new LaunchError(`no Python found: ${chosen.command} (from ${chosen.from}) did not run as Python. Use --python with the path of a ${need}.`);
    if (tooOld(info.version)) throw new LaunchError(`${chosen.command} is Python ${info.version}; Weft needs ${need}. Use --python to choose another interpreter.`);
    return info;
  }
  const found: PythonInfo[] = [];
  for (const command of ['python3', 'python']) {
    const info = await probe(command, env);
    if (info === null) continue;
    if (!tooOld(info.version)) return info;
    found.push(info);
  }
  if (found.length > 0) {
    throw new LaunchError(`no suitable Python found: ${found.map((f) => `${f.command} is ${f.version}`).join(', ')}; Weft needs ${need}. Use --python PATH (or set WEFT_PYTHON).`);
  }
  throw new LaunchError(`no Python found: neither python3 nor python runs here. Install ${need}, or use --python PATH (or set WEFT_PYTHON).`);
}
