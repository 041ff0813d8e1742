// `gradient-lens`: a headless CLI over the same engine the extension uses.
//   gradient-lens train <file> [--epochs N] [--batch-size M] [--json] [--float64] [--no-wasm] [--threads auto|1|2]
//   gradient-lens snapshot <file> [--float64] [--out F]   (every command: [--workspace DIR] [--memory-limit SIZE])
//   gradient-lens check <file>
//   gradient-lens compare <file> [--batch-sizes 1,32,full] [--json]
//   gradient-lens dap   (the debug adapter over stdio, for any DAP client)
// Exit codes: 0 success, 1 failure (a failed gradient check, non-finite loss), 2 bad input
// (usage, model-file problems, unreadable data), always with a positioned message, never a stack trace.

import { runTrain } from './cli/train';
import { runSnapshot } from './cli/snapshot';
import { runCheck } from './cli/check';
import { runCompare } from './cli/compare';
import { runRepeatCommand } from './cli/repeat';
import { runDap } from './cli/dap';
import { runTorchCli } from './cli/torch';
import { BadInput, EXIT_BAD_INPUT, parseModelCommand, parseThreadsFlag } from './cli/common';
import { parseMemoryLimit } from './cli/memory';
import { renderForCli } from './errors/render';

const USAGE = `usage:
  gradient-lens train <file> [--epochs N] [--batch-size M] [--json] [--float64] [--no-wasm] [--threads auto|1|2] [--workspace DIR]
  gradient-lens snapshot <file> [--float64] [--out F] [--workspace DIR]
  gradient-lens check <file> [--workspace DIR]
  gradient-lens compare <file> [--batch-sizes 1,32,full] [--rates sweep|file|linear] [--json] [--threads auto|1|2] [--workspace DIR]
  gradient-lens repeat <file> [--example I] [--times N] [--json] [--threads auto|1|2] [--workspace DIR]
  gradient-lens torch <file> [--nproc N] [--steps K] [--epochs E] [--json]   (PyTorch DDP; --help for more)
  gradient-lens dap                 the debug adapter over stdin/stdout (Debug Adapter Protocol)

  <file>       a *.gradlens.json model file
  --json       one JSON object per step and per epoch on stdout (progress stays on stderr)
  --float64    compute in float64 (the reference path) instead of the model file's dtype
  --no-wasm    use the plain TypeScript float32 kernels instead of WASM SIMD
  --threads    threads the WASM engine trains on: auto (default: 2 with two CPU cores), 1 or 2;
               the numbers are the same, large products and conv layers run faster on 2
  --workspace  the folder data paths must stay inside (default: the nearest folder above the
               model file holding .git or .vscode, else the model file's folder)
  --memory-limit  refuse a run estimated to need more memory (e.g. 512M, 4G; default: half of RAM)
`;

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'repeat') return runRepeatCommand(argv.slice(1));
  if (argv[0] === 'torch') return runTorchCli(argv.slice(1));
  let parsed;
  try {
    parsed = parseModelCommand(argv, {
      epochs: { type: 'string' },
      'batch-size': { type: 'string' },
      out: { type: 'string' },
      'memory-limit': { type: 'string' },
      'batch-sizes': { type: 'string' },
      rates: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    });
  } catch (e) {
    process.stderr.write(`gradient-lens: ${(e as Error).message}\n${USAGE}`);
    return EXIT_BAD_INPUT;
  }
  const { values, positionals } = parsed;
  const [command, file, ...rest] = positionals;
  if (values.help || !command) {
    process.stderr.write(USAGE);
    return values.help ? 0 : EXIT_BAD_INPUT;
  }
  if (command === 'dap' && !file) return runDap();
  if (!file || rest.length > 0) {
    process.stderr.write(`gradient-lens: ${command} takes exactly one model file\n${USAGE}`);
    return EXIT_BAD_INPUT;
  }
  const common = {
    file,
    float64: values.float64 ?? false,
    wasm: !values['no-wasm'],
    threads: parseThreadsFlag(values.threads),
    workspace: values.workspace,
    memoryLimit: parseMemoryLimit('--memory-limit', values['memory-limit']),
  };
  switch (command) {
    case 'train':
      return runTrain({
        ...common,
        json: values.json ?? false,
        epochs: optionalPositiveInt('--epochs', values.epochs),
        batchSize: optionalPositiveInt('--batch-size', values['batch-size']),
      });
    case 'snapshot':
      return runSnapshot({ ...common, out: values.out });
    case 'check':
      return runCheck(common);
    case 'compare':
      return runCompare({ ...common, batchSizes: values['batch-sizes'], rates: values.rates, json: values.json ?? false });
    default:
      process.stderr.write(`gradient-lens: unknown command "${command}"\n${USAGE}`);
      return EXIT_BAD_INPUT;
  }
}

function optionalPositiveInt(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new BadInput(`${flag}: expected a positive integer, got "${v}"`);
  return n;
}

// `gradient-lens snapshot … | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // Bad input (model, data, resource, usage) exits 2 with a positioned line; anything else is an
    // engine bug: said plainly, without a stack trace unless asked.
    const { text, exitCode } = renderForCli(e);
    process.stderr.write(`${text}\n`);
    if (exitCode === 1 && process.env.GRADIENT_LENS_DEBUG) process.stderr.write(`${(e as Error)?.stack}\n`);
    process.exitCode = exitCode;
  },
);
