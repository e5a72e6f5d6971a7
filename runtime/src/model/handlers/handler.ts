/**
 * Model handlers: the second stage of building the model. Each sees every parsed file in a
 * fixed order (`handleFile`), then `finalize()` once, then offers its result through
 * `data()`; one concern each, in the style of Chrome DevTools' trace handlers. A handler that
 * needs another's result takes it in its constructor and reads it in `finalize()`, so the
 * dependencies are explicit and the order in build-model.ts follows from them.
 *
 * Files carry their own small ids. The first handlers re-key them into model-wide indexes and
 * record the mapping in the {@link FileContext} that later handlers of the same file read.
 * Nothing here imports Node.
 */
import type { TraceHeader } from '../../format/spec';
import type { IdMap } from '../columns';
import type { ParsedFile } from '../parsed-file';

export interface FileContext {
  header: TraceHeader;
  /** Index of the file's process in TraceModel.processes (set by ProcessesHandler). */
  process: number;
  /** File id -> model index maps (set by InterningHandler and LanesHandler). */
  sites: IdMap;
  objects: IdMap;
  frames: IdMap;
  /** File tid -> lane index. */
  lanes: IdMap;
}

export interface ModelHandler<T> {
  reset(): void;
  handleFile(file: ParsedFile, ctx: FileContext): void;
  finalize(): void;
  data(): T;
}

/** Throws when data() is read before finalize(): a broken internal invariant, not bad input. */
export function ready<T>(value: T | null, name: string): T {
  if (value === null) throw new Error(`${name}.data() read before finalize()`);
  return value;
}

export function assertUnreachable(x: never): never {
  throw new Error(`unexpected value ${JSON.stringify(x)}`);
}
