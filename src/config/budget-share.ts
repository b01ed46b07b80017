/** The settings that decide how much of the upstream budget one machine may spend. */
export interface BudgetShareSettings {
  REDIS_URL?: string;
  FLY_MACHINE_ID?: string;
  UPSTREAM_BUDGET_MACHINES?: number;
}

/**
 * The hourly budget this machine may spend. With REDIS_URL the whole budget is one count for
 * the deployment (in Redis), so every machine gets all of it. Without Redis, machines cannot
 * see each other's calls: each gets budget ÷ UPSTREAM_BUDGET_MACHINES, and on a platform that
 * names its machines (Fly, two by default) leaving that unset is refused rather than guessed,
 * because a guess that is too low multiplies the calls against the key. Returns the share, or
 * the problem to refuse startup with.
 */
export function budgetShare(total: number | null, c: BudgetShareSettings): { share: number | null } | { problem: string } {
  if (total === null || c.REDIS_URL) return { share: total };
  const machines = c.UPSTREAM_BUDGET_MACHINES;
  if (machines === undefined) {
    if (!c.FLY_MACHINE_ID) return { share: total };
    return {
      problem:
        `UPSTREAM_BUDGET_MACHINES=(unset): FLY_MACHINE_ID is set and REDIS_URL is not, so each machine would poll on its own ` +
        `and spend the whole upstream budget (${total}/h) again. Set REDIS_URL (e.g. \`fly redis create\`) to share one poller ` +
        `and one count, or set UPSTREAM_BUDGET_MACHINES to the number of machines (\`fly scale count\`; 1 for one machine) ` +
        `so each takes its share.`,
    };
  }
  const share = Math.floor(total / machines);
  if (share < 1) return { problem: `UPSTREAM_BUDGET_MACHINES=${machines}: more machines than upstream calls per hour (${total}); nothing left for each` };
  return { share };
}
