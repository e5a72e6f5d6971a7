// Bundles every entry point with esbuild. Type checking is separate (`npm run typecheck`),
// as in vscode-extension-samples: esbuild strips types, tsc checks them.
// Entries whose source does not exist yet are skipped, so layers can land one at a time.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';

const production = process.argv.includes('--production');
const entries = [
  // Node entries (CLI, extension host, language server, workers).
  { in: 'runtime/src/cli/main.ts', out: 'dist/cli.js', platform: 'node' },
  { in: 'runtime/src/worker/parse-worker.ts', out: 'dist/parse-worker.js', platform: 'node' },
  { in: 'extension/src/extension.ts', out: 'dist/extension.js', platform: 'node', external: ['vscode'] },
  { in: 'extension/src/view-worker.ts', out: 'dist/view-worker.js', platform: 'node' },
  { in: 'extension/src/server/server.ts', out: 'dist/server.js', platform: 'node' },
  { in: 'bench/model-load.ts', out: 'dist/bench-model-load.js', platform: 'node' },
  { in: 'bench/call-tree.ts', out: 'dist/bench-call-tree.js', platform: 'node' },
  { in: 'bench/export-query.ts', out: 'dist/bench-export-query.js', platform: 'node' },
  // Browser entries (webview and the self-contained HTML report).
  { in: 'webview/src/main.ts', out: 'dist/webview.js', platform: 'browser' },
];

mkdirSync('dist', { recursive: true });
await Promise.all(
  entries
    .filter((e) => existsSync(e.in))
    .map((e) =>
      build({
        entryPoints: [e.in],
        outfile: e.out,
        bundle: true,
        platform: e.platform,
        format: e.platform === 'node' ? 'cjs' : 'iife',
        target: e.platform === 'node' ? 'node20' : 'es2022',
        sourcemap: !production,
        minify: production,
        // piscina stays a runtime require: its pool starts its own worker.js next to its
        // index.js (__dirname), which a bundle would move; installed with the dependencies.
        external: [...(e.external ?? []), ...(e.platform === 'node' ? ['piscina'] : [])],
        logLevel: 'warning',
      }),
    ),
);
// `weft query`'s SQLite (sql.js) loads its WebAssembly from beside the bundle that uses it
// (runtime/src/query/engine.ts), so it travels with dist/.
copyFileSync('node_modules/sql.js/dist/sql-wasm.wasm', 'dist/sql-wasm.wasm');
