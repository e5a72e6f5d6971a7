// Scenario 3: "Weft: Stop Profiling" on a program that never ends kills its whole process tree
// and shows what was recorded until then.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openFile, runCommand, throwOnErrorNotification, waitUntil } from '../lib/workbench.mjs';
import { processesRunning } from '../lib/processes.mjs';
import { waitForLanes, waitForLock, waitForStatus } from '../lib/weft-view.mjs';

export default {
  id: 3,
  slug: 'stop-profiling',
  title: 'Stop Profiling on forever.py: process tree gone, partial trace shown',
  trusted: true,
  async run({ page, workspace, log }) {
    const ready = join(workspace, 'forever.ready');
    await openFile(page, 'forever.py');
    await runCommand(page, 'Weft: Profile Current File');
    // forever.py writes forever.ready once its threads have worked and its child is alive.
    await waitUntil(async () => {
      await throwOnErrorNotification(page);
      return existsSync(ready);
    }, { timeout: 60_000, what: 'forever.py to start (forever.ready)' });
    const before = processesRunning('forever.py', workspace);
    log(`running before stop: ${before.map((p) => `${p.pid} ${p.args.slice(-2).join(' ')}`).join('; ')}`);
    if (before.length < 2) throw new Error(`expected forever.py and its child running, found ${before.length} process(es)`);

    await runCommand(page, 'Weft: Stop Profiling');
    await waitUntil(() => processesRunning('forever.py', workspace).length === 0, {
      timeout: 20_000,
      what: 'every forever.py process to end',
    }).catch((e) => {
      const left = processesRunning('forever.py', workspace);
      throw new Error(`${e.message}; left: ${left.map((p) => `${p.pid} ${p.args.join(' ')}`).join('; ')}`);
    });

    const status = await waitForStatus(page, 'stopped');
    log(`status after stop: ${status}`);
    // The partial trace of both processes: the parent's three threads and the child's main
    // thread, and the lock the two workers fought over, with the waits recorded until the stop.
    const { frame, names } = await waitForLanes(page, { min: 4 });
    log(`lanes after stop: ${names.join(', ')}`);
    const expected = ['MainThread', 'MainThread', 'sleeper', 'spinner'];
    if (JSON.stringify([...names].sort()) !== JSON.stringify(expected)) {
      throw new Error(`the partial trace must show the parent's MainThread, spinner and sleeper and the child's MainThread; the view drew ${JSON.stringify(names)}`);
    }
    const lock = await waitForLock(frame, 'forever_lock');
    log(`lock row: ${lock.text}`);
    if (!(lock.waits > 0)) throw new Error(`forever_lock shows ${lock.waits} waits; spinner and sleeper contend for it, so it must be > 0`);
  },
};
