// The other readers of files a user names (the debugger's model file, its breakpoints' model file,
// a weights file) refuse FIFOs and devices at once instead of blocking on them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadRun, LaunchError } from '../../../src/debug/load';
import { readDataFile, readModelFileSync } from '../../../src/data/safeOpen';
import { mediaDir, tempDir } from './helpers';

const launch = (model: string, workspace: string) => loadRun({ model, workspace, mediaDir, overrides: {}, wasm: false });

test('the debugger refuses a model file that is a FIFO, naming it, instead of waiting for a writer', async (t) => {
  const dir = tempDir(t);
  const fifo = path.join(dir, 'pipe.gradlens.json');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  await assert.rejects(
    launch(fifo, dir),
    (e: unknown) =>
      e instanceof LaunchError &&
      e.message ===
        `Cannot read the model file ${fifo} (cannot read: this is a named pipe (FIFO); data must be a regular file or a folder).`,
  );
  await assert.rejects(
    launch(path.join(dir, 'missing.gradlens.json'), dir),
    /Cannot read the model file .*missing\.gradlens\.json \(ENOENT\)\./,
  );
});

test('the debugger still reads a regular model file (with a BOM) and trains its data', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'ok.gradlens.json');
  writeFileSync(file, '\ufeff{ "data": { "source": "mnist", "limit": 20 }, "layers": [ { "type": "dense", "units": 10 } ] }');
  const run = await launch(file, dir);
  assert.equal(run.train.count + (run.validation?.count ?? 0), 20);
});

test('the breakpoints reader refuses a FIFO and /dev/zero at once', (t) => {
  const dir = tempDir(t);
  const fifo = path.join(dir, 'bp.gradlens.json');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  assert.throws(() => readModelFileSync(fifo), /is not a regular file/);
  assert.throws(() => readModelFileSync('/dev/zero'), /is not a regular file/);
  const file = path.join(dir, 'ok.gradlens.json');
  writeFileSync(file, '{}');
  assert.equal(readModelFileSync(file), '{}');
});

test('a weights file that is a FIFO is refused as a weights file, not read', async (t) => {
  const dir = tempDir(t);
  const fifo = path.join(dir, 'weights.json');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  await assert.rejects(
    readDataFile(fifo, '', 1 << 20, {}, 'weights file'),
    (e: unknown) =>
      e instanceof Error && e.message === 'cannot read: this is a named pipe (FIFO); data must be a regular file or a folder',
  );
  const big = path.join(dir, 'big.json');
  writeFileSync(big, 'x'.repeat(100));
  await assert.rejects(readDataFile(big, '', 10, {}, 'weights file'), /the weights file is 100 bytes, more than the 10/);
});
