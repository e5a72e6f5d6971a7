// Scenario 2: selecting bank_lock in the lock table and using "Go to source" shows the line the
// row points at in the editor.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { activeTab, activeTabTitle, cursorPosition, waitUntil } from '../lib/workbench.mjs';
import { SEL, waitForLock } from '../lib/weft-view.mjs';
import { profileBank } from './1-profile-bank.mjs';

export default {
  id: 2,
  slug: 'go-to-source',
  title: 'Select bank_lock, Go to source: bank_transfer.py at the lock\'s line',
  trusted: true,
  async run({ page, workspace, log }) {
    // Scenario 1 leaves the view open, but run.mjs closes editors between scenarios (and this
    // one must also pass alone), so profile again.
    const { frame } = await profileBank(page);
    const lock = await waitForLock(frame, 'bank_lock');
    // Where the row says the lock lives: "bank_transfer.py:18" (file:line as the user reads it).
    const m = /([\w.-]+\.py):(\d+)/.exec(lock.text);
    if (!m) throw new Error(`the bank_lock row shows no file:line location ("${lock.text}")`);
    const [, file, lineText] = m;
    const line = Number(lineText);
    // Ground truth from the source itself, not from the view: that line mentions bank_lock.
    const source = readFileSync(join(workspace, file), 'utf8').split('\n');
    if (!source[line - 1]?.includes('bank_lock')) {
      throw new Error(`the row points at ${file}:${line}, which is "${source[line - 1]}", not a bank_lock line`);
    }
    await lock.row.click();
    // Clicking into the webview focuses it, and the workbench learns that asynchronously (the
    // webview frame posts its focus to the workbench). If that news arrives after "Go to source"
    // opened the file, it makes the view's group active again: wait until the workbench knows
    // the view has focus, as it does long before a person's next click (CI failed here once).
    await waitUntil(async () => ((await activeTabTitle(page)).startsWith('Weft:') ? true : null), {
      timeout: 10_000, what: 'the Weft view to be the active editor after clicking its lock row',
    });
    await frame.locator(SEL.goToSource).first().click();
    await activeTab(page, file);
    const title = await waitUntil(async () => {
      const t = await activeTabTitle(page);
      return t === file ? t : null;
    }, { timeout: 5_000, what: `${file} to be the active editor (it is "${await activeTabTitle(page)}")` });
    const pos = await waitUntil(async () => {
      const p = await cursorPosition(page);
      return p && p.line === line ? p : null;
    }, { timeout: 10_000, what: `the cursor on line ${line} (status bar shows "${(await cursorPosition(page))?.text}")` });
    log(`editor: ${title}, ${pos.text}`);
    // The line is on screen and highlighted as the current line.
    const current = page.locator('.editor-group-container.active .monaco-editor .view-overlays .current-line');
    await current.first().waitFor({ timeout: 5_000 });
    // Hotspots inline, from the language server: lenses over the lock's creation line and over
    // the line where the tellers wait for it (both on screen around the lock's line).
    const lenses = page.locator('.editor-group-container.active .monaco-editor .codelens-decoration');
    const texts = await waitUntil(async () => {
      const all = await lenses.allInnerTexts();
      const created = all.find((t) => /^Weft: bank_lock \(lock\) created here · \d+ waits/.test(t));
      const waited = all.find((t) => /^Weft: \d+ waits on bank_lock · /.test(t));
      return created && waited ? [created, waited] : null;
    }, { timeout: 20_000, what: `Weft's lenses on bank_lock (lenses now: ${JSON.stringify(await lenses.allInnerTexts())})` });
    log(`lenses: ${JSON.stringify(texts)}`);
  },
};
