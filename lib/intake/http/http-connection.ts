import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * How the intake ended a connection, or saw it end, during a shutdown: what the report counts.
 * - `idle`: closed by the intake with no request in progress and no byte of a next one read;
 * - `response`: ended after a response that said `Connection: close`;
 * - `forceful`: destroyed with a request still running (FORCEFUL, or `requestTimeoutMs`);
 * - `reset`: cut at the final close with a request still running or still arriving;
 * - `client`: closed by the client.
 */
export type ConnectionEnd = 'idle' | 'response' | 'forceful' | 'reset' | 'client';

/** A response saying `Connection: close`, whoever decided it (the client, the app, the intake). */
export function announcesClose(res: ServerResponse): boolean {
  if (!res.shouldKeepAlive) return true;
  const header = res.getHeader('connection');
  return typeof header === 'string' && /\bclose\b/i.test(header);
}

/**
 * What the HTTP intake knows of one client connection (a TCP socket, or a TLS socket once its
 * handshake is done): the requests received on it whose responses have not finished —
 * pipelined ones included —, since when it is idle and how many bytes it had read then, and
 * which of its responses will tell the client to close it.
 */
export class HttpConnection {
  /**
   * Responses not yet closed, each with the function that ends its request's task — `noop`
   * while it has none (a probe's, a refused one), `untasked` for a request counted here only.
   */
  private readonly open = new Map<ServerResponse, () => void>();
  /** The response of the latest request received, while it is open. */
  private latest: ServerResponse | undefined;
  /** The response the intake made say `Connection: close`, and what it said before. */
  private closer: { res: ServerResponse; keepAlive: boolean } | undefined;
  /** When it last had no request in progress (`performance.now()`). */
  idleSince: number;
  /** `socket.bytesRead` when it became idle: more means a next request is arriving. */
  bytesAtIdle: number;
  /** Its latest request was on an excluded path (a probe): kept open until the final close. */
  probe = false;
  /** Its responses say `Connection: close` from now on: its client should go elsewhere. */
  toldToGo = false;
  /** The response of the latest request, kept after it closed: how the connection ended. */
  private last: ServerResponse | undefined;
  /** How the intake ended it, set just before it did. */
  endedBy: ConnectionEnd | undefined;

  constructor(
    readonly socket: Socket,
    now: number,
  ) {
    this.idleSince = now;
    this.bytesAtIdle = socket.bytesRead;
  }

  /** Its latest response went out saying `Connection: close`: it ended the connection. */
  get lastAnnouncedClose(): boolean {
    return this.last?.headersSent === true && announcesClose(this.last);
  }

  /** Requests received whose responses have not closed. */
  get active(): number {
    return this.open.size;
  }

  /**
   * A response saying `Connection: close` has gone out (its headers are written): Node ends the
   * connection after it, so a request received after it can no longer be answered.
   */
  get closeCommitted(): boolean {
    return this.closer?.res.headersSent === true;
  }

  /**
   * A request arrived on it; `res` is its response. A response queued before it that was to say
   * `Connection: close` no longer does — it is not the last any more — unless it has already.
   */
  requestStarted(res: ServerResponse, probe: boolean): void {
    const closer = this.closer;
    if (closer !== undefined && !closer.res.headersSent) {
      closer.res.shouldKeepAlive = closer.keepAlive;
      this.closer = undefined;
    }
    this.open.set(res, noop);
    this.latest = res;
    this.last = res;
    this.probe = probe;
  }

  /**
   * Whether a managed task waits for one of its responses not yet fully written
   * ({@link whenDone}): a request the intake admitted still running — not a probe's, nor a
   * refused one.
   */
  get runningTracked(): boolean {
    for (const [res, end] of this.open) if (end !== noop && !res.writableEnded) return true;
    return false;
  }

  /** Open responses a managed task waits for: requests in flight the intake admitted. */
  get trackedCount(): number {
    let count = 0;
    for (const end of this.open.values()) if (end !== noop) count++;
    return count;
  }

  /**
   * `res` — started and not yet closed — is a request in flight without a task of its own (see
   * `HttpIntakeContext.asyncContext`): counted as tracked, listed by {@link untasked}.
   */
  markUntasked(res: ServerResponse): void {
    if (this.open.get(res) === noop) this.open.set(res, untasked);
  }

  /** Undoes {@link markUntasked} while `res` has no task yet. */
  unmarkUntasked(res: ServerResponse): void {
    if (this.open.get(res) === untasked) this.open.set(res, noop);
  }

  /** Requests in flight counted here only ({@link markUntasked}), oldest first. */
  untasked(): ServerResponse[] {
    const list: ServerResponse[] = [];
    for (const [res, end] of this.open) if (end === untasked) list.push(res);
    return list;
  }

  /** Resolves once `res` has closed, or the connection did (a queued response never sent). */
  whenDone(res: ServerResponse): Promise<void> {
    if (!this.open.has(res)) return Promise.resolve();
    return new Promise((resolve) => this.open.set(res, resolve));
  }

  /** `res` closed; returns whether the connection is now idle. */
  requestEnded(res: ServerResponse, now: number): boolean {
    const end = this.open.get(res);
    if (end === undefined) return false;
    this.open.delete(res);
    end();
    if (this.latest === res) this.latest = undefined;
    if (this.open.size > 0) return false;
    this.idleSince = now;
    this.bytesAtIdle = this.socket.bytesRead;
    return true;
  }

  /** The connection closed: the tasks of responses that will never be sent end now. */
  closed(): void {
    for (const end of this.open.values()) end();
    this.open.clear();
    this.latest = undefined;
  }

  /**
   * Makes `res` — the connection's latest response — the one that says `Connection: close`: of
   * several pipelined responses only the last may close the connection, or the ones queued
   * behind it would never be sent. `explicit`: `res` carries its own `Connection: close` header
   * (a refusal).
   */
  closeAfter(res: ServerResponse, explicit = false): void {
    this.closer = { res, keepAlive: res.shouldKeepAlive };
    // Node then writes `Connection: close` and ends the connection once it is sent.
    if (!explicit) res.shouldKeepAlive = false;
  }

  /**
   * Tells the client to go: from now on its responses say `Connection: close`, starting with the
   * latest if it is a tracked one still to be written. A probe's connection is left open, and so
   * is one whose response is already streaming (the idle sweep closes it afterwards).
   */
  tellToGo(): void {
    this.toldToGo = true;
    const res = this.latest;
    if (res !== undefined && !this.probe && !res.headersSent) this.closeAfter(res);
  }

  /** Responses whose headers have gone out and that are still being written or awaited. */
  get responses(): IterableIterator<ServerResponse> {
    return this.open.keys();
  }

  /**
   * A request is arriving on it: bytes came in since it became idle — a request whose headers
   * are not complete yet, so not yet seen —, or its parser is inside one (`receiving`; Node
   * also lists there a new connection that has sent nothing, for its headers timeout, hence the
   * bytes it must have read).
   */
  isReceiving(receiving: ReadonlySet<Socket> | undefined): boolean {
    const read = this.socket.bytesRead;
    return (
      // Bytes read from the kernel that nobody has consumed yet.
      this.socket.readableLength > 0 ||
      (this.open.size === 0 && read !== this.bytesAtIdle) ||
      (read > 0 && receiving?.has(this.socket) === true)
    );
  }

  /** No request in progress nor arriving: closing it now cannot cut a request. */
  isQuiet(receiving: ReadonlySet<Socket> | undefined): boolean {
    return this.open.size === 0 && !this.isReceiving(receiving);
  }
}

function noop(): void {
  // A response whose task has not asked to be told yet (an excluded request has no task).
}

function untasked(): void {
  // A request in flight with no task yet: nothing waits for its end.
}
