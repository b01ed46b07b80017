import WebSocket from 'ws';
import { nextAddress } from './addresses.js';
import { decodeEnginePacket, parseOpenPacket, type OpenPacketData } from '../../loadtest/lib/engineio.ts';

/** How a websocket ended: the close code and reason the server sent. */
export interface Closed {
  code: number;
  reason: string;
}

/**
 * A raw Engine.IO v4 websocket (the `ws` package, no Socket.IO client): text and binary
 * frames go out exactly as given, and what comes back is read one message at a time. The
 * server's pings are answered; its snapshots and deltas are skipped by `next`.
 */
export class WsSession {
  readonly ws: WebSocket;
  open!: OpenPacketData;
  private readonly inbox: string[] = [];
  private waiter: (() => void) | null = null;
  closed: Closed | null = null;

  private constructor(url: string) {
    this.ws = new WebSocket(url, { perMessageDeflate: false, localAddress: nextAddress() });
    this.ws.on('message', (data, isBinary) => {
      const text = isBinary ? `<binary ${(data as Buffer).byteLength}>` : data.toString();
      if (text === '2') return this.ws.send('3');
      this.inbox.push(text);
      this.wake();
    });
    this.ws.on('close', (code, reason) => {
      this.closed ??= { code, reason: reason.toString() };
      this.wake();
    });
    this.ws.on('error', () => undefined);
  }

  /** Opens `/socket.io/?EIO=4&transport=websocket` and reads the open packet; with `connect`, joins `/` too. */
  static async connect(port: number, connect: boolean, timeoutMs = 3_000): Promise<WsSession> {
    const s = new WsSession(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
    const first = await s.next(() => true, timeoutMs);
    if (typeof first !== 'string') {
      s.ws.terminate();
      throw new Error(`websocket handshake: ${first ? `closed ${first.code} ${first.reason}` : 'no open packet'}`);
    }
    s.open = parseOpenPacket(decodeEnginePacket(first));
    if (connect) {
      s.ws.send('40');
      const ok = await s.next((m) => m.startsWith('40'), timeoutMs);
      if (typeof ok !== 'string') {
        s.ws.terminate();
        throw new Error(`socket.io CONNECT: ${ok ? `closed ${ok.code} ${ok.reason}` : 'no answer'}`);
      }
    }
    return s;
  }

  /**
   * The next message that `match` accepts (others are dropped: the server's snapshots and
   * deltas), the close if the server closes first, or null after `timeoutMs`.
   */
  async next(match: (m: string) => boolean, timeoutMs: number): Promise<string | Closed | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.inbox.length > 0) {
        const m = this.inbox.shift()!;
        if (match(m)) return m;
      }
      if (this.closed) return this.closed;
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.waiter = null;
    }
  }

  /** Waits for the server to close (any message before is dropped), or null after `timeoutMs`. */
  async closedWithin(timeoutMs: number): Promise<Closed | null> {
    const r = await this.next(() => false, timeoutMs);
    return r && typeof r !== 'string' ? r : null;
  }

  /** Writes bytes under the websocket framing (raw, malformed frames). */
  writeRaw(bytes: Buffer): void {
    (this.ws as unknown as { _socket: { write(b: Buffer): void } })._socket.write(bytes);
  }

  end(): void {
    this.ws.terminate();
  }

  private wake(): void {
    this.waiter?.();
  }
}

/** A client-to-server frame (RFC 6455 §5.2), masked unless told otherwise; fields may break the rules. */
export function frame(f: { fin?: boolean; rsv?: number; opcode: number; payload: Buffer; mask?: boolean; declaredLength?: bigint }): Buffer {
  const mask = f.mask ?? true;
  const len = f.declaredLength ?? BigInt(f.payload.byteLength);
  const head: number[] = [((f.fin ?? true) ? 0x80 : 0) | ((f.rsv ?? 0) << 4) | (f.opcode & 0x0f)];
  const m = mask ? 0x80 : 0;
  if (len < 126n) head.push(m | Number(len));
  else if (len < 65536n) head.push(m | 126, Number(len >> 8n) & 0xff, Number(len) & 0xff);
  else {
    head.push(m | 127);
    for (let i = 7; i >= 0; i--) head.push(Number((len >> BigInt(8 * i)) & 0xffn));
  }
  if (!mask) return Buffer.concat([Buffer.from(head), f.payload]);
  const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const body = Buffer.from(f.payload.map((b, i) => b ^ key[i % 4]!));
  return Buffer.concat([Buffer.from(head), key, body]);
}
