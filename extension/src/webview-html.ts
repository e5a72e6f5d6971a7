/**
 * The Weft view's HTML page. Pure (no `vscode`), so the Content-Security-Policy is unit-tested.
 *
 * The page is a shell: one script and at most one stylesheet, both from the extension's
 * `dist/` (through `asWebviewUri`), and no data. Trace data arrives only by `postMessage`
 * after the webview's `ready` (see webview/src/protocol.ts), so nothing from a trace (file
 * names, thread names a program chose) is ever parsed as HTML.
 *
 * CSP: nothing by default; scripts only with this page's nonce (not even from `cspSource`, so
 * an injected <script src> cannot run); styles from `cspSource` or with the nonce (no
 * 'unsafe-inline': d3 sets styles through CSSOM, which CSP allows); images and fonts from
 * `cspSource` and data: URIs (canvas snapshots, codicons); no connections, frames or objects.
 */
import { randomBytes } from 'node:crypto';

export interface WebviewPage {
  /** `webview.cspSource` */
  cspSource: string;
  /** `asWebviewUri(dist/webview.js)` as a string. */
  scriptUri: string;
  /** `asWebviewUri(dist/webview.css)` when the bundle has a stylesheet. */
  styleUri?: string;
  nonce: string;
  title: string;
}

/** 128 random bits, base64: a CSP nonce must be unguessable and fresh for every page. */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
  ].join('; ');
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

export function webviewHtml(page: WebviewPage): string {
  const csp = contentSecurityPolicy(page.cspSource, page.nonce);
  const style = page.styleUri ? `\n  <link rel="stylesheet" href="${escapeHtml(page.styleUri)}" nonce="${page.nonce}">` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <title>${escapeHtml(page.title)}</title>${style}
</head>
<body>
  <div id="weft-root"></div>
  <script nonce="${page.nonce}" src="${escapeHtml(page.scriptUri)}"></script>
</body>
</html>
`;
}
