import 'reflect-metadata';
import {
  Body,
  Controller,
  Get,
  Injectable,
  Module,
  Param,
  Post,
  type INestApplication,
} from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { AddressInfo, Server } from 'node:net';
import {
  AsyncLifecycleModule,
  LifecycleCoordinator,
  ManagedTask,
  OnShutdown,
  TaskPriority,
  type AsyncLifecycleOptions,
  type TaskContext,
} from '../../lib/index.js';
import { deferred, untilAborted, type TestDeferred } from './deferred.js';
import type { OpenApps } from './nest-app.js';
import { RawHttpConnection } from './raw-http-connection.js';

/** A request the test holds open: `entered` when its handler runs, answered at `release`. */
export interface Gate {
  entered: TestDeferred;
  release: TestDeferred;
}

/**
 * What the test app's routes and shutdown work wait on, and the order things happened in:
 * released in `afterEach`, so that every app can close.
 */
export class IntakeGates {
  private readonly gates = new Map<string, Gate>();
  /** The CRITICAL task was signalled: the HTTP (HIGH) wave has ended. */
  readonly criticalSignalled = deferred();
  /** The CRITICAL task ends at this: it holds the shutdown after the HTTP wave. */
  readonly criticalRelease = deferred();
  /** `/health/db` entered (it never answers). */
  readonly healthDbEntered = deferred();
  /** In order: `answered <id>` for each held request, `critical hook` for the CRITICAL hook. */
  readonly log: string[] = [];

  gate(id: string): Gate {
    let gate = this.gates.get(id);
    if (gate === undefined) {
      gate = { entered: deferred(), release: deferred() };
      this.gates.set(id, gate);
    }
    return gate;
  }

  releaseAll(): void {
    for (const gate of this.gates.values()) gate.release.resolve();
    this.criticalRelease.resolve();
  }
}

/** The gates of the app being built: set by `startIntakeApp` before Nest instantiates it. */
let current = new IntakeGates();

@Controller()
class IntakeController {
  private readonly gates = current;

  @Get('fast')
  fast(): string {
    return 'fast';
  }

  @Get('hold/:id')
  async hold(@Param('id') id: string): Promise<string> {
    const gate = this.gates.gate(id);
    gate.entered.resolve();
    await gate.release.promise;
    this.gates.log.push(`answered ${id}`);
    return `held ${id}`;
  }

  @Get('hang')
  async hang(): Promise<string> {
    this.gates.gate('hang').entered.resolve();
    await new Promise(() => undefined);
    return 'never';
  }

  @Get('health')
  health(): string {
    return 'health ok';
  }

  /** An excluded path whose check never answers (a database that hangs). */
  @Get('health/db')
  async healthDb(): Promise<string> {
    this.gates.healthDbEntered.resolve();
    await new Promise(() => undefined);
    return 'never';
  }

  /** Echoes the size of a JSON body: the body parser reads it all before the handler runs. */
  @Post('upload')
  upload(@Body() body: { data?: string }): string {
    return `uploaded ${body.data?.length ?? 0}`;
  }
}

@Injectable()
class CriticalWork {
  private readonly gates = current;

  // Holds the shutdown in the CRITICAL wave, after the HTTP (HIGH) wave ended.
  @ManagedTask({ priority: TaskPriority.CRITICAL, name: 'critical-flush' })
  async flush(ctx: TaskContext): Promise<void> {
    await untilAborted(ctx.signal).catch(() => undefined);
    this.gates.criticalSignalled.resolve();
    await this.gates.criticalRelease.promise;
  }

  // What closes the resources requests use: it must run after every request in flight.
  @OnShutdown({ priority: TaskPriority.CRITICAL, name: 'close-database' })
  closeDatabase(): void {
    this.gates.log.push('critical hook');
  }
}

function intakeModule(options: AsyncLifecycleOptions) {
  @Module({
    imports: [AsyncLifecycleModule.forRoot({ logger: false, progressIntervalMs: 0, ...options })],
    controllers: [IntakeController],
    providers: [CriticalWork],
  })
  class IntakeAppModule {}
  return IntakeAppModule;
}

export type AdapterName = 'express' | 'fastify';

/** A self-signed certificate for `localhost` / 127.0.0.1 (see `tls-certificate.ts`). */
export interface TestCertificate {
  key: string;
  cert: string;
}

export interface IntakeApp {
  app: INestApplication;
  coordinator: LifecycleCoordinator;
  gates: IntakeGates;
  port: number;
  /** `http://127.0.0.1:<port>` or `https://…`. */
  url: string;
  /** A raw connection to the app, destroyed when the test ends. */
  raw(): RawHttpConnection;
}

/**
 * Boots the intake test app on Express or Fastify, over HTTP or (with `tls`) HTTPS, on a free
 * loopback port. The app is tracked by `apps`; raw connections by `sockets`.
 */
export async function startIntakeApp(
  adapter: AdapterName,
  apps: OpenApps,
  sockets: RawHttpConnection[],
  options: AsyncLifecycleOptions = {},
  tls?: TestCertificate,
): Promise<IntakeApp> {
  const gates = new IntakeGates();
  current = gates;
  const moduleRef = await Test.createTestingModule({
    imports: [intakeModule(options)],
  }).compile();
  const app: INestApplication = apps.track(
    adapter === 'express'
      ? moduleRef.createNestApplication(tls === undefined ? {} : { httpsOptions: tls })
      : moduleRef.createNestApplication(
          new FastifyAdapter(tls === undefined ? {} : { https: tls }),
        ),
  );
  await app.listen(0, '127.0.0.1');
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  return {
    app,
    coordinator: app.get(LifecycleCoordinator),
    gates,
    port,
    url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    raw: () => {
      const connection = new RawHttpConnection({ port, ca: tls?.cert });
      sockets.push(connection);
      return connection;
    },
  };
}
