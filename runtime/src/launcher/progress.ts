/**
 * Live progress of a run for the editor: how many records the agent has written so far.
 * Cheap polling: each tick lists the trace directory and reads only the bytes each file
 * gained since the last tick, counting newlines (one record per line). The bytes were just
 * written, so they come from the page cache.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { PROCESS_FILE_PATTERN } from '../format/spec';

export interface RunProgress {
  /** Process files (one per traced process). */
  files: number;
  /** Records written so far, over all files (headers not counted). */
  records: number;
  bytes: number;
  elapsedMs: number;
}

export class ProgressWatcher {
  private readonly offsets = new Map<string, { bytes: number; lines: number }>();
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private readonly started = Date.now();
  private readonly buf = Buffer.allocUnsafe(1 << 20);

  constructor(private readonly dir: string, private readonly onProgress: (p: RunProgress) => void, private readonly intervalMs = 500) {}

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops polling after one last count, so the final numbers are reported. */
  async stop(): Promise<RunProgress> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.polling;
    return this.poll();
  }

  /** Counts what was added since the last poll; polls never overlap. */
  poll(): Promise<RunProgress> {
    const run = (async (): Promise<RunProgress> => {
      await this.polling;
      let names: string[] = [];
      try {
        names = (await fsp.readdir(this.dir)).filter((n) => PROCESS_FILE_PATTERN.test(n));
      } catch {
        // Not created yet: the agent makes it when it starts.
      }
      for (const n of names) await this.count(path.join(this.dir, n));
      let records = 0;
      let bytes = 0;
      for (const o of this.offsets.values()) {
        records += Math.max(0, o.lines - 1);
        bytes += o.bytes;
      }
      const p = { files: this.offsets.size, records, bytes, elapsedMs: Date.now() - this.started };
      this.onProgress(p);
      return p;
    })();
    this.polling = run.then(() => undefined, () => undefined);
    return run;
  }

  private async count(file: string): Promise<void> {
    const o = this.offsets.get(file) ?? { bytes: 0, lines: 0 };
    this.offsets.set(file, o);
    let fh;
    try {
      fh = await fsp.open(file, 'r');
    } catch {
      return;
    }
    try {
      for (;;) {
        const { bytesRead } = await fh.read(this.buf, 0, this.buf.length, o.bytes);
        if (bytesRead === 0) break;
        let at = this.buf.indexOf(10, 0);
        while (at !== -1 && at < bytesRead) {
          o.lines++;
          at = this.buf.indexOf(10, at + 1);
        }
        o.bytes += bytesRead;
      }
    } finally {
      await fh.close();
    }
  }
}
