/**
 * Where files are parsed: in worker threads (piscina) or in this thread. Both implement
 * {@link TraceFileParser} and call the same pure function (parse-file.ts), so they return the
 * same data; tests compare them.
 *
 * Workers pay off only when there is real parallel work: starting one costs ~30 ms and the
 * merge stays on the main thread. So by default they are used when at least two files are big.
 * If the pool cannot start (the worker bundle is missing, piscina is not installed), files are
 * parsed here instead and a warning says so: slower, never wrong.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { TraceError, type ReadOptions, type TraceErrorCode, type TraceFile } from '../reader/read-trace';
import { parseProcessFile } from './parse-file';
import type { ParsedFile } from './parsed-file';

export interface TraceFileParser {
  readonly kind: 'in-process' | 'workers';
  parse(file: string): Promise<ParsedFile>;
  /** Warnings about the parser itself (a fallback from workers). */
  readonly warnings: string[];
  close(): Promise<void>;
}

/** The task a parse worker receives. */
export interface ParseTask {
  file: string;
  chunkBytes?: number;
}

/** What a parse worker returns: errors travel as data so their code and message survive. */
export type ParseReply = { ok: true; parsed: ParsedFile } | { ok: false; code: TraceErrorCode | null; message: string };

export class InProcessParser implements TraceFileParser {
  readonly kind = 'in-process';
  readonly warnings: string[] = [];
  constructor(private readonly opts: ReadOptions = {}) {}
  parse(file: string): Promise<ParsedFile> {
    return parseProcessFile(file, this.opts);
  }
  async close(): Promise<void> {}
}

interface PiscinaLike {
  run(task: unknown): Promise<unknown>;
  destroy(): Promise<void>;
  on(event: 'error', listener: (e: Error) => void): unknown;
}

export class WorkerParser implements TraceFileParser {
  readonly kind = 'workers';
  readonly warnings: string[] = [];
  private readonly fallback: InProcessParser;
  private failed = false;

  /**
   * Rejects when the pool reports a worker error. A worker that fails to load (a missing or
   * broken bundle) makes piscina emit 'error' while the task itself never settles, so every
   * task races this promise.
   */
  private readonly broken: Promise<never>;

  private constructor(private readonly pool: PiscinaLike, private readonly opts: ReadOptions) {
    this.fallback = new InProcessParser(opts);
    this.broken = new Promise<never>((_, reject) => {
      pool.on('error', (e: Error) => reject(e));
    });
    this.broken.catch(() => undefined);
  }

  /** Starts a pool of `threads` workers running `workerFile` (dist/parse-worker.js). */
  static async create(workerFile: string, threads: number, opts: ReadOptions = {}): Promise<WorkerParser> {
    if (!existsSync(workerFile)) throw new Error(`the parse worker ${workerFile} does not exist`);
    const { Piscina } = await import('piscina');
    const pool = new Piscina({ filename: workerFile, minThreads: 0, maxThreads: Math.max(1, threads), idleTimeout: 1000 });
    return new WorkerParser(pool, opts);
  }

  async parse(file: string): Promise<ParsedFile> {
    if (this.failed) return this.fallback.parse(file);
    let reply: ParseReply;
    try {
      const task: ParseTask = { file, chunkBytes: this.opts.chunkBytes };
      reply = (await Promise.race([this.pool.run(task), this.broken])) as ParseReply;
    } catch (e) {
      this.failed = true;
      this.warnings.push(`parsing in worker threads failed (${(e as Error).message}); the trace was read in the main thread instead.`);
      return this.fallback.parse(file);
    }
    if (reply.ok) return reply.parsed;
    throw reply.code !== null ? new TraceError(reply.code, reply.message) : new Error(reply.message);
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}

/** The bundled worker entry, next to the running bundle (dist/), or in dist/ of a checkout. */
export function parseWorkerPath(fromDir: string = __dirname): string | null {
  for (const candidate of [path.join(fromDir, 'parse-worker.js'), path.join(fromDir, '..', '..', '..', 'dist', 'parse-worker.js')]) {
    if (existsSync(candidate)) return path.resolve(candidate);
  }
  return null;
}

export type Parallelism = 'auto' | 'always' | 'never';

/** Files at least this big are worth a worker of their own. */
export const BIG_FILE_BYTES = 16 << 20;

/**
 * The parser for a set of files: workers when `parallel` is "always", or "auto" and at least
 * two files are big; otherwise in-process.
 */
export async function createParser(
  files: readonly TraceFile[],
  opts: { parallel?: Parallelism; workerFile?: string | null; threads?: number } & ReadOptions = {},
): Promise<TraceFileParser> {
  const parallel = opts.parallel ?? 'auto';
  const big = files.filter((f) => f.bytes >= BIG_FILE_BYTES).length;
  const want = parallel === 'always' || (parallel === 'auto' && big >= 2);
  if (!want) return new InProcessParser(opts);
  const workerFile = opts.workerFile === undefined ? parseWorkerPath() : opts.workerFile;
  const { availableParallelism } = await import('node:os');
  const threads = opts.threads ?? Math.max(1, Math.min(files.length, availableParallelism()));
  if (workerFile === null) {
    const p = new InProcessParser(opts);
    p.warnings.push('the parse worker (dist/parse-worker.js) was not found; the trace was read in the main thread. Run "npm run build".');
    return p;
  }
  try {
    return await WorkerParser.create(workerFile, threads, opts);
  } catch (e) {
    const p = new InProcessParser(opts);
    p.warnings.push(`worker threads are unavailable (${(e as Error).message}); the trace was read in the main thread.`);
    return p;
  }
}
