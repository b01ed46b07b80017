import { MemoryCallWindow, planPacing, type CallWindow, type Pacing } from './call-budget.js';
import { RedisCallWindow } from './redis-call-window.js';

/** The settings the budget is built from. */
export interface BudgetSettings {
  POLL_INTERVAL_MS: number;
  /** `null` = unlimited. */
  UPSTREAM_BUDGET_PER_HOUR: number | null;
  REDIS_URL?: string;
  REDIS_PREFIX: string;
}

/**
 * The poller's pacing and, when there is a budget, the window that enforces it: in Redis
 * with REDIS_URL (one count for the whole deployment, kept across restarts), else in memory.
 */
export function createBudget(settings: BudgetSettings, callsPerPoll: number, onRedisError?: (err: Error) => void): { pacing: Pacing; window: CallWindow | undefined } {
  const pacing = planPacing(settings.POLL_INTERVAL_MS, settings.UPSTREAM_BUDGET_PER_HOUR, callsPerPoll);
  const limit = settings.UPSTREAM_BUDGET_PER_HOUR;
  if (limit === null) return { pacing, window: undefined };
  const window = settings.REDIS_URL
    ? new RedisCallWindow(limit, { url: settings.REDIS_URL, prefix: settings.REDIS_PREFIX, onError: onRedisError })
    : new MemoryCallWindow(limit);
  return { pacing, window };
}
