import { existsSync } from 'node:fs';
import path from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Config } from '../config/config.js';
import { installDiagnosticRoutes } from './diagnostic-routes.js';
import type { SecurityHeaders } from './security-headers.js';

/** Where `scripts/build-web.mjs` puts the browser map (next to the compiled server). */
export const PUBLIC_DIR = path.resolve(import.meta.dirname, '../public');

/**
 * Express-level settings of a worker: CORS allow-list, security headers (helmet, see
 * `security-headers.ts`), and the map's static files — `index.html` always revalidated,
 * content-hashed assets cached for a year.
 */
export function configureHttp(app: NestExpressApplication, config: Config, security: SecurityHeaders): void {
  app.disable('x-powered-by');
  if (config.CORS_ORIGINS.length > 0) {
    app.enableCors({ origin: config.CORS_ORIGINS.includes('*') ? '*' : [...config.CORS_ORIGINS] });
  }
  app.use(security.middleware);
  if (config.DIAGNOSTIC_ROUTES) installDiagnosticRoutes(app);
  if (!existsSync(PUBLIC_DIR)) return; // API-only build: the map was not built
  app.useStaticAssets(PUBLIC_DIR, {
    index: 'index.html',
    setHeaders: (res: { setHeader(k: string, v: string): void }, file: string) => {
      const hashed = file.includes(`${path.sep}assets${path.sep}`);
      res.setHeader('Cache-Control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
}
