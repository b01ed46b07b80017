/**
 * Transport-agnostic Engine.IO v4 + Socket.IO v5 client session, as a state machine with no I/O.
 * The caller does the I/O (k6 sync http / k6 websockets / Node fetch) and feeds each HTTP
 * response or ws frame in; every input returns a SessionOutput (what happened), and packets to
 * send pile up in an outbox the caller drains (flushRequest() for polling, takeFrames() for ws).
 *
 * Polling:   handshakeRequest() → handleHttpResponse() → flushRequest() (POST "40{auth}") →
 *            loop { pollRequest() → handleHttpResponse() → flushRequest() if any }
 * WebSocket: websocketUrl() → handleWsMessage(frame) for each frame → takeFrames() → ws.send each
 * States: new → opening (handshake sent) → open (EIO open received, CONNECT queued) →
 *         connected (Socket.IO CONNECT acknowledged) → closing (close() called) → closed.
 */
import { classifyPollingResponse, parseEngineIoError, sessionUnknownCause, type HttpHeaders } from './engineio-classify.ts';
import { ProtocolError, decodeEnginePacket, decodePayload, encodeEnginePacket, encodePayload, parseOpenPacket, type EnginePacket, type OpenPacketData } from './engineio-codec.ts';
import { buildEngineUrl, cacheBuster, emptyOutput, type CloseReason, type EioSessionOptions, type HttpRequest } from './engineio-types.ts';
import type { Inbound, SessionClose, SessionOutput, SessionState, TransportName } from './engineio-types.ts';
import { DEFAULT_NAMESPACE, decodeSocketPacket, encodeSocketPacket, type SocketPacket } from './socketio-codec.ts';

export class EioSession {
  state: SessionState = 'new';
  sid: string | undefined; // Engine.IO session id (open packet)
  socketId: string | undefined; // Socket.IO socket id (CONNECT answer)
  handshake: OpenPacketData | undefined;
  /** How the session ended, once closed. */
  closeInfo: SessionClose | undefined;
  lastPingAt = 0;
  readonly transport: TransportName;
  readonly namespace: string;
  private readonly opts: EioSessionOptions;
  private outbox: EnginePacket[] = [];
  private buffered: SocketPacket[] = [];
  private nextAckId = 0;
  private pendingAcks = new Map<number, number>();
  private everOpened = false;
  private everConnected = false;
  private closeFlushed = false;

  constructor(opts: EioSessionOptions) {
    this.opts = opts;
    this.transport = opts.transport ?? 'polling';
    this.namespace = opts.namespace ?? DEFAULT_NAMESPACE;
  }

  get isOpen(): boolean {
    return this.state === 'open' || this.state === 'connected';
  }

  private url(transport: TransportName, withSid: boolean): string {
    if (withSid && this.sid === undefined) throw new Error(`EioSession: no sid yet (state ${this.state})`);
    const t = transport === 'polling' ? cacheBuster() : undefined;
    return buildEngineUrl({ ...this.opts, transport, sid: withSid ? this.sid : undefined, t });
  }

  private request(kind: HttpRequest['kind'], body?: string): HttpRequest {
    const headers: Record<string, string> = { ...this.opts.headers };
    const req: HttpRequest = { kind, method: kind === 'post' ? 'POST' : 'GET', url: this.url('polling', kind !== 'handshake'), headers };
    if (body !== undefined) {
      req.body = body;
      headers['Content-Type'] = 'text/plain;charset=UTF-8';
    }
    return req;
  }

  /** The first polling GET; moves to 'opening'. */
  handshakeRequest(): HttpRequest {
    if (this.state !== 'new') throw new Error(`EioSession: handshake in state ${this.state}`);
    this.state = 'opening';
    return this.request('handshake');
  }

  pollRequest(): HttpRequest {
    return this.request('poll');
  }

  /** POST of every queued packet, or null when nothing is queued. */
  flushRequest(): HttpRequest | null {
    if (this.outbox.length === 0) {
      // Like engine.io-client: the close packet goes alone, after the buffer (DISCONNECT) drained;
      // in one payload the server would drop the transport before handling the DISCONNECT.
      if (this.state !== 'closing' || this.transport !== 'polling' || this.closeFlushed) return null;
      this.closeFlushed = true;
      return this.request('post', encodeEnginePacket({ type: 'close' }));
    }
    const body = encodePayload(this.outbox);
    this.outbox = [];
    return this.request('post', body);
  }

  /** ws:// URL (no polling handshake first); moves to 'opening'. */
  websocketUrl(): string {
    if (this.state !== 'new') throw new Error(`EioSession: handshake in state ${this.state}`);
    this.state = 'opening';
    return this.url('websocket', false).replace(/^http/, 'ws');
  }

  /** Queued packets, one encoded ws frame each. */
  takeFrames(): string[] {
    const frames = this.outbox.map(encodeEnginePacket);
    this.outbox = [];
    return frames;
  }

  hasOutgoing(): boolean {
    return this.outbox.length > 0 || (this.state === 'closing' && this.transport === 'polling' && !this.closeFlushed);
  }

  /** Long-poll timeout that still tells a dead server from an idle one. */
  pollTimeoutMs(): number {
    return this.handshake ? this.handshake.pingInterval + this.handshake.pingTimeout + 5_000 : 30_000;
  }

  /** Emits an event; buffered until the namespace is connected. Returns the ack id if `ack`. */
  emit(name: string, args: unknown[] = [], ack = false, now = Date.now()): number | undefined {
    const packet: SocketPacket = { type: 'EVENT', nsp: this.namespace, name, args };
    let id: number | undefined;
    if (ack) {
      id = this.nextAckId++;
      packet.id = id;
      this.pendingAcks.set(id, now);
    }
    if (this.state === 'connected') this.queueSocket(packet);
    else if (this.state === 'new' || this.state === 'opening' || this.state === 'open') this.buffered.push(packet);
    return id;
  }

  /** Answers an event the server emitted with an ack id. */
  ack(id: number, args: unknown[] = []): void {
    this.queueSocket({ type: 'ACK', nsp: this.namespace, id, args });
  }

  /** Client-side close: queues DISCONNECT; on polling a later flushRequest() carries the close packet. */
  close(): void {
    if (this.state === 'new' || this.state === 'opening') {
      this.state = 'closed';
      return;
    }
    if (!this.isOpen) return;
    if (this.state === 'connected') this.queueSocket({ type: 'DISCONNECT', nsp: this.namespace });
    this.state = 'closing'; // on polling, flushRequest() then sends the close packet
  }

  /** Feeds one HTTP answer in; with its `headers`, a 400 "Session ID unknown" carries its cause. */
  handleHttpResponse(req: HttpRequest, status: number, body: string | null | undefined, now = Date.now(), headers?: HttpHeaders | null): SessionOutput {
    const cls = classifyPollingResponse(status, body);
    const out = emptyOutput(cls, status, sessionUnknownCause(cls, headers));
    if (this.state === 'closed') return out;
    if (this.state === 'closing') {
      // The answer to the POST that carried the close packet, or the poll it ended.
      return this.closeFlushed ? this.finish(out, 'client close') : out;
    }
    if (out.classification !== 'ok' && out.classification !== 'closed') {
      const err = parseEngineIoError(body);
      const detail = `${req.method} ${req.kind} → ${status}${err ? ` code ${err.code} ${err.message}` : ''}${out.sessionCause ? ` (${out.sessionCause})` : ''}`;
      return this.finish(out, 'http error', detail);
    }
    if (req.kind === 'post') {
      if (body !== 'ok') out.errors.push(`unexpected POST answer ${JSON.stringify(body)}`);
      return out;
    }
    try {
      this.process(decodePayload(body ?? ''), out, now);
    } catch (err) {
      this.protocolError(out, err);
    }
    return out;
  }

  handleWsMessage(data: string, now = Date.now()): SessionOutput {
    const out = emptyOutput('ok');
    if (this.state === 'closed') return out;
    try {
      this.process([decodeEnginePacket(data)], out, now);
    } catch (err) {
      this.protocolError(out, err);
    }
    return out;
  }

  /** The websocket closed, or failed (`error`): 'client close' after close(), else 'transport error'. */
  handleWsClose(detail?: string, error = false): SessionOutput {
    const out = emptyOutput(error ? 'network_error' : 'ok');
    if (error && detail !== undefined) out.errors.push(detail);
    if (this.state === 'closed') return out;
    return this.finish(out, this.state === 'closing' ? 'client close' : 'transport error', detail);
  }

  /** Closes with 'ping timeout' when the server has been silent too long; null otherwise. */
  checkHeartbeat(now = Date.now()): SessionOutput | null {
    if (!this.isOpen || !this.handshake) return null;
    const limit = this.handshake.pingInterval + this.handshake.pingTimeout;
    if (now - this.lastPingAt <= limit) return null;
    return this.finish(emptyOutput('ok'), 'ping timeout', `no ping for ${now - this.lastPingAt} ms`);
  }

  private queueSocket(packet: SocketPacket): void {
    this.outbox.push({ type: 'message', data: encodeSocketPacket(packet) });
  }

  private protocolError(out: SessionOutput, err: unknown): void {
    if (!(err instanceof ProtocolError)) throw err;
    out.errors.push(err.message);
    this.finish(out, 'protocol error', err.message);
  }

  private finish(out: SessionOutput, reason: CloseReason, detail?: string): SessionOutput {
    const close: SessionClose = {
      reason,
      lost: this.everOpened && reason !== 'client close' && reason !== 'connect error',
      wasConnected: this.everConnected,
    };
    if (out.classification !== 'ok') close.classification = out.classification;
    if (out.sessionCause) close.sessionCause = out.sessionCause;
    if (out.status !== undefined) close.status = out.status;
    if (detail !== undefined) close.detail = detail;
    out.closed = this.closeInfo = close;
    this.state = 'closed';
    this.outbox = [];
    return out;
  }

  private process(packets: EnginePacket[], out: SessionOutput, now: number): void {
    for (const packet of packets) {
      if (this.state === 'closed') return;
      if (this.state === 'opening' && packet.type !== 'open') {
        throw new ProtocolError('INVALID_HANDSHAKE', `expected open packet first, got ${packet.type}`, packet.data ?? '');
      }
      switch (packet.type) {
        case 'open': {
          if (this.state !== 'opening') throw new ProtocolError('INVALID_HANDSHAKE', 'unexpected second open packet', packet.data ?? '');
          const open = parseOpenPacket(packet);
          this.handshake = open;
          this.sid = open.sid;
          this.state = 'open';
          this.everOpened = true;
          this.lastPingAt = now;
          out.opened = open;
          const connect: SocketPacket = { type: 'CONNECT', nsp: this.namespace };
          if (this.opts.auth !== undefined) connect.data = this.opts.auth;
          this.queueSocket(connect);
          break;
        }
        case 'close':
          this.finish(out, 'transport close');
          return;
        case 'ping':
          out.pings++;
          this.lastPingAt = now;
          this.outbox.push(packet.data === undefined ? { type: 'pong' } : { type: 'pong', data: packet.data });
          break;
        case 'message':
          this.onSocketPacket(decodeSocketPacket(packet.data ?? ''), out, now);
          break;
        default: // pong, upgrade, noop: nothing to do
      }
    }
  }

  private onSocketPacket(p: SocketPacket, out: SessionOutput, now: number): void {
    if (p.nsp !== this.namespace) return;
    switch (p.type) {
      case 'CONNECT': {
        if (this.state !== 'open') return;
        const sid = p.data && typeof p.data.sid === 'string' ? p.data.sid : '';
        this.state = 'connected';
        this.everConnected = true;
        this.socketId = sid;
        out.connected = { sid };
        for (const b of this.buffered) this.queueSocket(b);
        this.buffered = [];
        return;
      }
      case 'CONNECT_ERROR':
        out.connectError = p.data;
        this.finish(out, 'connect error', p.data.message);
        return;
      case 'DISCONNECT':
        this.finish(out, 'server disconnect');
        return;
      case 'EVENT': {
        const ev: Inbound = { kind: 'event', name: p.name, args: p.args };
        if (p.id !== undefined) ev.ackId = p.id;
        out.received.push(ev);
        return;
      }
      case 'ACK': {
        const ack: Inbound = { kind: 'ack', id: p.id, args: p.args };
        const sentAt = this.pendingAcks.get(p.id);
        if (sentAt !== undefined) {
          ack.rttMs = now - sentAt;
          this.pendingAcks.delete(p.id);
        }
        out.received.push(ack);
      }
    }
  }
}
