// How the suites run node's test runner: TypeScript through tsx, the spec reporter for people and the
// tally reporter (node-test-tally.mjs) for scripts/test.mjs, both on stdout.
import { readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';

const tally = path.join(path.dirname(new URL(import.meta.url).pathname), 'node-test-tally.mjs');

/**
 * The command that runs `files` under node's test runner.
 * @param {string[]} files
 * @returns {string[]}
 */
export function nodeTestCommand(files) {
  return [
    process.execPath,
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${tally}`,
    '--test-reporter-destination=stdout',
    ...files,
  ];
}

/**
 * Every `*.test.ts` under `dir`, sorted (node 20's --test takes no glob of its own).
 * @param {string} dir
 * @returns {string[]}
 */
export function testFiles(dir) {
  /** @type {string[]} */
  const out = [];
  for (const e of readdirSync(dir).sort()) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) {
      if (e !== 'fixtures') out.push(...testFiles(p));
    } else if (e.endsWith('.test.ts')) out.push(p);
  }
  return out;
}
