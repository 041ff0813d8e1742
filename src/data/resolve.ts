// Where a model file's `data.source` points. Paths in `data.source` and `data.labels` are relative
// to the folder of the model file (absolute paths are accepted too), and must stay inside the
// workspace, also after following symbolic links, so a shared model file cannot read files
// elsewhere on the machine.
import { realpathSync } from 'node:fs';
import * as path from 'node:path';
import { DataError } from './errors';

export function resolveDataPath(workspaceRoot: string, modelFileDir: string, source: string): string {
  if (source.trim() === '') throw new DataError('data.source', 'the data path is empty');
  const resolved = path.resolve(modelFileDir, source);
  const root = realpathOfExisting(path.resolve(workspaceRoot));
  const real = realpathOfExisting(resolved);
  if (!isInside(root, real)) {
    const shown = real === resolved ? resolved : `${resolved} (really ${real})`;
    throw new DataError(
      source,
      `the data path resolves to ${shown}, which is outside the workspace folder ${root}; ` +
        'data paths are relative to the model file and must stay inside the workspace',
    );
  }
  return resolved;
}

/** The real path of `p`, or of its deepest existing ancestor followed by the rest (p may not exist yet). */
function realpathOfExisting(p: string): string {
  const rest: string[] = [];
  let current = p;
  for (;;) {
    try {
      return path.join(realpathSync(current), ...rest);
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return p;
      rest.unshift(path.basename(current));
      current = parent;
    }
  }
}

function isInside(root: string, p: string): boolean {
  const relative = path.relative(root, p);
  return relative === '' || (!escapes(relative) && !path.isAbsolute(relative));
}

/** How a path is shown in messages: relative to the current folder when inside it. */
export function displayPath(p: string): string {
  const relative = path.relative(process.cwd(), p);
  return relative !== '' && !escapes(relative) && !path.isAbsolute(relative) ? relative : p;
}

function escapes(relative: string): boolean {
  return relative === '..' || relative.startsWith(`..${path.sep}`);
}
