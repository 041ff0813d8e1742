// The folder data paths must stay inside, for a CLI run: `--workspace` when given, else the
// nearest folder above the model file that holds `.git` or `.vscode` (where VS Code would have
// opened it), else the model file's own folder. Never the current folder: where the command is
// typed must not widen (or narrow) what a model file may read.

import { existsSync } from 'node:fs';
import * as path from 'node:path';

export function findWorkspace(modelFile: string, explicit?: string): string {
  if (explicit !== undefined) return path.resolve(explicit);
  const start = path.dirname(path.resolve(modelFile));
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, '.git')) || existsSync(path.join(dir, '.vscode'))) return dir;
    if (path.dirname(dir) === dir) return start;
  }
}
