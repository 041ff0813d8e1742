// PyTorch CPU peer: writes the data and initial weights to a temp folder and runs
// bench/torch_bench.py with /usr/bin/python3 (Debian python3-torch), with 2 threads and with 1
// (the bench takes the better), and OpenBLAS sgemm (torch.mm) on our gemm shapes.
// BENCH_KEEP_TMP=1 keeps the inputs, to rerun `python3 bench/torch_bench.py <dir>` by hand.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { NamedTensor } from '../src/engine';
import type { BenchData } from './data';
import { log } from './timing';
import { mlpStepShapes, PEAK_SHAPE } from './shapes';

const LIBBLAS = '/usr/lib/x86_64-linux-gnu/libblas.so.3';

/**
 * Which BLAS Debian's python3-torch gets: it links libblas.so.3, which update-alternatives points
 * at OpenBLAS once libopenblas0-pthread is installed, else at the reference BLAS (libblas3), which
 * is 5–20× slower: a ratio against that PyTorch would flatter us, so the bench reports it as unfair.
 */
export function torchBlas(): { library: string; openblas: boolean } {
  try {
    const library = realpathSync(LIBBLAS);
    return { library, openblas: /openblas/i.test(library) };
  } catch {
    return { library: `${LIBBLAS} not found`, openblas: false };
  }
}

/**
 * Puts PyTorch on OpenBLAS before anything is measured: as root with apt-get, installs
 * libopenblas0-pthread (update-alternatives then points libblas.so.3 at it). Anyone running PyTorch
 * from its own wheels has MKL or OpenBLAS, so a peer on the reference BLAS is not the peer users have.
 * Without root or apt the bench goes on and marks every ratio unfair (none is printed).
 */
export function ensureOpenBlas(): { library: string; openblas: boolean; installed?: string } {
  const before = torchBlas();
  if (before.openblas) return before;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0 || !existsSync('/usr/bin/apt-get')) {
    return { ...before, installed: 'not attempted: needs root and apt-get (run: sudo apt-get install libopenblas0-pthread)' };
  }
  log('PyTorch is on the reference BLAS: apt-get install libopenblas0-pthread');
  const install = () =>
    spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'libopenblas0-pthread'], {
      encoding: 'utf8',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeout: 600_000,
    });
  let r = install();
  // a fresh machine has no package lists yet
  if (r.status !== 0) {
    spawnSync('apt-get', ['update', '-qq'], { encoding: 'utf8', timeout: 600_000 });
    r = install();
  }
  const after = torchBlas();
  return {
    ...after,
    installed: after.openblas
      ? 'libopenblas0-pthread installed by the bench'
      : `apt-get failed (exit ${r.status}): ${(r.stderr ?? '').trim().split('\n').pop()}`,
  };
}

export const PYTHON = '/usr/bin/python3';

export type TorchResult = Record<string, unknown> | { skipped: string };

export function runTorch(
  root: string,
  data: BenchData,
  mlpWeights: NamedTensor[],
  cnnWeights: NamedTensor[],
  firstBatch: number[],
  budgetSeconds: number,
): TorchResult {
  if (!existsSync(PYTHON)) return { skipped: `${PYTHON} not found` };
  const probe = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  if (probe.status !== 0) return { skipped: `PyTorch not importable by ${PYTHON}: ${probe.stderr.trim().split('\n').pop()}` };

  const dir = mkdtempSync(path.join(os.tmpdir(), 'gradlens-bench-'));
  try {
    writeFileSync(path.join(dir, 'x.bin'), new Uint8Array(data.x.buffer, data.x.byteOffset, data.x.byteLength));
    writeFileSync(path.join(dir, 'y.bin'), new Uint8Array(data.y.buffer, data.y.byteOffset, data.y.byteLength));
    writeFileSync(
      path.join(dir, 'meta.json'),
      JSON.stringify({
        count: data.count,
        features: data.features,
        batchSize: data.batchSize,
        learningRate: data.learningRate,
        numClasses: data.numClasses,
        firstBatch,
        budgetSeconds,
        threads: 2,
        gemmShapes: mlpStepShapes(data.batchSize),
        peakShape: PEAK_SHAPE,
        mlp: { weights: mlpWeights },
        cnn: { weights: cnnWeights },
      }),
    );
    log('PyTorch (python3 bench/torch_bench.py)');
    const r = spawnSync(PYTHON, [path.join(root, 'bench/torch_bench.py'), dir], {
      encoding: 'utf8',
      timeout: 120_000,
      stdio: ['ignore', 'pipe', 'inherit'],
      // no OMP_NUM_THREADS: with it set, this libgomp build runs 3-4× slower; set_num_threads(2) suffices
    });
    if (r.status !== 0) return { skipped: `torch_bench.py failed (exit ${r.status}${r.signal ? `, ${r.signal}` : ''})` };
    return { blas: torchBlas(), ...(JSON.parse(r.stdout) as Record<string, unknown>) };
  } finally {
    if (process.env.BENCH_KEEP_TMP) log(`PyTorch inputs kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
