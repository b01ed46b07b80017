/**
 * mulberry32: a tiny, fast 32-bit PRNG. Not cryptographic — it only has to make the
 * simulated fleet reproducible from a seed, which `Math.random` cannot do.
 *
 * @returns a function yielding floats in [0, 1)
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Mixes integers into one well-spread unsigned 32-bit value (murmur3 finaliser per step).
 * Used to derive independent per-vehicle / per-time-window randomness without keeping
 * any state, so a vehicle's fate is a pure function of its inputs.
 */
export function hash32(...values: number[]): number {
  let h = 0x811c9dc5;
  for (const value of values) {
    h = Math.imul(h ^ (value | 0), 0x9e3779b1);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** {@link hash32} scaled to a float in [0, 1). */
export function hashUnit(...values: number[]): number {
  return hash32(...values) / 4294967296;
}
