import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { Cron, CronExpression, Interval, Timeout } from '@nestjs/schedule';
import { MANAGED_TASK_METADATA } from '../../../../lib/async-lifecycle.constants.js';
import { ManagedTask } from '../../../../lib/decorators/managed-task.decorator.js';
import { bindLayer } from '../../../../lib/decorators/method-dispatch.js';
import {
  installTickLayers,
  isManagedCall,
  isScheduled,
  scheduledMethodsOf,
  scheduleKindOf,
  scheduleNameOf,
  tickLayerOf,
} from '../../../../lib/intake/schedule/schedule-tick.layer.js';

describe('the metadata of @nestjs/schedule, as its own decorators write it', () => {
  class Jobs {
    @Cron(CronExpression.EVERY_MINUTE, { name: 'nightly' })
    cron(): void {}

    @Interval(1000)
    interval(): void {}

    @Timeout('warm-up', 500)
    timeout(): void {}

    plain(): void {}
  }

  it('tells what is scheduled, how, and under which name', () => {
    const { cron, interval, timeout, plain } = Jobs.prototype;
    expect([cron, interval, timeout, plain].map(isScheduled)).toEqual([true, true, true, false]);
    expect([cron, interval, timeout, plain].map(scheduleKindOf)).toEqual([
      'cron',
      'interval',
      'timeout',
      undefined,
    ]);
    expect([cron, interval, timeout].map(scheduleNameOf)).toEqual([
      'nightly',
      undefined,
      'warm-up',
    ]);
  });
});

describe('installTickLayers', () => {
  it('puts one layer on each scheduled method, keeping its metadata; unbound, it calls the method as it was', () => {
    class Jobs {
      readonly seen: unknown[] = [];

      @Interval('poll', 1000)
      poll(this: Jobs, value: number): number {
        this.seen.push(value);
        return value * 2;
      }

      plain(): void {}
    }
    const { poll, plain } = Jobs.prototype;
    expect(installTickLayers([Jobs.prototype])).toBe(1);
    // Once per method, however many applications instantiate the class.
    expect(installTickLayers([Jobs.prototype, Jobs.prototype])).toBe(0);

    expect(Jobs.prototype.poll).not.toBe(poll);
    expect(Jobs.prototype.plain).toBe(plain);
    expect(tickLayerOf(Jobs.prototype.poll)).toBeDefined();
    expect(scheduleNameOf(Jobs.prototype.poll)).toBe('poll');
    expect(Jobs.prototype.poll.name).toBe('poll');
    const jobs = new Jobs();
    expect(jobs.poll(21)).toBe(42);
    expect(jobs.seen).toEqual([21]);
  });

  it('runs what the instance binds, with the original method underneath', () => {
    class Jobs {
      @Interval(1000)
      tick(value: string): string {
        return `tick ${value}`;
      }
    }
    installTickLayers([Jobs.prototype]);
    const bound = new Jobs();
    const other = new Jobs();
    const calls: string[] = [];
    bindLayer(tickLayerOf(Jobs.prototype.tick)!, bound, (self, original, args) => {
      calls.push(`bound ${String(args[0])}`);
      return original.apply(self, args);
    });

    expect(bound.tick('a')).toBe('tick a');
    expect(other.tick('b')).toBe('tick b');
    expect(calls).toEqual(['bound a']);
  });

  it('layers a base class method once, on the base, for every class extending it', () => {
    class Base {
      @Interval(1000)
      tick(): string {
        return 'base';
      }
    }
    class A extends Base {}
    class B extends Base {}
    expect(installTickLayers([A.prototype, B.prototype])).toBe(1);
    expect(Object.prototype.hasOwnProperty.call(A.prototype, 'tick')).toBe(false);
    expect(tickLayerOf(Base.prototype.tick)).toBeDefined();
  });

  it('leaves accessors unread and methods that cannot be replaced alone', () => {
    let reads = 0;
    class Jobs {
      @Interval(1000)
      frozen(): void {}
    }
    Object.defineProperty(Jobs.prototype, 'frozen', { writable: false, configurable: false });
    Object.defineProperty(Jobs.prototype, 'getter', {
      get() {
        reads++;
        return () => undefined;
      },
    });
    expect(installTickLayers([Jobs.prototype])).toBe(0);
    expect(reads).toBe(0);
  });

  it('@ManagedTask({ start: "call" }) above or below @Cron: both layers, both metadata', () => {
    class Above {
      @ManagedTask({ start: 'call' })
      @Cron(CronExpression.EVERY_MINUTE)
      run(): void {}
    }
    class Below {
      @Cron(CronExpression.EVERY_MINUTE)
      @ManagedTask({ start: 'call' })
      run(): void {}
    }
    class Bootstrap {
      @Cron(CronExpression.EVERY_MINUTE)
      @ManagedTask()
      run(): void {}
    }
    installTickLayers([Above.prototype, Below.prototype, Bootstrap.prototype]);
    for (const method of [Above.prototype.run, Below.prototype.run]) {
      expect(isManagedCall(method)).toBe(true);
      expect(scheduleKindOf(method)).toBe('cron');
      expect(Reflect.getMetadata(MANAGED_TASK_METADATA, method)).toMatchObject({ start: 'call' });
    }
    // A bootstrap task has no call layer: its ticks are the schedule intake's tasks.
    expect(isManagedCall(Bootstrap.prototype.run)).toBe(false);
  });
});

describe('scheduledMethodsOf', () => {
  it('lists the scheduled methods of an instance once each, as the instance resolves them', () => {
    class Base {
      @Cron(CronExpression.EVERY_MINUTE)
      report(): void {}

      @Timeout(10)
      once(): void {}
    }
    class Jobs extends Base {
      // Overridden without a decorator: not scheduled any more.
      override once(): void {}

      @Interval(10)
      poll(): void {}
    }
    installTickLayers([Jobs.prototype]);
    const jobs = new Jobs();
    expect(
      scheduledMethodsOf(jobs).map(({ methodName, kind, layer }) => [
        methodName,
        kind,
        layer !== undefined,
      ]),
    ).toEqual([
      ['poll', 'interval', true],
      ['report', 'cron', true],
    ]);
  });

  it('reports a scheduled method that carries no layer (its class was never seen at instantiation)', () => {
    class Made {
      @Interval(10)
      poll(): void {}
    }
    expect(scheduledMethodsOf(new Made())).toEqual([
      expect.objectContaining({ methodName: 'poll', kind: 'interval', layer: undefined }),
    ]);
  });
});
