// `--threads auto|1|2` of the CLI as a user runs it (the bundled dist/cli.js in a child process):
// two threads train the CNN example to the same losses as one and say so; anything else is refused.
import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../../..');
const cli = path.join(root, 'dist/cli.js');
const cnn = path.join(root, 'examples/cnn/cnn.gradlens.json');
const mlp = path.join(root, 'examples/digits/digits.gradlens.json');
const run = (args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });

before(() => {
  if (!existsSync(cli)) assert.equal(spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root }).status, 0);
});

const stepLosses = (stdout: string): number[] =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((l) => l.type === 'step')
    .map((l) => l.loss);

test('train --threads 2 gives the losses of --threads 1, names the threads, and the process ends', () => {
  const two = run(['train', cnn, '--epochs', '1', '--json', '--threads', '2']);
  const one = run(['train', cnn, '--epochs', '1', '--json', '--threads', '1']);
  assert.equal(two.status, 0, two.stderr);
  assert.equal(one.status, 0, one.stderr);
  assert.match(two.stderr, /float32 on wasm-simd, up to 2 threads \(the 2nd joins after 250 ms of training\)\n/);
  assert.match(one.stderr, /float32 on wasm-simd, 1 thread\n/);
  assert.equal(stepLosses(two.stdout).length, 25);
  assert.deepEqual(stepLosses(two.stdout), stepLosses(one.stdout));
});

test('--threads 3 (and any other value) is refused with exit 2 and a message saying what is allowed', () => {
  for (const args of [
    ['train', cnn, '--threads', '3'],
    ['compare', cnn, '--threads', 'two'],
    ['repeat', mlp, '--threads', '0'],
  ]) {
    const r = run(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /--threads: expected auto, 1 or 2, got "(3|two|0)"/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('compare and repeat run with --threads 2; --help lists the flag', () => {
  const compare = run(['compare', mlp, '--threads', '2', '--batch-sizes', '32,full', '--rates', 'file', '--json']);
  assert.equal(compare.status, 0, compare.stderr);
  assert.equal(JSON.parse(compare.stdout).runs.length, 2);
  const repeat = run(['repeat', mlp, '--threads', '2', '--times', '3', '--json']);
  assert.equal(repeat.status, 0, repeat.stderr);
  const help = run(['--help']);
  assert.match(help.stderr, /--threads {4}threads the WASM engine trains on: auto/);
  assert.match(help.stderr, /gradient-lens train <file> .*\[--threads auto\|1\|2\]/);
});
