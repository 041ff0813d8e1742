// The parser half of `npm run bench:host`: how long parseModel blocks the extension host on 1 MB
// model files of several shapes (what the editor runs on an edit: parse and validate, with the
// file's place in the workspace). Wall and CPU time, median and best of 15 runs; on a loaded
// machine the CPU time is the better estimate of the cost itself (GC threads included, so it can
// exceed the wall time). `node --import tsx bench/hostParse.ts` prints JSON.

import { parseModel } from '../src/model';

const layer = '    { "type": "dense", "units": 16, "activation": "relu" }, // a comment\n';
let layers = '';
while (layers.length < 1_000_000) layers += layer;
const valid = `{ "data": { "source": "mnist" },\n  "layers": [\n${layers}    { "type": "dense", "units": 10 }\n  ]\n}\n`;
const cases: [string, string][] = [
  ['15,600 layers (1 MB)', valid],
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
  ['15,600 layers, a syntax error', valid.replace(/\]\n\}\n$/, '\n}\n')],
  ['15,600 layers, one bad value', valid.replace('"units": 16', '"units": -16')],
  ['15,600 layers, every one a bad value', valid.replaceAll('"units": 16', '"units": -16')],
];

const ms = (x: number): number => Math.round(x * 10) / 10;
const results = cases.map(([name, text]) => {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < 15; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    const parsed = parseModel(text, undefined, { folderDepth: 1 });
    wall.push(performance.now() - t);
    const d = process.cpuUsage(c);
    cpu.push((d.user + d.system) / 1000);
    if (i === 0 && name.startsWith('15,600 layers (') && !parsed.spec) throw new Error(`${name}: expected a valid model`);
  }
  wall.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return {
    name,
    chars: text.length,
    wallMs: { median: ms(wall[7]), best: ms(wall[0]) },
    cpuMs: { median: ms(cpu[7]), least: ms(cpu[0]) },
  };
});
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
