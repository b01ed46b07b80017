import { describe, expect, it } from 'vitest';
import { ConnectionReports } from './connection-reports.js';

describe('ConnectionReports', () => {
  it('batches the connections taken and closed in one window into one message', () => {
    const sent: unknown[] = [];
    const turns: (() => void)[] = [];
    const r = new ConnectionReports((m) => sent.push(m), (fn) => turns.push(fn));
    r.taken(1);
    r.taken(2);
    r.ended(1);
    expect(turns).toHaveLength(1);
    turns.shift()!();
    expect(sent).toEqual([{ t: 'conns', acked: [1, 2], closed: [1] }]);
    r.ended(2);
    turns.shift()!();
    expect(sent[1]).toEqual({ t: 'conns', acked: [], closed: [2] });
  });
});
