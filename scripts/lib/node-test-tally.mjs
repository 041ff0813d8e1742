// A reporter for node's test runner (`--test-reporter=./scripts/lib/node-test-tally.mjs`) that prints
// the suite-result protocol scripts/test.mjs reads, so passed, failed, skipped and todo tests are
// counted from the runner's own events rather than from a human-readable summary:
//   SUITE-RESULT node-test passed=N failed=N skipped=N
//   SUITE-SKIP node-test <kind>: <file> › <test name>
// A skipped or todo test, or a test file that registers no test, is not a pass: it is counted under
// skipped and named.

/**
 * @typedef {{ name: string, nesting: number, file?: string, skip?: boolean | string, todo?: boolean | string,
 *   details: { type?: string } }} TestEventData
 * @typedef {{ type: string, data: TestEventData }} TestEvent
 */

/**
 * @param {AsyncIterable<TestEvent>} source
 * @returns {AsyncGenerator<string>}
 */
export default async function* tally(source) {
  let passed = 0;
  let failed = 0;
  /** @type {string[]} */
  const skipped = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { data } = event;
    // A describe() block reports like a test; only tests count.
    if (data.details?.type === 'suite') {
      if (event.type === 'test:fail') failed++;
      continue;
    }
    // A file that registers no test is reported as one test named after the file: not a pass.
    if (event.type === 'test:pass' && data.file && data.name === data.file) {
      skipped.push(`no test in file: ${relative(data.file)}`);
      continue;
    }
    const where = `${data.file ? `${relative(data.file)} › ` : ''}${data.name}`;
    if (data.todo !== undefined && data.todo !== false) skipped.push(`todo: ${where}${reason(data.todo)}`);
    else if (data.skip !== undefined && data.skip !== false) skipped.push(`skipped: ${where}${reason(data.skip)}`);
    else if (event.type === 'test:pass') passed++;
    else failed++;
  }
  for (const s of skipped) yield `SUITE-SKIP node-test ${s}\n`;
  yield `SUITE-RESULT node-test passed=${passed} failed=${failed} skipped=${skipped.length}\n`;
}

/** @param {string} file */
function relative(file) {
  const cwd = process.cwd() + '/';
  return file.startsWith(cwd) ? file.slice(cwd.length) : file;
}

/** @param {boolean | string} why */
function reason(why) {
  return typeof why === 'string' && why ? ` (${why})` : '';
}
