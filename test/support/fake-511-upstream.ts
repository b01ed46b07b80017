import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Vehicle } from '../../src/domain/vehicle.js';
import { encodeVehiclePositions } from '../../src/feed/gtfs-rt/gtfs-rt.encode.js';

/**
 * How the fake answers: a valid feed; 401 (as 511.org does for a bad token); 429 with
 * `Retry-After` (`retryAfter`: seconds or an HTTP date); 500; 200 with a body that is not the
 * format; 200 with zero bytes; 200 with a SIRI delivery that holds no VehicleActivity.
 */
export type Fake511Mode = 'ok' | 'unauthorized' | 'rate_limited' | 'http500' | 'malformed' | 'empty' | 'no-activity';

/** One request the fake received. */
export interface Fake511Call {
  at: number;
  path: string;
  agency: string | null;
  format: string | null;
  /** The `api_key` query parameter as received. */
  apiKey: string | null;
  /** Every other header and the raw URL minus the key, to check where the key travels. */
  headers: Record<string, string | string[] | undefined>;
  status: number;
}

export interface Fake511Upstream {
  /** The FEED_BASE_URL to use (`http://127.0.0.1:<port>/transit`). */
  baseUrl: string;
  calls: () => Fake511Call[];
  setVehicles(agency: string, vehicles: Vehicle[]): void;
  setMode(mode: Fake511Mode, retryAfter?: string): void;
  close(): Promise<void>;
}

/** A SIRI VehicleMonitoring delivery shaped like 511.org's `format=json` answer (bodies come with a UTF-8 BOM). */
export function siriDelivery(agency: string, vehicles: Vehicle[], now: number, opts: { singleObjects?: boolean } = {}): unknown {
  const activities = vehicles.map((v) => ({
    RecordedAtTime: new Date(v.updatedAt).toISOString(),
    ValidUntilTime: '',
    MonitoredVehicleJourney: {
      LineRef: v.routeId || null,
      DirectionRef: v.direction ?? 'IB',
      FramedVehicleJourneyRef: { DataFrameRef: new Date(now).toISOString().slice(0, 10), DatedVehicleJourneyRef: `trip-${v.id}` },
      PublishedLineName: v.routeId,
      OperatorRef: agency,
      OriginRef: '15551',
      OriginName: 'Origin',
      DestinationRef: '17145',
      // 511 sends a plain string here; SIRI proper allows a list.
      DestinationName: v.headsign ?? 'Downtown',
      Monitored: true,
      InCongestion: null,
      VehicleLocation: { Longitude: String(v.lon), Latitude: String(v.lat) },
      Bearing: v.bearing === null ? null : `${v.bearing}.0000000000`,
      Occupancy: v.occupancy ?? 'seatsAvailable',
      VehicleRef: v.label ?? v.id,
      MonitoredCall: { StopPointRef: '15552', StopPointName: 'Stop', VehicleLocationAtStop: '', VehicleAtStop: 'false' },
    },
  }));
  const single = opts.singleObjects && activities.length === 1;
  // A quiet delivery leaves VehicleActivity out altogether.
  const vmd = { version: '1.4', ResponseTimestamp: new Date(now).toISOString(), Status: true, ...(activities.length > 0 ? { VehicleActivity: single ? activities[0] : activities } : {}) };
  return {
    Siri: {
      ServiceDelivery: {
        ResponseTimestamp: new Date(now).toISOString(),
        ProducerRef: agency,
        Status: true,
        VehicleMonitoringDelivery: single ? vmd : [vmd],
      },
    },
  };
}

const BOM = '\uFEFF';

/**
 * A fake api.511.org/transit on 127.0.0.1 (random port): `/transit/VehicleMonitoring`
 * (SIRI JSON with a BOM) and `/transit/vehiclepositions` (GTFS-RT protobuf), keyed by
 * `agency`; a token other than `apiKey` gets 401, like the real one. Counts every call.
 */
export async function startFake511Upstream(opts: { apiKey: string; vehicles?: Record<string, Vehicle[]> }): Promise<Fake511Upstream> {
  const fleets = new Map(Object.entries(opts.vehicles ?? {}));
  let mode: Fake511Mode = 'ok';
  let retryAfter: string | undefined;
  const calls: Fake511Call[] = [];
  const sockets = new Set<Socket>();
  let closing: Promise<void> | undefined;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    const url = new URL(req.url ?? '/', 'http://fake');
    const call: Fake511Call = {
      at: Date.now(),
      path: url.pathname,
      agency: url.searchParams.get('agency'),
      format: url.searchParams.get('format'),
      apiKey: url.searchParams.get('api_key'),
      headers: { ...req.headers },
      status: 200,
    };
    calls.push(call);
    call.status = answer(res, url, call, mode, retryAfter, fleets, opts.apiKey);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}/transit`,
    calls: () => [...calls],
    setVehicles: (agency, vehicles) => void fleets.set(agency, [...vehicles]),
    setMode: (next, after) => {
      mode = next;
      retryAfter = after;
    },
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      })),
  };
}

function answer(res: ServerResponse, url: URL, call: Fake511Call, mode: Fake511Mode, retryAfter: string | undefined, fleets: Map<string, Vehicle[]>, apiKey: string): number {
  const send = (status: number, type: string, body: string | Uint8Array, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': type, ...headers });
    res.end(body);
    return status;
  };
  const siri = url.pathname === '/transit/VehicleMonitoring';
  if (!siri && url.pathname !== '/transit/vehiclepositions') return send(404, 'text/plain', 'not found\n');
  if (call.apiKey !== apiKey || mode === 'unauthorized') return send(401, 'text/plain', 'Invalid API key\n');
  if (mode === 'rate_limited') return send(429, 'text/plain', 'Too many requests\n', retryAfter === undefined ? {} : { 'retry-after': retryAfter });
  if (mode === 'http500') return send(500, 'text/plain', 'upstream exploded\n');
  if (mode === 'empty') return send(200, siri ? 'application/json; charset=utf-8' : 'application/x-protobuf', '');
  if (mode === 'malformed') return send(200, siri ? 'application/json; charset=utf-8' : 'application/x-protobuf', '<html>502 Bad Gateway</html>');
  const vehicles = mode === 'no-activity' ? [] : (fleets.get(call.agency ?? '') ?? []);
  if (!siri) return send(200, 'application/x-protobuf', encodeVehiclePositions(vehicles, Date.now()));
  return send(200, 'application/json; charset=utf-8', BOM + JSON.stringify(siriDelivery(call.agency ?? '', vehicles, Date.now())));
}
