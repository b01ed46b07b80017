/**
 * Pure analysis of what the soak recorded: which lost session was caused by what (a worker
 * recycle, the planned kill, or nothing planned), how fast clients came back, percentiles.
 */
import type { Disconnect } from './soak-clients.ts';
import type { WorkerInfo } from './service.ts';

export type LossCause = 'recycle' | 'kill' | 'other';

export interface KillEvent {
  worker: number;
  at: number;
  victims: number;
}

export interface AttributedDisconnect extends Disconnect {
  cause: LossCause;
  /** A session of another worker, lost while the recycled or killed one went away. */
  collateral: boolean;
  /**
   * Lost to a 400 "Session ID unknown" the service labelled `ended` (x-transit-session): the
   * Engine.IO v4 answer for a session it had already closed, i.e. as clean as a close packet.
   */
  endedAnswer?: boolean;
}

/** A window after a recycle's drain (or a kill) within which its clients' disconnects belong to it. */
export const ATTRIBUTION_AFTER_MS = 5_000;

/**
 * Attributes each lost session to the recycle or kill of the worker that owned it, or — for a
 * session of another worker lost while one drained or died ("collateral": its requests crossed
 * the departing worker's pooled keep-alive connections) — to that event; else to nothing planned.
 * `sessionUnknown` (sid → the cause of its first 400 "Session ID unknown", as the counting
 * proxy read it from x-transit-session) tells a 400 for an ended session from a misrouted one.
 */
export function attribute(
  disconnects: readonly Disconnect[],
  workers: ReadonlyMap<number, WorkerInfo>,
  kill?: KillEvent,
  sessionUnknown?: ReadonlyMap<string, string>,
): AttributedDisconnect[] {
  const recycled = [...workers.values()].filter((w) => w.recycleAt !== undefined || w.drainCause === 'worker_recycled' || w.exitCause === 'worker_recycled');
  const windowOf = (w: WorkerInfo) => ({ from: (w.drainAt ?? w.recycleAt ?? 0) - 1_000, to: (w.exitAt ?? w.drainAt ?? w.recycleAt ?? 0) + ATTRIBUTION_AFTER_MS });
  return disconnects.map((d): AttributedDisconnect => {
    if (d.detail === '400') {
      // A 400 for a session the service had ended (its worker recycled or killed, …): the
      // protocol's way to say "reconnect", attributed like the close packet it replaces.
      if (d.sid && sessionUnknown?.get(d.sid) === 'ended') return { ...attributeOne({ ...d, detail: '400 ended' }), endedAnswer: true };
      // Any other 400 ends a session because it reached the wrong worker: routing, not a recycle or kill.
      return { ...d, cause: 'other', collateral: false };
    }
    return attributeOne(d);
  });

  function attributeOne(d: Disconnect): AttributedDisconnect {
    if (kill && d.worker === kill.worker && d.at >= kill.at - 200 && d.at <= kill.at + 3 * ATTRIBUTION_AFTER_MS) return { ...d, cause: 'kill', collateral: false };
    const own = recycled.find((w) => w.id === d.worker);
    if (own) {
      const win = windowOf(own);
      if (d.at >= win.from && d.at <= win.to) return { ...d, cause: 'recycle', collateral: false };
    }
    if (kill && d.at >= kill.at - 200 && d.at <= kill.at + COLLATERAL_MS) return { ...d, cause: 'kill', collateral: true };
    if (recycled.some((w) => w.drainAt !== undefined && d.at >= w.drainAt && d.at <= (w.exitAt ?? w.drainAt) + COLLATERAL_MS)) return { ...d, cause: 'recycle', collateral: true };
    return { ...d, cause: 'other', collateral: false };
  }
}

/** How long after a worker's exit a loss of another worker's session still counts as its collateral. */
export const COLLATERAL_MS = 1_500;

export interface LossSummary {
  count: number;
  /** Back later than `withinMs`, or not back although the run went on for `withinMs`. */
  notBack: number;
  /** Not back when the run (or the page) ended, but lost too late to judge. */
  pending: number;
  maxBackMs: number | null;
  medianBackMs: number | null;
  byReason: Record<string, number>;
  /** Disconnects that were not a clean close by the server ("transport close", or a 400 labelled `ended`). */
  unclean: number;
  /** Sessions of other workers lost with it (see `attribute`). */
  collateral: number;
}

export function summarizeLosses(list: readonly AttributedDisconnect[], cause: LossCause, endAt: number, withinMs: number): LossSummary {
  const mine = list.filter((d) => d.cause === cause);
  const back: number[] = [];
  let notBack = 0;
  let pending = 0;
  const byReason: Record<string, number> = {};
  let unclean = 0;
  let collateral = 0;
  for (const d of mine) {
    const key = d.detail ? `${d.reason} (${d.detail})` : d.reason;
    byReason[key] = (byReason[key] ?? 0) + 1;
    if (d.reason !== 'transport close' && !d.endedAnswer) unclean += 1;
    if (d.collateral) collateral += 1;
    if (d.backAt !== null) {
      back.push(d.backAt - d.at);
      if (d.backAt - d.at > withinMs) notBack += 1;
    } else if ((d.endedAt ?? endAt) - d.at >= withinMs) notBack += 1;
    else pending += 1;
  }
  back.sort((a, b) => a - b);
  return {
    count: mine.length,
    notBack,
    pending,
    maxBackMs: back.length ? back[back.length - 1]! : null,
    medianBackMs: back.length ? back[Math.floor(back.length / 2)]! : null,
    byReason,
    unclean,
    collateral,
  };
}

export interface RecycleRecord {
  worker: number;
  /** When the worker's recycle began (ms since the epoch). */
  at: number;
  drainAt: number | null;
  exitAt: number | null;
  /** From ready to recycle; null if the ready line was missed. */
  lifetimeMs: number | null;
  sessions: number | null;
  /** Caused by the harness spending the worker's request budget on purpose. */
  triggered: boolean;
}

export function recycleRecords(workers: ReadonlyMap<number, WorkerInfo>, triggerWindows: readonly { from: number; to: number }[]): RecycleRecord[] {
  const out: RecycleRecord[] = [];
  for (const w of workers.values()) {
    if (w.recycleAt === undefined) continue;
    out.push({
      worker: w.id,
      at: w.recycleAt,
      drainAt: w.drainAt ?? null,
      exitAt: w.exitAt ?? null,
      lifetimeMs: w.readyAt !== undefined ? w.recycleAt - w.readyAt : null,
      sessions: w.drainSessions ?? null,
      triggered: triggerWindows.some((t) => w.recycleAt! >= t.from && w.recycleAt! <= t.to),
    });
  }
  return out.sort((a, b) => a.at - b.at);
}

/** Nearest-rank percentile of `values` (any order); null when empty. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function median(values: readonly number[]): number | null {
  return percentile(values, 50);
}

export const pct = (part: number, whole: number): number => (whole === 0 ? 0 : Math.round((10_000 * part) / whole) / 100);

/** A request in flight when the planned SIGKILL cut its connection: expected, not lost. */
export const KILL_CUT_WINDOW = { beforeMs: 250, afterMs: 3_000 };

/**
 * Splits the counting proxy's lost requests into those the planned kill explains (an
 * upstream connection closed without an answer within `KILL_CUT_WINDOW` of the SIGKILL:
 * requests in flight on the killed worker, or handed to it as it died) and the rest.
 * A request that hung (no answer within the deadline) is never the kill's doing.
 */
export function splitLostAtKill<T extends { at: number; kind: 'hung' | 'closed' }>(lost: readonly T[], kill?: { at: number }): { cutAtKill: T[]; rest: T[] } {
  const cutAtKill: T[] = [];
  const rest: T[] = [];
  for (const l of lost) {
    const atKill = kill !== undefined && l.kind === 'closed' && l.at >= kill.at - KILL_CUT_WINDOW.beforeMs && l.at <= kill.at + KILL_CUT_WINDOW.afterMs;
    (atKill ? cutAtKill : rest).push(l);
  }
  return { cutAtKill, rest };
}
