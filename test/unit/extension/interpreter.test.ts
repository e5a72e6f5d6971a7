/** Which Python runs the program, in which order, and what the user is told when none fits. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  interpreterCandidates, isSupportedVersion, probePython, resolveInterpreter, type ProbeResult,
} from '../../../extension/src/interpreter';

const fakeProbe = (table: Record<string, ProbeResult>) => async (c: string): Promise<ProbeResult> =>
  table[c] ?? { ok: false, error: 'not found' };

describe('interpreter resolution order', () => {
  it('the Python extension\'s selection comes first, then the setting, then PATH', () => {
    expect(interpreterCandidates({ pythonExtension: '/venv/bin/python', setting: '/opt/python3' })).toEqual([
      { command: '/venv/bin/python', source: 'python-extension' },
    ]);
    expect(interpreterCandidates({ setting: '/opt/python3' })).toEqual([{ command: '/opt/python3', source: 'setting' }]);
    expect(interpreterCandidates({ setting: '' }).map((c) => c.command)).toEqual(['python3', 'python']);
  });

  it('on PATH, python3 is used when it runs, else python', async () => {
    const both = fakeProbe({ python3: { ok: true, version: '3.11.2', executable: '/usr/bin/python3.11' }, python: { ok: true, version: '3.12.0', executable: '/usr/bin/python' } });
    expect(await resolveInterpreter(interpreterCandidates({}), both)).toEqual({ command: 'python3', executable: '/usr/bin/python3.11', source: 'path', version: '3.11.2' });
    const onlyPython = fakeProbe({ python: { ok: true, version: '3.10.1', executable: '/usr/bin/python' } });
    expect((await resolveInterpreter(interpreterCandidates({}), onlyPython)).command).toBe('python');
  });

  it('a chosen interpreter that does not run is an error naming how to fix it, never a silent fallback', async () => {
    const probe = fakeProbe({ python3: { ok: true, version: '3.11.2', executable: '/usr/bin/python3' } });
    await expect(resolveInterpreter(interpreterCandidates({ setting: '/nope/python' }), probe))
      .rejects.toThrow(/\/nope\/python \(from the weft.pythonPath setting\) does not run: not found\. Fix or clear the weft.pythonPath setting/);
    await expect(resolveInterpreter(interpreterCandidates({ pythonExtension: '/gone/venv/python' }), probe))
      .rejects.toThrow(/selected in the Python extension.*Python: Select Interpreter/);
  });

  it('a Python older than 3.9 is refused with its version', async () => {
    const old = fakeProbe({ python3: { ok: true, version: '3.8.10', executable: '/usr/bin/python3' } });
    await expect(resolveInterpreter(interpreterCandidates({}), old)).rejects.toThrow(/python3 \(found on PATH\) is Python 3\.8\.10; Weft needs Python 3\.9 or newer/);
  });

  it('no Python on PATH says what was tried and what to do', async () => {
    await expect(resolveInterpreter(interpreterCandidates({}), fakeProbe({})))
      .rejects.toThrow(/no Python found on PATH \(python3: not found; python: not found\)\. Install Python 3\.9/);
  });

  it('compares versions numerically', () => {
    expect(isSupportedVersion('3.9.0')).toBe(true);
    expect(isSupportedVersion('3.10.4')).toBe(true);
    expect(isSupportedVersion('4.0.0')).toBe(true);
    expect(isSupportedVersion('3.8.18')).toBe(false);
    expect(isSupportedVersion('2.7.18')).toBe(false);
    expect(isSupportedVersion('garbage')).toBe(false);
  });
});

describe('probePython (real processes)', () => {
  it('reports the version and executable of the python3 on this machine', async () => {
    const truth = spawnSync('python3', ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3]); print(sys.executable)'], { encoding: 'utf8' });
    const [version, executable] = truth.stdout.trim().split('\n');
    expect(await probePython('python3')).toEqual({ ok: true, version, executable });
  });

  it('a missing command is "not found"; a program that is not Python is refused', async () => {
    expect(await probePython('/definitely/not/here/python')).toEqual({ ok: false, error: 'not found' });
    const echo = await probePython('echo');
    expect(echo.ok).toBe(false);
    expect(!echo.ok && echo.error).toMatch(/not a Python interpreter/);
  });
});
