/**
 * Worker entry (bundled to dist/view-worker.js, run by piscina from trace-loader.ts): reads a
 * trace and builds its view data (or exports it) off the extension host's thread, and hands
 * the typed-array columns back without copying. All logic is in trace-loader.ts; errors travel
 * as data so the TraceError's code and message survive the thread boundary.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { TraceError } from '../../runtime/src/reader/read-trace';
import { assertUnreachable } from './assert';
import { exportTraceFile, loadViewData, viewDataTransferables, type WorkerReply, type WorkerTask } from './trace-loader';

export default async function run(task: WorkerTask): Promise<unknown> {
  try {
    switch (task.kind) {
      case 'view': {
        const loaded = await loadViewData(task.target, { live: task.live });
        const reply: WorkerReply = { ok: true, loaded };
        return move({ [transferableSymbol]: viewDataTransferables(loaded.data), [valueSymbol]: reply } as never);
      }
      case 'export':
        await exportTraceFile(task.target, task.out, task.format);
        return { ok: true, loaded: null } satisfies WorkerReply;
      default:
        return assertUnreachable(task);
    }
  } catch (e) {
    const reply: WorkerReply = e instanceof TraceError
      ? { ok: false, code: e.code, message: e.message }
      : { ok: false, code: null, message: (e as Error).message };
    return reply;
  }
}
