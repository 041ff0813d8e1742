// The typed errors and their two renderings: the terminal line and the editor diagnostic.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  DataError,
  EngineError,
  ModelError,
  ResourceError,
  UsageError,
  locate,
  renderForCli,
  reportError,
  toEditorDiagnostic,
} from '../../../src/errors';

const text = '{\n  "data": { "source": "train.csv" },\n  "layers": [ { "type": "dense", "units": 5 } ]\n}\n';
const sourceAt = text.indexOf('"train.csv"');

test('locate turns offsets into 1-based line, column and end', () => {
  const l = locate('m.gradlens.json', text, { offset: sourceAt, length: 11 });
  assert.deepEqual(l, {
    file: 'm.gradlens.json',
    line: 2,
    column: 23,
    endLine: 2,
    endColumn: 34,
    range: { offset: sourceAt, length: 11 },
  });
});

test('a model error renders as file:line:col: error: for the CLI and a 0-based range for the editor', () => {
  const e = new ModelError(
    'layers[0].units: too many',
    locate('m.gradlens.json', text, { offset: text.indexOf('5 }'), length: 1 }),
  );
  assert.equal(e.message, 'm.gradlens.json:3:43: layers[0].units: too many');
  assert.deepEqual(renderForCli(e), { text: 'm.gradlens.json:3:43: error: layers[0].units: too many', exitCode: 2 });
  const d = toEditorDiagnostic(e);
  assert.equal(d.message, 'layers[0].units: too many');
  assert.deepEqual(d.range, { startLine: 2, startCharacter: 42, endLine: 2, endCharacter: 43 });
  assert.equal(d.offset, text.indexOf('5 }'));
});

test('a data error keeps its positioned message and gains the model file place of data.source', () => {
  const e = new DataError('train.csv', 'expected a number, got "x"', { line: 17, column: 5 });
  assert.equal(e.message, 'train.csv:17: column 5: expected a number, got "x"');
  assert.equal(String(e), 'DataError: train.csv:17: column 5: expected a number, got "x"');
  assert.deepEqual(e.location, { file: 'train.csv', line: 17, column: 5, endLine: 17, endColumn: 5 });
  assert.equal(renderForCli(e).text, 'train.csv:17: column 5: expected a number, got "x"');
  e.at(locate('m.gradlens.json', text, { offset: sourceAt, length: 11 }));
  assert.equal(renderForCli(e).text, 'm.gradlens.json:2:23: error: train.csv:17: column 5: expected a number, got "x"');
  assert.equal(toEditorDiagnostic(e).message, 'train.csv:17: column 5: expected a number, got "x"');
  assert.deepEqual(toEditorDiagnostic(e).range, { startLine: 1, startCharacter: 22, endLine: 1, endCharacter: 33 });
});

test('a data error without a file name is the detail alone; the model file is named from the context', () => {
  const e = new DataError('', '$.format: expected "x"');
  assert.equal(e.message, '$.format: expected "x"');
  assert.equal(reportError(e, { modelFile: 'm.gradlens.json' }).message, 'm.gradlens.json: $.format: expected "x"');
});

test('a resource error carries its estimate; an engine error exits 1; usage errors name the program', () => {
  const r = new ResourceError(
    'layers[0]: needs 8.0 GB',
    { what: 'activations', bytes: 8e9, limit: 4e9, layer: 0 },
    locate('m.gradlens.json', text, { offset: text.indexOf('{ "type"'), length: 10 }),
  );
  assert.equal(r.estimate.bytes, 8e9);
  assert.equal(renderForCli(r).text, 'm.gradlens.json:3:15: error: layers[0]: needs 8.0 GB');
  const n = new EngineError('the loss is NaN at step 3', { step: 3, layer: 1, example: 4 });
  assert.deepEqual(n.context, { step: 3, layer: 1, example: 4 });
  assert.deepEqual(renderForCli(n, { modelFile: 'm.gradlens.json' }), {
    text: 'm.gradlens.json: the loss is NaN at step 3',
    exitCode: 1,
  });
  assert.deepEqual(renderForCli(new UsageError('--epochs: expected a positive integer, got "x"')), {
    text: 'gradient-lens: --epochs: expected a positive integer, got "x"',
    exitCode: 2,
  });
});

test('anything else is an internal error, named as such, without a stack trace', () => {
  const r = renderForCli(new TypeError('boom'), { modelFile: 'm.gradlens.json' });
  assert.deepEqual(r, { text: 'gradient-lens: m.gradlens.json: internal error: boom', exitCode: 1 });
  assert.equal(toEditorDiagnostic('odd').message, 'internal error: odd');
});
