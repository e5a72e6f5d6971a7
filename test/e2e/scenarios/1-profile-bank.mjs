// Scenario 1: "Weft: Profile Current File" on the bank example draws one lane per thread and
// lists the contended lock, with waits, in the lock table.
import { openFile, runCommand } from '../lib/workbench.mjs';
import { waitForLanes, waitForLock, waitForStatus } from '../lib/weft-view.mjs';

/** The threads bank_transfer.py starts (TELLERS = 4), plus the main thread. */
export const BANK_THREADS = ['MainThread', 'auditor', 'teller-0', 'teller-1', 'teller-2', 'teller-3'];

/**
 * Profiles bank_transfer.py from its editor and waits for the final view: the view opens as
 * soon as the program starts and updates live, so "done" (the program exited and the whole
 * trace is shown) is what makes the assertions below about the complete run.
 */
export async function profileBank(page) {
  await openFile(page, 'bank_transfer.py');
  await runCommand(page, 'Weft: Profile Current File');
  const status = await waitForStatus(page, 'done');
  if (!/exited with code 0/.test(status)) throw new Error(`bank_transfer.py must exit with code 0 under Weft; the view says "${status}"`);
  return waitForLanes(page, { min: BANK_THREADS.length });
}

export default {
  id: 1,
  slug: 'profile-bank',
  title: 'Profile Current File on bank_transfer.py: one lane per thread, bank_lock contended',
  trusted: true,
  async run({ page, log }) {
    const { frame, names } = await profileBank(page);
    log(`lanes: ${names.join(', ')}`);
    const sorted = [...names].sort();
    if (JSON.stringify(sorted) !== JSON.stringify([...BANK_THREADS].sort())) {
      throw new Error(`expected exactly one lane per thread ${JSON.stringify(BANK_THREADS)}, the view drew ${JSON.stringify(names)}`);
    }
    const lock = await waitForLock(frame, 'bank_lock');
    log(`lock row: ${lock.text}`);
    if (!(lock.waits > 0)) throw new Error(`bank_lock is listed with ${lock.waits} waits; the tellers and the auditor contend for it, so it must be > 0 (row: "${lock.text}")`);
    if (!lock.text.includes(String(lock.waits))) {
      throw new Error(`the row does not show its wait count ${lock.waits} to the user (row: "${lock.text}")`);
    }
  },
};
