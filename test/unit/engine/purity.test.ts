// The engine must run in a web worker later: no VS Code, no Node built-ins, anywhere in src/engine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

const engineDir = path.resolve(__dirname, '../../../src/engine');
const FORBIDDEN = /^(vscode|node:.*|fs|fs\/promises|path|worker_threads|child_process|os|crypto|url|util|module)$/;

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? tsFiles(full) : name.endsWith('.ts') ? [full] : [];
  });
}

test('src/engine imports nothing from vscode or Node built-ins', () => {
  const files = tsFiles(engineDir);
  assert.ok(files.length > 10, 'the scan found the engine sources');
  const offenders: string[] = [];
  const importRe =
    /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|require\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(importRe)) {
      const spec = m[1] ?? m[2] ?? m[3] ?? m[4];
      if (FORBIDDEN.test(spec)) offenders.push(`${path.relative(engineDir, file)} imports '${spec}'`);
    }
  }
  assert.deepEqual(offenders, []);
});
