import { z } from 'zod';
import { pickAgency } from '../protocol/agency.js';
import { AGENCY_PATTERN, AGENCY_RULE, MAX_SUBSCRIBED_ROUTES, ROUTE_ID_PATTERN, ROUTE_ID_RULE } from '../protocol/wire.js';

export type { SubscribeAck } from '../protocol/wire.js';
export { MAX_SUBSCRIBED_ROUTES } from '../protocol/wire.js';

/**
 * `subscribe` payload: `{ routes: string[], agency?: string }`; an empty list means every
 * route; `agency` picks one of the server's agencies (`GET /api/config` lists them), default
 * the first.
 */
export const subscribeSchema = z.object(
  {
    routes: z
      .array(
        z
          .string({ error: 'each route id must be a string' })
          .regex(ROUTE_ID_PATTERN, { error: `route ids are ${ROUTE_ID_RULE}` }),
        { error: 'routes must be an array of route ids' },
      )
      .max(MAX_SUBSCRIBED_ROUTES, { error: `at most ${MAX_SUBSCRIBED_ROUTES} routes` }),
    agency: z
      .string({ error: 'agency must be a string' })
      .regex(AGENCY_PATTERN, { error: `agency ids are ${AGENCY_RULE}` })
      .optional(),
  },
  { error: 'payload must be an object { routes: string[], agency?: string }' },
);

/** A valid subscription: `agency` is set when the feed has agencies (the one asked for, else the first). */
export interface Subscription {
  routes: Set<string> | null;
  agency: string | null;
}

/**
 * Validates a `subscribe` payload against the server's `agencies` (none = one implicit
 * agency, where naming one is an error); never throws.
 */
export function parseSubscribe(payload: unknown, agencies: readonly string[] = []): Subscription | { error: string } {
  const r = subscribeSchema.safeParse(payload);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
    return { error: `${where}${issue.message}` };
  }
  const routes = r.data.routes.length === 0 ? null : new Set(r.data.routes);
  const agency = pickAgency(r.data.agency, agencies);
  return 'error' in agency ? { error: `agency: ${agency.error}` } : { routes, agency: agency.agency };
}
