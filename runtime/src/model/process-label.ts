/**
 * What a process is, in a few words, for the lane title and the summary's process line: "Pool
 * worker 2 (spawn)", "fork server", "resource tracker", "orders.py --fast", "-m http.server",
 * "sleep 0.2". Interpreters that Python starts itself (spawn, the fork server) run a bootstrap
 * command line (`python -c "from multiprocessing.spawn import spawn_main; ..."`) that says
 * nothing to the user, so the starter's `P` label wins, then what the command line names.
 * Pure: unit-tested with command lines taken from real traces.
 */

/** How long a label may get before it is cut with an ellipsis (the full argv stays in the model). */
const MAX_LABEL = 80;

/** An interpreter's executable: python, python3.11, python3.13t, pypy3, python.exe. */
const INTERPRETER = /^(?:python|pypy)[\d.]*[a-z]?(?:\.exe)?$/i;
/** Interpreter options that take the next argument. */
const OPTION_WITH_VALUE = new Set(['-W', '-X', '--check-hash-based-pycs']);

const base = (path: string): string => path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);

const cut = (text: string): string => (text.length > MAX_LABEL ? `${text.slice(0, MAX_LABEL - 1)}…` : text);

/** Python's own helper processes, recognised by the code they run. */
function helperOf(text: string): string | null {
  if (text.includes('multiprocessing.forkserver import main')) return 'fork server';
  if (text.includes('multiprocessing.resource_tracker import main') || text.includes('multiprocessing.semaphore_tracker import main')) return 'resource tracker';
  if (text.includes('multiprocessing.spawn import spawn_main') || text.includes('--multiprocessing-fork')) return 'multiprocessing child';
  return null;
}

/** The user-facing part of a command line: the script and its arguments, `-m module ...`, or
 * `python -c`. `argv` is either an interpreter's whole command line (new interpreters) or
 * `sys.argv` (the launched program, forked children), whose first item is the script. */
export function commandLabel(argv: readonly string[]): string {
  if (argv.length === 0) return '';
  let i = 0;
  if (INTERPRETER.test(base(argv[0] as string))) {
    i = 1;
    while (i < argv.length) {
      const a = argv[i] as string;
      if (a === '-m' || a === '-c') break;
      if (!a.startsWith('-') || a === '-') break;
      i += OPTION_WITH_VALUE.has(a) ? 2 : 1;
    }
    if (i >= argv.length) return base(argv[0] as string);
  }
  const first = argv[i] as string;
  const rest = argv.slice(i + 1);
  if (first === '-m') return cut(['-m', ...rest].join(' '));
  if (first === '-c') return cut(rest.length > 0 && i > 0 ? `python -c ${(rest[0] as string).replace(/\s+/g, ' ')}` : 'python -c');
  return cut([base(first), ...rest].join(' '));
}

/** True when the command line starts with a Python interpreter. */
export function isInterpreterCommand(argv: readonly string[]): boolean {
  return argv.length > 0 && INTERPRETER.test(base(argv[0] as string));
}

/** The label of one process: `startedAs` is its starter's `P` label (null when none), the
 * start method is added for children that multiprocessing made (fork, spawn, forkserver). */
export function processLabel(argv: readonly string[], startMethod: string, startedAs: string | null): string {
  const text = argv.join(' ');
  const multiprocessingMethod = startMethod === 'fork' || startMethod === 'spawn' || startMethod === 'forkserver';
  if (startedAs !== null && startedAs !== '') return multiprocessingMethod ? `${startedAs} (${startMethod})` : startedAs;
  // Forked by the fork server, whose command line it inherits: a child of multiprocessing.
  if (startMethod === 'forkserver') return 'multiprocessing child (forkserver)';
  const helper = helperOf(text);
  if (helper !== null) return helper === 'multiprocessing child' ? `${helper} (${startMethod})` : helper;
  const command = commandLabel(argv) || 'process';
  return startMethod === 'fork' ? `${command} (fork)` : command;
}
