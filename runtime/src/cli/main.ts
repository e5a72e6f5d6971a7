/**
 * The `weft` command line: run, summary, export. Argument parsing is pure (parseArgs) so it is
 * unit-tested; the commands are thin over the launcher, the model and the summary.
 */
import { createWriteStream, existsSync } from 'node:fs';
import * as path from 'node:path';
import { launch, LaunchError, resolvePython } from '../launcher/launch';
import { loadTrace } from '../model/build-model';
import { TraceError } from '../reader/read-trace';
import { buildSummary, formatSummary } from '../summary/summary';
import { writeChromeTrace } from './export-chrome';

export const VERSION = '0.1.0';

const HELP: Record<string, string> = {
  main: `weft ${VERSION}: a concurrency profiler for Python

usage: weft <command> [options]

commands:
  run       run a Python program under Weft and print a summary
  summary   print the summary of a saved trace (text or --json)
  export    write a saved trace as Chrome Trace Event JSON (Perfetto, chrome://tracing)

Run "weft <command> --help" for the options of a command.
`,
  run: `usage: weft run [--out DIR] [--python PATH] [--sample-hz N] [--no-summary] script.py [args...]
       weft run [options] -m module [args...]

Runs the program exactly as "python3 script.py args" would (same input, output and exit
code), records its threads, locks and waits into DIR, and prints a summary to stderr.

options (before the script; everything after it belongs to the program):
  --out DIR        trace directory (default .weft/<script>-<date>-<time>)
  --python PATH    interpreter to use (default: $WEFT_PYTHON, then python3, then python)
  --sample-hz N    stack samples per second, 0 to 1000 (default 100; 0 turns sampling off)
  --no-summary     do not print the summary
`,
  summary: `usage: weft summary DIR [--json]

Prints what the trace in DIR shows: contended locks with holders and waiters, per-thread
time split into running and waiting, hotspots. --json prints the documented schema
(runtime/src/summary/schema.ts, schemaVersion 1).
`,
  export: `usage: weft export DIR [--format chrome] -o FILE

Writes the trace as Chrome Trace Event JSON: open it in https://ui.perfetto.dev,
chrome://tracing or speedscope.
`,
};

export class UsageError extends Error {}

export type Command =
  | { kind: 'help'; topic: string }
  | { kind: 'version' }
  | { kind: 'run'; out: string | null; python: string | null; sampleHz: number; summary: boolean; target: string[] }
  | { kind: 'summary'; dir: string; json: boolean }
  | { kind: 'export'; dir: string; format: 'chrome'; out: string };

function intArg(name: string, v: string | undefined, min: number, max: number): number {
  const n = Number(v);
  if (v === undefined || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${name} needs an integer from ${min} to ${max}, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
  }
  return n;
}

export function parseArgs(argv: string[]): Command {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '-h' || cmd === '--help' || cmd === 'help') return { kind: 'help', topic: rest[0] ?? 'main' };
  if (cmd === '--version' || cmd === '-V') return { kind: 'version' };
  if (rest.includes('--help') || rest.includes('-h')) {
    // For run, --help after the script belongs to the program.
    const idx = rest.findIndex((a) => a === '--help' || a === '-h');
    const firstPositional = rest.findIndex((a) => !a.startsWith('-'));
    if (cmd !== 'run' || firstPositional === -1 || idx < firstPositional) return { kind: 'help', topic: cmd };
  }
  switch (cmd) {
    case 'run': {
      let out: string | null = null;
      let python: string | null = null;
      let sampleHz = 100;
      let summary = true;
      let i = 0;
      for (; i < rest.length; i++) {
        const a = rest[i] as string;
        if (a === '--out') out = rest[++i] ?? null;
        else if (a === '--python') python = rest[++i] ?? null;
        else if (a === '--sample-hz') sampleHz = intArg('--sample-hz', rest[++i], 0, 1000);
        else if (a === '--no-summary') summary = false;
        else if (a === '--') {
          i++;
          break;
        } else if (a === '-m') break;
        else if (a.startsWith('-')) throw new UsageError(`unknown option ${a} for run`);
        else break;
        if ((a === '--out' && out === null) || (a === '--python' && python === null)) throw new UsageError(`${a} needs a value`);
      }
      const target = rest.slice(i);
      if (target.length === 0) throw new UsageError('run needs a script (or -m module) to run');
      if (target[0] === '-m' && target.length < 2) throw new UsageError('-m needs a module name');
      return { kind: 'run', out, python, sampleHz, summary, target };
    }
    case 'summary': {
      const json = rest.includes('--json');
      const unknown = rest.find((a) => a.startsWith('-') && a !== '--json');
      if (unknown) throw new UsageError(`unknown option ${unknown} for summary`);
      const dir = rest.find((a) => !a.startsWith('-'));
      if (!dir) throw new UsageError('summary needs a trace directory');
      return { kind: 'summary', dir, json };
    }
    case 'export': {
      let out: string | null = null;
      let dir: string | null = null;
      for (let i = 0; i < rest.length; i++) {
        const a = rest[i] as string;
        if (a === '-o' || a === '--out') out = rest[++i] ?? null;
        else if (a === '--format') {
          const f = rest[++i];
          if (f !== 'chrome') throw new UsageError(`unknown export format ${JSON.stringify(f)}; the supported format is chrome`);
        } else if (a.startsWith('-')) throw new UsageError(`unknown option ${a} for export`);
        else dir = a;
      }
      if (!dir) throw new UsageError('export needs a trace directory');
      if (!out) throw new UsageError('export needs -o FILE');
      return { kind: 'export', dir, format: 'chrome', out };
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(cmd)}`);
  }
}

function defaultOutDir(target: string[]): string {
  const stem = target[0] === '-m' ? (target[1] ?? 'module') : path.basename(target[0] ?? 'program').replace(/\.py$/, '');
  const d = new Date();
  const p = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
  return path.join('.weft', `${stem}-${stamp}`);
}

async function main(argv: string[]): Promise<number> {
  let cmd: Command;
  try {
    cmd = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`weft: ${e.message}\n\n${HELP[argv[0] ?? 'main'] ?? HELP.main}`);
      return 2;
    }
    throw e;
  }
  try {
    switch (cmd.kind) {
      case 'help':
        process.stdout.write(HELP[cmd.topic] ?? HELP.main ?? '');
        return 0;
      case 'version':
        process.stdout.write(`${VERSION}\n`);
        return 0;
      case 'run': {
        if (cmd.target[0] !== '-m' && !existsSync(cmd.target[0] as string)) {
          process.stderr.write(`weft: the script ${cmd.target[0]} does not exist.\n`);
          return 2;
        }
        const py = resolvePython(cmd.python ?? undefined);
        const out = cmd.out ?? defaultOutDir(cmd.target);
        const running = launch({ python: py.path, outDir: out, target: cmd.target, sampleHz: cmd.sampleHz });
        // The program owns the terminal: Ctrl+C reaches it directly (same process group), so
        // Weft only waits and must not die first.
        const ignore = (): void => undefined;
        process.on('SIGINT', ignore);
        process.on('SIGTERM', () => running.stop());
        const { exitCode, signal } = await running.done;
        process.off('SIGINT', ignore);
        if (cmd.summary) {
          try {
            const model = await loadTrace(out);
            process.stderr.write(`\n${formatSummary(buildSummary(model), process.cwd())}`);
          } catch (e) {
            process.stderr.write(`weft: could not summarise the trace: ${(e as Error).message}\n`);
          }
          process.stderr.write(`trace: ${out}  (weft summary ${out} --json)\n`);
        }
        if (signal) {
          const num = (await import('node:os')).constants.signals[signal] ?? 0;
          return 128 + num;
        }
        return exitCode ?? 1;
      }
      case 'summary': {
        const model = await loadTrace(cmd.dir);
        const summary = buildSummary(model);
        if (cmd.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        else process.stdout.write(formatSummary(summary, process.cwd()));
        return 0;
      }
      case 'export': {
        const model = await loadTrace(cmd.dir);
        await writeChromeTrace(model, createWriteStream(cmd.out));
        process.stderr.write(`wrote ${cmd.out}\n`);
        return 0;
      }
      default: {
        const never: never = cmd;
        throw new Error(`unhandled command ${JSON.stringify(never)}`);
      }
    }
  } catch (e) {
    if (e instanceof TraceError || e instanceof LaunchError) {
      process.stderr.write(`weft: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

/** Entry used by bin/weft.js: runs a command and sets the process exit code. */
export function runCli(argv: string[]): Promise<void> {
  return main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`weft: internal error: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 70;
    },
  );
}
