/** Settings validation, and that package.json declares the same defaults and bounds. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SETTING_BOUNDS, SETTING_DEFAULTS, validateSettings } from '../../../extension/src/settings';

const pkg = JSON.parse(readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, { type: string; default: unknown; minimum?: number; maximum?: number; markdownDescription?: string; description?: string }> } };
};
const props = pkg.contributes.configuration.properties;

describe('settings validation', () => {
  it('no values at all gives the defaults and no problems', () => {
    const r = validateSettings({});
    expect(r.settings).toEqual(SETTING_DEFAULTS);
    expect(r.problems).toEqual([]);
  });

  it('valid values are kept, numbers rounded to integers', () => {
    const r = validateSettings({
      pythonPath: ' /opt/py/bin/python3 ', sampleHz: 250.4, loopBlockMs: 40.2, outputDirectory: '/tmp/traces',
      programArguments: ['--n', 3], flushIntervalMs: 50, openViewOnStart: false, inlineHotspots: false,
    });
    expect(r.problems).toEqual([]);
    expect(r.settings).toEqual({
      pythonPath: '/opt/py/bin/python3', sampleHz: 250, loopBlockMs: 40, outputDirectory: '/tmp/traces',
      programArguments: ['--n', '3'], flushIntervalMs: 50, openViewOnStart: false, inlineHotspots: false,
    });
  });

  it('an out-of-range sample rate is clamped to the nearest bound and reported', () => {
    const high = validateSettings({ sampleHz: 5000 });
    expect(high.settings.sampleHz).toBe(1000);
    expect(high.problems).toEqual(['weft.sampleHz is 5000, outside 0..1000; using 1000.']);
    const low = validateSettings({ flushIntervalMs: 1 });
    expect(low.settings.flushIntervalMs).toBe(10);
    expect(low.problems[0]).toMatch(/flushIntervalMs is 1, outside 10\.\.10000; using 10/);
  });

  it('values of the wrong type fall back to the default with a message naming the setting', () => {
    const r = validateSettings({ sampleHz: 'fast', programArguments: '--n 3', openViewOnStart: 'yes', pythonPath: 3 });
    expect(r.settings.sampleHz).toBe(SETTING_DEFAULTS.sampleHz);
    expect(r.settings.programArguments).toEqual([]);
    expect(r.settings.openViewOnStart).toBe(true);
    expect(r.settings.pythonPath).toBe('');
    expect(r.problems).toHaveLength(4);
    for (const name of ['sampleHz', 'programArguments', 'openViewOnStart', 'pythonPath']) {
      expect(r.problems.some((p) => p.startsWith(`weft.${name} `)), name).toBe(true);
    }
  });

  it('an empty output directory means the default, not the program\'s cwd', () => {
    expect(validateSettings({ outputDirectory: '  ' }).settings.outputDirectory).toBe(SETTING_DEFAULTS.outputDirectory);
  });
});

describe('package.json declares the settings the code validates', () => {
  it('every setting is declared with its default and a description', () => {
    for (const [key, value] of Object.entries(SETTING_DEFAULTS)) {
      const p = props[`weft.${key}`];
      expect(p, `weft.${key} is declared`).toBeDefined();
      expect(p?.default, `weft.${key} default`).toEqual(value);
      expect((p?.markdownDescription ?? p?.description ?? '').length, `weft.${key} has a description`).toBeGreaterThan(20);
    }
    expect(Object.keys(props).sort()).toEqual(Object.keys(SETTING_DEFAULTS).map((k) => `weft.${k}`).sort());
  });

  it('numeric bounds agree with the validator', () => {
    for (const [key, b] of Object.entries(SETTING_BOUNDS)) {
      const p = props[`weft.${key}`];
      expect(p?.type).toBe('integer');
      expect([p?.minimum, p?.maximum]).toEqual([b.min, b.max]);
    }
  });
});
