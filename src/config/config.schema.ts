import { z } from 'zod';

const int = (min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be ≥ ${min}` })
    .max(max, { error: `must be ≤ ${max}` });

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const list = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0),
);

const TRANSPORTS = ['polling', 'websocket'] as const;

/**
 * Every setting of the service, read from the environment once (see `config.ts`).
 * Each key is the environment variable's name; defaults are listed in the README.
 */
export const envSchema = z
  .object({
    /** Public HTTP + Socket.IO port. `0` picks a free one (tests). @default 8080 */
    PORT: int(0, 65535).default(8080),
    /** Address the public port binds to. @default "0.0.0.0" */
    HOST: z.string().min(1).default('0.0.0.0'),
    /** Upstream implementation: the built-in simulator, any GTFS-RT URL, or 511.org's transit API. @default "simulator" */
    FEED: z.enum(['simulator', 'gtfs-rt', '511'], { error: 'must be simulator, gtfs-rt or 511' }).default('simulator'),
    /** GTFS-Realtime VehiclePositions URL; required when FEED=gtfs-rt. */
    FEED_URL: z.url({ error: 'must be an http(s) URL' }).optional(),
    /** 511.org API token (a secret: sent only as the `api_key` query parameter, never printed); required when FEED=511. */
    FEED_API_KEY: z.string().regex(/^[\x21-\x7e]{1,256}$/, { error: 'must be 1–256 printable characters without spaces' }).optional(),
    /** 511.org operator ids polled when FEED=511, comma-separated (`SF` = SF Muni). @default "SF" */
    FEED_AGENCIES: list
      .pipe(z.array(z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, { error: 'each must be an operator id like SF or AC' })).min(1, { error: 'needs at least one agency' }))
      .default(['SF']),
    /** 511.org transit API base URL (tests point it at a local fake). @default "https://api.511.org/transit" */
    FEED_BASE_URL: z.url({ error: 'must be an http(s) URL' }).default('https://api.511.org/transit'),
    /** 511.org endpoint: `siri` (VehicleMonitoring JSON, with headsigns) or `gtfs-rt` (vehiclepositions protobuf). @default "siri" */
    FEED_FORMAT: z.enum(['siri', 'gtfs-rt'], { error: 'must be siri or gtfs-rt' }).default('siri'),
    /**
     * Upstream calls allowed in any rolling hour, enforced (not just alerted); 0 = unlimited.
     * Shared by the deployment through REDIS_URL. @default 60 for FEED=511 (and a FEED_URL on api.511.org), else unlimited
     */
    UPSTREAM_BUDGET_PER_HOUR: int(0, 10_000_000).optional(),
    /**
     * Without REDIS_URL: how many machines poll on their own; each spends UPSTREAM_BUDGET_PER_HOUR ÷ this.
     * Required when FLY_MACHINE_ID is set, REDIS_URL is not and there is a budget. @default 1 (ignored with REDIS_URL)
     */
    UPSTREAM_BUDGET_MACHINES: int(1, 10_000).optional(),
    /** Timeout of one upstream request. @default 10000 */
    FEED_TIMEOUT_MS: int(100, 120_000).default(10_000),
    /** Largest upstream response body read; a larger one is refused while streaming (outcome malformed). @default 16777216 (16 MiB) */
    FEED_MAX_BYTES: int(1024, 1_073_741_824).default(16 * 1024 * 1024),
    /** Seed of the simulated feed (same seed, same vehicles). @default 1 */
    SIMULATOR_SEED: int(0, 2 ** 31 - 1).default(1),
    /** Number of simulated vehicles. @default 300 */
    SIMULATOR_VEHICLES: int(1, 20_000).default(300),
    /** Upstream poll interval while someone watches. @default 15000 */
    POLL_INTERVAL_MS: int(50, 3_600_000).default(15_000),
    /** Polling continues this long after the last viewer leaves (absorbs reloads). @default 30000 */
    DEMAND_GRACE_MS: int(0, 3_600_000).default(30_000),
    /** The map's HTTP fallback refresh interval; a fallback hit counts as demand for 2× this. @default 30000 */
    FALLBACK_INTERVAL_MS: int(100, 3_600_000).default(30_000),
    /** Daily upstream call budget, for alerts and the dashboard (511.org: 60/h = 1440/day). @default 1440 */
    UPSTREAM_DAILY_BUDGET: int(1, 10_000_000).default(1440),
    /** Browser origins allowed for CORS and Socket.IO, comma-separated; `*` only if set so. @default "" (same origin only) */
    CORS_ORIGINS: list.default([]),
    /** Redis shared by the instances of one deployment: one poller, demand summed over all. Unset = single instance. */
    REDIS_URL: z.url({ error: 'must be a redis:// URL' }).optional(),
    /** Key prefix in Redis, so deployments can share one. @default "transit" */
    REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]{1,64}$/, { error: 'must be 1–64 characters of A–Z a–z 0–9 : _ -' }).default('transit'),
    /** This instance's name in Redis. @default Fly's FLY_MACHINE_ID, else hostname-pid */
    INSTANCE_ID: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, { error: 'must be 1–128 characters of A–Z a–z 0–9 . _ -' }).optional(),
    FLY_MACHINE_ID: z.string().optional(),
    /** Worker processes (gunicorn's `--workers`). @default 2 */
    WEB_CONCURRENCY: int(1, 64).default(2),
    // --- Worker recycling (README "Worker recycling"): counted in sessions and memory, never in requests.
    /** Recycle a worker after this many new sessions (successful Engine.IO handshakes); 0 = never. @default 0 */
    MAX_SESSIONS_PER_WORKER: int(0, 100_000_000).optional(),
    /** Add up to this many sessions at random to MAX_SESSIONS_PER_WORKER per worker. @default 0 */
    MAX_SESSIONS_JITTER: int(0, 100_000_000).optional(),
    /** gunicorn's name for MAX_SESSIONS_PER_WORKER (same meaning here: sessions, not requests). */
    MAX_REQUESTS: int(0, 100_000_000).optional(),
    /** gunicorn's name for MAX_SESSIONS_JITTER. */
    MAX_REQUESTS_JITTER: int(0, 100_000_000).optional(),
    /** Recycle a worker whose resident memory stays above this many MiB (3 heartbeats in a row); 0 = never. @default 0 */
    MAX_WORKER_RSS_MB: int(0, 1_048_576).refine((v) => v === 0 || v >= 64, { error: 'must be 0 (off) or ≥ 64 (a worker needs more than that to boot)' }).default(0),
    /** A worker is not recycled before it has been ready this long (a crash still replaces it at once). @default 60000 */
    MIN_WORKER_LIFETIME_MS: int(0, 86_400_000).default(60_000),
    /** A recycled worker closes its sessions in even batches over this window, so their reconnects do not arrive at once. @default 10000 */
    DRAIN_WINDOW_MS: int(0, 600_000).default(10_000),
    /** Replace a worker whose heartbeat is silent this long. @default 30000 */
    WORKER_TIMEOUT_MS: int(500, 3_600_000).default(30_000),
    /** Time SIGTERM gives workers to drain before they are killed. @default 30000 */
    GRACEFUL_TIMEOUT_MS: int(100, 3_600_000).default(30_000),
    /** Route each session's requests to the worker that owns it. @default true */
    STICKY: bool.default(true),
    /** Allow >1 worker with polling and no stickiness (only to reproduce the bug). @default false */
    ALLOW_UNSAFE_TOPOLOGY: bool.default(false),
    /** Engine.IO pingInterval. @default 25000 */
    PING_INTERVAL_MS: int(100, 600_000).default(25_000),
    /** Engine.IO pingTimeout. @default 20000 */
    PING_TIMEOUT_MS: int(100, 600_000).default(20_000),
    /**
     * Engine.IO maxHttpBufferSize (the handshake's maxPayload): the largest polling POST body and
     * websocket frame a client may send. Our largest legitimate packet is a 100-route `subscribe`
     * (3,533 bytes); clients split batches at maxPayload. @default 16384
     */
    MAX_HTTP_BUFFER_SIZE: int(1024, 100_000_000).default(16_384),
    /** Socket.IO connectTimeout: a session that opened but sent no CONNECT is closed after this. @default 10000 */
    CONNECT_TIMEOUT_MS: int(500, 600_000).default(10_000),
    /** Connections open on the public port at once (all workers); over it new ones get 503. 0 = no cap. @default 10000 */
    MAX_CONNECTIONS: int(0, 10_000_000).default(10_000),
    /** Connections open from one client address; 0 = no cap (set 0 behind a proxy, where every peer is the proxy). @default 1000 */
    MAX_CONNECTIONS_PER_IP: int(0, 10_000_000).default(1000),
    // --- Hostile-input limits (README "Limits"): per address, per consumer, and where the address comes from.
    /**
     * The public port sits behind one trusted proxy (Fly's): a request's client address is its
     * `Fly-Client-IP` header, and `X-Forwarded-Proto: https` means TLS (HSTS is sent). Never set
     * it where clients reach the port directly: they could name any address. @default false
     */
    TRUST_PROXY: bool.default(false),
    /** Socket.IO handshakes one client address may make per minute (all workers together); over it 429. 0 = no limit. @default 300 */
    HANDSHAKES_PER_MINUTE_PER_IP: int(0, 10_000_000).default(300),
    /** `/api/vehicles` requests one client address may make per minute (all workers together); over it 429. 0 = no limit. @default 300 */
    API_REQUESTS_PER_MINUTE_PER_IP: int(0, 10_000_000).default(300),
    /** Output buffered for one client (Engine.IO write buffer + websocket bufferedAmount) before it is disconnected. 0 = no cap. @default 1048576 */
    MAX_CLIENT_BUFFER_BYTES: int(0, 1_073_741_824).refine((v) => v === 0 || v >= 65_536, { error: 'must be 0 (no cap) or ≥ 65536 (a whole snapshot must fit)' }).default(1_048_576),
    /** Mount `POST /_diag/sha256` (byte-integrity probe for tests and the pre-deploy harness). @default false */
    DIAGNOSTIC_ROUTES: bool.default(false),
    /** Allowed transports, comma-separated. @default "polling,websocket" */
    TRANSPORTS: list
      .pipe(z.array(z.enum(TRANSPORTS, { error: 'each must be polling or websocket' })).min(1, { error: 'needs at least one transport' }))
      .default(['polling', 'websocket']),
    /** Prometheus scrape port (primary process). @default 9091 */
    METRICS_PORT: int(0, 65535).default(9091),
    /** Address the metrics port binds to; loopback unless set. @default "127.0.0.1" */
    METRICS_HOST: z.string().min(1).default('127.0.0.1'),
    /** pino level. @default "info" */
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** `json` (production) or `pretty` (terminal). @default "pretty" on a terminal, else "json" */
    LOG_FORMAT: z.enum(['json', 'pretty'], { error: 'must be json or pretty' }).optional(),
    /** OTLP/HTTP endpoint; tracing is off when unset. */
    OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ error: 'must be an http(s) URL' }).optional(),
    /** service.name of traces. @default "transit-tracker" */
    OTEL_SERVICE_NAME: z.string().min(1).default('transit-tracker'),
    /** Map tile URL template for the browser map; empty = no tiles. @default OpenStreetMap */
    TILE_URL: z.string().default('https://tile.openstreetmap.org/{z}/{x}/{y}.png'),
    /** Attribution HTML shown with the tiles. @default OpenStreetMap's */
    TILE_ATTRIBUTION: z.string().default('&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'),
  })
  .superRefine((c, ctx) => {
    if (c.FEED === 'gtfs-rt' && !c.FEED_URL) {
      ctx.addIssue({ code: 'custom', path: ['FEED_URL'], message: 'is required when FEED=gtfs-rt' });
    }
    if (c.FEED === '511' && !c.FEED_API_KEY) {
      ctx.addIssue({ code: 'custom', path: ['FEED_API_KEY'], message: 'is required when FEED=511 (a free token from https://511.org/open-data/token)' });
    }
    if (c.PING_TIMEOUT_MS >= c.PING_INTERVAL_MS * 10) {
      ctx.addIssue({ code: 'custom', path: ['PING_TIMEOUT_MS'], message: 'must be < 10 × PING_INTERVAL_MS' });
    }
    if (c.METRICS_PORT !== 0 && c.METRICS_PORT === c.PORT) {
      ctx.addIssue({ code: 'custom', path: ['METRICS_PORT'], message: 'must differ from PORT' });
    }
  });

export type Env = z.infer<typeof envSchema>;
