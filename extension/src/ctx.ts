/**
 * The extension's context, in rust-analyzer's style: one object that owns every disposable,
 * the log, the open Weft views and the running session, and registers the commands from the
 * table in commands.ts. Nothing heavy happens here: trace reading is in the loader, the
 * program runs in its own process.
 */
import * as vscode from 'vscode';
import { TraceError } from '../../runtime/src/reader/read-trace';
import { HotspotsClient } from './hotspots-client';
import { COMMANDS, CONTEXT_PROFILING, LOG_CHANNEL, type CommandName } from './manifest';
import type { ProfilingSession } from './profiling-session';
import { WorkerTraceLoader, type LoadedTrace, type TraceLoader } from './trace-loader';
import { traceKey, TracePanel, type PanelHost } from './trace-panel';

/** A command's implementation, made by a factory that receives the Ctx. */
export type Cmd = (...args: unknown[]) => unknown;
export type CommandFactories = Record<CommandName, (ctx: Ctx) => Cmd>;

export class Ctx implements PanelHost, vscode.Disposable {
  readonly log: vscode.LogOutputChannel;
  readonly loader: TraceLoader;
  /** Hot lines of the shown trace in Python editors (a language server, started on first use). */
  private readonly hotspots: HotspotsClient;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly panels = new Map<string, TracePanel>();
  private lastActivePanel: TracePanel | null = null;
  private currentSession: ProfilingSession | null = null;
  private profilingKey: boolean | null = null;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.log = vscode.window.createOutputChannel(LOG_CHANNEL, { log: true });
    this.loader = new WorkerTraceLoader(
      vscode.Uri.joinPath(extension.extensionUri, 'dist', 'view-worker.js').fsPath,
      (reason) => this.log.warn(reason),
    );
    this.pushCleanup(this.log);
    this.pushCleanup({ dispose: () => this.loader.dispose() });
    this.hotspots = new HotspotsClient(extension.extensionUri, this.log);
    this.pushCleanup(this.hotspots);
  }

  get extensionUri(): vscode.Uri {
    return this.extension.extensionUri;
  }

  pushCleanup(d: vscode.Disposable): void {
    this.disposables.push(d);
  }

  registerCommands(factories: CommandFactories): void {
    for (const name of Object.keys(factories) as CommandName[]) {
      const run = factories[name](this);
      this.pushCleanup(vscode.commands.registerCommand(COMMANDS[name].id, async (...args: unknown[]) => {
        try {
          return await run(...args);
        } catch (e) {
          // A command must never fail silently: log the stack, tell the user what failed.
          this.log.error(`${COMMANDS[name].id} failed: ${(e as Error).stack ?? String(e)}`);
          void vscode.window.showErrorMessage(`Weft: ${COMMANDS[name].title} failed: ${(e as Error).message}`, 'Show Log').then((a) => {
            if (a) this.log.show();
          });
          return undefined;
        }
      }));
    }
  }

  // ------------------------------------------------------------------ session

  get session(): ProfilingSession | null {
    return this.currentSession;
  }

  set session(s: ProfilingSession | null) {
    this.currentSession = s;
    this.sessionChanged();
  }

  /** Keeps the `weft.profiling` context key (enables Stop Profiling) in step with the session. */
  sessionChanged(): void {
    const active = this.currentSession?.active ?? false;
    if (active === this.profilingKey) return;
    this.profilingKey = active;
    void vscode.commands.executeCommand('setContext', CONTEXT_PROFILING, active);
  }

  // ------------------------------------------------------------------ panels

  /** The Weft view of a trace: the open one, revealed, or a new one. */
  showPanel(target: string, opts: { beside: boolean }): TracePanel {
    const key = traceKey(target);
    const open = this.panels.get(key);
    if (open && !open.isDisposed) {
      open.reveal();
      return open;
    }
    const panel = TracePanel.create(this, key, opts);
    this.panels.set(key, panel);
    this.lastActivePanel = panel;
    return panel;
  }

  /** Adopts a panel restored after a reload and reloads its trace from disk. */
  async revivePanel(webviewPanel: vscode.WebviewPanel, target: string | null): Promise<void> {
    if (!target) {
      // A view saved before it had shown a trace: nothing to restore.
      webviewPanel.dispose();
      return;
    }
    const key = traceKey(target);
    const panel = TracePanel.revive(this, webviewPanel, key);
    this.panels.set(key, panel);
    await this.loadInto(panel, key);
  }

  /** The trace of the Weft view the user looked at last, for Export Trace. */
  get activeTrace(): string | null {
    const p = this.lastActivePanel;
    return p && !p.isDisposed ? p.target : null;
  }

  /** The Weft view the user looked at last, for commands about what it shows (Show Deadlock). */
  get activePanel(): TracePanel | null {
    const p = this.lastActivePanel;
    return p && !p.isDisposed ? p : null;
  }

  panelDisposed(panel: TracePanel): void {
    if (this.panels.get(panel.target) === panel) this.panels.delete(panel.target);
    if (this.lastActivePanel === panel) this.lastActivePanel = null;
    this.hotspots.traceClosed(panel.target);
  }

  traceShown(panel: TracePanel, loaded: LoadedTrace): void {
    // Keyed by the panel's target, the key panelDisposed clears with.
    this.hotspots.traceShown(panel.target, loaded);
  }

  panelActivated(panel: TracePanel): void {
    this.lastActivePanel = panel;
  }

  /**
   * Opens a saved trace. A trace that cannot be read at all is a notification with the
   * reader's precise message and no empty view; one that was read with warnings (truncated,
   * newer format) opens, and the view's banner lists what was skipped.
   */
  async openTrace(target: string): Promise<void> {
    const key = traceKey(target);
    let loaded;
    try {
      loaded = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: `Weft: reading ${key}` },
        () => this.loader.load(key),
      );
    } catch (e) {
      this.reportLoadError(key, e);
      return;
    }
    for (const w of loaded.data.warnings) this.log.warn(`${key}: ${w}`);
    const panel = this.showPanel(key, { beside: false });
    panel.setStatus('done', statusOfRun(loaded.run));
    panel.setData(loaded, false);
  }

  private async loadInto(panel: TracePanel, key: string): Promise<void> {
    panel.setStatus('loading', 'Reading the trace…');
    try {
      const loaded = await this.loader.load(key);
      panel.setStatus('done', statusOfRun(loaded.run));
      panel.setData(loaded, false);
    } catch (e) {
      const message = (e as Error).message;
      this.log.error(`could not read ${key}: ${message}`);
      panel.setError('This trace can no longer be read.', message);
    }
  }

  private reportLoadError(target: string, e: unknown): void {
    if (e instanceof TraceError) {
      this.log.error(`could not open ${target}: ${e.message}`);
      void vscode.window.showErrorMessage(`Weft: ${e.message}`);
      return;
    }
    this.log.error(`could not open ${target}: ${(e as Error).stack ?? String(e)}`);
    void vscode.window.showErrorMessage(`Weft could not read ${target}: ${(e as Error).message}`, 'Show Log').then((a) => {
      if (a) this.log.show();
    });
  }

  /** Ends a running program (the window is closing) and releases everything. */
  async shutdown(): Promise<void> {
    await this.currentSession?.shutdown();
    this.dispose();
  }

  dispose(): void {
    this.currentSession?.dispose();
    for (const p of [...this.panels.values()]) p.dispose();
    this.panels.clear();
    for (const d of this.disposables.splice(0).reverse()) {
      try {
        d.dispose();
      } catch {
        // Keep releasing the others.
      }
    }
  }
}

/** The view's status line for a finished run, from run.json when there is one. */
export function statusOfRun(run: { exitCode?: number | null; signal?: string | null; endWallMs?: number } | null): string {
  if (!run) return 'Saved trace';
  if (run.signal) return `Program ended by ${run.signal}`;
  if (run.exitCode !== undefined && run.exitCode !== null) return `Program exited with code ${run.exitCode}`;
  return run.endWallMs === undefined ? 'The launcher did not record how the program ended' : 'Saved trace';
}
