/**
 * Progress output: a bar redrawn in place on a TTY, otherwise a plain line every few seconds
 * (CI logs). Writes to the given stream (stdout).
 */

export interface ProgressState {
  elapsedMs: number;
  durationMs: number;
  connected: number;
  live: number;
  polls: number;
  bad400: number;
  reconnects: number;
  recycles: number;
  kills: number;
  /** Requests without an answer past their deadline so far (shown when > 0). */
  hung?: number;
  latencyP95: number | null;
  phase: string;
}

export function progressText(p: ProgressState, barWidth = 24): string {
  const frac = Math.max(0, Math.min(1, p.elapsedMs / p.durationMs));
  const full = Math.round(frac * barWidth);
  const bar = `${'#'.repeat(full)}${'.'.repeat(barWidth - full)}`;
  const secs = `${Math.round(p.elapsedMs / 1000)}/${Math.round(p.durationMs / 1000)} s`;
  return (
    `[${bar}] ${String(Math.round(frac * 100)).padStart(3)}% ${secs}  clients ${p.connected}/${p.live}  polls ${p.polls}` +
    `  400s ${p.bad400}  reconnects ${p.reconnects}  recycles ${p.recycles}  kills ${p.kills}${p.hung ? `  hung ${p.hung}` : ''}` +
    `  p95 ${p.latencyP95 === null ? '–' : `${p.latencyP95} ms`}${p.phase ? `  ${p.phase}` : ''}`
  );
}

export class Progress {
  private lastLineAt = 0;
  private drawn = false;
  private readonly out: NodeJS.WriteStream;
  private readonly tty: boolean;
  private readonly everyMs: number;

  constructor(out: NodeJS.WriteStream, everyMs = 5_000) {
    this.out = out;
    this.tty = out.isTTY === true;
    this.everyMs = everyMs;
  }

  update(p: ProgressState): void {
    const text = progressText(p);
    if (this.tty) {
      const cols = this.out.columns ?? 120;
      this.out.write(`\r${text.slice(0, cols - 1).padEnd(cols - 1)}`);
      this.drawn = true;
    } else if (Date.now() - this.lastLineAt >= this.everyMs) {
      this.lastLineAt = Date.now();
      this.out.write(`${text}\n`);
    }
  }

  /** A message on its own line (the bar is redrawn after it). */
  note(message: string): void {
    if (this.tty && this.drawn) this.out.write('\n');
    this.drawn = false;
    this.out.write(`${message}\n`);
  }

  end(): void {
    if (this.tty && this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}
