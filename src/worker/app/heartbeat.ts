import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CONFIG } from '../../config/config.module.js';
import type { Config } from '../../config/config.js';
import { beatIntervalMs } from '../../ipc/heartbeat.js';
import { ViewerReporter } from '../../live/viewer-reporter.js';
import { RecycleTriggers } from '../recycle-triggers.js';

/**
 * Viewer reports double as the heartbeat: a blocked event loop stops both, and the primary
 * kills a worker that misses WORKER_TIMEOUT_MS of them. Each beat also reads this worker's
 * RSS for the memory cap. It beats until the app has shut down (through the drain, which
 * the primary bounds by its own deadline), then stops with the viewer reports.
 */
@Injectable()
export class Heartbeat implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(ViewerReporter) private readonly viewers: ViewerReporter,
    @Inject(RecycleTriggers) private readonly recycling: RecycleTriggers,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.viewers.report();
      this.recycling.memorySample(process.memoryUsage.rss());
    }, beatIntervalMs(this.config.WORKER_TIMEOUT_MS));
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.viewers.stop();
  }
}
