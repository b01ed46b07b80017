import { nextFallbackExpiry, watchedAgencies } from '../demand/agency-demand.js';
import { nextGraceEnd, polledAgencies, stepAgencyGates } from '../demand/agency-gates.js';
import type { Demand } from '../demand/demand.js';
import type { GateState } from '../demand/demand-gate.js';
import { FeedError, type Feed } from '../feed/feed.js';
import type { StoreUpdate, VehicleStore } from '../store/vehicle-store.js';
import { nextCallAt } from './backoff.js';
import { planPacing, type CallWindow, type Pacing } from './call-budget.js';
import type { FeedStatus } from './feed-status.js';

/** One finished upstream call, for metrics, logs and traces. */
export interface PollOutcome {
  outcome: 'ok' | FeedError['failure'] | 'unknown';
  durationMs: number;
  vehicles: number;
  /** Upstream requests the poll made (known on success; 1 when it failed). */
  calls: number;
  /** How many polls in a row ended with this outcome, this one included (log a state once). */
  streak: number;
  error?: Error;
}

export interface PollControllerOptions {
  feed: Feed;
  store: VehicleStore;
  /** Reads the instance's demand now (derived from live worker reports). */
  demand: () => Demand;
  /**
   * Time between polls: POLL_INTERVAL_MS, or the longer interval the budget requires (see
   * `planPacing`). For a feed with `agencies` and a `pacing`, recomputed from the agencies
   * being polled whenever that set changes.
   */
  intervalMs: number;
  /** The enforced rolling-hour budget; every poll reserves `feed.callsPerFetch` calls first. Unset = unlimited. */
  budget?: CallWindow;
  /** How `intervalMs` was derived, reported in the status (`/readyz`). */
  pacing?: Pacing;
  graceMs: number;
  now?: () => number;
  /** Called when a poll changed the data. */
  onUpdate: (update: StoreUpdate) => void;
  /** Called after every poll and on every gate change. */
  onStatus?: (status: FeedStatus) => void;
  /** Called after every upstream call; wraps the call when `trace` is given. */
  onPoll?: (outcome: PollOutcome) => void;
  /** Runs one upstream call inside a tracing span, if tracing is on. */
  trace?: <T>(run: () => Promise<T>) => Promise<T>;
  /** A poll held back by the budget (`error` when the budget store did not answer: the poller then waits one interval). */
  onDeferred?: (retryAt: number, error?: Error) => void;
}

/**
 * Polls the upstream feed every `intervalMs` while the demand gate is open, and never
 * otherwise. There is never more than one call in flight. When the gate opens and the
 * snapshot is stale (or missing), it polls at once; when demand ends it keeps polling for
 * `graceMs`, then stops. With a `budget`, no poll starts unless its calls fit in the rolling
 * hour (else it waits until they do); a 429's `Retry-After` and a refused key (slow probe)
 * also hold the next call back, across demand changes too.
 *
 * A feed with `agencies` (511.org) has one gate per agency: each poll asks only for the
 * agencies someone watches (or did within `graceMs`), and the interval is the budget split
 * among them: `max(POLL_INTERVAL_MS, 3600 s × polled agencies / budget)`.
 */
export class PollController {
  private gates = new Map<string, GateState>();
  /** Gate keys: the feed's agencies, or `''` for a feed with one implicit agency. */
  private readonly keys: readonly string[];
  /** When each agency was last asked for (agency feeds only). */
  private readonly lastPolled = new Map<string, number>();
  private pollTimer: NodeJS.Timeout | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private inFlight: AbortController | undefined;
  private stopped = false;
  private enabled = true;
  private lastOutcome: PollOutcome['outcome'] | null = null;
  private streak = 0;
  private readonly now: () => number;
  private readonly status: FeedStatus;

  constructor(private readonly opts: PollControllerOptions) {
    this.now = opts.now ?? Date.now;
    this.keys = opts.feed.agencies?.length ? opts.feed.agencies : [''];
    this.status = {
      feed: opts.feed.kind,
      polling: false,
      state: 'never',
      lastSuccessAt: null,
      lastError: null,
      consecutiveFailures: 0,
      calls: 0,
      notBefore: null,
      budget: {
        perHour: opts.pacing?.budgetPerHour ?? opts.budget?.limit ?? null,
        callsPerPoll: opts.feed.callsPerFetch ?? 1,
        configuredIntervalMs: opts.pacing?.configuredIntervalMs ?? opts.intervalMs,
        effectiveIntervalMs: opts.intervalMs,
        store: opts.budget?.kind ?? 'none',
        callsInWindow: null,
        deferrals: 0,
      },
    };
    this.refreshAgencyStatus();
  }

  /** A copy of the current feed status. */
  get feedStatus(): FeedStatus {
    const agencies = this.status.watchedAgencies;
    return { ...this.status, budget: this.status.budget && { ...this.status.budget }, ...(agencies ? { watchedAgencies: [...agencies] } : {}) };
  }

  /** Re-reads demand and opens or closes the gate; call whenever a viewer report changes. */
  demandChanged(): void {
    if (this.stopped || !this.enabled) return;
    const now = this.now();
    const demand = this.opts.demand();
    const watched = watchedAgencies(demand, this.opts.feed.agencies ?? [], now);
    const step = stepAgencyGates(this.gates, this.keys, watched, now, this.opts.graceMs);
    this.gates = step.gates;
    // The polled set changes exactly when a gate opens from idle or closes. (Comparing the sets
    // joined as text missed the implicit agency `''`: [''] and [] both join to ''.)
    const changed = step.opened.length > 0 || step.closed.length > 0;
    this.scheduleWake(demand, now);
    if (!this.polling()) this.stopPolling();
    // A newly watched agency is asked for soon; a changed set changes the interval.
    else if (changed) this.reschedule(now);
    if (changed) this.publishStatus();
  }

  /**
   * Another instance holds the deployment's poller lease (false), or this one does (true).
   * Disabling stops at once — no grace period, which would poll twice with the new leader.
   */
  setEnabled(enabled: boolean): void {
    if (enabled === this.enabled) return;
    this.enabled = enabled;
    if (enabled) return this.demandChanged();
    this.gates = new Map();
    this.stopPolling();
    clearTimeout(this.wakeTimer);
    this.publishStatus();
  }

  /** Stops every timer and aborts a call in flight; the controller stays stopped. */
  stop(): void {
    this.stopped = true;
    this.stopPolling();
    clearTimeout(this.wakeTimer);
    this.inFlight?.abort();
  }

  /** Re-evaluates the gate when the grace period or the fallback window ends. */
  private scheduleWake(demand: Demand, now: number): void {
    clearTimeout(this.wakeTimer);
    const deadlines = [nextGraceEnd(this.gates), nextFallbackExpiry(demand, now)].filter((t): t is number => t !== null);
    if (deadlines.length === 0) return;
    const at = Math.min(...deadlines);
    this.wakeTimer = setTimeout(() => this.demandChanged(), Math.max(0, at - now) + 1);
    this.wakeTimer.unref();
  }

  /** Whether any gate lets the poller run. */
  private polling(): boolean {
    return polledAgencies(this.gates).length > 0;
  }

  /** Whether the feed is asked agency by agency. */
  private get byAgency(): boolean {
    return (this.opts.feed.agencies?.length ?? 0) > 0;
  }

  /** The interval for the agencies polled now (at least one): the budget split among them. */
  private interval(): number {
    const pacing = this.opts.pacing;
    if (!this.byAgency || !pacing) return this.opts.intervalMs;
    return planPacing(pacing.configuredIntervalMs, pacing.budgetPerHour, Math.max(1, polledAgencies(this.gates).length)).intervalMs;
  }

  /** When `key`'s data was last asked for, or null when it never was (as far as this instance knows). */
  private lastPollOf(key: string): number | null {
    const snapshot = this.opts.store.snapshot;
    // The snapshot may come from another instance's poll: keep the deployment's cadence.
    if (!this.byAgency) return Math.max(this.status.lastSuccessAt ?? 0, snapshot?.generatedAt ?? 0) || null;
    const own = this.lastPolled.get(key);
    if (own !== undefined) return own;
    const prefix = this.keys.length > 1 ? `${key}:` : '';
    return snapshot?.vehicles.some((v) => v.id.startsWith(prefix)) ? snapshot.generatedAt : null;
  }

  /** (Re)plans the next poll: one interval after the stalest polled agency was last asked for, not before `notBefore`. */
  private reschedule(now: number): void {
    if (this.inFlight) return; // its end plans the next one
    const interval = this.interval();
    let due = Infinity;
    for (const key of polledAgencies(this.gates)) {
      const last = this.lastPollOf(key);
      due = Math.min(due, last === null ? now : last + interval);
    }
    this.schedulePoll(Math.max(0, Math.max(due, this.status.notBefore ?? 0) - now));
  }

  private stopPolling(): void {
    clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
  }

  private schedulePoll(delayMs: number): void {
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => void this.poll(), delayMs);
    this.pollTimer.unref();
  }

  private mayPoll(): boolean {
    return !this.inFlight && !this.stopped && this.enabled && this.polling();
  }

  private async poll(): Promise<void> {
    this.pollTimer = undefined;
    if (!this.mayPoll()) return;
    const abort = new AbortController();
    this.inFlight = abort;
    const agencies = this.byAgency ? polledAgencies(this.gates) : undefined;
    const cost = agencies ? agencies.length : (this.opts.feed.callsPerFetch ?? 1);
    let nextAt = this.now() + this.interval();
    try {
      const deferredUntil = await this.reserve(cost);
      if (deferredUntil !== null) {
        nextAt = deferredUntil;
        return;
      }
      if (abort.signal.aborted || !this.enabled || !this.polling()) return;
      nextAt = await this.call(abort.signal, cost, agencies);
    } finally {
      this.inFlight = undefined;
      this.status.notBefore = nextAt > this.now() + this.interval() ? nextAt : null;
      this.publishStatus();
      if (this.mayPoll() && !this.pollTimer) this.schedulePoll(Math.max(0, nextAt - this.now()));
    }
  }

  /** Reserves this poll's calls in the budget: `null` when granted, else when to try again. */
  private async reserve(cost: number): Promise<number | null> {
    const window = this.opts.budget;
    if (!window) return null;
    const now = this.now();
    try {
      const admission = await window.take(cost, now);
      if (this.status.budget) this.status.budget.callsInWindow = admission.used;
      if (admission.granted) return null;
      if (this.status.budget) this.status.budget.deferrals += 1;
      this.opts.onDeferred?.(admission.retryAt);
      return admission.retryAt;
    } catch (error) {
      // Fail closed: without the shared count, a call could overspend the deployment's key.
      if (this.status.budget) this.status.budget.deferrals += 1;
      this.opts.onDeferred?.(now + this.interval(), error as Error);
      return now + this.interval();
    }
  }

  /** One upstream call (traced) for `agencies` (every one when unset); resolves with when the next one may start. */
  private async call(signal: AbortSignal, cost: number, agencies: readonly string[] | undefined): Promise<number> {
    const started = this.now();
    this.status.calls += cost;
    for (const a of agencies ?? []) this.lastPolled.set(a, started);
    let failure: FeedError | Error | null = null;
    // Failures are recorded inside the (traced) call, so their log line carries the trace id.
    const run = async () => {
      try {
        return await this.fetchAndStore(signal, started, agencies);
      } catch (error) {
        failure = error as Error;
        this.recordFailure(failure, started);
        throw error;
      }
    };
    try {
      await (this.opts.trace ? this.opts.trace(run) : run());
    } catch {
      // recorded above
    }
    const f = failure as FeedError | Error | null;
    return nextCallAt(this.interval(), {
      started,
      ended: this.now(),
      failure: f instanceof FeedError ? f.failure : f ? 'unknown' : null,
      retryAfterMs: f instanceof FeedError ? f.retryAfterMs : undefined,
      consecutiveFailures: this.status.consecutiveFailures,
    });
  }

  private async fetchAndStore(signal: AbortSignal, started: number, agencies: readonly string[] | undefined): Promise<number> {
    const result = await this.opts.feed.fetch(signal, agencies);
    const at = this.now();
    const update = this.opts.store.apply(result.vehicles, at);
    this.status.state = 'ok';
    this.status.lastSuccessAt = at;
    this.status.consecutiveFailures = 0;
    this.opts.onPoll?.({ outcome: 'ok', durationMs: at - started, vehicles: result.vehicles.length, calls: result.calls ?? 1, streak: this.countStreak('ok') });
    if (update) this.opts.onUpdate(update);
    return result.vehicles.length;
  }

  private recordFailure(error: Error, started: number): void {
    const failure = error instanceof FeedError ? error.failure : 'unknown';
    const at = this.now();
    this.status.state = failure === 'unauthorized' || failure === 'rate_limited' ? failure : 'failing';
    this.status.consecutiveFailures += 1;
    this.status.lastError = { failure, message: error.message, at };
    this.opts.onPoll?.({ outcome: failure, durationMs: at - started, vehicles: 0, calls: 1, streak: this.countStreak(failure), error });
  }

  private countStreak(outcome: PollOutcome['outcome']): number {
    this.streak = outcome === this.lastOutcome ? this.streak + 1 : 1;
    this.lastOutcome = outcome;
    return this.streak;
  }

  /** The watched agencies and what they cost per poll, for `/readyz` (agency feeds). */
  private refreshAgencyStatus(): void {
    if (!this.byAgency) return;
    const polled = polledAgencies(this.gates);
    this.status.watchedAgencies = polled;
    if (this.status.budget) {
      this.status.budget.callsPerPoll = Math.max(1, polled.length);
      this.status.budget.effectiveIntervalMs = this.interval();
    }
  }

  private publishStatus(): void {
    this.status.polling = this.polling();
    this.refreshAgencyStatus();
    this.opts.onStatus?.(this.feedStatus);
  }
}
