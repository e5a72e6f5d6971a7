/**
 * `weft query`: SQL over a trace, with SQLite compiled to WebAssembly (sql.js). Why sql.js:
 * it installs from npm with nothing to compile and no native binary per platform or Electron
 * version (better-sqlite3 and DuckDB's Node API are native modules), bundles with esbuild,
 * runs offline, and SQLite's SQL is the one most users already know. Its cost is speed of
 * loading: every value crosses from JS into the wasm heap. So:
 *
 * - only the tables the SQL names are filled (a query about waits does not load samples);
 *   every table is created, so a wrong name is SQLite's "no such column", not "no such table";
 * - rows go in as multi-row INSERT statements of literal values (one `exec` per 2,000 rows,
 *   all in one transaction): the parse happens inside SQLite in C, where binding each value
 *   through the JS API cost a call per value (measured in bench/query-load.ts);
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

/** An SQL literal for a value; strings quoted with '' doubled and NUL (which ends SQL text) replaced. */
function literal(v: SqlValue): string {
  if (v === null) return 'NULL';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'NULL';
  return `'${v.replace(/'/g, "''").replace(/\0/g, '\uFFFD')}'`;
}

const BATCH = 2000;

/** Fills one table from the model with batched multi-row INSERTs; returns its row count. */
function fill(db: Database, t: TableDef, model: TraceModel): number {
  if (t.rows === undefined) return 0;
  const cols = storedColumns(t).map((c) => c.name).join(', ');
  const head = `INSERT INTO ${t.name} (${cols}) VALUES `;
  let batch: string[] = [];
  let n = 0;
  t.rows(model, (values) => {
    batch.push(`(${values.map(literal).join(',')})`);
    n++;
    if (batch.length >= BATCH) {
      db.run(head + batch.join(','));
      batch = [];
    }
  });
  if (batch.length > 0) db.run(head + batch.join(','));
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
