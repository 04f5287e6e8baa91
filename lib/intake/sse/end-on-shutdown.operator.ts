import { Observable, type OperatorFunction } from 'rxjs';
import { InvalidLifecycleOptionError } from '../../core/invalid-option.error.js';
import type { LifecycleCoordinator } from '../../core/lifecycle-coordinator.js';
import { checkDuration, checkKeys, isPlainObject } from '../../core/lifecycle-options.validator.js';
import { checkCoordinator, sseIntakeOf } from './sse-intake.registry.js';

/**
 * A server-sent event, shaped like Nest's `MessageEvent` (so an `Observable<MessageEvent>` can
 * use {@link endOnShutdown} as is).
 *
 * @example
 * const event: SseEvent = { type: 'price', id: '42', data: { symbol: 'ACME', price: 12.5 } };
 */
export interface SseEvent {
  data?: string | object;
  id?: string;
  type?: string;
  retry?: number;
  comment?: string;
}

/**
 * Options of {@link endOnShutdown}.
 *
 * @example
 * const options: EndOnShutdownOptions = { retryMs: 5_000 };
 */
export interface EndOnShutdownOptions {
  /** The `retry:` hint of the last event; default: the module's `sse.retryMs` (1000). */
  retryMs?: number;
}

const OPTION_KEYS = ['retryMs'];

/** The `id` of an event the source emitted, read safely (events are user objects). */
function idOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  try {
    const id: unknown = (value as { id?: unknown }).id;
    return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Ends a server-sent event stream cleanly when the server stops taking traffic: at intake close
 * (after the drain, spread over `sse.spreadMs` with the other streams; at once for a stream
 * opened later; at the latest when FORCEFUL begins) it unsubscribes from the source, emits a
 * last event carrying only a `retry:` hint, and completes — so Nest ends the response (a clean
 * end of the chunked body, or of the HTTP/2 stream) and the client's `EventSource` reconnects
 * after `retry` ms, to another instance. During the drain the stream carries on.
 *
 * The last event has no `data`, so `EventSource` dispatches nothing for it; it repeats the `id`
 * of the last event the source emitted, if any, so that the reconnection's `Last-Event-ID` is
 * unchanged.
 *
 * @example
 * @Controller()
 * export class PricesController {
 *   constructor(private readonly lifecycle: LifecycleCoordinator, private readonly feed: PriceFeed) {}
 *
 *   @Sse('prices')
 *   prices(): Observable<MessageEvent> {
 *     return this.feed.prices$.pipe(
 *       map((price) => ({ id: String(price.seq), data: price })),
 *       endOnShutdown(this.lifecycle),
 *     );
 *   }
 * }
 */
export function endOnShutdown<T>(
  coordinator: LifecycleCoordinator,
  options: EndOnShutdownOptions = {},
): OperatorFunction<T, T | SseEvent> {
  if (!isPlainObject(options)) {
    throw InvalidLifecycleOptionError.invalid('endOnShutdown options', options, 'an object');
  }
  checkKeys('', options, OPTION_KEYS);
  const retryMs =
    options.retryMs === undefined ? undefined : checkDuration('retryMs', options.retryMs, 0);
  // Checked now, where the route builds its stream; the intake is looked up per subscription.
  checkCoordinator(coordinator, 'endOnShutdown()');
  return (source) =>
    new Observable<T | SseEvent>((subscriber) => {
      const intake = sseIntakeOf(coordinator);
      let lastId: string | undefined;
      const upstream = source.subscribe({
        next: (value) => {
          lastId = idOf(value) ?? lastId;
          subscriber.next(value);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      if (subscriber.closed) return undefined;
      const release = intake.hold('stream', () => {
        // The producer stops first: nothing it emits may follow the last event.
        upstream.unsubscribe();
        const retry = retryMs ?? intake.retryMs;
        subscriber.next(lastId === undefined ? { retry } : { id: lastId, retry });
        subscriber.complete();
      });
      return () => {
        release();
        upstream.unsubscribe();
      };
    });
}
