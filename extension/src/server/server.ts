/**
 * The hotspots language server (bundled to dist/server.js, started by hotspots-client.ts over
 * IPC, or with `--stdio` by the tests). It holds the facts of the trace the Weft view shows and
 * answers CodeLens and hover requests for those Python files, and pushes their diagnostics.
 *
 * Why a language server rather than providers in the extension host: the host is shared with
 * every other extension, and the LSP keeps lens/hover/diagnostic logic out of it (and usable
 * from other editors). All decisions are in hotspots.ts; this file only maps them to LSP types.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CodeLensRefreshRequest, createConnection, DiagnosticSeverity, MarkupKind, ProposedFeatures, TextDocumentSyncKind,
  type CodeLens, type Connection, type Diagnostic, type Hover, type InitializeResult,
} from 'vscode-languageserver/node';
import { diagnosticsOf, hoverMarkdown, lensTitles, lspLine, problemLenses, type LineFacts } from './hotspots';
import { SHOW_STALL_COMMAND, TRACE_CLEARED, TRACE_SHOWN, type TraceShownParams } from './protocol';

/** The shown trace's facts: absolute path → 0-based line → facts. */
interface State {
  cwd: string | null;
  files: Map<string, Map<number, LineFacts>>;
}

/** A document URI as an absolute path, or null for non-file URIs (untitled, remote). */
function uriToPath(uri: string): string | null {
  try {
    return fileURLToPath(uri);
  } catch {
    return null;
  }
}

export function serve(connection: Connection): void {
  let state: State = { cwd: null, files: new Map() };
  let canRefreshLenses = false;

  const factsOf = (uri: string): Map<number, LineFacts> | undefined => {
    const p = uriToPath(uri);
    return p === null ? undefined : state.files.get(p);
  };

  /** Replaces the shown facts: files that had diagnostics and have none now get an empty set. */
  const replace = (next: State): void => {
    const before = state.files;
    state = next;
    for (const file of before.keys()) {
      if (!next.files.has(file)) void connection.sendDiagnostics({ uri: pathToFileURL(file).href, diagnostics: [] });
    }
    for (const [file, lines] of next.files) {
      const diagnostics: Diagnostic[] = [];
      for (const f of lines.values()) {
        for (const d of diagnosticsOf(f)) diagnostics.push({
          range: { start: { line: d.line, character: 0 }, end: { line: d.line, character: Number.MAX_SAFE_INTEGER } },
          severity: d.severity === 'error' ? DiagnosticSeverity.Error : d.severity === 'warning' ? DiagnosticSeverity.Warning : DiagnosticSeverity.Information,
          source: d.source,
          message: d.message,
          ...(d.code !== undefined ? { code: d.code } : {}),
          // The other members of a deadlock, the other path of an inversion: one click away.
          ...(d.related !== undefined && d.related.length > 0 ? {
            relatedInformation: d.related.map((r) => ({
              location: { uri: pathToFileURL(r.file).href, range: { start: { line: Math.max(0, r.line - 1), character: 0 }, end: { line: Math.max(0, r.line - 1), character: 0 } } },
              message: r.message,
            })),
          } : {}),
        });
      }
      void connection.sendDiagnostics({ uri: pathToFileURL(file).href, diagnostics });
    }
    // Open editors asked for lenses before the trace arrived (or for the previous trace);
    // without a refresh they would keep showing what they had until the next edit.
    if (canRefreshLenses) void connection.sendRequest(CodeLensRefreshRequest.type).then(undefined, () => undefined);
  };

  connection.onInitialize((params): InitializeResult => {
    canRefreshLenses = params.capabilities.workspace?.codeLens?.refreshSupport === true;
    return {
      capabilities: {
        // Lenses and hovers come from the trace, not the text, so the documents' content is
        // never needed; line numbers are the trace's, as the program ran.
        textDocumentSync: TextDocumentSyncKind.None,
        codeLensProvider: { resolveProvider: false },
        hoverProvider: true,
      },
      serverInfo: { name: 'weft-hotspots' },
    };
  });

  connection.onNotification(TRACE_SHOWN, (params: TraceShownParams) => {
    const files = new Map<string, Map<number, LineFacts>>();
    for (const f of params.hotspots) {
      let lines = files.get(f.file);
      if (!lines) files.set(f.file, (lines = new Map()));
      lines.set(lspLine(f), f);
    }
    replace({ cwd: params.cwd, files });
  });

  connection.onNotification(TRACE_CLEARED, () => replace({ cwd: null, files: new Map() }));

  connection.onCodeLens((params): CodeLens[] => {
    const lines = factsOf(params.textDocument.uri);
    if (!lines) return [];
    // A line may have several lenses: its problems (a deadlock's opens the timeline on the
    // cycle), an event-loop block, and its waits, holds or samples.
    return [...lines.entries()].flatMap(([line, f]) => {
      const problems = problemLenses(f);
      return lensTitles(f, state.cwd).map((title, i) => {
        const stall = i < problems.length ? problems[i]?.stall ?? null : null;
        return {
          range: { start: { line, character: 0 }, end: { line, character: 0 } },
          // An empty command id makes a label: the lens informs, the hover has the details.
          command: stall === null ? { title, command: '' } : { title, command: SHOW_STALL_COMMAND, arguments: [stall] },
        };
      });
    });
  });

  connection.onHover((params): Hover | null => {
    const f = factsOf(params.textDocument.uri)?.get(params.position.line);
    if (!f) return null;
    return {
      contents: { kind: MarkupKind.Markdown, value: hoverMarkdown(f, state.cwd) },
      range: { start: { line: params.position.line, character: 0 }, end: { line: params.position.line, character: Number.MAX_SAFE_INTEGER } },
    };
  });

  connection.listen();
}

// The transport (--node-ipc from the client, --stdio from the tests) is read from argv.
serve(createConnection(ProposedFeatures.all));
