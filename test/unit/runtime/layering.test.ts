/**
 * Layering of runtime/src: no file imports VS Code, and the modules that views and workers
 * share (format, model handlers and types, summary) import nothing from Node, so the webview
 * can use them. A forbidden import fails here rather than in a bundle later.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(__dirname, '..', '..', '..', 'runtime', 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const imports = (file: string): string[] =>
  [...readFileSync(file, 'utf8').matchAll(/(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\('([^']+)'\)/g)].map((m) => m[1] ?? m[2] ?? '');

/** Modules that must run anywhere (webview, worker): no Node, no VS Code. */
const PURE = [
  'format/spec.ts', 'model/types.ts', 'model/columns.ts', 'model/parsed-file.ts', 'model/file-handlers.ts',
  'model/aggregations.ts', 'summary/schema.ts', 'summary/summary.ts', 'reader/record-scanner.ts',
];

describe('runtime layering', () => {
  it('no runtime file imports vscode or uses the DOM', () => {
    for (const f of files(SRC)) {
      expect(imports(f).filter((i) => i === 'vscode' || i.startsWith('vscode/')), f).toEqual([]);
      expect(readFileSync(f, 'utf8'), f).not.toMatch(/\b(document|window)\.\w/);
    }
  });

  it('shared modules and model handlers import no Node module', () => {
    const pure = [...PURE.map((p) => path.join(SRC, p)), ...files(path.join(SRC, 'model', 'handlers'))];
    for (const f of pure) {
      const bad = imports(f).filter((i) => i.startsWith('node:') || ['fs', 'path', 'os', 'child_process', 'worker_threads', 'piscina'].includes(i));
      expect(bad, path.relative(SRC, f)).toEqual([]);
      // Type-only imports of Node-using modules are fine; value imports are not.
      for (const i of imports(f)) {
        if (i.startsWith('.') && /reader\/read-trace|launcher|cli|parser-pool|parse-file|build-model/.test(i)) {
          expect(readFileSync(f, 'utf8'), `${path.relative(SRC, f)} imports ${i}`).toMatch(new RegExp(`import type [^;]*'${i.replace(/[./]/g, '\\$&')}'`));
        }
      }
    }
  });
});
