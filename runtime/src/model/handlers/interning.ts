/**
 * Interning: sites, synchronisation objects and stack frames from every file become one
 * model-wide table each, and each file's ids are mapped to their indexes.
 *
 * Sites are shared between processes (a forked child runs the same lines), keyed by file,
 * line and function. Relative file names (Python reports the main script as it was given on
 * the command line) are resolved against the process's working directory, so that views can
 * open them. Frames form one prefix tree: a frame is (parent frame, site), deduplicated.
 * Objects are per process (two processes never share a threading object), except
 * multiprocessing objects whose `O` records carry a globalKey: every definition with the same
 * kind and key, in any process, becomes one model object, so that an mp.Lock's waits in the
 * parent and in each worker are one lock row (their lock statistics merge because the waits
 * of every file are re-keyed to that one index).
 */
import type { ObjectKind } from '../../format/spec';
import { IdMap } from '../columns';
import type { ParsedFile } from '../parsed-file';
import type { FrameNode, SourceSite, SyncObject } from '../types';
import { ready, type FileContext, type ModelHandler } from './handler';

export interface InterningData {
  sites: SourceSite[];
  objects: SyncObject[];
  frames: FrameNode[];
}

const ABSOLUTE = /^(\/|[A-Za-z]:[\\/]|\\\\)/;

/**
 * The absolute form of a source file name recorded by a process whose working directory was
 * `cwd`. Pseudo-files such as `<frozen runpy>` or `<string>` are kept as they are.
 */
export function resolveSourcePath(file: string, cwd: string): string {
  if (file === '' || file.startsWith('<') || ABSOLUTE.test(file) || cwd === '') return file;
  const sep = cwd.includes('\\') && !cwd.includes('/') ? '\\' : '/';
  const parts = cwd.split(/[\\/]/);
  for (const seg of file.split(/[\\/]/)) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (parts.length > 1) parts.pop();
    } else parts.push(seg);
  }
  const joined = parts.join(sep);
  return joined === '' ? sep : joined;
}

export class InterningHandler implements ModelHandler<InterningData> {
  private sites: SourceSite[] = [];
  private siteKeys = new Map<string, number>();
  private objects: SyncObject[] = [];
  /** Model object by kind + globalKey, for objects shared between processes. */
  private shared = new Map<string, number>();
  private frames: FrameNode[] = [];
  private frameKeys = new Map<number, number>();
  private result: InterningData | null = null;

  reset(): void {
    this.sites = [];
    this.siteKeys = new Map();
    this.objects = [];
    this.shared = new Map();
    this.frames = [];
    this.frameKeys = new Map();
    this.result = null;
  }

  intern(file: string, line: number, func: string, defLine?: number): number {
    const key = `${file}\u0000${line}\u0000${func}`;
    let idx = this.siteKeys.get(key);
    if (idx === undefined) {
      idx = this.sites.length;
      const site: SourceSite = { index: idx, file, line, func };
      if (defLine !== undefined) site.defLine = defLine;
      this.sites.push(site);
      this.siteKeys.set(key, idx);
    } else if (defLine !== undefined) {
      // A newer agent in another process knows the def line that an older one did not write.
      const site = this.sites[idx] as SourceSite;
      site.defLine ??= defLine;
    }
    return idx;
  }

  handleFile(f: ParsedFile, ctx: FileContext): void {
    const cwd = f.header.cwd;
    const siteMap = new IdMap(maxOf(f.sites.map((s) => s.id)));
    for (const s of f.sites) siteMap.set(s.id, this.intern(resolveSourcePath(s.file, cwd), s.line, s.func, s.def));
    ctx.sites = siteMap;

    const objMap = new IdMap(maxOf(f.objects.map((o) => o.id)));
    const indexes: number[] = [];
    for (const o of f.objects) {
      const site = o.site === null ? null : nonNegative(siteMap.get(o.site));
      const sharedKey = o.globalKey === undefined ? null : `${o.kind}\u0000${o.globalKey}`;
      const existing = sharedKey === null ? undefined : this.shared.get(sharedKey);
      if (existing !== undefined) {
        // The same multiprocessing object seen again in another process (or redefined in
        // this one): keep the first definition, filling in what it lacked.
        const obj = this.objects[existing] as SyncObject;
        if (obj.name === '' && o.name !== '') obj.name = o.name;
        if (obj.site === null && site !== null) obj.site = site;
        if (obj.role === null && o.role !== null) obj.role = o.role;
        const procs = obj.processes ?? [];
        if (!procs.includes(ctx.process)) procs.push(ctx.process);
        obj.processes = procs;
        objMap.set(o.id, existing);
        indexes.push(existing);
        continue;
      }
      const idx = this.objects.length;
      const obj: SyncObject = {
        index: idx, process: ctx.process, kind: o.kind as ObjectKind, name: o.name, site, parent: null, role: o.role,
        processes: [ctx.process],
      };
      if (o.globalKey !== undefined) obj.globalKey = o.globalKey;
      this.objects.push(obj);
      if (sharedKey !== null) this.shared.set(sharedKey, idx);
      objMap.set(o.id, idx);
      indexes.push(idx);
    }
    // Parents after all objects of the file: a definition order slip must not lose the link.
    // A shared object keeps the parent it was first given.
    f.objects.forEach((o, i) => {
      if (o.parent === null) return;
      const parent = objMap.get(o.parent);
      const self = this.objects[indexes[i] as number] as SyncObject;
      if (parent >= 0 && parent !== self.index && self.parent === null) self.parent = parent;
    });
    ctx.objects = objMap;

    const fr = f.frames;
    const frameMap = new IdMap(maxOf(fr.id));
    for (let i = 0; i < fr.count; i++) {
      const parent = frameMap.get((fr.parent[i] as number) < 0 ? null : (fr.parent[i] as number));
      const site = siteMap.get(fr.site[i] as number);
      const key = (parent + 1) * 16_777_216 + site + 1;
      const exact = parent < 16_777_215 && site < 16_777_215;
      let idx = exact ? this.frameKeys.get(key) : undefined;
      if (idx === undefined) {
        idx = this.frames.length;
        this.frames.push({ parent, site });
        if (exact) this.frameKeys.set(key, idx);
      }
      frameMap.set(fr.id[i] as number, idx);
    }
    ctx.frames = frameMap;
  }

  finalize(): void {
    this.siteKeys = new Map();
    this.shared = new Map();
    this.frameKeys = new Map();
    this.result = { sites: this.sites, objects: this.objects, frames: this.frames };
  }

  data(): InterningData {
    return ready(this.result, 'InterningHandler');
  }
}

function maxOf(ids: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < ids.length; i++) if ((ids[i] as number) > m) m = ids[i] as number;
  return m;
}

function nonNegative(i: number): number | null {
  return i >= 0 ? i : null;
}
