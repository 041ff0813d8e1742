// Driving the VS Code workbench like a user (Quick Open, the command palette, CodeLens) and reading
// the Gradient Lens panel, which is a webview (nested iframes) exposing window.__gradientLens.
// Every step waits for what it needs to see; a key press that the workbench was not ready for is
// pressed again rather than assumed to have worked.
import { waitUntil } from './wait.mjs';

/** @typedef {import('playwright-core').Page} Page */
/** @typedef {import('playwright-core').Frame} Frame */
/** @typedef {{ step: number, state: string, file: string, canvases: number }} PanelState */

const UI_MS = 60_000;

/**
 * Presses `key` until the quick input shows (a press before the workbench's keybindings are live is lost).
 * @param {Page} page
 * @param {string} key
 */
async function openQuickInput(page, key) {
  const input = page.locator('.quick-input-widget input');
  // The previous quick input must have closed first, or its input would pass for the new one.
  await input.waitFor({ state: 'hidden' });
  await waitUntil(
    async () => {
      if (await input.isVisible()) return true;
      await page.keyboard.press(key);
      return input.waitFor({ state: 'visible', timeout: 10_000 }).then(
        () => true,
        () => false,
      );
    },
    { what: `the quick input after ${key}`, timeoutMs: UI_MS },
  );
  return input;
}

/**
 * Opens a workspace file through Quick Open (Ctrl+P).
 * @param {Page} page
 * @param {string} fileName
 */
export async function quickOpen(page, fileName) {
  const input = await openQuickInput(page, 'Control+P');
  await input.fill(fileName);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: fileName }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab.active', { hasText: fileName }).first().waitFor();
  await input.waitFor({ state: 'hidden' });
}

/**
 * Moves the cursor of the active editor to `line` through Quick Open's `:line`.
 * @param {Page} page
 * @param {number} line 1-based
 */
export async function goToLine(page, line) {
  const input = await openQuickInput(page, 'Control+P');
  await input.fill(`:${line}`);
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden' });
}

/**
 * Runs a command by its exact title through the command palette (F1), as a user would.
 * @param {Page} page
 * @param {string} title
 */
export async function runFromPalette(page, title) {
  const input = await openQuickInput(page, 'F1');
  await input.fill(`>${title}`);
  // "Gradient Lens: Train" is also a prefix of "…: Training" view commands: pick the exact title.
  const exact = new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const row = page
    .locator('.quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: exact }) })
    .first();
  await row.click();
  await input.waitFor({ state: 'hidden' });
}

/**
 * When Train asks "Which model file?" (the extension host had not yet heard which editor is active),
 * answers with `relativePath`, as the user who just opened that file would. Returns whether it asked.
 * @param {Page} page
 * @param {string} relativePath
 * @returns {Promise<boolean>}
 */
export async function answerModelQuestion(page, relativePath) {
  const question = page.locator('.quick-input-widget input[placeholder="Which model file?"]');
  if (!(await question.isVisible().catch(() => false))) return false;
  await page.locator('.quick-input-list .monaco-list-row', { hasText: relativePath }).first().click();
  return true;
}

/**
 * Runs inside a webview frame: what the Gradient Lens panel last drew, from its own summary
 * (window.__gradientLens, exposed by webview/main.ts for tests), else the largest "step N" in its text.
 * @param {string} mode
 * @returns {PanelState | null}
 */
function readPanel(mode) {
  if (document.body?.dataset?.mode !== mode) return null;
  /** @type {{ summary?: () => { lastStep: number, state: string }, snapshot?: { run?: { file?: string } | null } } | undefined} */
  const gl = /** @type {any} */ (window).__gradientLens;
  const canvases = document.querySelectorAll('canvas').length;
  if (gl && typeof gl.summary === 'function') {
    const s = gl.summary();
    return { step: s.lastStep, state: s.state, file: gl.snapshot?.run?.file ?? '', canvases };
  }
  const steps = [...document.body.innerText.matchAll(/step\s*(\d+)/gi)].map((m) => Number(m[1]));
  return { step: steps.length ? Math.max(...steps) : 0, state: '', file: '', canvases };
}

/**
 * The panel's state now, looked up afresh (a webview's document may be recreated at any time).
 * @param {Page} page
 * @returns {Promise<PanelState | null>}
 */
export async function panelState(page) {
  for (const frame of page.frames()) {
    const s = await frame.evaluate(readPanel, 'panel').catch(() => null);
    if (s) return s;
  }
  return null;
}

/**
 * Waits until the panel's state satisfies `ok`.
 * @param {Page} page
 * @param {(s: PanelState) => boolean} ok
 * @param {string} what
 * @param {number} [timeoutMs]
 * @param {() => Promise<void>} [meanwhile] run on every poll (e.g. answering a stray dialog)
 * @returns {Promise<PanelState>}
 */
export async function waitForPanel(page, ok, what, timeoutMs = 120_000, meanwhile) {
  /** @type {PanelState | null} */
  let last = null;
  return waitUntil(
    async () => {
      if (meanwhile) await meanwhile();
      last = await panelState(page);
      return last && ok(last) ? last : null;
    },
    { what: `the panel to show ${what}`, timeoutMs, intervalMs: 250, lastSeen: () => JSON.stringify(last) },
  );
}

/**
 * Waits until no tooltip or hover is showing (so a screenshot does not catch one).
 * @param {Page} page
 */
export async function noHover(page) {
  const hovers = page.locator('.monaco-hover:visible, .workbench-hover:visible, .monaco-hover-content:visible');
  await waitUntil(async () => (await hovers.count()) === 0, { what: 'hovers to close', timeoutMs: UI_MS });
  // Two frames, so what was laid out last is also painted.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}
