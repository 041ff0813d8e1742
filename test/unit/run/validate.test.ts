// Messages from the webview and between host and worker are checked before anyone acts on them.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { validateWebviewMessage, validateWorkerEvent, validateWorkerRequest } from '../../../src/protocol/validate';
import { PendingRequests } from '../../../src/protocol/pending';

const refused = (r: { ok: boolean; error?: string }) => (r.ok ? 'accepted' : r.error!);

test('webview messages: the ones the panel sends pass; wrong shapes are refused naming the field', () => {
  assert.ok(validateWebviewMessage({ type: 'ready' }).ok);
  assert.ok(validateWebviewMessage({ type: 'select', id: 3, selection: { layer: 0, kind: 'weight', index: 5 } }).ok);
  assert.ok(validateWebviewMessage({ type: 'command', id: 1, command: 'train' }).ok);
  assert.match(refused(validateWebviewMessage({ type: 'select', selection: null })), /select\.id must be a whole number/);
  assert.match(
    refused(validateWebviewMessage({ type: 'select', id: 1, selection: null })),
    /select\.selection must be an object/,
  );
  assert.match(
    refused(validateWebviewMessage({ type: 'select', id: 1, selection: { layer: -1, kind: 'weight', index: 0 } })),
    /selection\.layer must be a whole number ≥ 0/,
  );
  assert.match(refused(validateWebviewMessage({ type: 'command', id: 1, command: 'rm -rf' })), /command\.command must be one of/);
  assert.match(refused(validateWebviewMessage({ type: 'heatmapMode', id: 1, mode: 'x' })), /mode must be one of/);
  assert.match(refused(validateWebviewMessage({ type: 'toString' })), /unknown type/);
  assert.match(refused(validateWebviewMessage('ready')), /not a message/);
  assert.match(refused(validateWebviewMessage(null)), /not a message/);
});

test('worker requests and events are checked too', () => {
  assert.match(refused(validateWorkerRequest({ type: 'select', selection: null })), /selection must be an object/);
  assert.match(
    refused(validateWorkerRequest({ type: 'setWeights', id: 1, tensors: [{ name: 'w', shape: [1], value: [Number.NaN, 'x'] }] })),
    /value must hold only numbers/,
  );
  assert.ok(validateWorkerRequest({ type: 'pause', id: 2 }).ok);
  assert.match(refused(validateWorkerRequest({ type: 'pause' })), /pause\.id/);
  assert.ok(validateWorkerEvent({ type: 'reply', id: 1, ok: false, error: 'no' }).ok);
  assert.match(refused(validateWorkerEvent({ type: 'reply', id: 1, ok: true })), /reply\.value must be an object/);
  assert.match(
    refused(validateWorkerEvent({ type: 'status', status: { state: 'exploded', step: 1, epoch: 1 } })),
    /state must be one of/,
  );
});

test('pending requests: each answer settles its own request once; the rest fail together', async () => {
  const pending = new PendingRequests<number>();
  const a = pending.open();
  const b = pending.open();
  const c = pending.open({ ms: 10, message: 'too slow' });
  assert.notEqual(a.id, b.id);
  assert.ok(pending.settle(b.id, { ok: true, value: 2 }));
  assert.equal(pending.settle(b.id, { ok: true, value: 3 }), false, 'a second answer is ignored');
  assert.equal(await b.answer, 2);
  await assert.rejects(c.answer, /too slow/);
  pending.failAll(new Error('gone'));
  await assert.rejects(a.answer, /gone/);
  assert.equal(pending.size, 0);
});

test('user text loses escape sequences and control characters before a terminal or log sees it', async () => {
  const { plainText } = await import('../../../src/views/plainText');
  assert.equal(plainText('digits\u001b]0;pwned\u0007\u001b[2J\u001b[31mred\u001b[0m'), 'digitsred');
  assert.equal(plainText('a\u202ebc\u0000d\te\nf'), 'abcd\te\nf');
  assert.equal(plainText('x'.repeat(50), 10), `${'x'.repeat(9)}…`);
});
