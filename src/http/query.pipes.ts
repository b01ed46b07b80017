import { BadRequestException, Inject, Injectable, type PipeTransform } from '@nestjs/common';
import { CONFIG } from '../config/config.module.js';
import type { Config } from '../config/config.js';
import { feedAgencies } from '../feed/feed.factory.js';
import { pickAgency } from '../protocol/agency.js';
import type { RouteSet } from '../store/route-filter.js';
import { parseRoutesQuery } from './etag.js';

/** `?routes=N,38` → the route set (null: every route); a bad id is a 400 naming it. */
@Injectable()
export class RoutesQueryPipe implements PipeTransform<unknown, RouteSet> {
  transform(raw: unknown): RouteSet {
    const parsed = parseRoutesQuery(raw);
    if ('error' in parsed) throw new BadRequestException(parsed.error);
    return parsed.routes;
  }
}

/**
 * `?agency=SF` → the agency to filter by: null with one agency or none (nothing to filter or
 * count apart), else the one asked for or the first; an unknown one is a 400 listing the
 * server's agencies.
 */
@Injectable()
export class AgencyQueryPipe implements PipeTransform<unknown, string | null> {
  private readonly agencies: readonly string[];

  constructor(@Inject(CONFIG) config: Config) {
    this.agencies = feedAgencies(config);
  }

  transform(raw: unknown): string | null {
    if (raw !== undefined && typeof raw !== 'string') throw new BadRequestException('agency: give one agency id (?agency=SF)');
    const picked = pickAgency(raw || undefined, this.agencies);
    if ('error' in picked) throw new BadRequestException(`agency: ${picked.error}`);
    return this.agencies.length > 1 ? picked.agency : null;
  }
}
