/** How `weft query` prints rows: an aligned table (default), JSON objects, or CSV. */
import type { QueryResult } from './engine';
import type { SqlValue } from './tables';

/** A number for the table: integers as they are, others to at most 6 decimals. */
function cell(v: SqlValue): string {
  if (v === null) return 'NULL';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 1e6) / 1e6);
  // One line per row: control characters would break the table.
  return v.replace(/[\u0000-\u001f\u007f]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : '?'));
}

export function formatTable(r: QueryResult): string {
  if (r.columns.length === 0) return '(no result)\n';
  const text = r.rows.map((row) => row.map(cell));
  const numeric = r.columns.map((_, c) => r.rows.length > 0 && r.rows.every((row) => row[c] === null || typeof row[c] === 'number'));
  const width = r.columns.map((name, c) => Math.max(name.length, ...text.map((row) => (row[c] as string).length)));
  const line = (cells: string[]): string => cells.map((s, c) => (numeric[c] ? s.padStart(width[c] as number) : s.padEnd(width[c] as number))).join('  ').trimEnd();
  const out = [line(r.columns), line(width.map((w) => '-'.repeat(w))), ...text.map(line)];
  return `${out.join('\n')}\n(${r.rows.length} row${r.rows.length === 1 ? '' : 's'})\n`;
}

export function formatJson(r: QueryResult): string {
  const objects = r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row[i] ?? null])));
  return `${JSON.stringify(objects, null, 2)}\n`;
}

const csvCell = (v: SqlValue): string => {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function formatCsv(r: QueryResult): string {
  return [r.columns.map(csvCell), ...r.rows.map((row) => row.map(csvCell))].map((l) => `${l.join(',')}\r\n`).join('');
}
