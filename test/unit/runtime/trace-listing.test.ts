/**
 * Listing the process files of several trace folders as one run (MPI ranks, workers on several
 * machines): several folders, a folder of folders, v1 and v2 file names, and what is skipped.
 */
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTrace } from '../../../runtime/src/model/build-model';
import { listTraceFiles, TRACE_FILE_NAME, TraceError } from '../../../runtime/src/reader/read-trace';
import { header, tempDir, writeProcessFile } from './helpers/traces';

const MAIN = ['T', 1_000_000_000, 1, 1, 'MainThread', 0, null, null];

/** A process file under a given name (writeProcessFile names files v1-style). */
function processFile(dir: string, name: string, pid: number, serial = 0): string {
  const file = writeProcessFile(dir, header({ pid, serial }), [MAIN]);
  const named = path.join(dir, name);
  if (named !== file) renameSync(file, named);
  return named;
}

const rel = (root: string, files: { path: string }[]): string[] => files.map((f) => path.relative(root, f.path));

describe('trace listing: file names', () => {
  it('accepts v1 names and v2 names with a 12-hex host id, nothing else', () => {
    expect(TRACE_FILE_NAME.exec('weft-12-3.jsonl')?.slice(1)).toEqual([undefined, '12', '3']);
    expect(TRACE_FILE_NAME.exec('weft-0123456789ab-12-3.jsonl')?.slice(1)).toEqual(['0123456789ab', '12', '3']);
    for (const bad of ['weft-0123456789AB-1-0.jsonl', 'weft-0123456789a-1-0.jsonl', 'weft-1.jsonl', 'weft-1-0.json', 'weft--1-0.jsonl']) {
      expect(TRACE_FILE_NAME.test(bad), bad).toBe(false);
    }
  });

  it('sorts mixed v1 and v2 names by host id (v1 first), then pid, then serial', async () => {
    const dir = tempDir();
    for (const n of ['weft-bbbbbbbbbbbb-5-0.jsonl', 'weft-aaaaaaaaaaaa-20-0.jsonl', 'weft-9-1.jsonl', 'weft-aaaaaaaaaaaa-3-1.jsonl', 'weft-9-0.jsonl', 'weft-aaaaaaaaaaaa-3-0.jsonl']) {
      const [, , pid, serial] = TRACE_FILE_NAME.exec(n) as RegExpExecArray;
      processFile(dir, n, Number(pid), Number(serial));
    }
    const { files, folders } = await listTraceFiles(dir);
    expect(rel(dir, files)).toEqual([
      'weft-9-0.jsonl', 'weft-9-1.jsonl', 'weft-aaaaaaaaaaaa-3-0.jsonl', 'weft-aaaaaaaaaaaa-3-1.jsonl', 'weft-aaaaaaaaaaaa-20-0.jsonl', 'weft-bbbbbbbbbbbb-5-0.jsonl',
    ]);
    expect(folders).toEqual([{ path: dir, run: null }]);
    expect(files.every((f) => f.folder === 0)).toBe(true);
  });
});

describe('trace listing: several folders', () => {
  it('lists several folders in the order given, each file with its folder, each folder with its run.json', async () => {
    const root = tempDir();
    const a = path.join(root, 'rank1');
    const b = path.join(root, 'rank0');
    processFile(a, 'weft-7-0.jsonl', 7);
    processFile(b, 'weft-3-0.jsonl', 3);
    processFile(b, 'weft-0123456789ab-2-0.jsonl', 2);
    writeFileSync(path.join(b, 'run.json'), JSON.stringify({ format: 'weft-run', version: 1, command: ['python3', 'b.py'], cwd: '/w', python: '3.11', startWallMs: 1 }));
    const listing = await listTraceFiles([a, b]);
    expect(rel(root, listing.files)).toEqual(['rank1/weft-7-0.jsonl', 'rank0/weft-3-0.jsonl', 'rank0/weft-0123456789ab-2-0.jsonl']);
    expect(listing.files.map((f) => f.folder)).toEqual([0, 1, 1]);
    expect(listing.folders.map((f) => [path.basename(f.path), f.run?.command[1] ?? null])).toEqual([['rank1', null], ['rank0', 'b.py']]);
    // `run` stays the first folder's, for readers of one folder.
    expect(listing.run).toBeNull();
    expect(listing.warnings).toEqual([]);
  });

  it('reads a folder of folders, one level deep, in name order; subfolders without traces are ignored', async () => {
    const root = tempDir();
    processFile(path.join(root, 'host-b'), 'weft-0000000000bb-1-0.jsonl', 1);
    processFile(path.join(root, 'host-a'), 'weft-0000000000aa-1-0.jsonl', 1);
    mkdirSync(path.join(root, 'logs'));
    processFile(path.join(root, 'deeper', 'nested'), 'weft-9-0.jsonl', 9);
    writeFileSync(path.join(root, 'notes.txt'), 'x');
    const listing = await listTraceFiles(root);
    expect(rel(root, listing.files)).toEqual(['host-a/weft-0000000000aa-1-0.jsonl', 'host-b/weft-0000000000bb-1-0.jsonl']);
    expect(listing.folders.map((f) => path.basename(f.path))).toEqual(['host-a', 'host-b']);
    expect(listing.warnings).toEqual([]);
  });

  it('a folder with trace files of its own is one trace, even when it has subfolders', async () => {
    const root = tempDir();
    processFile(root, 'weft-1-0.jsonl', 1);
    processFile(path.join(root, 'sub'), 'weft-2-0.jsonl', 2);
    expect(rel(root, (await listTraceFiles(root)).files)).toEqual(['weft-1-0.jsonl']);
  });

  it('a folder without traces among others is a warning; alone, or all of them, an error', async () => {
    const root = tempDir();
    const a = path.join(root, 'a');
    const empty = path.join(root, 'empty');
    processFile(a, 'weft-1-0.jsonl', 1);
    mkdirSync(empty);
    const listing = await listTraceFiles([a, empty]);
    expect(rel(root, listing.files)).toEqual(['a/weft-1-0.jsonl']);
    expect(listing.warnings).toEqual([`no Weft trace files (weft-<pid>-<n>.jsonl) in ${empty}; it was skipped.`]);
    const alone = await listTraceFiles(empty).catch((e: unknown) => e);
    expect(alone).toBeInstanceOf(TraceError);
    expect((alone as TraceError).code).toBe('empty');
    const none = await listTraceFiles([empty, path.join(root, 'empty')]).catch((e: unknown) => e);
    expect((none as TraceError).code).toBe('empty');
  });

  it('a missing folder among several is an error that names it', async () => {
    const root = tempDir();
    processFile(path.join(root, 'a'), 'weft-1-0.jsonl', 1);
    const e = await listTraceFiles([path.join(root, 'a'), path.join(root, 'gone')]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TraceError);
    expect((e as TraceError).code).toBe('not-found');
    expect((e as TraceError).message).toContain(`${path.join(root, 'gone')} does not exist`);
  });

  it('the same folder given twice is read once, with a warning', async () => {
    const root = tempDir();
    processFile(root, 'weft-1-0.jsonl', 1);
    const listing = await listTraceFiles([root, `${root}/`]);
    expect(listing.files).toHaveLength(1);
    expect(listing.warnings).toEqual([`${root}/ was given twice; it was read once.`]);
  });

  it('loadTrace reads the files of every folder, in listing order', async () => {
    const root = tempDir();
    processFile(path.join(root, 'r0'), 'weft-5-0.jsonl', 5);
    processFile(path.join(root, 'r1'), 'weft-4-0.jsonl', 4);
    const m = await loadTrace([path.join(root, 'r0'), path.join(root, 'r1')]);
    expect(m.processes.map((p) => p.pid).sort()).toEqual([4, 5]);
    const viaParent = await loadTrace(root);
    expect(viaParent.processes).toHaveLength(2);
  });
});

describe('trace listing: only regular files are read', () => {
  it('skips directories, dangling and looping links under trace names, naming each', async () => {
    const dir = tempDir();
    processFile(dir, 'weft-1-0.jsonl', 1);
    mkdirSync(path.join(dir, 'weft-2-0.jsonl'));
    symlinkSync(path.join(dir, 'nowhere'), path.join(dir, 'weft-3-0.jsonl'));
    symlinkSync('weft-4-0.jsonl', path.join(dir, 'weft-4-0.jsonl'));
    symlinkSync('weft-1-0.jsonl', path.join(dir, 'weft-5-0.jsonl'));
    const listing = await listTraceFiles(dir);
    expect(rel(dir, listing.files)).toEqual(['weft-1-0.jsonl', 'weft-5-0.jsonl']);
    expect(listing.warnings).toEqual([
      'weft-2-0.jsonl is a directory, not a trace file; it was skipped.',
      'weft-3-0.jsonl is a link to a file that does not exist, not a trace file; it was skipped.',
      'weft-4-0.jsonl is a link that loops (it leads back to itself), not a trace file; it was skipped.',
    ]);
  });

  it('a folder whose trace names are all special files is an error that says why', async () => {
    const dir = tempDir();
    symlinkSync('/dev/zero', path.join(dir, 'weft-1-0.jsonl'));
    const e = await listTraceFiles(dir).catch((x: unknown) => x);
    expect((e as TraceError).code).toBe('empty');
    expect((e as TraceError).message).toMatch(/no readable Weft trace files in .*weft-1-0\.jsonl is a device, not a trace file/);
  });

  it('a run.json that is not a regular file is ignored with a warning', async () => {
    const dir = tempDir();
    processFile(dir, 'weft-1-0.jsonl', 1);
    mkdirSync(path.join(dir, 'run.json'));
    const listing = await listTraceFiles(dir);
    expect(listing.run).toBeNull();
    expect(listing.warnings).toEqual(['run.json is a directory; it was ignored.']);
  });
});
