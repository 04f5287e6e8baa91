import autocannon from 'autocannon';
import type { ClientTracker } from './client-tracker.js';

/** A running load; `stop()` ends it and resolves with autocannon's result (idempotent). */
export interface MixedLoad {
  stop(): Promise<autocannon.Result>;
}

/** The routes of sample/03-zero-downtime, drawn 50/50 for each request. */
const ROUTES = ['/fast', '/slow'] as const;

/**
 * Starts autocannon against `url`: `connections` keep-alive connections, one request at a time
 * on each (no pipelining), each request `GET /fast` or `GET /slow` at random, until `stop()`.
 * Every client is followed by `tracker`.
 *
 * @example
 * const load = startMixedLoad('http://127.0.0.1:3000', new ClientTracker(), 20);
 * const result = await load.stop();
 */
export function startMixedLoad(
  url: string,
  tracker: ClientTracker,
  connections: number,
): MixedLoad {
  let instance: autocannon.Instance | undefined;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url,
        connections,
        pipelining: 1,
        duration: 3600, // stopped by stop(), never by time
        sampleInt: 100, // stop() takes effect at the next sample
        requests: [
          {
            method: 'GET',
            setupRequest: (request) => ({
              ...request,
              path: ROUTES[Math.random() < 0.5 ? 0 : 1],
            }),
          },
        ],
        setupClient: tracker.setupClient,
      },
      (error: unknown, result) => (error === null ? resolve(result) : reject(error)),
    );
  });
  return {
    stop: () => {
      instance?.stop();
      return done;
    },
  };
}
