/**
 * Writes bytes to a Node stream in large chunks, waiting for 'drain' when the stream's buffer
 * is full, so an exporter can produce gigabytes while holding one chunk. Shared by the Perfetto
 * and speedscope exports (the Chrome export keeps its own string batches).
 */
import type { Writable } from 'node:stream';

export class ByteSink {
  private chunk: Uint8Array;
  private used = 0;
  private failed: Error | null = null;
  /** Bytes handed to the stream so far, plus those still in the chunk. */
  get bytes(): number {
    return this.flushed + this.used;
  }
  private flushed = 0;
  private readonly onError = (e: Error): void => {
    this.failed = e;
  };
  private readonly encoder = new TextEncoder();

  constructor(private readonly out: Writable, chunkBytes = 1 << 20) {
    this.chunk = new Uint8Array(chunkBytes);
    out.on('error', this.onError);
  }

  /** Appends bytes (copied); flushes first when they do not fit. */
  async write(bytes: Uint8Array): Promise<void> {
    if (this.used + bytes.length > this.chunk.length) await this.flush();
    if (bytes.length > this.chunk.length) {
      await this.send(bytes.slice());
      return;
    }
    this.chunk.set(bytes, this.used);
    this.used += bytes.length;
  }

  get capacity(): number {
    return this.chunk.length;
  }

  /** True when `n` more bytes fit without a flush (callers that write synchronously check). */
  fits(n: number): boolean {
    return this.used + n <= this.chunk.length;
  }

  /** Appends bytes that {@link fits} said fit, synchronously. */
  put(bytes: Uint8Array): void {
    this.chunk.set(bytes, this.used);
    this.used += bytes.length;
  }

  /** Appends the first `n` bytes of `buf`, which {@link fits} said fit, synchronously. */
  putRange(buf: Uint8Array, n: number): void {
    for (let i = 0; i < n; i++) this.chunk[this.used + i] = buf[i] as number;
    this.used += n;
  }

  async text(s: string): Promise<void> {
    await this.write(this.encoder.encode(s));
  }

  async flush(): Promise<void> {
    if (this.used === 0) return;
    const data = this.chunk.slice(0, this.used);
    this.used = 0;
    await this.send(data);
  }

  private send(data: Uint8Array): Promise<void> {
    if (this.failed !== null) throw this.failed;
    this.flushed += data.length;
    if (this.out.write(data)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        this.out.off('error', fail);
        resolve();
      };
      const fail = (e: Error): void => {
        this.out.off('drain', done);
        reject(e);
      };
      this.out.once('drain', done);
      this.out.once('error', fail);
    });
  }

  /** Flushes, and ends the stream unless `close` is false (stdout). */
  async finish(close: boolean): Promise<void> {
    await this.flush();
    this.out.off('error', this.onError);
    if (this.failed !== null) throw this.failed;
    if (!close) return;
    await new Promise<void>((resolve, reject) => {
      this.out.once('error', reject);
      this.out.end(() => resolve());
    });
  }
}
