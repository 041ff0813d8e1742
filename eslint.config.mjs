// Lint (`npm run lint`, part of `npm test`): rules that catch bugs, not style (prettier owns layout).
// Type-aware rules (a promise nobody awaits, a promise where a callback's return is ignored, an
// unhandled case of a union) run on every TypeScript file through its tsconfig: src, bench,
// test/unit and test/host (tsconfig.json), webview (webview/tsconfig.json), scripts and
// test/webview (tsconfig.tools.json, which also checks the .mjs scripts through their JSDoc).
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const tsconfigRootDir = import.meta.dirname;

export default defineConfig([
  globalIgnores([
    'dist/',
    'out/',
    'node_modules/',
    '.tools/',
    'test-results/',
    '.vscode-test/',
    'coverage/',
    'reports/',
    '.stryker-tmp/',
    'python/',
    'src/engine/wasm/kernels.generated.ts',
  ]),

  js.configs.recommended,
  {
    rules: {
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // Not no-self-compare: `x === x` is the engine's NaN test in hot loops.
      'no-template-curly-in-string': 'error',
      'no-unmodified-loop-condition': 'error',
      'no-unreachable-loop': 'error',
      'no-constructor-return': 'error',
      'no-new-wrappers': 'error',
      'no-throw-literal': 'off', // the typed only-throw-error below
      'no-var': 'error',
      'prefer-const': ['error', { destructuring: 'all' }],
      'no-unused-vars': ['error', { args: 'after-used', argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Off: matching control characters is the point of the terminal and file-name sanitisers.
      'no-control-regex': 'off',
    },
  },

  // TypeScript, with type information.
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
    languageOptions: {
      parserOptions: {
        project: ['./tsconfig.json', './webview/tsconfig.json', './tsconfig.tools.json'],
        tsconfigRootDir,
      },
    },
    rules: {
      'no-unused-vars': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { args: 'after-used', argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Bugs that only types can show.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          ignoreVoid: true,
          // node:test's test() returns a promise the runner itself awaits.
          allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }],
        },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/prefer-promise-reject-errors': 'error',
      '@typescript-eslint/no-for-in-array': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-base-to-string': 'error',
      // `require()` is how the host suite loads its test files in order, and how optional modules load.
      '@typescript-eslint/no-require-imports': 'off',
      // Explicit `any` is visible in review; tests use it to reach into pages and charts.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },

  // VS Code's own placeholders are meant literally: snippet tab stops (`${1:64}`) in the JSON schema's
  // defaultSnippets, and launch-configuration variables (`${file}`) in the debugger's contributions.
  {
    files: ['src/model/schema.ts', 'src/debug/register.ts', 'test/host/debug.test.ts'],
    rules: { 'no-template-curly-in-string': 'off' },
  },

  // Known violations in files others are changing today, shown as warnings so the run stays green
  // while they land; remove each entry once its file is fixed (the rule is then an error there too).
  {
    files: ['src/export/historyCsv.ts', 'src/export/historyJson.ts', 'src/export/weights.ts'],
    rules: { 'preserve-caught-error': 'warn' },
  },
  { files: ['src/data/csv.ts'], rules: { 'no-useless-assignment': 'warn' } },
  { files: ['test/unit/session/heatmap.test.ts'], rules: { 'prefer-const': 'warn' } },
  {
    files: ['bench/index.ts', 'test/webview/record.ts', 'webview/walkthroughView.ts'],
    rules: { '@typescript-eslint/no-unused-vars': 'warn' },
  },

  // Where each file runs.
  { files: ['src/**', 'bench/**', 'scripts/**', 'test/**', '*.mjs'], languageOptions: { globals: { ...globals.node } } },
  { files: ['webview/**'], languageOptions: { globals: { ...globals.browser } } },
  // The host harness hands functions to the workbench page (page.evaluate): they run in the browser.
  { files: ['scripts/host/**', 'test/webview/**'], languageOptions: { globals: { ...globals.node, ...globals.browser } } },
]);
