import fc from 'fast-check';
import { ConfigError, parseConfig } from '../../src/config/config.js';
import { envSchema } from '../../src/config/config.schema.js';
import type { Verdict } from './tally.js';

/** The kinds of setting whose bad values the fuzz knows how to make, by variable. */
type Kind = 'int' | 'bool' | 'enum' | 'url' | 'pattern' | 'list' | 'floor';

export const SETTING_KINDS: Readonly<Record<string, Kind>> = {
  PORT: 'int', METRICS_PORT: 'int', UPSTREAM_BUDGET_PER_HOUR: 'int', FEED_TIMEOUT_MS: 'int', FEED_MAX_BYTES: 'int',
  SIMULATOR_SEED: 'int', SIMULATOR_VEHICLES: 'int', POLL_INTERVAL_MS: 'int', DEMAND_GRACE_MS: 'int', FALLBACK_INTERVAL_MS: 'int',
  UPSTREAM_DAILY_BUDGET: 'int', WEB_CONCURRENCY: 'int', MAX_REQUESTS: 'int', MAX_REQUESTS_JITTER: 'int', WORKER_TIMEOUT_MS: 'int',
  GRACEFUL_TIMEOUT_MS: 'int', PING_INTERVAL_MS: 'int', PING_TIMEOUT_MS: 'int', MAX_HTTP_BUFFER_SIZE: 'int', CONNECT_TIMEOUT_MS: 'int',
  MAX_CONNECTIONS: 'int', MAX_CONNECTIONS_PER_IP: 'int', HANDSHAKES_PER_MINUTE_PER_IP: 'int', API_REQUESTS_PER_MINUTE_PER_IP: 'int',
  UPSTREAM_BUDGET_MACHINES: 'int', MAX_SESSIONS_PER_WORKER: 'int', MAX_SESSIONS_JITTER: 'int', MIN_WORKER_LIFETIME_MS: 'int', DRAIN_WINDOW_MS: 'int',
  MAX_WORKER_RSS_MB: 'floor', MAX_CLIENT_BUFFER_BYTES: 'floor',
  STICKY: 'bool', ALLOW_UNSAFE_TOPOLOGY: 'bool', DIAGNOSTIC_ROUTES: 'bool', TRUST_PROXY: 'bool',
  FEED: 'enum', FEED_FORMAT: 'enum', LOG_LEVEL: 'enum', LOG_FORMAT: 'enum',
  FEED_URL: 'url', FEED_BASE_URL: 'url', REDIS_URL: 'url', OTEL_EXPORTER_OTLP_ENDPOINT: 'url',
  FEED_API_KEY: 'pattern', REDIS_PREFIX: 'pattern', INSTANCE_ID: 'pattern',
  TRANSPORTS: 'list', FEED_AGENCIES: 'list',
};

/** A password or token inside a generated value: no config error may print it. */
export const MARK = 'Sekr1tMark';

const noNul = (s: string) => s.replace(/\x00/g, '');
const word = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).map(noNul).filter((s) => s.trim() !== '');
const BAD: Record<Kind, fc.Arbitrary<string>> = {
  int: fc.oneof(
    fc.constantFrom('abc', 'ten', '12abc', '0x', '1 2', 'NaN', 'Infinity', '-Infinity', '١٢', '1_000', '1,000'),
    fc.tuple(fc.nat(1000), fc.integer({ min: 1, max: 999 })).map(([a, b]) => `${a}.${b}`),
    fc.integer({ min: 1, max: 2 ** 31 }).map((n) => `-${n}`),
    fc.integer({ min: 10, max: 60 }).map((n) => `1${'0'.repeat(n)}`),
    // Not hex, binary or octal literals, nor exponents: Number() reads those as numbers.
    fc.stringMatching(/^[0-9]{0,3}[a-zA-Z!#%&]{1,4}[0-9]{0,3}$/).filter((s) => !/^0[xbo][0-9a-f]+$/i.test(s) && !/^[0-9]*e[0-9]+$/i.test(s)),
  ),
  floor: fc.oneof(fc.integer({ min: 1, max: 63 }).map(String), fc.constantFrom('abc', '-1', '1.5')),
  bool: word.filter((s) => !['true', 'false', '1', '0', 'yes', 'no'].includes(s)),
  enum: word.filter((s) => !['simulator', 'gtfs-rt', '511', 'siri', 'fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent', 'json', 'pretty'].includes(s)),
  url: fc.oneof(
    word.filter((s) => !s.includes(':')),
    fc.tuple(fc.constantFrom('redis', 'http', 'https', 'rediss'), fc.integer({ min: 65536, max: 10 ** 9 })).map(([p, port]) => `${p}://user:${MARK}@host.example:${port}/0`),
    fc.constantFrom(`redis//default:${MARK}@redis.internal:6379`, `http//h.example/?api_key=${MARK}`, `https://h.example:99999/?token=${MARK}&x=1`, `redis://:${MARK}@[::1:6379`),
  ),
  // `§` stands for the secret part: the token itself in FEED_API_KEY, plain text elsewhere.
  pattern: fc.oneof(
    fc.tuple(fc.stringMatching(/^[A-Za-z0-9]{0,8}$/), fc.constantFrom(' ', '\t', 'é', '🚌', '\u202e', '\u00a0'), fc.stringMatching(/^[A-Za-z0-9]{0,8}$/)).map(([a, b, c]) => `${a}${b}§${c}`),
    fc.integer({ min: 257, max: 2000 }).map((n) => `§${'k'.repeat(n)}`),
  ),
  list: fc.oneof(fc.constantFrom(',', ' , ,'), fc.tuple(fc.constantFrom('polling', 'SF'), word.filter((s) => !/^(polling|websocket|[A-Za-z0-9_-]{1,32})$/.test(s.trim()) && !s.includes(','))).map(([a, b]) => `${a},${b}`)),
};

export interface BadSetting {
  name: string;
  kind: Kind;
  value: string;
}

/** Settings of {@link SETTING_KINDS} that the schema has (others may add or rename settings). */
export const knownSettings = (): [string, Kind][] => Object.entries(SETTING_KINDS).filter(([name]) => name in envSchema.shape);

export const badSettings: fc.Arbitrary<BadSetting> = fc
  .constantFrom(...knownSettings())
  .chain(([name, kind]) => BAD[kind].map((v) => ({ name, kind, value: v.replace('§', name === 'FEED_API_KEY' ? MARK : 'x') })));

/** What a printed config error must say about `s`, or why it does not. */
export function judgeConfigText(s: BadSetting, text: string): string | null {
  if (!text.startsWith('Invalid configuration:\n')) return `does not start with "Invalid configuration:": ${text.slice(0, 120)}`;
  // A list names its bad item: `TRANSPORTS.1=…`.
  if (!new RegExp(`\\n  - ${s.name}(\\.\\d+)?=`).test(text)) return `does not name ${s.name}: ${text.slice(0, 300)}`;
  if (/\n\s+at \S/.test(text)) return `prints a stack trace: ${text.slice(0, 300)}`;
  if (text.includes(MARK)) return `prints a secret: ${text.slice(0, 300)}`;
  return null;
}

/** Parses `{[name]: value}` in-process: it must throw a ConfigError that names the variable. */
export function parseBadSetting(s: BadSetting): Verdict {
  try {
    parseConfig({ [s.name]: s.value });
  } catch (error) {
    if (!(error instanceof ConfigError)) return { failure: `threw ${(error as Error).name}: ${(error as Error).message}` };
    const why = judgeConfigText(s, error.message);
    return why ? { failure: why } : { reason: `${s.kind}: ConfigError naming the variable` };
  }
  return { failure: `${s.name}=${JSON.stringify(s.value)} was accepted` };
}
