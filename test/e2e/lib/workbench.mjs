// Drives the VS Code workbench the way a user does: command palette, Quick Open, editor tabs,
// notifications, the status bar, webviews. Selectors are those of VS Code 1.100 (code-server
// 4.100.3); each helper waits on a visible state, never on a fixed delay.

/** An error that ends a wait at once instead of being retried (see waitUntil). */
export class FatalError extends Error {}

/**
 * Polls `fn` until it returns a truthy value; throws `what` on timeout. Errors thrown by `fn`
 * count as "not yet", except a FatalError, which ends the wait.
 */
export async function waitUntil(fn, { timeout = 30_000, interval = 200, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      if (e instanceof FatalError) throw e;
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** Opens the workbench on `folder` and waits until the explorer lists its files. */
export async function openWorkbench(page, url) {
  await page.goto(url);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 60_000 });
}

const quickInput = '.quick-input-widget';
const quickInputBox = `${quickInput} .quick-input-box input`;
const quickRows = `${quickInput} .quick-input-list .monaco-list-row`;

/** Closes the quick input if it is open. */
async function closeQuickInput(page) {
  if (await page.locator(quickInput).isVisible()) {
    await page.keyboard.press('Escape');
    await page.locator(quickInput).waitFor({ state: 'hidden', timeout: 5000 }).catch(() => {});
  }
}

/**
 * Runs a command from the command palette by its full title ("Weft: Profile Current File").
 * Contributed commands appear a second or two after the workbench, and an open palette does
 * not refresh its list, so a miss closes the palette and tries again (up to `timeout`).
 */
export async function runCommand(page, title, { timeout = 60_000 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    await closeQuickInput(page);
    await page.keyboard.press('F1');
    const box = page.locator(quickInputBox);
    await box.waitFor({ timeout: 10_000 });
    await box.fill(`>${title}`);
    // The row whose label is exactly the title (not a longer title that contains it).
    const row = page.locator(quickRows).filter({
      has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(title)}$`) }),
    });
    try {
      await row.first().waitFor({ timeout: 1500 });
      await row.first().click();
      await page.locator(quickInput).waitFor({ state: 'hidden', timeout: 5000 }).catch(() => {});
      return;
    } catch (e) {
      if (Date.now() > deadline) {
        const seen = await page.locator(`${quickRows} .label-name`).allInnerTexts().catch(() => []);
        await closeQuickInput(page);
        throw new Error(`command "${title}" not found in the command palette within ${timeout} ms; it listed: ${JSON.stringify(seen.slice(0, 10))}`);
      }
    }
  }
}

/** Opens a workspace file with Quick Open (Ctrl+P) and waits for its editor tab to be active. */
export async function openFile(page, fileName, { timeout = 30_000 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    await closeQuickInput(page);
    await page.keyboard.press('Control+P');
    const box = page.locator(quickInputBox);
    await box.waitFor({ timeout: 10_000 });
    await box.fill(fileName);
    const row = page.locator(quickRows).filter({
      has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(fileName)}$`) }),
    });
    try {
      // The file index is built in the background right after the folder opens.
      await row.first().waitFor({ timeout: 2000 });
      await row.first().click();
      break;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`Quick Open did not find ${fileName} within ${timeout} ms`);
    }
  }
  await activeTab(page, fileName, { timeout: 15_000 });
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().waitFor({ timeout: 15_000 });
}

/** Waits until the active editor tab of the active group has the given title; returns it. */
export async function activeTab(page, title, { timeout = 15_000 } = {}) {
  const tab = page.locator('.editor-group-container.active .tab.active', { hasText: title });
  await tab.first().waitFor({ timeout });
  return tab.first();
}

/** Title of the active tab of the active editor group. */
export async function activeTabTitle(page) {
  return (await page.locator('.editor-group-container.active .tab.active .label-name').first().innerText()).trim();
}

/**
 * The cursor position the status bar shows ("Ln 26, Col 5"), as numbers. This is what a user
 * reads after a "go to source", and it belongs to the active text editor.
 */
export async function cursorPosition(page) {
  const text = await page.locator('[id="status.editor.selection"]').first().innerText();
  const m = /Ln\s+(\d+),\s*Col\s+(\d+)/.exec(text);
  return m ? { line: Number(m[1]), column: Number(m[2]), text } : null;
}

/** Text of every visible notification toast. */
export async function notificationTexts(page) {
  return page.locator('.notifications-toasts .notification-toast .notification-list-item-message').allInnerTexts();
}

/**
 * Throws a FatalError when an error notification is showing: a wait for a result that the
 * extension has already reported it cannot produce should fail now, with its message, rather
 * than at its timeout.
 */
export async function throwOnErrorNotification(page) {
  const errors = page.locator('.notifications-toasts .notification-toast').filter({ has: page.locator('.codicon-error') });
  if ((await errors.count()) === 0) return;
  const text = await errors.first().locator('.notification-list-item-message').innerText().catch(() => '?');
  throw new FatalError(`VS Code shows an error notification: "${text.trim()}"`);
}

/** Waits for a notification whose text matches `re`; returns its text. */
export async function waitForNotification(page, re, { timeout = 30_000 } = {}) {
  return waitUntil(async () => (await notificationTexts(page)).find((t) => re.test(t)), {
    timeout,
    what: `a notification matching ${re}`,
  });
}

/** Closes every editor (and so every webview panel) so a scenario starts from a clean slate. */
export async function closeAllEditors(page) {
  await runCommand(page, 'View: Close All Editors');
  await page.locator('.editor-group-container .tab').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => {});
}

/** Hides the bottom panel (terminals, output), which a previous scenario may have opened. */
export async function hidePanel(page) {
  if (await page.locator('.part.panel.bottom').isVisible()) {
    await runCommand(page, 'View: Hide Panel');
    await page.locator('.part.panel.bottom').waitFor({ state: 'hidden', timeout: 10_000 });
  }
}

/** Clears notification toasts so a later wait only sees new ones. */
export async function clearNotifications(page) {
  await runCommand(page, 'Notifications: Clear All Notifications');
}

/**
 * The content frame of the webview whose editor tab or view title is `title`. A VS Code
 * webview is two iframes deep: the outer `iframe.webview` hosts `#active-frame`, which holds
 * the extension's HTML. Only visible webviews are `.ready`; hidden ones are kept but offset,
 * so the visible one is picked by its bounding box.
 */
export async function webviewFrame(page, { timeout = 60_000 } = {}) {
  const outer = page.locator('iframe.webview.ready');
  await waitUntil(async () => (await visibleIndex(outer)) >= 0, { timeout, what: 'a visible webview' });
  const i = await visibleIndex(outer);
  return outer.nth(i).contentFrame().locator('#active-frame').contentFrame();
}

async function visibleIndex(locator) {
  const n = await locator.count();
  for (let i = 0; i < n; i++) {
    const box = await locator.nth(i).boundingBox().catch(() => null);
    if (box && box.width > 50 && box.height > 50 && box.x >= 0 && box.y >= 0) return i;
  }
  return -1;
}

export function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
