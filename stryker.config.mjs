// Mutation testing with StrykerJS: node's own test runner (TAP reporter) runs the unit tests
// against each mutant, the TypeScript checker discards mutants that do not compile.
//
// One scope at a time (the machine has 2 cores shared by many): MUTATION_SCOPE picks the folder.
//   npm run mutation                          src/model (the default, the quickest)
//   MUTATION_SCOPE=engine npm run mutation    src/engine (long: many mutants, numeric tests)
//   MUTATION_SCOPE=run|session|format|all npm run mutation
// Each scope writes reports/mutation/<scope>/mutation.{json,html} and keeps an incremental file
// there, so a re-run only tests the mutants whose code or covering tests changed.

const scopes = {
  model: ['src/model/**/*.ts'],
  engine: ['src/engine/**/*.ts', '!src/engine/wasm/kernels.generated.ts'],
  // The run: its state machine and the snapshot reducer (src/run), and the worker's loop (src/session).
  run: ['src/run/**/*.ts'],
  session: ['src/session/**/*.ts', 'src/run/**/*.ts'],
  format: ['webview/format.ts'],
};
scopes.all = [...scopes.model, ...scopes.engine, ...scopes.session, ...scopes.format];

const scope = process.env.MUTATION_SCOPE ?? 'model';
if (!(scope in scopes)) {
  throw new Error(`MUTATION_SCOPE="${scope}" is not one of ${Object.keys(scopes).join(', ')}`);
}
// A comma-separated list of files or globs overrides the scope's folders (for calibrating or re-checking one file).
const mutate = process.env.MUTATION_FILES ? process.env.MUTATION_FILES.split(',') : scopes[scope];
// MUTATION_NAME names the report folder of a MUTATION_FILES run (default `files`).
// MUTATION_TESTS (comma-separated globs) narrows the test files of a run to those that exercise the
// mutated file: the dry run and each mutant then load a few files instead of the whole allow-list
// (the score is then a lower bound: a test left out can only kill, never save, a mutant).
const testFiles = process.env.MUTATION_TESTS ? process.env.MUTATION_TESTS.split(',') : undefined;
const out = `reports/mutation/${process.env.MUTATION_FILES ? (process.env.MUTATION_NAME ?? 'files') : scope}`;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  mutate,
  testRunner: 'tap',
  tap: {
    // Unit tests only. The CLI test runs the built dist/ (not the mutated sources), so it can
    // neither kill nor cover a mutant; it is left out. digits.test.ts checks the digits build
    // script against file times, which the sandbox copy does not keep (and src/data is not mutated).
    // (glob's extglob: a '!' pattern in the list would not exclude anything.)
    testFiles: testFiles ?? [
      // An allow-list of the folders whose tests exercise the mutated code in this process: torch
      // (Python ranks), fuzz, debug and scripts depend on the built tree or other processes and
      // fail in Stryker's sandbox copy whatever the mutant.
      'test/unit/{engine,model,editor,export,run}/**/*.test.ts',
      'test/unit/oracles/**/*.oracle.test.ts',
      'test/unit/session/**/*.test.ts',
      'test/unit/data/**/!(digits).test.ts',
    ],
    // Run each file in this process (no --test: that would spawn a child the coverage hook
    // never sees) with TAP output for the runner to parse.
    nodeArgs: ['--import', 'tsx', '--test-reporter=tap'],
    forceBail: true,
  },
  // The root tsconfig does not include webview/ (it has its own, with the DOM), and the checker can
  // only watch files of its project: webview/format.ts (DOM-free, 22 lines) is run without it.
  // MUTATION_TYPECHECK=off runs without it (when the tree itself does not typecheck, the checker
  // refuses to start; the mutants that do not compile then count as killed instead of errors).
  checkers: mutate.some((f) => f.startsWith('webview/')) || process.env.MUTATION_TYPECHECK === 'off' ? [] : ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  // Static mutants (module-level constants) would re-run every test file: skip them.
  ignoreStatic: true,
  // One runner by default on this shared 2-core machine; MUTATION_CONCURRENCY=2 when it is quiet.
  concurrency: Number(process.env.MUTATION_CONCURRENCY ?? 1),
  timeoutMS: 10000,
  timeoutFactor: 2,
  incremental: true,
  incrementalFile: `${out}/stryker-incremental.json`,
  reporters: ['json', 'html', 'clear-text', 'progress-append-only'],
  jsonReporter: { fileName: `${out}/mutation.json` },
  htmlReporter: { fileName: `${out}/mutation.html` },
  // One sandbox folder per named run, so two runs never clean each other's.
  tempDirName: `.stryker-tmp/${process.env.MUTATION_FILES ? (process.env.MUTATION_NAME ?? 'files') : scope}`,
  cleanTempDir: true,
  ignorePatterns: [
    '.stryker-tmp',
    'dist',
    'out',
    'reports',
    'test-results',
    '.vscode-test',
    '.tools',
    'test/host',
    'test/webview',
    '*.vsix',
  ],
};
