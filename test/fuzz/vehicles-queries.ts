import querystring from 'node:querystring';
import fc from 'fast-check';
import { parseRoutesQuery } from '../../src/http/etag.js';
import { answered, request } from './request.js';
import type { Verdict } from './tally.js';

/**
 * `/api/vehicles` query strings the HTTP fallback must refuse with `400` and the message of
 * parseRoutesQuery: route ids with bad characters (raw, percent-encoded, unicode, broken
 * escapes), ids over 32 characters, `routes` given more than once. The oracle parses the
 * query as Express 5 does (its "simple" parser is node:querystring), so it sees the value the
 * controller sees.
 */
export interface VehiclesQuery {
  family: string;
  query: string;
}

/** Characters a request target may carry unescaped (llhttp refuses spaces and controls). */
const RAW = [...'abcXYZ019._-~!$\'()*+;:@/?%"<>[]\\^`{|}'];
const raw = fc.array(fc.constantFrom(...RAW), { minLength: 1, maxLength: 12 }).map((a) => a.join(''));
const id = fc.stringMatching(/^[A-Za-z0-9_.-]{1,10}$/);
const badValue: fc.Arbitrary<readonly [string, string]> = fc.oneof(
  raw.map((v) => ['raw punctuation', v] as const),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }).map((v) => ['unicode, percent-encoded', encodeURIComponent(v)] as const),
  fc.stringMatching(/^[A-Za-z0-9]{33,120}$/).map((v) => ['route id over 32 characters', v] as const),
  fc.constantFrom('%', '%2', '%zz', '%%', '%C3', '%ED%A0%80', '%00', '%0A', '%20', '+', '%2C%2C').map((v) => ['broken or odd escapes', v] as const),
  fc.tuple(fc.array(id, { maxLength: 3 }), fc.constantFrom('%20x', 'a%2Fb', '%3B', '*')).map(([ok, bad]) => ['a bad id among good ones', [...ok, bad].join(',')] as const),
);

export const vehiclesQueries: fc.Arbitrary<VehiclesQuery> = fc
  .oneof(
    badValue.map(([family, v]) => ({ family, query: `routes=${v}` })),
    fc.tuple(fc.array(fc.oneof(id, raw), { minLength: 2, maxLength: 5 })).map(([vs]) => ({ family: 'routes repeated', query: vs.map((v) => `routes=${v}`).join('&') })),
    fc.tuple(badValue, fc.array(fc.tuple(fc.stringMatching(/^[a-z]{1,6}$/), raw), { maxLength: 3 })).map(([[family, v], junk]) => ({ family: `${family}, with other parameters`, query: [`routes=${v}`, ...junk.map(([k, x]) => `${k}=${x}`)].join('&') })),
  )
  .filter((q) => 'error' in oracle(q.query));

/** What the controller answers for `query`: the routes it parses, or its error message. */
export function oracle(query: string): ReturnType<typeof parseRoutesQuery> {
  return parseRoutesQuery(querystring.parse(query).routes);
}

export async function runVehiclesQuery(port: number, q: VehiclesQuery): Promise<Verdict> {
  const o = await request(port, 'GET', `/api/vehicles?${q.query}`);
  const expected = (oracle(q.query) as { error: string }).error;
  const a = answered(o);
  if (!a) return { failure: `${q.family}: ${o === 'closed' ? 'closed without an answer' : 'no answer within 3 s'}` };
  let message: unknown;
  try {
    message = (JSON.parse(a.body) as { message?: unknown }).message;
  } catch {
    message = undefined;
  }
  if (a.status !== 400 || message !== expected) return { failure: `${q.family}: expected 400 ${JSON.stringify(expected)}, got ${a.status} ${a.body.slice(0, 160)}` };
  return { reason: `${q.family}: 400 ${expected.startsWith('routes must be given once') ? 'routes given more than once' : 'bad route id'}` };
}
