import { describe, expect, it } from 'vitest';
import { isPrimaryMessage, isWorkerMessage } from './messages.js';

describe('IPC message guards', () => {
  it('take each role’s own message types and not the other role’s', () => {
    for (const t of ['data', 'feed-status', 'coordination', 'directory', 'conn', 'drain', 'metrics-req']) {
      expect([isPrimaryMessage({ t }), isWorkerMessage({ t })]).toEqual([true, false]);
    }
    for (const t of ['ready', 'viewers', 'recycle-me', 'conns', 'metrics-res']) {
      expect([isPrimaryMessage({ t }), isWorkerMessage({ t })]).toEqual([false, true]);
    }
  });

  it('leave alone what other senders on the channel post (prom-client cluster aggregation, Node internals)', () => {
    for (const m of [null, undefined, 'data', 42, {}, { t: 'other' }, { type: 'data' }, { source: '_sio_adapter', t: undefined }]) {
      expect([isPrimaryMessage(m), isWorkerMessage(m)]).toEqual([false, false]);
    }
  });
});
