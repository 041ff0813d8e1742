// What grew between two V8 heap snapshots (e.g. the host bench's GRADIENT_LENS_BENCH_HEAP_SNAPSHOTS
// pair): live objects grouped by kind and constructor name, with their count and self size in
// each, largest growth first. A heap snapshot holds only what is reachable (V8 collects first), so
// a group that grows between two points of a steady run is retained, not garbage waiting.
// Usage: node scripts/heap-diff.mjs before.heapsnapshot after.heapsnapshot [rows=25]
//        node scripts/heap-diff.mjs --allocations file.heapprofile [rows=25]: where a sampled
//        allocation profile (the bench's --allocations) allocated most, by function and place
import * as fs from 'node:fs';

/**
 * @typedef {{ callFrame: { functionName: string, url: string, lineNumber: number }, selfSize: number, children: ProfileNode[] }} ProfileNode
 */
if (process.argv[2] === '--allocations') {
  const [file, rowsArg] = process.argv.slice(3);
  /** @type {{ head: ProfileNode }} */
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  /** @type {Map<string, number>} */
  const bySite = new Map();
  let total = 0;
  /** @type {ProfileNode[]} */
  const stack = [profile.head];
  while (stack.length) {
    const node = /** @type {ProfileNode} */ (stack.pop());
    const { functionName, url, lineNumber } = node.callFrame;
    const site = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
    bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
    total += node.selfSize;
    stack.push(...node.children);
  }
  console.log(`sampled allocations ${(total / 2 ** 20).toFixed(1)} MB`);
  for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, Number(rowsArg) || 25))
    console.log(`${((100 * bytes) / total).toFixed(1).padStart(5)} %  ${(bytes / 2 ** 20).toFixed(1).padStart(8)} MB  ${site}`);
  process.exit(0);
}

/** Count and self size per "kind name" group. @param {string} file */
function groups(file) {
  const { snapshot, nodes, strings } = JSON.parse(fs.readFileSync(file, 'utf8'));
  const fields = snapshot.meta.node_fields;
  const kinds = snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  /** @type {Map<string, { count: number, bytes: number }>} */
  const out = new Map();
  let total = 0;
  for (let i = 0; i < nodes.length; i += width) {
    const kind = kinds[nodes[i + typeAt]];
    // Strings and code are grouped by kind only (their names are their contents).
    const name = kind === 'object' || kind === 'closure' || kind === 'native' ? strings[nodes[i + nameAt]] : '';
    const key = `${kind} ${name}`.trim();
    const g = out.get(key) ?? { count: 0, bytes: 0 };
    g.count++;
    g.bytes += nodes[i + sizeAt];
    total += nodes[i + sizeAt];
    out.set(key, g);
  }
  return { groups: out, total };
}

const [beforeFile, afterFile, rowsArg] = process.argv.slice(2);
if (!beforeFile || !afterFile) {
  console.error('usage: node scripts/heap-diff.mjs before.heapsnapshot after.heapsnapshot [rows]');
  process.exit(2);
}
const before = groups(beforeFile);
const after = groups(afterFile);
const mb = (/** @type {number} */ b) => (b / 2 ** 20).toFixed(2);
const rows = [...new Set([...before.groups.keys(), ...after.groups.keys()])].map((key) => {
  const b = before.groups.get(key) ?? { count: 0, bytes: 0 };
  const a = after.groups.get(key) ?? { count: 0, bytes: 0 };
  return { key, b, a, grew: a.bytes - b.bytes };
});
rows.sort((x, y) => Math.abs(y.grew) - Math.abs(x.grew));
console.log(`live heap ${mb(before.total)} → ${mb(after.total)} MB (self sizes)`);
console.log('group'.padEnd(48), 'count before → after'.padStart(24), 'MB before → after'.padStart(20));
for (const r of rows.slice(0, Number(rowsArg) || 25))
  console.log(
    r.key.slice(0, 48).padEnd(48),
    `${r.b.count} → ${r.a.count}`.padStart(24),
    `${mb(r.b.bytes)} → ${mb(r.a.bytes)}`.padStart(20),
  );
