/**
 * Leaflet map: one divIcon marker per vehicle, updated in place (no flicker), on a plain CSS
 * background when tiles are missing. Browser-only (DOM).
 */
import * as L from 'leaflet';
import { vehiclePopupLines } from './format.js';
import { routeHue, routeLabel } from './routes.js';
import { TileHealth } from './tiles.js';
import type { Vehicle } from '../../protocol/wire.js';

/** San Francisco, for the first view before any vehicle arrives. */
const SF_CENTER: L.LatLngTuple = [37.7749, -122.4194];

interface VehicleMarker {
  marker: L.Marker;
  heading: HTMLElement;
  label: HTMLElement;
  root: HTMLElement;
  lat: number;
  lon: number;
  bearing: number | null;
  routeId: string;
  /** The newest report, for the popup. */
  vehicle: Vehicle;
}

export class MapView {
  readonly map: L.Map;
  private readonly markers = new Map<string, VehicleMarker>();
  private readonly tiles = new TileHealth();
  private tileLayer: L.TileLayer | null = null;
  private fitted = false;

  constructor(
    container: HTMLElement,
    private readonly tileNote: HTMLElement,
  ) {
    this.map = L.map(container, { center: SF_CENTER, zoom: 12, zoomControl: true, preferCanvas: false });
    this.map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  }

  /** Adds the tile layer from `/api/config`; an empty URL means no tiles (plain background). */
  setTiles(url: string, attribution: string): void {
    this.tileLayer?.remove();
    this.tileLayer = null;
    if (url === '') {
      this.tiles.noTileLayer();
      this.updateTileNote();
      return;
    }
    this.tiles.tileLayerAdded();
    this.tileLayer = L.tileLayer(url, { maxZoom: 19, attribution, crossOrigin: false })
      .on('tileload', () => {
        this.tiles.tileLoaded();
        this.updateTileNote();
      })
      .on('tileerror', () => {
        this.tiles.tileFailed();
        this.updateTileNote();
      })
      .addTo(this.map);
    this.updateTileNote();
  }

  /** Shows exactly `vehicles`: moves existing markers, adds new ones, removes the rest. */
  render(vehicles: Iterable<Vehicle>): void {
    const seen = new Set<string>();
    for (const v of vehicles) {
      seen.add(v.id);
      const existing = this.markers.get(v.id);
      if (existing) this.update(existing, v);
      else this.markers.set(v.id, this.create(v));
    }
    for (const [id, m] of this.markers) {
      if (!seen.has(id)) {
        m.marker.remove();
        this.markers.delete(id);
      }
    }
    if (!this.fitted && this.markers.size > 0) {
      this.fitted = true;
      const bounds = L.latLngBounds([...this.markers.values()].map((m) => [m.lat, m.lon] as L.LatLngTuple));
      this.map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15, animate: false });
    }
  }

  get markerCount(): number {
    return this.markers.size;
  }

  markerPositions(): Record<string, [number, number]> {
    const out: Record<string, [number, number]> = {};
    for (const [id, m] of this.markers) {
      const ll = m.marker.getLatLng();
      out[id] = [ll.lat, ll.lng];
    }
    return out;
  }

  private create(v: Vehicle): VehicleMarker {
    const root = document.createElement('div');
    root.className = 'vehicle';
    const heading = document.createElement('span');
    heading.className = 'vehicle-heading';
    const label = document.createElement('span');
    label.className = 'vehicle-label';
    root.append(heading, label);

    // The icon element is passed as a node, and styles are set through CSSOM: no inline `style`
    // attributes, so a strict `style-src 'self'` CSP holds.
    const icon = L.divIcon({ html: root, className: 'vehicle-icon', iconSize: [28, 28], iconAnchor: [14, 14] });
    const marker = L.marker([v.lat, v.lon], { icon, keyboard: false, riseOnHover: true });
    const m: VehicleMarker = { marker, heading, label, root, lat: v.lat, lon: v.lon, bearing: null, routeId: '', vehicle: v };
    this.decorate(m, v, true);
    // Built when opened (and refreshed while open), so the data age is the age at that moment.
    marker.bindPopup(() => popupContent(m.vehicle), { className: 'vehicle-popup' });
    marker.addTo(this.map);
    return m;
  }

  private update(m: VehicleMarker, v: Vehicle): void {
    m.vehicle = v;
    if (m.marker.isPopupOpen()) m.marker.setPopupContent(popupContent(v));
    if (m.lat !== v.lat || m.lon !== v.lon) {
      m.marker.setLatLng([v.lat, v.lon]);
      m.lat = v.lat;
      m.lon = v.lon;
    }
    this.decorate(m, v, false);
  }

  private decorate(m: VehicleMarker, v: Vehicle, force: boolean): void {
    if (force || m.routeId !== v.routeId) {
      m.routeId = v.routeId;
      m.label.textContent = routeLabel(v.routeId);
      m.root.style.setProperty('--route-hue', String(routeHue(v.routeId)));
      m.root.classList.toggle('vehicle--long', routeLabel(v.routeId).length > 3);
      m.marker.getElement()?.setAttribute('title', markerTitle(v));
      m.marker.options.title = markerTitle(v);
    }
    if (force || m.bearing !== v.bearing) {
      m.bearing = v.bearing;
      m.heading.hidden = v.bearing === null;
      if (v.bearing !== null) m.heading.style.transform = `rotate(${v.bearing}deg)`;
    }
  }

  private updateTileNote(): void {
    const unavailable = this.tiles.unavailable;
    this.tileNote.hidden = !unavailable;
    this.map.getContainer().classList.toggle('map--no-tiles', unavailable);
  }
}

/** The popup as DOM text nodes (textContent only: feed strings are never parsed as HTML). */
function popupContent(v: Vehicle): HTMLElement {
  const box = document.createElement('div');
  for (const [i, line] of vehiclePopupLines(v, Date.now()).entries()) {
    const p = document.createElement(i === 0 ? 'strong' : 'div');
    p.textContent = line;
    box.append(p);
  }
  return box;
}

function markerTitle(v: Vehicle): string {
  const route = v.routeId === '' ? 'unknown route' : `route ${v.routeId}`;
  return `Vehicle ${v.id}, ${route}${v.bearing === null ? '' : `, heading ${Math.round(v.bearing)}°`}`;
}
