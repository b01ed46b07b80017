import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NestExpressApplication } from '@nestjs/platform-express';

/** Path of the byte-integrity probe (only with DIAGNOSTIC_ROUTES=true). */
export const ECHO_HASH_PATH = '/_diag/sha256';

/**
 * `POST /_diag/sha256`: answers `{ bytes, sha256 }` of the raw request body. It lets tests
 * and the pre-deploy probe prove, from outside, that no byte of a request is lost or
 * reordered between the client and the worker (the router's hand-off, forwarding between
 * workers). Off unless `DIAGNOSTIC_ROUTES=true`; it reads at most 8 MiB.
 */
export function installDiagnosticRoutes(app: NestExpressApplication): void {
  app.use(ECHO_HASH_PATH, (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    if (req.method !== 'POST') return next();
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.byteLength;
      if (bytes > 8 * 1024 * 1024) return void req.destroy();
      hash.update(c);
    });
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      res.end(JSON.stringify({ bytes, sha256: hash.digest('hex') }));
    });
  });
}
