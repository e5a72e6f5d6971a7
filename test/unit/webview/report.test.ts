/** The self-contained HTML report: one file, no network, data embedded and readable back. */
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReportError, findWebviewAssets, reportHtmlFromViewData, writeReport } from '../../../runtime/src/report/report';
import { decodeViewData } from '../../../runtime/src/view/codec';
import { buildViewData } from '../../../runtime/src/view/view-data';
import { makeModel } from './synthetic';

const FIXTURES = path.resolve(__dirname, '..', '..', 'fixtures');

/** The elements of a page, by a scan good enough for the pages we write (no nesting). */
function scripts(html: string): { attrs: string; body: string }[] {
  return [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/gi)].map((m) => ({ attrs: m[1] ?? '', body: m[2] ?? '' }));
}

const hostileModel = () => makeModel({
  lanes: [{ name: 'MainThread', start: 0, end: 100 }, { name: '</script><script>alert(1)</script>', start: 0, end: 100 }],
  objects: [{ kind: 'lock', name: '<!-- not a comment -->' }],
  waits: [{ lane: 1, begin: 10, end: 60, object: 0, reason: 'lock', holder: 0, waker: 0 }],
  processes: [{ pid: 7, argv: ['prog.py', '"&<>'] }],
});

describe('report page', () => {
  const fakeAssets = { js: 'var s = "</script>"; var c = "<!--"; /* x */\n//# sourceMappingURL=webview.js.map\n', css: 'body{color:red}\n/*# sourceMappingURL=webview.css.map */' };

  it('embeds the view data so that it decodes back to the same data, even with hostile names', () => {
    const data = buildViewData(hostileModel());
    const html = reportHtmlFromViewData(data, fakeAssets, { nonce: 'abc' });
    const blocks = scripts(html);
    // Exactly the data block and the code block: no name from the trace ended a script early.
    expect(blocks).toHaveLength(2);
    const json = blocks.find((b) => b.attrs.includes('application/json'));
    expect(json?.attrs).toContain('id="weft-data"');
    expect(decodeViewData(json?.body ?? '')).toEqual(data);
    expect(html).toContain('<title>Weft report: prog.py &quot;&amp;&lt;&gt;</title>');
  });

  it('inlines the code and styles under a nonce-only Content-Security-Policy, without source map links', () => {
    const html = reportHtmlFromViewData(buildViewData(hostileModel()), fakeAssets, { nonce: 'abc' });
    expect(html).toContain(`content="default-src 'none'; img-src data:; style-src 'nonce-abc'; script-src 'nonce-abc'"`);
    const code = scripts(html).find((b) => b.attrs.includes('nonce="abc"'));
    expect(code?.body).toContain('var s = "\\x3C/script>"');
    expect(code?.body).toContain('var c = "\\x3C!--"');
    expect(html).not.toContain('sourceMappingURL');
    expect(html).toMatch(/<style nonce="abc">body\{color:red\}/);
  });

  it('says how to fix a missing webview build', () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'weft-noassets-'));
    expect(() => findWebviewAssets(empty)).toThrow(ReportError);
    expect(() => findWebviewAssets(empty)).toThrow(/npm run build/);
  });

  it('writeReport turns a trace directory into one HTML file, creating its folder', async () => {
    const assets = mkdtempSync(path.join(tmpdir(), 'weft-assets-'));
    writeFileSync(path.join(assets, 'webview.js'), 'console.log(1)');
    writeFileSync(path.join(assets, 'webview.css'), 'body{}');
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'weft-report-')), 'nested', 'report.html');
    const res = await writeReport(path.join(FIXTURES, 'two-threads'), out, { assetsDir: assets });
    const html = readFileSync(out, 'utf8');
    expect(res.bytes).toBe(Buffer.byteLength(html));
    expect(res.warnings).toEqual([]);
    const data = decodeViewData(scripts(html).find((b) => b.attrs.includes('application/json'))?.body ?? '');
    expect(data.lanes.map((l) => l.name)).toEqual(['MainThread', 'holder', 'waiter']);
    expect(data.locks[0]?.maxWaitNs).toBe(200_000_000);
  });

  it('writeReport carries the warnings of a truncated trace into the page', async () => {
    const assets = mkdtempSync(path.join(tmpdir(), 'weft-assets-'));
    mkdirSync(assets, { recursive: true });
    writeFileSync(path.join(assets, 'webview.js'), '');
    writeFileSync(path.join(assets, 'webview.css'), '');
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'weft-report-')), 'r.html');
    const res = await writeReport(path.join(FIXTURES, 'truncated'), out, { assetsDir: assets });
    expect(res.warnings.some((w) => w.includes('cut short'))).toBe(true);
    const data = decodeViewData(scripts(readFileSync(out, 'utf8')).find((b) => b.attrs.includes('application/json'))?.body ?? '');
    expect(data.warnings).toEqual(res.warnings);
  });
});

describe('report with the real webview bundle (dist/, built by npm run build)', () => {
  it('contains no external URL, no network API and nothing a strict CSP blocks', () => {
    const assets = findWebviewAssets();
    const html = reportHtmlFromViewData(buildViewData(hostileModel()), assets);
    // No resource is loaded from anywhere: outside the inlined code and data, the page has no
    // src or href attribute and no <link>.
    const markup = html.replace(/(<script[^>]*>)[\s\S]*?(<\/script>)/gi, '$1$2').replace(/(<style[^>]*>)[\s\S]*?(<\/style>)/gi, '$1$2');
    expect(markup).not.toMatch(/<link\b/i);
    expect(markup).not.toMatch(/\s(src|href)\s*=/i);
    expect(scripts(html)).toHaveLength(2);
    // The only URLs are XML namespace names that d3 compares against, never fetched.
    const urls = new Set(html.match(/https?:\/\/[^\s"'<>)]+/g) ?? []);
    for (const u of urls) expect(u, u).toMatch(/^http:\/\/www\.w3\.org\//);
    for (const api of ['fetch(', 'XMLHttpRequest', 'WebSocket', 'EventSource', 'importScripts', 'eval(', 'new Function', 'sendBeacon']) {
      expect(assets.js.includes(api), api).toBe(false);
    }
    // Styles are set through the CSSOM only: a style attribute would be blocked by the CSP.
    expect(assets.js).not.toMatch(/setAttribute\(\s*["']style["']/);
  });
});
