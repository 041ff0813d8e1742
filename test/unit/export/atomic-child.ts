// Child process for the atomic-write test: writes `megabytes` MB of the letter `fill` to `target`
// through writeFileAtomic, one MB at a time, and says on stdout how far it got. Killed midway.
import { writeFileAtomic } from '../../../src/export/atomicWrite';

const [target, megabytes, fill] = process.argv.slice(2);

async function* chunks(): AsyncGenerator<string> {
  const mb = fill.repeat(2 ** 20);
  for (let i = 0; i < Number(megabytes); i++) {
    yield mb;
    process.stdout.write(`${i + 1}\n`);
    await new Promise((r) => setImmediate(r));
  }
}

void writeFileAtomic(target, chunks()).then(() => process.stdout.write('done\n'));
