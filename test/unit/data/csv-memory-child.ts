// Run as a child process by csv-stream.test.ts so its peak memory is measured on a fresh heap:
// loads the CSV named in argv and prints one JSON line with the result and the memory used.
import { loadCsv } from '../../../src/data/csv';

async function main(): Promise<void> {
  const file = process.argv[2];
  globalThis.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  const d = await loadCsv(file);
  const ms = performance.now() - t0;
  let sum = 0;
  for (let i = 0; i < d.x.length; i++) sum += d.x[i];
  let labelSum = 0;
  for (let i = 0; i < d.y.length; i++) labelSum += d.y[i];
  const peakRss = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(
    `${JSON.stringify({
      count: d.count,
      features: d.inputShape[0],
      numClasses: d.numClasses,
      sum,
      labelSum,
      ms,
      rssBefore,
      peakRssGrowth: peakRss - rssBefore,
      xBytes: d.x.byteLength,
    })}\n`,
  );
}

void main();
