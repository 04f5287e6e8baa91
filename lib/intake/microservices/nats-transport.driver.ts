import type { InFlightMessage } from './in-flight-message.js';
import { nextLoopTurn, type HandBack, type TransportDriver } from './transport-driver.interface.js';

/** The part of Nest's `ServerNats` this driver uses: the subscriptions it made at listen. */
export interface NatsServerLike {
  /** Private in Nest's typings; present in Nest 11 and 12. */
  readonly subscriptions?: unknown;
}

interface DrainableSubscription {
  drain(): Promise<unknown>;
}

function isDrainable(value: unknown): value is DrainableSubscription {
  return typeof (value as { drain?: unknown } | null)?.drain === 'function';
}

/**
 * NATS core (`Transport.NATS`): at shutdown start every subscription of the server is drained —
 * unsubscribed, then flushed, so that every message the server sent before is delivered — and
 * the wave stays open until then. In a queue group the other members get the next messages at
 * once. Core NATS keeps nothing: a message published while no instance is subscribed reaches no
 * one (a `request()` fails at once with "no responders"; Nest's `ClientNats` waits for its
 * timeout). At FORCEFUL requests still running are answered with a retryable error; events
 * cannot be handed back (JetStream, which can, is not a Nest transport).
 */
export class NatsTransportDriver implements TransportDriver {
  readonly transport = 'nats';

  constructor(private readonly server: NatsServerLike) {}

  received(): void {}

  released(): void {}

  replied(): void {}

  ended(): void {}

  takesLate(): boolean {
    // Delivered to this instance alone, never again: refusing it would lose it.
    return true;
  }

  async stopIntake(): Promise<void> {
    const subscriptions = this.server.subscriptions;
    if (!Array.isArray(subscriptions)) return;
    // A subscription already closed (or a closed connection) rejects: nothing comes from it.
    await Promise.allSettled(subscriptions.filter(isDrainable).map((sub) => sub.drain()));
    await nextLoopTurn();
  }

  handBack(message: InFlightMessage): HandBack {
    return message.kind === 'request' ? 'answer' : 'none';
  }

  dispose(): void {}
}
