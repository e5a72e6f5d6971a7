/**
 * The hotspots language server over real LSP: the server is bundled from the current source
 * (as scripts/build.mjs does) and started with `--stdio`; a JSON-RPC client sends it the
 * facts of the contention fixture and asks for lenses and hovers, as VS Code would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-languageserver/node';
import { loadViewData } from '../../../extension/src/trace-loader';
import { TRACE_CLEARED, TRACE_SHOWN, type TraceShownParams } from '../../../extension/src/server/protocol';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const serverFile = path.join(ROOT, 'node_modules', '.cache', 'weft-test', 'server.js');
const PROG = pathToFileURL('/w/prog.py').href;

interface Published {
  uri: string;
  diagnostics: {
    range: { start: { line: number } }; severity: number; source: string; message: string; code?: string;
    relatedInformation?: { location: { uri: string; range: { start: { line: number } } }; message: string }[];
  }[];
}
let child: ChildProcess;
let conn: MessageConnection;
const published: Published[] = [];
let refreshes = 0;

/** Waits until `pred` holds for the notifications received so far. */
async function until(pred: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(pred()).toBe(true);
}

beforeAll(async () => {
  await build({
    entryPoints: [path.join(ROOT, 'extension', 'src', 'server', 'server.ts')], outfile: serverFile, bundle: true,
    platform: 'node', format: 'cjs', target: 'node20', logLevel: 'error',
  });
  child = spawn(process.execPath, [serverFile, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  conn = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  conn.onNotification('textDocument/publishDiagnostics', (p: Published) => {
    published.push(p);
  });
  conn.onRequest('workspace/codeLens/refresh', () => {
    refreshes++;
    return null;
  });
  conn.listen();
  const init = await conn.sendRequest('initialize', {
    processId: process.pid, rootUri: null, capabilities: { workspace: { codeLens: { refreshSupport: true } } },
  }) as { capabilities: { codeLensProvider?: unknown; hoverProvider?: unknown } };
  expect(init.capabilities.codeLensProvider).toBeTruthy();
  expect(init.capabilities.hoverProvider).toBe(true);
  await conn.sendNotification('initialized', {});
});

afterAll(async () => {
  try {
    await conn.sendRequest('shutdown');
    await conn.sendNotification('exit');
  } finally {
    conn.dispose();
    child.kill();
  }
});

describe('hotspots language server', () => {
  it('before any trace, a Python file has no lenses and no hover', async () => {
    expect(await conn.sendRequest('textDocument/codeLens', { textDocument: { uri: PROG } })).toEqual([]);
    expect(await conn.sendRequest('textDocument/hover', { textDocument: { uri: PROG }, position: { line: 9, character: 4 } })).toBeNull();
  });

  it('after traceShown: lenses on the hot lines, markdown hover, diagnostics pushed, lenses refreshed', async () => {
    const loaded = await loadViewData(path.join(ROOT, 'test', 'fixtures', 'contention'));
    const params: TraceShownParams = { cwd: '/w', hotspots: loaded.hotspots };
    await conn.sendNotification(TRACE_SHOWN, params);

    const lenses = await conn.sendRequest('textDocument/codeLens', { textDocument: { uri: PROG } }) as { range: { start: { line: number } }; command: { title: string } }[];
    expect(lenses.map((l) => [l.range.start.line, l.command.title])).toEqual([
      [4, 'Weft: lock (lock) created here · 3 waits · 350 ms blocked · p95 150 ms'],
      [9, 'Weft: 3 waits on lock · 350 ms blocked · p95 150 ms · held at prog.py:10'],
      [11, 'Weft: 2 waits on cond · 20.0 ms blocked · p95 10.0 ms · held at prog.py:12'],
    ]);

    const hover = await conn.sendRequest('textDocument/hover', { textDocument: { uri: PROG }, position: { line: 9, character: 4 } }) as { contents: { kind: string; value: string } };
    expect(hover.contents.kind).toBe('markdown');
    expect(hover.contents.value).toContain('| lock (lock) | 3 | 350 ms | 150 ms | 150 ms |');
    expect(await conn.sendRequest('textDocument/hover', { textDocument: { uri: PROG }, position: { line: 0, character: 0 } })).toBeNull();

    await until(() => published.some((p) => p.uri === PROG && p.diagnostics.length > 0));
    const d = published.filter((p) => p.uri === PROG).at(-1) as Published;
    expect(d.diagnostics.map((x) => [x.range.start.line, x.severity, x.source])).toEqual([[9, 2, 'weft'], [11, 3, 'weft']]);
    await until(() => refreshes > 0);
  });

  it('after traceCleared: no lenses, and empty diagnostics for the file', async () => {
    const before = published.length;
    await conn.sendNotification(TRACE_CLEARED, {});
    await until(() => published.length > before);
    expect(published.at(-1)).toEqual({ uri: PROG, diagnostics: [] });
    expect(await conn.sendRequest('textDocument/codeLens', { textDocument: { uri: PROG } })).toEqual([]);
  });

  it('an asyncio trace: a warning on the line that blocked the event loop, and its lens first', async () => {
    const APP = pathToFileURL('/w/app.py').href;
    const loaded = await loadViewData(path.join(ROOT, 'test', 'fixtures', 'asyncio'));
    await conn.sendNotification(TRACE_SHOWN, { cwd: '/w', hotspots: loaded.hotspots } satisfies TraceShownParams);
    await until(() => published.some((p) => p.uri === APP && p.diagnostics.some((d) => d.message.startsWith('event loop blocked'))));
    const d = published.filter((p) => p.uri === APP).at(-1) as Published;
    expect(d.diagnostics.filter((x) => x.range.start.line === 11).map((x) => [x.severity, x.source, x.message])).toEqual([
      [2, 'weft', 'event loop blocked 300 ms (task Task-2; 3 tasks delayed)'], // 2: Warning
    ]);
    const lenses = await conn.sendRequest('textDocument/codeLens', { textDocument: { uri: APP } }) as { range: { start: { line: number } }; command: { title: string } }[];
    expect(lenses.filter((l) => l.range.start.line === 11).map((l) => l.command.title)[0]).toBe('Weft: event loop blocked 300 ms · task Task-2 · 3 tasks delayed');
    // The asyncio lock's waits get the threading lock's lens.
    expect(lenses.filter((l) => l.range.start.line === 21).map((l) => l.command.title)).toEqual([
      'Weft: 1 wait on lock · 100 ms blocked · p95 100 ms · held at app.py:22',
    ]);
    const hover = await conn.sendRequest('textDocument/hover', { textDocument: { uri: APP }, position: { line: 11, character: 0 } }) as { contents: { value: string } };
    expect(hover.contents.value).toContain('Event loop blocked here');
    await conn.sendNotification(TRACE_CLEARED, {});
  });

  it('a deadlock: an error on each member\'s line, related to the other\'s, and a lens that shows it on the timeline', async () => {
    const X = pathToFileURL('/w/x.py').href;
    const loaded = await loadViewData(path.join(ROOT, 'test', 'fixtures', 'deadlock-killed'));
    await conn.sendNotification(TRACE_SHOWN, { cwd: '/w', hotspots: loaded.hotspots } satisfies TraceShownParams);
    await until(() => published.some((p) => p.uri === X && p.diagnostics.some((d) => d.severity === 1)));
    const d = published.filter((p) => p.uri === X).at(-1) as Published;
    const errors = d.diagnostics.filter((x) => x.severity === 1); // 1: Error
    const sentence = 'deadlock: t1 waits for B (created at x.py:6) held by t2 at x.py:18; t2 waits for A (created at x.py:5) held by t1 at x.py:12';
    expect(errors.map((x) => [x.range.start.line, x.code, x.message])).toEqual([[11, 'deadlock', sentence], [17, 'deadlock', sentence]]);
    expect(errors.map((x) => x.relatedInformation?.map((r) => [r.location.uri, r.location.range.start.line, r.message]))).toEqual([
      [[X, 17, 't2 waits for A here, held by t1']],
      [[X, 11, 't1 waits for B here, held by t2']],
    ]);
    const lenses = await conn.sendRequest('textDocument/codeLens', { textDocument: { uri: X } }) as { range: { start: { line: number } }; command: { title: string; command: string; arguments?: unknown[] } }[];
    const first = lenses.find((l) => l.range.start.line === 11);
    expect(first?.command).toEqual({ title: 'Weft: deadlock · t1 waits for B here, held by t2 · show on the timeline', command: 'weft.showStall', arguments: [sentence] });
    // The same sentence names the stall in the view data the notification and the lens select.
    expect(loaded.data.stalls?.map((st) => st.sentence)).toEqual([sentence]);
    await conn.sendNotification(TRACE_CLEARED, {});
  });
});
