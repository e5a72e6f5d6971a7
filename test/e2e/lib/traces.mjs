// Saved traces for the "Open Trace..." scenario: one recorded by the real CLI, and a copy of it
// cut short the way a killed process leaves it.
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

// Trace file names as the generated contract gives them (runtime/src/format/spec.ts).
const CONTRACT = new URL('../../../runtime/python/weft/trace_format.json', import.meta.url);
const PROCESS_FILE = new RegExp(JSON.parse(readFileSync(CONTRACT, 'utf8')).fileName.pattern);

/** Records `script` (in `cwd`) with `weft run --out outDir`; throws with the CLI's output on failure. */
export function recordTrace({ repo, cwd, script, outDir }) {
  const r = spawnSync(process.execPath, [join(repo, 'bin', 'weft.js'), 'run', '--out', outDir, script], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) {
    throw new Error(`weft run --out ${outDir} ${script} failed (status ${r.status}, signal ${r.signal}):\n${r.stdout}\n${r.stderr}`);
  }
  const files = readdirSync(outDir).filter((f) => PROCESS_FILE.test(f));
  if (files.length === 0) throw new Error(`weft run wrote no weft-*.jsonl file into ${outDir}`);
  return files;
}

/**
 * Copies a trace directory and cuts every process file short as a SIGKILL would: the end
 * record (`["Z", ...]`) is gone and the last line stops in the middle. Returns how many
 * complete records each file still has, so a test knows what "what could be read" means.
 */
export function truncateTraceCopy(fromDir, toDir) {
  cpSync(fromDir, toDir, { recursive: true });
  const kept = {};
  for (const f of readdirSync(toDir).filter((n) => PROCESS_FILE.test(n))) {
    const p = join(toDir, f);
    const lines = readFileSync(p, 'utf8').split('\n').filter((l) => l.length > 0);
    if (lines.length < 4) throw new Error(`${p} is too short to truncate meaningfully (${lines.length} lines)`);
    if (lines[lines.length - 1].startsWith('["Z"')) lines.pop();
    const last = lines.pop();
    // Header + the complete records, then half of one more line and no newline.
    writeFileSync(p, lines.join('\n') + '\n' + last.slice(0, Math.floor(last.length / 2)));
    kept[f] = lines.length - 1;
  }
  if (Object.keys(kept).length === 0) throw new Error(`no process files in ${fromDir}`);
  if (existsSync(join(toDir, 'run.json'))) {
    // A run that was killed never wrote its end time or exit code.
    const run = JSON.parse(readFileSync(join(toDir, 'run.json'), 'utf8'));
    delete run.endWallMs;
    delete run.exitCode;
    delete run.signal;
    writeFileSync(join(toDir, 'run.json'), JSON.stringify(run));
  }
  return kept;
}
