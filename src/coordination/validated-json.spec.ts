import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseValidatedJson } from './validated-json.js';

const lease = z.object({ holder: z.string(), until: z.number().int() });

describe('parseValidatedJson', () => {
  it('gives the parsed value when it matches the schema', () => {
    expect(parseValidatedJson(lease, '{"holder":"a","until":5}')).toEqual({ ok: true, value: { holder: 'a', until: 5 } });
  });

  it('refuses empty, non-JSON and off-schema values with the problem, never the input', () => {
    expect(parseValidatedJson(lease, null)).toEqual({ ok: false, problem: 'empty' });
    expect(parseValidatedJson(lease, '')).toEqual({ ok: false, problem: 'empty' });
    expect(parseValidatedJson(lease, '{"holder":')).toEqual({ ok: false, problem: 'not JSON' });
    const wrong = parseValidatedJson(lease, '{"holder":"secret-holder","until":"soon"}');
    expect(wrong.ok).toBe(false);
    expect(!wrong.ok && wrong.problem).toMatch(/^until: /);
    expect(JSON.stringify(wrong)).not.toContain('secret-holder');
  });

  it('names the value itself when the top level is wrong', () => {
    const top = parseValidatedJson(lease, '42');
    expect(!top.ok && top.problem).toMatch(/^\(value\): /);
  });
});
