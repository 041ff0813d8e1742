// The watch routing the extension and the watch tests share: each connection's hello opens its own
// source (asked for the setting's per-example layers, unless the setting is empty), later lines go
// to that connection's source only, and a close ends that source alone.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { SourceEvent } from '../../../src/run/source';
import type { WatchConnection, WatchHello, WatchMessage } from '../../../src/torch/watchListener';
import { WatchRouter } from '../../../src/torch/watchRouter';
import type { WatchSource } from '../../../src/torch/watchSource';

function connection(id: number): WatchConnection & { asked: string[][]; sent: string[] } {
  const asked: string[][] = [];
  const sent: string[] = [];
  return { id, asked, sent, requestPerExample: (layers) => asked.push(layers), send: (r) => sent.push(r.type), close: () => {} };
}

const hello = (pid: number): WatchHello => ({
  type: 'hello',
  pid,
  script: `s${pid}.py`,
  torch: '1.13',
  batchNorm: false,
  layers: [{ index: 0, name: 'fc', type: 'Linear', perExample: true, params: [{ name: 'weight', shape: [2, 3] }] }],
});

/** A router whose opened sources are started at once, with every source's events recorded by pid. */
function routed(perExample: string[]) {
  const events = new Map<number, SourceEvent['type'][]>();
  const lines: WatchMessage['type'][] = [];
  const closed: number[] = [];
  const router = new WatchRouter({
    perExample: () => perExample,
    line: (m) => lines.push(m.type),
    opened: (source: WatchSource) => {
      events.set(source.pid, []);
      void source.start((e) => events.get(source.pid)!.push(e.type));
    },
    closed: (source) => closed.push(source.pid),
  });
  return { router, events, lines, closed };
}

test('each hello opens its own source; later lines reach only their connection’s source; a close ends only its own', () => {
  const { router, events, lines, closed } = routed(['fc']);
  const a = connection(1);
  const b = connection(2);
  router.message(a, hello(10));
  router.message(b, hello(20));
  assert.deepEqual(
    router.open.map((s) => s.pid),
    [10, 20],
  );
  assert.deepEqual(a.asked, [['fc']]);
  assert.deepEqual(b.asked, [['fc']]);
  router.message(a, { type: 'held', step: 3 });
  assert.deepEqual(events.get(10), ['loaded', 'resumed', 'halted']);
  assert.deepEqual(events.get(20), ['loaded', 'resumed']);
  router.closed(b);
  assert.deepEqual(closed, [20]);
  assert.equal(events.get(20)!.at(-1), 'failed', 'a connection closed without a word fails its run');
  assert.ok(!events.get(10)!.includes('failed'));
  assert.deepEqual(
    router.open.map((s) => s.pid),
    [10],
  );
  // A line or a close from a connection that never said hello goes nowhere.
  const stranger = connection(3);
  router.message(stranger, { type: 'held', step: 1 });
  router.closed(stranger);
  assert.deepEqual(closed, [20]);
  assert.deepEqual(lines, ['hello', 'hello', 'held', 'held']);
});

test('an empty per-example setting leaves the script’s own choice alone; dispose detaches every open script', () => {
  const { router } = routed([]);
  const a = connection(1);
  router.message(a, hello(10));
  assert.deepEqual(a.asked, []);
  router.dispose();
  assert.deepEqual(router.open, []);
  assert.deepEqual(a.sent, ['detach']);
});
