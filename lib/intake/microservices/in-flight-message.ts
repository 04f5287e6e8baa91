import type { Subscriber, Subscription } from 'rxjs';
import type { RpcMessageHandler } from './rpc-server.interface.js';

/**
 * One message a microservice server took, from its arrival to the end of its handler: what the
 * transport replies with goes through here, so that once the intake has answered for it
 * (refused it, handed it back) nothing the handler does later reaches the client twice.
 */
export class InFlightMessage {
  /** What its handler receives: Nest's context, or one the transport wraps (RabbitMQ). */
  handlerContext: unknown;
  /** Something the transport keeps about it (its socket, its acknowledgement). */
  transportState: unknown;
  /** Running when the shutdown began, or taken after: it counts in the report. */
  partOfShutdown = false;
  /** Handed back at FORCEFUL. */
  handedBack = false;
  /** Still running at FORCEFUL, and the transport could not hand it back. */
  forced = false;
  /** The handler's stream ended (or was unsubscribed). */
  done = false;
  /** The transport no longer carries anything of it (its reply went, or was given up). */
  released = false;
  /** The subscription to the handler's stream. */
  inner: Subscription | undefined;
  private answered = false;
  private readonly ended: Promise<void>;
  private markEnded!: () => void;

  constructor(
    readonly kind: 'request' | 'event',
    readonly pattern: string,
    readonly context: unknown,
    private readonly subscriber: Subscriber<unknown>,
  ) {
    this.handlerContext = context;
    this.ended = new Promise<void>((resolve) => (this.markEnded = resolve));
  }

  /** Whether the intake already answered for it: the handler's output is dropped. */
  get settled(): boolean {
    return this.answered;
  }

  /** Resolves when the handler's stream has ended. */
  whenEnded(): Promise<void> {
    return this.ended;
  }

  forward(value: unknown): void {
    if (!this.answered) this.subscriber.next(value);
  }

  /** The handler's stream ended: its outcome goes to the transport unless already answered. */
  end(failure?: { error: unknown }): void {
    if (this.done) return;
    this.done = true;
    if (!this.answered) {
      this.answered = true;
      if (failure === undefined) this.subscriber.complete();
      else this.subscriber.error(failure.error);
    }
    this.markEnded();
  }

  /** Answers the client with `error` now (a request refused or handed back). */
  answer(error: unknown): void {
    if (this.answered) return;
    this.answered = true;
    this.subscriber.error(error);
  }

  /**
   * Gives the message up without a reply: the broker redelivers it, or its connection is
   * closing. An event's stream completes; a request's stays silent — a reply, even an empty
   * one, would reach a client that another instance will answer.
   */
  giveUp(): void {
    if (this.answered) return;
    this.answered = true;
    if (this.kind === 'event') this.subscriber.complete();
  }
}

/** Whether Nest registered `handler` for events (`@EventPattern`) rather than requests. */
export function messageKindOf(handler: RpcMessageHandler): 'request' | 'event' {
  return handler.isEventHandler === true ? 'event' : 'request';
}
