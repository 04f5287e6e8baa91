import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  Catch,
  Controller,
  Get,
  Inject,
  type ArgumentsHost,
  type ExceptionFilter,
  Module,
  NotFoundException,
  UseFilters,
  type INestApplication,
  type INestMicroservice,
} from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import {
  ClientProxyFactory,
  MessagePattern,
  Transport,
  type ClientProxy,
} from '@nestjs/microservices';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { WsAdapter } from '@nestjs/platform-ws';
import { Test } from '@nestjs/testing';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { AddressInfo, Server } from 'node:net';
import { firstValueFrom } from 'rxjs';
import {
  AsyncLifecycleModule,
  CancellationFilter,
  CancelledError,
  LifecycleCoordinator,
  TaskPriority,
  type TaskContext,
} from '../../lib/index.js';
import { deferred, untilAborted } from '../support/deferred.js';
import { httpGet } from '../support/http-client.js';
import { draining } from '../support/lifecycle-events.js';
import { OpenApps } from '../support/nest-app.js';
import { RecordingLogger } from '../support/recording-logger.js';
import { freePort } from '../support/servers/free-port.js';
import { openGatewayClient, type GatewayClient } from '../support/gateway-client.js';

/*
 * DESIGN §7 "a cancellation that reaches Nest's exception layer → 503 with Retry-After (HTTP) /
 * a transport error the client can retry — never a bare 500". Real Nest 12 applications: HTTP on
 * Express and Fastify, RPC over Nest's TCP transport. Nest's own logger is recorded: a
 * cancellation must leave no ERROR line, any other error the same as before.
 */

/** The cancellations a handler may let through. */
const CANCELLATIONS: readonly (readonly [string, () => unknown])[] = [
  ['a CancelledError', () => new CancelledError()],
  ['an AbortError', () => new DOMException('aborted', 'AbortError')],
  [
    'an error caused by a cancellation',
    () => new Error('wrapped', { cause: new CancelledError() }),
  ],
];

const RETRYABLE_RUNNING = 'The request was cancelled: retry it';
const RETRYABLE_SHUTDOWN = 'The service is shutting down: retry the request on another instance';

describe.each([['express'], ['fastify']])(
  'a cancellation reaching Nest over HTTP (%s)',
  (adapter) => {
    const apps = new OpenApps();
    afterEach(() => apps.closeAll());

    /** Handlers that throw what the test sets, or await a task the shutdown cancels. */
    async function start(throws: () => unknown, filters: ExceptionFilter[] = []) {
      const entered = deferred();
      @Controller()
      class WorkController {
        constructor(
          @Inject(LifecycleCoordinator) private readonly coordinator: LifecycleCoordinator,
        ) {}

        @Get('throws')
        throws(): never {
          throw throws();
        }

        @Get('missing')
        missing(): never {
          throw new NotFoundException('no such thing');
        }

        @Get('fails')
        fails(): never {
          throw new Error('a real failure');
        }

        /** Awaits a LOW task: the shutdown cancels it while the request (HIGH) still drains. */
        @Get('report')
        async report(): Promise<string> {
          const build = this.coordinator.createTask(
            (ctx: TaskContext) => {
              entered.resolve();
              return untilAborted(ctx.signal);
            },
            { priority: TaskPriority.LOW },
          );
          await build;
          return 'built';
        }
      }
      @Module({
        imports: [AsyncLifecycleModule.forRoot({ logger: false, progressIntervalMs: 0 })],
        controllers: [WorkController],
      })
      class AppModule {}
      const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
      const app: INestApplication = apps.track(
        adapter === 'express'
          ? moduleRef.createNestApplication()
          : moduleRef.createNestApplication(new FastifyAdapter()),
      );
      const nestLog = new RecordingLogger();
      app.useLogger(nestLog);
      app.useGlobalFilters(...filters);
      await app.listen(0, '127.0.0.1');
      const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
      return { app, nestLog, entered, url: (path: string) => `http://127.0.0.1:${port}${path}` };
    }

    it.each(CANCELLATIONS)(
      '%s thrown by a handler: 503, Retry-After, no ERROR line',
      async (_label, make) => {
        const { nestLog, url } = await start(make);
        const response = await httpGet(url('/throws'));
        expect(response.status).toBe(503);
        expect(response.headers['retry-after']).toBe('1');
        expect(JSON.parse(response.body)).toEqual({
          statusCode: 503,
          error: 'Service Unavailable',
          message: RETRYABLE_RUNNING,
        });
        expect(nestLog.messages('error')).toEqual([]);
      },
    );

    it('a handler awaiting a task the shutdown cancelled: 503 while GRACEFUL drains the request', async () => {
      const { app, entered, url } = await start(() => undefined);
      const coordinator = app.get(LifecycleCoordinator);
      const answer = httpGet(url('/report'));
      await entered.promise;
      const shutdownBegan = draining(coordinator);
      const closed = app.close();
      await shutdownBegan;
      const response = await answer;
      await closed;
      expect(response.status).toBe(503);
      expect(response.headers['retry-after']).toBe('1');
      expect(JSON.parse(response.body)).toMatchObject({ message: RETRYABLE_SHUTDOWN });
      expect(coordinator.getReport()).toMatchObject({ outcome: 'clean', failed: 0 });
    });

    it("an application's own catch-all filter keeps handling every error, cancellations included", async () => {
      const adapterHost: { value?: HttpAdapterHost } = {};
      @Catch()
      class TeapotFilter implements ExceptionFilter {
        catch(_exception: unknown, host: ArgumentsHost): void {
          const response: unknown = host.switchToHttp().getResponse();
          adapterHost.value?.httpAdapter.reply(response, { teapot: true }, 418);
        }
      }
      const { app, url } = await start(() => new CancelledError(), [new TeapotFilter()]);
      adapterHost.value = app.get(HttpAdapterHost);
      for (const path of ['/throws', '/fails', '/missing']) {
        const response = await httpGet(url(path));
        expect([path, response.status, response.body]).toEqual([path, 418, '{"teapot":true}']);
      }
    });

    it('other errors are answered as before: 404 as thrown, 500 with its ERROR line', async () => {
      const { nestLog, url } = await start(() => undefined);
      const missing = await httpGet(url('/missing'));
      expect(missing.status).toBe(404);
      expect(missing.headers['retry-after']).toBeUndefined();
      expect(JSON.parse(missing.body)).toMatchObject({ statusCode: 404, message: 'no such thing' });
      const fails = await httpGet(url('/fails'));
      expect(fails.status).toBe(500);
      expect(fails.headers['retry-after']).toBeUndefined();
      expect(nestLog.messages('error')).toEqual([
        expect.objectContaining({ message: 'a real failure' }),
      ]);
    });
  },
);

describe('a cancellation reaching Nest over RPC (TCP transport)', () => {
  const apps = new OpenApps();
  let client: ClientProxy | undefined;

  afterEach(async () => {
    client?.close();
    client = undefined;
    await apps.closeAll();
  });

  async function start(throws: () => unknown) {
    @Controller()
    class WorkHandlers {
      @MessagePattern('throws')
      throws(): never {
        throw throws();
      }

      @MessagePattern('fails')
      fails(): never {
        throw new Error('a real failure');
      }
    }
    @Module({
      imports: [AsyncLifecycleModule.forRoot({ logger: false, progressIntervalMs: 0 })],
      controllers: [WorkHandlers],
    })
    class AppModule {}
    const nestLog = new RecordingLogger();
    const port = await freePort();
    const app: INestMicroservice = apps.track(
      await NestFactory.createMicroservice(AppModule, {
        transport: Transport.TCP,
        options: { host: '127.0.0.1', port },
        logger: nestLog,
      }),
    );
    await app.listen();
    client = ClientProxyFactory.create({
      transport: Transport.TCP,
      options: { host: '127.0.0.1', port },
    });
    await client.connect();
    return { nestLog, client };
  }

  /** What the client's call rejects with. */
  async function rejection(call: Promise<unknown>): Promise<unknown> {
    try {
      await call;
    } catch (error) {
      return error;
    }
    throw new Error('the call did not fail');
  }

  it.each(CANCELLATIONS)(
    '%s thrown by a handler: a retryable error, no ERROR line',
    async (_label, make) => {
      const { nestLog, client } = await start(make);
      const error = await rejection(firstValueFrom(client.send('throws', {})));
      expect(error).toEqual({
        status: 'error',
        statusCode: 503,
        error: 'Service Unavailable',
        code: 14,
        message: RETRYABLE_RUNNING,
        retryable: true,
      });
      expect(nestLog.messages('error')).toEqual([]);
    },
  );

  it('any other error is answered as before: "Internal server error", with its ERROR line', async () => {
    const { nestLog, client } = await start(() => undefined);
    const error = await rejection(firstValueFrom(client.send('fails', {})));
    expect(error).toEqual({ status: 'error', message: 'Internal server error' });
    expect(nestLog.messages('error')).toEqual([
      expect.objectContaining({ message: 'a real failure' }),
    ]);
  });
});

/** Records Nest's log, and says when its first ERROR line came. */
class ErrorAwareLogger extends RecordingLogger {
  readonly firstError = deferred();

  override error(message: string): void {
    super.error(message);
    this.firstError.resolve();
  }
}

describe.each(['ws', 'socket.io'] as const)(
  'a cancellation reaching Nest in a %s gateway',
  (transport) => {
    const apps = new OpenApps();
    const clients: GatewayClient[] = [];

    afterEach(async () => {
      await Promise.all(clients.splice(0).map((client) => client.dispose()));
      await apps.closeAll();
    });

    async function start(throws: () => unknown) {
      // Nest applies no global filter to gateways: a gateway names it.
      @UseFilters(CancellationFilter)
      @WebSocketGateway()
      class WorkGateway {
        @SubscribeMessage('throws')
        throws(): never {
          throw throws();
        }

        @SubscribeMessage('fails')
        fails(): never {
          throw new Error('a real failure');
        }
      }
      @Module({
        imports: [AsyncLifecycleModule.forRoot({ logger: false, progressIntervalMs: 0 })],
        providers: [WorkGateway],
      })
      class AppModule {}
      const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
      const app = apps.track(moduleRef.createNestApplication());
      if (transport === 'ws') app.useWebSocketAdapter(new WsAdapter(app));
      const nestLog = new ErrorAwareLogger();
      app.useLogger(nestLog);
      await app.listen(0, '127.0.0.1');
      const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
      const client = openGatewayClient(transport, port);
      clients.push(client);
      await client.opened;
      return { nestLog, client };
    }

    it.each(CANCELLATIONS)(
      '%s thrown by a handler: the client gets a retryable exception event, no ERROR line',
      async (_label, make) => {
        const { nestLog, client } = await start(make);
        client.send('throws', {});
        const exception = await client.next('exception');
        expect(exception.data).toEqual({
          status: 'error',
          statusCode: 503,
          error: 'Service Unavailable',
          code: 14,
          message: RETRYABLE_RUNNING,
          retryable: true,
        });
        expect(nestLog.messages('error')).toEqual([]);
      },
    );

    it('any other error is handled by Nest as before, with its ERROR line', async () => {
      const { nestLog, client } = await start(() => undefined);
      client.send('fails', {});
      if (transport === 'socket.io') {
        // socket.io delivers Nest's own answer; over ws, Nest's filter sends nothing.
        expect((await client.next('exception')).data).toMatchObject({
          status: 'error',
          message: 'Internal server error',
        });
      }
      await nestLog.firstError.promise;
      expect(nestLog.messages('error')).toEqual([
        expect.objectContaining({ message: 'a real failure' }),
      ]);
    });
  },
);
