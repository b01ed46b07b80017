/**
 * Command-line options of the pre-deploy harness. Every flag has an environment variable
 * (PREDEPLOY_<NAME>, e.g. PREDEPLOY_DURATION=5m); a flag wins over its variable. Pure: no I/O.
 */

export interface TransportMix {
  /** Share of clients on long-polling only (browsers whose websocket is blocked). */
  polling: number;
  /** Share of clients with socket.io-client's default: polling first, then the websocket upgrade. */
  websocket: number;
}

export interface Options {
  durationMs: number;
  clients: number;
  mix: TransportMix;
  /** Page reloads per minute over the whole fleet (close a client, open a new one). */
  churnPerMin: number;
  proxy: 'none' | 'haproxy';
  /** HAProxy `timeout client` and `timeout server`. */
  proxyTimeoutMs: number;
  /** HAProxy `timeout tunnel` (websockets); defaults to proxyTimeoutMs. */
  proxyTunnelTimeoutMs: number;
  eio3Clients: number;
  /** Recycles the harness triggers by sending SIGUSR2 to the busiest worker (0 = none). */
  recycles: number;
  /** SIGKILL one worker mid-run. */
  kill: boolean;
  reconnectWithinMs: number;
  /** Natural recycles sooner than this after the worker became ready mean MAX_SESSIONS_PER_WORKER is too low. */
  minWorkerLifeMs: number;
  max400Rate: number;
  maxLatencyP95Ms: number;
  scrapeIntervalMs: number;
  jsonPath: string;
  htmlPath: string;
  help: boolean;
}

export const DEFAULTS: Options = {
  durationMs: 60_000,
  clients: 30,
  mix: { polling: 0.7, websocket: 0.3 },
  churnPerMin: 6,
  proxy: 'none',
  proxyTimeoutMs: 60_000,
  proxyTunnelTimeoutMs: 60_000,
  eio3Clients: 0,
  recycles: 2,
  kill: true,
  reconnectWithinMs: 5_000,
  minWorkerLifeMs: 60_000,
  max400Rate: 0.05,
  maxLatencyP95Ms: 1_000,
  scrapeIntervalMs: 2_000,
  jsonPath: 'artifacts/predeploy/summary.json',
  htmlPath: 'artifacts/predeploy/report.html',
  help: false,
};

export const USAGE = `Usage: npm run predeploy -- [options]   (or: node scripts/predeploy/main.ts [options])

Starts the production command (deploy/production.json, overridden by your environment) on
127.0.0.1, soaks it with real socket.io-client clients and prints PASS or FAIL with causes.

  --duration 60s            soak length (s, m, ms or a plain number of seconds)   PREDEPLOY_DURATION
  --clients 30              concurrent browser clients                             PREDEPLOY_CLIENTS
  --transport-mix polling=0.7,websocket=0.3                                        PREDEPLOY_TRANSPORT_MIX
  --churn 6                 page reloads per minute (whole fleet)                  PREDEPLOY_CHURN
  --proxy none|haproxy      put a real HAProxy in front                            PREDEPLOY_PROXY
  --proxy-timeout-ms 60000  HAProxy timeout client/server                          PREDEPLOY_PROXY_TIMEOUT_MS
  --proxy-tunnel-timeout-ms HAProxy timeout tunnel (default: --proxy-timeout-ms)   PREDEPLOY_PROXY_TUNNEL_TIMEOUT_MS
  --eio3-clients 0          old Engine.IO 3 clients (socket.io-client 2.x)         PREDEPLOY_EIO3_CLIENTS
  --recycles 2              worker recycles to trigger via SIGUSR2 (0: none)       PREDEPLOY_RECYCLES
  --no-kill                 do not SIGKILL a worker mid-run                        PREDEPLOY_KILL=false
  --reconnect-within-ms 5000  a lost session must be back within this              PREDEPLOY_RECONNECT_WITHIN_MS
  --min-worker-life 60s     natural recycles sooner than this fail                 PREDEPLOY_MIN_WORKER_LIFE
  --max-400-rate 0.05       polling 400 share that fails the run                   PREDEPLOY_MAX_400_RATE
  --max-latency-p95-ms 1000 update latency p95 that fails the run                  PREDEPLOY_MAX_LATENCY_P95_MS
  --scrape-interval-ms 2000 /metrics scrape interval                               PREDEPLOY_SCRAPE_INTERVAL_MS
  --json FILE               JSON summary (default ${DEFAULTS.jsonPath})            PREDEPLOY_JSON
  --html FILE               HTML report (default ${DEFAULTS.htmlPath})             PREDEPLOY_HTML

Exit code: 0 PASS, 1 FAIL, 2 usage or harness error.`;

export class UsageError extends Error {}

/** "60s", "5m", "1m30s", "1500ms", "90" (seconds) → milliseconds. */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(s))) {
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    total += Number(m[1]) * unit;
    end = re.lastIndex;
  }
  if (end !== s.length || end === 0) throw new UsageError(`not a duration: "${text}" (e.g. 45s, 5m, 1m30s)`);
  return Math.round(total);
}

export function parseMix(text: string): TransportMix {
  const mix: TransportMix = { polling: 0, websocket: 0 };
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [k, v] = part.split('=');
    if ((k !== 'polling' && k !== 'websocket') || v === undefined || !Number.isFinite(Number(v)) || Number(v) < 0) {
      throw new UsageError(`--transport-mix: "${part}" is not polling=<share> or websocket=<share>`);
    }
    mix[k] = Number(v);
  }
  const sum = mix.polling + mix.websocket;
  if (sum <= 0) throw new UsageError('--transport-mix: the shares add up to 0');
  return { polling: mix.polling / sum, websocket: mix.websocket / sum };
}

function int(name: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name}: "${text}" must be a whole number ≥ ${min}`);
  return n;
}

function num(name: string, text: string, min: number, max = Infinity): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name}: "${text}" must be a number in [${min}, ${max}]`);
  return n;
}

function bool(name: string, text: string): boolean {
  if (/^(1|true|yes|on)$/i.test(text)) return true;
  if (/^(0|false|no|off)$/i.test(text)) return false;
  throw new UsageError(`--${name}: "${text}" must be true or false`);
}

type Setter = (o: Options, v: string) => void;
const FLAGS: Record<string, Setter> = {
  duration: (o, v) => (o.durationMs = parseDuration(v)),
  clients: (o, v) => (o.clients = int('clients', v, 1)),
  'transport-mix': (o, v) => (o.mix = parseMix(v)),
  churn: (o, v) => (o.churnPerMin = num('churn', v, 0)),
  proxy: (o, v) => {
    if (v !== 'none' && v !== 'haproxy') throw new UsageError(`--proxy: "${v}" must be none or haproxy`);
    o.proxy = v;
  },
  'proxy-timeout-ms': (o, v) => (o.proxyTimeoutMs = int('proxy-timeout-ms', v, 1)),
  'proxy-tunnel-timeout-ms': (o, v) => (o.proxyTunnelTimeoutMs = int('proxy-tunnel-timeout-ms', v, 1)),
  'eio3-clients': (o, v) => (o.eio3Clients = int('eio3-clients', v, 0)),
  recycles: (o, v) => (o.recycles = int('recycles', v, 0)),
  kill: (o, v) => (o.kill = bool('kill', v)),
  'reconnect-within-ms': (o, v) => (o.reconnectWithinMs = int('reconnect-within-ms', v, 100)),
  'min-worker-life': (o, v) => (o.minWorkerLifeMs = parseDuration(v)),
  'max-400-rate': (o, v) => (o.max400Rate = num('max-400-rate', v, 0, 1)),
  'max-latency-p95-ms': (o, v) => (o.maxLatencyP95Ms = int('max-latency-p95-ms', v, 1)),
  'scrape-interval-ms': (o, v) => (o.scrapeIntervalMs = int('scrape-interval-ms', v, 200)),
  json: (o, v) => (o.jsonPath = v),
  html: (o, v) => (o.htmlPath = v),
};

const envName = (flag: string) => `PREDEPLOY_${flag.toUpperCase().replace(/-/g, '_')}`;

/** Options from `env` (PREDEPLOY_*) then `argv` (flags, `--flag value` or `--flag=value`). */
export function parseOptions(argv: readonly string[], env: Record<string, string | undefined> = {}): Options {
  const o: Options = { ...DEFAULTS, mix: { ...DEFAULTS.mix } };
  let tunnelSet = false;
  for (const [flag, set] of Object.entries(FLAGS)) {
    const v = env[envName(flag)];
    if (v !== undefined && v !== '') {
      set(o, v);
      if (flag === 'proxy-tunnel-timeout-ms') tunnelSet = true;
    }
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      o.help = true;
      continue;
    }
    if (arg === '--no-kill') {
      o.kill = false;
      continue;
    }
    if (arg === '--churn' && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--'))) {
      o.churnPerMin = DEFAULTS.churnPerMin; // bare --churn: the default rate
      continue;
    }
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(arg);
    const set = m ? FLAGS[m[1]!] : undefined;
    if (!m || !set) throw new UsageError(`unknown option "${arg}"\n\n${USAGE}`);
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${m[1]} needs a value`);
    set(o, value);
    if (m[1] === 'proxy-tunnel-timeout-ms') tunnelSet = true;
  }
  if (!tunnelSet) o.proxyTunnelTimeoutMs = o.proxyTimeoutMs;
  if (o.durationMs < 10_000) throw new UsageError('--duration must be at least 10s (a recycle and a kill need time)');
  return o;
}
