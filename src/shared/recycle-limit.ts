/**
 * A worker's budget of new sessions before it is recycled, like gunicorn's `--max-requests`
 * with `--max-requests-jitter`: `max + uniform(0..jitter)`, so workers started together do
 * not all recycle at once. 0 means never.
 */
export function recycleLimit(max: number, jitter: number, random: () => number = Math.random): number {
  if (max <= 0) return 0;
  return max + Math.floor(random() * (jitter + 1));
}
