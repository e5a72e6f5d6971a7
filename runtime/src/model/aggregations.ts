/**
 * Helpers over a finished model that views use too. The aggregations themselves live in
 * handlers/ (one concern per handler); this module keeps their shared pieces importable from
 * one stable place.
 */
export { visibleObject } from './handlers/lock-stats';
export { isLibraryFile } from './handlers/hotspots';
export { formatDuration } from './handlers/diagnostics';
