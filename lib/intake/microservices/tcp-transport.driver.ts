import type { Server as NetServer, Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import type { InFlightMessage } from './in-flight-message.js';
import type { HandBack, TransportDriver } from './transport-driver.interface.js';

/** The part of Nest's `ServerTCP` this driver uses. */
export interface TcpServerLike {
  unwrap(): unknown;
  /** Nest listens again when its server closes and `retryAttempts` is set, unless this is set. */
  isManuallyTerminated?: boolean;
}

/**
 * Once intake closed, a connection with no request left is ended after being idle this long. Not
 * at once: a client that just got an answer usually has its next request on the wire.
 */
const IDLE_GRACE_MS = 100;

interface ConnectionState {
  /** Requests on it still waiting for their reply. */
  active: number;
  /** When it last had no request waiting (`performance.now()`). */
  idleSince: number;
}

/** The Node socket under the JSON socket of a `TcpContext`. */
function netSocketOf(context: unknown): Socket | undefined {
  try {
    const ref = (context as { getSocketRef?: () => unknown }).getSocketRef?.();
    const socket = (ref as { netSocket?: unknown; socket?: unknown } | undefined)?.netSocket;
    return (socket ?? (ref as { socket?: unknown } | undefined)?.socket) as Socket | undefined;
  } catch {
    return undefined;
  }
}

/**
 * TCP (`Transport.TCP`): clients hold a connection to this instance, so at shutdown start the
 * listener closes (new connections are refused: clients reconnect elsewhere), requests already
 * being handled are answered, new requests on open connections get a retryable error, and each
 * connection is ended once it has no request left — its client's next request then opens a
 * connection to another instance. Events (fire and forget: no one could send them again) are
 * still taken while the intake's wave is open. At FORCEFUL the requests still running are
 * answered with a retryable error.
 */
export class TcpTransportDriver implements TransportDriver {
  readonly transport = 'tcp';
  private readonly connections = new Map<Socket, ConnectionState>();
  private readonly listener: NetServer | undefined;
  private sweep: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly server: TcpServerLike) {
    const listener = server.unwrap() as NetServer | undefined;
    this.listener = listener;
    if (listener === undefined) return;
    const event = listener instanceof TlsServer ? 'secureConnection' : 'connection';
    listener.on(event, (socket: Socket) => this.track(socket));
  }

  received(message: InFlightMessage): void {
    const socket = netSocketOf(message.context);
    if (socket === undefined) return;
    message.transportState = socket;
    const connection = this.track(socket);
    if (message.kind === 'request') connection.active++;
  }

  released(message: InFlightMessage): void {
    const socket = message.transportState as Socket | undefined;
    const connection = socket === undefined ? undefined : this.connections.get(socket);
    if (connection === undefined || message.kind !== 'request') return;
    connection.active = Math.max(0, connection.active - 1);
    if (connection.active === 0) connection.idleSince = performance.now();
  }

  replied(): void {}

  ended(): void {}

  takesLate(message: InFlightMessage): boolean {
    return message.kind === 'event';
  }

  stopIntake(): void {
    // Ours to stop now: without this, Nest would listen again when the listener closes.
    if ('isManuallyTerminated' in this.server) this.server.isManuallyTerminated = true;
    // net's close: no new connections; the open ones stay until they have no request left.
    if (this.listener?.listening === true) this.listener.close();
    this.sweepIdle();
    // Unref'd: the sweep must not keep the process alive; the shutdown's end stops it.
    this.sweep = setInterval(() => this.sweepIdle(), IDLE_GRACE_MS / 2);
    this.sweep.unref();
  }

  handBack(message: InFlightMessage): HandBack {
    if (message.kind === 'event') return 'none';
    const socket = message.transportState as Socket | undefined;
    // A connection already ended cannot carry an answer: its client sees it close.
    return socket !== undefined && socket.writable ? 'answer' : 'closing';
  }

  dispose(): void {
    if (this.sweep !== undefined) clearInterval(this.sweep);
    this.sweep = undefined;
  }

  private track(socket: Socket): ConnectionState {
    let connection = this.connections.get(socket);
    if (connection === undefined) {
      connection = { active: 0, idleSince: performance.now() };
      this.connections.set(socket, connection);
      socket.once('close', () => this.connections.delete(socket));
    }
    return connection;
  }

  /** Ends the connections that have had no request waiting for the grace. */
  private sweepIdle(): void {
    const now = performance.now();
    for (const [socket, connection] of this.connections) {
      if (connection.active > 0 || !socket.writable || now - connection.idleSince < IDLE_GRACE_MS)
        continue;
      // end(), not destroy(): a request already on the wire is still read (and refused).
      socket.end();
    }
  }
}
