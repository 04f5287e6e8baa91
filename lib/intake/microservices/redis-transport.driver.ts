import type { InFlightMessage } from './in-flight-message.js';
import { nextLoopTurn, type HandBack, type TransportDriver } from './transport-driver.interface.js';

/** The part of Nest's `ServerRedis` this driver uses: its subscriber connection. */
export interface RedisServerLike {
  unwrap(): unknown;
  /** With `wildcards`, Nest subscribes to patterns (`PSUBSCRIBE`), else to channels. */
  readonly options?: { readonly wildcards?: boolean } | null;
}

interface Subscriber {
  unsubscribe(): Promise<unknown>;
  punsubscribe(): Promise<unknown>;
}

/**
 * Redis (`Transport.REDIS`, pub/sub): at shutdown start the subscriber connection unsubscribes
 * from every channel and pattern; Redis then no longer delivers here. What it delivered before
 * confirming is handled (the wave stays open until the confirmation). Pub/sub has no
 * redelivery: a message published while no instance is subscribed reaches no one (`PUBLISH`
 * answers 0), and every subscribed instance receives every message. At FORCEFUL requests still
 * running are answered with a retryable error; events cannot be handed back.
 */
export class RedisTransportDriver implements TransportDriver {
  readonly transport = 'redis';

  constructor(private readonly server: RedisServerLike) {}

  received(): void {}

  released(): void {}

  replied(): void {}

  ended(): void {}

  takesLate(): boolean {
    // Delivered to this instance alone, never again: refusing it would lose it.
    return true;
  }

  async stopIntake(): Promise<void> {
    let subscriber: Subscriber;
    try {
      subscriber = (this.server.unwrap() as [unknown, Subscriber])[1];
    } catch {
      return; // not listening yet: nothing subscribed
    }
    // Only the kind Nest subscribed with: ioredis never settles a PUNSUBSCRIBE sent while the
    // connection has no pattern subscription. Redis answers in order on this connection: once
    // confirmed, every message it delivered before has been emitted; one loop turn later it has
    // reached its handler.
    if (this.server.options?.wildcards === true) await subscriber.punsubscribe();
    else await subscriber.unsubscribe();
    await nextLoopTurn();
  }

  handBack(message: InFlightMessage): HandBack {
    return message.kind === 'request' ? 'answer' : 'none';
  }

  dispose(): void {}
}
