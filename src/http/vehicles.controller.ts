import type { ClientConfig } from '../protocol/client-config.js';
import { BadRequestException, Controller, Get, Headers, Inject, Query, Res, ServiceUnavailableException } from '@nestjs/common';
import type { Snapshot } from '../domain/vehicle.js';
import { feedAgencies } from '../feed/feed.factory.js';
import { pickAgency } from '../gateway/subscribe.schema.js';
import { filterSnapshot, routeSetKey } from '../store/route-filter.js';
import { SnapshotCache } from '../worker/snapshot-cache.js';
import { ViewerReporter } from '../worker/viewer-reporter.js';
import { WORKER_CONTEXT, type WorkerContext } from '../worker/worker-context.js';
import { ifNoneMatchHits, parseRoutesQuery, snapshotEtag } from './etag.js';

/**
 * The HTTP fallback for clients without a socket: the newest snapshot with an ETag. Each
 * request counts as a viewer for 2 × FALLBACK_INTERVAL_MS, so polling stays on for them.
 */
/** The slice of Express's response this controller uses. */
interface HeaderSink {
  setHeader(name: string, value: string): unknown;
  status(code: number): unknown;
}

@Controller('api')
export class VehiclesController {
  constructor(
    @Inject(SnapshotCache) private readonly cache: SnapshotCache,
    @Inject(ViewerReporter) private readonly viewers: ViewerReporter,
    @Inject(WORKER_CONTEXT) private readonly ctx: WorkerContext,
  ) {}

  @Get('vehicles')
  vehicles(
    @Query('routes') routesParam: unknown,
    @Query('agency') agencyParam: unknown,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) res: HeaderSink,
  ): Snapshot | undefined {
    const parsed = parseRoutesQuery(routesParam);
    if ('error' in parsed) throw new BadRequestException(parsed.error);
    const agencies = feedAgencies(this.ctx.config);
    if (agencyParam !== undefined && typeof agencyParam !== 'string') throw new BadRequestException('agency: give one agency id (?agency=SF)');
    const picked = pickAgency(agencyParam || undefined, agencies);
    if ('error' in picked) throw new BadRequestException(`agency: ${picked.error}`);
    // With one agency (or none) there is nothing to filter or to count apart.
    const agency = agencies.length > 1 ? picked.agency : null;
    this.viewers.fallbackHit(Date.now(), agency);
    const snapshot = this.cache.snapshot;
    if (!snapshot) {
      res.setHeader('Retry-After', '2');
      throw new ServiceUnavailableException('No vehicle snapshot yet: the first upstream poll is under way; retry in a few seconds.');
    }
    const etag = snapshotEtag(snapshot.version, routeSetKey(parsed.routes, agency));
    const age = this.cache.ageSeconds();
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'no-cache');
    if (age !== null) res.setHeader('X-Data-Age-Seconds', age.toFixed(1));
    if (ifNoneMatchHits(ifNoneMatch, etag)) {
      res.status(304);
      return undefined;
    }
    return filterSnapshot(snapshot, parsed.routes, agency);
  }

  /** What the browser map needs to know of the server's settings. */
  @Get('config')
  clientConfig(): ClientConfig {
    const c = this.ctx.config;
    // `agencies`: what `subscribe` may name (the first is the default); the map shows a picker for more than one.
    return { tileUrl: c.TILE_URL, tileAttribution: c.TILE_ATTRIBUTION, fallbackIntervalMs: c.FALLBACK_INTERVAL_MS, agencies: [...feedAgencies(c)] };
  }
}
