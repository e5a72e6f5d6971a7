/**
 * Every message between the extension host and the Weft webview, in one place.
 *
 * Both directions are discriminated unions keyed by `type`. The extension host imports this
 * file for its types and guards only (it has no DOM code), the webview for everything. Every
 * `switch` over a union ends in `assertUnreachable`, so adding a message is a compile error
 * wherever it is not handled.
 *
 * Order of a session:
 *   webview → `ready`            (once its script runs and listens; also after a reload)
 *   host    → `load`             (the whole view data of a trace)
 *   host    → `update` ...       (live: newer view data of the same run; zoom and selection stay)
 *   host    → `status`, `warnings`, `error` at any time
 *   webview → `openSource`, `selectLock`, `requestRange`, `log` as the user works
 *
 * Stability: fields are only added, never renamed; a change of meaning gets a new `type`.
 *
 * View data travels as `ViewData` (typed-array columns, which VS Code's postMessage carries
 * as ArrayBuffers without encoding every element) or, for a transport that cannot carry
 * binary data, as the string from `encodeViewData` (runtime/src/view/codec.ts).
 */
import type { ViewData } from '../../runtime/src/view/view-data';

/** View data, either as columns or encoded as text (see codec.ts). */
export type ViewPayload = ViewData | string;

/** A source location to open, as recorded by the agent (the path may be relative to the
 * traced process's working directory; the host resolves it). Lines are 1-based. */
export interface SourceRef {
  file: string;
  line: number;
}

/** Tabs of the bottom panel. */
export const PANEL_TABS = ['locks', 'hotspots', 'asyncio', 'flame'] as const;
export type PanelTab = (typeof PANEL_TABS)[number];

// ---------------------------------------------------------------- webview → host

/** The webview is listening; send `load` (again, after a reload of the webview). */
export interface ReadyMessage {
  type: 'ready';
}

/** The user asked to see a line: open `file` at `line` in an editor beside the view. */
export interface OpenSourceMessage {
  type: 'openSource';
  file: string;
  line: number;
}

/** The user selected a lock in the lock table (null: cleared). Lets the host mirror the
 * selection (for instance highlight the lock's lines in open editors). Informational. */
export interface SelectLockMessage {
  type: 'selectLock';
  /** `LockRow.key`, stable across live updates; null when the selection was cleared. */
  key: string | null;
  name: string | null;
  site: SourceRef | null;
}

/** The visible window changed (view ns, debounced). A host that sends decimated data for
 * huge traces may answer with an `update` holding full detail for this window; a host that
 * already sent everything (today's extension) may ignore it. */
export interface RequestRangeMessage {
  type: 'requestRange';
  startNs: number;
  endNs: number;
}

/** Something the webview wants in the host's log (an exception while drawing, say). */
export interface LogMessage {
  type: 'log';
  level: 'info' | 'warning' | 'error';
  message: string;
}

export type WebviewToHostMessage =
  | ReadyMessage
  | OpenSourceMessage
  | SelectLockMessage
  | RequestRangeMessage
  | LogMessage;

// ---------------------------------------------------------------- host → webview

/** Show a trace. Replaces whatever was shown; the zoom resets to the whole run unless the
 * webview restored a saved state for the same `traceId`. */
export interface LoadMessage {
  type: 'load';
  /** Identifies the trace (its directory), so restored state is only applied to it. */
  traceId: string;
  data: ViewPayload;
  /** True while the program still runs (more `update`s will follow). */
  live: boolean;
}

/** Newer data of the trace being shown (live profiling). The webview keeps the zoom window
 * (following the end when it showed the end), the selected tab and the selection. */
export interface UpdateMessage {
  type: 'update';
  traceId: string;
  data: ViewPayload;
  /** False once the program has ended: this is the final data. */
  live: boolean;
}

/** A one-line status for the toolbar ("Recording… 12 s", "Program exited with code 0"). */
export interface StatusMessage {
  type: 'status';
  state: 'idle' | 'loading' | 'recording' | 'done' | 'stopped';
  text: string;
}

/** Something went wrong on the host side (the trace cannot be read). Shown in an error
 * banner; `detail` says what to do. */
export interface ErrorMessage {
  type: 'error';
  message: string;
  detail?: string;
}

/** Warnings to add to the banner (beyond the model's own, which come with the data). */
export interface WarningsMessage {
  type: 'warnings';
  warnings: string[];
}

/** Bring something into view: a tab, and optionally a lock (by key, or by name and/or
 * creation site, as a CodeLens on `lock = Lock()` knows it). */
export interface RevealMessage {
  type: 'reveal';
  tab?: PanelTab;
  lockKey?: string;
  lockName?: string;
  site?: SourceRef;
  /** Select this deadlock or hang (index into ViewData.stalls) on the timeline: its members'
   * waits outlined, zoomed to them (the "Show" of the extension's notification). */
  stall?: number;
}

export type HostToWebviewMessage =
  | LoadMessage
  | UpdateMessage
  | StatusMessage
  | ErrorMessage
  | WarningsMessage
  | RevealMessage;

// ---------------------------------------------------------------- guards

export function assertUnreachable(x: never): never {
  throw new Error(`unexpected message ${JSON.stringify(x)}`);
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isSourceRef = (v: unknown): v is SourceRef => isObj(v) && isStr(v.file) && isNum(v.line);
const isPayload = (v: unknown): v is ViewPayload => isStr(v) || (isObj(v) && isNum(v.version));

/**
 * Checks a message that claims to come from the webview. The host must not trust the
 * webview's messages blindly (a webview runs page script), so it calls this first.
 */
export function isWebviewToHostMessage(v: unknown): v is WebviewToHostMessage {
  if (!isObj(v) || !isStr(v.type)) return false;
  const t = v.type as WebviewToHostMessage['type'];
  switch (t) {
    case 'ready':
      return true;
    case 'openSource':
      return isStr(v.file) && v.file.length > 0 && isNum(v.line) && Number.isInteger(v.line) && v.line >= 1;
    case 'selectLock':
      return (v.key === null || isStr(v.key)) && (v.name === null || isStr(v.name)) && (v.site === null || isSourceRef(v.site));
    case 'requestRange':
      return isNum(v.startNs) && isNum(v.endNs) && v.endNs >= v.startNs;
    case 'log':
      return (v.level === 'info' || v.level === 'warning' || v.level === 'error') && isStr(v.message);
    default:
      assertNever(t);
      return false;
  }
}

/** Checks a message that claims to come from the host. */
export function isHostToWebviewMessage(v: unknown): v is HostToWebviewMessage {
  if (!isObj(v) || !isStr(v.type)) return false;
  const t = v.type as HostToWebviewMessage['type'];
  switch (t) {
    case 'load':
    case 'update':
      return isStr(v.traceId) && isPayload(v.data) && typeof v.live === 'boolean';
    case 'status':
      return ['idle', 'loading', 'recording', 'done', 'stopped'].includes(v.state as string) && isStr(v.text);
    case 'error':
      return isStr(v.message) && (v.detail === undefined || isStr(v.detail));
    case 'warnings':
      return Array.isArray(v.warnings) && v.warnings.every(isStr);
    case 'reveal':
      return (v.tab === undefined || (PANEL_TABS as readonly unknown[]).includes(v.tab))
        && (v.lockKey === undefined || isStr(v.lockKey))
        && (v.lockName === undefined || isStr(v.lockName))
        && (v.site === undefined || isSourceRef(v.site))
        && (v.stall === undefined || (isNum(v.stall) && Number.isInteger(v.stall) && v.stall >= 0));
    default:
      assertNever(t);
      return false;
  }
}

/** Like assertUnreachable, for guards: an unknown `type` from outside is not a bug here,
 * so it does not throw; the `never` parameter still makes a missing case a compile error. */
function assertNever(_x: never): void {
  // Intentionally empty: the caller returns false.
}

// ---------------------------------------------------------------- saved state

/** What the webview saves with `setState` so that a reloaded panel looks the same. */
export interface SavedState {
  traceId: string | null;
  tab: PanelTab;
  /** Visible window in view ns, or null for the whole run. */
  window: { startNs: number; endNs: number } | null;
  /** Whether the window was at the end of the run (live views keep following the end). */
  followEnd: boolean;
  selection: SavedSelection | null;
  lockSort: { column: string; descending: boolean };
  /** Vertical scroll of the lanes, CSS px. */
  scrollTop: number;
  /**
   * Collapsed groups of the timeline, by stable keys (webview/src/layout.ts): "h:<host>" a
   * host, "p:<host>/<pid>.<serial>" a process, "l:<lane id>" a thread with its tasks, where
   * <host> is the host's machine id (else its name, else its index). States saved before
   * hosts hold bare "<pid>.<serial>" process keys, which are still read as processes.
   */
  collapsed: string[];
}

/** A selection by stable keys (lane id + time, lock key), valid across live updates. */
export type SavedSelection =
  | { kind: 'segment'; laneId: string; beginNs: number }
  | { kind: 'lock'; key: string };
