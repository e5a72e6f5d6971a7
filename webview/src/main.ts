/**
 * Entry of the webview bundle (dist/webview.js, an IIFE for the browser; its CSS is emitted
 * next to it as dist/webview.css). The same bundle runs in a VS Code webview panel and in the
 * self-contained HTML report:
 *   - in VS Code, `acquireVsCodeApi` exists: the view posts `ready` and waits for `load`;
 *   - in the report, the page holds `<script type="application/json" id="weft-data">` with
 *     the view data encoded by runtime/src/view/codec.ts, and there is no host to talk to.
 * No eval, no inline script or style, no network: it runs under a strict CSP.
 */
import './styles.css';
import { App } from './app';
import { detectHost } from './host';
import { isHostToWebviewMessage } from './protocol';

/** Id of the element that carries the report's data. */
export const REPORT_DATA_ID = 'weft-data';

function start(): void {
  const host = detectHost();
  const mount = document.getElementById('weft-root') ?? document.body;
  const app = new App(host, mount);
  window.addEventListener('error', (ev) => {
    host.post({ type: 'log', level: 'error', message: `webview: ${ev.message} (${ev.filename}:${ev.lineno})` });
  });
  if (host.kind === 'vscode') {
    window.addEventListener('message', (ev: MessageEvent<unknown>) => {
      if (isHostToWebviewMessage(ev.data)) app.handleMessage(ev.data);
      else host.post({ type: 'log', level: 'warning', message: `webview: ignored a message it does not know (${JSON.stringify(ev.data)?.slice(0, 120)})` });
    });
    host.post({ type: 'ready' });
    return;
  }
  const el = document.getElementById(REPORT_DATA_ID);
  if (el?.textContent) {
    const traceId = el.dataset.traceId ?? 'report';
    app.handleMessage({ type: 'load', traceId, data: el.textContent, live: false });
  }
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
