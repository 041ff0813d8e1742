// CSV datasets: the class label in the first column, numeric features after it.
//
// - Header: optional; the first row is a header when one of its feature fields is not a number.
// - Labels: integers or class names, mapped by the rules in labels.ts.
// - Blank lines are skipped; CRLF line ends are fine; a field may be wrapped in double quotes, but
//   quoted commas are not supported (features are numbers, labels are simple names).
// - Streaming: the file is read in chunks and split into lines as it arrives; features go straight
//   into a growable Float32Array, so a 100 MB file is never held as one string nor stored twice.
import type { Dataset } from './dataset';
import { DataError, readFailure } from './errors';
import { GrowableFloat32, GrowableInt32 } from './growable';
import { LabelTable } from './labels';
import { openChecked } from './safeOpen';

export interface CsvOptions {
  /** How the file is named in messages; defaults to the path. */
  displayName?: string;
  /** The opened file must really lie inside this folder (see safeOpen.ts). */
  workspaceRoot?: string;
}

/** The largest finite float32: features are stored as float32, so a larger cell would become Infinity. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** A guard against reading a binary or one-line file into memory as a single "line". */
const MAX_LINE_CHARS = 16 * 2 ** 20;

export async function loadCsv(filePath: string, options: CsvOptions = {}): Promise<Dataset> {
  const file = options.displayName ?? filePath;
  const opened = await openChecked(filePath, file, { workspaceRoot: options.workspaceRoot });
  const size = opened.stats.size;
  if (size === 0) {
    await opened.handle.close();
    throw new DataError(file, 'the file is empty');
  }

  const parser = new CsvRowParser(file, size);
  const stream = opened.handle.createReadStream({ encoding: 'utf8', highWaterMark: 1 << 16, autoClose: true });
  // The unfinished last line of the chunks so far, kept in pieces so a long line costs linear time.
  let pending: string[] = [];
  let pendingLength = 0;
  let lineNumber = 0;
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      if (chunk.indexOf('\n') === -1) {
        pending.push(chunk);
        pendingLength += chunk.length;
        if (pendingLength > MAX_LINE_CHARS) {
          throw new DataError(
            file,
            `line ${lineNumber + 1} is longer than ${MAX_LINE_CHARS / 2 ** 20} M characters; is this really a CSV file?`,
            { line: lineNumber + 1 },
          );
        }
        continue;
      }
      const text = pending.length > 0 ? pending.join('') + chunk : chunk;
      let start = 0;
      let newline = text.indexOf('\n', start);
      while (newline !== -1) {
        parser.line(text, start, newline, ++lineNumber);
        start = newline + 1;
        newline = text.indexOf('\n', start);
      }
      pending = start < text.length ? [text.slice(start)] : [];
      pendingLength = text.length - start;
    }
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw readFailure(file, e);
  } finally {
    stream.destroy();
  }
  if (pendingLength > 0) {
    const last = pending.join('');
    parser.line(last, 0, last.length, lineNumber + 1);
  }
  return parser.finish(file);
}

class CsvRowParser {
  private columns = -1;
  private hasHeader = false;
  private rows = 0;
  private readonly x = new GrowableFloat32();
  private readonly labelIds = new GrowableInt32();
  private readonly labels = new LabelTable();

  constructor(
    private readonly file: string,
    private readonly fileBytes: number,
  ) {}

  /** One physical line: text[start, end), without its '\n'. */
  line(text: string, start: number, end: number, lineNumber: number): void {
    if (end > start && text.charCodeAt(end - 1) === 13) end--; // CRLF
    if (lineNumber === 1 && text.charCodeAt(start) === 0xfeff) start++; // UTF-8 byte-order mark
    if (isBlank(text, start, end)) return;
    if (this.columns < 0) {
      this.firstLine(text.slice(start, end), lineNumber);
      if (this.hasHeader) return;
    }
    this.dataRow(text, start, end, lineNumber);
  }

  private firstLine(line: string, lineNumber: number): void {
    const fields = line.split(',');
    if (fields.length < 2) {
      throw new DataError(
        this.file,
        `line ${lineNumber} has 1 column; expected a label followed by at least one numeric feature`,
        { line: lineNumber },
      );
    }
    this.columns = fields.length;
    const hasText = fields.slice(1).some((f) => Number.isNaN(parseField(f, 0, f.length)));
    this.hasHeader = hasText;
  }

  private dataRow(text: string, start: number, end: number, lineNumber: number): void {
    const found = countColumns(text, start, end);
    if (found !== this.columns) {
      throw new DataError(this.file, `line ${lineNumber} has ${found} columns, expected ${this.columns}`, { line: lineNumber });
    }
    const features = this.columns - 1;
    if (this.rows === 0) {
      // Estimate the row count from the first row's length so storage rarely has to regrow.
      const estimatedRows = Math.ceil(this.fileBytes / (end - start + 1));
      this.x.ensureCapacity(Math.min(Math.ceil(estimatedRows * 1.02) * features, 2 ** 31 - 1));
    }
    const labelEnd = indexOfComma(text, start, end);
    const label = unquote(text.slice(start, labelEnd));
    if (label === '') throw new DataError(this.file, 'the label is empty', { line: lineNumber, column: 1 });
    this.x.reserve(features);
    const out = this.x.buffer;
    let at = this.x.length;
    let fieldStart = labelEnd + 1;
    for (let column = 2; column <= this.columns; column++) {
      const fieldEnd = indexOfComma(text, fieldStart, end);
      const v = parseField(text, fieldStart, fieldEnd);
      if (Number.isNaN(v)) {
        const got = text.slice(fieldStart, fieldEnd);
        throw new DataError(
          this.file,
          `expected a number, got ${JSON.stringify(got.length > 40 ? `${got.slice(0, 40)}…` : got)}`,
          { line: lineNumber, column },
        );
      }
      if (Math.abs(v) > FLOAT32_MAX) {
        const got = text.slice(fieldStart, Math.min(fieldEnd, fieldStart + 40)).trim();
        throw new DataError(
          this.file,
          `${got} is beyond the float32 range (±3.4e38): features are stored as float32 and it would become infinite`,
          { line: lineNumber, column },
        );
      }
      out[at++] = v;
      fieldStart = fieldEnd + 1;
    }
    this.x.length = at;
    this.labelIds.push(this.labels.idOf(label));
    this.rows++;
  }

  finish(name: string): Dataset {
    const file = this.file;
    if (this.columns < 0) throw new DataError(file, 'the file has no rows (only blank lines)');
    if (this.rows === 0) throw new DataError(file, 'the file has a header but no data rows');
    const { classOfId, numClasses, classNames } = this.labels.finish(file);
    const y = this.labelIds.finish();
    for (let i = 0; i < y.length; i++) y[i] = classOfId[y[i]];
    return {
      name,
      inputShape: [this.columns - 1],
      numClasses,
      count: this.rows,
      x: this.x.finish(),
      y,
      classNames,
    };
  }
}

function isBlank(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}

function indexOfComma(text: string, from: number, end: number): number {
  const i = text.indexOf(',', from);
  return i === -1 || i > end ? end : i;
}

function countColumns(text: string, start: number, end: number): number {
  let n = 1;
  for (let i = text.indexOf(',', start); i !== -1 && i < end; i = text.indexOf(',', i + 1)) n++;
  return n;
}

function unquote(field: string): string {
  const t = field.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).trim() : t;
}

/**
 * The number in text[start, end), or NaN when it is not a finite number. Plain decimals
 * (`-12.345`) take a fast path that is exact: an integer mantissa below 2^53 divided by an exact
 * power of ten is correctly rounded. Everything else (exponents, spaces, quotes) goes to Number().
 */
function parseField(text: string, start: number, end: number): number {
  let i = start;
  let negative = false;
  const first = text.charCodeAt(i);
  if (first === 45 /* - */ || first === 43 /* + */) {
    negative = first === 45;
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let decimals = 0;
  let seenPoint = false;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
      if (seenPoint) decimals++;
    } else if (c === 46 /* . */ && !seenPoint) {
      seenPoint = true;
    } else {
      return slowParse(text.slice(start, end));
    }
  }
  if (digits === 0) return slowParse(text.slice(start, end));
  if (digits > 15) return slowParse(text.slice(start, end));
  const value = decimals === 0 ? mantissa : mantissa / POWERS_OF_TEN[decimals];
  return negative ? -value : value;
}

const POWERS_OF_TEN = Array.from({ length: 16 }, (_, k) => 10 ** k);

function slowParse(field: string): number {
  const t = unquote(field);
  if (t === '') return NaN;
  const v = Number(t);
  return Number.isFinite(v) ? v : NaN;
}
