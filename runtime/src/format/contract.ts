/**
 * The machine-readable contract of the trace format, generated from spec.ts: the one artifact
 * every reader that is not TypeScript uses (speedscope generates its JSON Schema from its spec
 * the same way). `npm run gen:contract` writes it to runtime/python/weft/trace_format.json,
 * where the Python agent loads its constants (version, flags, enums, file name) and the Python
 * tests load the record shapes and id references they validate every trace against. A test
 * (test/contract/generated-contract.test.ts) fails when the committed file is stale, so the two
 * languages cannot drift. Pure: imports nothing but the spec.
 */
import {
  DIAGNOSTIC_LEVELS, END_REASONS, FLOW_KINDS, FORMAT_NAME, FORMAT_VERSION, KEY_FORMATS, LANE_KINDS,
  OBJECT_KINDS, PROCESS_FILE_PATTERN, PROCESS_FILE_TEMPLATE, READ_VERSIONS, RECORDS, RUN_FILE, SampleState,
  SHAPE_LETTERS, SPAN_KINDS, STALL_KINDS, TASK_OUTCOMES, LOOP_LAG_COUNTER, UNKNOWN, V1_WORK_WORD, WAIT_REASONS, WaitFlags, WORK_WORD,
} from './spec';

/** Where the generated file lives, relative to the repository root. */
export const CONTRACT_PATH = 'runtime/python/weft/trace_format.json';

/** Header fields with their JSON types and the version that added each. */
const HEADER_FIELDS = {
  format: { type: 'string', since: 1, required: true },
  version: { type: 'integer', since: 1, required: true },
  agent: { type: 'string', since: 1, required: true },
  pid: { type: 'integer', since: 1, required: true },
  ppid: { type: 'integer', since: 1, required: true },
  serial: { type: 'integer', since: 1, required: true },
  python: { type: 'string', since: 1, required: true },
  implementation: { type: 'string', since: 1, required: true },
  gil: { type: 'boolean', since: 1, required: true },
  platform: { type: 'string', since: 1, required: true },
  clock: { type: 'string', since: 1, required: true },
  startNs: { type: 'integer', since: 1, required: true },
  wallNs: { type: 'integer', since: 1, required: true },
  argv: { type: 'array of strings', since: 1, required: true },
  cwd: { type: 'string', since: 1, required: true },
  executable: { type: 'string', since: 1, required: true },
  startMethod: { type: 'string', since: 1, required: true },
  sampleHz: { type: 'integer', since: 1, required: true },
  host: { type: 'object {name: string, id: 12 hex digits, boot: string}', since: 2, required: false },
  clockDomain: { type: 'string', since: 2, required: false },
  loopBlockMs: { type: 'number', since: 2, required: false },
} as const;

const writerValues = (values: readonly string[]): string[] => values.filter((v) => v !== UNKNOWN);

/** The contract as a plain JSON value, in a stable key order. */
export function buildContract(): unknown {
  return {
    $comment: 'Generated from runtime/src/format/spec.ts by `npm run gen:contract`. Do not edit.',
    format: FORMAT_NAME,
    version: FORMAT_VERSION,
    readsVersions: READ_VERSIONS,
    fileName: { pattern: PROCESS_FILE_PATTERN.source, template: PROCESS_FILE_TEMPLATE, runFile: RUN_FILE },
    header: HEADER_FIELDS,
    shapeLetters: SHAPE_LETTERS,
    records: Object.fromEntries(Object.entries(RECORDS).map(([code, r]) => [code, {
      name: r.name,
      since: r.since,
      shape: r.fields.map((x) => x.letter).join(''),
      optional: r.optional.map((x) => x.letter).join(''),
      fields: [...r.fields, ...r.optional].map((x) => ({
        name: x.name, letter: x.letter,
        ...(x.time ? { time: true } : {}), ...(x.ref ? { ref: x.ref } : {}), ...(x.defines ? { defines: x.defines } : {}),
      })),
    }])),
    enums: {
      objectKinds: writerValues(OBJECT_KINDS),
      waitReasons: writerValues(WAIT_REASONS),
      laneKinds: writerValues(LANE_KINDS),
      flowKinds: FLOW_KINDS,
      spanKinds: SPAN_KINDS,
      flowPhases: ['s', 't', 'f'],
      endReasons: END_REASONS,
      stallKinds: STALL_KINDS,
      taskOutcomes: TASK_OUTCOMES,
      diagnosticLevels: DIAGNOSTIC_LEVELS,
      unknown: UNKNOWN,
    },
    workWord: { current: WORK_WORD, v1: V1_WORK_WORD },
    waitFlags: WaitFlags,
    sampleStates: SampleState,
    keyFormats: KEY_FORMATS,
    counterPrefixes: { loopLag: LOOP_LAG_COUNTER },
  };
}

/** The file's exact text: two-space JSON and a final newline. */
export function contractText(): string {
  return `${JSON.stringify(buildContract(), null, 2)}\n`;
}
