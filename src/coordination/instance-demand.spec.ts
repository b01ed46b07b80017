import { describe, expect, it } from 'vitest';
import { combineDemand, parseInstanceDemand } from './instance-demand.js';

describe('combineDemand', () => {
  const none = { sockets: 0, fallback: false };

  it('adds live entries of other instances and ignores expired ones and our own', () => {
    const others = [
      { instance: 'a', sockets: 3, fallbackUntil: 0, expiresAt: 2000 },
      { instance: 'b', sockets: 5, fallbackUntil: 0, expiresAt: 999 },
      { instance: 'me', sockets: 100, fallbackUntil: 0, expiresAt: 5000 },
    ];
    expect(combineDemand({ sockets: 1, fallback: false }, 'me', others, 1000)).toEqual({ sockets: 4, fallback: false });
  });

  it('keeps a remote fallback viewer until its window closes', () => {
    const others = [{ instance: 'a', sockets: 0, fallbackUntil: 1500, expiresAt: 9000 }];
    expect(combineDemand(none, 'me', others, 1000)).toEqual({ sockets: 0, fallback: true, fallbackUntil: 1500 });
    expect(combineDemand(none, 'me', others, 1500)).toEqual(none);
  });
});

describe('parseInstanceDemand', () => {
  it('rejects malformed entries instead of trusting them', () => {
    expect(parseInstanceDemand('{"instance":"a","sockets":2,"fallbackUntil":0,"expiresAt":5}')).toEqual({ instance: 'a', sockets: 2, fallbackUntil: 0, expiresAt: 5 });
    expect(parseInstanceDemand('not json')).toBeNull();
    expect(parseInstanceDemand('{"instance":1}')).toBeNull();
    expect(parseInstanceDemand(null)).toBeNull();
    expect(parseInstanceDemand('{"instance":"a","sockets":-4,"expiresAt":5}')?.sockets).toBe(0);
  });
});
