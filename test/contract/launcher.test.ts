/**
 * The launcher API the editor uses: interpreter choice, environment, piped stdio, live
 * progress, and stop() ending a whole process tree while the trace stays readable.
 */
import { readdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentPath } from '../../runtime/src/launcher/agent-path';
import { agentCommand, launch } from '../../runtime/src/launcher/launch';
import type { RunProgress } from '../../runtime/src/launcher/progress';
import { LaunchError, resolvePython } from '../../runtime/src/launcher/python';
import { loadTrace } from '../../runtime/src/model/build-model';
import { AGENT, alive, PROGRAMS, tempDir, until, waitForOutput } from './helpers';

describe('interpreter choice', () => {
  it('finds python3 and checks its version', async () => {
    const py = await resolvePython(null, { PATH: process.env.PATH });
    expect(py.command).toBe('python3');
    expect(py.version).toMatch(/^3\.\d+\.\d+$/);
    expect(path.isAbsolute(py.executable)).toBe(true);
  });

  it('WEFT_PYTHON is used when set, and an explicit choice that fails is an error, not replaced', async () => {
    const py = await resolvePython(null, { PATH: process.env.PATH, WEFT_PYTHON: 'python3' });
    expect(py.command).toBe('python3');
    await expect(resolvePython(null, { PATH: process.env.PATH, WEFT_PYTHON: '/nope/python' })).rejects.toThrow(/no Python found: \/nope\/python \(from WEFT_PYTHON\)/);
    await expect(resolvePython('/nope/python')).rejects.toThrow(LaunchError);
  });

  it('refuses a Python older than 3.9, naming the version', async () => {
    const fake = path.join(tempDir(), 'python-old');
    writeFileSync(fake, '#!/bin/sh\necho 3.8.10\necho /usr/bin/python3.8\n');
    chmodSync(fake, 0o755);
    await expect(resolvePython(fake)).rejects.toThrow(`${fake} is Python 3.8.10; Weft needs Python 3.9 or newer. Use --python`);
  });

  it('says so when no Python is on PATH', async () => {
    await expect(resolvePython(null, { PATH: tempDir() })).rejects.toThrow(/^no Python found: neither python3 nor python runs here/);
  });
});

describe('agent command', () => {
  it('puts the agent first on PYTHONPATH, passes settings and the target unchanged, no shell', () => {
    const { command, args, env } = agentCommand({
      python: { command: 'python3', executable: '/usr/bin/python3', version: '3.11.7' }, outDir: 'out dir', cwd: '/w',
      target: ['my script.py', '--flag', '$HOME'], sampleHz: 50, env: { PYTHONPATH: '/mine', KEEP: '1' },
    });
    expect(command).toBe('/usr/bin/python3');
    expect(args).toEqual(['-m', 'weft', '--out', '/w/out dir', '--sample-hz', '50', '--flush-ms', '100', '--', 'my script.py', '--flag', '$HOME']);
    expect(env.PYTHONPATH).toBe(`${agentPath()}${path.delimiter}/mine`);
    expect(env).toMatchObject({ KEEP: '1', WEFT_OUT: '/w/out dir', WEFT_SAMPLE_HZ: '50', WEFT_FLUSH_MS: '100' });
  });

  it('finds the agent next to the bundle (dist/) and next to the sources', () => {
    expect(agentPath()).toBe(AGENT);
    expect(agentPath(path.join(AGENT, '..', '..', 'dist'))).toBe(AGENT);
    expect(() => agentPath(tempDir())).toThrow(/agent .* was not found/);
  });
});

describe('launch with piped stdio', () => {
  it('reports progress as the trace grows and the final record count at the end', async () => {
    const out = tempDir('weft-launch-');
    const progress: RunProgress[] = [];
    const running = launch({
      python: 'python3', outDir: out, target: [path.join(PROGRAMS, 'queue_condition.py')], stdio: ['ignore', 'pipe', 'pipe'],
      onProgress: (p) => progress.push(p), progressIntervalMs: 50,
    });
    let stdout = '';
    running.child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()));
    const status = await running.done;
    expect(status).toEqual({ exitCode: 0, signal: null });
    expect(stdout).toBe('consumed 5\n');
    const last = progress[progress.length - 1];
    const files = readdirSync(out).filter((f) => f.endsWith('.jsonl'));
    const lines = files.reduce((n, f) => n + readFileSync(path.join(out, f), 'utf8').split('\n').length - 1, 0);
    expect(last).toMatchObject({ files: files.length, records: lines - files.length });
    for (let i = 1; i < progress.length; i++) expect((progress[i] as RunProgress).records).toBeGreaterThanOrEqual((progress[i - 1] as RunProgress).records);
    const run = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8')) as { exitCode: number; endWallMs: number };
    expect(run.exitCode).toBe(0);
  });

  it('stop() ends the program and the children it started, and the trace stays readable', async () => {
    const out = tempDir('weft-stop-');
    const running = launch({
      python: 'python3', outDir: out, target: [path.join(PROGRAMS, 'spawn_tree.py')], stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    });
    const line = await waitForOutput(running.child, '\n');
    const [, parent, child] = /pids (\d+) (\d+)/.exec(line) ?? [];
    expect(alive(Number(parent))).toBe(true);
    expect(alive(Number(child))).toBe(true);
    running.stop(2000);
    const status = await running.done;
    expect(status.signal ?? status.exitCode).toBeTruthy();
    await until(() => !alive(Number(child)), 10_000, 'the child process to end');
    const model = await loadTrace(out);
    const root = model.processes.find((p) => p.startMethod === 'main');
    expect(root?.argv[0]).toMatch(/spawn_tree\.py$/);
    expect(model.lanes.some((l) => l.name === 'MainThread')).toBe(true);
  });

  it('an interpreter that cannot start rejects with a clear error', async () => {
    const running = launch({ python: '/no/such/python', outDir: tempDir(), target: ['x.py'], stdio: 'ignore' });
    await expect(running.done).rejects.toThrow(/could not start \/no\/such\/python/);
  });
});
