// Finds processes by what they run, through /proc (what `ps` reads), so a test can assert that
// a program is gone and the runner can end exactly the processes that belong to its temp folder.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Every live process as { pid, ppid, args, cwd } (cwd null when unreadable). */
export function listProcesses() {
  const out = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (args.length === 0) continue; // kernel thread or zombie
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Field 2 (comm) is in parentheses and may hold spaces; the state and ppid follow it.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (rest[0] === 'Z') continue; // a zombie has already exited; only its parent's wait is due
      let cwd = null;
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        // Not ours to read, or gone.
      }
      out.push({ pid, ppid: Number(rest[1]), args, cwd });
    } catch {
      // The process ended while we read it.
    }
  }
  return out;
}

/** Processes that run `script` (an argument ending in its file name) from under `folder`. */
export function processesRunning(script, folder) {
  return listProcesses().filter(
    (p) =>
      p.pid !== process.pid &&
      p.args.some((a) => a === script || a.endsWith(`/${script}`)) &&
      (p.args.some((a) => a.startsWith(folder)) || (p.cwd ?? '').startsWith(folder)),
  );
}

/** SIGKILLs every process whose command line or working directory is under `folder`. */
export function killProcessesUnder(folder) {
  const victims = listProcesses().filter(
    (p) => p.pid !== process.pid && (p.args.some((a) => a.includes(folder)) || (p.cwd ?? '').startsWith(folder)),
  );
  for (const p of victims) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  return victims.map((p) => `${p.pid} ${p.args.join(' ').slice(0, 120)}`);
}
