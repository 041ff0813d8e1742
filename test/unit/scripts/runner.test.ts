// The rules of `npm test` (scripts/lib/suite-runner.mjs), run on fixture suites in a child process:
// real node test files (passing, failing, skipped, todo, empty) and a stand-in runner that prints
// whatever protocol lines a case needs.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const here = __dirname;
const fixture = (f: string): string => path.join(here, 'fixtures', f);
const printer = (text: string, code = 0, ...write: string[]): string[] => [
  process.execPath,
  fixture('printer.mjs'),
  text,
  String(code),
  ...write,
];

interface FixtureSuite {
  name: string;
  files?: string[];
  cmd?: string[];
  counts?: boolean;
  required?: boolean;
  needs?: string;
}
interface Options {
  suites: FixtureSuite[];
  only?: string[];
  intendedSkips?: { test: string; why: string }[];
  testOnlyEnv?: string[];
  resultsDir?: string;
  publish?: { to: string; files: string[] };
}

function runner(o: Options, env: Record<string, string> = {}): { code: number; lines: string[]; out: string } {
  // NODE_TEST_CONTEXT would make the fixtures' node --test report to this test run instead of printing.
  const cleanEnv: NodeJS.ProcessEnv = { ...process.env, CI: '', HOST_TEST_SKIP: '', ...env };
  delete cleanEnv.NODE_TEST_CONTEXT;
  const r = spawnSync(process.execPath, [fixture('driver.mjs'), JSON.stringify({ only: [], ...o })], {
    encoding: 'utf8',
    env: cleanEnv,
    cwd: path.resolve(here, '../../..'),
  });
  const lines = r.stdout.trimEnd().split('\n');
  return { code: r.status ?? -1, lines, out: r.stdout };
}
const last = (r: { lines: string[] }): string => r.lines[r.lines.length - 1];

test('passing suites: exit 0 and the closing line sums them', () => {
  const r = runner({
    suites: [
      { name: 'a', files: [fixture('pass.fixture.ts')] },
      { name: 'b', cmd: printer('SUITE-RESULT b passed=3 failed=0') },
    ],
  });
  assert.equal(last(r), '4 passed, 0 failed', r.out);
  assert.equal(r.code, 0);
});

test('a failing test fails the run', () => {
  const r = runner({ suites: [{ name: 'a', files: [fixture('pass.fixture.ts'), fixture('fail.fixture.ts')] }] });
  assert.equal(last(r), '1 passed, 1 failed', r.out);
  assert.equal(r.code, 1);
});

test('an unknown suite name fails before anything runs', () => {
  const r = runner({ suites: [{ name: 'a', files: [fixture('pass.fixture.ts')] }], only: ['nosuchsuite'] });
  assert.equal(r.code, 1);
  assert.equal(last(r), '0 passed, 1 failed');
  assert.match(r.out, /unknown suite "nosuchsuite" \(known: a\)/);
  assert.doesNotMatch(r.out, /=== a/);
});

test('a suite whose runner file is missing fails the run', () => {
  const r = runner({
    suites: [
      { name: 'a', files: [fixture('pass.fixture.ts')] },
      { name: 'gone', cmd: ['node', 'nope.mjs'], needs: 'scripts/no-such-runner.mjs' },
    ],
  });
  assert.equal(r.code, 1);
  assert.equal(last(r), '1 passed, 1 failed');
  assert.match(r.out, /gone \(runner scripts\/no-such-runner\.mjs missing\)/);
});

test('a suite that runs no test fails the run', () => {
  const r = runner({ suites: [{ name: 'a', files: [fixture('empty.fixture.ts')] }] });
  assert.equal(r.code, 1, r.out);
  assert.equal(last(r), '0 passed, 1 failed');
  assert.match(r.out, /not run: a: no test in file: .*empty\.fixture\.ts/);
  const none = runner({ suites: [{ name: 'b', cmd: printer('SUITE-RESULT b passed=0 failed=0') }] });
  assert.equal(none.code, 1);
  assert.match(none.out, /b \(ran no test\)/);
});

test('a suite that prints no result line fails the run even with exit code 0', () => {
  const r = runner({ suites: [{ name: 'a', cmd: printer('all good, trust me') }] });
  assert.equal(r.code, 1);
  assert.match(r.out, /printed no SUITE-RESULT line/);
});

test('an exit code that disagrees with the counts fails the run', () => {
  const nonzero = runner({ suites: [{ name: 'a', cmd: printer('SUITE-RESULT a passed=2 failed=0', 3) }] });
  assert.equal(nonzero.code, 1);
  assert.equal(last(nonzero), '2 passed, 1 failed');
  assert.match(nonzero.out, /exit code 3 with no failed test/);
  const zero = runner({ suites: [{ name: 'a', cmd: printer('SUITE-RESULT a passed=2 failed=1', 0) }] });
  assert.equal(zero.code, 1);
  assert.match(zero.out, /exit code 0 with 1 failed test/);
});

test('skipped and todo tests fail the run and are named in the closing lines', () => {
  const r = runner({ suites: [{ name: 'a', files: [fixture('skip.fixture.ts'), fixture('todo.fixture.ts')] }] });
  assert.equal(r.code, 1, r.out);
  assert.equal(last(r), '2 passed, 1 failed');
  const closing = r.lines.slice(-4).join('\n');
  assert.match(closing, /not run: a: skipped: .*skip\.fixture\.ts › is skipped \(no GPU here\)/);
  assert.match(closing, /not run: a: todo: .*todo\.fixture\.ts › is not written yet/);
});

test('a pending test reported by a runner (mocha) counts like a skip', () => {
  const r = runner({
    suites: [
      { name: 'h', cmd: printer('SUITE-SKIP host pending: training › later\\nSUITE-RESULT host passed=5 failed=0 skipped=1') },
    ],
  });
  assert.equal(r.code, 1);
  assert.match(r.out, /not run: h: pending: training › later/);
});

test('skips counted but not named fail the run', () => {
  const r = runner({ suites: [{ name: 'h', cmd: printer('SUITE-RESULT host passed=5 failed=0 skipped=2') }] });
  assert.equal(r.code, 1);
  assert.match(r.out, /counted 2 skipped but named 0/);
});

test('an intended skip passes and is named in the closing lines', () => {
  const skipText = 'skipped: test/unit/scripts/fixtures/skip.fixture.ts › is skipped (no GPU here)';
  const r = runner({
    suites: [{ name: 'a', files: [fixture('skip.fixture.ts')] }],
    intendedSkips: [{ test: skipText, why: 'needs a GPU' }],
  });
  assert.equal(r.code, 0, r.out);
  assert.equal(last(r), '1 passed, 0 failed');
  assert.match(r.lines.slice(-3).join('\n'), /intended skip: a: skipped: .* › is skipped \(no GPU here\) \(needs a GPU\)/);
});

test('test-only variables are refused under CI=true and allowed outside CI', () => {
  const o: Options = { suites: [{ name: 'a', files: [fixture('pass.fixture.ts')] }], testOnlyEnv: ['HOST_TEST_SKIP'] };
  const ci = runner(o, { CI: 'true', HOST_TEST_SKIP: 'mocha' });
  assert.equal(ci.code, 1);
  assert.equal(last(ci), '0 passed, 1 failed');
  assert.match(ci.out, /refused under CI: HOST_TEST_SKIP=mocha/);
  assert.equal(runner(o, { HOST_TEST_SKIP: 'mocha' }).code, 0);
  assert.equal(runner(o, { CI: 'true' }).code, 0);
});

test('a failing step (lint, typecheck) fails the run and counts; a required one stops it', () => {
  const step = runner({
    suites: [
      { name: 'lint', cmd: printer('3 problems', 1), counts: false },
      { name: 'a', files: [fixture('pass.fixture.ts')] },
    ],
  });
  assert.equal(step.code, 1);
  assert.equal(last(step), '1 passed, 1 failed');
  assert.match(step.out, /failed: lint \(exit 1\)/);
  const required = runner({
    suites: [
      { name: 'build', cmd: printer('error', 1), counts: false, required: true },
      { name: 'a', files: [fixture('pass.fixture.ts')] },
    ],
  });
  assert.equal(last(required), '0 passed, 1 failed');
  assert.doesNotMatch(required.out, /=== a/);
});

test('screenshots come only from a cleaned results folder, and only from a passing run', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gl-runner-'));
  const results = path.join(dir, 'test-results');
  const docs = path.join(dir, 'docs');
  mkdirSync(results);
  writeFileSync(path.join(results, 'old.png'), 'from an earlier run');
  const publish = { to: docs, files: ['old.png', 'new.png'] };
  const write = (line: string, code: number): string[] => printer(line, code, 'fresh', path.join(results, 'new.png'));

  const failing = runner({
    suites: [{ name: 'a', cmd: write('SUITE-RESULT a passed=0 failed=1', 1) }],
    resultsDir: results,
    publish,
  });
  assert.equal(failing.code, 1);
  assert.equal(existsSync(path.join(docs, 'new.png')), false, 'published from a failing run');
  assert.match(failing.out, /screenshots not published/);

  writeFileSync(path.join(results, 'old.png'), 'from an earlier run');
  const passing = runner({
    suites: [{ name: 'a', cmd: write('SUITE-RESULT a passed=1 failed=0', 0) }],
    resultsDir: results,
    publish,
  });
  assert.equal(passing.code, 0, passing.out);
  assert.equal(existsSync(path.join(docs, 'new.png')), true);
  assert.equal(existsSync(path.join(docs, 'old.png')), false, 'a screenshot left from an earlier run was published');
});
