/**
 * The weft command line end to end, on the real agent: the program's input, output and exit
 * status are untouched, the summary goes to stderr, and the saved trace can be summarised and
 * exported. Needs the bundle (bin/weft.js loads dist/cli.js; `npm test` builds it first).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SUMMARY_JSON_SCHEMA } from '../../runtime/src/summary/schema';
import type { Summary } from '../../runtime/src/summary/schema';
import { PassThrough } from 'node:stream';
import { main } from '../../runtime/src/cli/main';
import { validate } from '../unit/runtime/helpers/json-schema';
import { cli, exited, lineOf, PROGRAMS, ROOT, runCli, tempDir, waitForOutput } from './helpers';

/** Runs a command in this process (no Node start-up): for commands that start no program. */
async function inProcess(args: string[], cwd = ROOT): Promise<{ status: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (b: Buffer) => out.push(b.toString()));
  stderr.on('data', (b: Buffer) => err.push(b.toString()));
  const status = await main(args, { stdout, stderr, cwd });
  return { status, stdout: out.join(''), stderr: err.join('') };
}

const LOCK = path.join(PROGRAMS, 'lock_contention.py');

describe('weft run', () => {
  it('keeps the program\'s stdout, stderr, stdin and exit code, and prints the summary to stderr', async () => {
    const out = tempDir('weft-cli-');
    const plain = spawnSync('python3', [LOCK, '3', '--echo'], { input: 'hello\n', encoding: 'utf8' });
    const r = await cli(['run', '--out', out, LOCK, '3', '--echo'], { input: 'hello\n' });
    expect(r.status).toBe(3);
    expect(plain.status).toBe(3);
    expect(r.stdout).toBe(plain.stdout);
    expect(r.stdout).toBe("done: 2 threads, argv ['3', '--echo']\necho: hello\n");
    expect(r.stderr.startsWith('to stderr\n')).toBe(true);
    expect(r.stderr).toContain('Contended synchronisation');
    expect(r.stderr).toMatch(/held by {4}holder at .*lock_contention\.py:\d+: 1 wait/);
    expect(r.stderr).toContain(`trace: ${path.relative(ROOT, out)}`);
    const run = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8')) as { exitCode: number; command: string[] };
    expect(run.exitCode).toBe(3);
    expect(run.command.slice(-3)).toEqual([LOCK, '3', '--echo']);

    const json = await inProcess(['summary', out, '--json']);
    expect(json.status).toBe(0);
    const summary = JSON.parse(json.stdout) as Summary;
    expect(validate(SUMMARY_JSON_SCHEMA as unknown as Record<string, unknown>, summary)).toEqual([]);
    const lock = summary.locks.find((l) => l.kind === 'lock' && l.name === 'lock');
    expect(lock?.contentions).toBe(1);
    expect(lock?.maxWaitMs).toBeGreaterThan(150);
    expect(lock?.holders[0]?.thread).toBe('holder');
    expect(lock?.holders[0]?.site?.line).toBe(lineOf('lock_contention.py', '# BUSY_LINE'));
    expect(lock?.waiters[0]?.thread).toBe('waiter');
    expect(summary.processes[0]?.exitCode).toBe(3);
    const waiter = summary.processes[0]?.threads.find((t) => t.name === 'waiter');
    expect(waiter?.waitMs.lock).toBeGreaterThan(150);
  });

  it('runs a module with -m from the working directory, with its arguments', async () => {
    const dir = tempDir('weft-cli-mod-');
    mkdirSync(path.join(dir, 'pkg'));
    writeFileSync(path.join(dir, 'pkg', '__init__.py'), '');
    writeFileSync(path.join(dir, 'pkg', '__main__.py'), 'import sys\nprint("module", __name__, sys.argv[1:])\nsys.exit(4)\n');
    const r = await cli(['run', '--no-summary', '--out', 'trace', '-m', 'pkg', 'a', '--b'], { cwd: dir });
    expect(r.stdout).toBe("module __main__ ['a', '--b']\n");
    expect(r.status).toBe(4);
    expect(r.stderr).toBe('');
    const s = await inProcess(['summary', path.join(dir, 'trace'), '--json']);
    expect((JSON.parse(s.stdout) as Summary).processes[0]?.exitCode).toBe(4);
  });

  it('replaces an earlier trace in the same --out instead of mixing the two runs', async () => {
    const dir = tempDir('weft-cli-again-');
    writeFileSync(path.join(dir, 'hello.py'), 'print("hi")\n');
    const first = await cli(['run', '--no-summary', '--out', 'tr', 'hello.py'], { cwd: dir });
    expect(first.stderr).toBe('');
    writeFileSync(path.join(dir, 'tr', 'notes.txt'), 'mine');
    const again = await cli(['run', '--no-summary', '--out', 'tr', 'hello.py'], { cwd: dir });
    expect(again.stderr).toMatch(/^weft: replacing the earlier trace in tr \(2 files\)\.\n$/);
    const s = await inProcess(['summary', path.join(dir, 'tr'), '--json']);
    expect((JSON.parse(s.stdout) as Summary).processes).toHaveLength(1);
    expect(readFileSync(path.join(dir, 'tr', 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('writes to .weft/<script>-<date>-<time> by default', async () => {
    const dir = tempDir('weft-cli-default-');
    writeFileSync(path.join(dir, 'hello.py'), 'print("hi")\n');
    const r = await cli(['run', 'hello.py'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/trace: \.weft\/hello-\d{8}-\d{6}/);
  });

  it('exits 128+N when signal N ends the program, and forwards SIGTERM and SIGINT sent to Weft', async () => {
    for (const [sig, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
      const out = tempDir('weft-cli-sig-');
      const child = runCli(['run', '--out', out, path.join(PROGRAMS, 'wait_forever.py')]);
      let stderr = '';
      child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
      await waitForOutput(child, 'ready');
      child.kill(sig);
      const r = await exited(child);
      expect(r.code, `${sig}: ${stderr}`).toBe(code);
      // The summary still comes, from the trace the program left.
      expect(stderr).toContain('Weft summary');
      expect(stderr).toContain('wait_forever.py');
    }
  });
});

describe('clear errors with exit status 2', () => {
  it('a missing script (through bin/weft.js, so the real exit status is checked)', async () => {
    const r = await cli(['run', 'nope.py']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^weft: the script nope\.py does not exist/);
  });

  it('no Python', async () => {
    const r = await inProcess(['run', '--python', '/no/such/python3', LOCK]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^weft: no Python found: \/no\/such\/python3 \(from --python\) did not run as Python\. Use --python/);
  });

  it('an unknown option, with a pointer to the help', async () => {
    const r = await inProcess(['run', '--fast', LOCK]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('weft: unknown option --fast for "weft run" (options go before the script)\nRun "weft run --help" for usage.\n');
  });

  it('a foreign or missing trace directory', async () => {
    const foreign = await inProcess(['summary', path.join(ROOT, 'test', 'fixtures', 'foreign')]);
    expect(foreign.status).toBe(2);
    expect(foreign.stderr).toMatch(/not a Weft trace/);
    const missing = await inProcess(['export', path.join(tempDir(), 'x'), '-o', path.join(tempDir(), 'o.json')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/does not exist/);
  });
});

describe('weft summary, export, help and version', () => {
  it('summarises a trace as text with paths relative to the working directory', async () => {
    const r = await inProcess(['summary', 'test/fixtures/contention']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('lock "lock" created at /w/prog.py:5');
    expect(r.stdout).toContain('held by    worker-a at /w/prog.py:10: 2 waits, 250 ms');
  });

  it('exports Chrome trace JSON to a file or stdout', async () => {
    const file = path.join(tempDir(), 'trace.json');
    const r = await inProcess(['export', 'test/fixtures/contention', '--format', 'chrome', '-o', file]);
    expect(r.status).toBe(0);
    const t = JSON.parse(readFileSync(file, 'utf8')) as { traceEvents: { ph: string }[] };
    expect(t.traceEvents.filter((e) => e.ph === 'X').length).toBeGreaterThan(7);
    const s = await inProcess(['export', 'test/fixtures/contention', '-o', '-']);
    expect(JSON.parse(s.stdout)).toEqual(t);
  });

  it('writes a self-contained HTML report of a trace, next to it by default', async () => {
    const dir = tempDir();
    for (const f of ['weft-200-0.jsonl']) {
      writeFileSync(path.join(dir, f), readFileSync(path.join(ROOT, 'test/fixtures/contention', f)));
    }
    const r = await inProcess(['report', dir]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/wrote .*report\.html \(\d+\.\d MB; open it in a browser\)/);
    const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html).toContain('id="weft-data"');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
    const missing = await inProcess(['report', path.join(dir, 'nope')]);
    expect(missing.status).toBe(2);
  });

  it('prints help for every command and the version', async () => {
    for (const args of [['--help'], ['run', '--help'], ['summary', '-h'], ['export', '--help'], ['report', '--help']]) {
      const r = await inProcess(args);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^(weft \d|usage: weft)/);
    }
    expect((await inProcess(['--version'])).stdout).toBe('weft 0.1.0\n');
  });
});
