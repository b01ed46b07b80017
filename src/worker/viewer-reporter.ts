import type { PrimaryLink } from './primary-link.js';

/** Coalesces bursts of connects/disconnects into one report. */
export const REPORT_COALESCE_MS = 25;

/**
 * Tells the primary how many viewers this worker has — always the absolute count, read
 * from live state (connected sockets, last fallback request), never an increment that a
 * lost message could leave wrong. Reports on change and with every heartbeat.
 */
export class ViewerReporter {
  private lastFallbackAt = 0;
  private pending: NodeJS.Timeout | undefined;
  private sockets: () => number = () => 0;

  constructor(private readonly link: PrimaryLink) {}

  /** Where the live socket count comes from (the Socket.IO server, once it exists). */
  countSocketsWith(fn: () => number): void {
    this.sockets = fn;
  }

  /** An HTTP fallback request was served now. */
  fallbackHit(now = Date.now()): void {
    const first = now - this.lastFallbackAt > 1000;
    this.lastFallbackAt = now;
    if (first) this.changed();
  }

  changed(): void {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.report();
    }, REPORT_COALESCE_MS);
  }

  report(): void {
    this.link.send({ t: 'viewers', sockets: this.sockets(), lastFallbackAt: this.lastFallbackAt });
  }

  stop(): void {
    clearTimeout(this.pending);
  }
}
