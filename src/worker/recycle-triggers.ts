import type { RecycleTrigger } from '../ipc/messages.js';

/** Heartbeats in a row above MAX_WORKER_RSS_MB before a worker asks to go: one GC-able spike is not a leak. */
export const RSS_SAMPLES_OVER_LIMIT = 3;

export interface RecycleTriggerOptions {
  /** New sessions before asking (MAX_SESSIONS_PER_WORKER + this worker's jitter); 0 = never. */
  sessionLimit: number;
  /** Resident bytes (MAX_WORKER_RSS_MB); 0 = never. */
  rssLimitBytes: number;
}

export interface RecycleAsk {
  trigger: RecycleTrigger;
  sessions: number;
  rssBytes: number;
}

/**
 * When a worker asks the primary to recycle it. Only what grows with a worker's age counts:
 * new sessions (Engine.IO handshakes that succeeded — never polls, POSTs, `/healthz`, requests
 * forwarded for a sibling's sessions, or refused handshakes) and resident memory. A worker asks
 * once; the primary decides when its turn comes (one at a time, after a minimum lifetime).
 */
export class RecycleTriggers {
  private sessions = 0;
  private rssOver = 0;
  private lastRss = 0;
  private asked = false;

  constructor(
    private readonly opts: RecycleTriggerOptions,
    private readonly ask: (a: RecycleAsk) => void,
  ) {}

  /** Engine.IO opened a session on this worker. */
  sessionOpened(): void {
    this.sessions += 1;
    if (this.opts.sessionLimit > 0 && this.sessions >= this.opts.sessionLimit) this.fire('sessions');
  }

  /** A heartbeat's reading of this process's resident memory. */
  memorySample(rssBytes: number): void {
    this.lastRss = rssBytes;
    if (this.opts.rssLimitBytes <= 0) return;
    this.rssOver = rssBytes > this.opts.rssLimitBytes ? this.rssOver + 1 : 0;
    if (this.rssOver >= RSS_SAMPLES_OVER_LIMIT) this.fire('memory');
  }

  /** An operator asked (SIGUSR2 to the worker): recycled in turn, like a limit. */
  signalled(): void {
    this.fire('signal');
  }

  /** New sessions counted so far. */
  get sessionCount(): number {
    return this.sessions;
  }

  private fire(trigger: RecycleTrigger): void {
    if (this.asked) return;
    this.asked = true;
    this.ask({ trigger, sessions: this.sessions, rssBytes: this.lastRss });
  }
}
