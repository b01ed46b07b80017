import { hasDemand, type Demand } from '../demand/demand.js';
import { isPolling, stepGate, type GateState } from '../demand/demand-gate.js';
import { FeedError, type Feed } from '../feed/feed.js';
import type { StoreUpdate, VehicleStore } from '../store/vehicle-store.js';
import { nextCallAt } from './backoff.js';
import type { CallWindow, Pacing } from './call-budget.js';
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
  /** Time between polls: POLL_INTERVAL_MS, or the longer interval the budget requires (see `planPacing`). */
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
 */
export class PollController {
  private gate: GateState = { kind: 'idle' };
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
  }

  /** A copy of the current feed status. */
  get feedStatus(): FeedStatus {
    return { ...this.status, budget: this.status.budget && { ...this.status.budget } };
  }

  /** Re-reads demand and opens or closes the gate; call whenever a viewer report changes. */
  demandChanged(): void {
    if (this.stopped || !this.enabled) return;
    const now = this.now();
    const demand = this.opts.demand();
    const step = stepGate(this.gate, hasDemand(demand), now, this.opts.graceMs);
    const wasPolling = isPolling(this.gate);
    this.gate = step.state;
    this.scheduleWake(demand, now);
    if (step.opened) this.startPolling(now);
    if (step.closed) this.stopPolling();
    if (wasPolling !== isPolling(this.gate)) this.publishStatus();
  }

  /**
   * Another instance holds the deployment's poller lease (false), or this one does (true).
   * Disabling stops at once — no grace period, which would poll twice with the new leader.
   */
  setEnabled(enabled: boolean): void {
    if (enabled === this.enabled) return;
    this.enabled = enabled;
    if (enabled) return this.demandChanged();
    this.gate = { kind: 'idle' };
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
    const deadlines: number[] = [];
    if (this.gate.kind === 'grace') deadlines.push(this.gate.until);
    if (demand.fallback && demand.fallbackUntil) deadlines.push(demand.fallbackUntil);
    if (deadlines.length === 0) return;
    const at = Math.min(...deadlines);
    this.wakeTimer = setTimeout(() => this.demandChanged(), Math.max(0, at - now) + 1);
    this.wakeTimer.unref();
  }

  private startPolling(now: number): void {
    // The snapshot may come from another instance's poll: keep the deployment's cadence.
    const last = Math.max(this.status.lastSuccessAt ?? 0, this.opts.store.snapshot?.generatedAt ?? 0) || null;
    const due = Math.max(last === null ? now : last + this.opts.intervalMs, this.status.notBefore ?? 0);
    this.schedulePoll(Math.max(0, due - now));
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
    return !this.inFlight && !this.stopped && this.enabled && isPolling(this.gate);
  }

  private async poll(): Promise<void> {
    this.pollTimer = undefined;
    if (!this.mayPoll()) return;
    const abort = new AbortController();
    this.inFlight = abort;
    let nextAt = this.now() + this.opts.intervalMs;
    try {
      const deferredUntil = await this.reserve();
      if (deferredUntil !== null) {
        nextAt = deferredUntil;
        return;
      }
      if (abort.signal.aborted || !this.enabled || !isPolling(this.gate)) return;
      nextAt = await this.call(abort.signal);
    } finally {
      this.inFlight = undefined;
      this.status.notBefore = nextAt > this.now() + this.opts.intervalMs ? nextAt : null;
      this.publishStatus();
      if (this.mayPoll() && !this.pollTimer) this.schedulePoll(Math.max(0, nextAt - this.now()));
    }
  }

  /** Reserves this poll's calls in the budget: `null` when granted, else when to try again. */
  private async reserve(): Promise<number | null> {
    const window = this.opts.budget;
    if (!window) return null;
    const now = this.now();
    try {
      const admission = await window.take(this.opts.feed.callsPerFetch ?? 1, now);
      if (this.status.budget) this.status.budget.callsInWindow = admission.used;
      if (admission.granted) return null;
      if (this.status.budget) this.status.budget.deferrals += 1;
      this.opts.onDeferred?.(admission.retryAt);
      return admission.retryAt;
    } catch (error) {
      // Fail closed: without the shared count, a call could overspend the deployment's key.
      if (this.status.budget) this.status.budget.deferrals += 1;
      this.opts.onDeferred?.(now + this.opts.intervalMs, error as Error);
      return now + this.opts.intervalMs;
    }
  }

  /** One upstream call (traced); resolves with when the next one may start. */
  private async call(signal: AbortSignal): Promise<number> {
    const started = this.now();
    this.status.calls += this.opts.feed.callsPerFetch ?? 1;
    let failure: FeedError | Error | null = null;
    // Failures are recorded inside the (traced) call, so their log line carries the trace id.
    const run = async () => {
      try {
        return await this.fetchAndStore(signal, started);
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
    return nextCallAt(this.opts.intervalMs, {
      started,
      ended: this.now(),
      failure: f instanceof FeedError ? f.failure : f ? 'unknown' : null,
      retryAfterMs: f instanceof FeedError ? f.retryAfterMs : undefined,
      consecutiveFailures: this.status.consecutiveFailures,
    });
  }

  private async fetchAndStore(signal: AbortSignal, started: number): Promise<number> {
    const result = await this.opts.feed.fetch(signal);
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

  private publishStatus(): void {
    this.status.polling = isPolling(this.gate);
    this.opts.onStatus?.(this.feedStatus);
  }
}
