/**
 * Entry point of the Weft extension (bundled to dist/extension.js, `vscode` external).
 *
 * A thin host: `activate` builds the Ctx, registers the commands from the table, the Weft
 * view's serializer, and nothing else. Reading traces, building views and running programs
 * live in the runtime and in child processes, because the extension host is shared with every
 * other extension.
 */
import * as vscode from 'vscode';
import { commandFactories } from './commands';
import { Ctx } from './ctx';
import { VIEW_TYPE } from './manifest';
import { savedTraceTarget } from './trace-panel';

let ctx: Ctx | null = null;

export function activate(context: vscode.ExtensionContext): void {
  const c = new Ctx(context);
  ctx = c;
  c.registerCommands(commandFactories);
  c.pushCleanup(
    vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
      deserializeWebviewPanel: (panel, state: unknown) => c.revivePanel(panel, savedTraceTarget(state)),
    }),
  );
  c.sessionChanged();
  c.log.info(`Weft ${String(context.extension.packageJSON.version ?? '')} activated (VS Code ${vscode.version})`);
}

/** Stops a running program (it has its own process group and would outlive the window). */
export async function deactivate(): Promise<void> {
  const c = ctx;
  ctx = null;
  await c?.shutdown();
}
