import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FALLBACK_POLICY,
  describeStatus,
  initialStatus,
  reduceStatus,
  shouldFallBack,
  type StatusEvent,
  type StatusState,
} from './status.js';

const T0 = 1_700_000_000_000;
const ctx = (now: number, dataGeneratedAt: number | null = null, fallbackIntervalMs = 30_000) => ({
  now,
  fallbackIntervalMs,
  dataGeneratedAt,
});
const run = (events: StatusEvent[], state: StatusState = initialStatus(T0)) => events.reduce((s, e) => reduceStatus(s, e), state);
const text = (s: StatusState, c = ctx(T0)) => describeStatus(s, c).text;

describe('status texts', () => {
  it('starts as Connecting…', () => {
    expect(text(initialStatus(T0))).toBe('Connecting…');
    expect(describeStatus(initialStatus(T0), ctx(T0)).kind).toBe('connecting');
  });

  it('is Live with the transport in use, and follows upgrades', () => {
    const polling = run([{ type: 'connect', transport: 'polling', at: T0 }]);
    expect(text(polling)).toBe('Live (polling)');
    expect(text(run([{ type: 'upgrade', transport: 'websocket' }], polling))).toBe('Live (websocket)');
    expect(text(run([{ type: 'connect', transport: 'websocket', at: T0 }]))).toBe('Live (websocket)');
  });

  it('counts reconnect attempts after a disconnect', () => {
    const live = run([{ type: 'connect', transport: 'websocket', at: T0 }]);
    const down = run([{ type: 'disconnect', reason: 'transport close', at: T0 + 1000 }], live);
    expect(text(down)).toBe('Reconnecting… attempt 1');
    expect(text(run([{ type: 'reconnect_attempt', attempt: 1 }], down))).toBe('Reconnecting… attempt 1');
    expect(text(run([{ type: 'reconnect_attempt', attempt: 1 }, { type: 'reconnect_attempt', attempt: 2 }], down))).toBe(
      'Reconnecting… attempt 2',
    );
  });

  it('says Offline with the interval and the age of the data once falling back', () => {
    const s = run([
      { type: 'connect', transport: 'websocket', at: T0 },
      { type: 'disconnect', reason: 'transport close', at: T0 },
      { type: 'tick', now: T0 + 5_000 },
    ]);
    expect(s.fallback).toBe(true);
    const view = describeStatus(s, ctx(T0 + 20_000, T0 + 8_000));
    expect(view.text).toBe('Offline — refreshing every 30 s, data 12 s old');
    expect(view.kind).toBe('offline');
    // The live region announces only the stable part; the ticking age is separate.
    expect(view.main).toBe('Offline — refreshing every 30 s');
    expect(view.detail).toBe(', data 12 s old');
    expect(describeStatus(s, ctx(T0 + 20_000, T0 + 8_000, 10_000)).text).toBe('Offline — refreshing every 10 s, data 12 s old');
    expect(describeStatus(s, ctx(T0 + 20_000, null)).text).toBe('Offline — refreshing every 30 s, no data yet');
    expect(describeStatus(s, ctx(T0 + 200_000, T0)).text).toBe('Offline — refreshing every 30 s, data 3 min old');
  });

  it('never shows a negative age (client clock behind the server)', () => {
    const s = run([{ type: 'tick', now: T0 + 10_000 }]);
    expect(describeStatus(s, ctx(T0, T0 + 5_000)).text).toBe('Offline — refreshing every 30 s, data 0 s old');
  });
});

describe('fallback decisions', () => {
  it('falls back after the socket has been down for the grace period, not before', () => {
    const down = run([
      { type: 'connect', transport: 'websocket', at: T0 },
      { type: 'disconnect', reason: 'ping timeout', at: T0 + 10_000 },
    ]);
    expect(run([{ type: 'tick', now: T0 + 14_999 }], down).fallback).toBe(false);
    expect(run([{ type: 'tick', now: T0 + 15_000 }], down).fallback).toBe(true);
  });

  it('falls back when the first connection never succeeds (counted from page load)', () => {
    const s = run([{ type: 'reconnect_attempt', attempt: 1 }, { type: 'tick', now: T0 + DEFAULT_FALLBACK_POLICY.graceMs }]);
    expect(s.fallback).toBe(true);
    expect(text(s, ctx(T0 + 6_000))).toBe('Offline — refreshing every 30 s, no data yet');
  });

  it('falls back at once after repeated connect errors (e.g. /socket.io/ blocked)', () => {
    const s1 = run([{ type: 'connect_error', message: 'xhr poll error' }, { type: 'connect_error', message: 'xhr poll error' }]);
    expect(s1.fallback).toBe(false);
    const s2 = run([{ type: 'connect_error', message: 'xhr poll error' }], s1);
    expect(s2.fallback).toBe(true);
  });

  it('falls back when the Manager gives up', () => {
    expect(run([{ type: 'reconnect_failed' }]).fallback).toBe(true);
  });

  it('stops the fallback and shows Live as soon as the socket connects', () => {
    const offline = run([{ type: 'reconnect_failed' }, { type: 'reconnect_attempt', attempt: 7 }]);
    expect(text(offline)).toMatch(/^Offline/);
    const live = run([{ type: 'connect', transport: 'polling', at: T0 + 60_000 }], offline);
    expect(live.fallback).toBe(false);
    expect(live.connectErrors).toBe(0);
    expect(text(live)).toBe('Live (polling)');
    // Later ticks while live never re-enable it.
    expect(run([{ type: 'tick', now: T0 + 600_000 }], live).fallback).toBe(false);
  });

  it('ignores events that cannot change a live socket', () => {
    const live = run([{ type: 'connect', transport: 'websocket', at: T0 }]);
    expect(run([{ type: 'connect_error', message: 'x' }, { type: 'reconnect_attempt', attempt: 3 }], live)).toEqual(live);
    expect(shouldFallBack(live, T0 + 1e9)).toBe(false);
  });

  it('ignores upgrades while not live', () => {
    const s = run([{ type: 'upgrade', transport: 'websocket' }]);
    expect(s.transport).toBeNull();
    expect(text(s)).toBe('Connecting…');
  });

  it('resets the attempt counter and the down time on each disconnect', () => {
    const s = run([
      { type: 'connect', transport: 'websocket', at: T0 },
      { type: 'disconnect', reason: 'transport close', at: T0 + 1_000 },
      { type: 'reconnect_attempt', attempt: 3 },
      { type: 'connect', transport: 'websocket', at: T0 + 3_000 },
      { type: 'disconnect', reason: 'transport close', at: T0 + 50_000 },
    ]);
    expect(s.attempt).toBe(0);
    expect(s.downSince).toBe(T0 + 50_000);
    expect(run([{ type: 'tick', now: T0 + 52_000 }], s).fallback).toBe(false);
  });
});
