// Phase 4, second check: the debugger driven like a user in a fresh workbench with ONLY the installed
// .vsix. Quick Open the digits example, go to the second dense layer's line, "Debug: Add Conditional
// Breakpoint..." with `step >= 3`, F5 (no launch.json), and read what the workbench shows: the Call
// Stack's frames, the Variables of the stopped layer, the gutter's breakpoint and stopped-line marks,
// `gradNorm` in the Debug Console. The picture (test-results/ui-debug-stopped.png) is kept only when
// every one of those is there.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { keepScreenshot, record, tmp } from './env.mjs';
import { makeWorkspace } from './server.mjs';
import { inWorkbench } from './uiSession.mjs';
import { waitUntil } from './wait.mjs';
import { goToLine, noHover, quickOpen, runFromPalette } from './workbench.mjs';

/** @typedef {import('playwright-core').Page} Page */

const MODEL = 'digits.gradlens.json';
const LAYER = '"units": 64';
const CONDITION = 'step >= 3';
const TOP_FRAME = 'layer 1 · dense 128→64 relu · after backward';

/**
 * @param {import('playwright-core').Browser} browser
 * @param {string} extensionsDir where the .vsix was installed
 */
export async function uiDebug(browser, extensionsDir) {
  const workspace = makeWorkspace('ui-debug');
  const text = fs.readFileSync(path.join(workspace, 'digits', MODEL), 'utf8');
  const line = text.split('\n').findIndex((l) => l.includes(LAYER)) + 1;
  const failed = 'UI: debugging a model file (breakpoint, F5, Call Stack, Variables)';
  await inWorkbench({ browser, extensionsDir, name: 'ui-debug', workspace, failed }, (page) => stopsAtTheLayer(page, line));
}

/**
 * @param {Page} page
 * @param {number} line 1-based line of the second dense layer
 */
async function stopsAtTheLayer(page, line) {
  await quickOpen(page, MODEL);
  const editor = page.locator('.editor-group-container .monaco-editor').first();
  await editor.locator('.view-lines').first().click();
  // Go to the layer's line (Quick Open's ":line"), then the conditional breakpoint there, as a user adds it.
  await goToLine(page, line);
  await waitUntil(async () => (await page.locator('.statusbar', { hasText: `Ln ${line},` }).count()) > 0, {
    what: `the cursor on line ${line}`,
    timeoutMs: 60_000,
  });
  await runFromPalette(page, 'Debug: Add Conditional Breakpoint...');
  const widget = page.locator('.breakpoint-widget .inputContainer');
  await widget.waitFor();
  // The widget shows before its input takes the focus: typing earlier lands in the model file.
  await waitUntil(
    async () => {
      if (await widget.evaluate((el) => el.contains(document.activeElement))) return true;
      await widget.click().catch(() => {});
      return false;
    },
    { what: 'the breakpoint condition input to take the focus', timeoutMs: 60_000, intervalMs: 100 },
  );
  await page.keyboard.type(CONDITION);
  await page.keyboard.press('Enter');
  await widget.waitFor({ state: 'hidden' });
  const glyph = editor.locator('.codicon-debug-breakpoint-conditional, .codicon-debug-breakpoint-conditional-unverified');
  await glyph.first().waitFor();

  // F5 in the model file, without a launch.json; the picker (if VS Code asks which debugger) gets ours.
  await runFromPalette(page, 'Debug: Start Debugging');
  const frame = page.locator('.debug-call-stack .monaco-list-row', { hasText: TOP_FRAME });
  await waitUntil(
    async () => {
      if (await frame.first().isVisible()) return true;
      const pick = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Gradient Lens' }).first();
      if (await pick.isVisible().catch(() => false)) await pick.click();
      return false;
    },
    { what: `the Call Stack to show "${TOP_FRAME}"`, timeoutMs: 180_000, intervalMs: 250 },
  );
  const frames = (await page.locator('.debug-call-stack .monaco-list-row').allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
  const stepFrame = frames.some((t) => t.includes('step 3 (batch of 32)'));
  // Room for the frames' names: the side bar's edge dragged to twice its width, as a user does.
  const sidebar = await page.locator('.part.sidebar').boundingBox();
  if (sidebar) {
    const edge = sidebar.x + sidebar.width;
    for (const sash of await page.locator('.monaco-sash.vertical').all()) {
      const box = await sash.boundingBox();
      if (!box || Math.abs(box.x + box.width / 2 - edge) > 4) continue;
      const y = box.y + box.height / 2;
      await page.mouse.move(edge, y);
      await page.mouse.down();
      await page.mouse.move(edge + sidebar.width, y, { steps: 10 });
      await page.mouse.up();
      break;
    }
  }
  // Variables: the stopped layer's scope, opened as a user does, shows shapes first.
  const scope = page.locator('.debug-variables .monaco-list-row', { hasText: 'layers[1]' }).first();
  await scope.waitFor();
  if ((await scope.getAttribute('aria-expanded')) !== 'true') await scope.click();
  const perExample = page.locator('.debug-variables .monaco-list-row', { hasText: 'perExample' }).first();
  await perExample.waitFor({ timeout: 60_000 });
  const perExampleText = (await perExample.innerText()).replace(/\s+/g, ' ');
  const stoppedLine = await editor.locator('.debug-top-stack-frame-line, .codicon-debug-stackframe').count();

  // The Debug Console (VS Code opens it with the session) answers gradNorm.
  const input = page.locator('.repl .repl-input-wrapper .monaco-editor').first();
  await input.click();
  await page.keyboard.type('gradNorm');
  await page.keyboard.press('Enter');
  const answer = page.locator('.repl .monaco-list-row .expression .value, .repl .monaco-list-row .value').filter({
    hasText: /^\d+\.\d+/,
  });
  await answer.first().waitFor({ timeout: 60_000 });
  const gradNorm = await answer.first().innerText();

  await page.mouse.move(700, 450);
  await noHover(page);
  const pending = path.join(tmp, 'ui-debug-stopped.png');
  await page.screenshot({ path: pending });
  const ok = stepFrame && /float32\[32×128×64\]/.test(perExampleText) && stoppedLine > 0 && Number(gradNorm) > 0;
  record(
    'UI: conditional breakpoint on a layer, F5 without launch.json → stopped there (Call Stack, Variables, gutter, Debug Console)',
    ok,
    `frames: ${frames.slice(0, 3).join(' | ')}; ${perExampleText}; stopped-line marks ${stoppedLine}; gradNorm ${gradNorm}; test-results/ui-debug-stopped.png`,
  );
  if (ok) keepScreenshot(pending, 'ui-debug-stopped.png');
  await runFromPalette(page, 'Debug: Stop').catch(() => {});
}
