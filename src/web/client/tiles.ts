/**
 * Whether the map's tiles are usable, from Leaflet's `tileload` / `tileerror` events. DOM-free.
 * Tiles count as unavailable when none is configured, when errors came before any tile ever
 * loaded, or after `maxConsecutiveErrors` errors in a row; one successful load clears it.
 */
export class TileHealth {
  private loads = 0;
  private errors = 0;
  private consecutiveErrors = 0;
  private configured = true;

  constructor(private readonly maxConsecutiveErrors = 3) {}

  /** No tile URL configured (or the config could not be loaded). */
  noTileLayer(): void {
    this.configured = false;
  }

  tileLayerAdded(): void {
    this.configured = true;
  }

  tileLoaded(): void {
    this.loads++;
    this.consecutiveErrors = 0;
  }

  tileFailed(): void {
    this.errors++;
    this.consecutiveErrors++;
  }

  get unavailable(): boolean {
    if (!this.configured) return true;
    if (this.loads === 0) return this.errors > 0;
    return this.consecutiveErrors >= this.maxConsecutiveErrors;
  }
}
