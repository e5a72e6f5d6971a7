/** The profiling session's state machine decides every race between the program and the user. */
import { describe, expect, it } from 'vitest';
import {
  describeOutcome, INITIAL, isActive, transition, type SessionEvent, type SessionState,
} from '../../../extension/src/session-state';

function run(events: SessionEvent[], from: SessionState = INITIAL): { state: SessionState; effects: string[] } {
  let state = from;
  const effects: string[] = [];
  for (const e of events) {
    const r = transition(state, e);
    state = r.state;
    if (r.effect !== 'none') effects.push(r.effect);
  }
  return { state, effects };
}

describe('profiling session state machine', () => {
  it('a program that runs to its end finishes with its exit code and record count', () => {
    const { state, effects } = run([
      { type: 'start' }, { type: 'launched', pid: 42 }, { type: 'progress', records: 10 }, { type: 'progress', records: 25 },
      { type: 'exited', exitCode: 3, signal: null },
    ]);
    expect(effects).toEqual([]);
    expect(state).toEqual({ kind: 'finished', exitCode: 3, signal: null, records: 25, stoppedBy: null, cancelled: false });
    expect(describeOutcome(state)).toBe('exited with code 3');
  });

  it('Stop kills the process tree once; a second Stop does not kill again', () => {
    const { state, effects } = run([
      { type: 'start' }, { type: 'launched', pid: 42 }, { type: 'stop', reason: 'user' }, { type: 'stop', reason: 'user' },
      { type: 'exited', exitCode: null, signal: 'SIGTERM' },
    ]);
    expect(effects).toEqual(['kill']);
    expect(state.kind === 'finished' && state.stoppedBy).toBe('user');
    expect(describeOutcome(state)).toMatch(/stopped; the process tree was ended and the trace kept/);
  });

  it('Ctrl+C interrupts first, as a terminal does; the second Ctrl+C kills', () => {
    const once = run([{ type: 'start' }, { type: 'launched', pid: 1 }, { type: 'stop', reason: 'interrupt' }]);
    expect(once.effects).toEqual(['interrupt']);
    expect(isActive(once.state)).toBe(true);
    const twice = run([{ type: 'stop', reason: 'interrupt' }], once.state);
    expect(twice.effects).toEqual(['kill']);
    expect(twice.state.kind).toBe('stopping');
  });

  it('a program that exits on the interrupt by itself is not reported as stopped by the user', () => {
    const { state } = run([
      { type: 'start' }, { type: 'launched', pid: 1 }, { type: 'stop', reason: 'interrupt' }, { type: 'exited', exitCode: null, signal: 'SIGINT' },
    ]);
    expect(describeOutcome(state)).toBe('ended by signal SIGINT');
  });

  it('Stop while the interpreter is still being found kills the program as soon as it exists', () => {
    const { state, effects } = run([{ type: 'start' }, { type: 'stop', reason: 'user' }, { type: 'launched', pid: 7 }]);
    expect(effects).toEqual(['kill']);
    expect(state).toMatchObject({ kind: 'stopping', pid: 7, reason: 'user' });
  });

  it('Stop before the program started, then the start is abandoned: cancelled, not failed', () => {
    const { state } = run([{ type: 'start' }, { type: 'stop', reason: 'user' }, { type: 'failed', message: 'abandoned' }]);
    expect(state).toMatchObject({ kind: 'finished', cancelled: true });
    expect(describeOutcome(state)).toBe('cancelled before the program started');
  });

  it('a start failure is reported with its message and ends the session', () => {
    const { state } = run([{ type: 'start' }, { type: 'failed', message: 'python3 not found' }]);
    expect(state).toEqual({ kind: 'failed', message: 'python3 not found' });
    expect(isActive(state)).toBe(false);
  });

  it('late events after the end change nothing', () => {
    const end = run([{ type: 'start' }, { type: 'launched', pid: 1 }, { type: 'exited', exitCode: 0, signal: null }]).state;
    for (const e of [{ type: 'progress', records: 99 }, { type: 'stop', reason: 'user' }, { type: 'launched', pid: 2 }] as SessionEvent[]) {
      expect(transition(end, e)).toEqual({ state: end, effect: 'none' });
    }
  });

  it('records counted while stopping are kept', () => {
    const { state } = run([
      { type: 'start' }, { type: 'launched', pid: 1 }, { type: 'progress', records: 5 }, { type: 'stop', reason: 'user' },
      { type: 'progress', records: 9 }, { type: 'exited', exitCode: null, signal: 'SIGTERM' },
    ]);
    expect(state.kind === 'finished' && state.records).toBe(9);
  });

  it('the context key is on exactly while a program may run', () => {
    expect(isActive(INITIAL)).toBe(false);
    expect(isActive({ kind: 'starting', stopRequested: null })).toBe(true);
    expect(isActive({ kind: 'running', pid: 1, records: 0, interrupted: false })).toBe(true);
    expect(isActive({ kind: 'stopping', pid: 1, records: 0, reason: 'user' })).toBe(true);
  });
});
