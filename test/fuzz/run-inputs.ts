import fc from 'fast-check';
import { inParallel } from '../support/raw-http.js';
import { seedOf } from './knobs.js';
import type { Tally, Verdict } from './tally.js';

export interface Category<T> {
  /** Row name in the table; also names the seed. */
  name: string;
  arbitrary: fc.Arbitrary<T>;
  count: number;
  /** Inputs in flight at once. */
  width: number;
  /**
   * Sends one input and judges the answer; a throw is a failure too. An input may be a batch
   * of several malformed packets on one session, judged one by one (one verdict each).
   */
  run: (input: T) => Promise<Verdict | Verdict[]>;
  /** How a failing input is printed for replay. @default JSON */
  show?: (input: T) => string;
}

/**
 * Generates `count` inputs from the category's seed (fast-check's `sample`: the same seed
 * gives the same inputs) and runs them `width` at a time, recording every verdict. Inputs
 * are independent (each opens its own connections), so they can overlap; a failure is
 * reported with the seed and index that regenerate it.
 */
export async function runCategory<T>(tally: Tally, c: Category<T>): Promise<void> {
  const seed = seedOf(c.name);
  const inputs = fc.sample(c.arbitrary, { seed, numRuns: c.count });
  const show = c.show ?? ((x: T) => preview(JSON.stringify(x, (_k, v: unknown) => (Buffer.isBuffer(v) || v instanceof Uint8Array ? `<${(v as Uint8Array).byteLength} bytes: ${Buffer.from(v as Uint8Array).subarray(0, 64).toString('hex')}>` : v))));
  await inParallel(inputs.length, c.width, async (i) => {
    const input = inputs[i]!;
    let verdicts: Verdict[];
    try {
      const v = await c.run(input);
      verdicts = Array.isArray(v) ? v : [v];
    } catch (error) {
      verdicts = [{ failure: `threw: ${(error as Error).message}` }];
    }
    for (const v of verdicts) tally.add(c.name, v, () => show(input), i, seed);
  });
}

/** At most 300 characters of `s`. */
export function preview(s: string): string {
  return s.length > 300 ? `${s.slice(0, 300)}… (${s.length} chars)` : s;
}
