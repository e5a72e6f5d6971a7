/** Text formatting of durations, times and counts, shared by every view. */

/** A duration for people: "850 ns", "12.3 µs", "4.56 ms", "1.23 s", "2 min 05 s". */
export function formatDuration(ns: number): string {
  if (!Number.isFinite(ns)) return '–';
  const a = Math.abs(ns);
  const sign = ns < 0 ? '-' : '';
  if (a < 1_000) return `${sign}${Math.round(a)} ns`;
  if (a < 1_000_000) return `${sign}${trim(a / 1_000)} µs`;
  if (a < 1_000_000_000) return `${sign}${trim(a / 1_000_000)} ms`;
  if (a < 60e9) return `${sign}${trim(a / 1e9)} s`;
  const min = Math.floor(a / 60e9);
  const s = Math.round((a - min * 60e9) / 1e9);
  return `${sign}${min} min ${String(s).padStart(2, '0')} s`;
}

/** Three significant digits, without trailing zeros ("12.3", "4.56", "120"). */
function trim(v: number): string {
  const digits = v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return String(Number(v.toFixed(digits)));
}

/**
 * A tick label for a time axis whose ticks are `stepNs` apart: the unit follows the step so
 * neighbouring labels differ visibly ("12.5 ms", "12.6 ms"; "3.000 001 s" is never needed).
 */
export function formatTick(ns: number, stepNs: number): string {
  // The unit is the largest in which the step is at least 0.1: "0.5 ms" rather than "500 µs"
  // next to "1.0 ms".
  const units: [number, string][] = [[1e9, 's'], [1e6, 'ms'], [1e3, 'µs'], [1, 'ns']];
  for (const [scale, unit] of units) {
    if (stepNs >= scale / 10 || scale === 1) {
      const stepInUnit = stepNs / scale;
      const decimals = Math.max(0, Math.min(6, Math.ceil(-Math.log10(stepInUnit) - 1e-9)));
      return `${(ns / scale).toFixed(decimals)} ${unit}`;
    }
  }
  return `${ns} ns`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatPercent(share: number): string {
  if (!Number.isFinite(share)) return '–';
  if (share === 0) return '0%';
  return `${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`;
}
