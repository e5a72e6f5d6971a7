// Scenario 5: in an untrusted workspace (Restricted Mode) "Weft: Profile Current File" does not
// run the program and says why.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openFile, runCommand, waitForNotification } from '../lib/workbench.mjs';
import { processesRunning } from '../lib/processes.mjs';

export default {
  id: 5,
  slug: 'untrusted-workspace',
  title: 'Untrusted workspace: Profile Current File refuses and says why',
  trusted: false,
  async run({ page, workspace, log }) {
    // The window really is in Restricted Mode (the status bar says so); otherwise this
    // scenario would prove nothing.
    await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 30_000 });
    await openFile(page, 'bank_transfer.py');
    await runCommand(page, 'Weft: Profile Current File');
    // The message must say why: the workspace is not trusted.
    const text = await waitForNotification(page, /not trusted|untrusted|Restricted Mode/i);
    log(`notification: ${text}`);
    // Nothing ran: no process, and no trace written.
    if (processesRunning('bank_transfer.py', workspace).length > 0) throw new Error('bank_transfer.py is running in an untrusted workspace');
    if (existsSync(join(workspace, '.weft'))) throw new Error('a trace was written (.weft/ exists) in an untrusted workspace');
  },
};
