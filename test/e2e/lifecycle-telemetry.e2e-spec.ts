import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { afterEach, describe, expect, it } from '@jest/globals';
import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import {
  AsyncLifecycleModule,
  LifecycleCoordinator,
  OnShutdown,
  TaskPriority,
  type AsyncLifecycleOptions,
} from '../../lib/index.js';
import { untilAborted } from '../support/deferred.js';
import { OpenApps } from '../support/nest-app.js';
import { RecordingLogger } from '../support/recording-logger.js';

const FAST = { gracefulMs: 200, forcefulMs: 100, terminateMs: 100 } as const;
const order: string[] = [];

@Injectable()
class Store {
  @OnShutdown({ priority: TaskPriority.CRITICAL, name: 'store' })
  close(): void {
    order.push('hook store');
  }
}

const apps = new OpenApps();
const providers: BasicTracerProvider[] = [];

afterEach(async () => {
  await apps.closeAll();
  for (const provider of providers.splice(0)) await provider.shutdown();
  trace.disable();
  order.length = 0;
});

function tracing(): { exporter: InMemorySpanExporter; provider: BasicTracerProvider } {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  providers.push(provider);
  return { exporter, provider };
}

async function boot(options: AsyncLifecycleOptions) {
  const logger = new RecordingLogger();
  @Module({
    imports: [AsyncLifecycleModule.forRoot({ phases: FAST, logger, ...options })],
    providers: [Store],
  })
  class AppModule {}
  const app = apps.track(
    await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false }),
  );
  return { app, logger, coordinator: app.get(LifecycleCoordinator) };
}

function only(exporter: InMemorySpanExporter): ReadableSpan {
  const spans = exporter.getFinishedSpans();
  expect(spans).toHaveLength(1);
  return spans[0];
}

describe('telemetry: the shutdown as an OpenTelemetry span', () => {
  it('one span: an event per phase, per task end and hook end, the outcome as attributes; flush runs last', async () => {
    const { exporter, provider } = tracing();
    let flushedSpans = -1;
    const { app, coordinator } = await boot({
      telemetry: {
        tracer: provider.getTracer('test'),
        flush: () => {
          order.push('flush');
          flushedSpans = exporter.getFinishedSpans().length;
        },
      },
    });
    coordinator.createTask((ctx) => untilAborted(ctx.signal).catch(() => undefined), {
      name: 'poller',
    });
    // Nothing is recorded while the application runs.
    expect(exporter.getFinishedSpans()).toEqual([]);

    await app.close();

    const span = only(exporter);
    expect(span.name).toBe('lifecycle.shutdown');
    const events = span.events.map((event) => [event.name, event.attributes]);
    expect(events).toEqual(
      expect.arrayContaining([
        ['phase.graceful', { 'lifecycle.by': 'start' }],
        [
          'task.end',
          {
            'lifecycle.task.name': 'poller',
            'lifecycle.task.state': 'cancelled',
            'lifecycle.task.priority': 'NORMAL',
          },
        ],
        [
          'hook.end',
          {
            'lifecycle.hook.name': 'store',
            'lifecycle.hook.outcome': 'ok',
            'lifecycle.hook.priority': 'CRITICAL',
          },
        ],
      ]),
    );
    expect(span.attributes).toMatchObject({
      'lifecycle.shutdown.reason': 'close',
      'lifecycle.shutdown.outcome': 'clean',
      'lifecycle.shutdown.phase_reached': 'graceful',
      'lifecycle.tasks.total': 1,
      'lifecycle.tasks.cancelled': 1,
      'lifecycle.hooks.total': 1,
      'lifecycle.hooks.not_ok': 0,
    });
    expect(span.status.code).toBe(0); // UNSET: nothing went wrong
    // The hook ran before the flush, and the span had ended (exported) when flush ran.
    expect(order).toEqual(['hook store', 'flush']);
    expect(flushedSpans).toBe(1);
  });

  it('bounded: task ends beyond maxTaskEvents are counted by state, not recorded one by one', async () => {
    const { exporter, provider } = tracing();
    const { app, coordinator } = await boot({
      telemetry: { tracer: provider.getTracer('test'), maxTaskEvents: 3 },
    });
    for (let i = 0; i < 50; i++) {
      coordinator.createTask((ctx) => untilAborted(ctx.signal).catch(() => undefined), {
        name: `worker-${i}`,
      });
    }

    await app.close();

    const span = only(exporter);
    expect(span.events.filter((event) => event.name === 'task.end')).toHaveLength(3);
    expect(span.attributes['lifecycle.events.dropped.task.cancelled']).toBe(47);
    expect(span.attributes['lifecycle.tasks.total']).toBe(50);
  });

  it('an abandoned task makes the span an ERROR; a flush that hangs is cut at flushTimeoutMs with a warning', async () => {
    const { exporter, provider } = tracing();
    const { app, coordinator, logger } = await boot({
      telemetry: {
        tracer: provider.getTracer('test'),
        flush: () => new Promise(() => undefined),
        flushTimeoutMs: 50,
      },
    });
    let release: () => void = () => undefined;
    coordinator.createTask(() => new Promise<void>((resolve) => (release = resolve)), {
      name: 'stubborn',
    });

    await app.close();
    release();

    const span = only(exporter);
    expect(span.status).toEqual({ code: 2, message: '1 abandoned' });
    expect(span.attributes['lifecycle.shutdown.outcome']).toBe('terminated');
    expect(logger.messages('warn')).toContain(
      'telemetry.flush() has not finished after 50 ms; the shutdown goes on without it',
    );
  });

  it('telemetry: true uses the global tracer of @opentelemetry/api', async () => {
    const { exporter, provider } = tracing();
    trace.setGlobalTracerProvider(provider);
    const { app } = await boot({ telemetry: true });

    await app.close();

    expect(only(exporter).instrumentationScope.name).toBe('nestjs-async-lifecycle');
  });

  it('a tracer that throws loses its telemetry, never the shutdown', async () => {
    const { app, logger, coordinator } = await boot({
      telemetry: {
        tracer: {
          startSpan: () => {
            throw new Error('exporter gone');
          },
        },
      },
    });

    await app.close();

    expect(coordinator.getReport()?.outcome).toBe('clean');
    expect(logger.messages('warn')).toEqual([
      "OpenTelemetry: the tracer or span threw, this part of the shutdown's telemetry is lost: Error: exporter gone",
    ]);
  });

  it.each<[unknown, string]>([
    [
      { tracer: {} },
      'Invalid option telemetry.tracer = {}: expected an OpenTelemetry Tracer (with startSpan)',
    ],
    [
      { maxTaskEvents: -1 },
      'Invalid option telemetry.maxTaskEvents = -1: expected an integer >= 0',
    ],
    [{ flush: 'now' }, 'Invalid option telemetry.flush = "now": expected a function'],
    [
      { exporter: 1 },
      'Unknown option telemetry.exporter = 1; known options are: tracer, maxTaskEvents, flush, flushTimeoutMs',
    ],
  ])('bad telemetry %p fails bootstrap naming the option', async (telemetry, message) => {
    await expect(boot({ telemetry } as AsyncLifecycleOptions)).rejects.toThrow(message);
  });
});
