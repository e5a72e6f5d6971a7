// Writes runtime/python/weft/trace_format.json from runtime/src/format/spec.ts (through
// contract.ts), the one machine-readable contract the Python side reads. `--check` exits 1
// when the committed file differs (the vitest contract test does the same check in CI).
import { build } from 'esbuild';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = mkdtempSync(join(tmpdir(), 'weft-contract-'));
try {
  const out = join(dir, 'contract.mjs');
  await build({ entryPoints: ['runtime/src/format/contract.ts'], outfile: out, bundle: true, platform: 'node', format: 'esm', logLevel: 'warning' });
  const { contractText, CONTRACT_PATH } = await import(pathToFileURL(out).href);
  const text = contractText();
  if (process.argv.includes('--check')) {
    let current = '';
    try { current = readFileSync(CONTRACT_PATH, 'utf8'); } catch { /* missing counts as stale */ }
    if (current !== text) {
      console.error(`${CONTRACT_PATH} is stale: run npm run gen:contract and commit it`);
      process.exit(1);
    }
  } else {
    writeFileSync(CONTRACT_PATH, text);
    console.log(`wrote ${CONTRACT_PATH}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
