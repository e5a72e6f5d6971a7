/** Guards of the host ↔ webview protocol: accept every documented message, reject the rest. */
import { describe, expect, it } from 'vitest';
import { isHostToWebviewMessage, isWebviewToHostMessage } from '../../../webview/src/protocol';

describe('webview → host messages', () => {
  it('accepts each documented message', () => {
    for (const m of [
      { type: 'ready' },
      { type: 'openSource', file: 'examples/bank_transfer.py', line: 18 },
      { type: 'selectLock', key: 'k', name: 'bank_lock', site: { file: 'a.py', line: 3 } },
      { type: 'selectLock', key: null, name: null, site: null },
      { type: 'requestRange', startNs: 0, endNs: 10 },
      { type: 'log', level: 'error', message: 'boom' },
    ]) expect(isWebviewToHostMessage(m), JSON.stringify(m)).toBe(true);
  });

  it('rejects malformed or unknown messages (the webview is not trusted)', () => {
    for (const m of [
      null, 'ready', [], { type: 'nope' },
      { type: 'openSource', file: '', line: 1 },
      { type: 'openSource', file: 'a.py', line: 0 },
      { type: 'openSource', file: 'a.py', line: 1.5 },
      { type: 'openSource', file: 'a.py' },
      { type: 'requestRange', startNs: 10, endNs: 0 },
      { type: 'log', level: 'debug', message: 'x' },
      { type: 'selectLock', key: 3, name: null, site: null },
    ]) expect(isWebviewToHostMessage(m), JSON.stringify(m)).toBe(false);
  });
});

describe('host → webview messages', () => {
  it('accepts each documented message, with data as columns or as encoded text', () => {
    for (const m of [
      { type: 'load', traceId: '/t', data: { version: 1 }, live: false },
      { type: 'update', traceId: '/t', data: '{"version":1}', live: true },
      { type: 'status', state: 'recording', text: 'Recording… 3 s' },
      { type: 'error', message: 'cannot read', detail: 'run weft again' },
      { type: 'warnings', warnings: ['cut short'] },
      { type: 'reveal', tab: 'locks', lockName: 'bank_lock', site: { file: 'a.py', line: 3 } },
    ]) expect(isHostToWebviewMessage(m), JSON.stringify(m)).toBe(true);
  });

  it('rejects malformed ones', () => {
    for (const m of [
      { type: 'load', traceId: '/t', data: 5, live: false },
      { type: 'load', data: {}, live: false },
      { type: 'status', state: 'weird', text: '' },
      { type: 'warnings', warnings: [1] },
      { type: 'reveal', tab: 'flames' },
    ]) expect(isHostToWebviewMessage(m), JSON.stringify(m)).toBe(false);
  });
});
