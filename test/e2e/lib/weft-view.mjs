// Reads the Weft webview the way a user reads it: lane labels, the lock table, the warning
// banner. The selectors are the webview's testing contract (data attributes it sets for this
// purpose, documented in webview/src); keep them in this one file.
import { FatalError, throwOnErrorNotification, webviewFrame, waitUntil } from './workbench.mjs';

export const SEL = {
  /** One element per drawn lane; its text is the lane's name (thread name). */
  laneLabel: '[data-lane-id]',
  /** One row per lock in the lock table; `data-lock-name`, `data-waits` carry its values. */
  lockRow: '[data-lock-row]',
  /** The "Go to source" action of the selected row. */
  goToSource: '[data-action="go-to-source"]',
  /** The banner that tells the user a trace was cut short or repaired. */
  warningBanner: '[data-banner="warning"]',
  /** The banner that says the trace could not be shown. */
  errorBanner: '[data-banner="error"]',
  /** The toolbar's one-line status ("Program exited with code 0"); its class names the state:
   * loading, recording, done, stopped. */
  status: '.weft-status',
};

/** Waits for the Weft view to draw at least `min` lanes; returns its frame and lane names. */
export async function waitForLanes(page, { min = 1, timeout = 90_000 } = {}) {
  let frame = null;
  const names = await waitUntil(
    async () => {
      await throwOnErrorNotification(page);
      frame = await webviewFrame(page, { timeout: 5_000 });
      const error = frame.locator(SEL.errorBanner);
      if ((await error.count()) > 0) {
        throw new FatalError(`the Weft view shows an error: "${(await error.first().innerText()).replace(/\s+/g, ' ').trim()}"`);
      }
      const labels = frame.locator(SEL.laneLabel);
      const n = await labels.count();
      if (n < min) return null;
      return (await labels.allTextContents()).map((t) => t.trim());
    },
    { timeout, interval: 300, what: `the Weft view to draw at least ${min} lane(s)` },
  );
  return { frame, names };
}

/** Every lock-table row as { name, waits, text, row } (waits NaN when not shown). */
export async function lockRows(frame) {
  const rows = frame.locator(SEL.lockRow);
  const n = await rows.count();
  const out = [];
  for (let i = 0; i < n; i++) {
    const row = rows.nth(i);
    out.push({
      name: (await row.getAttribute('data-lock-name')) ?? '',
      waits: Number(await row.getAttribute('data-waits')),
      text: (await row.innerText()).replace(/\s+/g, ' ').trim(),
      row,
    });
  }
  return out;
}

/** Waits for the lock table to list a lock named `name`; returns its row. */
export async function waitForLock(frame, name, { timeout = 30_000 } = {}) {
  return waitUntil(async () => (await lockRows(frame)).find((r) => r.name === name), {
    timeout,
    what: `the lock table to list ${name}`,
  });
}

/**
 * Waits until the view's status is in `state` (e.g. 'done' once the program has exited and the
 * final trace is shown, 'stopped' after Stop Profiling); returns the status text.
 */
export async function waitForStatus(page, state, { timeout = 90_000 } = {}) {
  return waitUntil(
    async () => {
      await throwOnErrorNotification(page);
      const frame = await webviewFrame(page, { timeout: 5_000 });
      const el = frame.locator(`${SEL.status}.${state}`);
      if ((await el.count()) === 0) return null;
      return (await el.first().innerText()).trim() || null;
    },
    { timeout, interval: 300, what: `the Weft view's status to be "${state}"` },
  );
}

/** Text of the warning banner, or null when there is none. */
export async function bannerText(frame) {
  const b = frame.locator(SEL.warningBanner);
  if ((await b.count()) === 0 || !(await b.first().isVisible())) return null;
  return (await b.first().innerText()).replace(/\s+/g, ' ').trim();
}
