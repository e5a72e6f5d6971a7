/**
 * Processes: one per file, linked to their parents and given an exit code.
 *
 * Parentage prefers the parent's own `P` record (which thread started the child, when, from
 * which line) and falls back to the header's ppid. Exit codes come from the process's end
 * record, then from its parent's `Q` record (the only witness when the child was killed), and
 * for the launched process from the launcher's run.json, which saw the real exit status.
 * A pid can be reused within a run, so a `P`/`Q` is matched to the process of that pid
 * closest in time.
 *
 * A `P` whose pid has no file at all started a child that did not run Python under the agent
 * (`subprocess.Popen(["sleep", "0.2"])`): it becomes an untraced process (`traced: false`)
 * after all traced ones, living from the `P` to its parent's first later `Q` for that pid (else
 * to the parent's end), with its exit code or signal from that `Q`.
 */
import type { Ns, RunInfo } from '../../format/spec';
import type { ChildExit, ChildStart, ParsedFile } from '../parsed-file';
import type { HostInfo, ProcessInfo } from '../types';
import { commandLabel, processLabel } from '../process-label';
import { ready, type FileContext, type ModelHandler } from './handler';

/** How a process was started, as seen by its parent. */
export interface StartLink {
  /** Parent process index. */
  process: number;
  tid: number;
  ts: number;
  /** Site index in the parent's file ids (re-keyed by the flows handler). */
  site: number | null;
  how: string;
  /** The starter's label for it (`P` record), or null. */
  label: string | null;
}

export interface ProcessesData {
  processes: ProcessInfo[];
  /** What the trace lacks, per process: a file cut short that its parent did not end. */
  warnings: string[];
  /** Machines in order of their first file (v1 files: one host with id ""). */
  hosts: HostInfo[];
  /** Per process: the `P` record that started it, when one was found. */
  startedBy: (StartLink | null)[];
}

/** "<host id>/p<pid>.<serial>", or "p<pid>.<serial>" for v1 files (no host): the key of a
 * process file, which lane ids start with. */
export function processKeyOf(h: { pid: number; serial: number; host?: { id: string } | undefined }): string {
  return `${h.host?.id ? `${h.host.id}/` : ''}p${h.pid}.${h.serial}`;
}

export class ProcessesHandler implements ModelHandler<ProcessesData> {
  private processes: ProcessInfo[] = [];
  private starts: { from: number; rec: ChildStart }[] = [];
  private exits: { from: number; rec: ChildExit }[] = [];
  private hosts: HostInfo[] = [];
  private result: ProcessesData | null = null;

  constructor(private readonly run: RunInfo | null = null) {}

  private hostOf(h: ParsedFile['header']): number {
    const id = h.host?.id ?? '';
    let host = this.hosts.find((x) => x.id === id);
    if (host === undefined) {
      host = { index: this.hosts.length, id, name: h.host?.name ?? '' };
      this.hosts.push(host);
    }
    return host.index;
  }

  reset(): void {
    this.hosts = [];
    this.processes = [];
    this.starts = [];
    this.exits = [];
    this.result = null;
  }

  handleFile(f: ParsedFile, ctx: FileContext): void {
    const h = f.header;
    const index = this.processes.length;
    ctx.process = index;
    const host = this.hostOf(h);
    this.processes.push({
      index, host, hostId: h.host?.id ?? '', pid: h.pid, ppid: h.ppid, serial: h.serial, argv: h.argv, python: h.python, startMethod: h.startMethod,
      startNs: h.startNs as Ns, endNs: Math.max(h.startNs, f.endNs) as Ns, complete: f.complete,
      exitCode: f.complete ? f.exitCode : null, endReason: f.complete ? f.endReason : null, parent: null, sampleHz: h.sampleHz,
      traced: true,
    });
    for (const rec of f.children) this.starts.push({ from: index, rec });
    for (const rec of f.childExits) this.exits.push({ from: index, rec });
  }

  finalize(): void {
    // A pid names a process on its host only: (host, pid) is the key everywhere.
    const pidKey = (host: number | undefined, pid: number): string => `${host ?? 0}:${pid}`;
    const byPid = new Map<string, ProcessInfo[]>();
    for (const p of this.processes) {
      const key = pidKey(p.host, p.pid);
      const list = byPid.get(key) ?? [];
      list.push(p);
      byPid.set(key, list);
    }
    const closest = (pid: number, ts: number, exclude: number, from: number): ProcessInfo | undefined => {
      let best: ProcessInfo | undefined;
      const host = from >= 0 ? this.processes[from]?.host : undefined;
      const list = from >= 0 ? byPid.get(pidKey(host, pid)) : this.processes.filter((p) => p.pid === pid);
      for (const p of list ?? []) {
        if (p.index === exclude) continue;
        if (best === undefined || Math.abs(p.startNs - ts) < Math.abs(best.startNs - ts)) best = p;
      }
      return best;
    };
    const startedBy: (StartLink | null)[] = this.processes.map(() => null);
    const untraced: { from: number; rec: ChildStart }[] = [];
    for (const { from, rec } of this.starts) {
      const child = closest(rec.pid, rec.ts, from, from);
      if (child === undefined) untraced.push({ from, rec });
      if (child === undefined || startedBy[child.index] !== null) continue;
      startedBy[child.index] = { process: from, tid: rec.tid, ts: rec.ts, site: rec.site, how: rec.how, label: rec.label };
      child.parent = from;
    }
    for (const p of this.processes) {
      if (p.parent !== null) continue;
      // The ppid's process alive when this one started (pids are reused only after exit).
      const candidates = (byPid.get(pidKey(p.host, p.ppid)) ?? []).filter((q) => q.index !== p.index && q.startNs <= p.startNs);
      const parent = candidates.sort((a, b) => b.startNs - a.startNs)[0];
      if (parent !== undefined) p.parent = parent.index;
    }
    this.addUntraced(untraced, startedBy);
    for (const { from, rec } of this.exits) {
      const child = closest(rec.pid, rec.ts, -1, from);
      if (child === undefined || child.exitCode !== null || child.startNs > rec.ts) continue;
      if (rec.code >= 0) {
        child.exitCode = rec.code;
        if (child.endReason === null) child.endReason = 'exit';
      } else if (child.endReason === null || (rec.endedBy === 'parent' && child.endedByParent !== true)) {
        // A forkserver child has two witnesses: the fork server that reaped it, and the process
        // that asked for it (and may have signalled it): the one that sent the signal wins.
        child.endedByParent = rec.endedBy === 'parent';
        child.endReason = child.endedByParent ? `ended by its parent (signal ${-rec.code})` : `killed by signal ${-rec.code}`;
      }
    }
    const warnings: string[] = [];
    for (const p of this.processes) {
      if (p.traced === false) continue;
      const link = startedBy[p.index];
      p.label = processLabel(p.argv, p.startMethod, link?.label ?? null);
      if (p.complete || p.endedByParent === true) continue;
      warnings.push(`process ${p.pid} was cut short (killed or crashed?): read up to ${seconds(p.endNs - p.startNs)} after it started; its trace has no end record.`);
    }
    const run = this.run;
    if (run !== null) {
      const root = this.processes.find((p) => p.parent === null && p.startMethod === 'main');
      if (root !== undefined) {
        if (typeof run.exitCode === 'number') root.exitCode = run.exitCode;
        else if (run.signal) {
          root.exitCode = null;
          root.endReason = `killed by ${run.signal}`;
        }
      }
    }
    this.result = { processes: this.processes, hosts: this.hosts, startedBy, warnings };
  }

  /** One process per `P` whose pid has no file (see the file comment); `byPid` leaves them out,
   * so the `Q` records that end them match no traced process. */
  private addUntraced(untraced: { from: number; rec: ChildStart }[], startedBy: (StartLink | null)[]): void {
    const usedExits = new Set<number>();
    const tracedCount = this.processes.length;
    for (const { from, rec } of untraced) {
      const parent = this.processes[from] as ProcessInfo;
      let exit: ChildExit | undefined;
      let exitAt = -1;
      this.exits.forEach((e, i) => {
        if (e.from !== from || e.rec.pid !== rec.pid || e.rec.ts < rec.ts || usedExits.has(i)) return;
        if (exit === undefined || e.rec.ts < exit.ts) {
          exit = e.rec;
          exitAt = i;
        }
      });
      if (exit !== undefined) usedExits.add(exitAt);
      const index = this.processes.length;
      const code = exit?.code ?? null;
      this.processes.push({
        index, host: parent.host ?? 0, hostId: parent.hostId ?? '', pid: rec.pid, ppid: parent.pid, serial: -1 - (index - tracedCount), argv: [...rec.argv], python: '',
        startMethod: rec.how, startNs: rec.ts as Ns, endNs: Math.max(rec.ts, exit?.ts ?? parent.endNs) as Ns,
        complete: exit !== undefined,
        exitCode: code !== null && code >= 0 ? code : null,
        endReason: code === null ? null : code >= 0 ? 'exit' : exit?.endedBy === 'parent' ? `ended by its parent (signal ${-code})` : `killed by signal ${-code}`,
        parent: from, sampleHz: 0, traced: false, label: rec.label ?? commandLabel(rec.argv), endedByParent: code !== null && code < 0 && exit?.endedBy === 'parent',
      });
      startedBy.push({ process: from, tid: rec.tid, ts: rec.ts, site: rec.site, how: rec.how, label: rec.label });
    }
  }

  data(): ProcessesData {
    return ready(this.result, 'ProcessesHandler');
  }
}

/** A duration as the reader's warnings write it: "240.0 ms", "1.25 s". */
function seconds(ns: number): string {
  return ns >= 1e9 ? `${(ns / 1e9).toFixed(2)} s` : `${(ns / 1e6).toFixed(1)} ms`;
}
