/**
 * The `weft.*` settings: their defaults, bounds and validation. Pure (no `vscode` import) so it
 * is unit-tested; `config.ts` reads the raw values from VS Code and hands them here.
 *
 * package.json's `contributes.configuration` declares the same defaults and bounds for the
 * Settings editor; a unit test checks that the two agree, because VS Code does not enforce
 * `minimum`/`maximum` on values typed into settings.json (it only underlines them).
 */

export interface WeftSettings {
  /** Interpreter used when the Python extension offers none ('' = find python3/python on PATH). */
  pythonPath: string;
  /** Stack samples per second per thread; 0 turns sampling off. */
  sampleHz: number;
  /** asyncio: steps or callbacks at least this long (ms) are recorded as event-loop blocks
   * (passed to the agent as WEFT_LOOP_BLOCK_MS). */
  loopBlockMs: number;
  /** Where traces are written; may use ${workspaceFolder}, ${userHome} and ~. */
  outputDirectory: string;
  /** Arguments passed to the program by "Profile Current File". */
  programArguments: string[];
  /** How often the agent writes its buffered records to disk. */
  flushIntervalMs: number;
  /** Open the Weft view when profiling starts (live), rather than when the program ends. */
  openViewOnStart: boolean;
  /** Show the shown trace's hot lines in Python editors (CodeLens, hover, diagnostics). */
  inlineHotspots: boolean;
}

export interface NumberBounds {
  min: number;
  max: number;
}

export const SETTING_DEFAULTS: Readonly<WeftSettings> = Object.freeze({
  pythonPath: '',
  sampleHz: 100,
  loopBlockMs: 50,
  outputDirectory: '${workspaceFolder}/.weft',
  programArguments: [],
  flushIntervalMs: 100,
  openViewOnStart: true,
  inlineHotspots: true,
});

export const SETTING_BOUNDS: Readonly<Record<'sampleHz' | 'loopBlockMs' | 'flushIntervalMs', NumberBounds>> = Object.freeze({
  // Above ~1 kHz the sampler's own cost starts to show in the program (research/performance.md).
  sampleHz: { min: 0, max: 1000 },
  // The CLI's --loop-block-ms bounds (runtime/src/cli/args.ts LOOP_BLOCK_MS): below 1 ms every
  // step is a block; above a minute nothing a person waits for is.
  loopBlockMs: { min: 1, max: 60_000 },
  // Below 10 ms the writer thread wakes so often that it competes with the program for the GIL;
  // above 10 s a killed program loses too much and the live view lags.
  flushIntervalMs: { min: 10, max: 10_000 },
});

export interface ValidatedSettings {
  settings: WeftSettings;
  /** One sentence per rejected value, saying which value was used instead. */
  problems: string[];
}

/** Raw values as VS Code returns them: anything the user typed into settings.json. */
export type RawSettings = { [K in keyof WeftSettings]?: unknown };

function integerIn(name: keyof typeof SETTING_BOUNDS, value: unknown, problems: string[]): number {
  const fallback = SETTING_DEFAULTS[name];
  if (value === undefined || value === null) return fallback;
  const { min, max } = SETTING_BOUNDS[name];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    problems.push(`weft.${name} must be a number from ${min} to ${max}, not ${JSON.stringify(value)}; using ${fallback}.`);
    return fallback;
  }
  const rounded = Math.round(value);
  if (rounded < min || rounded > max) {
    const clamped = Math.min(max, Math.max(min, rounded));
    problems.push(`weft.${name} is ${value}, outside ${min}..${max}; using ${clamped}.`);
    return clamped;
  }
  return rounded;
}

function stringSetting(name: 'pythonPath' | 'outputDirectory', value: unknown, problems: string[]): string {
  const fallback = SETTING_DEFAULTS[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string') {
    problems.push(`weft.${name} must be a string, not ${JSON.stringify(value)}; using ${JSON.stringify(fallback)}.`);
    return fallback;
  }
  const trimmed = value.trim();
  // An empty output directory would write traces into the program's cwd, mixed with the
  // user's files; the default keeps them in one ignorable folder.
  if (name === 'outputDirectory' && trimmed === '') return fallback;
  return trimmed;
}

/** Validates every setting; an invalid value is replaced (never silently) by a usable one. */
export function validateSettings(raw: RawSettings): ValidatedSettings {
  const problems: string[] = [];
  let programArguments: string[] = [...SETTING_DEFAULTS.programArguments];
  const args = raw.programArguments;
  if (args !== undefined && args !== null) {
    if (Array.isArray(args) && args.every((a) => typeof a === 'string' || typeof a === 'number')) {
      programArguments = args.map(String);
    } else {
      problems.push(
        `weft.programArguments must be an array of strings such as ["--workers", "4"], not ${JSON.stringify(args)}; running without arguments.`,
      );
    }
  }
  let openViewOnStart = SETTING_DEFAULTS.openViewOnStart;
  if (typeof raw.openViewOnStart === 'boolean') openViewOnStart = raw.openViewOnStart;
  else if (raw.openViewOnStart !== undefined && raw.openViewOnStart !== null) {
    problems.push(`weft.openViewOnStart must be true or false, not ${JSON.stringify(raw.openViewOnStart)}; using ${openViewOnStart}.`);
  }
  let inlineHotspots = SETTING_DEFAULTS.inlineHotspots;
  if (typeof raw.inlineHotspots === 'boolean') inlineHotspots = raw.inlineHotspots;
  else if (raw.inlineHotspots !== undefined && raw.inlineHotspots !== null) {
    problems.push(`weft.inlineHotspots must be true or false, not ${JSON.stringify(raw.inlineHotspots)}; using ${inlineHotspots}.`);
  }
  return {
    settings: {
      pythonPath: stringSetting('pythonPath', raw.pythonPath, problems),
      sampleHz: integerIn('sampleHz', raw.sampleHz, problems),
      loopBlockMs: integerIn('loopBlockMs', raw.loopBlockMs, problems),
      outputDirectory: stringSetting('outputDirectory', raw.outputDirectory, problems),
      programArguments,
      flushIntervalMs: integerIn('flushIntervalMs', raw.flushIntervalMs, problems),
      openViewOnStart,
      inlineHotspots,
    },
    problems,
  };
}
