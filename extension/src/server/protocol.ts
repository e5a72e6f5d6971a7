/**
 * The one protocol between the extension host (hotspots-client.ts) and the hotspots language
 * server (server.ts), beyond standard LSP. Plain method names and payload types, no LSP import,
 * so both sides and the tests share one definition.
 *
 * The facts are computed where the trace is read (the trace worker, from the Summary), and
 * sent whole: the host only forwards them, and the server only indexes and formats them. A new
 * `traceShown` replaces everything the previous one said.
 */
import type { LineFacts } from './hotspots';

/** Host → server: a trace is shown in the Weft view; these are its hot lines. */
export const TRACE_SHOWN = 'weft/traceShown';
export interface TraceShownParams {
  /** The run's working directory, for shorter paths in titles; null when unknown. */
  cwd: string | null;
  hotspots: LineFacts[];
}

/** Host → server: no trace is shown any more (the view closed); drop lenses and diagnostics. */
export const TRACE_CLEARED = 'weft/traceCleared';
export type TraceClearedParams = Record<string, never>;

/** The command a deadlock's or hang's CodeLens runs (registered by the extension,
 * commands.ts): shows the Weft view with that stall selected. Its one argument is the stall's
 * sentence (ViewData.stalls[].sentence, Summary deadlocks[].sentence). */
export const SHOW_STALL_COMMAND = 'weft.showStall';
