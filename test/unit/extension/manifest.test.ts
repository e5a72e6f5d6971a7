/**
 * package.json's VS Code contributions agree with the code: every command the extension
 * registers is declared with the palette title users (and the e2e tests) look for, the Stop
 * command is tied to the context key the host sets, the Python editor gets a run button, and
 * the webview serializer can activate the extension.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATEGORY, COMMANDS, CONTEXT_PROFILING, VIEW_TYPE } from '../../../extension/src/manifest';

interface Contributed { command: string; title: string; category?: string; enablement?: string }
interface MenuItem { command: string; when?: string; group?: string }
const pkg = JSON.parse(readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as {
  main: string;
  engines: { vscode: string };
  activationEvents: string[];
  capabilities: { untrustedWorkspaces: { supported: string | boolean; description?: string; restrictedConfigurations?: string[] } };
  contributes: { commands: Contributed[]; menus: Record<string, MenuItem[]> };
  icon?: string;
};

describe('package.json contributions', () => {
  it('declares exactly the commands the extension registers, with their palette titles', () => {
    const declared = Object.fromEntries(pkg.contributes.commands.map((c) => [c.command, `${c.category}: ${c.title}`]));
    const registered = Object.fromEntries(Object.values(COMMANDS).map((c) => [c.id, `${CATEGORY}: ${c.title}`]));
    expect(declared).toEqual(registered);
    // The titles other tests and the docs rely on.
    expect(Object.values(declared)).toEqual(expect.arrayContaining([
      'Weft: Profile Current File', 'Weft: Profile with Arguments...', 'Weft: Open Trace...',
      'Weft: Stop Profiling', 'Weft: Export Trace...',
    ]));
  });

  it('Stop Profiling is enabled only while profiling', () => {
    const stop = pkg.contributes.commands.find((c) => c.command === COMMANDS.stopProfiling.id);
    expect(stop?.enablement).toBe(CONTEXT_PROFILING);
  });

  it('Python editors get a run button in the title bar', () => {
    const title = pkg.contributes.menus['editor/title'] ?? [];
    const run = title.find((m) => m.command === COMMANDS.profileCurrentFile.id);
    expect(run?.when).toMatch(/resourceLangId == python/);
    expect(run?.group).toMatch(/^navigation/);
  });

  it('every menu item names a declared command', () => {
    const ids = new Set(pkg.contributes.commands.map((c) => c.command));
    for (const items of Object.values(pkg.contributes.menus)) for (const m of items) expect(ids.has(m.command), m.command).toBe(true);
  });

  it('a restored Weft view activates the extension', () => {
    expect(pkg.activationEvents).toContain(`onWebviewPanel:${VIEW_TYPE}`);
  });

  it('supports untrusted workspaces in a limited way and restricts the interpreter setting', () => {
    const u = pkg.capabilities.untrustedWorkspaces;
    expect(u.supported).toBe('limited');
    expect(u.description).toMatch(/trust/i);
    expect(u.restrictedConfigurations).toContain('weft.pythonPath');
  });

  it('runs the bundled entry on the VS Code versions the e2e tests use', () => {
    expect(pkg.main).toBe('./dist/extension.js');
    expect(pkg.engines.vscode).toBe('^1.100.0');
    expect(pkg.icon).toBe('extension/media/icon.png');
  });
});
