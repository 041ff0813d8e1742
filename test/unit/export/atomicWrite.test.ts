// Writes are atomic: killed with SIGKILL at any point, the target holds the old file or the whole
// new one, never a part.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic } from '../../../src/export/atomicWrite';
import { jsonChunks } from '../../../src/export/jsonChunks';

const child = path.join(__dirname, 'atomic-child.ts');

/** Runs the child and kills it once it reports `killAfter` MB written (or never, with Infinity). */
function writeAndKill(target: string, megabytes: number, fill: string, killAfter: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, target, String(megabytes), fill], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.setEncoding('utf8');
    p.stdout.on('data', (d: string) => {
      out += d;
      const lines = out.trim().split('\n');
      if (Number(lines[lines.length - 1]) >= killAfter) p.kill('SIGKILL');
    });
    p.on('error', reject);
    p.on('exit', (_code, signal) => resolve(signal ?? 'exit'));
  });
}

test('SIGKILL while writing leaves the old file or the complete new one', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gl-atomic-'));
  const target = path.join(dir, 'snapshot.json');
  writeFileSync(target, 'a'.repeat(3 * 2 ** 20));
  const outcomes: string[] = [];
  for (const [killAfter, fill] of [
    [1, 'b'],
    [4, 'c'],
    [7, 'd'],
    [Infinity, 'e'],
  ] as const) {
    const how = await writeAndKill(target, 8, fill, killAfter);
    const text = readFileSync(target, 'latin1');
    const before = outcomes.length === 0 ? 'a' : outcomes[outcomes.length - 1];
    const whole = (c: string, mb: number) => text.length === mb * 2 ** 20 && text === c.repeat(text.length);
    const ok = whole(before, before === 'a' ? 3 : 8) || whole(fill, 8);
    assert.ok(
      ok,
      `after ${how} at ${killAfter} MB the target holds ${text.length} bytes starting ${JSON.stringify(text.slice(0, 3))}`,
    );
    outcomes.push(text[0]);
    if (how === 'exit') assert.equal(text[0], fill);
  }
  assert.equal(outcomes[outcomes.length - 1], 'e');
  // The kill after 1 of 8 MB lands long before the rename: the old file must still be there.
  assert.equal(outcomes[0], 'a', `outcomes ${outcomes.join('')}`);
});

test('the temporary file a kill -9 leaves is removed by the next write; a live writer keeps its own', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gl-atomic-'));
  const target = path.join(dir, 'snapshot.json');
  writeFileSync(target, 'old');
  assert.equal(await writeAndKill(target, 8, 'b', 2), 'SIGKILL');
  const left = readdirSync(dir).filter((f) => f.endsWith('.tmp'));
  assert.equal(left.length, 1, `expected the killed writer's temporary file, found ${JSON.stringify(readdirSync(dir))}`);
  assert.match(left[0], /^\.snapshot\.json\.\d+\.[0-9a-f]{8}\.tmp$/);
  // A process that still runs (it may be writing): its file stays. Files of other names stay.
  const live = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  try {
    const liveTemp = `.snapshot.json.${live.pid}.0123abcd.tmp`;
    writeFileSync(path.join(dir, liveTemp), 'partial');
    writeFileSync(path.join(dir, '.snapshot.json.notes'), 'mine');
    writeFileSync(path.join(dir, `.other.json.${left[0].split('.')[3]}.0123abcd.tmp`), 'another target');
    await writeFileAtomic(target, 'new');
    assert.equal(readFileSync(target, 'utf8'), 'new');
    assert.deepEqual(
      readdirSync(dir).sort(),
      [liveTemp, '.other.json.' + left[0].split('.')[3] + '.0123abcd.tmp', '.snapshot.json.notes', 'snapshot.json'].sort(),
    );
  } finally {
    live.kill('SIGKILL');
  }
});

test('a failed write leaves the target and no temporary file; permissions of the old file are kept', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gl-atomic-'));
  const target = path.join(dir, 'h.csv');
  writeFileSync(target, 'old', { mode: 0o600 });
  async function* failing(): AsyncGenerator<string> {
    yield 'new';
    throw new Error('disk full');
  }
  await assert.rejects(writeFileAtomic(target, failing()), /disk full/);
  assert.equal(readFileSync(target, 'utf8'), 'old');
  assert.deepEqual(readdirSync(dir), ['h.csv']);
  await writeFileAtomic(target, 'new');
  assert.equal(readFileSync(target, 'utf8'), 'new');
  assert.equal(statSync(target).mode & 0o777, 0o600);
});

test('jsonChunks joined is JSON.stringify', () => {
  const v = {
    loss: 0.5,
    batch: {
      x: [
        [1, 2],
        [3, NaN],
      ],
      y: [0, 1],
    },
    n: null,
    s: 'a"b',
    u: undefined,
    nested: [[[1]], [], {}],
    parameters: [{ name: 'w', value: [1e-7, -0] }],
  };
  assert.equal([...jsonChunks(v)].join(''), JSON.stringify(v));
});
