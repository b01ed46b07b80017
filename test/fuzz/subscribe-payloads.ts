import fc from 'fast-check';
import { acceptedSubscribe, type SioStep } from './sio-steps.js';

/**
 * `subscribe` arguments the gateway must refuse, as JSON text (so keys like `__proto__` reach
 * the server as own properties, the way JSON.parse makes them): wrong types, routes that are
 * not an array, bad route ids (empty, too long, unicode, not strings), more than
 * 100 routes (up to 40× as many, some frames over maxPayload), prototype-pollution
 * keys, and extra arguments. A generated value that happens to be valid is dropped.
 */
const json = (v: unknown) => JSON.stringify(v);
/** The gateway's MAX_SUBSCRIBED_ROUTES today; the oracle (parseSubscribe) judges every payload whatever it becomes. */
const MAX_ROUTES = 100;
const routeId = fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/);
const badRouteId = fc.oneof(
  fc.constant(''),
  fc.stringMatching(/^[A-Za-z0-9]{33,80}$/),
  fc.tuple(fc.stringMatching(/^[A-Za-z0-9]{0,5}$/), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3 }).filter((s) => !/^[A-Za-z0-9_.-]+$/.test(s))).map(([a, b]) => `${a}${b}`),
  fc.constantFrom(' 1', '1 ', 'a/b', 'N\u0000', '\u202e38', '🚌', 'ｎ', '１', 'é'),
);
const nonString = fc.jsonValue({ maxDepth: 2 }).filter((v) => typeof v !== 'string');
const anyBadItem = fc.oneof(badRouteId.map(json), nonString.map(json));

const routesArray = (items: fc.Arbitrary<string>, min: number, max: number) => fc.array(items, { minLength: min, maxLength: max }).map((a) => `[${a.join(',')}]`);
const mixed = fc.tuple(fc.array(routeId.map(json), { maxLength: 5 }), anyBadItem, fc.array(routeId.map(json), { maxLength: 5 })).map(([a, bad, b]) => `[${[...a, bad, ...b].join(',')}]`);

const POLLUTION = ['__proto__', 'constructor', 'prototype', '__defineGetter__', 'hasOwnProperty', 'toString', 'valueOf'];
const pollution = fc.tuple(fc.constantFrom(...POLLUTION), fc.oneof(fc.constant('{"routes":["1"]}'), fc.constant('{"prototype":{"routes":["1"]}}'), fc.jsonValue({ maxDepth: 2 }).map(json)), fc.option(fc.oneof(mixed, nonString.map(json)), { nil: undefined })).map(
  ([key, value, routes]) => `{${[`"${key}":${value}`, ...(routes ? [`"routes":${routes}`] : [])].join(',')}}`,
);

const payload: fc.Arbitrary<readonly [string, readonly string[]]> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).filter((v) => v === null || typeof v !== 'object' || Array.isArray(v)).map((v) => ['not an object', [json(v)]] as const),
  nonString.filter((v) => !Array.isArray(v)).map((v) => ['routes not an array', [`{"routes":${json(v)}}`]] as const),
  mixed.map((r) => ['a bad route id', [`{"routes":${r}}`]] as const),
  routesArray(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }).map(json), 1, 6).map((r) => ['unicode route ids', [`{"routes":${r}}`]] as const),
  fc.integer({ min: MAX_ROUTES + 1, max: MAX_ROUTES * 40 }).map((n) => ['more than 100 routes', [`{"routes":[${Array.from({ length: n }, (_, i) => `"r${i}"`).join(',')}]}`]] as const),
  pollution.map((p) => ['prototype-pollution keys', [p]] as const),
  fc.tuple(routesArray(routeId.map(json), 0, 3), fc.jsonValue({ maxDepth: 1 }).map(json)).map(([r, extra]) => ['an extra argument', [`{"routes":${r}}`, extra]] as const),
  fc.constant(['no argument', []] as const),
);

/** One session's worth: up to 8 refused subscribes (the per-socket burst is 10, so none is rate limited). */
export const subscribeBatches: fc.Arbitrary<SioStep[]> = fc.array(
  fc.tuple(fc.nat(10_000), payload.filter(([, args]) => !acceptedSubscribe(args))).map(([id, [family, args]]) => ({ kind: 'ack' as const, family, id: String(id), event: 'subscribe', args })),
  { minLength: 1, maxLength: 8 },
);
