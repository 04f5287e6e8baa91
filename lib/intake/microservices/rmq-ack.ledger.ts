/** The parts of an amqplib channel the ledger watches. */
export interface AmqpChannelLike {
  ack(message: AmqpMessageLike, allUpTo?: boolean): void;
  nack(message: AmqpMessageLike, allUpTo?: boolean, requeue?: boolean): void;
  reject(message: AmqpMessageLike, requeue?: boolean): void;
  ackAll(): void;
  nackAll(requeue?: boolean): void;
  cancel(consumerTag: string): Promise<unknown>;
}

/** An amqplib message, as far as acknowledgement goes. */
export interface AmqpMessageLike {
  readonly fields?: { readonly deliveryTag?: number; readonly consumerTag?: string };
}

/** One delivery waiting for its acknowledgement. */
export interface Delivery {
  readonly channel: AmqpChannelLike;
  readonly message: AmqpMessageLike;
  /** Acknowledged, rejected or nacked — by the handler or by the intake. */
  settled: boolean;
}

const ACKNOWLEDGING = new Set<PropertyKey>(['ack', 'nack', 'reject', 'ackAll', 'nackAll']);

/**
 * Who acknowledged what, per channel, with `noAck: false`. Handlers get a channel that records
 * their `ack`/`nack`/`reject` here and ignores a second one for the same delivery: once the
 * intake has nacked a message for redelivery (FORCEFUL), a late `ack` from its handler must not
 * reach the broker, which would close the channel over the unknown delivery tag (and requeue
 * every message on it). The intake nacks only deliveries still unsettled.
 */
export class RmqAckLedger {
  private readonly pending = new WeakMap<AmqpChannelLike, Map<number, Delivery>>();
  private readonly guards = new WeakMap<AmqpChannelLike, AmqpChannelLike>();

  /** Starts tracking a delivery; `undefined` when it has no delivery tag. */
  track(channel: AmqpChannelLike, message: AmqpMessageLike): Delivery | undefined {
    const tag = message.fields?.deliveryTag;
    if (typeof tag !== 'number') return undefined;
    let deliveries = this.pending.get(channel);
    if (deliveries === undefined) {
      deliveries = new Map();
      this.pending.set(channel, deliveries);
    }
    const delivery: Delivery = { channel, message, settled: false };
    deliveries.set(tag, delivery);
    return delivery;
  }

  /** Its handler has ended: a later acknowledgement of it goes to the broker unchecked. */
  forget(delivery: Delivery): void {
    const deliveries = this.pending.get(delivery.channel);
    const tag = delivery.message.fields?.deliveryTag;
    if (typeof tag === 'number' && deliveries?.get(tag) === delivery) deliveries.delete(tag);
  }

  /**
   * Nacks a delivery with requeue — the broker redelivers it — unless it is already settled.
   * `false` when there was nothing left to hand back.
   */
  requeue(delivery: Delivery): boolean {
    if (delivery.settled) return false;
    this.settle(delivery.channel, delivery.message, false);
    try {
      delivery.channel.nack(delivery.message, false, true);
    } catch {
      // The channel is closed: the broker has requeued everything unacknowledged on it already.
    }
    return true;
  }

  /** The channel a handler sees: the same channel, whose acknowledgements go through here. */
  guard(channel: AmqpChannelLike): AmqpChannelLike {
    let guarded = this.guards.get(channel);
    if (guarded === undefined) {
      guarded = new Proxy(channel, {
        get: (target, property) => {
          const value: unknown = Reflect.get(target, property, target);
          if (typeof value !== 'function') return value;
          const method = value as (...args: unknown[]) => unknown;
          if (!ACKNOWLEDGING.has(property)) return method.bind(target);
          return (...args: unknown[]) => {
            if (!this.claim(target, property, args)) return undefined;
            return method.apply(target, args);
          };
        },
      });
      this.guards.set(channel, guarded);
    }
    return guarded;
  }

  /** Records an acknowledgement call; `false` when its delivery was already settled. */
  private claim(channel: AmqpChannelLike, method: PropertyKey, args: unknown[]): boolean {
    if (method === 'ackAll' || method === 'nackAll') {
      for (const delivery of this.pending.get(channel)?.values() ?? []) delivery.settled = true;
      return true;
    }
    const message = args[0] as AmqpMessageLike | undefined;
    const tag = message?.fields?.deliveryTag;
    const delivery = typeof tag === 'number' ? this.pending.get(channel)?.get(tag) : undefined;
    if (delivery?.settled === true) return false;
    const allUpTo = method !== 'reject' && args[1] === true;
    if (message !== undefined) this.settle(channel, message, allUpTo);
    return true;
  }

  private settle(channel: AmqpChannelLike, message: AmqpMessageLike, allUpTo: boolean): void {
    const deliveries = this.pending.get(channel);
    const tag = message.fields?.deliveryTag;
    if (deliveries === undefined || typeof tag !== 'number') return;
    // Settled deliveries stay until their handler ends (`forget`): a second acknowledgement
    // from it must still be recognised and kept from the broker.
    for (const [other, delivery] of deliveries) {
      if (other === tag || (allUpTo && other < tag)) delivery.settled = true;
    }
  }
}
