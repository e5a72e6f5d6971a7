/**
 * The Weft view: one WebviewPanel per trace. The host side of webview/src/protocol.ts.
 *
 * Lifecycle. The page is a shell (webview-html.ts); the webview sends `ready` once its script
 * listens, and the host answers with `load` and the latest view data it holds. Because the
 * panel does not use `retainContextWhenHidden` (costly), VS Code destroys the page when its tab
 * is hidden and recreates it when shown; the new page sends `ready` again and gets `load` again,
 * and restores its zoom and selection from its own `setState`. After a window reload the
 * WebviewPanelSerializer below gets that saved state, whose `traceId` is the trace directory,
 * and reopens the trace from disk.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  isWebviewToHostMessage, type HostToWebviewMessage, type SavedState, type StatusMessage, type WebviewToHostMessage,
} from '../../webview/src/protocol';
import { assertUnreachable } from './assert';
import { VIEW_TYPE } from './manifest';
import { resolveSourcePath } from './paths';
import { newStallNotices } from './stall-notices';
import { traceDisplayName, type LoadedTrace } from './trace-loader';
import { makeNonce, webviewHtml } from './webview-html';

export interface PanelHost {
  readonly extensionUri: vscode.Uri;
  readonly log: vscode.LogOutputChannel;
  /** Called when a panel is closed or becomes the active one. */
  panelDisposed(panel: TracePanel): void;
  panelActivated(panel: TracePanel): void;
  /** Called with each trace the panel is given, for the hotspots language server. */
  traceShown(panel: TracePanel, loaded: LoadedTrace): void;
}

/** A key for a trace target, so that opening the same trace twice reveals one panel. */
export function traceKey(target: string): string {
  return path.resolve(target).replace(/[\\/]+$/, '');
}

export class TracePanel implements vscode.Disposable {
  private latest: LoadedTrace | null = null;
  private live = false;
  private status: StatusMessage | null = null;
  private error: { message: string; detail?: string } | null = null;
  /** The page has said `ready` and has been sent `load` for the current data. */
  private ready = false;
  private loadSent = false;
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;
  /** Deadlocks and hangs already announced (by sentence), and a "Show" waiting for `ready`. */
  private readonly stallsSeen = new Set<string>();
  private pendingStall: number | null = null;

  private constructor(
    private readonly host: PanelHost,
    readonly panel: vscode.WebviewPanel,
    readonly target: string,
  ) {
    this.configure();
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)),
      panel.onDidChangeViewState((e) => {
        if (e.webviewPanel.active) host.panelActivated(this);
      }),
      panel.onDidDispose(() => {
        this.disposed = true;
        this.disposeListeners();
        host.panelDisposed(this);
      }),
    );
  }

  /** Opens a new panel for `target` beside the active editor (or in the active group). */
  static create(host: PanelHost, target: string, opts: { beside: boolean }): TracePanel {
    const panel = vscode.window.createWebviewPanel(
      VIEW_TYPE,
      `Weft: ${traceDisplayName(target)}`,
      { viewColumn: opts.beside ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active, preserveFocus: opts.beside },
      TracePanel.options(host.extensionUri),
    );
    return new TracePanel(host, panel, target);
  }

  /** Adopts a panel VS Code restored after a reload (see the serializer). */
  static revive(host: PanelHost, panel: vscode.WebviewPanel, target: string): TracePanel {
    return new TracePanel(host, panel, target);
  }

  private static options(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      // Only the bundle folder: the page needs its script and stylesheet, nothing else from
      // the extension or the workspace.
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist')],
      enableFindWidget: true,
    };
  }

  private configure(): void {
    const webview = this.panel.webview;
    webview.options = TracePanel.options(this.host.extensionUri);
    const dist = vscode.Uri.joinPath(this.host.extensionUri, 'dist');
    const css = vscode.Uri.joinPath(dist, 'webview.css');
    webview.html = webviewHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      // esbuild writes webview.css only when the webview imports CSS.
      ...(existsSync(css.fsPath) ? { styleUri: webview.asWebviewUri(css).toString() } : {}),
      nonce: makeNonce(),
      title: this.panel.title,
    });
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  get visible(): boolean {
    return !this.disposed && this.panel.visible;
  }

  /** The run's working directory, for relative source paths. */
  get cwd(): string | null {
    return this.latest?.run?.cwd ?? null;
  }

  reveal(): void {
    if (!this.disposed) this.panel.reveal(undefined, true);
  }

  /** New data for this trace; `live` while the program still writes it. */
  setData(loaded: LoadedTrace, live: boolean): void {
    this.latest = loaded;
    this.live = live;
    this.error = null;
    this.host.traceShown(this, loaded);
    this.announceStalls(loaded);
    if (!this.ready) return;
    this.post({ type: this.loadSent ? 'update' : 'load', traceId: this.target, data: loaded.data, live });
    this.loadSent = true;
  }

  /** A notification for each deadlock or hang not announced yet (issue 12), with "Show", which
   * selects it on the timeline. Called by setData; a live run's watchdog finding is
   * announced while the program still hangs. */
  private announceStalls(loaded: LoadedTrace): void {
    for (const n of newStallNotices(loaded.data.stalls, this.stallsSeen)) {
      const shown = n.severity === 'error' ? vscode.window.showErrorMessage(n.text, 'Show') : vscode.window.showWarningMessage(n.text, 'Show');
      void shown.then((choice) => {
        if (choice === 'Show') this.revealStall(n.index);
      });
    }
  }

  /** The deadlocks and hangs of the data shown (ViewData.stalls). */
  get stalls(): readonly { sentence: string }[] {
    return this.latest?.data.stalls ?? [];
  }

  /** Brings the view forward and selects stall `index` (ViewData.stalls) on its timeline. */
  revealStall(index: number): void {
    if (this.disposed) return;
    this.panel.reveal(undefined, false);
    if (this.ready && this.loadSent) this.post({ type: 'reveal', stall: index });
    else this.pendingStall = index;
  }

  setStatus(state: StatusMessage['state'], text: string): void {
    this.status = { type: 'status', state, text };
    if (this.ready) this.post(this.status);
  }

  /** The trace cannot be shown; `detail` says what to do. Keeps data already shown. */
  setError(message: string, detail?: string): void {
    this.error = detail === undefined ? { message } : { message, detail };
    if (this.ready) this.post({ type: 'error', ...this.error });
  }

  private post(message: HostToWebviewMessage): void {
    if (this.disposed) return;
    // postMessage fails when the page is being torn down (tab hidden); the next `ready`
    // resends everything, so nothing is lost.
    void this.panel.webview.postMessage(message).then(undefined, () => undefined);
  }

  private onMessage(raw: unknown): void {
    if (!isWebviewToHostMessage(raw)) {
      this.host.log.warn(`ignored a malformed message from the Weft view: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    const m: WebviewToHostMessage = raw;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.loadSent = false;
        if (this.status) this.post(this.status);
        if (this.latest) {
          this.post({ type: 'load', traceId: this.target, data: this.latest.data, live: this.live });
          this.loadSent = true;
          if (this.pendingStall !== null) this.post({ type: 'reveal', stall: this.pendingStall });
          this.pendingStall = null;
        }
        if (this.error) this.post({ type: 'error', ...this.error });
        return;
      case 'openSource':
        void this.openSource(m.file, m.line);
        return;
      case 'selectLock':
        this.host.log.trace(`view: selected lock ${m.name ?? '(none)'}`);
        return;
      case 'requestRange':
        // The host sends the whole trace in `load`/`update`; there is no finer detail to add.
        return;
      case 'log': {
        const text = `view: ${m.message}`;
        if (m.level === 'error') this.host.log.error(text);
        else if (m.level === 'warning') this.host.log.warn(text);
        else this.host.log.info(text);
        return;
      }
      default:
        assertUnreachable(m);
    }
  }

  /** Opens `file` at `line` in an editor group other than the view's own. */
  private async openSource(file: string, line: number): Promise<void> {
    const abs = resolveSourcePath(file, this.cwd, this.target);
    if (!abs) {
      void vscode.window.showInformationMessage(`Weft: ${file} is not a file on disk (code run from a string or frozen module).`);
      return;
    }
    const uri = vscode.Uri.file(abs);
    try {
      await vscode.workspace.fs.stat(uri);
    } catch {
      const where = this.cwd ? ` relative to the program's folder ${this.cwd}` : '';
      void vscode.window.showWarningMessage(
        `Weft: ${file}:${line} is not on this machine (looked for ${abs}${where}). Was the trace recorded elsewhere?`,
      );
      return;
    }
    try {
      const doc = await vscode.workspace.openTextDocument(uri);
      const l = Math.min(Math.max(0, line - 1), Math.max(0, doc.lineCount - 1));
      const text = doc.lineAt(l);
      const range = new vscode.Range(l, text.firstNonWhitespaceCharacterIndex, l, text.firstNonWhitespaceCharacterIndex);
      // The view keeps its own group: the source opens in the first group, or beside the view
      // when the view is itself in the first group.
      const column = this.panel.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Beside : vscode.ViewColumn.One;
      const editor = await vscode.window.showTextDocument(doc, { viewColumn: column, selection: range, preview: false });
      editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    } catch (e) {
      void vscode.window.showErrorMessage(`Weft: could not open ${abs}: ${(e as Error).message}`);
    }
  }

  private disposeListeners(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  dispose(): void {
    if (!this.disposed) this.panel.dispose();
    this.disposeListeners();
  }
}

/** The saved state's trace directory, if the webview saved one (see protocol.SavedState). */
export function savedTraceTarget(state: unknown): string | null {
  if (typeof state !== 'object' || state === null) return null;
  const id = (state as Partial<SavedState>).traceId;
  return typeof id === 'string' && id.length > 0 ? id : null;
}
