import type { Logger } from 'pino';

/** One warn line per reason per this many ms, at most. */
export const REFUSAL_LOG_EVERY_MS = 10_000;

interface Window {
  /** When the current window's line was written. */
  at: number;
  /** Refusals since that line, not yet written. */
  suppressed: number;
  /** The newest of them, written as the example when the window closes. */
  sample?: { fields: Record<string, unknown>; message: string };
  timer?: NodeJS.Timeout;
}

/**
 * Warn lines for refusals (refused connections, unknown session ids, rate-limited requests,
 * refused origins, cut clients) that a client cannot turn into a log flood: per reason, the
 * first refusal is written at once; later ones within {@link REFUSAL_LOG_EVERY_MS} are counted
 * and written as one line (`suppressed`: how many it stands for) when the window closes. The
 * full counts are in the metrics, which count every refusal.
 */
export class RefusalLog {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly logger: Pick<Logger, 'warn'>,
    private readonly everyMs = REFUSAL_LOG_EVERY_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Records one refusal of `reason`; `message` says what happened and what to do about it. */
  refused(reason: string, fields: Record<string, unknown>, message: string): void {
    const t = this.now();
    const w = this.windows.get(reason);
    if (!w || (w.timer === undefined && t - w.at >= this.everyMs)) {
      this.logger.warn({ ...fields, event: 'refused', reason, suppressed: 0 }, message);
      this.windows.set(reason, { at: t, suppressed: 0 });
      return;
    }
    w.suppressed += 1;
    w.sample = { fields, message };
    if (w.timer === undefined) {
      w.timer = setTimeout(() => this.close(reason), Math.max(0, w.at + this.everyMs - t));
      w.timer.unref();
    }
  }

  /** Clears pending timers (shutdown); what they would have written is in the metrics. */
  stop(): void {
    for (const w of this.windows.values()) clearTimeout(w.timer);
    this.windows.clear();
  }

  private close(reason: string): void {
    const w = this.windows.get(reason);
    if (!w?.sample) return;
    const { fields, message } = w.sample;
    this.logger.warn(
      { ...fields, event: 'refused', reason, suppressed: w.suppressed },
      `${message} (${w.suppressed} like this in the last ${Math.round(this.everyMs / 1000)} s; every one is counted in the metrics)`,
    );
    // This line opens the next window: a refusal right after it is counted, not written.
    this.windows.set(reason, { at: this.now(), suppressed: 0 });
  }
}
