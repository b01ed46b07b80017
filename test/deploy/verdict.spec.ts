/**
 * The pre-deploy verdict rules, pure: each named cause fires on its facts and stays quiet on a
 * clean run; our own bar (0 × 400) shows below the 5 % threshold as a warning.
 */
import { describe, expect, it } from 'vitest';
import type { LossSummary, RecycleRecord } from '../../scripts/predeploy/analysis.ts';
import { judge, type VerdictInput } from '../../scripts/predeploy/verdict.ts';

const loss = (o: Partial<LossSummary> = {}): LossSummary => ({
  count: 0, notBack: 0, pending: 0, maxBackMs: null, medianBackMs: null, byReason: {}, unclean: 0, collateral: 0, ...o,
});

const recycle = (o: Partial<RecycleRecord> = {}): RecycleRecord => ({
  worker: 1, at: 10_000, drainAt: 11_000, exitAt: 12_000, lifetimeMs: 120_000, sessions: 10, triggered: true, ...o,
});

/** A clean 60 s run: 2 sticky workers, 30 clients, two triggered recycles and a kill, all back at once. */
function clean(o: Partial<VerdictInput> = {}): VerdictInput {
  return {
    settings: {
      workers: 2, sticky: true, allowUnsafe: false, transports: ['polling', 'websocket'], pingIntervalMs: 25_000, pingTimeoutMs: 20_000,
      maxSessions: 40_000, maxSessionsJitter: 4_000, gracefulTimeoutMs: 30_000, pollIntervalMs: 15_000,
    },
    thresholds: { max400Rate: 0.05, reconnectWithinMs: 5_000, minWorkerLifeMs: 60_000, maxLatencyP95Ms: 1_000 },
    durationMs: 60_000,
    shutdownCode: 0,
    drainTimeouts: 0,
    proxy: { kind: 'none' },
    traffic: { polls: 2_000, byStatus: { '200': 2_000 }, byClass: { ok: 2_000 }, wsByStatus: { '101': 9 } },
    clients: { total: 36, neverConnected: 0, liveAtEnd: 30, connectedAtEnd: 30, connectErrors: {} },
    losses: { recycle: loss({ count: 28, maxBackMs: 1_600, byReason: { 'transport close': 28 } }), kill: loss({ count: 14, maxBackMs: 2_000 }), other: loss() },
    ghosts: { recycle: 0, kill: 0, other: 0 },
    recycles: [recycle(), recycle({ worker: 3, at: 40_000 })],
    recyclesRequested: 2,
    kill: { worker: 2, victims: 14 },
    latency: { count: 120, p95: 150 },
    upstream: { calls: 4, expectedMax: 7 },
    eio3: { clients: 0, attempts: 0 },
    metricsFailures: 0,
    ...o,
  };
}

const ids = (i: VerdictInput) => judge(i).causes.map((c) => c.id);

describe('verdict rules', () => {
  it('passes a clean run with no cause and no warning', () => {
    expect(judge(clean())).toEqual({ pass: true, causes: [], warnings: [] });
  });

  it('(a) fails at ≥ 5 % "Session ID unknown" and names the missing stickiness', () => {
    const v = judge(clean({
      settings: { ...clean().settings, sticky: false, allowUnsafe: true },
      traffic: { polls: 1_000, byStatus: { '200': 800, '400': 200 }, byClass: { ok: 800, session_unknown: 200 }, wsByStatus: {} },
    }));
    expect(v.pass).toBe(false);
    expect(v.causes[0]).toMatchObject({ id: 'session_unknown', title: 'multi-worker without stickiness: 200 of 1000 polls (20 %) got 400 "Session ID unknown"' });
    expect(v.causes[0]!.detail).toMatch(/STICKY=true/);
  });

  it('(a) any 400 below the threshold is a warning, not a pass in silence', () => {
    const v = judge(clean({ traffic: { polls: 1_000, byStatus: { '200': 999, '400': 1 }, byClass: { ok: 999, session_unknown: 1 }, wsByStatus: {} } }));
    expect(v.pass).toBe(true);
    expect(v.warnings.map((w) => w.id)).toContain('session_unknown_below_threshold');
    expect(v.warnings[0]!.title).toMatch(/1 × 400 "Session ID unknown"/);
  });

  it('(b) natural recycles within minutes of start: recycling drops sessions', () => {
    const fast = Array.from({ length: 6 }, (_, k) => recycle({ worker: k + 1, lifetimeMs: 1_500, triggered: false, sessions: 8 }));
    const v = judge(clean({ settings: { ...clean().settings, maxSessions: 10, maxSessionsJitter: 0 }, recycles: fast }));
    expect(ids(clean({ recycles: fast }))).toContain('recycle_drops_sessions');
    expect(v.causes[0]!.title).toMatch(/^recycling drops sessions: 6 workers recycled by MAX_SESSIONS_PER_WORKER=10 \(\+ jitter 0\) after a median 1\.5 s of life/);
    // Triggered recycles are the harness's doing, whatever their lifetime.
    expect(ids(clean({ recycles: fast.map((r) => ({ ...r, triggered: true })) }))).toEqual([]);
  });

  it('(b) recycles whose clients are not back within N s, ghosts, or drains cut short fail', () => {
    expect(judge(clean({ losses: { ...clean().losses, recycle: loss({ count: 10, notBack: 2 }) } })).causes[0]!.title).toBe(
      'recycling drops sessions: 2 of 10 sessions lost to a recycle not back within 5000 ms',
    );
    expect(ids(clean({ ghosts: { recycle: 1, kill: 0, other: 0 } }))).toEqual(['recycle_drops_sessions']);
    expect(judge(clean({ drainTimeouts: 1 })).causes[0]!.title).toMatch(/missed GRACEFUL_TIMEOUT_MS=30000/);
    // Collateral losses that came back are a warning.
    const v = judge(clean({ losses: { ...clean().losses, recycle: loss({ count: 12, collateral: 2, unclean: 2 }) } }));
    expect(v.pass).toBe(true);
    expect(v.warnings.map((w) => w.id)).toEqual(['recycle_collateral']);
  });

  it('(c) a proxy idle timeout under pingInterval + pingTimeout is named with both numbers', () => {
    const v = judge(clean({
      proxy: { kind: 'haproxy', timeouts: { clientMs: 5_000, serverMs: 5_000, tunnelMs: 5_000 } },
      traffic: { polls: 500, byStatus: { '200': 470, '504': 30 }, byClass: { ok: 470, server_error: 30 }, wsByStatus: {} },
      losses: { ...clean().losses, other: loss({ count: 40, byReason: { 'transport error (504)': 30, 'transport close': 10 } }) },
    }));
    expect(v.causes[0]).toMatchObject({ id: 'proxy_idle_timeout', title: 'proxy idle timeout 5000 ms < pingInterval + pingTimeout = 45000 ms' });
    expect(v.causes[0]!.detail).toMatch(/30 long-polls answered 504/);
    expect(v.warnings.map((w) => w.id)).not.toContain('unexplained_losses');
    // Long enough timeouts: nothing; the tunnel alone too short: named.
    expect(ids(clean({ proxy: { kind: 'haproxy', timeouts: { clientMs: 60_000, serverMs: 60_000, tunnelMs: 60_000 } } }))).toEqual([]);
    expect(judge(clean({ proxy: { kind: 'haproxy', timeouts: { clientMs: 60_000, serverMs: 60_000, tunnelMs: 30_000 } } })).causes[0]!.title).toBe(
      'proxy idle timeout 30000 ms < pingInterval + pingTimeout = 45000 ms',
    );
    // Without a configured proxy, 504s still point at a proxy.
    expect(ids(clean({ traffic: { polls: 10, byStatus: { '504': 1 }, byClass: {}, wsByStatus: {} } }))).toEqual(['proxy_idle_timeout']);
  });

  it('(d) EIO=3 handshakes refused with code 5 are a client/server protocol mismatch', () => {
    const v = judge(clean({
      eio3: { clients: 3, attempts: 20 },
      traffic: { polls: 2_020, byStatus: { '200': 2_000, '400': 20 }, byClass: { ok: 2_000, protocol_mismatch: 20 }, wsByStatus: {} },
    }));
    expect(v.causes.map((c) => c.id)).toEqual(['protocol_mismatch']);
    expect(v.causes[0]!.title).toBe('client/server protocol mismatch: 20 handshakes got 400 {"code":5,"message":"Unsupported protocol version"}');
    expect(v.causes[0]!.detail).toMatch(/3 Engine\.IO 3 clients/);
    expect(v.warnings).toEqual([]); // not counted as "Session ID unknown"
  });

  it('a killed worker’s clients must be back within N s', () => {
    const v = judge(clean({ losses: { ...clean().losses, kill: loss({ count: 14, notBack: 3, maxBackMs: 9_000 }) } }));
    expect(v.causes[0]).toMatchObject({ id: 'worker_kill_recovery', title: 'worker kill: 3 of 14 sessions of worker 2 not back within 5000 ms' });
  });

  it('clients disconnected at the end, never connected, lost without reconnect, slow updates', () => {
    expect(ids(clean({ clients: { ...clean().clients, connectedAtEnd: 27 } }))).toEqual(['clients_disconnected']);
    expect(ids(clean({ clients: { ...clean().clients, neverConnected: 2 } }))).toEqual(['connect_failures']);
    expect(ids(clean({ losses: { ...clean().losses, other: loss({ count: 3, notBack: 1 }) } }))).toEqual(['sessions_lost']);
    expect(judge(clean({ latency: { count: 50, p95: 1_800 } })).causes[0]!.title).toBe('update latency p95 1800 ms > 1000 ms');
  });

  it('a start failure is the only cause, with the service’s own message', () => {
    const v = judge(clean({ start: { error: 'exited with code 78 before listening', stderr: 'STICKY=false with WEB_CONCURRENCY=2 …' } }));
    expect(v.causes).toHaveLength(1);
    expect(v.causes[0]).toMatchObject({ id: 'service_start', detail: 'STICKY=false with WEB_CONCURRENCY=2 …' });
  });

  describe('400 "Session ID unknown" by x-transit-session', () => {
    const traffic = (su: { misrouted: number; ended: number; unknown: number; unlabelled?: number }, polls = 1_000): VerdictInput['traffic'] => {
      const n400 = su.misrouted + su.ended + su.unknown;
      return { polls, byStatus: { '200': polls - n400, '400': n400 }, byClass: { ok: polls - n400, session_unknown: n400 }, wsByStatus: { '101': 9 }, sessionUnknown: su };
    };

    it('ended sessions neither fail the run nor warn; they are not in the 400 rate', () => {
      // 30 % of polls answered 400 for ended sessions, none misrouted: a pass in silence.
      const v = judge(clean({ traffic: traffic({ misrouted: 0, ended: 200, unknown: 0 }) }));
      expect(v).toEqual({ pass: true, causes: [], warnings: [] });
    });

    it('misrouted + unknown fail at the threshold, whatever the ended count', () => {
      // 30 misrouted + 30 unknown = 6 % ≥ 5 %; the 400 ended ones would have made it 46 %.
      const v = judge(clean({ traffic: traffic({ misrouted: 30, ended: 400, unknown: 30, unlabelled: 10 }) }));
      expect(v.pass).toBe(false);
      expect(v.causes.map((c) => c.id)).toEqual(['session_unknown']);
      expect(v.causes[0]!.title).toBe('60 of 1000 polls (6 %) got 400 "Session ID unknown"');
      expect(v.causes[0]!.detail).toMatch(/misrouted 30, unknown 30 \(10 without the header, counted as unknown\); 400 more for sessions the service had ended are not counted/);
      expect(v.causes[0]!.detail).toMatch(/does not own their session/);
      // The same 60 as ids never issued here: named as such.
      expect(judge(clean({ traffic: traffic({ misrouted: 0, ended: 0, unknown: 60 }) })).causes[0]!.detail).toMatch(/never issued/);
    });

    it('below the threshold, misrouted ones are a warning; ended ones are not counted in it', () => {
      const v = judge(clean({ traffic: traffic({ misrouted: 2, ended: 100, unknown: 0 }) }));
      expect(v.pass).toBe(true);
      expect(v.warnings.map((w) => w.id)).toEqual(['session_unknown_below_threshold']);
      expect(v.warnings[0]!.title).toBe('2 × 400 "Session ID unknown" (0.2 % of 1000 polls)');
    });

    it('without the breakdown (no header anywhere), every "Session ID unknown" counts as unknown', () => {
      const t = { polls: 1_000, byStatus: { '200': 940, '400': 60 }, byClass: { ok: 940, session_unknown: 60 }, wsByStatus: {} };
      expect(judge(clean({ traffic: t })).causes[0]!.title).toBe('60 of 1000 polls (6 %) got 400 "Session ID unknown"');
    });

    it('ended 400s far beyond the sessions the run ended are a warning', () => {
      // 36 pages + 28 + 14 sessions lost = 78 sessions ended; 3 per session is the most expected.
      const ok = judge(clean({ traffic: traffic({ misrouted: 0, ended: 234, unknown: 0 }, 5_000) }));
      expect(ok.warnings).toEqual([]);
      const v = judge(clean({ traffic: traffic({ misrouted: 0, ended: 235, unknown: 0 }, 5_000) }));
      expect(v.pass).toBe(true);
      expect(v.warnings.map((w) => w.id)).toEqual(['session_ended_excess']);
      expect(v.warnings[0]!.title).toBe('235 × 400 "Session ID unknown" for ended sessions, more than 3 per session this run ended (78)');
    });

    it('websocket upgrades refused for ended sessions are not "websocket_refused"', () => {
      const wsEnded = { ...clean().traffic, wsByStatus: { '101': 9, '400': 2 }, wsSessionUnknown: { misrouted: 0, ended: 2, unknown: 0 } };
      expect(judge(clean({ traffic: wsEnded })).warnings).toEqual([]);
      const wsMisrouted = { ...wsEnded, wsSessionUnknown: { misrouted: 1, ended: 1, unknown: 0 } };
      expect(judge(clean({ traffic: wsMisrouted })).warnings.map((w) => w.id)).toEqual(['websocket_refused']);
    });
  });

  describe('requests lost or hung', () => {
    const requests = (o: Partial<NonNullable<VerdictInput['requests']>> = {}): NonNullable<VerdictInput['requests']> => ({
      deadlineMs: 35_000, forwarded: 5_000, hung: 0, closed: 0, cutAtKill: 0, handshakes: 80, handshakesHung: 0, samples: [], ...o,
    });
    const probe = (lost = 0): NonNullable<VerdictInput['probe']> => ({
      total: 300, lost, timeoutMs: 3_000, samples: lost ? ['get-1ms: no complete response within 3000 ms (0 bytes received)'] : [],
      byKind: { 'get-immediate': { sent: 100, lost: 0 }, 'get-1ms': { sent: 100, lost }, 'post-body': { sent: 100, lost: 0 } },
    });

    it('a healthy run: nothing lost, requests cut by the planned kill excused', () => {
      expect(judge(clean({ requests: requests({ cutAtKill: 4 }), probe: probe() }))).toEqual({ pass: true, causes: [], warnings: [] });
    });

    it('hung, closed without a response and handshakes that never completed: one cause, counted together', () => {
      const v = judge(clean({ requests: requests({ hung: 2, closed: 1, handshakesHung: 1, cutAtKill: 3, samples: ['GET /socket.io/?EIO=4&transport=polling&sid=…: no response head within 35000 ms (12.0 s)'] }), probe: probe() }));
      expect(v.pass).toBe(false);
      expect(v.causes.map((c) => c.id)).toEqual(['requests_lost']);
      expect(v.causes[0]!.title).toBe('requests lost or hung: 4 of 5080 got no answer within 35000 ms');
      expect(v.causes[0]!.detail).toMatch(/2 of 5000 requests through the counting proxy had no response head within 35000 ms/);
      expect(v.causes[0]!.detail).toMatch(/1 had their connection to the service closed without a response/);
      expect(v.causes[0]!.detail).toMatch(/1 of 80 client handshakes never completed/);
      expect(v.causes[0]!.detail).toMatch(/3 more, cut by the planned SIGKILL, are not counted/);
      expect(v.causes[0]!.detail).toMatch(/E\.g\. GET \/socket\.io/);
    });

    it('the split-write probe’s unanswered requests feed the same cause, on their own line', () => {
      const v = judge(clean({ requests: requests(), probe: probe(25) }));
      expect(v.causes.map((c) => c.id)).toEqual(['requests_lost']);
      expect(v.causes[0]!.title).toBe('requests lost or hung: split-write probe: 25 of 300 got no answer within 3000 ms');
      expect(v.causes[0]!.detail).toMatch(/get-immediate 0\/100, get-1ms 25\/100, post-body 0\/100/);
      expect(judge(clean({ requests: requests({ hung: 1 }), probe: probe(25) })).causes[0]!.title).toBe(
        'requests lost or hung: 1 of 5080 got no answer within 35000 ms; split-write probe: 25 of 300 got no answer within 3000 ms',
      );
    });

    it('after a crash the soak part is the crash’s; a probe that could not run is a warning', () => {
      const crashed = judge(clean({ crashed: { code: 1, signal: null, atMs: 5_000 }, requests: requests({ closed: 400 }), probe: probe() }));
      expect(crashed.causes.map((c) => c.id)).toEqual(['service_crashed']);
      const v = judge(clean({ requests: requests(), probe: { error: 'connect ECONNREFUSED' } }));
      expect(v.pass).toBe(true);
      expect(v.warnings.map((w) => w.id)).toEqual(['split_probe']);
    });
  });

  it('warnings: 5xx, unexplained losses, no recycle, shutdown code, over-polling', () => {
    const v = judge(clean({
      traffic: { polls: 100, byStatus: { '200': 98, '502': 2 }, byClass: { ok: 98, server_error: 2 }, wsByStatus: { '101': 3 } },
      losses: { ...clean().losses, other: loss({ count: 2, byReason: { 'transport error (502)': 2 } }) },
      recycles: [],
      shutdownCode: 1,
      upstream: { calls: 20, expectedMax: 7 },
    }));
    expect(v.pass).toBe(true);
    expect(v.warnings.map((w) => w.id).sort()).toEqual(['no_recycle', 'server_errors', 'shutdown', 'unexplained_losses', 'upstream_calls']);
  });
});

describe('verdict: upstream budget (issue 13)', () => {
  const budgeted = (calls: number, durationMs: number, budget: number | null = 60) =>
    clean({ durationMs, settings: { ...clean().settings, upstreamBudgetPerHour: budget, callsPerPoll: 1 }, upstream: { calls, expectedMax: calls } });

  it('passes at the budget pace: one poll a minute for 10 minutes', () => {
    expect(ids(budgeted(11, 600_000))).toEqual([]);
  });

  it('fails "upstream budget exceeded" when the pace projects over the budget, or the run alone holds more', () => {
    const v = judge(budgeted(41, 600_000)); // one poll every 15 s: 240/h
    expect(v.causes.map((c) => c.id)).toEqual(['upstream_budget']);
    expect(v.causes[0]!.title).toBe('upstream budget exceeded: 41 upstream calls in 600 s (≈ 240/h) > UPSTREAM_BUDGET_PER_HOUR=60');
    expect(ids(budgeted(61, 1_800_000))).toEqual(['upstream_budget']); // a burst: 61 calls inside one hour
    expect(ids(budgeted(61, 3_600_000))).toEqual([]); // 0 s … 3600 s inclusive: each rolling hour holds 60
  });

  it('says nothing without a budget (simulator)', () => {
    expect(ids(budgeted(400, 600_000, null))).toEqual([]);
  });
});
