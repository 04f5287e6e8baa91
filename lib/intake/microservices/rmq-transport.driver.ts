import { describeError } from '../../core/describe.js';
import type { LifecycleLogger } from '../../core/lifecycle-logger.interface.js';
import type { InFlightMessage } from './in-flight-message.js';
import {
  RmqAckLedger,
  type AmqpChannelLike,
  type AmqpMessageLike,
  type Delivery,
} from './rmq-ack.ledger.js';
import { nextLoopTurn, type HandBack, type TransportDriver } from './transport-driver.interface.js';

/** The part of Nest's `ServerRMQ` this driver uses. */
export interface RmqServerLike {
  /** Nest's default is `true`: the broker forgets a message once it delivered it. */
  readonly noAck?: boolean;
  /** The channel wrapper (amqp-connection-manager) replies are sent through; set at listen. */
  readonly channel?: unknown;
}

type SendToQueue = (...args: unknown[]) => unknown;

/** Nest's `RmqContext` class: the driver builds one around the guarded channel. */
export type RmqContextClass = new (args: [unknown, unknown, string]) => unknown;

interface RmqContextLike {
  getMessage(): AmqpMessageLike | undefined;
  getChannelRef(): AmqpChannelLike | undefined;
  getPattern(): string;
}

function isRmqContext(value: unknown): value is RmqContextLike {
  const context = value as Partial<RmqContextLike> | null;
  return typeof context?.getMessage === 'function' && typeof context.getChannelRef === 'function';
}

/**
 * RabbitMQ (`Transport.RMQ`): at shutdown start the server's consumer is cancelled
 * (`basic.cancel`), so the broker hands the queue's next messages to other consumers; the wave
 * stays open until the broker confirmed. With `noAck: false` (handlers acknowledge), a message
 * delivered after the shutdown began is nacked at once with requeue, and at FORCEFUL every
 * message still running that its handler has not acknowledged is nacked with requeue — the
 * broker redelivers it (`redelivered: true`); the handler's late `ack` is then ignored. With
 * Nest's default `noAck: true` the broker already forgot each message when it delivered it:
 * messages are drained, and at FORCEFUL only requests can be answered (with a retryable error).
 *
 * The consumer tag is read from the deliveries (Nest keeps none): a consumer that has
 * delivered nothing yet is cancelled as soon as its first delivery names it.
 */
export class RmqTransportDriver implements TransportDriver {
  readonly transport = 'rmq';
  private readonly acknowledged: boolean;
  private readonly ledger = new RmqAckLedger();
  /** The consumer on each channel the server consumed from (a reconnect opens a new one). */
  private readonly consumers = new Map<AmqpChannelLike, string>();
  private readonly cancels = new Map<AmqpChannelLike, Promise<unknown>>();
  /** Replies the channel wrapper has not had confirmed yet. */
  private readonly replies = new Set<Promise<void>>();
  private watchingReplies = false;
  private stopping = false;

  constructor(
    private readonly server: RmqServerLike,
    private readonly contextClass: RmqContextClass,
    private readonly logger: LifecycleLogger,
  ) {
    this.acknowledged = server.noAck === false;
  }

  received(message: InFlightMessage): void {
    this.watchReplies();
    if (!isRmqContext(message.context)) return;
    const delivered = message.context.getMessage();
    const channel = message.context.getChannelRef();
    if (delivered === undefined || channel === undefined) return;
    const tag = delivered.fields?.consumerTag;
    if (typeof tag === 'string' && !this.consumers.has(channel)) {
      this.consumers.set(channel, tag);
      // Learnt only now (nothing was delivered before the shutdown): stop it at once.
      if (this.stopping) void this.cancel(channel);
    }
    if (!this.acknowledged) return;
    message.transportState = this.ledger.track(channel, delivered);
    message.handlerContext = new this.contextClass([
      delivered,
      this.ledger.guard(channel),
      message.context.getPattern(),
    ]);
  }

  released(): void {}

  async replied(): Promise<void> {
    // Nest closes the channel wrapper after the shutdown, which rejects the replies it has not
    // had confirmed: wait for them first.
    if (this.replies.size > 0) await Promise.all([...this.replies]);
  }

  ended(message: InFlightMessage): void {
    const delivery = message.transportState as Delivery | undefined;
    if (delivery !== undefined) this.ledger.forget(delivery);
  }

  takesLate(): boolean {
    // Acknowledged deliveries go back to the broker at once; auto-acknowledged ones are ours.
    return !this.acknowledged;
  }

  async stopIntake(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.consumers.keys()].map((channel) => this.cancel(channel)));
    // The broker confirmed (cancel-ok comes after every delivery it made before); one loop turn
    // later those deliveries have reached their handlers.
    await nextLoopTurn();
  }

  handBack(message: InFlightMessage): HandBack {
    const delivery = message.transportState as Delivery | undefined;
    if (delivery !== undefined && this.ledger.requeue(delivery)) return 'requeued';
    return message.kind === 'request' ? 'answer' : 'none';
  }

  dispose(): void {}

  /**
   * Tracks the replies sent through the server's channel wrapper. Nest drops the promise of
   * each send; tracking it also keeps a reply the closing wrapper rejects from becoming an
   * unhandled rejection.
   */
  private watchReplies(): void {
    const wrapper = this.server.channel as { sendToQueue?: unknown } | null | undefined;
    if (this.watchingReplies || typeof wrapper?.sendToQueue !== 'function') return;
    this.watchingReplies = true;
    const send = wrapper.sendToQueue as SendToQueue;
    wrapper.sendToQueue = (...args: unknown[]): unknown => {
      const sent = send.apply(wrapper, args);
      if (sent instanceof Promise) {
        const confirmed: Promise<void> = sent.then(
          () => undefined,
          (error: unknown) => {
            this.logger.warn(`rmq: a reply was not delivered: ${describeError(error)}`);
          },
        );
        this.replies.add(confirmed);
        void confirmed.finally(() => this.replies.delete(confirmed));
      }
      return sent;
    };
  }

  /** Cancels the consumer on `channel`, once; a closed channel has no consumer left anyway. */
  private cancel(channel: AmqpChannelLike): Promise<unknown> {
    let cancelled = this.cancels.get(channel);
    if (cancelled === undefined) {
      const tag = this.consumers.get(channel) as string;
      try {
        // Sent now, before any nack that follows on this channel: the broker then hands the
        // requeued message to another consumer, not back to this one.
        cancelled = Promise.resolve(channel.cancel(tag)).catch(() => undefined);
      } catch {
        cancelled = Promise.resolve();
      }
      this.cancels.set(channel, cancelled);
    }
    return cancelled;
  }
}
