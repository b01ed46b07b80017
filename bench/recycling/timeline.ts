/**
 * Reads the recycles of a run back from the service's JSON log lines (primary and workers):
 * when each worker became ready, asked to be recycled, began its recycle, drained and exited,
 * and how many recycles ran at once. Pure: used by the recycling e2e test, the short soak and
 * `npm run bench:recycling`.
 */

export interface RecycleRecord {
  worker: number;
  trigger: string | null;
  readyAt: number | null;
  wantedAt: number | null;
  /** `worker_recycle`: the replacement is being started. */
  beganAt: number;
  /** `worker_drain`: the worker began closing its sessions (after its replacement was ready). */
  drainAt: number | null;
  exitAt: number | null;
  /** Sessions the worker held when its drain began. */
  sessions: number | null;
}

export interface Timeline {
  recycles: RecycleRecord[];
  /** Workers asking to be recycled (`worker_recycle_wanted`). */
  wanted: number;
  /** Most recycles in progress (began, not yet exited) at one moment. */
  maxConcurrent: number;
  /** Worker ids in the order they became ready. */
  ready: { worker: number; at: number }[];
}

type Line = Record<string, unknown>;

const at = (l: Line): number => (typeof l.time === 'string' ? Date.parse(l.time) : Number(l.time));
const isPrimary = (l: Line) => l.role === 'primary';

export function recycleTimeline(logs: readonly Line[]): Timeline {
  const ready = logs.filter((l) => isPrimary(l) && l.event === 'worker_ready').map((l) => ({ worker: l.worker as number, at: at(l) }));
  const first = (worker: number, pick: (l: Line) => boolean) => logs.find((l) => l.worker === worker && pick(l));
  const recycles = logs
    .filter((l) => isPrimary(l) && l.event === 'worker_recycle')
    .map((l): RecycleRecord => {
      const worker = l.worker as number;
      const wanted = first(worker, (x) => isPrimary(x) && x.event === 'worker_recycle_wanted');
      const drain = first(worker, (x) => x.role === 'worker' && x.event === 'worker_drain');
      const exit = first(worker, (x) => isPrimary(x) && x.event === 'worker_exit');
      return {
        worker,
        trigger: (l.trigger as string | undefined) ?? null,
        readyAt: ready.find((r) => r.worker === worker)?.at ?? null,
        wantedAt: wanted ? at(wanted) : null,
        beganAt: at(l),
        drainAt: drain ? at(drain) : null,
        exitAt: exit ? at(exit) : null,
        sessions: drain ? (drain.sessions as number) : null,
      };
    });
  return {
    recycles,
    wanted: logs.filter((l) => isPrimary(l) && l.event === 'worker_recycle_wanted').length,
    maxConcurrent: maxOverlap(recycles.map((r) => [r.beganAt, r.exitAt ?? Infinity] as const)),
    ready,
  };
}

/** The most intervals `[from, to)` that overlap at one moment. */
export function maxOverlap(intervals: readonly (readonly [number, number])[]): number {
  const edges = intervals.flatMap(([from, to]) => [[from, 1] as const, [to, -1] as const]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let most = 0;
  for (const [, d] of edges) {
    open += d;
    most = Math.max(most, open);
  }
  return most;
}
