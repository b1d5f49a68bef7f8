/**
 * What the demo shows: numbered steps, notes, progress bars for long waits and the live figures. On a
 * terminal the figures and bars redraw in place (cli-progress); in a log (a test, CI) the same content is
 * printed as lines, the figures at most every `figuresEveryMs` so the log stays readable.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(value: number, total?: number): void;
  stop(): void;
}

export interface Terminal {
  step(what: string): void;
  note(line: string): void;
  figures(lines: string[]): void;
  progress(label: string, total: number, unit?: string): Progress;
  close(): void;
}

export function createTerminal(out: NodeJS.WritableStream & { isTTY?: boolean }, figuresEveryMs = 10_000): Terminal {
  return out.isTTY ? new LiveTerminal(out) : new LogTerminal(out, figuresEveryMs);
}

class LogTerminal implements Terminal {
  private steps = 0;
  private lastFigures = 0;

  constructor(private readonly out: NodeJS.WritableStream, private readonly figuresEveryMs: number) {}

  private say(line: string): void {
    this.out.write(`${line}\n`);
  }

  step(what: string): void {
    this.steps += 1;
    this.say(`\n[${this.steps}] ${what}`);
  }

  note(line: string): void {
    this.say(`    ${line}`);
  }

  figures(lines: string[]): void {
    if (Date.now() - this.lastFigures < this.figuresEveryMs) return;
    this.lastFigures = Date.now();
    for (const line of lines) this.say(`    · ${line}`);
  }

  progress(label: string, total: number, unit = ''): Progress {
    let shownQuarter = -1;
    let last = { value: 0, total };
    return {
      update: (value, newTotal) => {
        last = { value, total: newTotal ?? last.total };
        const quarter = last.total > 0 ? Math.floor((4 * value) / last.total) : 0;
        if (quarter > shownQuarter) {
          shownQuarter = quarter;
          this.say(`    ${label}: ${value} / ${last.total}${unit}`);
        }
      },
      stop: () => {
        if (shownQuarter < 4) this.say(`    ${label}: ${last.value} / ${last.total}${unit}`);
      },
    };
  }

  close(): void {}
}

class LiveTerminal implements Terminal {
  private steps = 0;
  private readonly bars: cliProgress.MultiBar;
  private readonly figureLines: cliProgress.SingleBar[] = [];

  constructor(out: NodeJS.WritableStream) {
    this.bars = new cliProgress.MultiBar({
      stream: out as NodeJS.WriteStream,
      hideCursor: true,
      clearOnComplete: false,
      autopadding: true,
      fps: 2,
      format: '    {label} {bar} {value}/{total}{unit}',
      barsize: 30,
    }, cliProgress.Presets.shades_classic);
  }

  step(what: string): void {
    this.steps += 1;
    this.bars.log(`\n[${this.steps}] ${what}\n`);
  }

  note(line: string): void {
    this.bars.log(`    ${line}\n`);
  }

  figures(lines: string[]): void {
    while (this.figureLines.length < lines.length) {
      this.figureLines.push(this.bars.create(1, 0, { text: '' }, { format: '  {text}' }));
    }
    lines.forEach((text, i) => this.figureLines[i]!.update(0, { text }));
  }

  progress(label: string, total: number, unit = ''): Progress {
    const bar = this.bars.create(total, 0, { label, unit });
    let last = { value: 0, total };
    return {
      update: (value, newTotal) => {
        last = { value, total: newTotal ?? last.total };
        if (newTotal !== undefined) bar.setTotal(newTotal);
        bar.update(value);
      },
      stop: () => {
        bar.stop();
        this.bars.remove(bar);
        this.bars.log(`    ${label}: ${last.value} / ${last.total}${unit}\n`);
      },
    };
  }

  close(): void {
    this.bars.stop();
  }
}
