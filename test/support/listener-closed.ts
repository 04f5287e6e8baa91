import type { Server } from 'node:net';
import { deferred } from './deferred.js';

/**
 * Resolves the moment `server` closes its listening socket — new connections are refused from
 * then on. No event says so (`'close'` waits for every connection to end): the listening
 * handle's own `close` is watched instead. Call it while the server listens.
 */
export function listenerClosed(server: Server): Promise<void> {
  const closed = deferred();
  const handle = (server as unknown as { _handle: { close: (...args: unknown[]) => unknown } })
    ._handle;
  const closeHandle = handle.close.bind(handle);
  handle.close = (...args: unknown[]) => {
    const result = closeHandle(...args);
    closed.resolve();
    return result;
  };
  return closed.promise;
}
