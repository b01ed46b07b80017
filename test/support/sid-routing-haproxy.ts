import { haproxyDefaults, startHaproxyWith, type Haproxy, type ProxyTimeouts } from '../../scripts/predeploy/haproxy.ts';
import { HARNESS_OVERRIDES, loadProduction } from '../../scripts/predeploy/production.ts';

/** One instance behind the proxy: its machine name (the `<instance>~` of its session ids) and port. */
export interface RoutedInstance {
  name: string;
  port: number;
}

/**
 * HAProxy in front of several instances, routing as Fly's proxy ends up doing: a request
 * with an Engine.IO `sid` goes to the instance the id names (`<instance>~<worker>.<random>`),
 * a handshake (no sid) round-robin. Fly sends a request anywhere and replays it on the
 * service's `409 + fly-replay: instance=<id>`; HAProxy cannot replay a response (`retry-on`
 * has no 409, `redispatch` picks any server), so the route is taken up front from the id,
 * which reaches the same instance in one hop. Every request is logged to stderr as
 * `transit-log <status> <server> <sid> <method> <uri>`.
 */
export function sidRoutingConfig(listenPort: number, instances: RoutedInstance[], t: ProxyTimeouts): string {
  return [
    ...haproxyDefaults(t),
    'frontend public',
    `  bind 127.0.0.1:${listenPort}`,
    '  option forwardfor',
    '  log stderr format raw local0',
    // A connection that sends nothing (the start-up probe) would be logged as `400 <BADREQ>`.
    '  option dontlognull',
    '  http-request set-var(txn.sid) url_param(sid)',
    '  log-format "transit-log %ST %s %[var(txn.sid)] %HM %HU"',
    '  default_backend instances',
    '',
    'backend instances',
    '  balance roundrobin',
    ...instances.map((i) => `  use-server ${i.name} if { url_param(sid) -m beg ${i.name}~ }`),
    ...instances.map((i) => `  server ${i.name} 127.0.0.1:${i.port}`),
    '',
  ].join('\n');
}

/** Starts Debian's HAProxy with {@link sidRoutingConfig}. */
export function startSidRoutingHaproxy(instances: RoutedInstance[], t: ProxyTimeouts): Promise<Haproxy> {
  return startHaproxyWith((port) => sidRoutingConfig(port, instances, t), t);
}

/** One request as HAProxy logged it. */
export interface ProxyLogLine {
  status: number;
  server: string;
  /** The request's `sid` query parameter, `''` for a handshake. */
  sid: string;
  /** Method and URI. */
  request: string;
}

/** The `transit-log` lines of HAProxy's output (see {@link sidRoutingConfig}). */
export function proxyLog(stderr: string): ProxyLogLine[] {
  const out: ProxyLogLine[] = [];
  // HAProxy logs an absent variable as `-`.
  for (const m of stderr.matchAll(/^transit-log (-?\d+) (\S+) (\S+) (.*)$/gm)) {
    out.push({ status: Number(m[1]), server: m[2]!, sid: m[3] === '-' ? '' : m[3]!, request: m[4]! });
  }
  return out;
}

/**
 * The production environment (deploy/production.json) bound to loopback on ephemeral
 * ports (the pre-deploy harness's overrides), with `overrides` on top.
 */
export function productionEnv(overrides: Record<string, string>): Record<string, string> {
  return { ...loadProduction().env, ...HARNESS_OVERRIDES, ...overrides };
}
