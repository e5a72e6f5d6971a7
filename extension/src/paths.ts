/**
 * Path decisions of the extension host, pure so they are unit-tested: where a run's trace goes,
 * which directory the program runs in, and how a file named in a trace maps back to the disk.
 * Only `node:path` is used (no file system access, no `vscode`).
 */
import * as path from 'node:path';

/** What a path setting may refer to. `workspaceFolder` is absent in a window with no folder. */
export interface PathContext {
  workspaceFolder?: string;
  /** Directory of the file being profiled. */
  fileDirname?: string;
  userHome: string;
}

/**
 * Expands `${workspaceFolder}`, `${workspaceFolderBasename}`, `${fileDirname}`, `${userHome}`,
 * `${env:NAME}` and a leading `~` the way VS Code's own settings do. A variable that has no
 * value here (no folder open) is reported instead of being left in the path, where it would
 * silently create a directory literally named "${workspaceFolder}".
 */
export function expandVariables(
  template: string,
  ctx: PathContext,
  env: Readonly<Record<string, string | undefined>> = {},
): { value: string; missing: string[] } {
  const missing: string[] = [];
  let value = template.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
    let v: string | undefined;
    if (name === 'workspaceFolder') v = ctx.workspaceFolder;
    else if (name === 'workspaceFolderBasename') v = ctx.workspaceFolder ? path.basename(ctx.workspaceFolder) : undefined;
    else if (name === 'fileDirname') v = ctx.fileDirname;
    else if (name === 'userHome') v = ctx.userHome;
    else if (name.startsWith('env:')) v = env[name.slice(4)] ?? '';
    else {
      missing.push(whole);
      return whole;
    }
    if (v === undefined) {
      missing.push(whole);
      return whole;
    }
    return v;
  });
  if (value === '~' || value.startsWith('~/') || value.startsWith('~\\')) value = ctx.userHome + value.slice(1);
  return { value, missing };
}

/**
 * The folder that receives one sub-folder per run. A relative setting is taken relative to the
 * workspace folder (or the file's folder when none is open); `${workspaceFolder}` without an
 * open folder falls back to the file's folder, so a lone script still gets `.weft/` beside it.
 */
export function resolveOutputRoot(setting: string, ctx: PathContext, env: Readonly<Record<string, string | undefined>> = {}): string {
  const base = ctx.workspaceFolder ?? ctx.fileDirname ?? ctx.userHome;
  const effective: PathContext = { ...ctx, workspaceFolder: base };
  const { value, missing } = expandVariables(setting, effective, env);
  if (missing.length > 0) {
    throw new Error(
      `weft.outputDirectory uses ${missing.join(', ')}, which ${missing.length === 1 ? 'has' : 'have'} no value here. Use \${workspaceFolder}, \${fileDirname}, \${userHome}, \${env:NAME} or an absolute path.`,
    );
  }
  return path.resolve(base, value);
}

/** `<script stem>-YYYYMMDD-HHMMSS`, the same naming as `weft run` so CLI and editor runs sort together. */
export function runFolderName(target: readonly string[], now: Date): string {
  const first = target[0] === '-m' ? (target[1] ?? 'module') : path.basename(target[0] ?? 'program').replace(/\.py$/, '');
  const stem = first.replace(/[^\w.-]+/g, '_') || 'program';
  const p = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return `${stem}-${stamp}`;
}

/** A run folder that does not exist yet: a second run in the same second gets `-2`, `-3`, ... */
export function uniqueRunFolder(root: string, name: string, exists: (p: string) => boolean): string {
  let candidate = path.join(root, name);
  for (let n = 2; exists(candidate); n++) candidate = path.join(root, `${name}-${n}`);
  return candidate;
}

/**
 * The program's working directory: the workspace folder that contains the file, as VS Code's
 * Python "Run Python File" does (so relative data paths in the program behave the same), else
 * the file's own folder.
 */
export function programCwd(file: string, workspaceFolder: string | undefined): string {
  if (workspaceFolder && isInside(file, workspaceFolder)) return workspaceFolder;
  return path.dirname(file);
}

export function isInside(file: string, folder: string): boolean {
  const rel = path.relative(folder, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * A file named in a trace, as an absolute path. The agent records the paths Python reports
 * (`co_filename`), which are relative when the script was started with a relative path, so a
 * relative one is resolved against the program's cwd (from run.json), then the trace's own
 * folder's parent as a last resort for traces copied without run.json. Names such as
 * `<string>` or `<frozen importlib._bootstrap>` are not files: null.
 */
export function resolveSourcePath(file: string, cwd: string | null, traceDir: string): string | null {
  if (file === '' || (file.startsWith('<') && file.endsWith('>'))) return null;
  if (path.isAbsolute(file)) return path.normalize(file);
  return path.resolve(cwd ?? path.dirname(traceDir), file);
}
