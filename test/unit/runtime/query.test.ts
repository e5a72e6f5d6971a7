/**
 * `weft query`: the README's documented examples, run on a real trace (examples/bank_transfer.py
 * under the agent, made once here), give the summary's numbers; tables, formats and errors.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../runtime/src/cli/main';
import { loadTrace } from '../../../runtime/src/model/build-model';
import type { TraceModel } from '../../../runtime/src/model/types';
import { queryTrace, tablesNamed } from '../../../runtime/src/query/engine';
import { formatCsv, formatTable } from '../../../runtime/src/query/format';
import { TABLES } from '../../../runtime/src/query/tables';
import { buildSummary } from '../../../runtime/src/summary/summary';
import type { Summary } from '../../../runtime/src/summary/schema';
import { capture } from './helpers/capture';
import { FIXTURES, tempDir } from './helpers/traces';

const REPO = path.resolve(__dirname, '..', '..', '..');

/** The README's examples, verbatim (README.md, "weft query"). */
export const TOP_OBJECTS = `SELECT o.kind, o.name, count(*) AS waits, round(sum(w.dur_ms), 1) AS wait_ms
FROM waits w JOIN objects o ON o.object = w.charged_object
GROUP BY o.object ORDER BY sum(w.dur_ms) DESC LIMIT 5`;
const WHO_MADE_IT_LATE = (lane: string): string => `SELECT o.name AS object, h.name AS holder, count(*) AS waits, round(sum(w.dur_ms), 1) AS wait_ms
FROM waits w
JOIN lanes l ON l.lane = w.lane
JOIN objects o ON o.object = w.charged_object
LEFT JOIN lanes h ON h.lane = w.holder_lane
WHERE l.name = '${lane}'
GROUP BY o.object, h.lane ORDER BY sum(w.dur_ms) DESC`;

let bank: string;
let model: TraceModel;
let summary: Summary;

beforeAll(() => {
  bank = path.join(tempDir(), 'bank');
  const r = spawnSync('python3', ['-m', 'weft', '--out', bank, path.join(REPO, 'examples', 'bank_transfer.py')], {
    encoding: 'utf8', env: { ...process.env, PYTHONPATH: path.join(REPO, 'runtime', 'python') }, timeout: 60_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return loadTrace(bank).then((m) => {
    model = m;
    summary = buildSummary(m);
  });
}, 90_000);

describe('weft query on a real trace', () => {
  it('"top 5 objects by total wait" gives the summary\'s lock table', async () => {
    const r = await queryTrace(model, TOP_OBJECTS);
    expect(r.columns).toEqual(['kind', 'name', 'waits', 'wait_ms']);
    const expected = summary.locks.slice(0, 5).map((l) => [l.kind, l.name, l.contentions, Math.round(l.waitMs * 10) / 10]);
    expect(r.rows).toEqual(expected);
    expect(r.rows[0]?.[1]).toBe('bank_lock');
    // Only what the query names was loaded.
    expect(r.load.tables.map((t) => t.name).sort()).toEqual(['objects', 'waits']);
  });

  it('"which lock made teller-1 late, and who held it" adds up to the summary\'s waiter row', async () => {
    const r = await queryTrace(model, WHO_MADE_IT_LATE('teller-1'));
    expect(r.columns).toEqual(['object', 'holder', 'waits', 'wait_ms']);
    expect(r.rows.length).toBeGreaterThan(0);
    expect(r.rows.every((row) => row[0] === 'bank_lock')).toBe(true);
    const lock = summary.locks.find((l) => l.name === 'bank_lock');
    const rows = lock?.waiters.filter((w) => w.thread === 'teller-1') ?? [];
    const waits = rows.reduce((a, w) => a + w.waits, 0);
    const ms = rows.reduce((a, w) => a + w.waitMs, 0);
    expect(r.rows.reduce((a, row) => a + (row[2] as number), 0)).toBe(waits);
    expect(r.rows.reduce((a, row) => a + (row[3] as number), 0)).toBeCloseTo(ms, 0);
    // The holders named are the lock's holders.
    const holders = new Set(lock?.holders.map((h) => h.thread));
    for (const row of r.rows) if (row[1] !== null) expect(holders.has(row[1] as string), String(row[1])).toBe(true);
  });

  it('samples carry their leaf line and the user\'s line; lanes their CPU time', async () => {
    const r = await queryTrace(model, `SELECT count(*), count(DISTINCT lane), sum(user_file LIKE '%bank_transfer.py') FROM samples`);
    expect(r.rows[0]?.[0]).toBe(model.samples.count);
    expect(r.rows[0]?.[2] as number).toBeGreaterThan(0);
    const lanes = await queryTrace(model, `SELECT name, cpu_ms FROM lanes WHERE kind = 'thread' ORDER BY lane`);
    expect(lanes.rows.map((row) => row[0])).toContain('auditor');
  });

  it('every table loads and every documented column exists', async () => {
    const all = TABLES.map((t) => `SELECT ${t.columns.map((c) => c.name).join(', ')} FROM ${t.name} LIMIT 1`).join(';\n');
    const r = await queryTrace(model, `${all}; SELECT count(*) FROM waits`);
    expect(r.rows[0]?.[0]).toBe(model.waits.count);
    expect(r.load.tables.length).toBe(TABLES.filter((t) => t.view === undefined).length);
  });
});

describe('weft query on fixtures and in the CLI', () => {
  it('times are ns and ms since the trace start; flags and names are readable', async () => {
    const m = await loadTrace(path.join(FIXTURES, 'contention'));
    const r = await queryTrace(m, `SELECT l.name, w.reason, w.begin_ns, w.dur_ms, w.open, w.timed_out FROM waits w JOIN lanes l USING (lane) ORDER BY w.begin_ns`);
    expect(r.rows).toContainEqual(['worker-b', 'lock', 100_000_000, 100, 0, 0]);
    expect(r.rows.filter((row) => row[4] === 1).map((row) => row[0])).toEqual(['worker-c']);
    const flows = await queryTrace(m, `SELECT kind, count(*) FROM flows GROUP BY kind`);
    expect(flows.rows).toEqual([['unblock', 4]]);
  });

  it('prints an aligned table, CSV and JSON; --schema lists every table', async () => {
    const r = { columns: ['name', 'ms'], rows: [['a', 1.5], ['b,"c"', null]] };
    expect(formatTable(r)).toBe('name     ms\n-----  ----\na       1.5\nb,"c"  NULL\n(2 rows)\n');
    expect(formatCsv(r)).toBe('name,ms\r\na,1.5\r\n"b,""c""",\r\n');
    const out = capture();
    const err = capture();
    expect(await main(['query', 'contention', 'SELECT name FROM lanes ORDER BY lane LIMIT 2', '--json'], { stdout: out, stderr: err, cwd: FIXTURES })).toBe(0);
    expect(JSON.parse(out.text())).toEqual([{ name: 'MainThread' }, { name: 'worker-a' }]);
    const schema = capture();
    expect(await main(['query', '--schema'], { stdout: schema, stderr: err, cwd: FIXTURES })).toBe(0);
    for (const t of TABLES) expect(schema.text()).toContain(`\n${t.name}`.slice(t === TABLES[0] ? 1 : 0));
  });

  it('an SQL error is one line with exit 2', async () => {
    const out = capture();
    const err = capture();
    expect(await main(['query', 'contention', 'SELECT nope FROM waits'], { stdout: out, stderr: err, cwd: FIXTURES })).toBe(2);
    expect(err.text()).toMatch(/^weft: SQL error: no such column: nope \("weft query --schema" lists the tables and columns\)\n$/);
  });

  it('names the tables a query reads, with what its views read', () => {
    expect([...tablesNamed('select * from samples s join lanes using(lane)')].sort()).toEqual(['lanes', 'sample_rows', 'samples', 'sites']);
    expect([...tablesNamed('SELECT 1')]).toEqual([]);
  });
});
