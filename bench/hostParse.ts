// A one-off measurement (not a test): how long parseModel blocks on 1 MB model files of several
// kinds. `node --import tsx test/fuzz/parse-time.ts`. Prints wall and CPU time (median and best of
// 15 runs); on a loaded machine the CPU time is the better estimate of the cost itself (GC threads
// included, so it can exceed the wall time).

import { parseModel } from '../../src/model';

const layer = '    { "type": "dense", "units": 16, "activation": "relu" }, // a comment\n';
let layers = '';
while (layers.length < 1_000_000) layers += layer;
const cases: [string, string][] = [
  [
    '15,600 layers (1 MB)',
    `{ "data": { "source": "mnist" },\n  "layers": [\n${layers}    { "type": "dense", "units": 10 }\n  ]\n}\n`,
  ],
  [
    '1 MB comment',
    `// ${'x'.repeat(1_000_000)}\n{ "data": { "source": "mnist" }, "layers": [ { "type": "dense", "units": 10 } ] }`,
  ],
  [
    '1 MB name string',
    `{ "name": "${'n'.repeat(1_000_000)}", "data": { "source": "mnist" }, "layers": [ { "type": "dense", "units": 10 } ] }`,
  ],
  [
    '1 MB unknown key',
    `{ "${'k'.repeat(1_000_000)}": 1, "data": { "source": "mnist" }, "layers": [ { "type": "dense", "units": 10 } ] }`,
  ],
  [
    '1 MB with a syntax error',
    `{ "data": { "source": "mnist" },\n  "layers": [\n${layers}    { "type": "dense", "units": 10 }\n  ]\n`,
  ],
];
for (const [name, text] of cases) {
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < 15; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    parseModel(text);
    times.push(performance.now() - t);
    const d = process.cpuUsage(c);
    cpu.push((d.user + d.system) / 1000);
  }
  const sort = (a: number[]) => [...a].sort((x, y) => x - y);
  const [w, u] = [sort(times), sort(cpu)];
  process.stdout.write(
    `${name.padEnd(26)} wall: median ${w[7].toFixed(1).padStart(6)} ms, fastest ${w[0].toFixed(1).padStart(6)} ms;  CPU: median ${u[7].toFixed(1).padStart(6)} ms, least ${u[0].toFixed(1).padStart(6)} ms\n`,
  );
}
