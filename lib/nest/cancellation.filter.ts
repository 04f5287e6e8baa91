import {
  Catch,
  Inject,
  Injectable,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { throwError } from 'rxjs';
import { isCancellation } from '../core/cancellation.js';
import { LifecycleCoordinator } from '../core/lifecycle-coordinator.js';
import { LifecycleState } from '../core/lifecycle-state.enum.js';

/** Seconds a client is told to wait before it retries (`Retry-After`). */
export const CANCELLED_RETRY_AFTER_S = 1;

/**
 * What a client receives for a call cancelled before it could answer: an error it can retry.
 * HTTP gets it as the body of a `503`; RPC clients as the call's error (any transport); WebSocket
 * clients as the gateway's `exception` event. `code` 14 is gRPC's UNAVAILABLE, which gRPC clients
 * retry and Nest's gRPC transport sends as the status; `retryable` is for everyone else.
 *
 * @example
 * // { status: 'error', statusCode: 503, error: 'Service Unavailable', code: 14,
 * //   message: 'The service is shutting down: retry the request on another instance', retryable: true }
 */
export interface CancelledCallError {
  status: 'error';
  statusCode: 503;
  error: 'Service Unavailable';
  code: 14;
  message: string;
  retryable: true;
}

/**
 * Matches, through `instanceof`, exactly what `isCancellation` recognises — our
 * `CancelledError`, an `AbortError`, an error caused by one — so that Nest, which picks an
 * exception filter by `instanceof` against its `@Catch()` types, hands this filter cancellations
 * and nothing else.
 */
class Cancellation {
  static [Symbol.hasInstance](value: unknown): boolean {
    return isCancellation(value);
  }
}

/** What the filter needs of a gateway's client: socket.io's socket or a `ws` WebSocket. */
interface GatewayClient {
  emit?: (event: string, data: unknown) => unknown;
  send?: (data: string) => unknown;
  readyState?: unknown;
  handshake?: unknown;
}

/** The `readyState` of an open `ws` WebSocket. */
const WS_OPEN = 1;

/**
 * Sends `error` to a gateway's client as an `exception` event. A socket.io socket's `emit` sends
 * it; a `ws` WebSocket's `emit` is its local EventEmitter's (Nest's own filter sends nothing
 * there), so it gets the message in the `{ event, data }` form `WsAdapter` uses for replies.
 */
function sendToGatewayClient(client: unknown, error: CancelledCallError): void {
  if (typeof client !== 'object' || client === null) return;
  const socket = client as GatewayClient;
  const isWs =
    typeof socket.send === 'function' &&
    typeof socket.readyState === 'number' &&
    socket.handshake === undefined;
  if (isWs) {
    if (socket.readyState === WS_OPEN)
      socket.send?.(JSON.stringify({ event: 'exception', data: error }));
  } else if (typeof socket.emit === 'function') {
    socket.emit('exception', error);
  }
}

/**
 * Answers a cancellation that reaches Nest's exception layer — a handler let through the
 * `CancelledError` of its task or of a call it awaited, or an `AbortError` — with an error the
 * client can retry, instead of Nest's bare `500` / "Internal server error" and an ERROR stack in
 * the log:
 *
 * - HTTP (Express, Fastify): `503 Service Unavailable` with `Retry-After: 1`;
 * - RPC (any microservice transport): the call fails with a {@link CancelledCallError};
 * - WebSocket: the client is sent the same as an `exception` event (socket.io, and `ws`, where
 *   Nest's own filter sends nothing);
 * - any other context (GraphQL …): the cancellation is handed back as it is.
 *
 * Registered globally by `AsyncLifecycleModule` (`APP_FILTER`) — Nest applies global filters to
 * HTTP and microservices, not to WebSocket gateways: a gateway takes it with
 * `@UseFilters(CancellationFilter)`. It is picked for cancellations
 * only: every other error reaches the filters it reached before, and a filter of the route, of
 * the controller or a catch-all filter of the application that comes first keeps handling
 * cancellations its own way. Costs nothing while no error is thrown.
 *
 * @example
 * // A handler awaiting a managed task that the shutdown cancelled:
 * @Get('report')
 * async report() {
 *   return await this.coordinator.createTask((ctx) => build(ctx.signal)); // rejects: CancelledError
 * } // → 503, Retry-After: 1
 */
@Catch(Cancellation)
@Injectable()
export class CancellationFilter implements ExceptionFilter {
  constructor(
    @Inject(LifecycleCoordinator) private readonly coordinator: LifecycleCoordinator,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** HTTP: replied here. RPC: an observable of the error. WebSocket: emitted here. Else: `exception`. */
  catch(exception: unknown, host: ArgumentsHost): unknown {
    const type = host.getType<string>();
    if (type === 'http') return this.replyHttp(host);
    if (type === 'rpc') {
      const error = this.error();
      return throwError(() => error);
    }
    if (type === 'ws') {
      sendToGatewayClient(host.switchToWs().getClient<unknown>(), this.error());
      return undefined;
    }
    return exception;
  }

  private replyHttp(host: ArgumentsHost): undefined {
    const adapter = this.adapterHost.httpAdapter;
    const response: unknown = host.switchToHttp().getResponse();
    // As Nest's own filter: a response already under way can only be ended.
    if (adapter.isHeadersSent(response) === true) {
      adapter.end(response);
      return undefined;
    }
    const { statusCode, error, message } = this.error();
    adapter.setHeader(response, 'Retry-After', String(CANCELLED_RETRY_AFTER_S));
    adapter.reply(response, { statusCode, error, message }, statusCode);
    return undefined;
  }

  private error(): CancelledCallError {
    return {
      status: 'error',
      statusCode: 503,
      error: 'Service Unavailable',
      code: 14,
      message:
        this.coordinator.state === LifecycleState.RUNNING
          ? 'The request was cancelled: retry it'
          : 'The service is shutting down: retry the request on another instance',
      retryable: true,
    };
  }
}
