import type { INestApplication } from '@nestjs/common';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** How often a replacement tries the port again while the old instance still holds it. */
const RETRY_EVERY_MS = 5;

/** Whether `port` can be bound now (bound and released at once). */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EADDRINUSE' ? resolve(false) : reject(error),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/**
 * `app.listen(port, '127.0.0.1')` once the port is free, waiting at most `retryForMs`: a
 * replacement on the same port (a restart on one host, behind a load balancer with a fixed list
 * of backends) takes the port the moment the old instance lets go of it. Node 20 has no
 * `reusePort`, and no event tells another process that a port became free: it is polled with a
 * bare socket, so that Nest logs no error per attempt.
 *
 * @example
 * await listenWithRetry(app, 3000, 20_000);
 */
export async function listenWithRetry(
  app: INestApplication,
  port: number,
  retryForMs: number,
  onWaiting?: () => void,
): Promise<void> {
  // Booted first: the port is taken the moment it is free, not a boot later.
  await app.init();
  const giveUpAt = performance.now() + retryForMs;
  let waiting = false;
  while (port !== 0 && !(await portIsFree(port)) && performance.now() < giveUpAt) {
    if (!waiting) onWaiting?.();
    waiting = true;
    await sleep(RETRY_EVERY_MS);
  }
  await app.listen(port, '127.0.0.1');
}
