/** Writes small traces into temporary directories for tests. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { TraceHeader } from '../../../../runtime/src/format/spec';

export const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'fixtures');

export function header(over: Partial<TraceHeader> = {}): TraceHeader {
  return {
    format: 'weft-trace', version: 1, agent: 'test', pid: 1, ppid: 0, serial: 0, python: '3.11.7',
    implementation: 'cpython', gil: true, platform: 'linux', clock: 'CLOCK_MONOTONIC', startNs: 1_000_000_000,
    wallNs: 0, argv: ['prog.py'], cwd: '/w', executable: '/usr/bin/python3', startMethod: 'main', sampleHz: 0, ...over,
  };
}

export function tempDir(prefix = 'weft-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/**
 * Writes one process file: the header, the records (arrays are JSON-encoded, strings written
 * as they are), and an end record counting them unless `end` is false.
 */
export function writeProcessFile(dir: string, h: TraceHeader, records: (unknown[] | string)[], end: boolean | number = true): string {
  mkdirSync(dir, { recursive: true });
  const lines = [JSON.stringify(h), ...records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r)))];
  if (end !== false) {
    const last = typeof end === 'number' ? end : h.startNs + 1_000_000;
    lines.push(JSON.stringify(['Z', last, 'exit', 0, records.length]));
  }
  const file = path.join(dir, `weft-${h.pid}-${h.serial}.jsonl`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}
