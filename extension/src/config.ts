/** Reads the `weft.*` settings from VS Code and validates them (rules in settings.ts). */
import * as os from 'node:os';
import * as vscode from 'vscode';
import { CONFIG_SECTION } from './manifest';
import { expandVariables } from './paths';
import { validateSettings, type RawSettings, type ValidatedSettings, type WeftSettings } from './settings';

const KEYS: readonly (keyof WeftSettings)[] = [
  'pythonPath', 'sampleHz', 'loopBlockMs', 'outputDirectory', 'programArguments', 'flushIntervalMs', 'openViewOnStart', 'inlineHotspots',
];

/** The settings that apply to `scope` (a file: its workspace folder's settings win). */
export function readSettings(scope: vscode.Uri | undefined): ValidatedSettings {
  const cfg = vscode.workspace.getConfiguration(CONFIG_SECTION, scope ?? null);
  const raw: RawSettings = {};
  for (const k of KEYS) raw[k] = cfg.get<unknown>(k);
  return validateSettings(raw);
}

/**
 * `weft.pythonPath` with `${workspaceFolder}` and `~` expanded; a relative path that names a
 * file (contains a slash) is taken relative to the workspace folder, a bare name such as
 * "python3.12" is looked up on PATH by the OS.
 */
export function expandPythonPath(setting: string, workspaceFolder: string | undefined): string {
  if (!setting) return '';
  const { value, missing } = expandVariables(setting, { workspaceFolder, userHome: os.homedir() }, process.env);
  if (missing.length > 0) {
    throw new Error(`weft.pythonPath uses ${missing.join(', ')}, which has no value here (no folder is open?). Use an absolute path.`);
  }
  if ((value.includes('/') || value.includes('\\')) && !/^([a-zA-Z]:)?[\\/]/.test(value) && workspaceFolder) {
    return vscode.Uri.joinPath(vscode.Uri.file(workspaceFolder), value).fsPath;
  }
  return value;
}
