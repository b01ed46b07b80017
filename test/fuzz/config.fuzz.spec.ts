import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recordFigure } from '../support/figures.js';
import { inParallel } from '../support/raw-http.js';
import { runExpectingExit } from '../support/topology.js';
import { badSettings, judgeConfigText, knownSettings, parseBadSetting, type BadSetting } from './config-values.js';
import { scaled, seedOf } from './knobs.js';
import { runCategory } from './run-inputs.js';
import { Tally } from './tally.js';

/**
 * Bad configuration values: the bulk through the config parser in-process (fast), a few
 * through the production command (`node dist/main.js`), which must exit 78 (EX_CONFIG) with
 * a message naming the variable, never a stack trace or a secret.
 */
describe('fuzz: configuration values', () => {
  const tally = new Tally();

  it(`refuses ${scaled(1_000)} generated bad values in the parser, each naming its variable`, async () => {
    await runCategory(tally, { name: 'config (parser)', arbitrary: badSettings, count: scaled(1_000), width: 1, run: async (s) => parseBadSetting(s) });
    expect(knownSettings().length).toBeGreaterThanOrEqual(40);
    expect(tally.failures).toEqual([]);
  });

  it(`the production command exits 78 with the variable named for ${scaled(8)} of them`, async () => {
    const picks = fc.sample(badSettings, { seed: seedOf('config (process)'), numRuns: scaled(8) });
    const codes: (number | null)[] = [];
    await inParallel(picks.length, 2, async (i) => {
      const s: BadSetting = picks[i]!;
      const { code, stderr } = await runExpectingExit({ [s.name]: s.value });
      codes.push(code);
      const why = code !== 78 ? `exit code ${code}, stderr: ${stderr.slice(0, 300)}` : judgeConfigText(s, stderr);
      tally.add('config (process)', why ? { failure: why } : { reason: 'exit 78, message names the variable' }, () => JSON.stringify(s), i, seedOf('config (process)'));
    });
    process.stdout.write(`\n${tally.table()}\n`);
    recordFigure('fuzz: config values', { inputs: tally.total(), byReason: tally.toJSON() });
    expect(tally.failures).toEqual([]);
    expect(codes.every((c) => c === 78)).toBe(true);
  });
});
