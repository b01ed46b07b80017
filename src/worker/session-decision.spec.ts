import { describe, expect, it } from 'vitest';
import { decideSession, type SessionDecision, type SessionLookups, type SessionRequest } from './session-decision.js';

const SID1 = `1.${'A'.repeat(20)}`;
const SID2 = `2.${'B'.repeat(20)}`;
const SID3 = `3.${'C'.repeat(20)}`;

/** The decision for one request on worker 1 of three (worker 2 live on 40002, worker 3 gone), with `over` changed. */
function decide(over: Partial<SessionRequest & SessionLookups> = {}): SessionDecision {
  const { sid, draining = false, forwarded = false, ...lookups } = over;
  return decideSession(
    { sid, draining, forwarded },
    {
      me: 1,
      instance: undefined,
      sticky: true,
      hasSession: () => false,
      closedHere: () => false,
      portOf: (w) => (w === 2 ? 40002 : undefined),
      isGone: (w) => w === 3,
      acceptingPeer: () => 40002,
      ...lookups,
    },
  );
}

describe('decideSession', () => {
  it('handshakes go to Engine.IO; a draining worker starts them on a peer, or refuses when none is left', () => {
    expect(decide()).toEqual({ kind: 'engine' });
    expect(decide({ draining: true })).toEqual({ kind: 'handshake-elsewhere', port: 40002 });
    expect(decide({ draining: true, acceptingPeer: () => undefined })).toEqual({ kind: 'refuse-stopping' });
    expect(decide({ draining: true, forwarded: true })).toEqual({ kind: 'engine' });
  });

  it('a session held here goes to Engine.IO, one held by a live sibling is forwarded', () => {
    expect(decide({ sid: SID1, hasSession: () => true })).toEqual({ kind: 'engine' });
    expect(decide({ sid: SID2 })).toEqual({ kind: 'forward', port: 40002 });
  });

  it('sessions this deployment closed are `ended`: here (Engine.IO answers) or on a departed worker (we answer)', () => {
    expect(decide({ sid: SID1, closedHere: () => true })).toEqual({ kind: 'unknown', cause: 'ended', answer: 'engine' });
    expect(decide({ sid: SID3 })).toEqual({ kind: 'unknown', cause: 'ended', answer: 'self' });
  });

  it('ids never issued are `unknown`; a live sibling’s session reached without stickiness is `misrouted`', () => {
    expect(decide({ sid: 'forged' })).toMatchObject({ cause: 'unknown' });
    expect(decide({ sid: SID1 })).toMatchObject({ cause: 'unknown' });
    expect(decide({ sid: `9.${'D'.repeat(20)}` })).toMatchObject({ cause: 'unknown' });
    expect(decide({ sid: SID2, sticky: false })).toEqual({ kind: 'unknown', cause: 'misrouted', answer: 'engine' });
    // A forwarded hop never forwards again.
    expect(decide({ sid: SID2, forwarded: true })).toMatchObject({ cause: 'misrouted' });
  });

  it("another machine's session is replayed there", () => {
    expect(decide({ instance: 'm1', sid: `m2~${SID2}` })).toEqual({ kind: 'replay', instance: 'm2' });
    expect(decide({ instance: 'm1', sid: `m1~${SID2}` })).toEqual({ kind: 'forward', port: 40002 });
  });
});
