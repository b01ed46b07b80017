import type { TestingModuleBuilder } from '@nestjs/testing';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { WorkerIdentity } from '../config/config.module.js';
import { parseConfig } from '../config/config.js';
import type { WorkerMessage } from '../ipc/messages.js';
import { PrimaryLink } from '../ipc/primary-link.js';
import { WorkerMetrics } from '../metrics/worker-metrics.js';
import { LiveSockets } from './live-sockets.js';

/**
 * For specs that boot a worker feature module (`Test.createTestingModule`) over the real
 * ConfigModule and LiveModule: a worker identity from a plain env record (silent logger), and
 * the builder with what would leave the process replaced — the IPC link to the primary records
 * what the worker sends, and the metrics count in a registry of their own, not prom-client's
 * global one. Not used by the service; it is here because specs beside the code share it.
 */
export function testIdentity(env: Record<string, string> = {}, workerId = 7): WorkerIdentity {
  return { config: parseConfig(env), workerId, logger: pino({ level: 'silent' }) };
}

export function withoutPrimary(builder: TestingModuleBuilder, workerId = 7): { builder: TestingModuleBuilder; sent: WorkerMessage[] } {
  const sent: WorkerMessage[] = [];
  const link: Pick<PrimaryLink, 'send' | 'connected' | 'on'> = { send: (m) => void sent.push(m), connected: true, on: () => link as PrimaryLink };
  return {
    builder: builder
      .overrideProvider(PrimaryLink)
      .useValue(link)
      .overrideProvider(WorkerMetrics)
      .useFactory({ inject: [LiveSockets], factory: (sockets: LiveSockets) => new WorkerMetrics(workerId, () => sockets.byTransport(), new Registry()) }),
    sent,
  };
}

/** Listens on 127.0.0.1 on a free port; the base URL. */
export async function listenLoopback(app: { listen(port: number, host: string): Promise<unknown>; getHttpServer(): { address(): unknown } }): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
}
