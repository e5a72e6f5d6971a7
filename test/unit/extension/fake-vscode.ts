/**
 * A small stand-in for the `vscode` module, enough to run the extension's session and panel
 * code in vitest against real processes: it records what the extension shows (terminal text,
 * messages, progress, status bar, context keys, webview messages) and lets a test type into
 * the terminal, press Cancel, or answer as the webview. Only what the extension calls exists;
 * a call to anything else fails loudly (undefined is not a function), so the double cannot
 * silently drift from what the code needs.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

type Listener<T> = (e: T) => unknown;

export class EventEmitter<T> {
  private listeners: Listener<T>[] = [];
  readonly event = (l: Listener<T>): { dispose(): void } => {
    this.listeners.push(l);
    return { dispose: () => (this.listeners = this.listeners.filter((x) => x !== l)) };
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  dispose(): void {
    this.listeners = [];
  }
}

export class Uri {
  readonly scheme = 'file';
  private constructor(readonly fsPath: string) {}
  static file(p: string): Uri {
    return new Uri(path.resolve(p));
  }
  static joinPath(u: Uri, ...parts: string[]): Uri {
    return new Uri(path.join(u.fsPath, ...parts));
  }
  toString(): string {
    return `file://${this.fsPath}`;
  }
}

export class ThemeIcon {
  constructor(readonly id: string) {}
}

export class Range {
  constructor(readonly startLine: number, readonly startCharacter: number, readonly endLine: number, readonly endCharacter: number) {}
}

export const ViewColumn = { Active: -1, Beside: -2, One: 1, Two: 2 } as const;
export const StatusBarAlignment = { Left: 1, Right: 2 } as const;
export const ProgressLocation = { SourceControl: 1, Window: 10, Notification: 15 } as const;
export const TextEditorRevealType = { Default: 0, InCenter: 1, InCenterIfOutsideViewport: 2, AtTop: 3 } as const;
export const version = '1.100.0-fake';

// ------------------------------------------------------------------ what the test observes

interface Pty {
  onDidWrite: (l: Listener<string>) => unknown;
  onDidClose?: (l: Listener<number | void>) => unknown;
  open(dims: unknown): void;
  close(): void;
  handleInput?(data: string): void;
}

export interface FakeTerminal {
  name: string;
  output: string;
  closed: boolean;
  type(data: string): void;
  close(): void;
}

export interface FakePanel {
  viewType: string;
  title: string;
  html: string;
  posted: { type: string; live?: boolean; data?: unknown; state?: string; text?: string; message?: string; detail?: string }[];
  /** Simulates a message from the webview's page. */
  receive(message: unknown): void;
  dispose(): void;
}

export const recorded = {
  terminals: [] as FakeTerminal[],
  panels: [] as FakePanel[],
  messages: [] as { level: 'info' | 'warning' | 'error'; text: string }[],
  progress: [] as { title: string; reports: string[]; done: boolean; cancel(): void }[],
  contextKeys: new Map<string, unknown[]>(),
  log: [] as string[],
  statusTexts: [] as string[],
  shownDocuments: [] as { path: string; line: number | null }[],
  settings: {} as Record<string, unknown>,
  /** How panels answer: 'ready' as soon as they get their HTML, like a real page. */
  autoReady: true,
};

export function reset(): void {
  recorded.terminals.length = 0;
  recorded.panels.length = 0;
  recorded.messages.length = 0;
  recorded.progress.length = 0;
  recorded.contextKeys.clear();
  recorded.log.length = 0;
  recorded.statusTexts.length = 0;
  recorded.shownDocuments.length = 0;
  recorded.settings = {};
  recorded.autoReady = true;
}

function logChannel(): Record<string, unknown> {
  const line = (level: string) => (m: string): void => void recorded.log.push(`[${level}] ${m}`);
  return {
    trace: line('trace'), debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error'),
    show: () => undefined, dispose: () => undefined,
  };
}

function message(level: 'info' | 'warning' | 'error') {
  return (text: string): Promise<undefined> => {
    recorded.messages.push({ level, text });
    return Promise.resolve(undefined);
  };
}

export const window = {
  createOutputChannel: (): Record<string, unknown> => logChannel(),
  showInformationMessage: message('info'),
  showWarningMessage: message('warning'),
  showErrorMessage: message('error'),
  createStatusBarItem(): Record<string, unknown> {
    let text = '';
    return {
      get text() {
        return text;
      },
      set text(v: string) {
        text = v;
        recorded.statusTexts.push(v);
      },
      tooltip: '', command: '', name: '', show: () => undefined, hide: () => undefined, dispose: () => undefined,
    };
  },
  createTerminal(opts: { name: string; pty: Pty }): Record<string, unknown> {
    const t: FakeTerminal = {
      name: opts.name, output: '', closed: false,
      type: (data) => opts.pty.handleInput?.(data),
      close: () => {
        t.closed = true;
        opts.pty.close();
      },
    };
    opts.pty.onDidWrite((s) => void (t.output += s));
    opts.pty.onDidClose?.(() => void (t.closed = true));
    recorded.terminals.push(t);
    // VS Code opens the pty when the terminal is first shown; do it on the next turn, as it does.
    setTimeout(() => opts.pty.open(undefined), 0);
    return { show: () => undefined, dispose: t.close };
  },
  withProgress<R>(opts: { title: string }, task: (p: { report(v: { message?: string }): void }, token: { onCancellationRequested(l: () => void): void }) => Promise<R>): Promise<R> {
    const cancel = new EventEmitter<void>();
    const entry = { title: opts.title, reports: [] as string[], done: false, cancel: () => cancel.fire() };
    recorded.progress.push(entry);
    return task({ report: (v) => void entry.reports.push(v.message ?? '') }, { onCancellationRequested: (l) => void cancel.event(l) })
      .finally(() => {
        entry.done = true;
      });
  },
  createWebviewPanel(viewType: string, title: string): Record<string, unknown> {
    const fromPage = new EventEmitter<unknown>();
    const disposed = new EventEmitter<void>();
    const viewState = new EventEmitter<unknown>();
    let html = '';
    const p: FakePanel = {
      viewType, title, html: '', posted: [],
      receive: (m) => fromPage.fire(m),
      dispose: () => disposed.fire(),
    };
    recorded.panels.push(p);
    const webview = {
      options: {},
      cspSource: 'vscode-resource:',
      asWebviewUri: (u: Uri) => `vscode-resource:${u.fsPath}`,
      get html() {
        return html;
      },
      set html(v: string) {
        html = v;
        p.html = v;
        if (recorded.autoReady) setTimeout(() => fromPage.fire({ type: 'ready' }), 0);
      },
      onDidReceiveMessage: fromPage.event,
      postMessage: (m: FakePanel['posted'][number]) => {
        p.posted.push(m);
        return Promise.resolve(true);
      },
    };
    return {
      webview, title, viewColumn: ViewColumn.Two, visible: true, active: true,
      reveal: () => undefined, dispose: p.dispose,
      onDidDispose: disposed.event, onDidChangeViewState: viewState.event,
    };
  },
  showTextDocument(doc: { uri: Uri }, opts: { selection?: Range }): Promise<Record<string, unknown>> {
    recorded.shownDocuments.push({ path: doc.uri.fsPath, line: opts.selection?.startLine ?? null });
    return Promise.resolve({ revealRange: () => undefined });
  },
  activeTextEditor: undefined,
};

export const workspace = {
  isTrusted: true,
  workspaceFolders: undefined,
  getConfiguration: () => ({ get: (k: string) => recorded.settings[k] }),
  onDidChangeConfiguration: () => ({ dispose: () => undefined }),
  getWorkspaceFolder: () => undefined,
  fs: { stat: (u: Uri) => fsp.stat(u.fsPath) },
  async openTextDocument(u: Uri): Promise<Record<string, unknown>> {
    const lines = (await fsp.readFile(u.fsPath, 'utf8')).split('\n');
    return {
      uri: u, lineCount: lines.length,
      lineAt: (l: number) => ({ firstNonWhitespaceCharacterIndex: (lines[l] ?? '').length - (lines[l] ?? '').trimStart().length }),
    };
  },
};

export const commands = {
  executeCommand(cmd: string, ...args: unknown[]): Promise<undefined> {
    if (cmd === 'setContext') {
      const [key, value] = args as [string, unknown];
      const list = recorded.contextKeys.get(key) ?? [];
      list.push(value);
      recorded.contextKeys.set(key, list);
    }
    return Promise.resolve(undefined);
  },
  registerCommand: () => ({ dispose: () => undefined }),
};

export const extensions = {
  getExtension: (): undefined => undefined,
};
