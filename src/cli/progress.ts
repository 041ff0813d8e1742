// A one-line progress bar on stderr. On a terminal it redraws in place; in a log (CI, a pipe)
// it prints a line at most every 10 % so logs stay short.

export class ProgressBar {
  private lastDecile = -1;
  private readonly tty: boolean;

  constructor(
    private readonly total: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = Boolean(out.isTTY);
  }

  update(done: number, label: string): void {
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const width = 28;
    const filled = Math.round(frac * width);
    const bar = `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ${label}`;
    if (this.tty) {
      this.out.write(`\r\x1b[2K${bar}`);
    } else {
      const decile = Math.floor(frac * 10);
      if (decile !== this.lastDecile) {
        this.lastDecile = decile;
        this.out.write(`${bar}\n`);
      }
    }
  }

  /** Print a line above the bar (the bar redraws on the next update). */
  log(line: string): void {
    if (this.tty) this.out.write('\r\x1b[2K');
    this.out.write(`${line}\n`);
  }

  finish(): void {
    if (this.tty) this.out.write('\n');
  }
}
