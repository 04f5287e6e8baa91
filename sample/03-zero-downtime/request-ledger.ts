import { subscribe } from 'node:diagnostics_channel';
import type { Server, ServerResponse } from 'node:http';

/** What the server did with the requests it accepted. */
export interface RequestLedger {
  /** Requests the server parsed (before any framework or library saw them). */
  accepted: number;
  /** Responses written completely (`finish`). */
  finished: number;
  /** Responses whose connection closed before they were complete. */
  aborted: number;
}

/**
 * Counts every request `server` accepts, at the Node level, and how its response ended; prints
 * `LEDGER {…}` when the server has closed and again at exit (the last line is the complete one:
 * Nest's `enableShutdownHooks()` ends the process by re-raising the signal, which skips `exit`
 * handlers).
 *
 * It listens on Node's `http.server.request.start` diagnostics channel rather than the server's
 * `request` event: the channel fires for every parsed request before any listener runs, so the
 * count holds even when a framework or library re-arranges the `request` listeners or answers
 * some requests itself.
 *
 * @example
 * installRequestLedger(app.getHttpServer());
 */
export function installRequestLedger(server: Server): RequestLedger {
  const ledger: RequestLedger = { accepted: 0, finished: 0, aborted: 0 };
  subscribe('http.server.request.start', (message) => {
    const { server: from, response } = message as { server: Server; response: ServerResponse };
    if (from !== server) return;
    ledger.accepted++;
    response.on('finish', () => ledger.finished++);
    response.on('close', () => {
      if (!response.writableFinished) ledger.aborted++;
    });
  });
  const print = (): void => console.log(`LEDGER ${JSON.stringify(ledger)}`);
  server.once('close', print);
  process.once('exit', print);
  return ledger;
}
