import type { Socket } from 'node:net';

/**
 * The connections the primary handed to this worker that are still open. A request that
 * arrives on one came through the public port (the router); any other reached the worker's
 * loopback port (forwarded by a sibling). The drain waits for them to end.
 */
export class HandedIn {
  private readonly open = new Set<Socket>();

  add(socket: Socket, onClose: () => void): void {
    this.open.add(socket);
    socket.once('close', () => {
      this.open.delete(socket);
      onClose();
    });
  }

  has(socket: Socket): boolean {
    return this.open.has(socket);
  }

  get size(): number {
    return this.open.size;
  }
}
