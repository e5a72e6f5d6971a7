/**
 * Piscina worker entry (bundled to dist/parse-worker.js): parses one process file and sends
 * the result back with its typed arrays transferred, not copied. All logic is in
 * model/parse-file.ts; errors come back as data so their code and message survive the
 * thread boundary (structured cloning drops an Error's class and extra fields).
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { parseProcessFile } from '../model/parse-file';
import { transferables } from '../model/parsed-file';
import type { ParseReply, ParseTask } from '../model/parser-pool';
import { TraceError } from '../reader/read-trace';

export default async function parse(task: ParseTask): Promise<unknown> {
  try {
    const parsed = await parseProcessFile(task.file, { chunkBytes: task.chunkBytes });
    const reply: ParseReply = { ok: true, parsed };
    return move({ [transferableSymbol]: transferables(parsed), [valueSymbol]: reply } as never);
  } catch (e) {
    const reply: ParseReply = e instanceof TraceError
      ? { ok: false, code: e.code, message: e.message }
      : { ok: false, code: null, message: (e as Error).stack ?? String(e) };
    return reply;
  }
}
