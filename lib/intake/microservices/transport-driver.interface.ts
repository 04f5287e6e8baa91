import type { InFlightMessage } from './in-flight-message.js';
import type { MicroserviceTransport } from './microservices-intake.report.js';

/**
 * How a message can be given back when the intake will not (or no longer) handle it:
 * - `requeued` — the broker has it again and redelivers it (RabbitMQ nack with requeue); no reply;
 * - `answer` — a request: the client is answered with a retryable error;
 * - `closing` — its connection is closing: the client sees it close, nothing can be written;
 * - `none` — the transport cannot give it back (an event without redelivery).
 */
export type HandBack = 'requeued' | 'answer' | 'closing' | 'none';

/**
 * What one transport (TCP, Redis, NATS, RabbitMQ) does for the intake: its bookkeeping per
 * message, how it stops taking messages, and how it gives a message back.
 */
export interface TransportDriver {
  readonly transport: MicroserviceTransport;
  /** A message arrived, before its handler runs: bookkeeping, and the context its handler gets. */
  received(message: InFlightMessage): void;
  /** The message no longer needs its connection: replied to, or given up. Called once. */
  released(message: InFlightMessage): void;
  /**
   * Its handler's stream has ended and Nest has handed the reply to the transport: resolves once
   * the transport has it for good (a broker confirmed it), so that closing the transport right
   * after the shutdown cannot lose it. Never rejects.
   */
  replied(message: InFlightMessage): Promise<void> | void;
  /** Its handler has ended (or it was refused): the transport forgets it. Called once. */
  ended(message: InFlightMessage): void;
  /**
   * Whether a message arriving after the shutdown began is taken (`true`) — the broker already
   * gave it to this instance and will not redeliver it — or refused at once.
   */
  takesLate(message: InFlightMessage): boolean;
  /**
   * The shutdown began: stop taking new messages. The promise resolves once none can arrive any
   * more (the broker confirmed); the intake's wave stays open until then. Never rejects.
   */
  stopIntake(): Promise<void> | void;
  /** Gives `message` back as this transport allows (see {@link HandBack}). */
  handBack(message: InFlightMessage): HandBack;
  /** The shutdown is over: its timers and listeners are released. */
  dispose(): void;
}

/** One turn of the event loop: what a message the transport emitted before now needs to reach its handler. */
export function nextLoopTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
