// Builds weft-<version>.vsix: a production bundle (minified, no source maps), then
// `vsce package`, then a check of what goes in. Afterwards dist/ is rebuilt for development,
// so source maps are back for whoever debugs next.
//
// What is packaged is decided by .vscodeignore (an allow-list). Dependency detection stays on
// (no `--no-dependencies`) only because piscina cannot be bundled (see scripts/build.mjs) and
// must travel as node_modules/piscina; everything else npm would add is left out by the
// allow-list. `--allow-missing-repository`: Weft has no public repository URL yet.
// `--skip-license` only while there is no LICENSE file: the licence is declared in
// package.json ("MIT"), and vsce would otherwise stop to ask.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const vsix = `${pkg.name}-${pkg.version}.vsix`;
const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: opts.capture ? ['ignore', 'pipe', 'inherit'] : 'inherit' });
  if (r.status !== 0) throw new Error(`${[cmd, ...args].join(' ')} failed (status ${r.status ?? r.signal})`);
  return r.stdout ?? '';
}

/** npm packages a Node bundle still requires at run time (builtins and `vscode` aside). */
function externalRequires(bundle) {
  const text = readFileSync(path.join(root, bundle), 'utf8');
  const names = new Set();
  for (const m of text.matchAll(/require\(["']([^"'./][^"']*)["']\)/g)) {
    const spec = m[1];
    if (spec === 'vscode' || spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0])) continue;
    names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
  }
  return [...names];
}

const vsceFlags = ['--allow-missing-repository', ...(existsSync(path.join(root, 'LICENSE')) ? [] : ['--skip-license'])];

try {
  run(process.execPath, ['scripts/build.mjs', '--production']);

  // What the package will hold, checked before it is written.
  const files = run(process.execPath, [vsce, 'ls'], { capture: true }).split('\n').map((l) => l.trim()).filter(Boolean);
  const nodeBundles = ['dist/extension.js', 'dist/server.js', 'dist/parse-worker.js'].filter((f) => existsSync(path.join(root, f)));
  const required = [
    'package.json', 'dist/extension.js', 'dist/webview.js', pkg.icon,
    'runtime/python/weft/__main__.py', 'runtime/python/weft/runner.py',
    // The agent loads the format contract at import (weft/contract.py): without it, it fails.
    'runtime/python/weft/trace_format.json',
    ...nodeBundles,
    // Every package a bundle requires at run time must travel with it: installing the .vsix
    // must need nothing else.
    ...nodeBundles.flatMap(externalRequires).map((name) => `node_modules/${name}/package.json`),
  ];
  const missing = [...new Set(required)].filter((f) => f && !files.includes(f));
  const forbidden = files.filter(
    (f) => /^(test|bench|examples|scripts|extension\/src|runtime\/src|webview\/src)\//.test(f)
      || (!f.startsWith('node_modules/') && /\.(ts|map)$/.test(f))
      || /__pycache__|\.pyc$/.test(f),
  );
  if (missing.length > 0) throw new Error(`missing from the package (is the bundle built? is .vscodeignore right?): ${missing.join(', ')}`);
  if (forbidden.length > 0) throw new Error(`must not be packaged (fix .vscodeignore): ${forbidden.join(', ')}`);

  run(process.execPath, [vsce, 'package', ...vsceFlags, '--out', vsix]);
  console.log(`package: ${vsix} (${files.length} files)`);
} catch (e) {
  console.error(`package: ${e.message}`);
  process.exitCode = 1;
} finally {
  // Back to the development build (source maps), whatever happened above.
  spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
}
