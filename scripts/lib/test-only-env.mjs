// Variables that narrow or redirect what the host suite tests: for working on a harness, never in
// CI (refused under CI=true by scripts/test.mjs and scripts/run-host-tests.mjs).
export const HOST_TEST_ONLY_ENV = [
  'HOST_TEST_SKIP',
  'HOST_TEST_GREP',
  'HOST_TEST_EXTENSION_PATH',
  'HOST_TEST_EXAMPLES',
  'HOST_TEST_VSIX',
  'HOST_TEST_TIMEOUT_MS',
  'KEEP_TMP',
];
