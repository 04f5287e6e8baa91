/**
 * The app a rolling update is measured on (`npm run rollout`): `GET /fast` answers at once,
 * `GET /slow` after 300 ms, `GET /health/ready` is the readiness route a load balancer checks.
 * With MODE=lifecycle this library drains the server; MODE=plain has only Nest's
 * `enableShutdownHooks()`; MODE=terminus adds Terminus' `gracefulShutdownTimeoutMs`.
 *
 * Environment: ADAPTER=express | fastify (default express), MODE=lifecycle | plain | terminus
 * (default lifecycle), PORT (default 3000; 0 picks a free port), LISTEN_RETRY_MS (keep trying
 * this long while the port is still held by the instance being replaced; default 0),
 * LIFECYCLE_OPTIONS (JSON merged into the module options), TERMINUS_SHUTDOWN_MS (default 1000).
 * Prints `WAITING <port>` once booted if the port is still held, `READY <url>` once listening, the ledger's lines (see `installRequestLedger`), and in
 * lifecycle mode `REPORT {drain, intakes}` at exit.
 */
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { LifecycleCoordinator, enableLifecycleShutdown } from 'nestjs-async-lifecycle';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppModule, type ShutdownMode } from './app.module.js';
import { listenWithRetry } from './listen-with-retry.js';
import { installRequestLedger } from './request-ledger.js';

/** The value of the environment variable `name`, one of `allowed` (the first by default). */
function choice<const T extends string>(name: string, allowed: readonly T[]): T {
  const value = process.env[name] ?? allowed[0];
  if (!(allowed as readonly string[]).includes(value)) {
    throw new Error(`${name}=${value}: expected one of ${allowed.join(', ')}`);
  }
  return value as T;
}

async function main(): Promise<void> {
  const adapter = choice('ADAPTER', ['express', 'fastify']);
  const mode: ShutdownMode = choice('MODE', ['lifecycle', 'plain', 'terminus']);
  const module = AppModule.forMode(mode);
  const app: INestApplication =
    adapter === 'fastify'
      ? await NestFactory.create(module, new FastifyAdapter(), { logger: ['error', 'warn'] })
      : await NestFactory.create(module, { logger: ['error', 'warn'] });

  if (mode === 'lifecycle') {
    enableLifecycleShutdown(app);
    const coordinator = app.get(LifecycleCoordinator);
    process.once('exit', () => {
      const report = coordinator.getReport();
      if (report !== undefined) {
        const { drain, intakes } = report as { drain: unknown; intakes?: unknown };
        console.log(`REPORT ${JSON.stringify({ drain, intakes })}`);
      }
    });
  } else {
    app.enableShutdownHooks();
  }

  const server = app.getHttpServer() as Server;
  installRequestLedger(server);
  const wanted = Number(process.env.PORT ?? 3000);
  await listenWithRetry(app, wanted, Number(process.env.LISTEN_RETRY_MS ?? 0), () =>
    console.log(`WAITING ${wanted} ${Date.now()}`),
  );
  const { port } = server.address() as AddressInfo;
  console.log(
    `READY http://127.0.0.1:${port} ${Date.now()} (${adapter}, ${mode}, pid ${process.pid})`,
  );
}

void main();
