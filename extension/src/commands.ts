/**
 * The command table: one factory per command in manifest.ts, each receiving the Ctx. Commands
 * that run the user's code check Workspace Trust first.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { TraceError } from '../../runtime/src/reader/read-trace';
import { ArgumentSyntaxError, joinArguments, splitArguments } from './arguments';
import { readSettings } from './config';
import type { CommandFactories, Ctx } from './ctx';
import { COMMANDS } from './manifest';
import { ProfilingSession } from './profiling-session';
import { EXPORT_FORMAT_INFO } from '../../runtime/src/export/formats';
import { exportChoices, type TraceExportFormat } from './trace-loader';

export const commandFactories: CommandFactories = {
  profileCurrentFile: (ctx) => async (uri?: unknown) => {
    const file = await pythonFileToRun(ctx, uri, 'Profile Current File');
    if (!file) return;
    await startSession(ctx, file, readSettings(file).settings.programArguments);
  },

  profileWithArguments: (ctx) => async (uri?: unknown) => {
    const file = await pythonFileToRun(ctx, uri, 'Profile with Arguments');
    if (!file) return;
    const key = `weft.lastArguments:${file.toString()}`;
    const last = ctx.extension.workspaceState.get<string>(key) ?? joinArguments(readSettings(file).settings.programArguments);
    const text = await vscode.window.showInputBox({
      title: `Weft: Profile ${path.basename(file.fsPath)} with Arguments`,
      prompt: 'Arguments for the program, as in a shell: quotes group words, nothing is expanded ($VAR, *, ~ stay as typed).',
      value: last,
      placeHolder: '--workers 4 "input file.csv"',
      ignoreFocusOut: true,
      validateInput: (v) => {
        try {
          splitArguments(v);
          return null;
        } catch (e) {
          return e instanceof ArgumentSyntaxError ? e.message : String(e);
        }
      },
    });
    if (text === undefined) return;
    await ctx.extension.workspaceState.update(key, text);
    await startSession(ctx, file, splitArguments(text));
  },

  openTrace: (ctx) => async (uri?: unknown) => {
    let target = uri instanceof vscode.Uri ? uri.fsPath : null;
    if (!target) {
      const picked = await vscode.window.showOpenDialog({
        title: 'Weft: Open Trace',
        openLabel: 'Open Trace',
        // A trace is a folder (one file per process plus run.json); a single process file
        // (.jsonl) can be opened too. Native dialogs on Windows and Linux cannot offer files
        // and folders at once and show a folder picker then.
        canSelectFolders: true,
        canSelectFiles: true,
        canSelectMany: false,
        defaultUri: await defaultTraceFolder(),
        filters: { 'Weft trace files': ['jsonl'], 'All files': ['*'] },
      });
      target = picked?.[0]?.fsPath ?? null;
    }
    if (!target) return;
    // run.json picked by mistake: the trace is its folder.
    if (path.basename(target) === 'run.json') target = path.dirname(target);
    await ctx.openTrace(target);
  },

  stopProfiling: (ctx) => () => {
    const s = ctx.session;
    if (!s?.active) {
      void vscode.window.showInformationMessage('Weft: no program is being profiled.');
      return;
    }
    s.stop('user');
  },

  exportTrace: (ctx) => async (uri?: unknown) => {
    let target = uri instanceof vscode.Uri ? uri.fsPath : ctx.activeTrace;
    if (!target) {
      const picked = await vscode.window.showOpenDialog({
        title: 'Weft: Export Trace — choose the trace folder',
        openLabel: 'Export This Trace',
        canSelectFolders: true,
        canSelectFiles: false,
        defaultUri: await defaultTraceFolder(),
      });
      target = picked?.[0]?.fsPath ?? null;
    }
    if (!target) return;
    const choice = await vscode.window.showQuickPick(exportChoices().map((c) => ({ label: c.label, detail: c.detail, choice: c })), {
      title: 'Weft: Export Trace — choose the format',
      placeHolder: 'Perfetto opens the biggest traces; speedscope shows the stack samples as flame graphs',
    });
    if (!choice) return;
    const { format, suffix, filter } = choice.choice;
    const out = await vscode.window.showSaveDialog({
      title: `Weft: Export Trace (${choice.label})`,
      saveLabel: 'Export',
      defaultUri: vscode.Uri.file(`${target.replace(/[\\/]+$/, '').replace(/\.jsonl$/, '')}${suffix}`),
      filters: { [filter[0]]: filter[1], 'All files': ['*'] },
    });
    if (!out) return;
    await exportTrace(ctx, target, out.fsPath, format);
  },

  showLog: (ctx) => () => ctx.log.show(),

  showStall: (ctx) => (sentence?: unknown) => {
    const panel = ctx.activePanel;
    const stalls = panel?.stalls ?? [];
    if (!panel || stalls.length === 0) {
      void vscode.window.showInformationMessage('Weft: the trace shown has no deadlock or hang.');
      return;
    }
    const i = typeof sentence === 'string' ? stalls.findIndex((s) => s.sentence === sentence) : 0;
    panel.revealStall(Math.max(0, i));
  },
};

/**
 * The Python file a profile command runs: the file the command was invoked on (editor title
 * button, explorer menu) or the active editor's. Refuses in an untrusted workspace, because
 * profiling runs the program. Saves unsaved changes first, as "Run Python File" does, so the
 * program that runs is the one on screen.
 */
async function pythonFileToRun(ctx: Ctx, arg: unknown, what: string): Promise<vscode.Uri | null> {
  if (!vscode.workspace.isTrusted) {
    ctx.log.warn(`${what}: refused, the workspace is not trusted`);
    const choice = await vscode.window.showWarningMessage(
      'Weft did not run the program: this workspace is not trusted (Restricted Mode), and profiling runs its code. '
        + 'Trust the workspace to profile it. "Weft: Open Trace..." works without trust.',
      'Manage Workspace Trust',
    );
    if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
    return null;
  }
  let doc: vscode.TextDocument | undefined;
  if (arg instanceof vscode.Uri) {
    doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === arg.toString());
    if (!doc) {
      if (arg.scheme !== 'file') {
        void vscode.window.showErrorMessage(`Weft can only profile files on disk, not ${arg.toString()}.`);
        return null;
      }
      return arg;
    }
  } else {
    doc = vscode.window.activeTextEditor?.document;
  }
  if (!doc || doc.languageId !== 'python') {
    void vscode.window.showErrorMessage('Weft: open a Python file in the editor, then run "Weft: Profile Current File" (or use ▷ in its title bar).');
    return null;
  }
  if (doc.isUntitled || doc.uri.scheme !== 'file') {
    void vscode.window.showErrorMessage('Weft: save the file to disk first; the program runs from its file.');
    return null;
  }
  if (doc.isDirty && !(await doc.save())) {
    void vscode.window.showErrorMessage(`Weft: could not save ${path.basename(doc.uri.fsPath)}; it was not run.`);
    return null;
  }
  return doc.uri;
}

async function startSession(ctx: Ctx, file: vscode.Uri, args: string[]): Promise<void> {
  const current = ctx.session;
  if (current?.active) {
    const choice = await vscode.window.showWarningMessage(
      `Weft is already profiling a program (trace ${current.traceDir}). Stop it and profile ${path.basename(file.fsPath)}?`,
      'Stop and Profile',
    );
    if (choice !== 'Stop and Profile') return;
    current.stop('user');
    await current.ended;
  }
  current?.dispose();
  ProfilingSession.start(ctx, { file, args });
}

/** The trace folder of the first workspace folder, when it exists, for the dialogs. */
async function defaultTraceFolder(): Promise<vscode.Uri | undefined> {
  const ws = vscode.workspace.workspaceFolders?.[0];
  if (!ws) return undefined;
  const dir = vscode.Uri.joinPath(ws.uri, '.weft');
  try {
    await fsp.stat(dir.fsPath);
    return dir;
  } catch {
    return ws.uri;
  }
}

async function exportTrace(ctx: Ctx, target: string, out: string, format: TraceExportFormat): Promise<void> {
  try {
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Weft: exporting ${path.basename(target)}` },
      () => ctx.loader.exportTrace(target, out, format),
    );
  } catch (e) {
    const message = e instanceof TraceError ? e.message : `could not export ${target} to ${out}: ${(e as Error).message}`;
    ctx.log.error(`${COMMANDS.exportTrace.id}: ${message}`);
    void vscode.window.showErrorMessage(`Weft: ${message}`);
    return;
  }
  ctx.log.info(`exported ${target} to ${out}`);
  void vscode.window.showInformationMessage(format === 'report'
    ? `Weft: wrote ${out}. It opens in any browser, without a server.`
    : `Weft: wrote ${out}. Open it in ${EXPORT_FORMAT_INFO[format].opensIn}.`);
}
