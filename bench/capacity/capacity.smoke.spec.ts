// The capacity benchmark's machinery against both real servers, small: the reference
// fixture starts and serves socket.io-client, the generators report receipts, and the
// step reads CPU and memory of the right processes. Figures are the benchmark's job.
import { describe, expect, it } from 'vitest';
import { measureIdle } from './idle.ts';
import { runStep } from './step.ts';
import { startReference, startService, type Target } from './targets.ts';

// The two targets run side by side (20 clients each is little for two cores): the suite waits
// for one startup, not two.
describe.concurrent('capacity benchmark step', () => {
  for (const [name, start] of [
    ['service', startService],
    ['reference', startReference],
  ] as const) {
    it(`holds 20 websocket clients on the ${name} and measures the fan-out`, async () => {
      const target: Target = await start();
      try {
        if (name === 'service') {
          // Idle first: no process wakes on a fast timer (prom-client's default event-loop
          // sampling woke each one 100 times a second; now 10, plus heartbeats and the feed).
          const idle = await measureIdle(target, 2, 1_500);
          expect(idle.processes).toHaveLength(3);
          for (const p of idle.processes) expect(p.wakeupsPerS, p.role).toBeLessThan(40);
        }
        const r = await runStep(target, { kind: 'websocket', clients: 20, windowS: 2.5, generators: 2, settleMs: 500, tailMs: 1_500 });
        expect(r.target).toBe(name);
        expect(r.connected).toBe(20);
        expect(r.errors).toEqual({});
        // One delta a second: a 2.5 s window holds 2 or 3 versions, each received by all 20.
        expect(r.versions).toBeGreaterThanOrEqual(2);
        expect(r.missed).toBe(0);
        expect(r.spread.p95).not.toBeNull();
        expect(r.delay.p50).toBeGreaterThanOrEqual(0);
        // A primary and two workers, all alive and measured.
        expect(r.rssMiB).toBeGreaterThan(100);
        expect(r.processes).toBe(3);
      } finally {
        await target.stop();
      }
    }, 60_000);
  }
});
