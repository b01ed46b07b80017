/** A WGS84 position in degrees. */
export interface LatLon {
  lat: number;
  lon: number;
}

/** A simulated route: an id as GTFS would name it and the corridor it runs along. */
export interface RouteShape {
  id: string;
  name: string;
  /** Outbound order; vehicles bounce between the first and last waypoint. */
  waypoints: readonly LatLon[];
}

/** A route's polyline with cumulative distances precomputed, so lookups are cheap. */
export interface RoutePath {
  id: string;
  points: readonly LatLon[];
  /** `cumulative[i]` = metres from the first point to `points[i]`. */
  cumulative: readonly number[];
  /** Total length in metres. */
  length: number;
}

type Pt = readonly [lat: number, lon: number];
const pts = (list: readonly Pt[]): LatLon[] => list.map(([lat, lon]) => ({ lat, lon }));

// The Market Street subway, shared by every Muni Metro line (westbound stations first).
const SUBWAY: readonly Pt[] = [
  [37.7752, -122.4193], [37.7796, -122.4141], [37.7844, -122.4078],
  [37.7894, -122.4011], [37.7929, -122.3971],
];
// Twin Peaks tunnel from West Portal to Church & Market, shared by K, L and M.
const TWIN_PEAKS: readonly Pt[] = [
  [37.7408, -122.4656], [37.7481, -122.459], [37.7626, -122.4352], [37.7673, -122.429],
];

/**
 * A dozen SF Muni-like routes whose waypoints follow the real corridors closely enough
 * that simulated vehicles move along plausible streets on the map.
 */
export const ROUTES: readonly RouteShape[] = [
  {
    id: 'N', name: 'N Judah',
    // Ocean Beach → Judah → Carl → Sunset tunnel → Duboce → Market subway → Caltrain.
    waypoints: pts([
      [37.7604, -122.5087], [37.7611, -122.4953], [37.7617, -122.4846], [37.7622, -122.4664],
      [37.7657, -122.4498], [37.7693, -122.4334], [37.7694, -122.4292], ...SUBWAY,
      [37.7903, -122.3895], [37.7803, -122.3897], [37.7764, -122.3942],
    ]),
  },
  {
    id: 'J', name: 'J Church',
    // Balboa Park → San Jose Ave → Glen Park → Church St → Market subway.
    waypoints: pts([
      [37.7215, -122.4474], [37.7236, -122.4453], [37.729, -122.438], [37.733, -122.434],
      [37.742, -122.4271], [37.7517, -122.4279], [37.7612, -122.4285], [37.7673, -122.429],
      [37.7694, -122.4292], ...SUBWAY,
    ]),
  },
  {
    id: 'KT', name: 'KT Ingleside-Third',
    // Balboa Park → Ocean Ave → West Portal → subway → Embarcadero → 3rd St → Sunnydale.
    waypoints: pts([
      [37.7215, -122.4474], [37.7245, -122.4625], [37.735, -122.4713], ...TWIN_PEAKS,
      ...SUBWAY, [37.7903, -122.3895], [37.7803, -122.3897], [37.7705, -122.3893],
      [37.7602, -122.388], [37.7425, -122.3875], [37.7335, -122.391], [37.7205, -122.3975],
      [37.7087, -122.405],
    ]),
  },
  {
    id: 'L', name: 'L Taraval',
    // SF Zoo → Taraval St → West Portal → Twin Peaks tunnel → Market subway.
    waypoints: pts([
      [37.7358, -122.5048], [37.7422, -122.5043], [37.7428, -122.4905], [37.7431, -122.4756],
      [37.7416, -122.4685], ...TWIN_PEAKS, ...SUBWAY,
    ]),
  },
  {
    id: 'M', name: 'M Ocean View',
    // Balboa Park → Broad St → 19th Ave → St Francis Circle → West Portal → subway.
    waypoints: pts([
      [37.7215, -122.4474], [37.713, -122.456], [37.714, -122.471], [37.7215, -122.475],
      [37.728, -122.475], [37.735, -122.4713], ...TWIN_PEAKS, ...SUBWAY,
    ]),
  },
  {
    id: '1', name: '1 California',
    // Outer Richmond → California St → Clay St → Drumm St (Embarcadero).
    waypoints: pts([
      [37.784, -122.493], [37.7847, -122.4725], [37.7858, -122.459], [37.7878, -122.4468],
      [37.7892, -122.4336], [37.7905, -122.4222], [37.7937, -122.409], [37.7944, -122.4043],
      [37.7955, -122.3965],
    ]),
  },
  {
    id: '5', name: '5 Fulton',
    // Ocean Beach → Fulton St → McAllister St → Market St → Salesforce Transit Center.
    waypoints: pts([
      [37.771, -122.5103], [37.7725, -122.4846], [37.7731, -122.472], [37.7743, -122.4588],
      [37.776, -122.4465], [37.7775, -122.4385], [37.7787, -122.431], [37.7802, -122.4205],
      [37.7805, -122.417], [37.7835, -122.4077], [37.789, -122.401], [37.7897, -122.3966],
    ]),
  },
  {
    id: '14', name: '14 Mission',
    // Daly City BART → Mission St the whole way → Salesforce Transit Center.
    waypoints: pts([
      [37.7062, -122.469], [37.7081, -122.4622], [37.7095, -122.453], [37.7163, -122.4405],
      [37.7288, -122.4313], [37.7423, -122.422], [37.7524, -122.4184], [37.765, -122.4196],
      [37.773, -122.4196], [37.7762, -122.416], [37.783, -122.4066], [37.7858, -122.4016],
      [37.7909, -122.3955],
    ]),
  },
  {
    id: '22', name: '22 Fillmore',
    // Mission Bay → 16th St → Church → Duboce → Fillmore St → the Marina.
    waypoints: pts([
      [37.7665, -122.389], [37.766, -122.404], [37.765, -122.4196], [37.7642, -122.4285],
      [37.7694, -122.4292], [37.77, -122.431], [37.7721, -122.4306], [37.778, -122.4322],
      [37.784, -122.433], [37.7891, -122.434], [37.7972, -122.4356], [37.801, -122.4361],
      [37.803, -122.4363],
    ]),
  },
  {
    id: '38', name: '38 Geary',
    // Market & Sutter → Geary Blvd → Point Lobos (48th Ave).
    waypoints: pts([
      [37.7895, -122.401], [37.7875, -122.4035], [37.7873, -122.4083], [37.7855, -122.4216],
      [37.784, -122.433], [37.7829, -122.4396], [37.7822, -122.4473], [37.7815, -122.4591],
      [37.7806, -122.4723], [37.78, -122.4848], [37.7795, -122.4928], [37.7798, -122.5107],
    ]),
  },
  {
    id: '38R', name: '38R Geary Rapid',
    // Salesforce Transit Center → Geary Blvd, rapid stops only → 48th Ave.
    waypoints: pts([
      [37.7897, -122.3966], [37.7895, -122.401], [37.7873, -122.4083], [37.7855, -122.4216],
      [37.784, -122.433], [37.7822, -122.4473], [37.7806, -122.4723], [37.7795, -122.4928],
      [37.7798, -122.5107],
    ]),
  },
  {
    id: '49', name: '49 Van Ness/Mission',
    // City College → Ocean Ave → Mission St → South Van Ness → Van Ness Ave → North Point.
    waypoints: pts([
      [37.7253, -122.4517], [37.7235, -122.4358], [37.7288, -122.4313], [37.7423, -122.422],
      [37.7524, -122.4184], [37.765, -122.4196], [37.7752, -122.4194], [37.78, -122.4205],
      [37.7855, -122.4216], [37.7905, -122.4226], [37.7985, -122.424], [37.8047, -122.4252],
    ]),
  },
];

const EARTH_RADIUS_M = 6_371_008.8;
const rad = (deg: number): number => (deg * Math.PI) / 180;

/** Great-circle (haversine) distance between two points, in metres. */
export function distanceMeters(a: LatLon, b: LatLon): number {
  const dLat = rad(b.lat - a.lat);
  const dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Initial bearing from `a` towards `b`, degrees clockwise from true north in [0, 360). */
export function bearingBetween(a: LatLon, b: LatLon): number {
  const dLon = rad(b.lon - a.lon);
  const y = Math.sin(dLon) * Math.cos(rad(b.lat));
  const x = Math.cos(rad(a.lat)) * Math.sin(rad(b.lat)) - Math.sin(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.cos(dLon);
  const deg = (Math.atan2(y, x) * 180) / Math.PI;
  return (deg + 360) % 360;
}

/** Total length of a polyline in metres. */
export function polylineLength(points: readonly LatLon[]): number {
  let total = 0;
  for (let i = 1; i < points.length; i++) total += distanceMeters(points[i - 1]!, points[i]!);
  return total;
}

/** Precomputes the cumulative distances of a route so {@link pointAtDistance} is O(log n). */
export function toRoutePath(route: RouteShape): RoutePath {
  const cumulative = [0];
  for (let i = 1; i < route.waypoints.length; i++) {
    cumulative.push(cumulative[i - 1]! + distanceMeters(route.waypoints[i - 1]!, route.waypoints[i]!));
  }
  return { id: route.id, points: route.waypoints, cumulative, length: cumulative[cumulative.length - 1]! };
}

/**
 * The point `distance` metres along the path (clamped to its ends) and the bearing of
 * the segment it lies on, in the path's own (outbound) direction.
 */
export function pointAtDistance(path: RoutePath, distance: number): LatLon & { bearing: number } {
  const d = Math.min(Math.max(distance, 0), path.length);
  const i = segmentIndex(path.cumulative, d);
  const a = path.points[i]!;
  const b = path.points[i + 1]!;
  const span = path.cumulative[i + 1]! - path.cumulative[i]!;
  // Linear interpolation in degrees is accurate to centimetres over segments this short.
  const f = span > 0 ? (d - path.cumulative[i]!) / span : 0;
  return { lat: a.lat + (b.lat - a.lat) * f, lon: a.lon + (b.lon - a.lon) * f, bearing: bearingBetween(a, b) };
}

/** Index of the segment [i, i+1] containing distance `d` (binary search). */
function segmentIndex(cumulative: readonly number[], d: number): number {
  let lo = 0;
  let hi = cumulative.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (cumulative[mid]! <= d) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
