/**
 * Identifiers the extension shares with package.json: command ids and their palette titles,
 * the context key, the webview type and the setting section. Pure, so a unit test checks that
 * package.json's `contributes` declares exactly these (VS Code does not: a command registered
 * in code but missing from the manifest is silently invisible in the palette).
 */

export const CATEGORY = 'Weft';
export const CONFIG_SECTION = 'weft';

/** Every command, with the title shown after "Weft: " in the command palette. */
export const COMMANDS = {
  profileCurrentFile: { id: 'weft.profileCurrentFile', title: 'Profile Current File', runsCode: true },
  profileWithArguments: { id: 'weft.profileWithArguments', title: 'Profile with Arguments...', runsCode: true },
  openTrace: { id: 'weft.openTrace', title: 'Open Trace...', runsCode: false },
  stopProfiling: { id: 'weft.stopProfiling', title: 'Stop Profiling', runsCode: false },
  exportTrace: { id: 'weft.exportTrace', title: 'Export Trace...', runsCode: false },
  showLog: { id: 'weft.showLog', title: 'Show Log', runsCode: false },
  // Issue 12: a deadlock's CodeLens runs it with the stall's sentence; from the palette it
  // shows the first deadlock or hang of the view looked at last.
  showStall: { id: 'weft.showStall', title: 'Show Deadlock or Hang on the Timeline', runsCode: false },
} as const;

export type CommandName = keyof typeof COMMANDS;

/** True while a program runs under Weft; enables "Stop Profiling". */
export const CONTEXT_PROFILING = 'weft.profiling';

/** The Weft view's webview type; also its `onWebviewPanel:` activation event. */
export const VIEW_TYPE = 'weft.trace';

/** Name of the output channel (a LogOutputChannel) and of the program terminals' prefix. */
export const LOG_CHANNEL = 'Weft';
