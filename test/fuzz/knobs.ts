/**
 * The fuzz suite's two knobs, read once: `FUZZ_SEED` (every category derives its own seed
 * from it, so a failure replays with the same value) and `FUZZ_SCALE` (multiplies every
 * category's input count; 1 = the CI run of ≥ 10,000 inputs).
 */
function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return n;
}

/** Base seed of the run; printed in every failure so it can be replayed. @default 20261203 */
export const FUZZ_SEED = Math.trunc(numberFromEnv('FUZZ_SEED', 20261203));

/** Multiplier of every category's count. @default 1 */
export const FUZZ_SCALE = numberFromEnv('FUZZ_SCALE', 1);

/** `base` inputs scaled by {@link FUZZ_SCALE}, at least 1. */
export function scaled(base: number): number {
  return Math.max(1, Math.round(base * FUZZ_SCALE));
}

/** The seed of one category: the base seed plus a fixed offset per category name. */
export function seedOf(category: string): number {
  let h = 0;
  for (const ch of category) h = (h * 31 + ch.charCodeAt(0)) | 0;
  return (FUZZ_SEED + h) | 0;
}
