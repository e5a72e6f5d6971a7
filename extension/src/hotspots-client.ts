/**
 * The extension's side of the hotspots language server (server/server.ts, dist/server.js):
 * starts it on first use, and tells it which trace the Weft view shows. The host does no
 * formatting or indexing: the facts come ready from the trace worker (LoadedTrace.hotspots)
 * and are forwarded as they are.
 *
 * One trace at a time: the trace loaded last (opened, or updated live) wins, and closing its
 * view clears the editors. `weft.inlineHotspots: false` stops the server.
 */
import * as vscode from 'vscode';
import type { LanguageClient, LanguageClientOptions, ServerOptions } from 'vscode-languageclient/node';
import { readSettings } from './config';
import { TRACE_CLEARED, TRACE_SHOWN, type TraceShownParams } from './server/protocol';
import type { LoadedTrace } from './trace-loader';

export class HotspotsClient implements vscode.Disposable {
  private client: LanguageClient | null = null;
  private starting: Promise<LanguageClient | null> | null = null;
  /** The server failed to start: not retried on every live update, only when the setting changes. */
  private failed = false;
  /** The trace whose facts the server has (by target), kept to resend after a restart. */
  private shown: { target: string; params: TraceShownParams } | null = null;
  private readonly configListener: vscode.Disposable;

  constructor(private readonly extensionUri: vscode.Uri, private readonly log: vscode.LogOutputChannel) {
    this.configListener = vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('weft.inlineHotspots')) return;
      this.failed = false;
      if (!this.enabled) void this.stop();
      else if (this.shown) void this.send(TRACE_SHOWN, this.shown.params);
    });
  }

  private get enabled(): boolean {
    return readSettings(undefined).settings.inlineHotspots;
  }

  /** A trace is shown (or updated): its hot lines replace the previous trace's. */
  traceShown(target: string, loaded: LoadedTrace): void {
    const params: TraceShownParams = { cwd: loaded.run?.cwd ?? null, hotspots: loaded.hotspots };
    // A live view is reloaded about once a second; resending equal facts would only make the
    // editors redraw their lenses. They are small (the Summary's limits: 50 locks, 30 hotspots,
    // 100 functions with 5 callers and 5 callees each).
    const same = this.shown?.target === target && JSON.stringify(this.shown.params) === JSON.stringify(params);
    this.shown = { target, params };
    if (!same && this.enabled) void this.send(TRACE_SHOWN, params);
  }

  /** The view of `target` closed: its lenses and diagnostics go, unless another trace is shown. */
  traceClosed(target: string): void {
    if (this.shown?.target !== target) return;
    this.shown = null;
    // Nothing to clear in a server that never started.
    if (this.client) void this.send(TRACE_CLEARED, {});
  }

  private async send(method: string, params: object): Promise<void> {
    const client = await this.start();
    if (!client) return;
    try {
      await client.sendNotification(method, params);
    } catch (e) {
      this.log.warn(`hotspots server: could not send ${method}: ${(e as Error).message}`);
    }
  }

  /** Starts the server once (lazily: a window that never shows a trace never starts it). */
  private start(): Promise<LanguageClient | null> {
    if (this.failed) return Promise.resolve(null);
    this.starting ??= (async () => {
      const module = vscode.Uri.joinPath(this.extensionUri, 'dist', 'server.js').fsPath;
      const clientOptions: LanguageClientOptions = {
        documentSelector: [{ scheme: 'file', language: 'python' }],
        outputChannel: this.log,
      };
      try {
        // Loaded on first use: a window that never shows a trace never loads the LSP client.
        const lc = await import('vscode-languageclient/node');
        const serverOptions: ServerOptions = {
          run: { module, transport: lc.TransportKind.ipc },
          debug: { module, transport: lc.TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
        };
        const client = new lc.LanguageClient('weft.hotspots', 'Weft hotspots', serverOptions, clientOptions);
        await client.start();
        this.client = client;
        return client;
      } catch (e) {
        this.log.error(`hotspots server did not start: ${(e as Error).message}`);
        this.failed = true;
        this.starting = null;
        return null;
      }
    })();
    return this.starting;
  }

  private async stop(): Promise<void> {
    const starting = this.starting;
    this.starting = null;
    // A start still in flight sets `client` when it ends: wait for it, then forget it.
    const client = await starting;
    this.client = null;
    // Stopping the server removes its lenses and diagnostics from the editors.
    if (client) await client.stop().then(undefined, (e: Error) => this.log.warn(`hotspots server: ${e.message}`));
  }

  dispose(): void {
    this.configListener.dispose();
    void this.stop();
  }
}
