/**
 * Signals for `weft run`: the program must get exactly the signals the user sent, once.
 *
 * The program shares Weft's process group (it must, to read the terminal), so Ctrl+C in the
 * terminal already reaches it: the terminal signals the whole foreground group. Forwarding
 * that SIGINT again would deliver it twice (a second KeyboardInterrupt inside the program's
 * cleanup). A SIGINT sent to Weft alone (`kill -INT`, a supervisor, Weft in the background)
 * reaches only Weft and must be forwarded. The two cases are told apart by whether Weft's
 * process group is the terminal's foreground group (Linux: /proc/self/stat). SIGTERM is never
 * sent by a terminal, so it is always forwarded. Weft itself stays alive until the program
 * exits, to report its exit status and the summary.
 */
import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';

/** True when Weft is in the foreground process group of its terminal. */
export function inForegroundOfTerminal(): boolean {
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync('/proc/self/stat', 'utf8');
      // Fields after the command name "(...)": state ppid pgrp session tty_nr tpgid ...
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pgrp = Number(f[2]);
      const ttyNr = Number(f[4]);
      const tpgid = Number(f[5]);
      return ttyNr !== 0 && tpgid === pgrp;
    } catch {
      // Fall through to the portable guess.
    }
  }
  return process.stdin.isTTY === true;
}

const TERMINAL_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGQUIT', 'SIGHUP'];

/** Installs the forwarding handlers; returns a function that removes them. */
export function forwardSignals(child: ChildProcess, isForeground: () => boolean = inForegroundOfTerminal): () => void {
  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const sig of [...TERMINAL_SIGNALS, 'SIGTERM' as NodeJS.Signals]) {
    const handler = (): void => {
      if (TERMINAL_SIGNALS.includes(sig) && isForeground()) return;
      try {
        child.kill(sig);
      } catch {
        // The program already exited.
      }
    };
    handlers.set(sig, handler);
    try {
      process.on(sig, handler);
    } catch {
      // Not supported on this platform (SIGQUIT/SIGHUP on Windows).
    }
  }
  return () => {
    for (const [sig, h] of handlers) process.off(sig, h);
  };
}
