/**
 * The life of one profiling session as a pure state machine, so that the order of real events
 * (a Stop pressed while the interpreter is still being probed, an exit that arrives after a
 * stop, a second stop) is decided in one tested place instead of in callbacks.
 *
 *   idle ──start──▶ starting ──launched──▶ running ──stop──▶ stopping
 *                      │  │                  │                  │
 *                      │  └──stop──▶ (cancelled: finished)      │
 *                      └──failed──▶ failed   └──exited──▶ finished ◀──exited──┘
 *
 * `finished` and `failed` are final; a new run starts a new session.
 */
import { assertUnreachable } from './assert';

export type StopReason = 'user' | 'interrupt' | 'terminal-closed' | 'window-closed';

export type SessionState =
  | { kind: 'idle' }
  | { kind: 'starting'; stopRequested: StopReason | null }
  | {
      kind: 'running';
      pid: number;
      records: number;
      /** Ctrl+C was already sent once; the next one kills the process tree. */
      interrupted: boolean;
    }
  | { kind: 'stopping'; pid: number; records: number; reason: StopReason }
  | {
      kind: 'finished';
      exitCode: number | null;
      signal: string | null;
      records: number;
      /** Set when the user (or a closed terminal/window) ended the program, not the program itself. */
      stoppedBy: StopReason | null;
      /** True when the program never started because it was stopped while starting. */
      cancelled: boolean;
    }
  | { kind: 'failed'; message: string };

export type SessionEvent =
  | { type: 'start' }
  | { type: 'launched'; pid: number }
  | { type: 'progress'; records: number }
  | { type: 'stop'; reason: StopReason }
  | { type: 'exited'; exitCode: number | null; signal: string | null }
  | { type: 'failed'; message: string };

/** What the host must do after a transition, besides showing the new state. */
export type SessionEffect = 'none' | 'kill' | 'interrupt';

export const INITIAL: SessionState = { kind: 'idle' };

/**
 * Applies one event. Events that make no sense in a state (progress after exit, a second stop)
 * leave it unchanged with no effect: they are normal races, not errors.
 */
export function transition(state: SessionState, event: SessionEvent): { state: SessionState; effect: SessionEffect } {
  const same = { state, effect: 'none' as const };
  switch (state.kind) {
    case 'idle':
      if (event.type === 'start') return { state: { kind: 'starting', stopRequested: null }, effect: 'none' };
      return same;
    case 'starting':
      switch (event.type) {
        case 'launched':
          // Stop was pressed before the process existed: end it as soon as it does.
          if (state.stopRequested) {
            return { state: { kind: 'stopping', pid: event.pid, records: 0, reason: state.stopRequested }, effect: 'kill' };
          }
          return { state: { kind: 'running', pid: event.pid, records: 0, interrupted: false }, effect: 'none' };
        case 'stop':
          return { state: { kind: 'starting', stopRequested: state.stopRequested ?? event.reason }, effect: 'none' };
        case 'failed':
          // A failure to start after a stop request is just the cancellation completing.
          if (state.stopRequested) {
            return { state: finished(null, null, 0, state.stopRequested, true), effect: 'none' };
          }
          return { state: { kind: 'failed', message: event.message }, effect: 'none' };
        case 'exited':
          return { state: finished(event.exitCode, event.signal, 0, state.stopRequested, false), effect: 'none' };
        default:
          return same;
      }
    case 'running':
      switch (event.type) {
        case 'progress':
          return event.records === state.records ? same : { state: { ...state, records: event.records }, effect: 'none' };
        case 'stop':
          // Ctrl+C in the program's terminal first interrupts, as a terminal would (the program
          // sees KeyboardInterrupt and can clean up); a second Ctrl+C, or Stop, kills the tree.
          if (event.reason === 'interrupt' && !state.interrupted) {
            return { state: { ...state, interrupted: true }, effect: 'interrupt' };
          }
          return { state: { kind: 'stopping', pid: state.pid, records: state.records, reason: event.reason }, effect: 'kill' };
        case 'exited':
          return { state: finished(event.exitCode, event.signal, state.records, null, false), effect: 'none' };
        case 'failed':
          return { state: { kind: 'failed', message: event.message }, effect: 'none' };
        default:
          return same;
      }
    case 'stopping':
      switch (event.type) {
        case 'progress':
          return { state: { ...state, records: Math.max(state.records, event.records) }, effect: 'none' };
        case 'exited':
          return { state: finished(event.exitCode, event.signal, state.records, state.reason, false), effect: 'none' };
        case 'failed':
          return { state: { kind: 'failed', message: event.message }, effect: 'none' };
        case 'stop':
          // Already being killed (SIGTERM, then SIGKILL after a grace period): nothing to add.
          return same;
        default:
          return same;
      }
    case 'finished':
    case 'failed':
      return same;
    default:
      return assertUnreachable(state);
  }
}

function finished(exitCode: number | null, signal: string | null, records: number, stoppedBy: StopReason | null, cancelled: boolean): SessionState {
  return { kind: 'finished', exitCode, signal, records, stoppedBy, cancelled };
}

/** True while a program may still be running: the `weft.profiling` context key. */
export function isActive(state: SessionState): boolean {
  return state.kind === 'starting' || state.kind === 'running' || state.kind === 'stopping';
}

/** One line for the terminal and the log, e.g. "exited with code 1" or "stopped (the process tree was killed)". */
export function describeOutcome(state: SessionState): string {
  switch (state.kind) {
    case 'idle':
      return 'not started';
    case 'starting':
      return 'starting';
    case 'running':
      return 'running';
    case 'stopping':
      return 'stopping';
    case 'failed':
      return `failed: ${state.message}`;
    case 'finished':
      if (state.cancelled) return 'cancelled before the program started';
      if (state.stoppedBy) return 'stopped; the process tree was ended and the trace kept';
      if (state.signal) return `ended by signal ${state.signal}`;
      return `exited with code ${state.exitCode ?? 'unknown'}`;
    default:
      return assertUnreachable(state);
  }
}
