/**
 * The interpreter selected in Microsoft's Python extension, through its public API
 * (`exports.environments`, the API `@vscode/python-extension` wraps). The wrapper package is not
 * used: it is only types plus a two-line helper, and its current release declares
 * `engines.node >= 22.17`, which this repository (Node 20) does not meet. The few members
 * Weft calls are typed here instead, all optional, because an older Python extension may lack
 * any of them.
 */
import * as vscode from 'vscode';

const PYTHON_EXTENSION_ID = 'ms-python.python';
/** The Python extension can take several seconds to activate; never wait on it forever. */
const ACTIVATION_TIMEOUT_MS = 15_000;

interface EnvironmentPath {
  id: string;
  path: string;
}

interface ResolvedEnvironment {
  executable?: { uri?: vscode.Uri };
}

interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath?(resource?: vscode.Uri): EnvironmentPath | undefined;
    resolveEnvironment?(env: EnvironmentPath | string): Promise<ResolvedEnvironment | undefined>;
  };
}

export type PythonExtensionResult =
  | { kind: 'not-installed' }
  | { kind: 'none-selected' }
  | { kind: 'selected'; executable: string }
  | { kind: 'unavailable'; reason: string };

function withTimeout<T>(p: Thenable<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
    Promise.resolve(p).then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** Asks the Python extension which interpreter it uses for `resource`'s workspace folder. */
export async function interpreterFromPythonExtension(resource: vscode.Uri | undefined): Promise<PythonExtensionResult> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
  if (!ext) return { kind: 'not-installed' };
  try {
    const api = ext.isActive ? ext.exports : await withTimeout(ext.activate(), ACTIVATION_TIMEOUT_MS, 'activating the Python extension');
    const envs = api?.environments;
    if (!envs?.getActiveEnvironmentPath) return { kind: 'unavailable', reason: 'this version of the Python extension has no environments API' };
    const active = envs.getActiveEnvironmentPath(resource);
    if (!active?.path) return { kind: 'none-selected' };
    // `path` is usually the executable, but for some environment kinds (conda) it is the
    // environment's folder; resolving gives the executable in every case.
    if (envs.resolveEnvironment) {
      const resolved = await withTimeout(envs.resolveEnvironment(active), ACTIVATION_TIMEOUT_MS, 'resolving the Python environment');
      const exe = resolved?.executable?.uri?.fsPath;
      if (exe) return { kind: 'selected', executable: exe };
    }
    return { kind: 'selected', executable: active.path };
  } catch (e) {
    return { kind: 'unavailable', reason: (e as Error).message };
  }
}
