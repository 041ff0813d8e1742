// The VS Code server (from code-server, started directly so it accepts --enable-smoke-test-driver),
// headless Chromium for its workbench, and scratch workspaces copied from examples/.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { chromiumBin, node24, root, serverMain, tmp, verbose } from './env.mjs';
import { waitUntil } from './wait.mjs';

const require = createRequire(import.meta.url);

const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-dev-shm-usage',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
  '--no-default-browser-check',
];
const WORKBENCH_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'workbench.tips.enabled': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
};
/** With workspace trust on: no prompt at startup, so the folder simply stays untrusted (Restricted Mode). */
const UNTRUSTED_SETTINGS = {
  'security.workspace.trust.enabled': true,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.emptyWindow': false,
};
/** How long the server may take to answer (a loaded machine needs many times the quiet 3 s). */
const SERVER_START_MS = 180_000;

/** @typedef {{ port: number, child: import('node:child_process').ChildProcess, log: string[], stop: () => void }} Server */

/**
 * @param {string[]} [extraFlags]
 * @returns {Promise<import('playwright-core').Browser>}
 */
export function launchBrowser(extraFlags = []) {
  /** @type {typeof import('playwright-core')} */
  const { chromium } = require('playwright-core');
  return chromium.launch({ executablePath: chromiumBin, headless: true, args: [...CHROMIUM_FLAGS, ...extraFlags] });
}

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = /** @type {net.AddressInfo} */ (srv.address());
      srv.close(() => resolve(address.port));
    });
  });
}

/**
 * Starts the VS Code server; resolves once it answers.
 * @param {string} name
 * @param {string[]} extraArgs
 * @param {Record<string, string>} [env]
 * @param {{ trust?: boolean }} [options] trust: workspace trust on, the folder opened untrusted (no startup prompt)
 * @returns {Promise<Server>}
 */
export async function startServer(name, extraArgs, env = {}, { trust = false } = {}) {
  const port = await freePort();
  const dir = path.join(tmp, name);
  // Settings for the remote side (where our extension runs) and the browser side: a clean workbench.
  for (const file of [
    path.join(dir, 'server-data', 'data', 'Machine', 'settings.json'),
    path.join(dir, 'user-data', 'User', 'settings.json'),
  ]) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const settings = trust ? { ...WORKBENCH_SETTINGS, ...UNTRUSTED_SETTINGS } : WORKBENCH_SETTINGS;
    fs.writeFileSync(file, JSON.stringify(settings, null, 2));
  }
  /** @type {string[]} */
  const log = [];
  const child = spawn(
    node24,
    [
      serverMain,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--without-connection-token',
      '--accept-server-license-terms',
      '--enable-smoke-test-driver',
      '--disable-telemetry',
      ...(trust ? [] : ['--disable-workspace-trust']),
      '--server-data-dir',
      path.join(dir, 'server-data'),
      '--user-data-dir',
      path.join(dir, 'user-data'),
      ...extraArgs,
    ],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.on('data', (d) => {
    log.push(String(d));
    if (verbose) process.stdout.write(`[server] ${d}`);
  });
  child.stderr.on('data', (d) => {
    log.push(String(d));
    if (verbose) process.stderr.write(`[server] ${d}`);
  });
  const stop = () => {
    child.kill('SIGTERM');
  };
  try {
    await waitUntil(
      async () => {
        if (child.exitCode !== null) throw new Error(`the VS Code server exited with ${child.exitCode}`);
        return fetch(`http://127.0.0.1:${port}/version`).then(
          (r) => r.ok,
          () => false,
        );
      },
      { what: 'the VS Code server to answer', timeoutMs: SERVER_START_MS, intervalMs: 250 },
    );
  } catch (e) {
    stop();
    throw new Error(`${e instanceof Error ? e.message : e}:\n${log.join('').slice(-3000)}`, { cause: e });
  }
  return { port, child, log, stop };
}

/**
 * A workbench page; its console lines are kept for failure reports.
 * @param {import('playwright-core').Browser} browser
 */
export async function newPage(browser) {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  // Every wait of the workbench checks is a condition with a deadline; a loaded machine is slow.
  page.setDefaultTimeout(60_000);
  page.setDefaultNavigationTimeout(120_000);
  /** @type {string[]} */
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(m.text()));
  return { page, consoleLines };
}

/**
 * A scratch workspace: a copy of examples/ (tests add and remove their own files in it).
 * @param {string} name
 */
export function makeWorkspace(name) {
  const ws = path.join(tmp, `${name}-workspace`);
  fs.cpSync(process.env.HOST_TEST_EXAMPLES || path.join(root, 'examples'), ws, { recursive: true });
  // The examples point "$schema" at ../../schemas/: keep that relative path valid next to the copy.
  const schemas = path.join(path.dirname(ws), 'schemas');
  if (!fs.existsSync(schemas) && fs.existsSync(path.join(root, 'schemas')))
    fs.cpSync(path.join(root, 'schemas'), schemas, { recursive: true });
  return ws;
}
