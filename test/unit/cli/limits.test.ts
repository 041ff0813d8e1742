// The CLI on inputs that used to end in an internal error or worse: absurd sizes, runs over the
// memory limit, missing data, the workspace it picks, a BOM, and the snapshot written atomically.
import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../../..');
const cli = path.join(root, 'dist/cli.js');
const run = (args: string[], cwd = root) =>
  spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });

before(() => {
  if (!existsSync(cli)) assert.equal(spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root }).status, 0);
});

function folder(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'gl-cli-limits-'));
}

const mnistModel = (layers: string, extra = '') =>
  `{\n  "data": { "source": "mnist", "limit": 100 },\n  "layers": [\n    ${layers}\n  ]${extra}\n}\n`;

test('absurd layer sizes are positioned errors with exit 2, never internal errors', () => {
  const dir = folder();
  const cases: [string, string][] = [
    [
      '{ "type": "dense", "units": 1e9 }',
      'm.gradlens.json:4:33: error: layers[0].units: expected an integer of at most 65536, got 1e9',
    ],
    [
      '{ "type": "conv2d", "filters": 1e4, "kernelSize": 3 }, { "type": "flatten" }, { "type": "dense", "units": 10 }',
      'm.gradlens.json:4:36: error: layers[0].filters: expected an integer of at most 4096, got 1e4',
    ],
    [
      '{ "type": "conv2d", "filters": 8, "kernelSize": 1000, "padding": "same" }, { "type": "flatten" }, { "type": "dense", "units": 10 }',
      'm.gradlens.json:4:53: error: layers[0].kernelSize: expected an integer of at most 255, got 1000',
    ],
  ];
  for (const [layers, expected] of cases) {
    writeFileSync(path.join(dir, 'm.gradlens.json'), mnistModel(layers));
    for (const command of ['train', 'check', 'snapshot']) {
      const r = run([command, 'm.gradlens.json'], dir);
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr.split('\n')[0], expected);
      assert.doesNotMatch(r.stderr, /internal error/);
    }
  }
});

test('a run over the memory limit is refused with the layer, its position and the estimate', () => {
  const dir = folder();
  writeFileSync(
    path.join(dir, 'm.gradlens.json'),
    mnistModel(
      '{ "type": "dense", "units": 60000 },\n    { "type": "dense", "units": 60000 },\n    { "type": "dense", "units": 10 }',
    ),
  );
  const r = run(['train', 'm.gradlens.json'], dir);
  assert.equal(r.status, 2);
  // Training from the CLI reads no per-example weight gradient, so none is counted.
  assert.match(
    r.stderr,
    /^m\.gradlens\.json:5:5: error: layers\[1\] \(dense, 60000 units\): training needs about [\d.]+ [GT]B \(parameters [\d.]+ GB, activations [\d.]+ [MG]B, per-example gradients 0 bytes, at batch size 32\), over the memory limit of [\d.]+ GB; this layer needs/,
  );
  writeFileSync(
    path.join(dir, 'small.gradlens.json'),
    mnistModel('{ "type": "dense", "units": 512 }, { "type": "dense", "units": 10 }'),
  );
  const limited = run(['check', 'small.gradlens.json', '--memory-limit', '1M'], dir);
  assert.equal(limited.status, 2);
  assert.match(
    limited.stderr,
    /^small\.gradlens\.json:4:5: error: layers\[0\] \(dense, 512 units\): training needs about [\d.]+ MB .*over the memory limit of 1\.0 MB/,
  );
  const bad = run(['check', 'small.gradlens.json', '--memory-limit', 'lots'], dir);
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, 'gradient-lens: --memory-limit: expected a size of at least 1M such as 512M or 4G, got "lots"\n');
});

test('a snapshot too large for memory is refused before it is built', () => {
  const dir = folder();
  writeFileSync(
    path.join(dir, 'm.gradlens.json'),
    mnistModel('{ "type": "dense", "units": 128 },\n    { "type": "dense", "units": 10 }', ',\n  "batchSize": 4000').replace(
      '"limit": 100',
      '"limit": 5000',
    ),
  );
  const r = run(['snapshot', 'm.gradlens.json'], dir);
  assert.equal(r.status, 2, r.stderr);
  assert.match(
    r.stderr,
    /^m\.gradlens\.json:4:5: error: layers\[0\] \(dense, 128 units\): the batch snapshot holds 4\d\d,\d{3},\d{3} numbers \(every per-example gradient of 4000 examples; this layer has 100,480 parameters\)/,
  );
  assert.equal(r.stdout, '');
});

test('a missing data file is shown at the data.source value of the model file', () => {
  const dir = folder();
  writeFileSync(
    path.join(dir, 'm.gradlens.json'),
    '{\n  "data": { "source": "nope.csv" },\n  "layers": [ { "type": "dense", "units": 3 } ]\n}\n',
  );
  const r = run(['train', 'm.gradlens.json'], dir);
  assert.equal(r.status, 2);
  assert.equal(
    r.stderr,
    `m.gradlens.json:2:23: error: nope.csv (${path.join(dir, 'nope.csv')}): cannot read: no such file or folder\n`,
  );
});

test('the workspace is the nearest folder with .git or .vscode above the model file, not the current folder', () => {
  const ws = folder();
  mkdirSync(path.join(ws, '.vscode'));
  mkdirSync(path.join(ws, 'models'));
  writeFileSync(path.join(ws, 'train.csv'), 'label,a,b\n0,0,1\n1,1,0\n0,0,1\n1,1,0\n');
  const model = path.join(ws, 'models', 'm.gradlens.json');
  writeFileSync(
    model,
    '{ "data": { "source": "../train.csv", "validationSplit": 0 }, "layers": [ { "type": "dense", "units": 2 } ], "epochs": 1 }',
  );
  // From an unrelated folder: the model still reads its sibling data.
  const elsewhere = run(['train', model], os.tmpdir());
  assert.equal(elsewhere.status, 0, elsewhere.stderr);
  // Without a marker the model's folder is the workspace, so `..` climbs out of it, from any cwd.
  const plain = folder();
  mkdirSync(path.join(plain, 'models'));
  writeFileSync(path.join(plain, 'train.csv'), 'label,a\n0,1\n1,2\n');
  const escaping = path.join(plain, 'models', 'm.gradlens.json');
  writeFileSync(escaping, '{ "data": { "source": "../train.csv" }, "layers": [ { "type": "dense", "units": 2 } ] }');
  const r = run(['train', path.relative(plain, escaping)], plain);
  assert.equal(r.status, 2);
  assert.match(
    r.stderr,
    /^models\/m\.gradlens\.json:1:23: error: data\.source: expected a path inside the workspace, got "\.\.\/train\.csv", which climbs out of it with "\.\."/,
  );
  // --workspace still decides when given.
  assert.equal(run(['train', escaping, '--workspace', plain, '--epochs', '1'], os.tmpdir()).status, 0);
});

test('a model file with a UTF-8 BOM is read; a FIFO as the model file is refused', () => {
  const dir = folder();
  writeFileSync(path.join(dir, 'm.gradlens.json'), `\ufeff${mnistModel('{ "type": "dense", "units": 10 }', ',\n  "epochs": 1')}`);
  assert.equal(run(['train', 'm.gradlens.json'], dir).status, 0);
  assert.equal(spawnSync('mkfifo', [path.join(dir, 'pipe.gradlens.json')]).status, 0);
  const r = run(['train', 'pipe.gradlens.json'], dir);
  assert.equal(r.status, 2);
  assert.equal(
    r.stderr,
    'pipe.gradlens.json:1:1: error: cannot read the model file (cannot read: this is a named pipe (FIFO); data must be a regular file or a folder)\n',
  );
});

test('snapshot --out replaces the file whole and leaves no temporary file behind', () => {
  const dir = folder();
  writeFileSync(path.join(dir, 'm.gradlens.json'), mnistModel('{ "type": "dense", "units": 10 }', ',\n  "batchSize": 4'));
  writeFileSync(path.join(dir, 'snap.json'), 'old');
  const r = run(['snapshot', 'm.gradlens.json', '--out', 'snap.json'], dir);
  assert.equal(r.status, 0, r.stderr);
  const snap = JSON.parse(readFileSync(path.join(dir, 'snap.json'), 'utf8'));
  assert.equal(snap.batch.x.length, 4);
  assert.deepEqual(spawnSync('ls', ['-A', dir], { encoding: 'utf8' }).stdout.trim().split('\n').sort(), [
    'm.gradlens.json',
    'snap.json',
  ]);
});
