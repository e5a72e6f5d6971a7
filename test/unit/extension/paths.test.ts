/** Where traces go, where the program runs, and how a file named in a trace maps to the disk. */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  expandVariables, programCwd, resolveOutputRoot, resolveSourcePath, runFolderName, uniqueRunFolder,
} from '../../../extension/src/paths';

const ctx = { workspaceFolder: '/ws/proj', fileDirname: '/ws/proj/src', userHome: '/home/u' };

describe('output directory', () => {
  it('the default puts traces in .weft of the workspace folder', () => {
    expect(resolveOutputRoot('${workspaceFolder}/.weft', ctx)).toBe('/ws/proj/.weft');
  });

  it('expands ~, ${userHome}, ${fileDirname}, ${env:NAME}; relative means relative to the workspace', () => {
    expect(resolveOutputRoot('~/traces', ctx)).toBe('/home/u/traces');
    expect(resolveOutputRoot('${userHome}/t', ctx)).toBe('/home/u/t');
    expect(resolveOutputRoot('${fileDirname}/.weft', ctx)).toBe('/ws/proj/src/.weft');
    expect(resolveOutputRoot('${env:TRACES}/x', ctx, { TRACES: '/data' })).toBe('/data/x');
    expect(resolveOutputRoot('out/traces', ctx)).toBe('/ws/proj/out/traces');
  });

  it('without an open folder, ${workspaceFolder} means the file\'s folder', () => {
    expect(resolveOutputRoot('${workspaceFolder}/.weft', { fileDirname: '/tmp/scripts', userHome: '/home/u' })).toBe('/tmp/scripts/.weft');
  });

  it('an unknown variable is an error, not a folder literally named "${...}"', () => {
    expect(() => resolveOutputRoot('${workspaceRoot}/.weft', ctx)).toThrow(/\$\{workspaceRoot\}.*no value/);
    expect(expandVariables('${nope}/x', ctx).missing).toEqual(['${nope}']);
  });
});

describe('run folders', () => {
  it('are named after the script and the start time, like `weft run`', () => {
    const d = new Date(2026, 10, 22, 9, 5, 7);
    expect(runFolderName(['/ws/bank_transfer.py', '--n', '3'], d)).toBe('bank_transfer-20261122-090507');
    expect(runFolderName(['-m', 'pkg.tool'], d)).toBe('pkg.tool-20261122-090507');
    expect(runFolderName(['/ws/we ird$name.py'], d)).toBe('we_ird_name-20261122-090507');
  });

  it('a second run in the same second gets its own folder', () => {
    const taken = new Set(['/r/a', '/r/a-2']);
    expect(uniqueRunFolder('/r', 'a', (p) => taken.has(p))).toBe('/r/a-3');
    expect(uniqueRunFolder('/r', 'b', (p) => taken.has(p))).toBe('/r/b');
  });
});

describe('program working directory', () => {
  it('is the workspace folder that contains the file, else the file\'s folder', () => {
    expect(programCwd('/ws/proj/src/main.py', '/ws/proj')).toBe('/ws/proj');
    expect(programCwd('/elsewhere/main.py', '/ws/proj')).toBe('/elsewhere');
    expect(programCwd('/ws/project2/main.py', '/ws/proj')).toBe('/ws/project2');
    expect(programCwd('/tmp/x.py', undefined)).toBe('/tmp');
  });
});

describe('source paths from a trace', () => {
  it('relative paths resolve against the program\'s cwd, else the trace folder\'s parent', () => {
    expect(resolveSourcePath('bank_transfer.py', '/ws/proj', '/ws/proj/.weft/run1')).toBe('/ws/proj/bank_transfer.py');
    expect(resolveSourcePath('src/a.py', null, '/ws/proj/run1')).toBe(path.resolve('/ws/proj/src/a.py'));
    expect(resolveSourcePath('/abs/./b.py', '/ws', '/t')).toBe('/abs/b.py');
  });

  it('pseudo-files such as <string> are not files', () => {
    expect(resolveSourcePath('<string>', '/ws', '/t')).toBeNull();
    expect(resolveSourcePath('<frozen importlib._bootstrap>', '/ws', '/t')).toBeNull();
    expect(resolveSourcePath('', '/ws', '/t')).toBeNull();
  });
});
