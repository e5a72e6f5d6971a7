/**
 * The export formats, one table for the CLI (`weft export --format`) and the VS Code command
 * (Export Trace...): what each is called, its default file name and how it is written.
 */
import type { Writable } from 'node:stream';
import { writeChromeTrace } from '../cli/export-chrome';
import type { TraceModel } from '../model/types';
import { writePerfettoTrace } from './perfetto';
import { writeSpeedscope } from './speedscope';

export type ExportFormatName = 'chrome' | 'perfetto' | 'speedscope';

export interface ExportFormatInfo {
  name: ExportFormatName;
  /** What the format is, for pickers and help. */
  label: string;
  /** Where it opens. */
  opensIn: string;
  /** The default file name beside the trace. */
  fileName: string;
  /** File name endings for save dialogs (without the dot). */
  extensions: string[];
}

export const EXPORT_FORMAT_INFO: Record<ExportFormatName, ExportFormatInfo> = {
  perfetto: {
    name: 'perfetto', label: 'Perfetto trace (protobuf)', opensIn: 'https://ui.perfetto.dev',
    fileName: 'trace.perfetto-trace', extensions: ['perfetto-trace', 'pftrace'],
  },
  chrome: {
    name: 'chrome', label: 'Chrome Trace Event JSON', opensIn: 'https://ui.perfetto.dev or chrome://tracing',
    fileName: 'trace.json', extensions: ['json'],
  },
  speedscope: {
    name: 'speedscope', label: 'speedscope profile (stack samples)', opensIn: 'https://www.speedscope.app',
    fileName: 'trace.speedscope.json', extensions: ['speedscope.json', 'json'],
  },
};

/** Writes `model` to `out` in `format`; ends the stream unless `closeStream` is false. */
export async function writeExport(model: TraceModel, format: ExportFormatName, out: Writable, opts: { closeStream?: boolean } = {}): Promise<void> {
  switch (format) {
    case 'chrome':
      await writeChromeTrace(model, out, opts);
      return;
    case 'perfetto':
      await writePerfettoTrace(model, out, opts);
      return;
    case 'speedscope':
      await writeSpeedscope(model, out, opts);
      return;
    default: {
      const never: never = format;
      throw new Error(`unknown export format ${String(never)}`);
    }
  }
}
