import type { WebSocketAdapter, WsMessageHandler } from '@nestjs/common';
import { EMPTY, finalize, tap, type Observable } from 'rxjs';
import { clientConnectionOf } from './client-connection.factory.js';
import { TrackedMessage } from './tracked-message.js';
import { REFUSED, type WebSocketIntake } from './websocket.intake.js';

type BindMessageHandlers = WebSocketAdapter['bindMessageHandlers'];
type Transform = (data: unknown) => Observable<unknown>;

/** The adapter's own `bindMessageHandlers`, kept when it is first wrapped. */
const ORIGINAL = Symbol.for('nestjs-async-lifecycle.bindMessageHandlers');

interface WrappableAdapter {
  bindMessageHandlers: BindMessageHandlers;
  [ORIGINAL]?: BindMessageHandlers;
}

/**
 * Routes every message of every gateway client through `intake`, at the one seam all Nest
 * WebSocket adapters share: `bindMessageHandlers(client, handlers, transform)`, called once per
 * client as it connects. Each handler runs inside a managed task (`currentTask()` works in it)
 * that ends once the adapter has sent its reply; a refused message never reaches its handler.
 * An adapter wrapped before (by a previous application) is wrapped anew around its own method.
 *
 * @example
 * trackGatewayMessages(app.get(ApplicationConfig).getIoAdapter(), intake);
 */
export function trackGatewayMessages(adapter: WebSocketAdapter, intake: WebSocketIntake): void {
  const target = adapter as WrappableAdapter;
  // Read once: wrapping a wrapper would route messages through a closed application's intake.
  const original = (target[ORIGINAL] ??= target.bindMessageHandlers);
  target.bindMessageHandlers = function (
    this: unknown,
    client: unknown,
    handlers: WsMessageHandler[],
    transform: Transform,
  ): unknown {
    const connection = intake.connect(client, clientConnectionOf(client));
    const tracked = handlers.map((handler) => ({
      ...handler,
      callback: (...args: unknown[]) =>
        intake.receive(connection, String(handler.message), () =>
          handler.callback(...(args as [])),
        ),
    }));
    // The callbacks return a TrackedMessage (or REFUSED), which only our transform receives.
    const bound = tracked as unknown as WsMessageHandler[];
    return original.call(this, client, bound, trackReplies(transform));
  };
}

/**
 * The adapter's `transform` (the handler's result → the reply stream), told when the reply has
 * been sent: the adapter sends each value as it comes, so by the time the stream completes every
 * reply has been handed to the socket. A refused message yields no reply at all.
 */
function trackReplies(transform: Transform): Transform {
  return (value: unknown) => {
    if (value === REFUSED) return EMPTY;
    if (!(value instanceof TrackedMessage)) return transform(value);
    let settled = false;
    let replies: Observable<unknown>;
    try {
      replies = transform(value.result);
    } catch (error) {
      value.finish(false);
      throw error;
    }
    return replies.pipe(
      tap({ complete: () => (settled = true), error: () => (settled = true) }),
      // After the last reply went out, or when the adapter unsubscribed (the client is gone).
      finalize(() => value.finish(settled)),
    );
  };
}
