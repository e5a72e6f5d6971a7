/**
 * Counters: each process's `V` series, kept per process and name. A loop-lag series
 * ("loop_lag:<file lane id>") also gets the model lane of its loop thread, since the id in its
 * name is the file's and views cannot map it.
 */
import { LOOP_LAG_COUNTER } from '../../format/spec';
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
    for (const c of f.counters) {
      const series: CounterSeries = { process: ctx.process, name: c.name, ts: c.ts, value: c.value };
      if (c.name.startsWith(LOOP_LAG_COUNTER)) {
        const id = c.name.slice(LOOP_LAG_COUNTER.length);
        const lane = /^\d{1,9}$/.test(id) ? ctx.lanes.get(Number(id)) : -1;
        if (lane >= 0) series.lane = lane;
      }
      this.series.push(series);
    }
  }

  finalize(): void {
    this.result = this.series;
  }

  data(): CounterSeries[] {
    return ready(this.result, 'CountersHandler');
  }
}
