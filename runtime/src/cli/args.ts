/**
 * Command-line parsing for `weft`, pure (no I/O) so every rule is unit-tested.
 *
 * `weft run` takes its own options only before the script: everything from the script (or
 * `-m module`) on belongs to the program, exactly as with `python3 [options] script.py args`.
 * So `weft run app.py --help` passes --help to app.py. `--` ends Weft's options explicitly.
 */

export const VERSION = '0.1.0';

export const HELP = {
  main: `weft ${VERSION}: a concurrency profiler for Python

usage: weft <command> [options]

commands:
  run       run a Python program under Weft, then print a summary
  summary   print the summary of saved traces (readable text, or --json)
  export    convert saved traces for other viewers: Chrome JSON, Perfetto protobuf, speedscope
  query     answer SQL over a saved trace (waits, spans, samples, flows, lanes, objects...)
  report    write saved traces as one self-contained HTML page (timeline, locks, hotspots)

summary, export, report and query read one or more trace directories as one run (e.g. one per MPI
rank or machine), or one directory whose subdirectories are trace directories.

options:
  -h, --help     show help (also "weft <command> --help")
  -V, --version  print the version

Exit status: the program's own for "run" (128+N when signal N ended it); 0 for the other
commands (also when their output is cut off, as by "| head"); 2 for a usage error, a missing
script, no suitable Python, or a trace that cannot be read; 1 when Weft itself fails (an
error writing the output, or a bug: please report it).
`,
  run: `usage: weft run [options] script.py [args...]
       weft run [options] -m module [args...]

Runs the program as "python3 script.py args" would (same input, output, arguments, working
directory and exit status), records its threads, locks and waits, and prints a summary to
stderr when it ends (stdout stays the program's).

options (before the script; everything after it belongs to the program):
  --out DIR        where to write the trace
                   (default: .weft/<script>-<YYYYMMDD-HHMMSS> under the current directory)
  --python PATH    Python interpreter to run (default: $WEFT_PYTHON, then python3, then
                   python; it must be Python 3.9 or newer)
  --sample-hz N    stack samples per second, 0 to 1000 (default 100; 0 turns sampling off)
  --loop-block-ms N
                   report asyncio event-loop blocks of N ms or longer, 1 to 60000
                   (default: the agent's threshold)
  --lock-order     also track the order in which each thread takes its locks, and report
                   two locks taken in opposite orders (a deadlock waiting to happen) even
                   when this run did not hang; off by default: it makes every lock
                   acquisition slower (about 2x for an uncontended with-lock)
  --no-summary     do not print the summary
  --               end of Weft's options (for a script whose name starts with "-")
  -h, --help       show this help

Then: weft summary DIR, weft report DIR (HTML), weft export DIR --format perfetto, weft query DIR "SQL"
`,
  summary: `usage: weft summary DIR... [--json] [--loop-block-ms N]

Prints what the trace in DIR shows: contended locks with their holders and waiters and the
lines involved, each thread's time split into running, waiting (by reason) and estimated GIL
wait, asyncio event-loop blocks and tasks by coroutine, sampled hotspots, findings and
warnings. DIR is a directory written by "weft run", a directory of such directories, or one
weft-*.jsonl file; several DIRs are read as one run (e.g. one per MPI rank or machine).

options:
  --json       print the summary as JSON instead: a stable schema documented in
               runtime/src/summary/schema.ts (schemaVersion 1; fields are only added)
  --loop-block-ms N
               leave out event-loop blocks shorter than N ms (the trace has those the
               agent's threshold let through)
  -h, --help   show this help
`,
  export: `usage: weft export DIR... [--format chrome|perfetto|speedscope] [-o FILE]

Converts the trace in DIR for another viewer (FILE "-" writes to stdout):
  chrome      Chrome Trace Event JSON (the default): waits and spans as slices with their
              object, holder and lines, unblock and hand-off arrows as flow events. Opens in
              https://ui.perfetto.dev and chrome://tracing.
  perfetto    Perfetto's native protobuf trace, written packet by packet (a trace of millions
              of events exports in constant memory beyond the trace itself): a track per
              process, thread, asyncio task and GPU queue, waits, spans, task steps and GPU
              kernels as slices, flows for unblocks and messages, counter tracks. Opens in
              https://ui.perfetto.dev and Perfetto's trace_processor.
  speedscope  the stack samples as a speedscope file (https://www.speedscope.app): one sampled
              profile per thread or task, a flame graph each; waiting samples end in a
              "(waiting)" frame.
Several DIRs, or a directory of trace directories, are read as one run.

options:
  --format F        output format: chrome (default), perfetto or speedscope
  -o, --out FILE    where to write (default: DIR/trace.json, DIR/trace.perfetto-trace or
                    DIR/trace.speedscope.json; with several DIRs, in the current directory)
  -h, --help        show this help
`,
  query: `usage: weft query DIR... "SQL" [--json | --csv]
       weft query --schema

Loads the trace in DIR into an in-memory SQLite database (sql.js, nothing to install) and
runs the SQL: tables processes, lanes, objects, sites, waits, spans, samples, flows,
counters, task_steps and locks (only the tables the SQL names are loaded). Times are ns
since the trace's first event (columns *_ns) and ms (columns *_ms). Several statements may
be given, separated by ";"; the result of the last one is printed.

Example: the 5 objects with the most contended wait, as in the summary's lock table:
  weft query DIR "SELECT o.kind, o.name, count(*) AS waits, round(sum(w.dur_ms), 1) AS wait_ms
                  FROM waits w JOIN objects o ON o.object = w.charged_object
                  GROUP BY o.object ORDER BY wait_ms DESC LIMIT 5"

options:
  --json       print the rows as a JSON array of objects
  --csv        print the rows as CSV (RFC 4180) with a header line
  --schema     print every table's columns with their meaning, and exit
  -h, --help   show this help
`,
  report: `usage: weft report DIR... [-o FILE]

Writes the trace in DIR as one HTML file with the same views as the VS Code extension: the
timeline (one lane per thread, grouped by process), lock contention and hotspots. The file
holds its code and data and opens in any browser from disk, with no server and no network,
so it can be attached to a bug report or a CI run. Several DIRs, or a directory of trace
directories, are read as one run.

options:
  -o, --output FILE  where to write (default: DIR/report.html; with several DIRs,
                     report.html in the current directory)
  -h, --help         show this help
`,
} as const;

export type HelpTopic = keyof typeof HELP;

/** `weft export --format`: chrome stays the default. */
export const EXPORT_FORMATS = ['chrome', 'perfetto', 'speedscope'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export class UsageError extends Error {
  constructor(message: string, readonly topic: HelpTopic = 'main') {
    super(message);
    this.name = 'UsageError';
  }
}

export type Command =
  | { kind: 'help'; topic: HelpTopic }
  | { kind: 'version' }
  | { kind: 'run'; out: string | null; python: string | null; sampleHz: number; loopBlockMs: number | null; summary: boolean; target: string[];
      /** `--lock-order` was given (absent: off). */
      lockOrder?: true }
  | { kind: 'summary'; dirs: string[]; json: boolean; loopBlockMs: number | null }
  | { kind: 'export'; dirs: string[]; format: ExportFormat; out: string | null }
  | { kind: 'query'; dirs: string[]; sql: string; output: 'table' | 'json' | 'csv' }
  | { kind: 'query-schema'; output: 'table' | 'json' }
  | { kind: 'report'; dirs: string[]; out: string | null };

/** Bounds of the event-loop block threshold (ms): below 1 ms every step would be a block;
 * above a minute nothing a person waits for is. The VS Code setting has the same. */
export const LOOP_BLOCK_MS = { min: 1, max: 60_000 } as const;

const isHelp = (a: string): boolean => a === '-h' || a === '--help';

/** Splits `--name=value` into name and value; other arguments are returned as they are. */
function splitEq(a: string): [string, string | undefined] {
  if (a.startsWith('--')) {
    const eq = a.indexOf('=');
    if (eq > 2) return [a.slice(0, eq), a.slice(eq + 1)];
  }
  return [a, undefined];
}

function intArg(name: string, v: string | undefined, min: number, max: number, topic: HelpTopic): number {
  const n = Number(v);
  if (v === undefined || v.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${name} needs a whole number from ${min} to ${max}, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`, topic);
  }
  return n;
}

function parseRun(rest: string[]): Command {
  let out: string | null = null;
  let python: string | null = null;
  let sampleHz = 100;
  let loopBlockMs: number | null = null;
  let summary = true;
  let lockOrder = false;
  let i = 0;
  const value = (name: string, inline: string | undefined): string => {
    const v = inline ?? rest[++i];
    if (v === undefined || (inline === undefined && v.startsWith('-') && v !== '-')) throw new UsageError(`${name} needs a value`, 'run');
    return v;
  };
  for (; i < rest.length; i++) {
    const [a, inline] = splitEq(rest[i] as string);
    if (a === '--') {
      i++;
      break;
    }
    if (a === '-m' || !a.startsWith('-') || a === '-') break;
    if (isHelp(a)) return { kind: 'help', topic: 'run' };
    if (a === '--out') out = value(a, inline);
    else if (a === '--python') python = value(a, inline);
    else if (a === '--sample-hz') sampleHz = intArg(a, inline ?? rest[++i], 0, 1000, 'run');
    else if (a === '--loop-block-ms') loopBlockMs = intArg(a, inline ?? rest[++i], LOOP_BLOCK_MS.min, LOOP_BLOCK_MS.max, 'run');
    else if (a === '--no-summary' && inline === undefined) summary = false;
    else if (a === '--lock-order' && inline === undefined) lockOrder = true;
    else throw new UsageError(`unknown option ${rest[i]} for "weft run" (options go before the script)`, 'run');
  }
  const target = rest.slice(i);
  if (target.length === 0) throw new UsageError('"weft run" needs a script (or -m module) to run', 'run');
  if (target[0] === '-m' && (target.length < 2 || (target[1] as string) === '')) throw new UsageError('-m needs a module name', 'run');
  return { kind: 'run', out, python, sampleHz, loopBlockMs, summary, target, ...(lockOrder ? { lockOrder: true as const } : {}) };
}

function parseSummary(rest: string[]): Command {
  let json = false;
  let loopBlockMs: number | null = null;
  const dirs: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const [a, inline] = splitEq(rest[i] as string);
    if (isHelp(a)) return { kind: 'help', topic: 'summary' };
    if (a === '--json' && inline === undefined) json = true;
    else if (a === '--loop-block-ms') loopBlockMs = intArg(a, inline ?? rest[++i], 0, LOOP_BLOCK_MS.max, 'summary');
    else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option ${rest[i]} for "weft summary"`, 'summary');
    else dirs.push(rest[i] as string);
  }
  if (dirs.length === 0) throw new UsageError('"weft summary" needs a trace directory (the --out of "weft run")', 'summary');
  return { kind: 'summary', dirs, json, loopBlockMs };
}

function parseExport(rest: string[]): Command {
  let out: string | null = null;
  let format: ExportFormat = 'chrome';
  const dirs: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const [a, inline] = splitEq(rest[i] as string);
    if (isHelp(a)) return { kind: 'help', topic: 'export' };
    if (a === '-o' || a === '--output' || a === '--out') {
      out = inline ?? rest[++i] ?? null;
      if (out === null || out === '') throw new UsageError(`${a} needs a file name`, 'export');
    } else if (a === '--format') {
      const f = inline ?? rest[++i];
      if (!(EXPORT_FORMATS as readonly string[]).includes(f ?? '')) {
        throw new UsageError(`unknown export format ${JSON.stringify(f ?? '')}; the formats are ${EXPORT_FORMATS.join(', ')}`, 'export');
      }
      format = f as ExportFormat;
    } else if (a.startsWith('-')) throw new UsageError(`unknown option ${rest[i]} for "weft export"`, 'export');
    else dirs.push(a);
  }
  if (dirs.length === 0) throw new UsageError('"weft export" needs a trace directory', 'export');
  return { kind: 'export', dirs, format, out };
}

function parseQuery(rest: string[]): Command {
  let output: 'table' | 'json' | 'csv' = 'table';
  let schema = false;
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const [a, inline] = splitEq(rest[i] as string);
    if (isHelp(a)) return { kind: 'help', topic: 'query' };
    if (a === '--json' && inline === undefined) output = 'json';
    else if (a === '--csv' && inline === undefined) output = 'csv';
    else if (a === '--schema' && inline === undefined) schema = true;
    else if (a === '--') {
      positional.push(...rest.slice(i + 1));
      break;
    } else if (a.startsWith('-') && a !== '-' && !/\s/.test(a)) throw new UsageError(`unknown option ${rest[i]} for "weft query"`, 'query');
    else positional.push(rest[i] as string);
  }
  if (schema) {
    if (output === 'csv') throw new UsageError('--schema prints a table or --json, not CSV', 'query');
    return { kind: 'query-schema', output };
  }
  if (positional.length < 2) {
    throw new UsageError(positional.length === 0
      ? '"weft query" needs a trace directory and an SQL query (weft query --schema lists the tables)'
      : '"weft query" needs an SQL query after the trace directory, in quotes (weft query --schema lists the tables)', 'query');
  }
  const sql = positional[positional.length - 1] as string;
  if (sql.trim() === '') throw new UsageError('the SQL query is empty', 'query');
  return { kind: 'query', dirs: positional.slice(0, -1), sql, output };
}

function parseReport(rest: string[]): Command {
  let out: string | null = null;
  const dirs: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const [a, inline] = splitEq(rest[i] as string);
    if (isHelp(a)) return { kind: 'help', topic: 'report' };
    if (a === '-o' || a === '--output' || a === '--out') {
      out = inline ?? rest[++i] ?? null;
      if (out === null || out === '') throw new UsageError(`${a} needs a file name`, 'report');
    } else if (a.startsWith('-')) throw new UsageError(`unknown option ${rest[i]} for "weft report"`, 'report');
    else dirs.push(a);
  }
  if (dirs.length === 0) throw new UsageError('"weft report" needs a trace directory (the --out of "weft run")', 'report');
  return { kind: 'report', dirs, out };
}

export function parseArgs(argv: readonly string[]): Command {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || isHelp(cmd)) return { kind: 'help', topic: 'main' };
  if (cmd === 'help') {
    const topic = rest[0];
    if (topic === undefined) return { kind: 'help', topic: 'main' };
    if (topic in HELP) return { kind: 'help', topic: topic as HelpTopic };
    throw new UsageError(`no help for ${JSON.stringify(topic)}: the commands are run, summary, export, report and query`);
  }
  if (cmd === '--version' || cmd === '-V') return { kind: 'version' };
  switch (cmd) {
    case 'run':
      return parseRun(rest);
    case 'summary':
      return parseSummary(rest);
    case 'export':
      return parseExport(rest);
    case 'report':
      return parseReport(rest);
    case 'query':
      return parseQuery(rest);
    default:
      throw new UsageError(cmd.startsWith('-') ? `unknown option ${cmd}` : `unknown command ${JSON.stringify(cmd)}: the commands are run, summary, export, report and query`);
  }
}

/** Default trace directory of `weft run`: .weft/<script stem>-<YYYYMMDD-HHMMSS>. */
export function defaultOutDir(target: readonly string[], now: Date = new Date()): string {
  const raw = target[0] === '-m' ? (target[1] ?? 'module') : (target[0] ?? 'program');
  const base = raw.split(/[\\/]/).pop() ?? raw;
  const stem = base.replace(/\.pyw?$/, '').replace(/[^A-Za-z0-9._-]/g, '_') || 'program';
  const p = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return `.weft/${stem}-${stamp}`;
}
