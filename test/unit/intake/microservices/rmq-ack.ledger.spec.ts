import { describe, expect, it } from '@jest/globals';
import {
  RmqAckLedger,
  type AmqpChannelLike,
  type AmqpMessageLike,
} from '../../../../lib/intake/microservices/rmq-ack.ledger.js';

/** A channel that records what reaches the broker. */
class RecordingChannel implements AmqpChannelLike {
  readonly sent: string[] = [];
  closed = false;
  ack(message: AmqpMessageLike, allUpTo = false): void {
    this.send(`ack ${message.fields?.deliveryTag}${allUpTo ? ' up to' : ''}`);
  }
  nack(message: AmqpMessageLike, allUpTo = false, requeue = true): void {
    this.send(
      `nack ${message.fields?.deliveryTag}${allUpTo ? ' up to' : ''}${requeue ? ' requeue' : ''}`,
    );
  }
  reject(message: AmqpMessageLike, requeue = true): void {
    this.send(`reject ${message.fields?.deliveryTag}${requeue ? ' requeue' : ''}`);
  }
  ackAll(): void {
    this.send('ackAll');
  }
  nackAll(requeue = true): void {
    this.send(`nackAll${requeue ? ' requeue' : ''}`);
  }
  cancel(consumerTag: string): Promise<unknown> {
    this.send(`cancel ${consumerTag}`);
    return Promise.resolve();
  }
  prefetchCount = 4;
  private send(frame: string): void {
    if (this.closed) throw new Error('Channel closed');
    this.sent.push(frame);
  }
}

const delivery = (tag: number): AmqpMessageLike => ({ fields: { deliveryTag: tag } });

describe('RmqAckLedger', () => {
  it('hands an unsettled delivery back once, and keeps the handler’s later ack from the broker', () => {
    const ledger = new RmqAckLedger();
    const channel = new RecordingChannel();
    const guarded = ledger.guard(channel);
    const message = delivery(1);
    const tracked = ledger.track(channel, message)!;

    expect(ledger.requeue(tracked)).toBe(true);
    guarded.ack(message);
    expect(ledger.requeue(tracked)).toBe(false);
    expect(channel.sent).toEqual(['nack 1 requeue']);
  });

  it('does not hand back what the handler acknowledged, rejected or nacked', () => {
    const ledger = new RmqAckLedger();
    const channel = new RecordingChannel();
    const guarded = ledger.guard(channel);
    const [a, b, c] = [delivery(1), delivery(2), delivery(3)];
    const tracked = [a, b, c].map((m) => ledger.track(channel, m)!);

    guarded.ack(a);
    guarded.reject(b, false);
    guarded.nack(c, false, false);
    expect(tracked.map((t) => ledger.requeue(t))).toEqual([false, false, false]);
    expect(channel.sent).toEqual(['ack 1', 'reject 2', 'nack 3']);
  });

  it('an ack "up to" settles every earlier delivery; ackAll settles them all', () => {
    const ledger = new RmqAckLedger();
    const channel = new RecordingChannel();
    const guarded = ledger.guard(channel);
    const tracked = [1, 2, 3, 4].map((tag) => ledger.track(channel, delivery(tag))!);

    guarded.ack(delivery(2), true);
    expect(tracked.map((t) => t.settled)).toEqual([true, true, false, false]);
    guarded.ackAll();
    expect(tracked.map((t) => ledger.requeue(t))).toEqual([false, false, false, false]);
    expect(channel.sent).toEqual(['ack 2 up to', 'ackAll']);
  });

  it('a closed channel: the hand-back still counts (the broker requeued it), nothing throws', () => {
    const ledger = new RmqAckLedger();
    const channel = new RecordingChannel();
    const tracked = ledger.track(channel, delivery(5))!;
    channel.closed = true;
    expect(ledger.requeue(tracked)).toBe(true);
  });

  it('forgets a delivery once its handler ended: a later ack goes through unchecked', () => {
    const ledger = new RmqAckLedger();
    const channel = new RecordingChannel();
    const guarded = ledger.guard(channel);
    const message = delivery(9);
    const tracked = ledger.track(channel, message)!;
    ledger.requeue(tracked);
    ledger.forget(tracked);
    guarded.ack(message);
    expect(channel.sent).toEqual(['nack 9 requeue', 'ack 9']);
  });

  it('the guarded channel is the channel for everything else, one guard per channel', async () => {
    const ledger = new RmqAckLedger();
    const channel = new RecordingChannel();
    const guarded = ledger.guard(channel) as RecordingChannel;
    expect(ledger.guard(channel)).toBe(guarded);
    expect(guarded.prefetchCount).toBe(4);
    await guarded.cancel('ctag');
    expect(channel.sent).toEqual(['cancel ctag']);
    expect(ledger.track(channel, { fields: {} })).toBeUndefined();
  });
});
