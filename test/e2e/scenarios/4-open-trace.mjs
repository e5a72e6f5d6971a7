// Scenario 4: "Weft: Open Trace..." shows a saved trace, and on a trace that was cut short shows
// a warning banner and what could be read.
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand, closeAllEditors, waitUntil } from '../lib/workbench.mjs';
import { recordTrace, truncateTraceCopy } from '../lib/traces.mjs';
import { bannerText, waitForLanes, waitForStatus } from '../lib/weft-view.mjs';
import { BANK_THREADS } from './1-profile-bank.mjs';

/**
 * Runs "Weft: Open Trace..." and picks `dir` in code-server's simple file dialog, a quick
 * input that holds a path. Once the dialog lists the typed folder's files (its run.json),
 * Enter accepts the folder. The dialog fills in its starting folder asynchronously after it
 * shows, and can do so after we typed, replacing our path; so the path is typed again until
 * the dialog closes on it (the starting folder is never accepted: it holds no `listed` entry,
 * run.json for one trace folder, a subfolder's name for a folder of folders).
 */
async function openTrace(page, dir, listed = 'run.json') {
  await runCommand(page, 'Weft: Open Trace...');
  const widget = page.locator('.quick-input-widget');
  const box = widget.locator('.quick-input-box input');
  await box.waitFor({ timeout: 10_000 });
  await waitUntil(async () => (await box.inputValue()).endsWith('/'), { timeout: 10_000, what: 'the open dialog to show its starting folder' });
  const wanted = `${dir}/`;
  // Each step that the dialog's late start can undo is a reason to type the path again, not
  // a failure: the path the dialog holds is checked before Enter, every attempt.
  const settles = (promise) => promise.then(() => true, () => false);
  for (let attempt = 1; attempt <= 4; attempt++) {
    await box.fill(wanted);
    if (!(await settles(waitUntil(async () => (await box.inputValue()) === wanted, { timeout: 5_000, what: `the open dialog to hold ${wanted}` })))) continue;
    if (!(await settles(widget.locator('.quick-input-list .monaco-list-row', { hasText: listed }).first().waitFor({ timeout: 10_000 })))) continue;
    if ((await box.inputValue()) === wanted) {
      await box.press('Enter');
      if (await settles(widget.waitFor({ state: 'hidden', timeout: 5_000 }))) return;
    }
  }
  throw new Error(`the open dialog did not accept ${wanted} (it holds "${await box.inputValue()}")`);
}

export default {
  id: 4,
  slug: 'open-trace',
  title: 'Open Trace... on a saved trace (timeline) and a truncated one (warning + what was read)',
  trusted: true,
  async run({ page, repo, workspace, log, shot }) {
    const saved = join(workspace, 'saved-traces');
    mkdirSync(saved, { recursive: true });
    const good = join(saved, 'bank');
    const cut = join(saved, 'bank-truncated');
    recordTrace({ repo, cwd: workspace, script: 'bank_transfer.py', outDir: good });
    const kept = truncateTraceCopy(good, cut);
    log(`truncated copy keeps ${JSON.stringify(kept)} complete records`);

    await openTrace(page, good);
    await waitForStatus(page, 'done');
    const full = await waitForLanes(page, { min: BANK_THREADS.length });
    if (JSON.stringify([...full.names].sort()) !== JSON.stringify([...BANK_THREADS].sort())) {
      throw new Error(`saved trace: expected lanes ${JSON.stringify(BANK_THREADS)}, got ${JSON.stringify(full.names)}`);
    }
    const fullBanner = await bannerText(full.frame);
    if (fullBanner) throw new Error(`a complete trace must open without a warning, got "${fullBanner}"`);
    await shot('saved');

    await closeAllEditors(page);
    await openTrace(page, cut);
    await waitForStatus(page, 'done');
    const part = await waitForLanes(page, { min: 1 });
    const banner = await bannerText(part.frame);
    log(`truncated trace: banner "${banner}", lanes ${part.names.join(', ')}`);
    if (!banner || !/cut short|truncated|no end record/i.test(banner)) {
      throw new Error(`a truncated trace must show a warning banner saying it was cut short; banner: ${JSON.stringify(banner)}`);
    }
    // Every thread started well before the cut, so all of them are still readable.
    for (const t of BANK_THREADS) {
      if (!part.names.includes(t)) throw new Error(`truncated trace: lane "${t}" is missing though its records precede the cut; got ${JSON.stringify(part.names)}`);
    }

    // A folder of folders from two hosts (test/fixtures/multi-host): one timeline with a task
    // lane under its thread, a GPU queue on its own clock and the other host's rank.
    await closeAllEditors(page);
    const multi = join(saved, 'multi-host');
    cpSync(join(repo, 'test', 'fixtures', 'multi-host'), multi, { recursive: true });
    await openTrace(page, multi, 'host-a');
    await waitForStatus(page, 'done');
    const lanes = await waitForLanes(page, { min: 4 });
    log(`multi-host trace: lanes ${lanes.names.join(', ')}`);
    for (const name of ['MainThread', 'fetch()', 'queue 0']) {
      if (!lanes.names.includes(name)) throw new Error(`multi-host trace: lane "${name}" is missing; got ${JSON.stringify(lanes.names)}`);
    }
    if (lanes.names.filter((n) => n === 'MainThread').length !== 2) {
      throw new Error(`multi-host trace: expected a MainThread on each host; got ${JSON.stringify(lanes.names)}`);
    }
    await shot('multi-host');
  },
};
