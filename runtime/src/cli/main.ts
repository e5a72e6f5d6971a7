/**
 * The `weft` command line (bundled to dist/cli.js, started by bin/weft.js): run, summary,
 * export. Parsing is in args.ts; each command is a thin layer over the launcher, the model and
 * the summary (and the report page). Expected failures (usage, missing script, no Python, unreadable trace) print
 * one clear line and exit 2. For the commands that read saved traces (summary, export,
 * report), which anyone may point at a damaged or hostile folder, every other failure is one
 * line too, with exit 1 (WEFT_DEBUG=1 adds the stack); output cut off by a closed pipe
 * (`weft summary DIR | head -1`) ends the command quietly with exit 0, as `head` expects.
 * For `run`, anything unexpected is a bug and prints its stack with exit 70.
 */
import { createWriteStream, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import * as path from 'node:path';
import { launch } from '../launcher/launch';
import { LaunchError, resolvePython } from '../launcher/python';
import { forwardSignals } from '../launcher/signals';
import { loadTrace } from '../model/build-model';
import { TRACE_FILE_NAME, TraceError } from '../reader/read-trace';
import { RUN_FILE } from '../format/spec';
import { buildSummary, DEFAULT_LIMITS, formatSummary } from '../summary/summary';
import { HELP, UsageError, VERSION, defaultOutDir, parseArgs, type Command } from './args';
import { firstLine } from '../format/safe-values';
import { EXPORT_FORMAT_INFO, writeExport } from '../export/formats';
import { ReportError, writeReport } from '../report/report';
import { QueryError, queryTrace } from '../query/engine';
import { formatCsv, formatJson, formatTable } from '../query/format';
import { TABLES, formatSchema } from '../query/tables';

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
  const running = launch({
    python, outDir: out, target: cmd.target, sampleHz: cmd.sampleHz, cwd: io.cwd,
    ...(cmd.loopBlockMs !== null ? { loopBlockMs: cmd.loopBlockMs } : {}),
    ...(cmd.lockOrder ? { lockOrder: true } : {}),
  });
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
  // v1 and v2 names alike, so that an earlier run of either agent is never mixed in.
  const old = names.filter((n) => TRACE_FILE_NAME.test(n) || n === RUN_FILE);
  for (const n of old) rmSync(path.join(dir, n), { force: true });
  return old.length;
}

/** A failure to write the command's output (a full disk, a folder that cannot be written). */
class OutputError extends Error {}

/** The DIR arguments, resolved against the working directory (one or several trace folders). */
function traceDirs(dirs: readonly string[], io: CliIo): string[] {
  return dirs.map((d) => path.resolve(io.cwd, d));
}

async function summaryCommand(cmd: Extract<Command, { kind: 'summary' }>, io: CliIo): Promise<number> {
  const summary = buildSummary(
    await loadTrace(traceDirs(cmd.dirs, io)),
    { ...DEFAULT_LIMITS, ...(cmd.loopBlockMs !== null ? { minLoopBlockMs: cmd.loopBlockMs } : {}) },
  );
  io.stdout.write(cmd.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary, io.cwd));
  return 0;
}

async function exportCommand(cmd: Extract<Command, { kind: 'export' }>, io: CliIo): Promise<number> {
  const dirs = traceDirs(cmd.dirs, io);
  const model = await loadTrace(dirs);
  const info = EXPORT_FORMAT_INFO[cmd.format];
  if (cmd.out === '-') {
    await writeExport(model, cmd.format, io.stdout as NodeJS.WritableStream & import('node:stream').Writable, { closeStream: false });
    return 0;
  }
  // No -o: beside the trace (one DIR), else in the working directory, as the report does.
  const [dir] = dirs;
  const file = cmd.out !== null
    ? path.resolve(io.cwd, cmd.out)
    : dirs.length === 1 && dir !== undefined
      ? path.join(statSync(dir).isDirectory() ? dir : path.dirname(dir), info.fileName)
      : path.join(io.cwd, info.fileName);
  const rel = path.relative(io.cwd, file);
  const shown = cmd.out ?? (rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? file : rel);
  const stream = createWriteStream(file);
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (e) => reject(new OutputError(`cannot write ${shown}: ${firstLine(e.message)}. Choose another file with -o.`)));
  });
  try {
    await writeExport(model, cmd.format, stream);
  } catch (e) {
    throw new OutputError(`writing ${shown} failed: ${firstLine((e as Error).message)}. Check the free space, or choose another file with -o.`);
  }
  io.stderr.write(`wrote ${shown} (open it in ${info.opensIn})\n`);
  return 0;
}

async function reportCommand(cmd: Extract<Command, { kind: 'report' }>, io: CliIo): Promise<number> {
  const dirs = traceDirs(cmd.dirs, io);
  const model = await loadTrace(dirs);
  const [dir] = dirs;
  // One DIR: the report goes beside its trace, as before; several: no folder is "the" trace.
  const out = cmd.out !== null
    ? path.resolve(io.cwd, cmd.out)
    : dirs.length === 1 && dir !== undefined
      ? path.join(statSync(dir).isDirectory() ? dir : path.dirname(dir), 'report.html')
      : path.join(io.cwd, 'report.html');
  let bytes: number;
  try {
    ({ bytes } = await writeReport(model, out, { traceId: dirs.join(path.delimiter) }));
  } catch (e) {
    if (e instanceof ReportError || e instanceof TraceError) throw e;
    throw new OutputError(`cannot write the report to ${out}: ${firstLine((e as Error).message)}. Check the free space, or choose another file with -o.`);
  }
  for (const w of model.warnings) io.stderr.write(`weft: warning: ${w}\n`);
  const rel = path.relative(io.cwd, out);
  const shown = rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? out : rel;
  io.stderr.write(`wrote ${shown} (${(bytes / 1e6).toFixed(1)} MB; open it in a browser)\n`);
  return 0;
}

async function queryCommand(cmd: Extract<Command, { kind: 'query' }>, io: CliIo): Promise<number> {
  const model = await loadTrace(traceDirs(cmd.dirs, io));
  const result = await queryTrace(model, cmd.sql);
  io.stdout.write(cmd.output === 'json' ? formatJson(result) : cmd.output === 'csv' ? formatCsv(result) : formatTable(result));
  return 0;
}

function querySchemaCommand(cmd: Extract<Command, { kind: 'query-schema' }>, io: CliIo): number {
  if (cmd.output === 'json') {
    const tables = TABLES.map((t) => ({
      name: t.name, view: t.view !== undefined, doc: t.doc,
      columns: t.columns.map((c) => ({ name: c.name, type: c.type, doc: c.doc, computed: c.as !== undefined })),
    }));
    io.stdout.write(`${JSON.stringify(tables, null, 2)}\n`);
  } else {
    io.stdout.write(formatSchema());
  }
  return 0;
}

/** True for the error of writing to a pipe whose reader has gone (`| head`). */
function isClosedPipe(e: unknown, io: CliIo): boolean {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === 'EPIPE' || (code === 'ERR_STREAM_DESTROYED' && (io.stdout as { destroyed?: boolean }).destroyed === true);
}

/** The one line that stands for an unexpected failure of a command that reads saved traces. */
function failureLine(kind: Command['kind'], e: unknown): string {
  const err = e instanceof Error ? e : new Error(String(e));
  const what = `"weft ${kind}"`;
  // A system error (ENOSPC, EACCES, EIO...) is the machine's, not a bug: say what to check.
  if (typeof (err as NodeJS.ErrnoException).syscall === 'string') {
    return `${what} failed: ${firstLine(err.message)}. Check the paths, their permissions and the free disk space, then try again.`;
  }
  return `${what} failed on an internal error (${err.name}: ${firstLine(err.message, 200)}). Please report it with the trace; WEFT_DEBUG=1 shows where it happened.`;
}

/** Runs one command line; returns the exit status. */
export async function main(argv: readonly string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() }): Promise<number> {
  let kind: Command['kind'] | null = null;
  try {
    const cmd = parseArgs(argv);
    kind = cmd.kind;
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
      case 'query':
        return await queryCommand(cmd, io);
      case 'query-schema':
        return querySchemaCommand(cmd, io);
      default: {
        const never: never = cmd;
        throw new Error(`unhandled command ${JSON.stringify(never)}`);
      }
    }
  } catch (e) {
    if (isClosedPipe(e, io)) return 0;
    if (e instanceof UsageError) {
      io.stderr.write(`weft: ${e.message}\nRun "weft ${e.topic === 'main' ? '' : `${e.topic} `}--help" for usage.\n`);
      return 2;
    }
    if (e instanceof TraceError || e instanceof LaunchError || e instanceof ReportError || e instanceof QueryError) {
      io.stderr.write(`weft: ${firstLine(e.message, 2000)}\n`);
      return 2;
    }
    if (e instanceof OutputError) {
      io.stderr.write(`weft: ${firstLine(e.message, 2000)}\n`);
      return 1;
    }
    if (kind === 'summary' || kind === 'export' || kind === 'report' || kind === 'query' || kind === 'query-schema') {
      io.stderr.write(`weft: ${failureLine(kind, e)}\n`);
      if (process.env.WEFT_DEBUG) io.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
      return 1;
    }
    throw e;
  }
}

/** Entry used by bin/weft.js: runs a command and sets the process exit code. */
export function runCli(argv: string[]): Promise<void> {
  // A reader that closes the pipe early (`weft summary DIR | head -1`) makes the next write
  // fail with EPIPE, reported as an 'error' event: without a listener Node prints its stack.
  // The output is not wanted any more, so the command ends quietly (exit 0, as head expects).
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') {
        if (stream === process.stdout) process.exit(process.exitCode ?? 0);
        return;
      }
      if (stream === process.stdout) process.stderr.write(`weft: cannot write the output: ${firstLine(e.message)}. Check where it goes (free space, permissions).\n`);
      process.exit(1);
    });
  }
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
