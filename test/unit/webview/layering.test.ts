/**
 * Import direction (ARCHITECTURE.md): the webview runs in a browser sandbox and the view data
 * builder in any host, so neither may import Node modules or VS Code; the webview reaches
 * runtime code only through the pure view and format modules.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..', '..', '..');

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []);
}

function imports(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm), ...text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)].map((m) => m[1] as string);
}

const NODE = /^(node:|fs$|path$|os$|child_process$|crypto$|worker_threads$|vscode$|piscina$)/;

describe('layering', () => {
  it('webview/src imports no Node module and no VS Code, and only pure runtime modules', () => {
    const bad: string[] = [];
    for (const f of sources('webview/src')) {
      for (const spec of imports(f)) {
        if (NODE.test(spec)) bad.push(`${f}: ${spec}`);
        if (spec.includes('runtime/src/') && !/runtime\/src\/(view|format)\//.test(spec)) bad.push(`${f}: ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('runtime/src/view imports no Node module and nothing from the webview', () => {
    const bad: string[] = [];
    for (const f of sources('runtime/src/view')) {
      for (const spec of imports(f)) if (NODE.test(spec) || spec.includes('webview')) bad.push(`${f}: ${spec}`);
    }
    expect(bad).toEqual([]);
  });
});
