import { z } from 'zod';

/** Most routes one client may subscribe to at once. */
export const MAX_SUBSCRIBED_ROUTES = 100;

/** `subscribe` payload: `{ routes: string[] }`; an empty list means every route. */
export const subscribeSchema = z.object(
  {
    routes: z
      .array(
        z
          .string({ error: 'each route id must be a string' })
          .regex(/^[A-Za-z0-9_.-]{1,32}$/, { error: 'route ids are 1–32 characters of A–Z, a–z, 0–9, _ . -' }),
        { error: 'routes must be an array of route ids' },
      )
      .max(MAX_SUBSCRIBED_ROUTES, { error: `at most ${MAX_SUBSCRIBED_ROUTES} routes` }),
  },
  { error: 'payload must be an object { routes: string[] }' },
);

/** The ack of `subscribe`. */
export type SubscribeAck = { status: 'ok'; routes: string[] } | { status: 'error'; message: string };

/** Validates a `subscribe` payload; never throws. */
export function parseSubscribe(payload: unknown): { routes: Set<string> | null } | { error: string } {
  const r = subscribeSchema.safeParse(payload);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
    return { error: `${where}${issue.message}` };
  }
  return { routes: r.data.routes.length === 0 ? null : new Set(r.data.routes) };
}
