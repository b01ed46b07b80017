import type { z } from 'zod';

/** A value read from Redis and checked against its schema, or why it was refused. */
export type Validated<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * Parses `raw` as JSON and checks it against `schema`; never throws. The problem names the
 * first offending field, for a log line that says what was wrong without echoing the input.
 */
export function parseValidatedJson<S extends z.ZodType>(schema: S, raw: string | null | undefined): Validated<z.output<S>> {
  if (!raw) return { ok: false, problem: 'empty' };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { ok: false, problem: 'not JSON' };
  }
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0]!;
  return { ok: false, problem: `${issue.path.join('.') || '(value)'}: ${issue.message}` };
}
