import { describe, expect, it } from 'vitest';
import { feedKindFromReadyz, feedNotice } from './feed-notice.js';
import { vehiclePopupLines } from './format.js';

describe('feed notice', () => {
  it('reads the feed kind from /readyz, up or down', () => {
    expect(feedKindFromReadyz({ status: 'ok', details: { feed: { feed: 'simulator', status: 'up' } } })).toBe('simulator');
    expect(feedKindFromReadyz({ status: 'error', details: { feed: { feed: '511' } } })).toBe('511');
    expect(feedKindFromReadyz({ status: 'ok' })).toBeNull();
    expect(feedKindFromReadyz('nope')).toBeNull();
  });
  it('says so for simulated vehicles only', () => {
    expect(feedNotice('simulator')).toMatch(/Simulated vehicles/);
    expect(feedNotice('511')).toBeNull();
    expect(feedNotice(null)).toBeNull();
  });
});

describe('vehiclePopupLines', () => {
  const now = 1_700_000_100_000;
  it('route with headsign, label, occupancy and data age', () => {
    expect(vehiclePopupLines({ id: 'SF:5812', routeId: '14', updatedAt: now - 45_000, label: '5812', headsign: 'Mission St & 11th St', occupancy: 'seatsAvailable' }, now)).toEqual([
      'Route 14 → Mission St & 11th St',
      'Vehicle 5812',
      'Occupancy: seats available',
      'Position 45 s old',
    ]);
  });
  it('falls back to the id and leaves out what the feed does not say', () => {
    expect(vehiclePopupLines({ id: 'bus-1', routeId: '', updatedAt: now - 300_000 }, now)).toEqual(['Unknown route', 'Vehicle bus-1', 'Position 5 min old']);
  });
});
