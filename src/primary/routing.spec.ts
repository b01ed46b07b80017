import { describe, expect, it } from 'vitest';
import { recycleLimit } from '../shared/recycle-limit.js';
import { parseRequestHead } from './request-line.js';
import { chooseWorker } from './routing.js';
import { foreignInstance, instanceOfSession, newSessionId, ownerOfSession } from '../shared/session-id.js';

const head = (line: string) => parseRequestHead(Buffer.from(`${line}\r\nHost: x\r\n\r\n`))!;

describe('session ids', () => {
  it('name their worker and are unguessable', () => {
    const a = newSessionId(37);
    expect(ownerOfSession(a)).toBe(37);
    expect(a).not.toBe(newSessionId(37));
    expect(a).toMatch(/^[0-9a-z]+\.[A-Za-z0-9_-]{20}$/);
  });

  it('name their instance when several share a deployment', () => {
    const sid = newSessionId(5, 'e2865a0f4d1e38');
    expect(sid).toMatch(/^e2865a0f4d1e38~5\./);
    expect(ownerOfSession(sid)).toBe(5);
    expect(instanceOfSession(sid)).toBe('e2865a0f4d1e38');
    expect(instanceOfSession(newSessionId(5))).toBeNull();
    expect(foreignInstance(sid, 'e2865a0f4d1e38')).toBeNull();
    expect(foreignInstance(sid, 'other')).toBe('e2865a0f4d1e38');
    expect(foreignInstance(sid, undefined)).toBeNull(); // single instance: not our concern
    expect(foreignInstance(newSessionId(5), 'other')).toBeNull();
  });

  it('reject ids not of our making', () => {
    expect(ownerOfSession('AbCdEfGhIjKlMnOpQrSt')).toBeNull();
    expect(ownerOfSession('1.short')).toBeNull();
    expect(ownerOfSession('')).toBeNull();
  });
});

describe('parseRequestHead', () => {
  it('extracts the engine path and sid', () => {
    expect(head('GET /socket.io/?EIO=4&transport=polling&sid=1.abc HTTP/1.1')).toEqual({
      method: 'GET',
      path: '/socket.io/',
      sid: '1.abc',
      engine: true,
    });
    expect(head('GET /api/vehicles HTTP/1.1')).toMatchObject({ engine: false, sid: null });
  });

  it('waits for a complete line and rejects non-HTTP', () => {
    expect(parseRequestHead(Buffer.from('GET /socket.io/?EIO=4'))).toBeNull();
    expect(() => parseRequestHead(Buffer.from('\x16\x03\x01 tls hello\r\n'))).toThrow(/TLS on a plain-HTTP port/);
    expect(() => parseRequestHead(Buffer.from(`GET /${'a'.repeat(9000)}`))).toThrow(/8 KiB/);
  });
});

describe('chooseWorker', () => {
  const table = { accepting: [1, 2], alive: new Set([1, 2, 3]) };
  const sid = (w: number) => head(`GET /socket.io/?EIO=4&transport=polling&sid=${newSessionId(w)} HTTP/1.1`);

  it('sends a session to its owner, even a draining one', () => {
    expect(chooseWorker(sid(2), table, true, 0)).toEqual({ workerId: 2, reason: 'owner' });
    expect(chooseWorker(sid(3), table, true, 0)).toEqual({ workerId: 3, reason: 'owner' });
  });

  it('spreads handshakes round-robin over accepting workers only', () => {
    const hs = head('GET /socket.io/?EIO=4&transport=polling HTTP/1.1');
    expect([0, 1, 2, 3].map((t) => chooseWorker(hs, table, true, t)?.workerId)).toEqual([1, 2, 1, 2]);
  });

  it('hands a dead owner’s session to a live worker, which answers it', () => {
    expect(chooseWorker(sid(9), table, true, 1)).toEqual({ workerId: 2, reason: 'orphan' });
  });

  it('ignores the sid without stickiness (the seed’s failure mode)', () => {
    const picks = [0, 1, 2, 3].map((t) => chooseWorker(sid(1), table, false, t)?.workerId);
    expect(picks).toEqual([1, 2, 1, 2]);
  });

  it('returns null with no worker', () => {
    expect(chooseWorker(sid(1), { accepting: [], alive: new Set() }, true, 0)).toBeNull();
  });
});

describe('recycleLimit', () => {
  it('adds up to jitter requests, and 0 means never', () => {
    expect(recycleLimit(200, 50, () => 0)).toBe(200);
    expect(recycleLimit(200, 50, () => 0.9999)).toBe(250);
    expect(recycleLimit(0, 50, () => 0.5)).toBe(0);
  });
});
