import { describe, expect, it } from 'vitest';
import { LeaseDeadline } from './lease-deadline.js';

const timing = { leaseMs: 3000, marginMs: 1000, takeoverDelayMs: 400 };

function clocked() {
  let t = 10_000;
  const lease = new LeaseDeadline(timing, () => t);
  return { lease, at: (ms: number) => void (t = ms), now: () => t };
}

describe('LeaseDeadline', () => {
  it('steps down lease − margin after the sending of the last renewal that succeeded, however late its answer', () => {
    const { lease, at } = clocked();
    at(10_300); // answer of a take sent at 10 000 arrives 300 ms later
    lease.held(10_000);
    expect(lease.valid()).toBe(true);
    at(11_999);
    expect(lease.valid()).toBe(true);
    at(12_000); // 10 000 + 3000 − 1000: Redis's PX started after the sending, so it still holds there
    expect(lease.valid()).toBe(false);
    expect(lease.mayPoll()).toBe(false);
  });

  it('waits the takeover delay from the answer before polling, then polls until the deadline', () => {
    const { lease, at } = clocked();
    at(10_100);
    lease.held(10_000);
    expect(lease.mayPoll()).toBe(false);
    expect(lease.nextChangeIn()).toBe(400);
    at(10_500);
    expect(lease.mayPoll()).toBe(true);
    expect(lease.nextChangeIn()).toBe(1500); // until 12 000
  });

  it('renewals push the deadline without restarting the takeover delay', () => {
    const { lease, at } = clocked();
    lease.held(10_000);
    for (let t = 10_500; t <= 20_000; t += 500) {
      at(t);
      lease.held(t);
      expect(lease.mayPoll()).toBe(true);
    }
    at(21_999);
    expect(lease.mayPoll()).toBe(true);
    at(22_000);
    expect(lease.mayPoll()).toBe(false);
  });

  it('a lease that lapsed locally restarts the takeover delay even if Redis still says it is ours', () => {
    const { lease, at } = clocked();
    lease.held(10_000);
    at(12_500); // lapsed: someone else may have held and polled meanwhile
    lease.held(12_400);
    expect(lease.valid()).toBe(true);
    expect(lease.mayPoll()).toBe(false);
    at(12_900);
    expect(lease.mayPoll()).toBe(true);
  });

  it('an answer that arrives after its own deadline does not make the lease valid', () => {
    const { lease, at } = clocked();
    at(12_500);
    lease.held(10_000);
    expect(lease.valid()).toBe(false);
    expect(lease.nextChangeIn()).toBeNull();
  });

  it('lost() stops at once', () => {
    const { lease, at } = clocked();
    lease.held(10_000);
    at(10_500);
    expect(lease.mayPoll()).toBe(true);
    lease.lost();
    expect(lease.mayPoll()).toBe(false);
    expect(lease.nextChangeIn()).toBeNull();
  });
});
