import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  constants,
  Http2ServerResponse,
  type Http2ServerRequest,
  type ServerHttp2Session,
} from 'node:http2';
import { Server as NetServer } from 'node:net';
import type { Intake, IntakeHandle } from '../../core/intake.interface.js';
import { StaggeredClose } from '../staggered-close.js';
import type { ResolvedHttp2IntakeOptions } from './http2-intake.options.js';
import type { Http2IntakeReport } from './http2-intake.report.js';
import { isExcludedPath, pathOf } from './request-path.js';

/** A request on an HTTP/2 server: HTTP/2, or HTTP/1.1 when the server allows it (`allowHTTP1`). */
type AnyRequest = Http2ServerRequest | IncomingMessage;
type AnyResponse = Http2ServerResponse | ServerResponse;
type RequestListener = (req: AnyRequest, res: AnyResponse) => void;

const REFUSAL = 'Service Unavailable: the server is shutting down\n';

/** The GOAWAY notice names the highest stream id: "stop opening streams; all you sent count". */
const NOTICE_LAST_STREAM_ID = 2 ** 31 - 1;

/** How long the final GOAWAY waits for the client to answer the PING sent after the notice. */
const PING_TIMEOUT_MS = 1000;

/**
 * At the final close, how long sessions told to go away get to end by themselves: longer than
 * the PING wait, so that a session whose client never answers still gets its final GOAWAY.
 */
const CLOSE_WAIT_MS = PING_TIMEOUT_MS + 500;

/**
 * Zero-downtime draining of an HTTP/2 server (`http2.createSecureServer` / `createServer`, as
 * Fastify builds it with `http2: true`). Every request (stream) runs as a managed task of the
 * configured priority, in stop mode `drain`, the server's request listeners inside it. When
 * intake closes the listener stops and each session gets a graceful GOAWAY, spread over the
 * window: first a notice (`NO_ERROR`, last stream 2³¹−1, so that streams already on the wire
 * still count), then after one PING round trip the final GOAWAY naming the last stream received
 * (`session.close()`): the session ends once its streams have. Streams still arriving join the
 * wave while it runs and get `503` after it. At FORCEFUL (or `requestTimeoutMs`) the streams
 * still running are cancelled (`RST_STREAM CANCEL`) and every session still open gets its final
 * GOAWAY; when Nest closes the server, sessions still open are destroyed — Node's
 * `server.close()` would otherwise wait for them forever (nodejs/node#57611).
 *
 * HTTP/1.1 requests of an `allowHTTP1` server are tracked the same way; after intake closed their
 * responses carry `Connection: close`, and Node closes their idle connections with the server.
 *
 * The Nest module installs it for an HTTP/2 adapter server; by hand, on a coordinator:
 *
 * @example
 * const server = http2.createSecureServer({ key, cert }, handler);
 * const options = { priority: TaskPriority.HIGH, requestTimeoutMs: undefined, exclude: [], spreadMs: 1_000 };
 * const intake = new Http2Intake(server, options, 1_000);
 * intake.install(coordinator.registerIntake(intake));
 * await coordinator.shutdown();
 * await intake.finish(); // then server.close() completes
 */
export class Http2Intake implements Intake {
  readonly name = 'http2';
  private listeners: RequestListener[] = [];
  private readonly sessions = new Set<ServerHttp2Session>();
  /** Sessions whose final GOAWAY waits for the PING round trip after the notice. */
  private readonly pingTimers = new Map<ServerHttp2Session, ReturnType<typeof setTimeout>>();
  /** Responses of tracked requests in flight. */
  private readonly inFlight = new Set<AnyResponse>();
  private readonly cancelled = new WeakSet<AnyResponse>();
  private readonly noticed = new WeakSet<ServerHttp2Session>();
  private readonly stagger = new StaggeredClose<ServerHttp2Session>((session) =>
    this.goAway(session),
  );
  private readonly counters: Http2IntakeReport = {
    sessionsAtStart: 0,
    goawaySent: 0,
    streamsAtStart: 0,
    admitted: 0,
    refused: 0,
    streamsDrained: 0,
    streamsCancelled: 0,
    closedAtForceful: 0,
    destroyedAtClose: 0,
  };
  private draining = false;
  private closed = false;
  private seq = 0;
  private requestTimer: ReturnType<typeof setTimeout> | undefined;
  private handle: IntakeHandle | undefined;

  /** @param windowMs the GOAWAY spread window (`spreadMs`, at most a quarter of GRACEFUL). */
  constructor(
    private readonly server: NetServer,
    private readonly options: ResolvedHttp2IntakeOptions,
    private readonly windowMs: number,
  ) {}

  /** Takes over the server's request listeners; `handle` is what `registerIntake` returned. */
  install(handle: IntakeHandle): void {
    this.handle = handle;
    // The framework's handler(s) now run inside a task per request.
    this.listeners = this.server.listeners('request') as RequestListener[];
    this.server.removeAllListeners('request');
    this.server.on('request', (req: AnyRequest, res: AnyResponse) => this.onRequest(req, res));
    this.server.on('session', (session: ServerHttp2Session) => this.onSession(session));
  }

  report(): Http2IntakeReport {
    return { ...this.counters };
  }

  shutdownStarted(): void {
    this.draining = true;
    this.counters.sessionsAtStart = this.sessions.size;
    this.counters.streamsAtStart = this.inFlight.size;
    const timeout = this.options.requestTimeoutMs;
    if (timeout !== undefined) this.requestTimer = setTimeout(() => this.cancelInFlight(), timeout);
  }

  /** The drain is over: the load balancer has had its time to notice. */
  intakeClosed(): void {
    this.closeIntake();
  }

  /** What is left is cancelled; every session still open is told to go away now. */
  forcefulStarted(): void {
    this.closeIntake();
    this.cancelInFlight();
    // The spread is cut short: FORCEFUL is no time to wait for it.
    this.stagger.stop();
    for (const session of this.sessions) {
      // Closing counts as open: a session told to go away still waits for its streams.
      if (session.destroyed) continue;
      this.counters.closedAtForceful++;
      if (!this.noticed.has(session)) this.counters.goawaySent++;
      this.noticed.add(session);
      this.finalGoAway(session);
    }
  }

  shutdownEnded(): void {
    if (this.requestTimer !== undefined) clearTimeout(this.requestTimer);
    this.requestTimer = undefined;
  }

  /**
   * The last step, just before the adapter closes the server: intake is closed (if the shutdown
   * never ran, now), the GOAWAY spread runs to its end, the sessions get a moment to end by
   * themselves, and those still open are destroyed, so that the server's close can complete.
   */
  async finish(): Promise<void> {
    this.closeIntake();
    await this.stagger.idle();
    await this.sessionsEnded(CLOSE_WAIT_MS);
    for (const session of [...this.sessions]) {
      if (session.destroyed) continue;
      this.counters.destroyedAtClose++;
      session.destroy();
    }
    for (const timer of this.pingTimers.values()) clearTimeout(timer);
    this.pingTimers.clear();
  }

  private onSession(session: ServerHttp2Session): void {
    this.sessions.add(session);
    this.handle?.noteArrival();
    session.once('close', () => {
      this.sessions.delete(session);
      this.stagger.remove(session);
      this.clearPing(session);
    });
    // Accepted just before the listener stopped: it goes away at once.
    if (this.closed) this.goAway(session);
  }

  private onRequest(req: AnyRequest, res: AnyResponse): void {
    if (isExcludedPath(req.url, this.options.exclude)) {
      // Health probes and metrics: untracked and never refused while the server is up.
      this.forward(req, res);
      return;
    }
    this.inFlight.add(res);
    onceClosed(res, () => this.ended(res));
    if (this.closed) closeAfterResponse(res);
    const task = this.handle?.admit(
      () => {
        this.forward(req, res);
        return new Promise<void>((resolve) => onceClosed(res, resolve));
      },
      {
        name: `${req.method ?? 'HTTP'} ${pathOf(req.url)}#${++this.seq}`,
        priority: this.options.priority,
      },
    );
    if (task === undefined) {
      this.refuse(res);
    } else if (this.draining) {
      this.counters.admitted++;
    }
  }

  private forward(req: AnyRequest, res: AnyResponse): void {
    for (const listener of this.listeners) listener.call(this.server, req, res);
  }

  /** Too late: the wave has ended. The client retries (on a new connection: GOAWAY is coming). */
  private refuse(res: AnyResponse): void {
    this.counters.refused++;
    const headers: Record<string, string | number> = {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(REFUSAL),
      'Retry-After': '1',
    };
    if (!(res instanceof Http2ServerResponse)) headers.Connection = 'close';
    res.writeHead(503, headers);
    res.end(REFUSAL);
  }

  private ended(res: AnyResponse): void {
    this.inFlight.delete(res);
    if (this.draining && res.writableEnded && !this.cancelled.has(res)) {
      this.counters.streamsDrained++;
    }
  }

  private closeIntake(): void {
    if (this.closed) return;
    this.closed = true;
    for (const res of this.inFlight) closeAfterResponse(res);
    // No new connections. net's close, not the HTTP/2 server's: on Node ≥ 24 that one closes
    // every session at once, with no spread; and its callback would wait for them anyway.
    if (this.server.listening) NetServer.prototype.close.call(this.server);
    this.stagger.start([...this.sessions], this.windowMs);
  }

  /**
   * The graceful GOAWAY of RFC 9113 §6.8: a notice that accepts every stream already sent, then,
   * once a PING round trip shows the client has heard it, the final GOAWAY naming the last
   * stream received. A stream the client opened in between is never refused unprocessed.
   */
  private goAway(session: ServerHttp2Session): void {
    if (session.closed || session.destroyed || this.noticed.has(session)) return;
    this.noticed.add(session);
    this.counters.goawaySent++;
    try {
      session.goaway(constants.NGHTTP2_NO_ERROR, NOTICE_LAST_STREAM_ID);
      // Unref'd: an open session holds the loop by itself; this timer alone must not.
      const timer = setTimeout(() => this.finalGoAway(session), PING_TIMEOUT_MS).unref();
      this.pingTimers.set(session, timer);
      if (!session.ping(() => this.finalGoAway(session))) this.finalGoAway(session);
    } catch {
      // The session broke meanwhile (its socket closed): the final close below copes.
      this.finalGoAway(session);
    }
  }

  private finalGoAway(session: ServerHttp2Session): void {
    this.clearPing(session);
    if (!session.closed && !session.destroyed) session.close();
  }

  private clearPing(session: ServerHttp2Session): void {
    const timer = this.pingTimers.get(session);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.pingTimers.delete(session);
  }

  /** FORCEFUL or `requestTimeoutMs`: the streams still running are cancelled. */
  private cancelInFlight(): void {
    for (const res of this.inFlight) {
      if (res.writableEnded || this.cancelled.has(res)) continue;
      this.cancelled.add(res);
      this.counters.streamsCancelled++;
      if (res instanceof Http2ServerResponse) {
        if (!res.stream.destroyed) res.stream.close(constants.NGHTTP2_CANCEL);
      } else {
        res.socket?.destroy();
      }
    }
  }

  /** Resolves once every session has ended, or after `capMs`. */
  private sessionsEnded(capMs: number): Promise<void> {
    if (this.sessions.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const left = [...this.sessions];
      const done = (): void => {
        clearTimeout(timer);
        for (const session of left) session.off('close', check);
        resolve();
      };
      const check = (): void => {
        if (left.every((session) => session.destroyed)) done();
      };
      const timer = setTimeout(done, capMs);
      for (const session of left) session.once('close', check);
    });
  }
}

/** `res` emits `close` once its stream or exchange has ended, however it ended. */
function onceClosed(res: AnyResponse, listener: () => void): void {
  (res as NodeJS.EventEmitter).once('close', listener);
}

/** An HTTP/1.1 response not yet sent closes its connection after it (HTTP/2 has GOAWAY). */
function closeAfterResponse(res: AnyResponse): void {
  if (!(res instanceof Http2ServerResponse) && !res.headersSent) {
    res.setHeader('Connection', 'close');
  }
}
