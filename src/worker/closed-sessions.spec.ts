import { describe, expect, it } from 'vitest';
import { CLOSED_SESSION_TTL_MS, ClosedSessions } from './closed-sessions.js';

describe('ClosedSessions', () => {
  it('remembers a closed session with its first cause, until the TTL passes', () => {
    let now = 0;
    const closed = new ClosedSessions(() => now);
    closed.add('1.a', 'worker_recycled');
    closed.add('1.a', 'session_closed');
    expect(closed.causeOf('1.a')).toBe('worker_recycled');
    expect(closed.causeOf('1.b')).toBeUndefined();
    now = CLOSED_SESSION_TTL_MS + 1;
    expect(closed.causeOf('1.a')).toBeUndefined();
  });

  it('prunes old entries as new ones arrive', () => {
    let now = 0;
    const closed = new ClosedSessions(() => now);
    closed.add('old', 'session_closed');
    now = CLOSED_SESSION_TTL_MS + 10;
    closed.add('new', 'session_closed');
    expect(closed.causeOf('new')).toBe('session_closed');
    expect(closed.causeOf('old')).toBeUndefined();
  });
});
