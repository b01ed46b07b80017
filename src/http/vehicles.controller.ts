import { Controller, Get, Headers, Inject, Query, Res, ServiceUnavailableException } from '@nestjs/common';
import { CONFIG } from '../config/config.module.js';
import type { Config } from '../config/config.js';
import type { Snapshot } from '../domain/vehicle.js';
import { feedAgencies } from '../feed/feed.factory.js';
import { SnapshotCache } from '../live/snapshot-cache.js';
import { ViewerReporter } from '../live/viewer-reporter.js';
import type { ClientConfig } from '../protocol/client-config.js';
import { filterSnapshot, routeSetKey, type RouteSet } from '../store/route-filter.js';
import { ifNoneMatchHits, snapshotEtag } from './etag.js';
import { AgencyQueryPipe, RoutesQueryPipe } from './query.pipes.js';

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
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  @Get('vehicles')
  vehicles(
    @Query('routes', RoutesQueryPipe) routes: RouteSet,
    @Query('agency', AgencyQueryPipe) agency: string | null,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) res: HeaderSink,
  ): Snapshot | undefined {
    this.viewers.fallbackHit(Date.now(), agency);
    const snapshot = this.cache.snapshot;
    if (!snapshot) {
      res.setHeader('Retry-After', '2');
      throw new ServiceUnavailableException('No vehicle snapshot yet: the first upstream poll is under way; retry in a few seconds.');
    }
    const etag = snapshotEtag(snapshot.version, routeSetKey(routes, agency));
    const age = this.cache.ageSeconds();
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'no-cache');
    if (age !== null) res.setHeader('X-Data-Age-Seconds', age.toFixed(1));
    if (ifNoneMatchHits(ifNoneMatch, etag)) {
      res.status(304);
      return undefined;
    }
    return filterSnapshot(snapshot, routes, agency);
  }

  /** What the browser map needs to know of the server's settings. */
  @Get('config')
  clientConfig(): ClientConfig {
    const c = this.config;
    // `agencies`: what `subscribe` may name (the first is the default); the map shows a picker for more than one.
    return { tileUrl: c.TILE_URL, tileAttribution: c.TILE_ATTRIBUTION, fallbackIntervalMs: c.FALLBACK_INTERVAL_MS, agencies: [...feedAgencies(c)] };
  }
}
