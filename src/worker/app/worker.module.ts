import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';
import { CONFIG, ConfigModule, LOGGER, type WorkerIdentity } from '../../config/config.module.js';
import type { Config } from '../../config/config.js';
import { GatewayModule } from '../../gateway/gateway.module.js';
import { HttpApiModule } from '../../http/http-api.module.js';
import { securityHeaders } from '../../http/security-headers.js';
import { PrimaryLink } from '../../ipc/primary-link.js';
import { LiveModule } from '../../live/live.module.js';
import { RefusalLog } from '../../logging/refusal-log.js';
import { recycleLimit } from '../../shared/recycle-limit.js';
import { ClosedSessions } from '../closed-sessions.js';
import { ConnectionReports } from '../connection-reports.js';
import { RecycleTriggers } from '../recycle-triggers.js';
import { WorkerDirectory } from '../worker-directory.js';
import { HandedIn } from './handed-in.js';
import { Heartbeat } from './heartbeat.js';
import { PrimaryMessages } from './primary-messages.js';
import { SessionDrain } from './session-drain.js';
import { SessionRouting } from './session-routing.js';
import { SECURITY_HEADERS } from './tokens.js';

/**
 * A worker's Nest application: its config and live state (global), the Socket.IO gateway,
 * the HTTP API, and the process side — session routing, the primary's messages, the
 * heartbeat and the drain, as lifecycle hooks.
 */
@Module({})
export class WorkerModule {
  static forRoot(identity: WorkerIdentity): DynamicModule {
    return {
      module: WorkerModule,
      imports: [ConfigModule.forWorker(identity), LiveModule, GatewayModule, HttpApiModule],
      providers: [
        { provide: SECURITY_HEADERS, inject: [CONFIG], useFactory: (config: Config) => securityHeaders(config) },
        { provide: RefusalLog, inject: [LOGGER], useFactory: (logger: Logger) => new RefusalLog(logger) },
        WorkerDirectory,
        ClosedSessions,
        HandedIn,
        { provide: ConnectionReports, inject: [PrimaryLink], useFactory: (link: PrimaryLink) => new ConnectionReports((m) => link.send(m)) },
        { provide: RecycleTriggers, inject: [CONFIG, PrimaryLink], useFactory: recycleTriggers },
        PrimaryMessages,
        SessionRouting,
        Heartbeat,
        SessionDrain,
      ],
      exports: [SECURITY_HEADERS, RefusalLog],
    };
  }
}

/** gunicorn's max_requests, counted in new sessions, and a memory cap: past either the worker asks the primary to recycle it. */
function recycleTriggers(config: Config, link: PrimaryLink): RecycleTriggers {
  const sessionLimit = recycleLimit(config.MAX_SESSIONS_PER_WORKER, config.MAX_SESSIONS_JITTER);
  return new RecycleTriggers({ sessionLimit, rssLimitBytes: config.MAX_WORKER_RSS_MB * 2 ** 20 }, (a) => link.send({ t: 'recycle-me', ...a }));
}
