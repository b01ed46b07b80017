/**
 * The soak's browsers: real socket.io-client 4 clients (what the map page runs), with the
 * page's handshake auth `{ clientId, connects }`, default reconnection, and a record of every
 * session lost (when, why, on which worker and transport, and when the client was back).
 */
import { io, type Socket } from 'socket.io-client';

export type ClientKind = 'polling' | 'websocket';

export interface Disconnect {
  client: number;
  at: number;
  reason: string;
  detail: string;
  /** The worker that owned the session, from its id (`<worker base36>.<random>`). */
  worker: number | null;
  /** The session's Engine.IO id (engine.io-client clears its own before `disconnect`). */
  sid?: string | null;
  transport: string;
  /** When the client was connected again; null if not (yet). */
  backAt: number | null;
  /** The page was closed (reload, end of run) before it was back. */
  endedAt: number | null;
}

export interface SoakClient {
  index: number;
  clientId: string;
  kind: ClientKind;
  socket: Socket;
  createdAt: number;
  connects: number;
  worker: number | null;
  /** The current (or last) session's Engine.IO id. */
  sid: string | null;
  transport: string;
  /** Closed by the harness (page reload or end of run). */
  closed: boolean;
  closedAt: number | null;
  connectErrors: number;
}

/**
 * One connect attempt of a client: the first one, and each of the manager's reconnect
 * attempts. It ends with `connect`, a `connect_error`, or the page being closed.
 */
export interface HandshakeAttempt {
  client: number;
  startedAt: number;
  endedAt: number | null;
  outcome: 'connect' | 'error' | 'timeout' | 'closed' | null;
}

export interface HandshakeStats {
  attempts: number;
  /** Attempts that never completed: socket.io-client's own connect timeout, or no result within `deadlineMs`. */
  hung: number;
  deadlineMs: number;
}

/** Handshakes that never completed: the client's connect timeout, or no outcome within `deadlineMs` (pure). */
export function handshakeStats(attempts: readonly HandshakeAttempt[], deadlineMs: number, now: number): HandshakeStats {
  let hung = 0;
  for (const a of attempts) {
    if (a.outcome === 'timeout') hung += 1;
    else if ((a.outcome === null || a.outcome === 'closed') && (a.endedAt ?? now) - a.startedAt > deadlineMs) hung += 1;
  }
  return { attempts: attempts.length, hung, deadlineMs };
}

export interface LatencySample {
  at: number;
  ms: number;
}

const SID = /^([0-9a-z]{1,7})\.[A-Za-z0-9_-]{20}$/;

/** The worker a session id names (the service's `<worker base36>.<random>` ids), or null. */
export function workerOfSid(sid: string | undefined): number | null {
  const m = sid ? SID.exec(sid) : null;
  return m ? parseInt(m[1]!, 36) : null;
}

export class Fleet {
  readonly clients: SoakClient[] = [];
  readonly disconnects: Disconnect[] = [];
  readonly latencies: LatencySample[] = [];
  readonly connectErrors: Record<string, number> = {};
  readonly handshakes: HandshakeAttempt[] = [];
  private readonly attemptOf = new Map<number, HandshakeAttempt>();
  /** Times of every successful connect that was a reconnect (`connects > 0`). */
  readonly reconnectTimes: number[] = [];
  reloads = 0;
  deltas = 0;
  snapshots = 0;
  private readonly base: string;
  private readonly runId = Math.random().toString(36).slice(2, 8);

  constructor(base: string) {
    this.base = base;
  }

  live(): SoakClient[] {
    return this.clients.filter((c) => !c.closed);
  }

  connectedCount(): number {
    return this.live().filter((c) => c.socket.connected).length;
  }

  add(kind: ClientKind): SoakClient {
    const index = this.clients.length;
    const c: SoakClient = {
      index,
      clientId: `predeploy-${this.runId}-${index}`,
      kind,
      socket: undefined as unknown as Socket,
      createdAt: Date.now(),
      connects: 0,
      worker: null,
      sid: null,
      transport: 'polling',
      closed: false,
      closedAt: null,
      connectErrors: 0,
    };
    // A browser page: its own manager, socket.io-client's default reconnection and timeouts.
    c.socket = io(this.base, {
      transports: kind === 'polling' ? ['polling'] : ['polling', 'websocket'],
      forceNew: true,
      auth: (cb) => cb({ clientId: c.clientId, connects: c.connects }),
    });
    this.beginAttempt(index);
    c.socket.io.on('reconnect_attempt', () => this.beginAttempt(index));
    c.socket.on('connect', () => {
      const now = Date.now();
      this.endAttempt(index, 'connect');
      const engine = c.socket.io.engine;
      c.sid = engine?.id ?? null;
      c.worker = workerOfSid(engine?.id);
      c.transport = engine?.transport?.name ?? 'polling';
      engine?.once('upgrade', (t: { name: string }) => (c.transport = t.name));
      if (c.connects > 0) this.reconnectTimes.push(now);
      c.connects += 1;
      for (let i = this.disconnects.length - 1; i >= 0; i--) {
        const d = this.disconnects[i]!;
        if (d.client !== index) continue;
        if (d.backAt === null) d.backAt = now;
        break;
      }
    });
    c.socket.on('disconnect', (reason, details) => {
      if (c.closed && reason === 'io client disconnect') return;
      this.disconnects.push({ client: index, at: Date.now(), reason, detail: describe(details), worker: c.worker, sid: c.sid, transport: c.transport, backAt: null, endedAt: null });
    });
    c.socket.on('connect_error', (e) => {
      this.endAttempt(index, e.message === 'timeout' ? 'timeout' : 'error');
      c.connectErrors += 1;
      const key = e.message || 'connect_error';
      this.connectErrors[key] = (this.connectErrors[key] ?? 0) + 1;
    });
    c.socket.on('vehicles:snapshot', () => (this.snapshots += 1));
    c.socket.on('vehicles:delta', (d: { generatedAt?: number }) => {
      this.deltas += 1;
      const now = Date.now();
      if (typeof d?.generatedAt === 'number') this.latencies.push({ at: now, ms: now - d.generatedAt });
    });
    this.clients.push(c);
    return c;
  }

  /** A page reload: the page goes away (clean disconnect), a new page (new clientId) connects. */
  reload(c: SoakClient): SoakClient {
    this.close(c);
    this.reloads += 1;
    return this.add(c.kind);
  }

  close(c: SoakClient): void {
    c.closed = true;
    c.closedAt = Date.now();
    this.endAttempt(c.index, 'closed');
    for (const d of this.disconnects) if (d.client === c.index && d.backAt === null && d.endedAt === null) d.endedAt = c.closedAt;
    c.socket.close();
  }

  closeAll(): void {
    for (const c of this.live()) this.close(c);
  }

  /** Connect attempts that never completed (see `handshakeStats`). */
  handshakeStats(deadlineMs: number, now = Date.now()): HandshakeStats {
    return handshakeStats(this.handshakes, deadlineMs, now);
  }

  private beginAttempt(client: number): void {
    const open = this.attemptOf.get(client);
    // A new attempt while one is open: the manager gave up on it without telling this socket
    // (judged by how long it had been waiting, like a page closed mid-handshake).
    if (open && open.outcome === null) {
      open.endedAt = Date.now();
      open.outcome = 'closed';
    }
    const a: HandshakeAttempt = { client, startedAt: Date.now(), endedAt: null, outcome: null };
    this.handshakes.push(a);
    this.attemptOf.set(client, a);
  }

  private endAttempt(client: number, outcome: NonNullable<HandshakeAttempt['outcome']>): void {
    const a = this.attemptOf.get(client);
    if (!a || a.outcome !== null) return;
    a.endedAt = Date.now();
    a.outcome = outcome;
  }
}

function describe(details: unknown): string {
  if (!details || typeof details !== 'object') return '';
  const d = details as { description?: unknown; message?: unknown };
  const desc = d.description;
  if (desc instanceof Error) return desc.message;
  if (desc && typeof desc === 'object' && 'message' in desc) return String((desc as { message: unknown }).message);
  if (desc !== undefined) return String(desc);
  return typeof d.message === 'string' ? d.message : '';
}

/** Kinds for `n` clients, spread by `share` of polling-only clients (deterministic). */
export function kindsFor(n: number, pollingShare: number): ClientKind[] {
  const out: ClientKind[] = [];
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc += pollingShare;
    if (acc >= 1 - 1e-9) {
      acc -= 1;
      out.push('polling');
    } else out.push('websocket');
  }
  return out;
}
