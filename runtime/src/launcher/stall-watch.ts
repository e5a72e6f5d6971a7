/**
 * Live stall lines for `weft run`: while the program runs, tails every process file for the
 * agent's `D` records (a deadlock or hang its watchdog found) and turns each into the one
 * sentence of summary/stall-text.ts, so the user reads the cycle while the program still hangs.
 *
 * Cheap and bounded, like progress.ts: each poll reads only the bytes a file gained (at most
 * `MAX_READ` a file a poll; the rest waits for the next poll), splits complete lines, and
 * parses only the few definition records a sentence needs (`S` sites, `O` objects, `T`/`Y`
 * lanes, `N` renames) and `D` itself; every other record is skipped on its first bytes
 * (the agent writes `["X",` with no space). Memory: those definitions, as the file has them.
 * A damaged line is skipped: this is a live hint, the summary reads the file properly after.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { PROCESS_FILE_PATTERN, type StallKind } from '../format/spec';
import { shortSite, stallSentence, type StallMember } from '../summary/stall-text';

/** A stall as found live: the sentence, and the process it is in. */
export interface LiveStall {
  file: string;
  pid: number | null;
  kind: StallKind;
  sentence: string;
}

const MAX_READ = 4 << 20;
/** The record codes read; the others are skipped unparsed. */
const WANTED = new Set(['S', 'O', 'T', 'Y', 'N', 'D']);

interface ObjectDef {
  kind: string;
  name: string;
  site: number | null;
  parent: number | null;
}

/** What one process file has shown so far. */
class FileTail {
  offset = 0;
  pid: number | null = null;
  private rest: Buffer = Buffer.alloc(0);
  private readonly sites = new Map<number, string | null>();
  private readonly objects = new Map<number, ObjectDef>();
  private readonly lanes = new Map<number, string>();

  /** Takes new bytes; returns the stalls among the complete lines. */
  feed(chunk: Buffer, file: string): LiveStall[] {
    const buf = this.rest.length > 0 ? Buffer.concat([this.rest, chunk]) : chunk;
    const found: LiveStall[] = [];
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
      const line = buf.subarray(start, nl);
      start = nl + 1;
      const stall = this.line(line, file);
      if (stall !== null) found.push(stall);
    }
    this.rest = Buffer.from(buf.subarray(start));
    return found;
  }

  private line(line: Buffer, file: string): LiveStall | null {
    // `["D",...`: the code is the third byte; the header (line 1) is an object.
    if (line.length < 5 || line[0] !== 0x5b) {
      if (this.pid === null && line[0] === 0x7b) this.header(line);
      return null;
    }
    if (line[1] !== 0x22 || line[3] !== 0x22 || !WANTED.has(String.fromCharCode(line[2] as number))) return null;
    let r: unknown[];
    try {
      r = JSON.parse(line.toString('utf8')) as unknown[];
    } catch {
      return null;
    }
    const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
    const str = (v: unknown): string => (typeof v === 'string' ? v : '');
    switch (r[0]) {
      case 'S': {
        const id = num(r[1]);
        if (id !== null) this.sites.set(id, shortSite(str(r[2]), num(r[3])));
        return null;
      }
      case 'O': {
        const id = num(r[1]);
        if (id !== null) this.objects.set(id, { kind: str(r[2]), name: str(r[3]), site: num(r[4]), parent: num(r[5]) });
        return null;
      }
      case 'T':
        if (num(r[2]) !== null) this.lanes.set(r[2] as number, str(r[4]));
        return null;
      case 'Y':
        if (num(r[2]) !== null) this.lanes.set(r[2] as number, str(r[5]));
        return null;
      case 'N':
        if (num(r[2]) !== null) this.lanes.set(r[2] as number, str(r[3]));
        return null;
      case 'D':
        return this.stall(r, file);
      default:
        return null;
    }
  }

  private header(line: Buffer): void {
    try {
      const h = JSON.parse(line.toString('utf8')) as { pid?: unknown };
      if (typeof h.pid === 'number') this.pid = h.pid;
    } catch {
      // A cut header: the pid stays unknown.
    }
  }

  private stall(r: unknown[], file: string): LiveStall | null {
    const kind = r[2];
    const lanes = r[3];
    const objects = r[4];
    const sites = r[5];
    if ((kind !== 'deadlock' && kind !== 'hang') || !Array.isArray(lanes) || !Array.isArray(objects) || !Array.isArray(sites)) return null;
    const members: StallMember[] = lanes.map((lane: unknown, i) => {
      const o = this.visible(objects[i]);
      const lid = typeof lane === 'number' ? lane : 0;
      return {
        lane: this.lanes.get(lid) || `lane ${lid}`,
        objectName: o === null ? null : o.def.name !== '' ? o.def.name : `${o.def.kind} ${o.id}`,
        objectSite: o === null || o.def.site === null ? null : (this.sites.get(o.def.site) ?? null),
        waitSite: typeof sites[i] === 'number' ? (this.sites.get(sites[i] as number) ?? null) : null,
      };
    });
    return { file, pid: this.pid, kind, sentence: stallSentence(kind, members) };
  }

  /** The object the user made: the top of the parent chain (the agent writes that already). */
  private visible(id: unknown): { id: number; def: ObjectDef } | null {
    if (typeof id !== 'number' || id === 0) return null;
    let at = id;
    let def = this.objects.get(at);
    for (let hops = 0; def !== undefined && def.parent !== null && hops < 16; hops++) {
      const up = this.objects.get(def.parent);
      if (up === undefined) break;
      at = def.parent;
      def = up;
    }
    return def === undefined ? null : { id: at, def };
  }
}

export class StallWatcher {
  private readonly tails = new Map<string, FileTail>();
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> = Promise.resolve();
  private readonly buf = Buffer.allocUnsafe(1 << 20);

  constructor(private readonly dir: string, private readonly onStall: (s: LiveStall) => void, private readonly intervalMs = 250) {}

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops after one last poll, so a stall written just before the end is reported too. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.poll();
  }

  /** Reads what the files gained; polls never overlap. */
  poll(): Promise<void> {
    const run = this.polling.then(async () => {
      let names: string[] = [];
      try {
        names = (await fsp.readdir(this.dir)).filter((n) => PROCESS_FILE_PATTERN.test(n));
      } catch {
        return; // not created yet
      }
      for (const n of names) await this.read(path.join(this.dir, n));
    });
    this.polling = run.catch(() => undefined);
    return this.polling;
  }

  private async read(file: string): Promise<void> {
    let tail = this.tails.get(file);
    if (tail === undefined) {
      tail = new FileTail();
      this.tails.set(file, tail);
    }
    let fh;
    try {
      fh = await fsp.open(file, 'r');
    } catch {
      return;
    }
    try {
      for (let budget = MAX_READ; budget > 0;) {
        const { bytesRead } = await fh.read(this.buf, 0, Math.min(this.buf.length, budget), tail.offset);
        if (bytesRead === 0) break;
        tail.offset += bytesRead;
        budget -= bytesRead;
        for (const s of tail.feed(this.buf.subarray(0, bytesRead), file)) this.onStall(s);
      }
    } finally {
      await fh.close();
    }
  }
}
