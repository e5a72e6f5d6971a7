/**
 * The self-contained HTML report: one file that opens in any browser from disk, with no
 * server and no network. It holds the webview bundle (JS and CSS, inlined), and the view data
 * as JSON with base64 columns (runtime/src/view/codec.ts) in a
 * `<script type="application/json" id="weft-data">` block, which browsers never execute.
 *
 * The page carries a Content-Security-Policy that allows only its own nonce-tagged script and
 * style and `data:` images, so the report cannot reach the network even by accident.
 *
 * Assets. The report needs the built webview (`npm run build` writes dist/webview.js and
 * dist/webview.css). `findWebviewAssets` looks, in order, in:
 *   1. `options.assetsDir` when given;
 *   2. `__dirname`: the directory of the running bundle, which is dist/ for dist/cli.js and
 *      dist/extension.js, so the files sit next to it;
 *   3. `<repo>/dist`, resolved from this source file's folder (runtime/src/report), for code
 *      run from sources (tests, ts-node).
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadTrace } from '../model/build-model';
import type { TraceModel } from '../model/types';
import { encodeViewData } from '../view/codec';
import { buildViewData, type ViewData } from '../view/view-data';

export interface WebviewAssets {
  js: string;
  css: string;
  /** Folder the assets came from. */
  dir: string;
}

export interface ReportOptions {
  /** Folder holding webview.js and webview.css (default: see the file comment). */
  assetsDir?: string;
  /** Identifies the trace in the page (saved view state is keyed by it). */
  traceId?: string;
}

export class ReportError extends Error {}

/** Finds and reads dist/webview.js and dist/webview.css (see the file comment for where). */
export function findWebviewAssets(assetsDir?: string): WebviewAssets {
  const candidates = assetsDir !== undefined
    ? [assetsDir]
    : [__dirname, path.resolve(__dirname, '..', '..', '..', 'dist')];
  for (const dir of candidates) {
    const js = path.join(dir, 'webview.js');
    const css = path.join(dir, 'webview.css');
    if (existsSync(js) && existsSync(css)) {
      return { js: readFileSync(js, 'utf8'), css: readFileSync(css, 'utf8'), dir };
    }
  }
  throw new ReportError(
    `the report needs the built webview (webview.js and webview.css), which is not in ${candidates.join(' or ')}; ` +
    'run "npm run build" in the Weft folder and try again',
  );
}

/** For a double-quoted attribute: only `&` and `"` matter there. */
function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/**
 * Makes text safe inside a `<script>` or `<style>` element: the HTML parser ends those at
 * `</script` / `</style` anywhere, even inside a JS string, and treats `<!--` specially.
 * `\x3C` is "<" in JS strings, templates and regular expressions, and in CSS (`\3C `).
 */
function escapeScript(js: string): string {
  return js.replace(/<\/(script)/gi, '\\x3C/$1').replace(/<!--/g, '\\x3C!--');
}

function escapeStyle(css: string): string {
  return css.replace(/<\/(style)/gi, '\\3C /$1');
}

/** JSON inside a JSON script block: "<" only occurs in strings, where \u003c means the same. */
function escapeJson(json: string): string {
  return json.replace(/</g, '\\u003c');
}

/** Source map comments would make devtools fetch files that are not there. */
function stripSourceMaps(text: string): string {
  return text.replace(/\n?\/\/# sourceMappingURL=[^\n]*\s*$/, '\n').replace(/\n?\/\*# sourceMappingURL=[^*]*\*\/\s*$/, '\n');
}

/** The report page for view data, with the given webview assets. Pure: no I/O. */
export function reportHtmlFromViewData(data: ViewData, assets: Pick<WebviewAssets, 'js' | 'css'>, options: { traceId?: string; nonce?: string } = {}): string {
  const nonce = options.nonce ?? randomBytes(16).toString('base64');
  const csp = [
    "default-src 'none'",
    'img-src data:',
    `style-src 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  const title = `Weft report: ${data.title}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeAttr(csp)}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="Weft">',
    `<title>${escapeHtml(title)}</title>`,
    `<style nonce="${nonce}">${escapeStyle(stripSourceMaps(assets.css))}</style>`,
    '</head>',
    '<body>',
    '<div id="weft-root"></div>',
    `<script type="application/json" id="weft-data" data-trace-id="${escapeAttr(options.traceId ?? 'report')}">${escapeJson(encodeViewData(data))}</script>`,
    `<script nonce="${nonce}">${escapeScript(stripSourceMaps(assets.js))}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

async function toModel(traceDirOrModel: string | TraceModel): Promise<TraceModel> {
  return typeof traceDirOrModel === 'string' ? loadTrace(traceDirOrModel) : traceDirOrModel;
}

/** The report page of a trace directory (or an already loaded model), as a string. */
export async function renderReport(traceDirOrModel: string | TraceModel, options: ReportOptions = {}): Promise<string> {
  const assets = findWebviewAssets(options.assetsDir);
  const model = await toModel(traceDirOrModel);
  const traceId = options.traceId ?? (typeof traceDirOrModel === 'string' ? path.resolve(traceDirOrModel) : 'report');
  return reportHtmlFromViewData(buildViewData(model), assets, { traceId });
}

/**
 * Writes the report of a trace directory (or model) to `outFile`, creating its folder.
 * Returns the bytes written and the trace's warnings (the page shows them too). Throws
 * TraceError for an unreadable trace and ReportError when the webview is not built.
 */
export async function writeReport(traceDirOrModel: string | TraceModel, outFile: string, options: ReportOptions = {}): Promise<{ bytes: number; warnings: string[] }> {
  const assets = findWebviewAssets(options.assetsDir);
  const model = await toModel(traceDirOrModel);
  const traceId = options.traceId ?? (typeof traceDirOrModel === 'string' ? path.resolve(traceDirOrModel) : 'report');
  const html = reportHtmlFromViewData(buildViewData(model), assets, { traceId });
  await mkdir(path.dirname(path.resolve(outFile)), { recursive: true });
  await writeFile(outFile, html, 'utf8');
  return { bytes: Buffer.byteLength(html, 'utf8'), warnings: [...model.warnings] };
}
