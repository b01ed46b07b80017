import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Config } from '../config/config.js';

/** Express-level settings of a worker's HTTP API: CORS allow-list and header hygiene. */
export function configureHttp(app: NestExpressApplication, config: Config): void {
  app.disable('x-powered-by');
  if (config.CORS_ORIGINS.length > 0) {
    app.enableCors({ origin: config.CORS_ORIGINS.includes('*') ? '*' : [...config.CORS_ORIGINS] });
  }
}
