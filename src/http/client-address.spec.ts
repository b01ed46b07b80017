import { describe, expect, it } from 'vitest';
import { addressKey, clientAddress, viaTls } from './client-address.js';

describe('clientAddress', () => {
  it('is the peer unless a trusted proxy names the client in Fly-Client-IP', () => {
    const named = { 'fly-client-ip': '203.0.113.7' };
    expect(clientAddress(named, '172.16.0.2', true)).toBe('203.0.113.7');
    // Without TRUST_PROXY the header is the client's own claim: ignored.
    expect(clientAddress(named, '172.16.0.2', false)).toBe('172.16.0.2');
    expect(clientAddress({}, '172.16.0.2', true)).toBe('172.16.0.2');
    expect(clientAddress({ 'fly-client-ip': 'not-an-address' }, '172.16.0.2', true)).toBe('172.16.0.2');
    expect(clientAddress({}, '::ffff:127.0.0.1', false)).toBe('127.0.0.1');
    expect(clientAddress({}, undefined, false)).toBe('unknown');
  });
});

describe('viaTls', () => {
  it('believes X-Forwarded-Proto only from a trusted proxy', () => {
    expect(viaTls({ 'x-forwarded-proto': 'https' }, true)).toBe(true);
    expect(viaTls({ 'x-forwarded-proto': 'HTTPS, http' }, true)).toBe(true);
    expect(viaTls({ 'x-forwarded-proto': 'http' }, true)).toBe(false);
    expect(viaTls({ 'x-forwarded-proto': 'https' }, false)).toBe(false);
    expect(viaTls({}, true)).toBe(false);
  });
});

describe('addressKey', () => {
  it('keys IPv4 by the address and IPv6 by its /64', () => {
    expect(addressKey('198.51.100.4')).toBe('198.51.100.4');
    expect(addressKey('2001:db8:0:12:aaaa::1')).toBe('2001:db8:0:12::/64');
    expect(addressKey('2001:0db8:0000:0012:ffff:ffff:ffff:ffff')).toBe('2001:db8:0:12::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
    expect(addressKey('unknown')).toBe('unknown');
  });
});
