import { describe, expect, it } from 'vitest';
import { decideSession, type SessionFacts } from './session-decision.js';

const SID1 = `1.${'A'.repeat(20)}`;
const SID2 = `2.${'B'.repeat(20)}`;
const SID3 = `3.${'C'.repeat(20)}`;

function facts(over: Partial<SessionFacts> = {}): SessionFacts {
  return {
    me: 1,
    instance: undefined,
    sticky: true,
    draining: false,
    forwarded: false,
    sid: null,
    hasSession: () => false,
    closedHere: () => false,
    portOf: (w) => (w === 2 ? 40002 : undefined),
    isGone: (w) => w === 3,
    acceptingPeer: () => 40002,
    ...over,
  };
}

describe('decideSession', () => {
  it('handshakes go to Engine.IO; a draining worker starts them on a peer, or refuses when none is left', () => {
    expect(decideSession(facts())).toEqual({ kind: 'engine' });
    expect(decideSession(facts({ draining: true }))).toEqual({ kind: 'handshake-elsewhere', port: 40002 });
    expect(decideSession(facts({ draining: true, acceptingPeer: () => undefined }))).toEqual({ kind: 'refuse-stopping' });
    expect(decideSession(facts({ draining: true, forwarded: true }))).toEqual({ kind: 'engine' });
  });

  it('a session held here goes to Engine.IO, one held by a live sibling is forwarded', () => {
    expect(decideSession(facts({ sid: SID1, hasSession: () => true }))).toEqual({ kind: 'engine' });
    expect(decideSession(facts({ sid: SID2 }))).toEqual({ kind: 'forward', port: 40002 });
  });

  it('sessions this deployment closed are `ended`: here (Engine.IO answers) or on a departed worker (we answer)', () => {
    expect(decideSession(facts({ sid: SID1, closedHere: () => true }))).toEqual({ kind: 'unknown', cause: 'ended', answer: 'engine' });
    expect(decideSession(facts({ sid: SID3 }))).toEqual({ kind: 'unknown', cause: 'ended', answer: 'self' });
  });

  it('ids never issued are `unknown`; a live sibling’s session reached without stickiness is `misrouted`', () => {
    expect(decideSession(facts({ sid: 'forged' }))).toMatchObject({ cause: 'unknown' });
    expect(decideSession(facts({ sid: SID1 }))).toMatchObject({ cause: 'unknown' });
    expect(decideSession(facts({ sid: `9.${'D'.repeat(20)}` }))).toMatchObject({ cause: 'unknown' });
    expect(decideSession(facts({ sid: SID2, sticky: false }))).toEqual({ kind: 'unknown', cause: 'misrouted', answer: 'engine' });
    // A forwarded hop never forwards again.
    expect(decideSession(facts({ sid: SID2, forwarded: true }))).toMatchObject({ cause: 'misrouted' });
  });

  it("another machine's session is replayed there", () => {
    expect(decideSession(facts({ instance: 'm1', sid: `m2~${SID2}` }))).toEqual({ kind: 'replay', instance: 'm2' });
    expect(decideSession(facts({ instance: 'm1', sid: `m1~${SID2}` }))).toEqual({ kind: 'forward', port: 40002 });
  });
});
