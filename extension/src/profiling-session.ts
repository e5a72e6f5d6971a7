/**
 * One run of "Profile Current File": find the interpreter, start the program under the agent
 * with its stdio in a terminal, show progress (notification, status bar, live view), stop it on
 * request, and show the finished trace.
 *
 * The order of events is decided by the pure state machine in session-state.ts; this class
 * only performs its effects (kill, interrupt) and keeps the UI in step with its state.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { launch, type RunningProgram } from '../../runtime/src/launcher/launch';
import { joinArguments, programTarget } from './arguments';
import { expandPythonPath, readSettings } from './config';
import type { Ctx } from './ctx';
import {
  describeSource, interpreterCandidates, InterpreterError, probePython, resolveInterpreter, type ResolvedInterpreter,
} from './interpreter';
import { COMMANDS } from './manifest';
import { programCwd, resolveOutputRoot, runFolderName, uniqueRunFolder } from './paths';
import { ProgramTerminal } from './program-terminal';
import { interpreterFromPythonExtension } from './python-extension';
import {
  describeOutcome, INITIAL, isActive, transition, type SessionEvent, type SessionState, type StopReason,
} from './session-state';
import type { WeftSettings } from './settings';
import type { TracePanel } from './trace-panel';

/** How often the live view is rebuilt from the growing trace, at most. */
const LIVE_REFRESH_MS = 1000;
/** How often the launcher counts records for the notification and status bar. */
const PROGRESS_MS = 500;
/** After SIGTERM, how long the program's processes get to write their last records. */
const STOP_GRACE_MS = 3000;

export interface ProfileRequest {
  /** A saved Python file. */
  file: vscode.Uri;
  args: string[];
}

const fmt = new Intl.NumberFormat('en-US');

export class ProfilingSession implements vscode.Disposable {
  private state: SessionState = INITIAL;
  private program: RunningProgram | null = null;
  private pty: ProgramTerminal | null = null;
  private terminal: vscode.Terminal | null = null;
  private panel: TracePanel | null = null;
  private readonly status: vscode.StatusBarItem;
  /** Latest progress from the launcher: records written and process files seen. */
  private records = 0;
  private files = 0;
  private readonly startedAt = Date.now();
  private interpreter: ResolvedInterpreter | null = null;
  private timers: NodeJS.Timeout[] = [];
  private endResolve!: () => void;
  /** Resolves once the session is over (program ended, or never started). */
  readonly ended = new Promise<void>((r) => {
    this.endResolve = r;
  });
  private readonly name: string;

  private constructor(
    private readonly ctx: Ctx,
    private readonly request: ProfileRequest,
    private readonly settings: WeftSettings,
    readonly traceDir: string,
    private readonly cwd: string,
    private readonly workspaceFolder: string | undefined,
  ) {
    this.name = path.basename(request.file.fsPath);
    this.status = vscode.window.createStatusBarItem('weft.profiling', vscode.StatusBarAlignment.Left, 100);
    this.status.name = 'Weft Profiling';
    this.status.command = COMMANDS.stopProfiling.id;
  }

  /**
   * Starts a session and makes it the Ctx's current one, or explains why it cannot (bad
   * settings): returns null then. The session runs on its own; `ended` says when it is over.
   */
  static start(ctx: Ctx, request: ProfileRequest): ProfilingSession | null {
    const file = request.file.fsPath;
    const { settings, problems } = readSettings(request.file);
    for (const p of problems) ctx.log.warn(p);
    if (problems.length > 0) {
      void vscode.window.showWarningMessage(`Weft: ${problems.join(' ')}`, 'Open Settings').then((a) => {
        if (a) void vscode.commands.executeCommand('workbench.action.openSettings', 'weft.');
      });
    }
    const workspaceFolder = vscode.workspace.getWorkspaceFolder(request.file)?.uri.fsPath;
    let root: string;
    try {
      root = resolveOutputRoot(settings.outputDirectory, { workspaceFolder, fileDirname: path.dirname(file), userHome: os.homedir() }, process.env);
    } catch (e) {
      void vscode.window.showErrorMessage(`Weft: ${(e as Error).message}`);
      return null;
    }
    const target = programTarget(file, request.args);
    const traceDir = uniqueRunFolder(root, runFolderName(target, new Date()), existsSync);
    const session = new ProfilingSession(ctx, request, settings, traceDir, programCwd(file, workspaceFolder), workspaceFolder);
    // The Ctx must know the session before its first state change, which sets the context key.
    ctx.session = session;
    void session.run();
    return session;
  }

  get active(): boolean {
    return isActive(this.state);
  }

  /** Stop Profiling (or Cancel, or a closed terminal): ends the process tree, keeps the trace. */
  stop(reason: StopReason): void {
    this.dispatch({ type: 'stop', reason });
  }

  private dispatch(event: SessionEvent): void {
    const before = this.state;
    const { state, effect } = transition(before, event);
    this.state = state;
    if (effect === 'kill') {
      this.ctx.log.info(`stopping ${this.name} (${event.type === 'stop' ? event.reason : event.type}): ending its process tree`);
      this.pty?.info('Weft: stopping the program and its child processes; the trace is kept.');
      this.program?.stop(STOP_GRACE_MS);
    } else if (effect === 'interrupt') {
      this.interrupt();
    }
    if (state !== before) this.render();
  }

  /** Sends SIGINT to the program's process group, as a terminal's Ctrl+C does. */
  private interrupt(): void {
    const child = this.program?.child;
    if (!child?.pid) return;
    this.pty?.info('Weft: sent Ctrl+C (SIGINT) to the program; press Ctrl+C again to stop it and its child processes.');
    try {
      if (process.platform === 'win32') child.kill('SIGINT');
      else process.kill(-child.pid, 'SIGINT');
    } catch {
      // Already gone.
    }
  }

  private async run(): Promise<void> {
    this.dispatch({ type: 'start' });
    this.ctx.sessionChanged();
    try {
      this.interpreter = await this.findInterpreter();
    } catch (e) {
      const message = (e as Error).message;
      this.ctx.log.error(`could not start ${this.name}: ${message}`);
      this.dispatch({ type: 'failed', message });
      this.finish();
      if (this.state.kind === 'failed') void this.showInterpreterError(e);
      return;
    }
    if (this.state.kind === 'starting' && this.state.stopRequested) {
      this.dispatch({ type: 'failed', message: 'stopped before the program started' });
      this.finish();
      return;
    }
    this.launch();
  }

  private async findInterpreter(): Promise<ResolvedInterpreter> {
    this.status.text = `$(loading~spin) Weft: finding Python for ${this.name}`;
    this.status.show();
    const fromExtension = await interpreterFromPythonExtension(this.request.file);
    switch (fromExtension.kind) {
      case 'selected':
        this.ctx.log.info(`Python extension: selected interpreter ${fromExtension.executable}`);
        break;
      case 'unavailable':
        this.ctx.log.warn(`Python extension: could not ask for its interpreter (${fromExtension.reason}); using weft.pythonPath or PATH`);
        break;
      case 'none-selected':
        this.ctx.log.info('Python extension: no interpreter selected; using weft.pythonPath or PATH');
        break;
      case 'not-installed':
        this.ctx.log.debug('Python extension not installed; using weft.pythonPath or PATH');
        break;
    }
    const candidates = interpreterCandidates({
      pythonExtension: fromExtension.kind === 'selected' ? fromExtension.executable : undefined,
      setting: expandPythonPath(this.settings.pythonPath, this.workspaceFolder),
    });
    const py = await resolveInterpreter(candidates, (c) => probePython(c));
    this.ctx.log.info(`using Python ${py.version} at ${py.executable}${py.executable !== py.command ? ` (${py.command})` : ''}, ${describeSource(py.source)}`);
    return py;
  }

  private async showInterpreterError(e: unknown): Promise<void> {
    const message = `Weft could not profile ${this.name}: ${(e as Error).message}`;
    if (!(e instanceof InterpreterError)) {
      void vscode.window.showErrorMessage(message);
      return;
    }
    const hasPythonExt = !!vscode.extensions.getExtension('ms-python.python');
    const actions = [...(hasPythonExt ? ['Select Interpreter'] : []), 'Open Settings'];
    const choice = await vscode.window.showErrorMessage(message, ...actions);
    if (choice === 'Select Interpreter') void vscode.commands.executeCommand('python.setInterpreter');
    else if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'weft.pythonPath');
  }

  private launch(): void {
    const py = this.interpreter as ResolvedInterpreter;
    const target = programTarget(this.request.file.fsPath, this.request.args);
    this.pty = new ProgramTerminal();
    this.terminal = vscode.window.createTerminal({
      name: `Weft: ${this.name}`,
      pty: this.pty,
      iconPath: new vscode.ThemeIcon('pulse'),
      isTransient: true,
    });
    this.terminal.show(true);
    this.pty.info(`Weft: profiling ${this.name}${this.request.args.length ? ` ${joinArguments(this.request.args)}` : ''}`);
    this.pty.info(`  Python  ${py.executable} (${py.version}, ${describeSource(py.source)})`);
    this.pty.info(`  cwd     ${this.cwd}`);
    this.pty.info(`  trace   ${this.traceDir}`);
    this.pty.info('  Ctrl+C interrupts the program; "Weft: Stop Profiling" ends it and its child processes.');
    this.pty.info('');

    try {
      prepareOutputRoot(path.dirname(this.traceDir));
      this.program = launch({
        python: { command: py.command, executable: py.executable, version: py.version },
        outDir: this.traceDir,
        target,
        sampleHz: this.settings.sampleHz,
        loopBlockMs: this.settings.loopBlockMs,
        flushMs: this.settings.flushIntervalMs,
        cwd: this.cwd,
        // Output must reach the terminal as it is printed. Through a pipe Python would buffer
        // stdout in 8 KiB blocks (it line-buffers only a tty), so a program's progress lines
        // would appear all at once at exit. Unbuffered output is what the user sees in a
        // terminal; a program that sets the variable itself keeps its own value.
        env: { PYTHONUNBUFFERED: '1', ...process.env },
        stdio: ['pipe', 'pipe', 'pipe'],
        // Its own process group, so Stop ends the program and every child it started.
        detached: process.platform !== 'win32',
        onProgress: (p) => {
          this.records = p.records;
          this.files = p.files;
          this.dispatch({ type: 'progress', records: p.records });
        },
        progressIntervalMs: PROGRESS_MS,
      });
    } catch (e) {
      this.fail(`could not start the program: ${(e as Error).message}`);
      return;
    }
    const program = this.program;
    const child = program.child;
    child.stdout?.on('data', (b: Buffer) => this.pty?.output('stdout', b));
    child.stderr?.on('data', (b: Buffer) => this.pty?.output('stderr', b));
    // Writing to a program that has exited or closed its stdin raises EPIPE on the stream;
    // the input is simply dropped, as a terminal would.
    child.stdin?.on('error', () => undefined);
    this.pty.attach({
      send: (text) => {
        if (child.stdin?.writable) child.stdin.write(text);
      },
      eof: () => child.stdin?.end(),
      interrupt: () => this.stop('interrupt'),
      closed: () => this.stop('terminal-closed'),
    });
    this.ctx.log.info(`started ${this.name} (pid ${child.pid ?? '?'}) with trace ${this.traceDir}`);
    if (child.pid !== undefined) this.dispatch({ type: 'launched', pid: child.pid });

    if (this.settings.openViewOnStart) {
      this.panel = this.ctx.showPanel(this.traceDir, { beside: true });
      this.panel.setStatus('recording', `Recording ${this.name}…`);
    }
    this.showProgress();
    this.schedule(() => this.refreshLiveView(), LIVE_REFRESH_MS);

    program.done.then(
      ({ exitCode, signal }) => void this.exited(exitCode, signal),
      (e: unknown) => this.fail((e as Error).message),
    );
  }

  /** Runs `fn` every `ms` (after the previous run finished) until the session ends. */
  private schedule(fn: () => Promise<void>, ms: number): void {
    const tick = (): void => {
      if (!this.active) return;
      void fn().finally(() => {
        if (this.active) this.timers.push(setTimeout(tick, ms));
      });
    };
    this.timers.push(setTimeout(tick, ms));
  }

  private lastLiveRecords = -1;

  /** Rebuilds the live view when the trace grew and the view is visible (no work otherwise). */
  private async refreshLiveView(): Promise<void> {
    const panel = this.panel;
    if (!panel || panel.isDisposed || !panel.visible) return;
    const records = this.records;
    if (records === this.lastLiveRecords || this.files === 0) return;
    try {
      const loaded = await this.ctx.loader.load(this.traceDir, { live: true });
      if (!this.active) return; // the final load supersedes this one
      this.lastLiveRecords = records;
      panel.setData(loaded, true);
    } catch (e) {
      // A process that has just started may not have written its header yet; the next
      // refresh will read it.
      this.ctx.log.trace(`live view: ${(e as Error).message}`);
    }
  }

  private showProgress(): void {
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Weft: profiling ${this.name}`, cancellable: true },
      (progress, token) => {
        token.onCancellationRequested(() => this.stop('user'));
        let shown = -1;
        const report = (): void => {
          const s = this.state;
          if (s.kind !== 'running' && s.kind !== 'stopping') return;
          if (s.records === shown && s.kind === 'running') return;
          shown = s.records;
          const verb = s.kind === 'stopping' ? 'stopping… ' : '';
          progress.report({ message: `${verb}${fmt.format(s.records)} records` });
        };
        this.onRender = report;
        report();
        return this.ended;
      },
    );
  }

  private onRender: (() => void) | null = null;

  /** Brings the status bar, context key and progress notification in line with the state. */
  private render(): void {
    const s = this.state;
    switch (s.kind) {
      case 'idle':
      case 'finished':
      case 'failed':
        this.status.hide();
        break;
      case 'starting':
        this.status.text = `$(loading~spin) Weft: starting ${this.name}`;
        this.status.tooltip = 'Click to stop';
        this.status.show();
        break;
      case 'running':
      case 'stopping': {
        const secs = Math.round((Date.now() - this.startedAt) / 1000);
        this.status.text = s.kind === 'running'
          ? `$(debug-stop) Weft: ${this.name} · ${fmt.format(s.records)} records`
          : `$(loading~spin) Weft: stopping ${this.name}`;
        const py = this.interpreter;
        this.status.tooltip = `Profiling ${this.name} for ${secs} s with ${py ? `Python ${py.version} (${py.command})` : 'Python'}.\nTrace: ${this.traceDir}\nClick to stop.`;
        this.status.show();
        break;
      }
      default: {
        const never: never = s;
        throw new Error(`unexpected state ${JSON.stringify(never)}`);
      }
    }
    this.onRender?.();
    this.ctx.sessionChanged();
  }

  private async exited(exitCode: number | null, signal: NodeJS.Signals | null): Promise<void> {
    // The launcher has made its last count before `done` resolved.
    this.clearTimers();
    this.dispatch({ type: 'exited', exitCode, signal });
    const outcome = describeOutcome(this.state);
    const records = this.records;
    this.ctx.log.info(`${this.name} ${outcome}; ${fmt.format(records)} records in ${this.traceDir}`);
    const failed = this.state.kind === 'finished' && !this.state.stoppedBy && (exitCode ?? 0) !== 0;
    this.pty?.programEnded(`Weft: ${this.name} ${outcome}. ${fmt.format(records)} records in ${this.traceDir}`, failed);
    this.finish();
    await this.showFinalTrace(`Program ${outcome}`);
  }

  /** Loads the complete trace into the view (opening it when the settings say so). */
  private async showFinalTrace(statusText: string): Promise<void> {
    let panel = this.panel && !this.panel.isDisposed ? this.panel : null;
    if (!panel) {
      if (this.settings.openViewOnStart) {
        // The user closed the live view: offer it rather than forcing it open again.
        const choice = await vscode.window.showInformationMessage(`Weft: ${this.name} ${describeOutcome(this.state)}.`, 'Show Trace');
        if (choice !== 'Show Trace') return;
      }
      panel = this.ctx.showPanel(this.traceDir, { beside: true });
    }
    const stopped = this.state.kind === 'finished' && this.state.stoppedBy !== null;
    panel.setStatus(stopped ? 'stopped' : 'done', statusText);
    try {
      panel.setData(await this.ctx.loader.load(this.traceDir), false);
    } catch (e) {
      const message = (e as Error).message;
      this.ctx.log.error(`could not read the trace ${this.traceDir}: ${message}`);
      panel.setError(`Could not read the trace of ${this.name}.`, message);
    }
  }

  private fail(message: string): void {
    this.clearTimers();
    this.ctx.log.error(`${this.name}: ${message}`);
    this.dispatch({ type: 'failed', message });
    this.pty?.programEnded(`Weft: ${message}`, true);
    this.finish();
    void vscode.window.showErrorMessage(`Weft could not profile ${this.name}: ${message}`);
  }

  private finish(): void {
    this.clearTimers();
    this.status.dispose();
    this.endResolve();
    this.ctx.sessionChanged();
  }

  private clearTimers(): void {
    for (const t of this.timers.splice(0)) clearTimeout(t);
  }

  /**
   * Ends the program when the window closes: it runs in its own process group, which would
   * otherwise outlive VS Code. Waits (bounded) for it to exit so the trace is complete.
   */
  async shutdown(): Promise<void> {
    if (!this.active) return;
    this.stop('window-closed');
    await Promise.race([this.ended, new Promise((r) => setTimeout(r, STOP_GRACE_MS + 500))]);
  }

  dispose(): void {
    this.clearTimers();
    this.status.dispose();
  }
}

/**
 * Creates the folder that collects traces. A new one gets a `.gitignore` that ignores
 * everything in it (as pytest does for `.pytest_cache`), so traces never end up in a commit.
 */
function prepareOutputRoot(root: string): void {
  if (existsSync(root)) return;
  mkdirSync(root, { recursive: true });
  try {
    writeFileSync(path.join(root, '.gitignore'), '# Created by Weft: traces are not source.\n*\n');
  } catch {
    // Only a convenience.
  }
}
