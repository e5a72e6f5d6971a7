/** Counters: each process's `V` series, kept per process and name. */
import type { ParsedFile } from '../parsed-file';
import type { CounterSeries } from '../types';
import { ready, type FileContext, type ModelHandler } from './handler';

export class CountersHandler implements ModelHandler<CounterSeries[]> {
  private series: CounterSeries[] = [];
  private result: CounterSeries[] | null = null;

  reset(): void {
    this.series = [];
    this.result = null;
  }

  handleFile(f: ParsedFile, ctx: FileContext): void {
    for (const c of f.counters) this.series.push({ process: ctx.process, name: c.name, ts: c.ts, value: c.value });
  }

  finalize(): void {
    this.result = this.series;
  }

  data(): CounterSeries[] {
    return ready(this.result, 'CountersHandler');
  }
}
