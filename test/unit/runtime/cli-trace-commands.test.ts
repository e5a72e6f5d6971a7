/**
 * The commands that read saved traces (summary, export, report), in this process: several
 * trace folders as one run, output cut off by a closed pipe, and failures that are one line
 * saying what to do (a hostile or damaged folder must never show a stack trace).
 */
import { cpSync, existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../../runtime/src/cli/main';
import { FIXTURES, tempDir } from './helpers/traces';
import { capture } from './helpers/capture';

/** A stdout whose writes fail the way a closed pipe or a broken disk does. */
const failing = (error: Error): Writable => new Writable({
  write(_chunk, _enc, cb) {
    cb(error);
  },
});
const throwing = (error: Error): NodeJS.WritableStream => ({ write: () => { throw error; } }) as unknown as NodeJS.WritableStream;

async function run(args: string[], stdout: NodeJS.WritableStream, cwd = FIXTURES): Promise<{ status: number; stderr: string }> {
  let stderr = '';
  const err = new Writable({
    write(chunk: Buffer, _enc, cb) {
      stderr += chunk.toString();
      cb();
    },
  });
  const status = await main(args, { stdout, stderr: err, cwd });
  return { status, stderr };
}


describe('several trace folders, one run', () => {
  it('summary reads every folder given', async () => {
    const out = capture();
    const r = await run(['summary', 'two-threads', 'contention', '--json'], out);
    expect(r).toEqual({ status: 0, stderr: '' });
    expect((JSON.parse(out.text()) as { processes: { pid: number }[] }).processes.map((p) => p.pid).sort()).toEqual([100, 200]);
  });

  it('report of several folders goes to report.html in the working directory', async () => {
    const cwd = tempDir();
    const r = await run(['report', path.join(FIXTURES, 'two-threads'), path.join(FIXTURES, 'processes')], capture(), cwd);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^wrote report\.html \(/m);
    expect(existsSync(path.join(cwd, 'report.html'))).toBe(true);
  });

  it('a missing folder among several is named', async () => {
    const r = await run(['summary', 'two-threads', 'no-such-trace'], capture());
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^weft: trace not found: .*no-such-trace does not exist\. Pass the directory that "weft run" wrote[^\n]*\n$/);
  });
});

describe('the commands that read traces fail in one line, and quietly on a closed pipe', () => {
  it('EPIPE on stdout ends summary and export with exit 0 and nothing on stderr', async () => {
    const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE', syscall: 'write' });
    expect(await run(['summary', 'contention'], throwing(epipe))).toEqual({ status: 0, stderr: '' });
    expect(await run(['export', 'contention', '-o', '-'], failing(epipe))).toEqual({ status: 0, stderr: '' });
  });

  it('any other failure is one line saying what to do, with exit 1, never a stack', async () => {
    const bug = await run(['summary', 'contention', '--json'], throwing(new TypeError('x is not a function')));
    expect(bug.status).toBe(1);
    expect(bug.stderr).toBe('weft: "weft summary" failed on an internal error (TypeError: x is not a function). Please report it with the trace; WEFT_DEBUG=1 shows where it happened.\n');
    const disk = await run(['export', 'contention', '-o', '-'], failing(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' })));
    expect(disk.status).toBe(1);
    expect(disk.stderr).toBe('weft: "weft export" failed: ENOSPC: no space left on device, write. Check the paths, their permissions and the free disk space, then try again.\n');
  });

  it('an export file that cannot be created is one line, not a usage error', async () => {
    const r = await run(['export', 'contention', '-o', path.join(tempDir(), 'no', 'such', 'dir', 't.json')], throwing(new Error('unused')));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^weft: cannot write .*t\.json: ENOENT[^\n]*\. Choose another file with -o\.\n$/);
  });
});

describe('weft export --format', () => {
  it('writes each format beside the trace when no -o is given, and says where it opens', async () => {
    const dir = path.join(tempDir(), 'contention');
    cpSync(path.join(FIXTURES, 'contention'), dir, { recursive: true });
    const cases = [['perfetto', 'trace.perfetto-trace', 'https://ui.perfetto.dev'], ['speedscope', 'trace.speedscope.json', 'https://www.speedscope.app'], ['chrome', 'trace.json', 'chrome://tracing']] as const;
    for (const [format, file, opensIn] of cases) {
      const r = await run(['export', dir, '--format', format], capture());
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain(`${file} (open it in `);
      expect(r.stderr).toContain(opensIn);
      expect(statSync(path.join(dir, file)).size).toBeGreaterThan(100);
    }
  });

  it('a perfetto export to stdout is the same bytes as to a file', async () => {
    const out = capture();
    expect((await run(['export', 'contention', '--format', 'perfetto', '-o', '-'], out)).status).toBe(0);
    const file = path.join(tempDir(), 't.pftrace');
    expect((await run(['export', 'contention', '--format=perfetto', '--out', file], capture())).status).toBe(0);
    expect(Buffer.from(out.text(), 'latin1').length).toBeGreaterThan(0);
    expect(readFileSync(file).length).toBeGreaterThan(1000);
  });
});

