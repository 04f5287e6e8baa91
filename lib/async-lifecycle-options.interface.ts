import type { LifecycleCoordinatorOptions } from './core/lifecycle-options.interface.js';
import type { BullmqIntakeOptions } from './intake/bullmq/bullmq-intake.options.js';
import type { HttpIntakeOptions } from './intake/http/http-intake.options.js';
import type { ScheduleIntakeOptions } from './intake/schedule/schedule-intake.options.js';
import type { WebSocketIntakeOptions } from './intake/websocket/websocket-intake.options.js';
import type { Http2IntakeOptions } from './intake/http2/http2-intake.options.js';
import type { SseIntakeOptions } from './intake/sse/sse-intake.options.js';
import type { MicroservicesIntakeOptions } from './intake/microservices/microservices-intake.options.js';

/**
 * Options of `AsyncLifecycleModule.forRoot()`: the engine's (`phases`, `drain`, …) plus the
 * intakes' and the report file's. Validated when the application is compiled: an unknown key or
 * a bad value fails bootstrap with an `InvalidLifecycleOptionError` naming the option and the
 * value.
 *
 * @example
 * AsyncLifecycleModule.forRoot({
 *   phases: { gracefulMs: 20_000 },
 *   drain: { minMs: 2_000, quietMs: 1_000, maxMs: 15_000 },
 *   gracePeriodMs: 30_000,
 *   http: { exclude: ['/health', '/metrics'] },
 *   reportFile: '/var/run/app/last-shutdown.json',
 * });
 */
export interface AsyncLifecycleOptions extends LifecycleCoordinatorOptions {
  /** Track HTTP requests as managed tasks and drain the server; default `true`. */
  http?: boolean | HttpIntakeOptions;
  /**
   * Stop `@nestjs/schedule`'s cron jobs, intervals and timeouts when the shutdown begins, and
   * drain the ticks in flight as managed tasks; default: on when the application uses it.
   */
  schedule?: boolean | ScheduleIntakeOptions;
  /** Track gateway messages and close WebSocket clients in turn; default on when a gateway exists. */
  websockets?: boolean | WebSocketIntakeOptions;
  /** Track HTTP/2 streams and send GOAWAY at intake close (Fastify `http2: true`); default `true`. */
  http2?: boolean | Http2IntakeOptions;
  /** How `endOnShutdown()` streams and `longPoll()` polls end at intake close. */
  sse?: true | SseIntakeOptions;
  /**
   * Drain BullMQ workers (`@nestjs/bullmq` processors, `Worker` providers, `manageBullmqWorker`):
   * stop fetching when the shutdown begins, every job a managed task, jobs still running at
   * FORCEFUL handed back to their queue. Default: on when the application has workers.
   */
  bullmq?: boolean | BullmqIntakeOptions;
  /**
   * Drain the microservice servers (TCP, Redis, NATS, RabbitMQ; hybrid or standalone): messages
   * are managed tasks, servers stop taking messages at shutdown start; default: on when used.
   */
  microservices?: boolean | MicroservicesIntakeOptions;
  /** Persist each shutdown report here (atomically) and read it back at the next boot. */
  reportFile?: string;
}
