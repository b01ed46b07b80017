/**
 * Drives a LoadClient over Engine.IO's websocket transport with k6/websockets (event loop based):
 * ws://…/socket.io/?EIO=4&transport=websocket, no polling handshake first. The server's open
 * packet arrives as the first frame; "40{auth}", pongs and emits go out as one frame each.
 * The VU iteration ends when the last socket and timer are gone.
 */
import { clearInterval, setInterval, setTimeout } from 'k6/timers';
import { WebSocket } from 'k6/websockets';
import type { SessionOutput } from './engineio.ts';
import type { LoadClient } from './k6-client.ts';

// WebSocket readyState values (literal: not every k6 release exposes the static constants).
const CONNECTING = 0;
const OPEN = 1;

/** Runs one client until its deadline, reconnecting after lost sessions. */
export function runWebSocketClient(client: LoadClient): void {
  const start = (): void => {
    const session = client.newSession();
    const ws = new WebSocket(session.websocketUrl(), null, { tags: { name: 'eio websocket', transport: 'websocket' } });
    let done = false;

    const sendQueued = (): void => {
      if (ws.readyState !== OPEN) return;
      for (const frame of session.takeFrames()) ws.send(frame);
    };
    const settle = (out: SessionOutput): void => {
      if (done) return;
      const next = client.handle(out);
      sendQueued();
      if (next === 'continue') return;
      done = true;
      clearInterval(ticker);
      if (ws.readyState === OPEN || ws.readyState === CONNECTING) ws.close();
      if (next === 'reconnect') setTimeout(start, client.reconnectDelayMs());
    };

    // Every 500 ms: the client's deadline (Socket.IO DISCONNECT, then close the socket; onclose
    // reports 'client close') and the server's heartbeat (no ping for pingInterval + pingTimeout).
    let closingTicks = -1;
    const ticker = setInterval(() => {
      if (closingTicks < 0 && client.timeLeftMs() <= 0) {
        closingTicks = 0;
        session.close();
        sendQueued();
        ws.close();
      }
      // Closed before the open packet (no close report follows), or no onclose within 5 s.
      if (closingTicks >= 0 && (session.state === 'closed' || ++closingTicks > 10)) {
        done = true;
        clearInterval(ticker);
        return;
      }
      const out = session.checkHeartbeat();
      if (out) settle(out);
    }, 500);

    ws.onmessage = (ev) => {
      const data = ev?.data;
      if (typeof data === 'string') settle(session.handleWsMessage(data));
      else settle(session.handleWsClose('binary frame: not supported', true));
    };
    ws.onerror = (ev) => settle(session.handleWsClose(ev?.error ?? 'websocket error', true));
    ws.onclose = () => settle(session.handleWsClose('websocket closed'));
  };
  start();
}
