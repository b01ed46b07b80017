import { describe, expect, it } from 'vitest';
import { pickAgency } from '../protocol/agency.js';
import { parseSubscribe } from './subscribe.schema.js';

describe('parseSubscribe with agencies', () => {
  const agencies = ['SF', 'AC'];

  it('defaults to the first agency and accepts any configured one', () => {
    expect(parseSubscribe({ routes: [] }, agencies)).toEqual({ routes: null, agency: 'SF' });
    expect(parseSubscribe({ routes: ['51B'], agency: 'AC' }, agencies)).toEqual({ routes: new Set(['51B']), agency: 'AC' });
  });

  it('names an unknown agency and the ones served, without echoing more than an id', () => {
    expect(parseSubscribe({ routes: [], agency: 'BA' }, agencies)).toEqual({ error: 'agency: unknown agency "BA": this server serves SF, AC' });
    expect(parseSubscribe({ routes: [], agency: 'x'.repeat(500) }, agencies)).toEqual({ error: 'agency: agency ids are 1–32 characters of A–Z, a–z, 0–9, _ -' });
    expect(parseSubscribe({ routes: [], agency: 7 }, agencies)).toEqual({ error: 'agency: agency must be a string' });
  });

  it('with one implicit agency (simulator, gtfs-rt) nothing changes; naming one is an error', () => {
    expect(parseSubscribe({ routes: ['N'] })).toEqual({ routes: new Set(['N']), agency: null });
    expect(parseSubscribe({ routes: [], agency: 'SF' })).toEqual({ error: 'agency: unknown agency "SF": this feed has no agencies to choose from; omit agency' });
    expect(pickAgency(undefined, [])).toEqual({ agency: null });
  });
});
