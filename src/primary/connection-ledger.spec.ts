import { describe, expect, it } from 'vitest';
import { ConnectionLedger } from './connection-ledger.js';

describe('ConnectionLedger', () => {
  it('caps connections per address and in total, and frees a slot on release', () => {
    const l = new ConnectionLedger({ maxConnections: 3, maxPerIp: 2 });
    const a = l.admit('a');
    const b = l.admit('a');
    expect(l.admit('a')).toEqual({ refused: 'max_connections_per_ip' });
    const c = l.admit('b');
    expect(l.admit('c')).toEqual({ refused: 'max_connections' });
    expect(l.size).toBe(3);
    l.release((a as { id: number }).id);
    expect(l.openFrom('a')).toBe(1);
    expect('id' in l.admit('a')).toBe(true);
    l.release((b as { id: number }).id);
    l.release((c as { id: number }).id);
    l.release((c as { id: number }).id); // twice: counted once
    expect(l.size).toBe(1);
  });

  it('0 means no cap', () => {
    const l = new ConnectionLedger({ maxConnections: 0, maxPerIp: 0 });
    for (let i = 0; i < 10_000; i++) expect('id' in l.admit('a')).toBe(true);
    expect(l.openFrom('a')).toBe(10_000);
  });

  it("a worker's exit releases exactly the connections it held", () => {
    const l = new ConnectionLedger({ maxConnections: 0, maxPerIp: 0 });
    const ids = ['a', 'a', 'b', 'c'].map((ip) => (l.admit(ip) as { id: number }).id);
    l.assign(ids[0]!, 1);
    l.assign(ids[1]!, 2);
    l.assign(ids[2]!, 1);
    expect(l.releaseWorker(1)).toBe(2);
    expect(l.size).toBe(2);
    expect(l.openFrom('a')).toBe(1);
    expect(l.openFrom('b')).toBe(0);
    expect(l.releaseWorker(1)).toBe(0);
  });
});
