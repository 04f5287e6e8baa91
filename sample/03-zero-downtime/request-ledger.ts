import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** What the server did with the requests it accepted (probes of `/health` counted apart). */
export interface RequestLedger {
  /** Requests the server parsed (before any framework or library saw them). */
  accepted: number;
  /** Responses written completely (`finish`). */
  finished: number;
  /** Responses whose connection closed before they were complete. */
  aborted: number;
  /** Requests to `/health…` (load-balancer checks), whatever their answer. */
  probes: number;
  /** Responses by status code (probes excluded). */
  statuses: Record<string, number>;
}

const isProbe = (url: string | undefined): boolean => url?.startsWith('/health') ?? false;

/**
 * Counts every request `server` accepts, at the Node level, and how its response ended. Prints
 * (epoch milliseconds, so that another process can line them up with its own clock):
 * - `ROUTED <ms>` at the first request that is not a probe: the load balancer uses this instance;
 * - `ABORTED {…}` for each response cut off: its URL (the load generator makes each one unique),
 *   when, and how many requests its connection had carried;
 * - `LEDGER {…}` when the server has closed and again at exit (the last line is complete: Nest's
 *   `enableShutdownHooks()` ends the process by re-raising the signal, which skips `exit`
 *   handlers).
 *
 * It listens on Node's `http.server.request.start` diagnostics channel rather than the server's
 * `request` event: the channel fires for every parsed request before any listener runs, so the
 * count holds whatever a framework or library does with the `request` listeners.
 *
 * @example
 * installRequestLedger(app.getHttpServer());
 */
export function installRequestLedger(server: Server): RequestLedger {
  const ledger: RequestLedger = { accepted: 0, finished: 0, aborted: 0, probes: 0, statuses: {} };
  const carried = new WeakMap<Socket, number>();
  subscribe('http.server.request.start', (message) => {
    const {
      server: from,
      request,
      response,
    } = message as {
      server: Server;
      request: IncomingMessage;
      response: ServerResponse;
    };
    if (from !== server) return;
    if (isProbe(request.url)) {
      ledger.probes++;
      return;
    }
    if (ledger.accepted++ === 0) console.log(`ROUTED ${Date.now()}`);
    const socket = request.socket;
    const onConnection = (carried.get(socket) ?? 0) + 1;
    carried.set(socket, onConnection);
    response.on('finish', () => {
      ledger.finished++;
      ledger.statuses[response.statusCode] = (ledger.statuses[response.statusCode] ?? 0) + 1;
    });
    response.on('close', () => {
      if (response.writableFinished) return;
      ledger.aborted++;
      const at = Date.now();
      console.log(`ABORTED ${JSON.stringify({ url: request.url, at, onConnection })}`);
    });
  });
  const print = (): void => console.log(`LEDGER ${JSON.stringify(ledger)}`);
  server.once('close', print);
  process.once('exit', print);
  watchListener(server);
  return ledger;
}

/**
 * Prints `SIGTERM <ms>` when the signal arrives and `UNLISTENED <ms>` when the server stops
 * listening (new connections refused from then on): no event says so — `close` waits for every
 * connection —, so it is polled every millisecond after the signal. Lined up with the proxy's
 * log and the replacement's `READY`, it shows the gap in which the port has no listener.
 */
function watchListener(server: Server): void {
  // Once: Nest's `enableShutdownHooks()` re-raises the signal, which must then end the process.
  process.prependOnceListener('SIGTERM', () => {
    console.log(`SIGTERM ${Date.now()}`);
    // Unref'd: it must not keep the process alive.
    const poll = setInterval(() => {
      if (server.listening) return;
      clearInterval(poll);
      console.log(`UNLISTENED ${Date.now()}`);
    }, 1);
    poll.unref();
  });
}
