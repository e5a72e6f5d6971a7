/** The Weft view's page: strict CSP with a nonce, resources only from the extension. */
import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, makeNonce, webviewHtml } from '../../../extension/src/webview-html';

const page = {
  cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
  scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview.js',
  styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview.css',
  nonce: 'bm9uY2Utb2YtdGhlLXRlc3Q=',
  title: 'Weft: <bank>',
};

describe('webview page', () => {
  it('allows scripts only with the nonce, and nothing inline or remote', () => {
    const csp = contentSecurityPolicy(page.cspSource, page.nonce);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`script-src 'nonce-${page.nonce}'`);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*|https?:\/\/(?!file\+)/);
    // No connections, frames or plugins: those fall back to default-src 'none'.
    expect(csp).not.toMatch(/connect-src|frame-src|object-src/);
  });

  it('loads the bundle with the nonce and carries no data', () => {
    const html = webviewHtml(page);
    expect(html).toContain(`<script nonce="${page.nonce}" src="${page.scriptUri}"></script>`);
    expect(html).toContain(`<link rel="stylesheet" href="${page.styleUri}"`);
    expect(html.match(/<script/g)).toHaveLength(1);
    // The title is escaped: a trace's names never become markup.
    expect(html).toContain('<title>Weft: &lt;bank&gt;</title>');
    expect(html).toContain('http-equiv="Content-Security-Policy"');
  });

  it('omits the stylesheet when the bundle has none', () => {
    const { styleUri: _unused, ...noStyle } = page;
    expect(webviewHtml(noStyle)).not.toContain('<link');
  });

  it('nonces are fresh and unguessable', () => {
    const a = makeNonce();
    expect(a).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(new Set(Array.from({ length: 100 }, makeNonce)).size).toBe(100);
  });
});
