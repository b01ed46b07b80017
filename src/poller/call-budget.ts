/** The budget's window: 511.org counts requests per 3600 s per key. */
export const BUDGET_WINDOW_MS = 3_600_000;

/** The answer to "may this poll make `cost` upstream calls now?". */
export interface Admission {
  granted: boolean;
  /** When denied: the earliest time the same cost fits (ms since the epoch); `now` when granted. */
  retryAt: number;
  /** Calls in the window once this decision is applied (granted calls included). */
  used: number;
}

/** Where the calls of the rolling window are remembered: this process, or Redis for the deployment. */
export interface CallWindow {
  readonly kind: 'memory' | 'redis';
  readonly limit: number;
  /** Records `cost` calls at `now` if they fit in the window, else records nothing and says when they would. */
  take(cost: number, now: number): Promise<Admission>;
  close(): Promise<void>;
}

/**
 * The sliding-log decision, pure: `calls` are the times of past calls (any order). The
 * window is `(now - windowMs, now]`, so no half-open hour ever holds more than `limit`
 * calls, whatever the caller's timers do. Returns the calls still inside the window, plus
 * the new ones when granted.
 */
export function admit(calls: readonly number[], cost: number, now: number, limit: number, windowMs = BUDGET_WINDOW_MS): { admission: Admission; calls: number[] } {
  // Sorted, because a clock that steps back (NTP) must not make a newer call look oldest.
  const live = calls.filter((t) => t > now - windowMs).sort((a, b) => a - b);
  if (live.length + cost <= limit) {
    const next = [...live, ...Array.from({ length: cost }, () => now)];
    return { admission: { granted: true, retryAt: now, used: next.length }, calls: next };
  }
  if (cost > limit) return { admission: { granted: false, retryAt: now + windowMs, used: live.length }, calls: live };
  // Once the k-th oldest call leaves the window, k slots are free: exactly what `cost` needs.
  const mustLeave = live.length + cost - limit;
  return { admission: { granted: false, retryAt: live[mustLeave - 1]! + windowMs, used: live.length }, calls: live };
}

/**
 * The rolling window in this process's memory: exact for one instance, forgotten on restart
 * (a crash-looping instance could exceed the budget; REDIS_URL keeps it across restarts).
 */
export class MemoryCallWindow implements CallWindow {
  readonly kind = 'memory' as const;
  private calls: number[] = [];

  constructor(
    readonly limit: number,
    private readonly windowMs = BUDGET_WINDOW_MS,
  ) {}

  take(cost: number, now: number): Promise<Admission> {
    const { admission, calls } = admit(this.calls, cost, now, this.limit, this.windowMs);
    this.calls = calls;
    return Promise.resolve(admission);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** How often the poller calls upstream, and why. */
export interface Pacing {
  /** Calls per rolling hour; `null` = unlimited. */
  budgetPerHour: number | null;
  /** Upstream calls one poll makes (511.org: one per agency). */
  callsPerPoll: number;
  /** POLL_INTERVAL_MS as configured. */
  configuredIntervalMs: number;
  /** The interval actually used: the configured one, or longer when the budget demands it. */
  intervalMs: number;
  /** Whether the budget, not POLL_INTERVAL_MS, sets the pace. */
  limitedByBudget: boolean;
  /** The arithmetic in one sentence, for the startup log. */
  explanation: string;
}

/**
 * The effective poll interval: POLL_INTERVAL_MS, stretched so that polling without pause
 * makes at most `budgetPerHour` calls an hour: `ceil(3,600,000 × callsPerPoll / budget)` ms.
 *
 * @throws RangeError when one poll alone costs more than the hour's budget
 */
export function planPacing(configuredIntervalMs: number, budgetPerHour: number | null, callsPerPoll: number): Pacing {
  const base = { budgetPerHour, callsPerPoll, configuredIntervalMs };
  if (budgetPerHour === null) {
    return { ...base, intervalMs: configuredIntervalMs, limitedByBudget: false, explanation: `no upstream budget (UPSTREAM_BUDGET_PER_HOUR unlimited): one poll every ${configuredIntervalMs} ms (POLL_INTERVAL_MS)` };
  }
  if (callsPerPoll > budgetPerHour) {
    throw new RangeError(`one poll makes ${callsPerPoll} upstream calls but UPSTREAM_BUDGET_PER_HOUR is ${budgetPerHour}: raise the budget or watch fewer agencies (FEED_AGENCIES)`);
  }
  const budgetIntervalMs = Math.ceil((BUDGET_WINDOW_MS * callsPerPoll) / budgetPerHour);
  const intervalMs = Math.max(configuredIntervalMs, budgetIntervalMs);
  const limitedByBudget = budgetIntervalMs > configuredIntervalMs;
  const pollsPerHour = Math.floor(BUDGET_WINDOW_MS / intervalMs);
  const explanation =
    `UPSTREAM_BUDGET_PER_HOUR=${budgetPerHour} ÷ ${callsPerPoll} call(s) per poll = ${budgetPerHour / callsPerPoll} polls/h → at least ` +
    `${budgetIntervalMs} ms between polls; POLL_INTERVAL_MS=${configuredIntervalMs} → one poll every ${intervalMs} ms ` +
    `(${limitedByBudget ? 'the budget sets the pace' : 'within the budget'}): at most ${pollsPerHour * callsPerPoll} calls/h, ` +
    `${pollsPerHour * callsPerPoll * 24}/day if watched all day`;
  return { ...base, intervalMs, limitedByBudget, explanation };
}
