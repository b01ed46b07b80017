/** Why the router refused a connection before reading it (`transit_router_refused_total{reason}`). */
export type AdmitRefusal = 'max_connections' | 'max_connections_per_ip';

export interface LedgerLimits {
  /** Open connections on the public port, whichever worker holds them; 0 = no limit. */
  maxConnections: number;
  /** Open connections from one address; 0 = no limit. */
  maxPerIp: number;
}

/**
 * Counts the public port's open connections, in total and per client address, across the
 * hand-off: the router admits a connection before it reads it, the worker that was handed
 * it reports its close, and a worker that dies releases all of its connections at once.
 * Pure bookkeeping (no sockets, no timers), so the router's caps are tested without processes.
 */
export class ConnectionLedger {
  private total = 0;
  private readonly byIp = new Map<string, number>();
  /** Connection id → holder (a worker id, or 0 while the router itself still reads it). */
  private readonly open = new Map<number, { ip: string; holder: number }>();
  private nextId = 1;

  constructor(private readonly limits: LedgerLimits) {}

  /** Admits a new connection from `ip`: its id, or the reason it must be refused. */
  admit(ip: string): { id: number } | { refused: AdmitRefusal } {
    const { maxConnections, maxPerIp } = this.limits;
    if (maxConnections > 0 && this.total >= maxConnections) return { refused: 'max_connections' };
    const fromIp = this.byIp.get(ip) ?? 0;
    if (maxPerIp > 0 && fromIp >= maxPerIp) return { refused: 'max_connections_per_ip' };
    const id = this.nextId++;
    this.open.set(id, { ip, holder: 0 });
    this.byIp.set(ip, fromIp + 1);
    this.total += 1;
    return { id };
  }

  /** Connection `id` now belongs to worker `workerId`. */
  assign(id: number, workerId: number): void {
    const c = this.open.get(id);
    if (c) c.holder = workerId;
  }

  /** Connection `id` closed (the router refused it, or its worker reported the close). */
  release(id: number): void {
    const c = this.open.get(id);
    if (!c) return;
    this.open.delete(id);
    this.total -= 1;
    const left = (this.byIp.get(c.ip) ?? 1) - 1;
    if (left > 0) this.byIp.set(c.ip, left);
    else this.byIp.delete(c.ip);
  }

  /** Worker `workerId` exited: every connection it held is closed with it. Returns how many. */
  releaseWorker(workerId: number): number {
    let n = 0;
    for (const [id, c] of this.open) {
      if (c.holder !== workerId) continue;
      this.release(id);
      n += 1;
    }
    return n;
  }

  get size(): number {
    return this.total;
  }

  openFrom(ip: string): number {
    return this.byIp.get(ip) ?? 0;
  }
}
