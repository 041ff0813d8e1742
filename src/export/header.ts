// The opening every Gradient Lens export shares: a JSON object with "format", "version" and the
// model's name. Read once here, so each reader only checks its own body.

import { DataError } from '../errors/types';

/** Parses `text` and checks its header; the object, or a DataError naming the JSON path. */
export function readExportHeader(
  text: string,
  kind: string,
  format: string,
  version: number,
): Record<string, unknown> & { model: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new DataError('', `The ${kind} file is not valid JSON: ${(e as Error).message}.`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new DataError('', '$: expected an object.');
  const root = raw as Record<string, unknown>;
  if (root.format !== format)
    throw new DataError(
      '',
      `$.format: expected "${format}", found ${JSON.stringify(root.format)}; this is not a Gradient Lens ${kind} file.`,
    );
  if (root.version !== version)
    throw new DataError(
      '',
      `$.version: this reader understands version ${version}, the file says ${JSON.stringify(root.version)}.`,
    );
  if (typeof root.model !== 'string') throw new DataError('', '$.model: expected the model name as a string.');
  return root as Record<string, unknown> & { model: string };
}
