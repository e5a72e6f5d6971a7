/**
 * Messages between processes: one row per item put on a multiprocessing Queue, SimpleQueue or
 * JoinableQueue, or sent through a Pipe, joined from the two ends of its `queue`/`pipe` flow
 * (format/spec.ts, `L`): `s` in the sender, `f` in the receiver with the pickled size. A
 * message that was never taken (still queued at exit, or its receiver died) has no receiver
 * and counts as unreceived. When an end repeats (it should not), the earliest one counts.
 *
 * The channel is the sender's object, else the receiver's; with globalKey merging
 * (handlers/interning.ts) both name the same model object anyway.
 */
import type { Ns } from '../../format/spec';
import type { ParsedFile } from '../parsed-file';
import type { ChannelMessage } from '../types';
import { ready, type FileContext, type ModelHandler } from './handler';

/** Flow kinds that are messages between processes. */
export const MESSAGE_KINDS: ReadonlySet<string> = new Set(['queue', 'pipe']);

interface End {
  ts: number;
  lane: number;
  object: number | null;
  size: number | null;
}

interface Pair {
  kind: string;
  send: End | null;
  recv: End | null;
}

export class MessagesHandler implements ModelHandler<ChannelMessage[]> {
  private pairs = new Map<string, Pair>();
  private result: ChannelMessage[] | null = null;

  reset(): void {
    this.pairs = new Map();
    this.result = null;
  }

  handleFile(f: ParsedFile, ctx: FileContext): void {
    for (const e of f.flowEnds) {
      if (!MESSAGE_KINDS.has(e.kind) || e.phase === 't') continue;
      const object = e.object === null ? -1 : ctx.objects.get(e.object);
      const end: End = { ts: e.ts, lane: ctx.lanes.get(e.tid), object: object >= 0 ? object : null, size: e.size };
      let p = this.pairs.get(e.key);
      if (p === undefined) {
        p = { kind: e.kind, send: null, recv: null };
        this.pairs.set(e.key, p);
      }
      if (e.phase === 's') {
        if (p.send === null || end.ts < p.send.ts) p.send = end;
      } else if (p.recv === null || end.ts < p.recv.ts) {
        p.recv = end;
      }
    }
  }

  finalize(): void {
    const out: ChannelMessage[] = [];
    for (const [key, p] of this.pairs) {
      const { send, recv } = p;
      out.push({
        key,
        kind: p.kind,
        object: send?.object ?? recv?.object ?? null,
        sendNs: (send?.ts ?? null) as Ns | null,
        fromLane: send !== null && send.lane >= 0 ? send.lane : null,
        recvNs: (recv?.ts ?? null) as Ns | null,
        toLane: recv !== null && recv.lane >= 0 ? recv.lane : null,
        // The receiver measured what it unpickled; the sender writes no size.
        size: recv?.size ?? send?.size ?? null,
      });
    }
    const when = (m: ChannelMessage): number => m.sendNs ?? m.recvNs ?? Number.POSITIVE_INFINITY;
    out.sort((a, b) => when(a) - when(b) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    this.pairs = new Map();
    this.result = out;
  }

  data(): ChannelMessage[] {
    return ready(this.result, 'MessagesHandler');
  }
}
