import { Inject, Injectable } from '@nestjs/common';
import type { AgencyViewers } from '../demand/demand.js';
import { PrimaryLink } from '../ipc/primary-link.js';
import { LiveSockets } from './live-sockets.js';

/** Coalesces bursts of connects/disconnects into one report. */
export const REPORT_COALESCE_MS = 25;

/**
 * Tells the primary how many viewers this worker has — always the absolute count, read
 * from live state (connected sockets, last fallback request), never an increment that a
 * lost message could leave wrong. Reports on change and with every heartbeat. With several
 * agencies it also says how many watch each (`watching`), so the poller asks only for those.
 */
@Injectable()
export class ViewerReporter {
  private lastFallbackAt = 0;
  private pending: NodeJS.Timeout | undefined;
  /** Live sockets per agency (only sockets that watch a named agency). */
  private readonly agencySockets = new Map<string, number>();
  private readonly agencyFallbackAt = new Map<string, number>();

  constructor(
    @Inject(PrimaryLink) private readonly link: Pick<PrimaryLink, 'send'>,
    @Inject(LiveSockets) private readonly sockets: Pick<LiveSockets, 'count'>,
  ) {}

  /** A socket stopped watching `from` and now watches `to` (null: none / the only agency). */
  watching(from: string | null, to: string | null): void {
    if (from === to) return;
    if (from !== null) {
      const left = (this.agencySockets.get(from) ?? 0) - 1;
      if (left > 0) this.agencySockets.set(from, left);
      else this.agencySockets.delete(from);
    }
    if (to !== null) this.agencySockets.set(to, (this.agencySockets.get(to) ?? 0) + 1);
    this.changed();
  }

  /** An HTTP fallback request (for `agency`, when the feed has several) was served now. */
  fallbackHit(now = Date.now(), agency: string | null = null): void {
    const last = agency === null ? this.lastFallbackAt : (this.agencyFallbackAt.get(agency) ?? 0);
    this.lastFallbackAt = now;
    if (agency !== null) this.agencyFallbackAt.set(agency, now);
    if (now - last > 1000) this.changed();
  }

  changed(): void {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.report();
    }, REPORT_COALESCE_MS);
  }

  report(): void {
    const agencies = this.agencies();
    this.link.send({ t: 'viewers', sockets: this.sockets.count(), lastFallbackAt: this.lastFallbackAt, ...(agencies ? { agencies } : {}) });
  }

  stop(): void {
    clearTimeout(this.pending);
  }

  /** Viewers per named agency, or undefined when no viewer named one. */
  private agencies(): Record<string, AgencyViewers> | undefined {
    if (this.agencySockets.size === 0 && this.agencyFallbackAt.size === 0) return undefined;
    const out: Record<string, AgencyViewers> = {};
    for (const [agency, at] of this.agencyFallbackAt) out[agency] = { sockets: 0, lastFallbackAt: at };
    for (const [agency, n] of this.agencySockets) out[agency] = { sockets: n, lastFallbackAt: this.agencyFallbackAt.get(agency) ?? 0 };
    return out;
  }
}
