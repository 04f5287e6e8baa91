import { Body, Controller, Get, Logger, Post, Sse, type MessageEvent } from '@nestjs/common';
import {
  LifecycleCoordinator,
  abortableDelay,
  currentTask,
  endOnShutdown,
  longPoll,
} from 'nestjs-async-lifecycle';
import { Subject, interval, map, type Observable } from 'rxjs';

/** An order as the long-poll hands it out. */
interface Order {
  id: number;
  item: string;
}

/**
 * Long-lived HTTP, ended cleanly by the lifecycle module:
 * - `GET /prices` — server-sent events; at intake close the stream ends with a `retry:` hint;
 * - `GET /orders/next` — a long-poll; at intake close it answers early with `{ orders: [] }`;
 * - `POST /orders` — publishes an order to the waiting long-polls;
 * - `GET /report` — an ordinary slow request (REPORT_MS, default 1 s), drained like any other.
 * None of them holds a flag or a timer of its own for the shutdown.
 */
@Controller()
export class SseController {
  private readonly logger = new Logger(SseController.name);
  private readonly orders$ = new Subject<Order>();
  private seq = 0;

  constructor(private readonly lifecycle: LifecycleCoordinator) {}

  @Sse('prices')
  prices(): Observable<MessageEvent> {
    this.logger.log('price stream opened');
    return interval(250).pipe(
      map((n) => ({ id: String(n + 1), type: 'price', data: { symbol: 'ACME', price: 100 + n } })),
      endOnShutdown(this.lifecycle),
    );
  }

  @Get('orders/next')
  async nextOrders(): Promise<{ orders: Order[] }> {
    this.logger.log('long-poll waiting for the next order');
    const orders = await longPoll(this.lifecycle, (signal) => this.nextOrder(signal), {
      fallback: [],
    });
    return { orders: Array.isArray(orders) ? orders : [orders] };
  }

  @Post('orders')
  publish(@Body() body: { item?: string }): Order {
    const order = { id: ++this.seq, item: body?.item ?? 'widget' };
    this.orders$.next(order);
    return order;
  }

  @Get('report')
  async report(): Promise<{ rows: number }> {
    this.logger.log('report started');
    // Follows its request's task: it would stop at FORCEFUL; during GRACEFUL it finishes.
    await abortableDelay(Number(process.env.REPORT_MS ?? 1000), currentTask()?.signal);
    return { rows: 42 };
  }

  /** The next order published, or the signal's reason once it aborts. */
  private nextOrder(signal: AbortSignal): Promise<Order> {
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        subscription.unsubscribe();
        reject(signal.reason);
      };
      const subscription = this.orders$.subscribe((order) => {
        subscription.unsubscribe();
        signal.removeEventListener('abort', onAbort);
        resolve(order);
      });
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
