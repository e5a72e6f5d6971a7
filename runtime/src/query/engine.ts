/**
 * `weft query`: SQL over a trace, with SQLite compiled to WebAssembly (sql.js). Why sql.js:
 * it installs from npm with nothing to compile and no native binary per platform or Electron
 * version (better-sqlite3 and DuckDB's Node API are native modules), bundles with esbuild,
 * runs offline, and SQLite's SQL is the one most users already know. Its cost is speed of
 * loading: every value crosses from JS into the wasm heap. So:
 *
 * - only the tables the SQL names are filled (a query about waits does not load samples);
 *   every table is created, so a wrong name is SQLite's "no such column", not "no such table";
 * - rows go in through prepared INSERT statements of 64 rows each, all in one transaction:
 *   measured on 600,000 rows of 14 columns, 4.0 s, where one row per statement took 5.2 s,
 *   literal values in SQL text (parsed by SQLite) 9.8 s and a JSON array per batch read with
 *   json_each 15 s;
 * - durations and ms columns are VIRTUAL generated columns, computed when read, so they cost
 *   neither storage nor insert time.
 *
 * The wasm file is read from beside the bundle (dist/sql-wasm.wasm, copied by
 * scripts/build.mjs), else from node_modules (tests, development).
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Database, SqlJsStatic } from 'sql.js';
import { firstLine } from '../format/safe-values';
import type { TraceModel } from '../model/types';
import { TABLES, createStatement, storedColumns, type SqlValue, type TableDef } from './tables';

/** An error in the user's SQL (or a query SQLite refuses): one line, said as SQLite says it. */
export class QueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryError';
  }
}

export interface QueryResult {
  columns: string[];
  rows: SqlValue[][];
}

export interface LoadStats {
  tables: { name: string; rows: number }[];
  seconds: number;
}

let sqlJs: Promise<SqlJsStatic> | null = null;

function wasmPath(): string {
  const beside = path.join(__dirname, 'sql-wasm.wasm');
  if (existsSync(beside)) return beside;
  try {
    return require.resolve('sql.js/dist/sql-wasm.wasm');
  } catch {
    throw new QueryError(`the SQL engine's sql-wasm.wasm is missing (looked beside ${__dirname} and in node_modules/sql.js). Run "npm run build" in the Weft folder.`);
  }
}

/** Starts SQLite once per process. */
export function sqlEngine(): Promise<SqlJsStatic> {
  sqlJs ??= (async () => {
    const wasmBinary = readFileSync(wasmPath());
    // sql.js's loader: required lazily so that commands other than query never load it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const init = require('sql.js') as (config: { wasmBinary: ArrayBuffer }) => Promise<SqlJsStatic>;
    return init({ wasmBinary: wasmBinary.buffer.slice(wasmBinary.byteOffset, wasmBinary.byteOffset + wasmBinary.byteLength) as ArrayBuffer });
  })();
  return sqlJs;
}

/** Rows per INSERT statement: one step() of the prepared statement inserts this many. */
const ROWS_PER_INSERT = 64;

/** Fills one table from the model with prepared multi-row INSERTs; returns its row count. */
function fill(db: Database, t: TableDef, model: TraceModel): number {
  if (t.rows === undefined) return 0;
  const stored = storedColumns(t);
  const one = `(${stored.map(() => '?').join(',')})`;
  const head = `INSERT INTO ${t.name} (${stored.map((c) => c.name).join(', ')}) VALUES `;
  const many = db.prepare(head + new Array<string>(ROWS_PER_INSERT).fill(one).join(','));
  const single = db.prepare(head + one);
  const values: SqlValue[] = [];
  let pending = 0;
  let n = 0;
  try {
    t.rows(model, (row) => {
      // NUL ends SQL text inside SQLite's C strings; a trace's string may hold one.
      for (const v of row) values.push(typeof v === 'string' && v.includes('\0') ? v.replace(/\0/g, '\uFFFD') : typeof v === 'number' && !Number.isFinite(v) ? null : v);
      n++;
      if (++pending === ROWS_PER_INSERT) {
        many.run(values);
        values.length = 0;
        pending = 0;
      }
    });
    const width = stored.length;
    for (let r = 0; r < pending; r++) single.run(values.slice(r * width, (r + 1) * width));
  } finally {
    many.free();
    single.free();
  }
  return n;
}

/** The tables an SQL text names (views bring the tables they read). */
export function tablesNamed(sql: string): Set<string> {
  const words = new Set(sql.toLowerCase().match(/[a-z_][a-z0-9_]*/g) ?? []);
  const out = new Set<string>();
  const add = (name: string): void => {
    if (out.has(name)) return;
    out.add(name);
    const t = TABLES.find((x) => x.name === name);
    for (const r of t?.view?.reads ?? []) add(r);
  };
  for (const t of TABLES) if (words.has(t.name)) add(t.name);
  return out;
}

/** A database with every table created and the ones in `fillTables` (default: all) filled. */
export async function openTraceDatabase(model: TraceModel, fillTables?: Set<string>): Promise<{ db: Database; stats: LoadStats }> {
  const SQL = await sqlEngine();
  const t0 = process.hrtime.bigint();
  const db = new SQL.Database();
  const stats: LoadStats = { tables: [], seconds: 0 };
  try {
    db.run('PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; BEGIN');
    for (const t of TABLES) if (t.view === undefined) db.run(createStatement(t));
    for (const t of TABLES) if (t.view !== undefined) db.run(createStatement(t));
    for (const t of TABLES) {
      if (t.view !== undefined || (fillTables !== undefined && !fillTables.has(t.name))) continue;
      stats.tables.push({ name: t.name, rows: fill(db, t, model) });
    }
    db.run('COMMIT');
  } catch (e) {
    db.close();
    throw e;
  }
  stats.seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { db, stats };
}

/** Runs the SQL (one or more statements) over the trace; the last statement's rows are the result. */
export async function queryTrace(model: TraceModel, sql: string): Promise<QueryResult & { load: LoadStats }> {
  const { db, stats } = await openTraceDatabase(model, tablesNamed(sql));
  try {
    // Statement by statement, so that a SELECT with no rows still has its columns.
    let last: QueryResult = { columns: [], rows: [] };
    try {
      for (const stmt of db.iterateStatements(sql)) {
        try {
          const columns = stmt.getColumnNames();
          const rows: SqlValue[][] = [];
          while (stmt.step()) rows.push(stmt.get() as SqlValue[]);
          if (columns.length > 0) last = { columns, rows };
        } finally {
          stmt.free();
        }
      }
    } catch (e) {
      throw new QueryError(`SQL error: ${firstLine((e as Error).message)} ("weft query --schema" lists the tables and columns)`);
    }
    return { ...last, load: stats };
  } finally {
    db.close();
  }
}
