/**
 * Layering of the extension: only extension/ may import `vscode`, and the extension's pure
 * modules (the ones unit-tested here) must not reach it even indirectly, or they could no
 * longer be tested without VS Code.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const PURE = ['arguments', 'interpreter', 'line-discipline', 'paths', 'session-state', 'settings', 'manifest', 'trace-loader', 'webview-html', 'assert', 'view-worker', 'stall-notices'];

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm)].map((m) => (m[1] ?? m[2]) as string);
}

function resolveLocal(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const base = path.resolve(path.dirname(from), spec);
  for (const c of [`${base}.ts`, path.join(base, 'index.ts')]) {
    try {
      if (statSync(c).isFile()) return c;
    } catch {
      // try the next form
    }
  }
  return null;
}

/** Every module reachable from `entry` by relative imports, with the bare imports each makes. */
function closure(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const todo = [entry];
  while (todo.length > 0) {
    const f = todo.pop() as string;
    if (seen.has(f)) continue;
    const specs = importsOf(f);
    seen.set(f, specs.filter((s) => !s.startsWith('.')));
    for (const s of specs) {
      const r = resolveLocal(f, s);
      if (r) todo.push(r);
    }
  }
  return seen;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

describe('extension layering', () => {
  it.each(PURE)('%s.ts does not import vscode, directly or through its imports', (name) => {
    const offenders = [...closure(path.join(ROOT, 'extension', 'src', `${name}.ts`))]
      .filter(([, bare]) => bare.includes('vscode'))
      .map(([f]) => path.relative(ROOT, f));
    expect(offenders).toEqual([]);
  });

  it.each(['server/hotspots', 'server/protocol'])('%s.ts imports neither vscode nor an LSP package, so it is unit-tested as plain data', (name) => {
    const offenders = [...closure(path.join(ROOT, 'extension', 'src', `${name}.ts`))]
      .filter(([, bare]) => bare.some((b) => b === 'vscode' || b.startsWith('vscode-language')))
      .map(([f]) => path.relative(ROOT, f));
    expect(offenders).toEqual([]);
  });

  it('no module outside extension/ imports vscode', () => {
    const offenders = ['runtime/src', 'webview/src']
      .flatMap((d) => tsFiles(path.join(ROOT, d)))
      .filter((f) => importsOf(f).includes('vscode'))
      .map((f) => path.relative(ROOT, f));
    expect(offenders).toEqual([]);
  });

  it('the host reads webview messages through the shared protocol, not its own copy', () => {
    const panel = importsOf(path.join(ROOT, 'extension', 'src', 'trace-panel.ts'));
    expect(panel).toContain('../../webview/src/protocol');
  });
});
