import net, { type AddressInfo } from 'node:net';

/** A loopback port nobody listens on right now, for servers that cannot pick their own (HAProxy here; Redis and Prometheus in the tests). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
