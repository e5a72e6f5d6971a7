/**
 * The webview runs in two homes: a VS Code webview panel, and the self-contained HTML report
 * opened straight from disk. This interface is all the views know about either.
 */
import type { SavedState, SourceRef, WebviewToHostMessage } from './protocol';

export interface Host {
  readonly kind: 'vscode' | 'report';
  /** Sends a message to the extension host (the report has none: dropped). */
  post(msg: WebviewToHostMessage): void;
  getState(): SavedState | undefined;
  setState(state: SavedState): void;
  /** Shows a source line: in VS Code opens the editor; in the report shows and copies
   * "file:line". `notify` shows a short message in the view. */
  openSource(ref: SourceRef, notify: (text: string) => void): void;
}

/** The API VS Code injects into webviews (only callable once per page). */
interface VsCodeApi {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

export function createVsCodeHost(api: VsCodeApi): Host {
  return {
    kind: 'vscode',
    post: (msg) => api.postMessage(msg),
    getState: () => (api.getState() as SavedState | undefined) ?? undefined,
    setState: (s) => api.setState(s),
    openSource: (ref) => api.postMessage({ type: 'openSource', file: ref.file, line: ref.line }),
  };
}

/** The report host keeps state in memory (a report is a document, not a session). */
export function createReportHost(): Host {
  let state: SavedState | undefined;
  return {
    kind: 'report',
    post: () => undefined,
    getState: () => state,
    setState: (s) => {
      state = s;
    },
    openSource: (ref, notify) => {
      const text = `${ref.file}:${ref.line}`;
      const done = (copied: boolean): void => notify(copied ? `${text} (copied)` : text);
      // The clipboard API needs a secure context; a report opened from file:// may not have
      // one, and then the location is only shown.
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(() => done(true), () => done(false));
      } else {
        done(false);
      }
    },
  };
}

/** Picks the host: VS Code when its API exists, else the report. */
export function detectHost(): Host {
  const acquire = (globalThis as { acquireVsCodeApi?: () => VsCodeApi }).acquireVsCodeApi;
  return typeof acquire === 'function' ? createVsCodeHost(acquire()) : createReportHost();
}
