/**
 * When a server has finished the work of connecting its clients: the window measures what
 * holding N clients costs, so it starts only once the server's CPU per second has stopped
 * falling. The same rule applies to the service and the reference; the connect work itself is
 * reported separately (core-seconds per 1,000 connects).
 */

/** Two consecutive one-second readings within this share (or 0.02 cores) of each other are steady. */
export const STEADY_SHARE = 0.15;
const STEADY_FLOOR_CORES = 0.02;

/** Whether the last two per-second server CPU readings (cores) show a steady load. */
export function isSteady(readings: readonly number[]): boolean {
  if (readings.length < 2) return false;
  const [a, b] = readings.slice(-2) as [number, number];
  return Math.abs(b - a) <= Math.max(STEADY_FLOOR_CORES, STEADY_SHARE * a);
}
