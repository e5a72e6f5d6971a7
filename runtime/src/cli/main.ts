/**
 * The `weft` command line (bundled to dist/cli.js, started by bin/weft.js): run, summary,
 * export. Parsing is in args.ts; each command is a thin layer over the launcher, the model and
 * the summary (and the report page). Expected failures (usage, missing script, no Python, unreadable trace) print
 * one clear line and exit 2; anything else is a bug and prints its stack with exit 70.
 */
import { createWriteStream, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import * as path from 'node:path';
import { launch } from '../launcher/launch';
import { LaunchError, resolvePython } from '../launcher/python';
import { forwardSignals } from '../launcher/signals';
import { loadTrace } from '../model/build-model';
import { TraceError } from '../reader/read-trace';
import { PROCESS_FILE_PATTERN, RUN_FILE } from '../format/spec';
import { buildSummary, formatSummary } from '../summary/summary';
import { HELP, UsageError, VERSION, defaultOutDir, parseArgs, type Command } from './args';
import { writeChromeTrace } from './export-chrome';
import { ReportError, writeReport } from '../report/report';

export { parseArgs, VERSION };

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  cwd: string;
}

async function runCommand(cmd: Extract<Command, { kind: 'run' }>, io: CliIo): Promise<number> {
  const script = cmd.target[0] as string;
  if (script !== '-m') {
    const full = path.resolve(io.cwd, script);
    if (!existsSync(full)) throw new UsageError(`the script ${script} does not exist (looked in ${io.cwd}).`, 'run');
    if (statSync(full).isDirectory() && !existsSync(path.join(full, '__main__.py'))) {
      throw new UsageError(`${script} is a directory without __main__.py; give a script, or -m module.`, 'run');
    }
  }
  const python = await resolvePython(cmd.python);
  const out = cmd.out ?? uniqueDir(io.cwd, defaultOutDir(cmd.target));
  const replaced = clearPreviousTrace(path.resolve(io.cwd, out));
  if (replaced > 0) io.stderr.write(`weft: replacing the earlier trace in ${out} (${replaced} file${replaced === 1 ? '' : 's'}).\n`);
  const running = launch({ python, outDir: out, target: cmd.target, sampleHz: cmd.sampleHz, cwd: io.cwd });
  const unforward = forwardSignals(running.child);
  let status;
  try {
    status = await running.done;
  } finally {
    unforward();
  }
  if (cmd.summary) {
    try {
      const model = await loadTrace(running.outDir);
      io.stderr.write(`\n${formatSummary(buildSummary(model), io.cwd)}`);
    } catch (e) {
      if (!(e instanceof TraceError)) throw e;
      io.stderr.write(`\nweft: no summary: ${e.message}\n`);
    }
    const shown = path.relative(io.cwd, running.outDir) || '.';
    io.stderr.write(`trace: ${shown}   (weft summary ${shown} --json; weft report ${shown}; weft export ${shown} -o trace.json)\n`);
  }
  if (status.signal !== null) return 128 + (osConstants.signals[status.signal] ?? 0);
  return status.exitCode ?? 1;
}

/** `dir`, or `dir-2`, `dir-3`... when it exists (two runs started in the same second). */
function uniqueDir(cwd: string, dir: string): string {
  let candidate = dir;
  for (let i = 2; existsSync(path.resolve(cwd, candidate)); i++) candidate = `${dir}-${i}`;
  return candidate;
}

/**
 * Removes an earlier trace's own files (process files and run.json) from `dir`, so that a new
 * run into the same --out is not read together with the old one. Other files are left alone.
 */
function clearPreviousTrace(dir: string): number {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  const old = names.filter((n) => PROCESS_FILE_PATTERN.test(n) || n === RUN_FILE);
  for (const n of old) rmSync(path.join(dir, n), { force: true });
  return old.length;
}

async function summaryCommand(cmd: Extract<Command, { kind: 'summary' }>, io: CliIo): Promise<number> {
  const summary = buildSummary(await loadTrace(path.resolve(io.cwd, cmd.dir)));
  io.stdout.write(cmd.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary, io.cwd));
  return 0;
}

async function exportCommand(cmd: Extract<Command, { kind: 'export' }>, io: CliIo): Promise<number> {
  const model = await loadTrace(path.resolve(io.cwd, cmd.dir));
  if (cmd.out === '-') {
    await writeChromeTrace(model, io.stdout as NodeJS.WritableStream & import('node:stream').Writable, { closeStream: false });
    return 0;
  }
  const file = path.resolve(io.cwd, cmd.out);
  const stream = createWriteStream(file);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (e) => reject(new UsageError(`cannot write ${cmd.out}: ${e.message}`, 'export')));
  });
  await writeChromeTrace(model, stream);
  io.stderr.write(`wrote ${cmd.out} (open it in https://ui.perfetto.dev or chrome://tracing)\n`);
  return 0;
}

async function reportCommand(cmd: Extract<Command, { kind: 'report' }>, io: CliIo): Promise<number> {
  const dir = path.resolve(io.cwd, cmd.dir);
  const model = await loadTrace(dir);
  const out = cmd.out === null
    ? path.join(statSync(dir).isDirectory() ? dir : path.dirname(dir), 'report.html')
    : path.resolve(io.cwd, cmd.out);
  const { bytes } = await writeReport(model, out, { traceId: dir });
  for (const w of model.warnings) io.stderr.write(`weft: warning: ${w}\n`);
  const rel = path.relative(io.cwd, out);
  const shown = rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? out : rel;
  io.stderr.write(`wrote ${shown} (${(bytes / 1e6).toFixed(1)} MB; open it in a browser)\n`);
  return 0;
}

/** Runs one command line; returns the exit status. */
export async function main(argv: readonly string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() }): Promise<number> {
  try {
    const cmd = parseArgs(argv);
    switch (cmd.kind) {
      case 'help':
        io.stdout.write(HELP[cmd.topic]);
        return 0;
      case 'version':
        io.stdout.write(`weft ${VERSION}\n`);
        return 0;
      case 'run':
        return await runCommand(cmd, io);
      case 'summary':
        return await summaryCommand(cmd, io);
      case 'export':
        return await exportCommand(cmd, io);
      case 'report':
        return await reportCommand(cmd, io);
      default: {
        const never: never = cmd;
        throw new Error(`unhandled command ${JSON.stringify(never)}`);
      }
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`weft: ${e.message}\nRun "weft ${e.topic === 'main' ? '' : `${e.topic} `}--help" for usage.\n`);
      return 2;
    }
    if (e instanceof TraceError || e instanceof LaunchError || e instanceof ReportError) {
      io.stderr.write(`weft: ${e.message}\n`);
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
      process.stderr.write(`weft: internal error (please report it): ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 70;
    },
  );
}
