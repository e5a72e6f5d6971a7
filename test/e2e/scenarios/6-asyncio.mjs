// Scenario 6: "Weft: Profile Current File" on the asyncio example: each task is a lane under the
// loop's thread, the asyncio lock is in the lock table, the Event loop tab lists the 300 ms block
// at the time.sleep line, and the Problems panel and a CodeLens on that line say so.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openFile, runCommand, waitUntil } from '../lib/workbench.mjs';
import { waitForLanes, waitForLock, waitForStatus } from '../lib/weft-view.mjs';

const FILE = 'asyncio_orders.py';

export default {
  id: 6,
  slug: 'asyncio',
  title: 'Profile Current File on asyncio_orders.py: task lanes, the asyncio lock, the loop block in the view, Problems and a CodeLens',
  trusted: true,
  async run({ page, workspace, log }) {
    // Ground truth from the source: the line of the blocking call.
    const source = readFileSync(join(workspace, FILE), 'utf8').split('\n');
    const blockLine = source.findIndex((l) => /^\s+time\.sleep\(0\.3\)/.test(l)) + 1;
    if (blockLine <= 0) throw new Error(`${FILE} has no time.sleep(0.3) line`);

    await openFile(page, FILE);
    await runCommand(page, 'Weft: Profile Current File');
    const status = await waitForStatus(page, 'done');
    if (!/exited with code 0/.test(status)) throw new Error(`${FILE} must exit with code 0 under Weft; the view says "${status}"`);
    // 42 tasks on one thread are more than the view shows one by one: the 40 order tasks are a
    // group of their own, with the long-lived ones (most, queued behind the lock) on rows; the
    // main task and the reporter always have rows, and MainThread.
    const { frame, names } = await waitForLanes(page, { min: 10 });
    for (const want of ['MainThread', 'reporter', 'Task-1']) {
      if (!names.includes(want)) throw new Error(`expected a lane named ${want}; the view drew ${JSON.stringify(names.slice(0, 12))}…`);
    }
    log(`lanes: ${names.length} (${names.slice(0, 4).join(', ')}, …)`);

    const lock = await waitForLock(frame, 'stock_lock');
    log(`lock row: ${lock.text}`);
    if (!(lock.waits > 0)) throw new Error(`stock_lock must be contended (the orders hold it across an await); row: "${lock.text}"`);

    // The Event loop tab: the block, with the line.
    await frame.locator('.weft-tab', { hasText: 'Event loop' }).click();
    const block = await waitUntil(async () => {
      const rows = await frame.locator('[data-loop-block-row]').allInnerTexts();
      return rows.find((t) => t.includes(`${FILE}:${blockLine}`)) ?? null;
    }, { timeout: 15_000, what: `the Event loop tab to list a block at ${FILE}:${blockLine}` });
    const ms = Number(/([\d.]+)\s*ms/.exec(block)?.[1]);
    if (!(ms >= 285 && ms <= 330)) throw new Error(`the block at ${FILE}:${blockLine} lasted 300 ms; the view says "${block}"`);
    log(`event loop tab: ${block.replace(/\s+/g, ' ')}`);

    // The Problems panel names the line (the language server's diagnostic).
    await runCommand(page, 'Problems: Focus on Problems View');
    const problem = await waitUntil(async () => {
      const rows = await page.locator('.markers-panel .monaco-list-row').allInnerTexts();
      return rows.find((t) => /event loop blocked 3\d\d ms/.test(t)) ?? null;
    }, { timeout: 20_000, what: 'a Problems entry "event loop blocked 300 ms"' });
    log(`problem: ${problem.replace(/\s+/g, ' ')}`);

    // And a CodeLens over the line itself (lenses are drawn for lines on screen: go there).
    await openFile(page, FILE);
    await page.keyboard.press('Control+G');
    await page.keyboard.type(String(blockLine));
    await page.keyboard.press('Enter');
    const lenses = page.locator('.editor-group-container.active .monaco-editor .codelens-decoration');
    const lens = await waitUntil(async () => (await lenses.allInnerTexts()).find((t) => /^Weft: event loop blocked 3\d\d ms/.test(t)) ?? null, {
      timeout: 20_000, what: `Weft's lens on the blocking line (lenses now: ${JSON.stringify(await lenses.allInnerTexts())})`,
    });
    log(`lens: ${lens}`);
  },
};
