/**
 * A hostile user's trace folders: whatever the damage, `weft summary`, `summary --json`,
 * `report`, `export` (chrome, perfetto, speedscope) and `query` either succeed (warnings allowed) or fail with exactly one line that
 * starts with "weft:", never a stack trace, never a hang.
 *
 * The folders come from a seeded generator (the same ones on every run) applied to the real
 * fixtures: truncations, byte flips, deeply nested arrays in records and headers, huge and
 * fractional numbers, record types named after Object.prototype members, special files under
 * trace names (directories, FIFOs, dangling and looping links, a link to /dev/zero), wrong
 * versions, empty files, foreign files beside valid ones, over-long lines, several folders and
 * folders of folders. Most run in this process through `main` (fast); a handful run the built
 * CLI (bin/weft.js, `npm run build`), where a closed pipe (`| head -1`) and the parse workers
 * live.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../runtime/src/cli/main';
import { loadTrace } from '../../runtime/src/model/build-model';
import { TraceError } from '../../runtime/src/reader/read-trace';
import { CLI, tempDir } from './helpers';

const FIXTURES = path.resolve(__dirname, '..', 'fixtures');
const BASES = ['two-threads', 'contention', 'processes', 'mp-lock-holds', 'pool-messages', 'non-python-child', 'truncated'];
/** A command that takes longer than this on one tiny folder is as good as hung. */
const COMMAND_MS = 10_000;

/** mulberry32: small, seeded, the same sequence everywhere. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = prng(20261202);
const int = (n: number): number => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;

/** The fixture's process files: name and lines (header first). */
function base(name: string): { name: string; lines: string[] }[] {
  const dir = path.join(FIXTURES, name);
  return readdirSync(dir).filter((n) => n.endsWith('.jsonl')).sort().map((n) => ({
    name: n,
    lines: readFileSync(path.join(dir, n), 'utf8').split('\n').filter((l) => l.length > 0),
  }));
}

function writeFiles(dir: string, files: { name: string; lines: string[] }[]): void {
  mkdirSync(dir, { recursive: true });
  for (const f of files) writeFileSync(path.join(dir, f.name), `${f.lines.join('\n')}\n`);
}

const deep = (n: number): string => `${'['.repeat(n)}${']'.repeat(n)}`;
const HUGE = ['1e308', '-1e308', '1e19', '9.3e18', '1.5', '-0.0', '1e400', '123456789012345678901234567890'];
const PROTO_TYPES = ['__proto__', 'toString', 'constructor', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'isPrototypeOf'];

/** Replaces field `f` (1-based, after the type code) of a record line with raw JSON text. */
function withField(line: string, f: number, raw: string): string {
  let rec: unknown[];
  try {
    rec = JSON.parse(line) as unknown[];
  } catch {
    return `${line},${raw}`; // the cut last line of a truncated fixture: damage it further
  }
  const parts = rec.map((v) => JSON.stringify(v));
  parts[Math.min(f, parts.length - 1)] = raw;
  return `[${parts.join(',')}]`;
}

interface Case {
  name: string;
  /** Trace folders to pass (relative to the case folder). */
  args: string[];
  build(dir: string): void;
}

/** Damage to the lines of one file, applied to a random fixture file. */
const lineDamage: { name: string; apply(lines: string[]): string[] }[] = [
  { name: 'truncated at a random byte', apply: (l) => { const t = l.join('\n'); return [t.slice(0, int(t.length))]; } },
  {
    name: 'random bytes flipped',
    apply: (l) => {
      const t = [...l.join('\n')];
      for (let k = 1 + int(8); k > 0; k--) t[int(t.length)] = pick(['\n', '"', '[', ']', '{', ',', '\\', '\u0000', '\u001b', 'x', '9', '-']);
      return [t.join('')];
    },
  },
  { name: 'deep array in a record field', apply: (l) => { const i = 1 + int(l.length - 1); l[i] = withField(l[i] as string, 1 + int(3), deep(pick([40, 1000, 100_000]))); return l; } },
  { name: 'deep array appended to a record', apply: (l) => { const i = 1 + int(l.length - 1); l[i] = withField(l[i] as string, 99, deep(100_000)); return l; } },
  { name: 'deep array in the header', apply: (l) => { l[0] = (l[0] as string).replace('"argv":', `"argv":${deep(pick([33, 100_000]))},"x":`); return l; } },
  { name: 'deep array as the header format', apply: (l) => { l[0] = (l[0] as string).replace('"weft-trace"', deep(100_000)); return l; } },
  { name: 'huge or fractional number in a record', apply: (l) => { const i = 1 + int(l.length - 1); l[i] = withField(l[i] as string, 1 + int(2), pick(HUGE)); return l; } },
  { name: 'huge number in the header', apply: (l) => { l[0] = (l[0] as string).replace(/"startNs":\d+/, `"startNs":${pick(HUGE)}`); return l; } },
  {
    name: 'record types named after Object.prototype',
    apply: (l) => { l.splice(1 + int(l.length - 1), 0, `["${pick(PROTO_TYPES)}",99999000000000,1,2,3,4,5,6,7,8,9,10]`, `["${pick(PROTO_TYPES)}"]`); return l; },
  },
  { name: 'many distinct unknown types', apply: (l) => [...l, ...Array.from({ length: 200 }, (_, k) => `["U${k}${'z'.repeat(k)}",1]`)] },
  { name: 'wrong version', apply: (l) => { l[0] = (l[0] as string).replace('"version":1', `"version":${pick(['0', '-1', '999', '"2"', '1.5', '1e308', 'null'])}`); return l; } },
  { name: 'header only', apply: (l) => l.slice(0, 1) },
  { name: 'lines shuffled', apply: (l) => { for (let i = l.length - 1; i > 0; i--) { const j = int(i + 1); [l[i], l[j]] = [l[j] as string, l[i] as string]; } return l; } },
  { name: 'records duplicated', apply: (l) => [...l, ...l.slice(1)] },
  { name: 'control characters and a long name', apply: (l) => [...l.slice(0, -1), `["N",1000000001,1,"\\u001b[2J${'n'.repeat(5000)}"]`, ...l.slice(-1)] },
  { name: 'end record with absurd count', apply: (l) => { l[l.length - 1] = withField(l[l.length - 1] as string, 4, pick(['-5', '1e300', '"x"'])); return l; } },
];

/** Files that are not trace files under trace names, placed beside a valid trace or alone. */
const specialFiles: { name: string; make(file: string): void }[] = [
  { name: 'a directory', make: (f) => mkdirSync(f) },
  { name: 'a FIFO', make: (f) => { spawnSync('mkfifo', [f]); } },
  { name: 'a dangling link', make: (f) => symlinkSync(path.join(path.dirname(f), 'nowhere'), f) },
  { name: 'a looping link', make: (f) => symlinkSync(path.basename(f), f) },
  { name: 'a link to /dev/zero', make: (f) => symlinkSync('/dev/zero', f) },
  { name: 'an empty file', make: (f) => writeFileSync(f, '') },
  { name: 'a foreign JSON file', make: (f) => writeFileSync(f, '{"traceEvents":[]}\n') },
  { name: 'binary garbage', make: (f) => writeFileSync(f, Buffer.from(Array.from({ length: 4096 }, () => int(256)))) },
  { name: 'a file of zeros', make: (f) => writeFileSync(f, Buffer.alloc(1 << 16)) },
];

function cases(): Case[] {
  const out: Case[] = [];
  // Line damage: every kind several times, on random fixtures and files.
  for (let round = 0; round < 8; round++) {
    for (const d of lineDamage) {
      const fixture = pick(BASES);
      out.push({
        name: `${d.name} (${fixture}, round ${round})`,
        args: ['t'],
        build: (dir) => {
          const files = base(fixture);
          const f = pick(files);
          f.lines = d.apply([...f.lines]);
          writeFiles(path.join(dir, 't'), files);
        },
      });
    }
  }
  // Special files under trace names, beside a valid trace and alone; also as run.json.
  for (const s of specialFiles) {
    for (const beside of [true, false]) {
      out.push({
        name: `${s.name} named weft-999-0.jsonl${beside ? ' beside a valid trace' : ' alone'}`,
        args: ['t'],
        build: (dir) => {
          const t = path.join(dir, 't');
          if (beside) writeFiles(t, base(pick(BASES)));
          else mkdirSync(t, { recursive: true });
          s.make(path.join(t, 'weft-999-0.jsonl'));
        },
      });
    }
    out.push({
      name: `${s.name} as run.json`,
      args: ['t'],
      build: (dir) => {
        writeFiles(path.join(dir, 't'), base('processes'));
        s.make(path.join(dir, 't', 'run.json'));
      },
    });
  }
  // Several folders, folders of folders, v2 names, a missing or empty folder among them.
  out.push(
    { name: 'three folders', args: ['a', 'b', 'c'], build: (dir) => { for (const [k, b] of [['a', 'two-threads'], ['b', 'contention'], ['c', 'processes']] as const) writeFiles(path.join(dir, k), base(b)); } },
    { name: 'a folder of folders', args: ['runs'], build: (dir) => { writeFiles(path.join(dir, 'runs', 'r0'), base('two-threads')); writeFiles(path.join(dir, 'runs', 'r1'), base('contention')); mkdirSync(path.join(dir, 'runs', 'logs')); } },
    { name: 'an empty folder among others', args: ['a', 'empty'], build: (dir) => { writeFiles(path.join(dir, 'a'), base('two-threads')); mkdirSync(path.join(dir, 'empty')); } },
    { name: 'a missing folder among others', args: ['a', 'missing'], build: (dir) => writeFiles(path.join(dir, 'a'), base('two-threads')) },
    { name: 'the same folder twice', args: ['a', 'a'], build: (dir) => writeFiles(path.join(dir, 'a'), base('two-threads')) },
    { name: 'v2 file names', args: ['a'], build: (dir) => writeFiles(path.join(dir, 'a'), base('processes').map((f) => ({ ...f, name: f.name.replace('weft-', 'weft-0123456789ab-') }))) },
    { name: 'only empty folders', args: ['e1', 'e2'], build: (dir) => { mkdirSync(path.join(dir, 'e1')); mkdirSync(path.join(dir, 'e2')); } },
    { name: 'a FIFO given as the trace', args: ['fifo'], build: (dir) => { spawnSync('mkfifo', [path.join(dir, 'fifo')]); } },
    { name: '/dev/zero given as the trace', args: ['/dev/zero'], build: () => undefined },
    {
      name: 'a line longer than 64 MiB',
      args: ['t'],
      build: (dir) => {
        const files = base('two-threads');
        writeFiles(path.join(dir, 't'), files);
        const f = files[0] as { name: string; lines: string[] };
        writeFileSync(path.join(dir, 't', f.name), Buffer.concat([
          Buffer.from(`${f.lines.slice(0, 3).join('\n')}\n["N",1,1,"`), Buffer.alloc((64 << 20) + 10, 0x61), Buffer.from(`"]\n${f.lines.slice(3).join('\n')}\n`),
        ]));
      },
    },
  );
  return out;
}

const CASES = cases();
const root = tempDir('weft-fuzz-');

/** Runs a command in this process, like the CLI but without starting Node. */
async function inProcess(args: string[], cwd: string): Promise<{ status: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (b: Buffer) => out.push(b));
  stderr.on('data', (b: Buffer) => err.push(b));
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`weft ${args.join(' ')} did not finish within ${COMMAND_MS} ms`)), COMMAND_MS);
  });
  try {
    const status = await Promise.race([main(args, { stdout, stderr, cwd }), hung]);
    return { status, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
  } finally {
    clearTimeout(timer);
  }
}

/** The promise of every command: a result, or one line saying what went wrong. */
function expectHandled(what: string, r: { status: number | null; stdout: string; stderr: string }, output: () => boolean): void {
  expect(r.stderr, what).not.toMatch(/^\s+at /m);
  if (r.status === 0) {
    expect(output(), `${what}: exit 0 but no output`).toBe(true);
  } else {
    expect([1, 2], `${what}: exit ${r.status}, stderr ${r.stderr}`).toContain(r.status);
    expect(r.stderr, what).toMatch(/^weft: [^\n]+\n$/);
  }
}

afterAll(() => {
  spawnSync('rm', ['-rf', root]);
});

describe('damaged trace folders never crash the commands that read them', () => {
  it(`${CASES.length} generated folders: each command succeeds or fails in one line`, async () => {
    const seen = { ok: 0, failed: 0 };
    for (const [i, c] of CASES.entries()) {
      const dir = path.join(root, String(i));
      mkdirSync(dir);
      c.build(dir);
      const what = (cmd: string): string => `case ${i} "${c.name}": ${cmd}`;
      const summary = await inProcess(['summary', ...c.args], dir);
      expectHandled(what('summary'), summary, () => summary.stdout.startsWith('Weft summary:'));
      const json = await inProcess(['summary', ...c.args, '--json'], dir);
      expectHandled(what('summary --json'), json, () => typeof JSON.parse(json.stdout) === 'object');
      const exp = await inProcess(['export', ...c.args, '-o', path.join(dir, 'out.json')], dir);
      expectHandled(what('export'), exp, () => typeof JSON.parse(readFileSync(path.join(dir, 'out.json'), 'utf8')) === 'object');
      const rep = await inProcess(['report', ...c.args, '-o', path.join(dir, 'out.html')], dir);
      expectHandled(what('report'), rep, () => readFileSync(path.join(dir, 'out.html'), 'utf8').startsWith('<!'));
      const pf = await inProcess(['export', ...c.args, '--format', 'perfetto', '-o', path.join(dir, 'out.pftrace')], dir);
      expectHandled(what('export --format perfetto'), pf, () => readFileSync(path.join(dir, 'out.pftrace')).length > 0);
      const ss = await inProcess(['export', ...c.args, '--format', 'speedscope', '-o', path.join(dir, 'out.speedscope.json')], dir);
      expectHandled(what('export --format speedscope'), ss, () => typeof JSON.parse(readFileSync(path.join(dir, 'out.speedscope.json'), 'utf8')) === 'object');
      const q = await inProcess(['query', ...c.args, 'SELECT count(*) AS n FROM waits JOIN lanes USING (lane)', '--json'], dir);
      expectHandled(what('query'), q, () => Array.isArray(JSON.parse(q.stdout)));
      // Every damaged folder that can be read at all must still give the same answer to all.
      expect(new Set([summary.status, json.status, exp.status, rep.status, pf.status, ss.status, q.status]).size, what('all')).toBe(1);
      if (summary.status === 0) seen.ok++;
      else seen.failed++;
    }
    // The generator must produce both kinds, or it tests less than it claims.
    expect(seen.ok).toBeGreaterThan(CASES.length / 2);
    expect(seen.failed).toBeGreaterThan(5);
  }, 120_000);

  it('deep arrays read in parse workers come back as warnings, not RangeErrors', async () => {
    const dir = path.join(root, 'workers');
    const files = base('pool-messages');
    for (const f of files) f.lines.splice(2, 0, withField(f.lines[1] as string, 2, deep(100_000)), '["__proto__",99999000000000]', '["E",1e308,1]');
    writeFiles(dir, files);
    const m = await loadTrace(dir, { parallel: 'always' });
    expect(m.processes).toHaveLength(3);
    expect(m.warnings.join('\n')).toContain('nested deeper than 32 levels');
    expect(m.warnings.join('\n')).toContain('unknown type "__proto__"');
    expect(m.endNs - m.startNs).toBeLessThan(1e9);
    const bad = path.join(root, 'workers-bad');
    writeFiles(bad, files.map((f) => ({ ...f, lines: [f.lines[0]?.replace('"weft-trace"', deep(100_000)) as string, ...f.lines.slice(1)] })));
    const e = await loadTrace(bad, { parallel: 'always' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TraceError);
    expect((e as TraceError).message).toMatch(/first line nests deeper than 32 levels/);
  });
});

describe('the built CLI on damaged folders and closed pipes', () => {
  /** A trace with enough threads that each command's output overflows a pipe's buffer. */
  const big = path.join(root, 'big');
  const h = base('two-threads')[0]?.lines[0] as string;
  const threads = Array.from({ length: 3000 }, (_, k) => `["T",${1_000_000_000 + k},${k + 1},${k + 1},"worker-${k}",0,null,null]`);
  writeFiles(big, [{ name: 'weft-100-0.jsonl', lines: [h, ...threads, `["Z",1300000000,"exit",0,${threads.length}]`] }]);

  const shell = (cmd: string): { status: number | null; stdout: string; stderr: string } => {
    const r = spawnSync('bash', ['-c', `${cmd}; exit \${PIPESTATUS[0]}`], { encoding: 'utf8', timeout: 30_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('a reader that closes the pipe early ends the command quietly with exit 0', () => {
    for (const args of [`summary ${big}`, `summary ${big} --json`, `export ${big} -o -`, `export ${big} --format perfetto -o -`, `export ${big} --format speedscope -o -`]) {
      const r = shell(`node ${CLI} ${args} | head -c 10`);
      expect(r.stderr, args).toBe('');
      expect(r.status, args).toBe(0);
      expect(r.stdout, args).toHaveLength(10);
    }
  });

  it('special files and deep arrays through the real binary: a result or one line', () => {
    const dir = path.join(root, 'cli');
    writeFiles(path.join(dir, 'ok'), base('two-threads'));
    symlinkSync('/dev/zero', path.join(dir, 'ok', 'weft-7-0.jsonl'));
    spawnSync('mkfifo', [path.join(dir, 'ok', 'weft-8-0.jsonl')]);
    const ok = shell(`node ${CLI} summary ${path.join(dir, 'ok')}`);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('weft-7-0.jsonl is a device, not a trace file; it was skipped.');
    expect(ok.stdout).toContain('weft-8-0.jsonl is a named pipe (FIFO), not a trace file; it was skipped.');
    writeFiles(path.join(dir, 'deep'), [{ name: 'weft-1-0.jsonl', lines: [`{"format":${deep(100_000)}}`] }]);
    const bad = shell(`node ${CLI} report ${path.join(dir, 'deep')}`);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^weft: .*weft-1-0\.jsonl is not a Weft trace: its first line nests deeper than 32 levels\. [^\n]*\n$/);
    const missing = shell(`node ${CLI} export ${path.join(dir, 'ok')} ${path.join(dir, 'nope')} -o -`);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^weft: trace not found: .*nope does not exist\./);
  });
});
