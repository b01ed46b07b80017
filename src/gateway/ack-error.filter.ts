import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import { trace } from '@opentelemetry/api';
import type { SubscribeAck } from '../protocol/wire.js';

const tracer = trace.getTracer('transit-tracker');

/**
 * A refused client event is answered on its ack, as the wire contract says
 * (`{ status: 'error', message }`), not with Nest's separate `exception` event, which the
 * map and third-party clients do not listen for (it is not in the event maps). A client that
 * sent no ack asked for no answer and gets none. Every refusal is a `socket.io <event>` span with
 * `transit.ok=false`.
 */
@Catch(WsException)
export class AckErrorFilter implements ExceptionFilter<WsException> {
  catch(exception: WsException, host: ArgumentsHost): void {
    const ws = host.switchToWs();
    tracer.startSpan(`socket.io ${String(ws.getPattern())}`, { attributes: { 'transit.ok': false } }).end();
    // Nest calls a handler with (socket, data, ack, pattern); `ack` is undefined when the client gave none.
    const ack: unknown = host.getArgByIndex(2);
    if (typeof ack !== 'function') return;
    const error = exception.getError();
    const answer: SubscribeAck = { status: 'error', message: typeof error === 'string' ? error : String((error as { message?: unknown }).message ?? error) };
    ack(answer);
  }
}
