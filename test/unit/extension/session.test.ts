/**
 * A profiling session end to end, with real Python programs under the real agent, and the
 * `vscode` module replaced by the recording double in fake-vscode.ts: typed input reaches the
 * program and its output the terminal; the exit status is reported; Ctrl+C interrupts; Cancel
 * and a closed terminal end the whole process tree and keep the trace; the view gets live and
 * final data and opens sources relative to the program's folder.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('vscode', async () => await import('./fake-vscode'));

const fake = await import('./fake-vscode');
const { Ctx } = await import('../../../extension/src/ctx');
const { ProfilingSession } = await import('../../../extension/src/profiling-session');
type CtxT = InstanceType<typeof Ctx>;
type Session = import('../../../extension/src/profiling-session').ProfilingSession;

const ROOT = path.resolve(__dirname, '..', '..', '..');
const PROGRAMS = path.join(__dirname, 'programs');
let ctx: CtxT;
let out: string;

async function waitFor<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function start(script: string, args: string[] = []): Session {
  const s = ProfilingSession.start(ctx, { file: fake.Uri.file(path.join(PROGRAMS, script)) as never, args });
  if (!s) throw new Error(`the session did not start: ${JSON.stringify(fake.recorded.messages)}`);
  expect(ctx.session).toBe(s);
  return s;
}

const terminal = (): Promise<import('./fake-vscode').FakeTerminal> => waitFor('the program terminal', () => fake.recorded.terminals[0]);

/** Is the process gone (no /proc entry, or a zombie waiting to be reaped)? */
function gone(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? true;
  } catch {
    return true;
  }
}

beforeEach(() => {
  fake.reset();
  out = mkdtempSync(path.join(tmpdir(), 'weft-session-'));
  fake.recorded.settings = { outputDirectory: out, flushIntervalMs: 50, sampleHz: 100, openViewOnStart: true };
  ctx = new Ctx({
    extensionUri: fake.Uri.file(ROOT), extension: { packageJSON: { version: 'test' } },
  } as never);
  ctx.sessionChanged(); // as activate() does: Stop starts disabled
});

afterEach(async () => {
  await ctx.shutdown();
});

describe('profiling session (real programs, fake VS Code)', () => {
  it('carries typed input to the program and its output back, reports the exit status, and shows the final trace', async () => {
    const s = start('echo_upper.py');
    const t = await terminal();
    await waitFor('the program\'s prompt', () => t.output.includes('ready>'));
    expect(t.output).toMatch(/Python {2}\S+ \(3\.\d+\.\d+, found on PATH\)/);
    t.type('hello\r');
    await waitFor('the program\'s answer', () => t.output.includes('HELLO'));
    expect(t.output).toContain('hello\r\n'); // the typed line was echoed
    t.type('quit\r');
    await s.ended;
    expect(t.output).toMatch(/echo_upper\.py exited with code 3\. \d[\d,]* records in /);
    expect(fake.recorded.contextKeys.get('weft.profiling')).toEqual([false, true, false]);
    // The progress notification counted records and closed.
    const progress = fake.recorded.progress[0];
    expect(progress?.title).toBe('Weft: profiling echo_upper.py');
    expect(progress?.done).toBe(true);
    expect(progress?.reports.some((r) => /^\d[\d,]* records$/.test(r))).toBe(true);
    // The view: a shell page, then the complete trace (not live) once the program ended.
    const panel = fake.recorded.panels[0];
    expect(panel?.html).toContain('script-src &#39;nonce-');
    const final = await waitFor('the final trace in the view', () => panel?.posted.find((m) => (m.type === 'load' || m.type === 'update') && m.live === false));
    const lanes = (final.data as { lanes: { name: string }[] }).lanes.map((l) => l.name);
    expect(lanes).toEqual(['MainThread']);
    expect(panel?.posted.some((m) => m.type === 'status' && m.state === 'done' && /exited with code 3/.test(m.text ?? ''))).toBe(true);
    // The trace stays on disk, in its own run folder with the launcher's run.json.
    const runs = readdirSync(out).filter((n) => n.startsWith('echo_upper-'));
    expect(runs).toHaveLength(1);
    expect(readdirSync(path.join(out, runs[0] as string))).toContain('run.json');
  });

  it('passes weft.loopBlockMs to the agent as WEFT_LOOP_BLOCK_MS', async () => {
    fake.recorded.settings.loopBlockMs = 40;
    const s = start('print_loop_block_env.py');
    const t = await terminal();
    await s.ended;
    expect(t.output).toContain('loop block ms: 40');
  });

  it('Ctrl+C in the terminal interrupts the program (KeyboardInterrupt), without killing it', async () => {
    const pidFile = path.join(out, 'pids');
    const s = start('with_child.py', [pidFile]);
    const t = await terminal();
    await waitFor('the program to run', () => t.output.includes('running'));
    const [parent, child] = (await waitFor('the pid file', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim())).split(' ').map(Number);
    t.type('\x03');
    await s.ended;
    expect(t.output).toContain('interrupted');
    expect(t.output).not.toContain('stopping the program');
    // The program died of the interrupt itself, as `python` does in a terminal.
    expect(t.output).toMatch(/with_child\.py ended by signal SIGINT/);
    expect(gone(parent as number)).toBe(true);
    expect(gone(child as number)).toBe(true);
  });

  it('Cancel in the progress notification ends the whole process tree and keeps the trace', async () => {
    const pidFile = path.join(out, 'pids');
    const s = start('with_child.py', [pidFile]);
    const [parent, child] = (await waitFor('the pid file', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim())).split(' ').map(Number);
    const progress = await waitFor('the progress notification', () => fake.recorded.progress[0]);
    progress.cancel();
    await s.ended;
    await waitFor('the child process to end', () => gone(child as number), 10_000);
    expect(gone(parent as number)).toBe(true);
    const t = await terminal();
    expect(t.output).toMatch(/with_child\.py stopped; the process tree was ended and the trace kept/);
    const panel = fake.recorded.panels[0];
    const final = await waitFor('the final trace in the view', () => panel?.posted.find((m) => (m.type === 'load' || m.type === 'update') && m.live === false));
    expect((final.data as { lanes: { name: string }[] }).lanes.map((l) => l.name)).toContain('MainThread');
    expect(panel?.posted.some((m) => m.type === 'status' && m.state === 'stopped')).toBe(true);
  });

  it('closing the terminal while the program runs stops it', async () => {
    const pidFile = path.join(out, 'pids');
    const s = start('with_child.py', [pidFile]);
    const [parent] = (await waitFor('the pid file', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim())).split(' ').map(Number);
    (await terminal()).close();
    await s.ended;
    expect(gone(parent as number)).toBe(true);
    expect(fake.recorded.log.some((l) => /stopping with_child\.py \(terminal-closed\)/.test(l))).toBe(true);
  });

  it('the live view gets data while the program runs', async () => {
    const s = start('echo_upper.py');
    const t = await terminal();
    await waitFor('the program\'s prompt', () => t.output.includes('ready>'));
    const panel = fake.recorded.panels[0];
    const live = await waitFor('live data in the view', () => panel?.posted.find((m) => m.type === 'load' && m.live === true), 15_000);
    // While the program runs its file has no end record: that is not a warning yet.
    expect((live.data as { warnings: string[] }).warnings).toEqual([]);
    t.type('quit\r');
    await s.ended;
  });

  it('"Go to source" opens a relative path from the trace in the program\'s folder, and explains a missing file', async () => {
    const s = start('echo_upper.py');
    const t = await terminal();
    await waitFor('the program\'s prompt', () => t.output.includes('ready>'));
    t.type('quit\r');
    await s.ended;
    const panel = fake.recorded.panels[0] as import('./fake-vscode').FakePanel;
    await waitFor('the final trace in the view', () => panel.posted.find((m) => m.live === false));
    panel.receive({ type: 'openSource', file: 'echo_upper.py', line: 9 });
    const shown = await waitFor('the editor to open', () => fake.recorded.shownDocuments[0]);
    expect(shown).toEqual({ path: path.join(PROGRAMS, 'echo_upper.py'), line: 8 });
    panel.receive({ type: 'openSource', file: 'not_there.py', line: 1 });
    const warning = await waitFor('a warning', () => fake.recorded.messages.find((m) => m.level === 'warning'));
    expect(warning.text).toMatch(/not_there\.py:1 is not on this machine \(looked for .*programs\/not_there\.py/);
    // A message that does not follow the protocol is logged and ignored.
    panel.receive({ type: 'openSource', file: 42 });
    expect(fake.recorded.log.some((l) => /ignored a malformed message/.test(l))).toBe(true);
  });

  it('an interpreter that does not run is reported with how to fix it, and nothing starts', async () => {
    fake.recorded.settings.pythonPath = '/nope/bin/python';
    const s = start('echo_upper.py');
    await s.ended;
    const err = await waitFor('the error message', () => fake.recorded.messages.find((m) => m.level === 'error'));
    expect(err.text).toMatch(/\/nope\/bin\/python \(from the weft\.pythonPath setting\) does not run: not found\. Fix or clear the weft\.pythonPath setting/);
    expect(fake.recorded.terminals).toHaveLength(0);
    expect(readdirSync(out)).toEqual([]);
    expect(fake.recorded.contextKeys.get('weft.profiling')).toEqual([false, true, false]);
  });
});
