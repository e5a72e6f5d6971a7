/** Parsing of the weft command line (pure; the commands themselves run in test/contract). */
import { describe, expect, it } from 'vitest';
import { defaultOutDir, HELP, parseArgs, UsageError } from '../../../runtime/src/cli/args';

const usage = (argv: string[]): string => {
  try {
    parseArgs(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`no usage error for ${argv.join(' ')}`);
};

describe('weft run arguments', () => {
  it('takes Weft options only before the script; the rest is the program\'s', () => {
    expect(parseArgs(['run', '--sample-hz', '50', '--out', 'd', 'a.py', '--out', 'x', '-v'])).toEqual({
      kind: 'run', out: 'd', python: null, sampleHz: 50, loopBlockMs: null, summary: true, target: ['a.py', '--out', 'x', '-v'],
    });
    expect(parseArgs(['run', 'a.py', '--help'])).toMatchObject({ kind: 'run', target: ['a.py', '--help'] });
    expect(parseArgs(['run', '--no-summary', '--python=/opt/py', '--out=o', '-m', 'pkg.mod', '-x'])).toEqual({
      kind: 'run', out: 'o', python: '/opt/py', sampleHz: 100, loopBlockMs: null, summary: false, target: ['-m', 'pkg.mod', '-x'],
    });
    expect(parseArgs(['run', '--', '-weird.py'])).toMatchObject({ target: ['-weird.py'] });
  });

  it('rejects what it cannot run, saying why', () => {
    expect(usage(['run'])).toMatch(/needs a script \(or -m module\)/);
    expect(usage(['run', '-m'])).toMatch(/-m needs a module name/);
    expect(usage(['run', '--sample-hz', '5000', 'a.py'])).toMatch(/--sample-hz needs a whole number from 0 to 1000, got "5000"/);
    expect(usage(['run', '--sample-hz', 'fast', 'a.py'])).toMatch(/got "fast"/);
    expect(usage(['run', '--out'])).toMatch(/--out needs a value/);
    expect(usage(['run', '--out', '--python', 'p', 'a.py'])).toMatch(/--out needs a value/);
    expect(usage(['run', '--verbose', 'a.py'])).toMatch(/unknown option --verbose for "weft run" \(options go before the script\)/);
  });

  it('defaults the trace directory to .weft/<script>-<date>-<time>', () => {
    const at = new Date(2025, 0, 2, 3, 4, 5);
    expect(defaultOutDir(['src/my app.py', 'x'], at)).toBe('.weft/my_app-20250102-030405');
    expect(defaultOutDir(['-m', 'pkg.tool'], at)).toBe('.weft/pkg.tool-20250102-030405');
  });
});

describe('weft summary and export arguments', () => {
  it('parses summary', () => {
    expect(parseArgs(['summary', 'd', '--json'])).toEqual({ kind: 'summary', dirs: ['d'], json: true, loopBlockMs: null });
    expect(parseArgs(['summary', 'd'])).toEqual({ kind: 'summary', dirs: ['d'], json: false, loopBlockMs: null });
    expect(usage(['summary'])).toMatch(/needs a trace directory/);
    expect(usage(['summary', 'd', '--yaml'])).toMatch(/unknown option --yaml for "weft summary"/);
  });

  it('parses export', () => {
    expect(parseArgs(['export', 'd', '--format', 'chrome', '-o', 't.json'])).toEqual({ kind: 'export', dirs: ['d'], format: 'chrome', out: 't.json' });
    expect(parseArgs(['export', '--output=-', 'd'])).toMatchObject({ out: '-' });
    // No -o: the file goes beside the trace (main.ts picks the name per format).
    expect(parseArgs(['export', 'd'])).toEqual({ kind: 'export', dirs: ['d'], format: 'chrome', out: null });
    expect(parseArgs(['export', 'd', '--format=perfetto'])).toMatchObject({ format: 'perfetto' });
    expect(parseArgs(['export', '--format', 'speedscope', 'd', '--out', 's.json'])).toMatchObject({ format: 'speedscope', out: 's.json' });
    expect(usage(['export', 'd', '--format', 'pprof', '-o', 'x'])).toMatch(/unknown export format "pprof"; the formats are chrome, perfetto, speedscope/);
  });

  it('parses report, whose output defaults to a file in the trace directory', () => {
    expect(parseArgs(['report', 'd', '-o', 'r.html'])).toEqual({ kind: 'report', dirs: ['d'], out: 'r.html' });
    expect(parseArgs(['report', 'd'])).toEqual({ kind: 'report', dirs: ['d'], out: null });
    expect(usage(['report'])).toMatch(/needs a trace directory/);
    expect(usage(['report', 'd', '-o'])).toMatch(/-o needs a file name/);
    expect(usage(['report', 'd', '--pdf'])).toMatch(/unknown option --pdf for "weft report"/);
  });

  it('parses query: trace directories, then the SQL; --json, --csv; --schema needs no trace', () => {
    expect(parseArgs(['query', 'd', 'SELECT 1'])).toEqual({ kind: 'query', dirs: ['d'], sql: 'SELECT 1', output: 'table' });
    expect(parseArgs(['query', 'a', 'b', '--csv', 'SELECT * FROM waits'])).toEqual({ kind: 'query', dirs: ['a', 'b'], sql: 'SELECT * FROM waits', output: 'csv' });
    expect(parseArgs(['query', '--json', 'd', '-- a comment\nSELECT 1'])).toMatchObject({ sql: '-- a comment\nSELECT 1', output: 'json' });
    expect(parseArgs(['query', '--schema'])).toEqual({ kind: 'query-schema', output: 'table' });
    expect(parseArgs(['query', '--schema', '--json'])).toEqual({ kind: 'query-schema', output: 'json' });
    expect(usage(['query'])).toMatch(/needs a trace directory and an SQL query/);
    expect(usage(['query', 'd'])).toMatch(/needs an SQL query after the trace directory/);
    expect(usage(['query', 'd', '  '])).toMatch(/the SQL query is empty/);
    expect(usage(['query', 'd', '--tsv', 'SELECT 1'])).toMatch(/unknown option --tsv for "weft query"/);
  });

  it('summary, export and report take several trace directories, in the order given', () => {
    expect(parseArgs(['summary', 'a', 'b', '--json', 'c'])).toEqual({ kind: 'summary', dirs: ['a', 'b', 'c'], json: true, loopBlockMs: null });
    expect(parseArgs(['export', 'a', '-o', 't.json', 'b'])).toEqual({ kind: 'export', dirs: ['a', 'b'], format: 'chrome', out: 't.json' });
    expect(parseArgs(['report', 'rank0', 'rank1'])).toEqual({ kind: 'report', dirs: ['rank0', 'rank1'], out: null });
    for (const c of ['summary', 'export', 'report'] as const) expect(HELP[c]).toMatch(new RegExp(`^usage: weft ${c} DIR\\.\\.\\.`));
    expect(HELP.main).toContain('one or more trace directories as one run');
  });
});

describe('help and version', () => {
  it('every command has help, from --help anywhere before a script', () => {
    expect(parseArgs([])).toEqual({ kind: 'help', topic: 'main' });
    expect(parseArgs(['--help'])).toEqual({ kind: 'help', topic: 'main' });
    expect(parseArgs(['help', 'export'])).toEqual({ kind: 'help', topic: 'export' });
    for (const c of ['run', 'summary', 'export', 'report', 'query'] as const) {
      expect(parseArgs([c, '--help'])).toEqual({ kind: 'help', topic: c });
      expect(parseArgs([c, '-h'])).toEqual({ kind: 'help', topic: c });
      expect(HELP[c]).toMatch(new RegExp(`^usage: weft ${c}`));
    }
    expect(parseArgs(['-V'])).toEqual({ kind: 'version' });
    expect(parseArgs(['--version'])).toEqual({ kind: 'version' });
  });

  it('unknown commands and options are usage errors', () => {
    expect(usage(['profile'])).toMatch(/unknown command "profile": the commands are run, summary, export, report and query/);
    expect(usage(['--fast'])).toMatch(/unknown option --fast/);
  });
});
