import type autocannon from 'autocannon';
import type { Socket } from 'node:net';
import type { ClientTally, CountsByCode } from './client-tally.interface.js';

/** The parts of autocannon 9's `Client` this tracker reads (pinned version; not in its types). */
interface ObservedClient {
  /** The current connection; replaced on every reconnect. */
  readonly conn: Socket;
  /** Set once autocannon stopped this client. */
  readonly destroyed: boolean;
  on(event: 'request' | 'timeout', listener: () => void): unknown;
  on(
    event: 'headers',
    listener: (info: { statusCode: number; headers: string[] }) => void,
  ): unknown;
  on(event: 'response', listener: (statusCode: number) => void): unknown;
}

/** One connection of one client, from its first request to its `close`. */
interface ConnectionState {
  connected: boolean;
  /** Requests written on it and not yet answered (at most `pipelining`). */
  outstanding: number;
  /** A response on it said `Connection: close`. */
  closeAnnounced: boolean;
  errorCode: string | undefined;
  timedOut: boolean;
}

function add(counts: CountsByCode, code: string, n: number): void {
  counts[code] = (counts[code] ?? 0) + n;
}

function saysClose(rawHeaders: readonly string[]): boolean {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() === 'connection' && /\bclose\b/i.test(rawHeaders[i + 1])) {
      return true;
    }
  }
  return false;
}

/**
 * Follows every request of an autocannon run through its connection, to tell a clean refusal
 * from a request cut off. autocannon's own totals cannot: `errors` counts failed connections
 * (an `ECONNREFUSED` reconnect loop counts thousands), `resets` counts request-pipeline resets
 * (not TCP resets), a connection the server closes without answering is not counted at all
 * (autocannon reconnects silently), and after a reconnect its queue of pending requests keeps the
 * lost one, so latencies and per-request callbacks are misattributed. Pass `setupClient` to
 * autocannon; read `tally()` once the load stopped and `allClosed()` resolved.
 *
 * @example
 * const tracker = new ClientTracker();
 * const instance = autocannon({ url, setupClient: tracker.setupClient }, done);
 * // … later, once `done` was called:
 * await tracker.allClosed();
 * console.log(tracker.tally());
 */
export class ClientTracker {
  private readonly counts: ClientTally = {
    sent: 0,
    responses: {},
    closeAnnounced: { responses: 0, status503: 0 },
    status503WithoutClose: 0,
    refused: {},
    unanswered: {},
    afterClose: {},
    timeouts: 0,
    inFlightAtStop: 0,
    lastOkAt: undefined,
    firstRefusalAt: undefined,
  };

  /** Connections seen and not yet closed, across clients. */
  private open = 0;
  private readonly closedWaiters: (() => void)[] = [];

  /** For autocannon's `setupClient` option: called once per client, before it connects. */
  readonly setupClient = (client: autocannon.Client): void => {
    this.observe(client as unknown as ObservedClient);
  };

  /** A copy of the counts so far (complete once `allClosed()` resolved after the load stopped). */
  tally(): ClientTally {
    return structuredClone(this.counts);
  }

  /**
   * Resolves once every connection seen so far has emitted `close`. autocannon calls back when
   * it has destroyed its sockets, before their `close` events: the requests still in flight on
   * them are only counted then.
   */
  allClosed(): Promise<void> {
    if (this.open === 0) return Promise.resolve();
    return new Promise((resolve) => this.closedWaiters.push(resolve));
  }

  private observe(client: ObservedClient): void {
    // The connection whose bytes are being parsed: autocannon shares one parser per client
    // across reconnects, and may briefly hold two connections (an error after an `end` makes it
    // reconnect twice), so `client.conn` is not always the one answering.
    let answering: ConnectionState | undefined;
    const live = new Map<Socket, ConnectionState>();
    const stateOf = (conn: Socket): ConnectionState => {
      let state = live.get(conn);
      if (state === undefined) {
        const fresh: ConnectionState = {
          connected: false,
          outstanding: 0,
          closeAnnounced: false,
          errorCode: undefined,
          timedOut: false,
        };
        state = fresh;
        live.set(conn, fresh);
        this.open++;
        conn.once('connect', () => (fresh.connected = true));
        conn.on('error', (error: NodeJS.ErrnoException) => {
          fresh.errorCode ??= error.code;
          if (error.code === 'ECONNREFUSED') this.counts.firstRefusalAt ??= performance.now();
        });
        // Prepended: runs before autocannon's parser emits `headers` / `response`.
        conn.prependListener('data', () => (answering = fresh));
        conn.once('close', () => {
          live.delete(conn);
          this.settle(fresh, client.destroyed);
          if (--this.open === 0) for (const resolve of this.closedWaiters.splice(0)) resolve();
        });
      }
      return state;
    };

    client.on('request', () => {
      this.counts.sent++;
      stateOf(client.conn).outstanding++;
    });
    client.on('headers', ({ statusCode, headers }) => {
      const state = answering ?? stateOf(client.conn);
      const close = saysClose(headers);
      if (close) {
        state.closeAnnounced = true;
        this.counts.closeAnnounced.responses++;
        if (statusCode === 503) this.counts.closeAnnounced.status503++;
      } else if (statusCode === 503) {
        this.counts.status503WithoutClose++;
      }
    });
    client.on('response', (statusCode) => {
      const state = answering ?? stateOf(client.conn);
      state.outstanding = Math.max(0, state.outstanding - 1);
      this.counts.responses[statusCode] = (this.counts.responses[statusCode] ?? 0) + 1;
      if (statusCode >= 200 && statusCode < 300) this.counts.lastOkAt = performance.now();
    });
    client.on('timeout', () => {
      // autocannon destroyed the timed-out connection just before emitting this; its `close`
      // has not been emitted yet.
      for (const [conn, state] of live) {
        if (conn.destroyed && state.outstanding > 0) state.timedOut = true;
      }
    });
  }

  private settle(state: ConnectionState, clientStopped: boolean): void {
    const pending = state.outstanding;
    if (pending === 0) return;
    const code = state.errorCode ?? 'EOF';
    if (clientStopped) {
      this.counts.inFlightAtStop += pending;
    } else if (state.timedOut) {
      this.counts.timeouts += pending;
    } else if (!state.connected) {
      add(this.counts.refused, code, pending);
    } else if (state.closeAnnounced) {
      add(this.counts.afterClose, code, pending);
    } else {
      add(this.counts.unanswered, code, pending);
    }
  }
}
