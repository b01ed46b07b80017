import { Inject, Injectable, type PipeTransform } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import { CONFIG } from '../config/config.module.js';
import type { Config } from '../config/config.js';
import { feedAgencies } from '../feed/feed.factory.js';
import { parseSubscribe, type Subscription } from './subscribe.schema.js';

/**
 * Validates a `subscribe` payload (subscribe.schema.ts) against this server's agencies. A bad
 * payload never reaches the handler: it becomes a `WsException` with the reason, which
 * {@link AckErrorFilter} answers on the client's ack.
 */
@Injectable()
export class SubscribePipe implements PipeTransform<unknown, Subscription> {
  private readonly agencies: readonly string[];

  constructor(@Inject(CONFIG) config: Config) {
    this.agencies = feedAgencies(config);
  }

  transform(payload: unknown): Subscription {
    const parsed = parseSubscribe(payload, this.agencies);
    if ('error' in parsed) throw new WsException(parsed.error);
    return parsed;
  }
}
