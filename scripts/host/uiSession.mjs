// What both UI checks share: a fresh workbench server with ONLY the installed .vsix, a browser page
// on the workspace, and, when a check fails, a failure picture of its own (the README's pictures
// must stay those of a passing run) and the check recorded as failed with its message.
import * as path from 'node:path';
import { record, root, verbose } from './env.mjs';
import { newPage, startServer } from './server.mjs';

/** @typedef {import('playwright-core').Page} Page */

/**
 * Opens `workspace` in a workbench named `name`, waits until it is up, and runs `drive` on its page.
 * A failure is kept as test-results/<name>-failure.png and recorded under `failed`.
 * @param {{ browser: import('playwright-core').Browser, extensionsDir: string, name: string, workspace: string, failed: string }} o
 * @param {(page: Page) => Promise<void>} drive
 */
export async function inWorkbench(o, drive) {
  const server = await startServer(o.name, ['--extensions-dir', o.extensionsDir]);
  const { page, consoleLines } = await newPage(o.browser);
  try {
    await page.goto(`http://127.0.0.1:${server.port}/?folder=${encodeURIComponent(o.workspace)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
    await page.locator('.statusbar').waitFor({ timeout: 120_000 });
    await drive(page);
  } catch (e) {
    await page.screenshot({ path: path.join(root, 'test-results', `${o.name}-failure.png`) }).catch(() => {});
    if (verbose) console.log(consoleLines.slice(-40).join('\n'));
    record(o.failed, false, String(e instanceof Error ? e.message : e));
  } finally {
    await page.close().catch(() => {});
    server.stop();
  }
}
